/**
 * `--docs` ranking of follow-up questions: "how do I prevent it?" after a question about Loki
 * crashing gets the Loki runbook's Prevention section, in `chat` (the questions in memory) and
 * in `ask --thread --db` (the questions read back from the stored thread), with a note on stderr.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { FakeOllama, type ChatRequestBody } from "../../src/testing/index.js";
import { bruno, lines, STACK_FRAME } from "../support/cliHarness.js";

const Q1 = "Loki pods are crashing";
const Q2 = "how do I prevent it?";
/** A line of the Loki runbook's `## Prevention` section. */
const LOKI_PREVENTION = "Keep `replay_memory_ceiling` at about 50% of the ingester memory limit.";
const NOTE = "[ranked with the previous question of this thread]";

const servers: FakeOllama[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function startServer(): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }] });
  server.script({ content: "Raise the ingester memory limit [1]." }, { content: "Alert on memory before the OOM kill [1]." });
  servers.push(server);
  return server;
}

/** The turn's question as the model was sent it, with its context documents (the last message). */
function prompt(body: ChatRequestBody | undefined): string {
  return body?.messages.at(-1)?.content ?? "";
}

/** The source of the first context document of the turn's question (the last message). */
function firstDocument(body: ChatRequestBody | undefined): string | undefined {
  return /<document index="1" [^>]*source="([^"]+)"/.exec(prompt(body))?.[1];
}

describe.concurrent("follow-up questions keep their runbook", () => {
  it("chat: the follow-up's prompt holds the Loki runbook's Prevention section, and stderr says the previous question was used", async ({ expect }) => {
    const server = await startServer();
    const result = await bruno(["chat", "--docs", "examples/runbooks"], { env: { OLLAMA_HOST: server.url }, stdin: `${Q1}\n${Q2}\n` });
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code).toBe(0);
    const second = server.chatRequests()[1];
    expect(prompt(second)).toContain(LOKI_PREVENTION);
    expect(firstDocument(second)).toBe("examples/runbooks/loki-crashloop.md#L129");
    expect(result.stdout).toMatch(/loki-crashloop\.md#L129/);
    expect(lines(result.stderr).filter((l) => l === NOTE)).toHaveLength(1);
    expect(result.stderr).not.toContain("matches the query");
  });

  it("ask --thread --db: a later run ranks with the first turn's question read back from the thread", async ({ expect }) => {
    const server = await startServer();
    const dir = await mkdtemp(join(tmpdir(), "bruno-rank-"));
    dirs.push(dir);
    const db = join(dir, "threads.sqlite");
    const env = { OLLAMA_HOST: server.url };
    const asked = await bruno(["ask", Q1, "--docs", "examples/runbooks", "--thread", "inc-7", "--db", db], { env });
    expect(asked.code).toBe(0);
    expect(asked.stderr).not.toContain(NOTE);
    const followed = await bruno(["ask", Q2, "--docs", "examples/runbooks", "--thread", "inc-7", "--db", db], { env });
    expect(followed.stderr).not.toMatch(STACK_FRAME);
    expect(followed.code).toBe(0);
    expect(prompt(server.chatRequests()[1])).toContain(LOKI_PREVENTION);
    expect(firstDocument(server.chatRequests()[1])).toBe("examples/runbooks/loki-crashloop.md#L129");
    expect(lines(followed.stderr)).toContain(NOTE);
    // On another thread there is no earlier question: no note, and the Loki runbook is not first.
    const fresh = await bruno(["ask", Q2, "--docs", "examples/runbooks", "--thread", "inc-8", "--db", db], { env });
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).not.toContain(NOTE);
    expect(firstDocument(server.chatRequests()[2])).toMatch(/^examples\/runbooks\/(?!loki-crashloop)/);
  });
});
