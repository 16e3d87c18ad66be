/**
 * The `bruno` command as a real process, for what only a process shows: the README command
 * through `npm start` and `bin/bruno.js` (a smoke test of the whole start-up), SIGINT, and a
 * stdout closed early. Everything else, cancelling mid-answer included, is in process
 * (`cli.test.ts`). A child takes about a second to start, so the tests run concurrently.
 */
import { afterAll, describe, it } from "vitest";
import { FakeOllama, type FakeOllamaOptions } from "../../src/testing/index.js";
import { firstSeen, killAll, lines, spawnBruno, STACK_FRAME, until } from "../support/spawn.js";

const QUERY = "Loki pods are crashing";
const INSTALLED = ["sre-agent:v1.0", "llama3.1:8b", "llama3.2:3b"];
// Generous: a child needs about a second of CPU to start, far more on a loaded machine.
const TEST_TIMEOUT_MS = 90_000;

const servers: FakeOllama[] = [];

afterAll(async () => {
  killAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: INSTALLED.map((name) => ({ name })), ...options });
  servers.push(server);
  return server;
}

describe.concurrent("bruno as a process", () => {
  it(
    "streams the answer to stdout and lists the numbered sources (the README command, through npm start)",
    async ({ expect }) => {
      const server = await startServer({ timing: { tokenDelayMs: 60 } });
      const tokens = ["Check ", "the ", "ingester ", "memory ", "limit ", "[1]. ", "Then ", "the ", "WAL ", "volume ", "[2]."];
      const answer = tokens.join("");
      server.script({ content: answer, tokens });

      const result = await spawnBruno(["ask", QUERY, "--docs", "examples/runbooks"], { env: { OLLAMA_HOST: server.url }, via: "npm" }).done;

      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(answer)).toBe(true);
      // Streamed: the first token was on stdout well before the last one.
      expect(firstSeen(result, answer) - firstSeen(result, "Check ")).toBeGreaterThanOrEqual((tokens.length - 1) * 60 * 0.25);
      const sources = result.stdout.slice(result.stdout.indexOf("Sources"));
      expect(result.stdout.indexOf(answer)).toBeLessThan(result.stdout.indexOf("Sources (* cited):"));
      const numbered = lines(sources).slice(1);
      const count = (
        server
          .chatRequests()[0]
          ?.messages.at(-1)
          ?.content.match(/<document index=/g) ?? []
      ).length;
      expect(count).toBeGreaterThanOrEqual(2);
      expect(numbered).toHaveLength(count);
      numbered.forEach((line, i) => {
        const cited = i < 2 ? "\\*" : " ";
        expect(line).toMatch(new RegExp(`^\\s*${cited}\\[${i + 1}\\] .+ — examples/runbooks/[\\w-]+\\.md#L\\d+$`));
      });
      // The summary goes to stderr, so stdout can be piped.
      expect(result.stdout).not.toContain("sre-agent:v1.0");
      expect(result.stderr).toMatch(/sre-agent:v1\.0 · troubleshooting\/\w+ · .* tokens/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "SIGINT (Ctrl-C) during a retry's backoff sleep: exit 130 within a second of the signal, not when the sleep ends; one line saying so, no stack trace",
    async ({ expect }) => {
      const server = await startServer();
      server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" });
      const run = spawnBruno(["ask", QUERY], { env: { OLLAMA_HOST: server.url, BRUNO_RETRY_INITIAL_MS: "8000", BRUNO_RETRY_MAX_MS: "8000" } });
      await until(() => /retry 1 in/.test(run.stderr()) || run.exited(), "the retry notice");
      expect(run.exited(), run.output()).toBe(false);
      const signalledAt = performance.now();
      run.kill("SIGINT");
      const result = await run.done;
      expect(result.code).toBe(130);
      expect(performance.now() - signalledAt).toBeLessThan(1000);
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(lines(result.stderr).at(-1)).toBe("bruno: CANCELLED: cancelled");
      // The abandoned retry never reaches the server.
      expect(server.chatRequests()).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "exits quietly when stdout is closed early (bruno models | head)",
    async ({ expect }) => {
      const server = await startServer();
      const run = spawnBruno(["models"], { env: { OLLAMA_HOST: server.url } });
      run.child.stdout?.destroy();
      const result = await run.done;
      expect(result.stderr).not.toMatch(/Unhandled 'error' event|EPIPE/);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    },
    TEST_TIMEOUT_MS,
  );
});
