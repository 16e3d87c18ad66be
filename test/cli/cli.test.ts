/**
 * The `bruno` command in process (`runCli` through `test/support/cliHarness.ts`) against the
 * Ollama-protocol test server: exit codes, messages, `--json`, threads in a SQLite file, chat
 * over a stream, models and warming, cancelling. Each test has its own server, so the tests run
 * concurrently. What needs a real process (the `bin/bruno.js` smoke test, SIGINT, a closed
 * stdout) is in `process.test.ts`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FakeOllama, type ChatRequestBody, type FakeOllamaOptions } from "../../src/testing/index.js";
import { bruno, lines, STACK_FRAME, startBruno, until, type CliResult } from "../support/cliHarness.js";
import { closedPort } from "../support/net.js";

const QUERY = "Loki pods are crashing";
const FOLLOW_UP = "and how do I stop it from happening again?";
const INSTALLED = ["sre-agent:v1.0", "llama3.1:8b", "llama3.2:3b"];
const OUTPUT_KEYS = ["answer", "citations", "complexity", "grounding", "model", "modelsTried", "notices", "queryType", "requiresCode", "usage", "warnings"];

const servers: FakeOllama[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function startServer(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: INSTALLED.map((name) => ({ name })), ...options });
  servers.push(server);
  return server;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bruno-cli-"));
  tempDirs.push(dir);
  return dir;
}

/** A loopback address nothing listens on. */
async function closedHost(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}`;
}

function history(body: ChatRequestBody | undefined): { role: string; content: string }[] {
  return (body?.messages ?? []).map((m) => ({ role: m.role, content: m.content }));
}

/** Runs a command once for several tests. */
function once<T>(start: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= start());
}

const unknownModel = once(async () => {
  const server = await startServer();
  const result = await bruno(["ask", QUERY, "--model", "nope:1b"], { env: { OLLAMA_HOST: server.url } });
  return { server, result };
});

describe.concurrent("bruno ask", () => {
  it("--json prints exactly the output contract, and a later ask on the same --thread and --db sees the first turn", async ({ expect }) => {
    const server = await startServer();
    const first = "Loki pods in CrashLoopBackOff fire the KubePodCrashLooping alert [1].";
    server.script({ content: first }, { content: "Set the memory request equal to the limit." });
    const db = join(await tempDir(), "threads.sqlite");

    const asked = await bruno(["ask", QUERY, "--docs", "examples/runbooks", "--json", "--thread", "inc-42", "--db", db], { env: { OLLAMA_HOST: server.url } });
    expect(asked.stderr).toBe("");
    expect(asked.code).toBe(0);
    const output = JSON.parse(asked.stdout) as Record<string, unknown>;
    expect(Object.keys(output).sort()).toEqual(OUTPUT_KEYS);
    expect(output).toMatchObject({
      answer: first,
      queryType: "troubleshooting",
      complexity: expect.stringMatching(/^(simple|complex)$/),
      requiresCode: false,
      model: "sre-agent:v1.0",
      modelsTried: [{ model: "sre-agent:v1.0", outcome: "answered" }],
      citations: [{ index: 1, title: expect.any(String), source: expect.stringMatching(/^examples\/runbooks\//), valid: true }],
      warnings: [],
    });
    expect(Object.keys(output.usage as object).sort()).toEqual(["durationMs", "evalMs", "inputTokens", "loadMs", "outputTokens", "promptEvalMs"]);

    // A new run, the same SQLite file: the earlier turn is in the prompt. (Two processes on one
    // file: test/graph/threads.test.ts.)
    const followed = await bruno(["ask", FOLLOW_UP, "--thread", "inc-42", "--db", db], { env: { OLLAMA_HOST: server.url } });
    expect(followed.stderr).not.toMatch(STACK_FRAME);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain("Set the memory request equal to the limit.");
    const second = history(server.chatRequests()[1]);
    const asked1 = second.findIndex((m) => m.role === "user" && m.content === QUERY);
    expect(asked1).toBeGreaterThan(0);
    expect(second[asked1 + 1]).toEqual({ role: "assistant", content: expect.stringContaining("fire the KubePodCrashLooping alert") });
    expect(second.at(-1)?.content.trimEnd().endsWith(FOLLOW_UP)).toBe(true);
  });

  it("cancelling mid-answer (Ctrl-C): exit 130, a line saying so after the engine notice, the server sees the disconnect", async ({ expect }) => {
    const server = await startServer({ timing: { tokenDelayMs: 30 } });
    server.script({ content: "word ".repeat(200).trim() });
    const run = startBruno(["ask", QUERY], { env: { OLLAMA_HOST: server.url } });
    await until(() => run.stdout().includes("word word") || run.exited(), "the first tokens");
    expect(run.exited(), run.stderr()).toBe(false);
    run.cancel();
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(lines(result.stderr)).toEqual([`using Ollama at ${server.url}`, "bruno: CANCELLED: cancelled"]);
    await until(() => server.clientDisconnects === 1, "the server to see the disconnect", 5_000);
  });
});

describe.concurrent("bruno models", () => {
  it("lists the installed models and each missing catalog model with its `ollama pull`; --host (host:port, no scheme) wins over OLLAMA_HOST", async ({ expect }) => {
    const server = await startServer();
    const hostPort = server.url.replace(/^http:\/\//, "");
    const result = await bruno(["models", "--host", hostPort], { env: { OLLAMA_HOST: await closedHost() } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Ollama at ${server.url}: reachable, version 0.12.6`);
    const out = result.stdout;
    const installedPart = out.slice(out.indexOf("Installed models"), out.indexOf("Catalog:"));
    expect(
      lines(installedPart)
        .slice(1)
        .map((l) => l.trim()),
    ).toEqual(INSTALLED);
    const catalog = lines(out.slice(out.indexOf("Catalog:"))).slice(1);
    const missing = ["deepseek-coder:33b", "codellama:34b", "llama3.1:70b"];
    for (const tag of missing) {
      expect(catalog.find((l) => l.includes(` ${tag}`))).toMatch(new RegExp(`✗ ${tag.replace(/\./g, "\\.")}.*missing: ollama pull ${tag.replace(/\./g, "\\.")}$`));
    }
    for (const tag of INSTALLED) {
      const line = catalog.find((l) => l.includes(` ${tag}`));
      expect(line).toMatch(/✓/);
      expect(line).not.toContain("ollama pull");
    }
    expect(server.requests.map((r) => r.path)).toContain("/api/tags");
  });

  it("--warm preloads the catalog's SRE model with an empty chat request carrying keep_alive, and reports the load time", async ({ expect }) => {
    const server = await startServer({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }] });
    const result = await bruno(["models", "--warm", "--host", server.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Warmed sre-agent:v1\.0: loaded in \d+\.\d s, kept for 10m/);
    const chats = server.chatRequests();
    expect(chats).toHaveLength(1);
    expect(chats[0]).toMatchObject({ model: "sre-agent:v1.0", messages: [], stream: false, keep_alive: "10m" });
  });

  it("--warm TAG warms that tag, and refuses one that is not installed without sending anything", async ({ expect }) => {
    const server = await startServer({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.2:3b" }] });
    const ok = await bruno(["models", "--warm", "llama3.2:3b", "--host", server.url, "--json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ reachable: true, warmed: { model: "llama3.2:3b" } });
    const missing = await bruno(["models", "--warm", "mixtral:8x7b", "--host", server.url]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("ollama pull mixtral:8x7b");
    expect(server.chatRequests().map((b) => b.model)).toEqual(["llama3.2:3b"]);
  });

  it("an unreachable server: `Ollama at …: unreachable` on stdout, the reason on stderr, exit 3; --json says reachable: false", async ({ expect }) => {
    const host = await closedHost();
    const result = await bruno(["models"], { env: { OLLAMA_HOST: host } });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe(`Ollama at ${host}: unreachable\n`);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^bruno: .*ollama serve/)]);
    const json = await bruno(["models", "--json"], { env: { OLLAMA_HOST: host } });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ host, reachable: false, installed: [], error: expect.stringContaining(host) });
  });
});

describe.concurrent("bruno errors: one line on stderr, no stack trace, an exit code", () => {
  function expectOneLine(result: CliResult, pattern: RegExp): void {
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(lines(result.stderr)[0]).toMatch(pattern);
  }

  it("unreachable server: exit 3, says to run `ollama serve`", async () => {
    const host = await closedHost();
    const result = await bruno(["ask", QUERY], { env: { OLLAMA_HOST: host } });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expectOneLine(result, /^bruno: SERVER_UNREACHABLE: .*ollama serve/);
    expect(result.stderr).toContain(host);
  });

  it("unknown --model: exit 4, says to run `ollama pull`, no stack trace", async () => {
    const { server, result } = await unknownModel();
    expect(result.code).toBe(4);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(lines(result.stderr)[0]).toMatch(/^bruno: MODEL_NOT_FOUND: .*`ollama pull nope:1b`/);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("unknown --model: the error is a single line", async () => {
    const { result } = await unknownModel();
    expect(lines(result.stderr)).toHaveLength(1);
  });

  it("empty query: exit 2 before any network call", async () => {
    const result = await bruno(["ask", "   "], { env: { OLLAMA_HOST: await closedHost() } });
    expect(result.code).toBe(2);
    expectOneLine(result, /^bruno: INVALID_INPUT: .*query.*empty/);
  });

  it("unreadable --docs path: exit 2, names the path", async () => {
    const missing = join(await tempDir(), "no-such-runbooks");
    const result = await bruno(["ask", QUERY, "--docs", missing], { env: { OLLAMA_HOST: await closedHost() } });
    expect(result.code).toBe(2);
    expectOneLine(result, /^bruno: DOCS_UNREADABLE: /);
    expect(result.stderr).toContain(missing);
  });

  it("bad --type: exit 2, lists the valid types", async () => {
    const result = await bruno(["ask", QUERY, "--type", "bogus"], { env: { OLLAMA_HOST: await closedHost() } });
    expect(result.code).toBe(2);
    expectOneLine(result, /^bruno: INVALID_INPUT: .*--type must be one of .*troubleshooting.*'bogus'/);
  });

  it("--verbose adds the stack trace", async () => {
    const result = await bruno(["ask", QUERY, "--verbose"], { env: { OLLAMA_HOST: await closedHost() } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/bruno: SERVER_UNREACHABLE: /);
    expect(result.stderr).toMatch(STACK_FRAME);
  });
});

describe.concurrent("bruno chat", () => {
  const Q1 = QUERY;
  const Q2 = "how do I prevent it?";
  const A1 = "Raise the ingester memory limit [1].";
  const A2 = "Set the memory request equal to the limit.";

  /** `answer` is what each answer must be preceded by on stdout: the `bruno> ` prompt at a terminal. */
  function expectOneThread(server: FakeOllama, result: CliResult, answer: "bruno> " | ""): void {
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code).toBe(0);
    const chats = server.chatRequests();
    expect(chats).toHaveLength(2);
    const second = history(chats[1]);
    const asked = second.findIndex((m) => m.role === "user" && m.content === Q1);
    expect(asked).toBeGreaterThan(0);
    expect(second[asked + 1]).toEqual({ role: "assistant", content: expect.stringContaining("Raise the ingester memory limit") });
    expect(second.at(-1)?.content.trimEnd().endsWith(Q2)).toBe(true);
    expect(result.stdout).toContain(`${answer}${A1}`);
    expect(result.stdout).toContain(`${answer}${A2}`);
  }

  it("answers two questions typed one after the other on one thread", async () => {
    const server = await startServer();
    server.script({ content: A1 }, { content: A2 });
    const run = startBruno(["chat", "--docs", "examples/runbooks"], { env: { OLLAMA_HOST: server.url }, stdin: "open", interactive: true });
    const prompts = (): number => run.stdout().split("you> ").length - 1;
    await until(() => prompts() >= 1, "the first prompt");
    run.write(`${Q1}\n`);
    await until(() => prompts() >= 2, "the answer to the first question");
    run.write(`${Q2}\n`);
    await until(() => prompts() >= 3, "the answer to the second question");
    run.end("\n"); // an empty line quits
    expectOneThread(server, await run.done, "bruno> ");
  });

  it("Ctrl-D (end of input) at the prompt quits with exit code 0", async () => {
    const server = await startServer();
    const run = startBruno(["chat"], { env: { OLLAMA_HOST: server.url }, stdin: "open", interactive: true });
    await until(() => run.stdout().includes("you> "), "the prompt");
    run.end();
    const result = await run.done;
    expect(result.code).toBe(0);
  });

  it("answers two questions piped in at once on one thread", async () => {
    const server = await startServer();
    server.script({ content: A1 }, { content: A2 });
    const result = await bruno(["chat", "--docs", "examples/runbooks"], { env: { OLLAMA_HOST: server.url }, stdin: `${Q1}\n${Q2}\n` });
    expectOneThread(server, result, "");
  });
});
