/**
 * The `bruno` command as a child process (`node bin/bruno.js …`, once through `npm start`)
 * against the Ollama-protocol test server. Each test has its own server, so the tests run
 * concurrently; a child takes about a second to start.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FakeOllama, type ChatRequestBody, type FakeOllamaOptions } from "../../src/testing/fakeOllama.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Generous: a child needs about a second of CPU to start, far more on a loaded machine.
const CHILD_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 90_000;
const QUERY = "Loki pods are crashing";
const FOLLOW_UP = "and how do I stop it from happening again?";
const INSTALLED = ["sre-agent:v1.0", "llama3.1:8b", "llama3.2:3b"];
const OUTPUT_KEYS = ["answer", "citations", "complexity", "grounding", "model", "modelsTried", "queryType", "requiresCode", "usage", "warnings"];

interface Chunk {
  /** Length of stdout after this chunk. */
  end: number;
  at: number;
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  chunks: Chunk[];
}

interface Bruno {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  done: Promise<ChildResult>;
}

const servers: FakeOllama[] = [];
const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

afterAll(async () => {
  for (const child of children) {
    // Each child leads its own process group (npm starts node under a shell).
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
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
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const value = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(value));
    });
  });
  return `http://127.0.0.1:${port}`;
}

/** The parent's environment without anything that configures bruno, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === "LOG_LEVEL" || key === "OLLAMA_HOST" || key.startsWith("BRUNO_")) continue;
    base[key] = value;
  }
  return { ...base, NO_COLOR: "1", ...env };
}

function spawnBruno(args: string[], env: Record<string, string>, via: "node" | "npm" = "node"): Bruno {
  const [command, argv] = via === "node" ? ["node", ["bin/bruno.js", ...args]] : ["npm", ["start", "--silent", "--", ...args]];
  const child = spawn(command, argv, { cwd: ROOT, env: childEnv(env), stdio: ["pipe", "pipe", "pipe"], detached: true });
  children.add(child);
  let stdout = "";
  let stderr = "";
  const chunks: Chunk[] = [];
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (text: string) => {
    stdout += text;
    chunks.push({ end: stdout.length, at: Date.now() });
  });
  child.stderr?.on("data", (text: string) => {
    stderr += text;
  });
  child.stdout?.on("error", () => undefined);
  child.stdin?.on("error", () => undefined);
  const done = new Promise<ChildResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      reject(new Error(`bruno ${args.join(" ")} did not exit within ${CHILD_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, CHILD_TIMEOUT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, chunks });
    });
  });
  return { child, stdout: () => stdout, done };
}

function bruno(args: string[], env: Record<string, string>, via: "node" | "npm" = "node"): Promise<ChildResult> {
  const run = spawnBruno(args, env, via);
  run.child.stdin?.end();
  return run.done;
}

async function until(condition: () => boolean, what: string, timeoutMs = CHILD_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** When stdout first contained `text`. */
function firstSeen(result: ChildResult, text: string): number {
  const position = result.stdout.indexOf(text);
  if (position < 0) throw new Error(`stdout never contained ${JSON.stringify(text)}`);
  const chunk = result.chunks.find((c) => c.end >= position + text.length);
  return chunk?.at ?? Number.NaN;
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

const STACK_FRAME = /^\s+at\s/m;

function history(body: ChatRequestBody | undefined): { role: string; content: string }[] {
  return (body?.messages ?? []).map((m) => ({ role: m.role, content: m.content }));
}

/** Runs a child once for several tests. */
function once<T>(start: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= start());
}

const unknownModel = once(async () => {
  const server = await startServer();
  const result = await bruno(["ask", QUERY, "--model", "nope:1b"], { OLLAMA_HOST: server.url });
  return { server, result };
});

describe.concurrent("bruno ask", () => {
  it(
    "streams the answer to stdout and lists the numbered sources (the README command, through npm start)",
    async ({ expect }) => {
      const server = await startServer({ timing: { tokenDelayMs: 60 } });
      const tokens = ["Check ", "the ", "ingester ", "memory ", "limit ", "[1]. ", "Then ", "the ", "WAL ", "volume ", "[2]."];
      const answer = tokens.join("");
      server.script({ content: answer, tokens });

      const result = await bruno(["ask", QUERY, "--docs", "examples/runbooks"], { OLLAMA_HOST: server.url }, "npm");

      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(answer)).toBe(true);
      // Streamed: the first token was on stdout well before the last one.
      expect(firstSeen(result, answer) - firstSeen(result, "Check ")).toBeGreaterThanOrEqual((tokens.length - 1) * 60 * 0.25);
      const sources = result.stdout.slice(result.stdout.indexOf("Sources"));
      expect(result.stdout.indexOf(answer)).toBeLessThan(result.stdout.indexOf("Sources (* cited):"));
      const numbered = lines(sources).slice(1);
      const count = (server.chatRequests()[0]?.messages.at(-1)?.content.match(/<document index=/g) ?? []).length;
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
    "--json prints exactly the output contract, and a later ask on the same --thread and --db sees the first turn",
    async ({ expect }) => {
      const server = await startServer();
      const first = "Loki pods in CrashLoopBackOff fire the KubePodCrashLooping alert [1].";
      server.script({ content: first }, { content: "Set the memory request equal to the limit." });
      const db = join(await tempDir(), "threads.sqlite");

      const asked = await bruno(["ask", QUERY, "--docs", "examples/runbooks", "--json", "--thread", "inc-42", "--db", db], { OLLAMA_HOST: server.url });
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

      // A new process, the same SQLite file: the earlier turn is in the prompt.
      const followed = await bruno(["ask", FOLLOW_UP, "--thread", "inc-42", "--db", db], { OLLAMA_HOST: server.url });
      expect(followed.stderr).not.toMatch(STACK_FRAME);
      expect(followed.code).toBe(0);
      expect(followed.stdout).toContain("Set the memory request equal to the limit.");
      const second = history(server.chatRequests()[1]);
      const asked1 = second.findIndex((m) => m.role === "user" && m.content === QUERY);
      expect(asked1).toBeGreaterThan(0);
      expect(second[asked1 + 1]).toEqual({ role: "assistant", content: expect.stringContaining("fire the KubePodCrashLooping alert") });
      expect(second.at(-1)?.content.trimEnd().endsWith(FOLLOW_UP)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );
});

describe.concurrent("bruno models", () => {
  it(
    "lists the installed models and each missing catalog model with its `ollama pull`; --host (host:port, no scheme) wins over OLLAMA_HOST",
    async ({ expect }) => {
      const server = await startServer();
      const hostPort = server.url.replace(/^http:\/\//, "");
      const result = await bruno(["models", "--host", hostPort], { OLLAMA_HOST: await closedHost() });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Ollama at ${server.url}: reachable, version 0.12.6`);
      const out = result.stdout;
      const installedPart = out.slice(out.indexOf("Installed models"), out.indexOf("Catalog:"));
      expect(lines(installedPart).slice(1).map((l) => l.trim())).toEqual(INSTALLED);
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
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "exits quietly when stdout is closed early (bruno models | head)",
    async ({ expect }) => {
      const server = await startServer();
      const run = spawnBruno(["models"], { OLLAMA_HOST: server.url });
      run.child.stdout?.destroy();
      run.child.stdin?.end();
      const result = await run.done;
      expect(result.stderr).not.toMatch(/Unhandled 'error' event|EPIPE/);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    },
    TEST_TIMEOUT_MS,
  );
});

describe.concurrent("bruno errors: one line on stderr, no stack trace, an exit code", () => {
  function expectOneLine(result: ChildResult, pattern: RegExp): void {
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(lines(result.stderr)[0]).toMatch(pattern);
  }

  it(
    "unreachable server: exit 3, says to run `ollama serve`",
    async () => {
      const host = await closedHost();
      const result = await bruno(["ask", QUERY], { OLLAMA_HOST: host });
      expect(result.code).toBe(3);
      expect(result.stdout).toBe("");
      expectOneLine(result, /^bruno: SERVER_UNREACHABLE: .*ollama serve/);
      expect(result.stderr).toContain(host);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "unknown --model: exit 4, says to run `ollama pull`, no stack trace",
    async () => {
      const { server, result } = await unknownModel();
      expect(result.code).toBe(4);
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(lines(result.stderr)[0]).toMatch(/^bruno: MODEL_NOT_FOUND: .*`ollama pull nope:1b`/);
      expect(server.chatRequests()).toHaveLength(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "unknown --model: the error is a single line",
    async () => {
      const { result } = await unknownModel();
      expect(lines(result.stderr)).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "empty query: exit 2 before any network call",
    async () => {
      const result = await bruno(["ask", "   "], { OLLAMA_HOST: await closedHost() });
      expect(result.code).toBe(2);
      expectOneLine(result, /^bruno: INVALID_INPUT: .*query.*empty/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "unreadable --docs path: exit 2, names the path",
    async () => {
      const missing = join(await tempDir(), "no-such-runbooks");
      const result = await bruno(["ask", QUERY, "--docs", missing], { OLLAMA_HOST: await closedHost() });
      expect(result.code).toBe(2);
      expectOneLine(result, /^bruno: DOCS_UNREADABLE: /);
      expect(result.stderr).toContain(missing);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "bad --type: exit 2, lists the valid types",
    async () => {
      const result = await bruno(["ask", QUERY, "--type", "bogus"], { OLLAMA_HOST: await closedHost() });
      expect(result.code).toBe(2);
      expectOneLine(result, /^bruno: INVALID_INPUT: .*--type must be one of .*troubleshooting.*'bogus'/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "--verbose adds the stack trace",
    async () => {
      const result = await bruno(["ask", QUERY, "--verbose"], { OLLAMA_HOST: await closedHost() });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/bruno: SERVER_UNREACHABLE: /);
      expect(result.stderr).toMatch(STACK_FRAME);
    },
    TEST_TIMEOUT_MS,
  );
});

describe.concurrent("bruno chat", () => {
  const Q1 = QUERY;
  const Q2 = "how do I prevent it?";
  const A1 = "Raise the ingester memory limit [1].";
  const A2 = "Set the memory request equal to the limit.";

  function expectOneThread(server: FakeOllama, result: ChildResult): void {
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code).toBe(0);
    const chats = server.chatRequests();
    expect(chats).toHaveLength(2);
    const second = history(chats[1]);
    const asked = second.findIndex((m) => m.role === "user" && m.content === Q1);
    expect(asked).toBeGreaterThan(0);
    expect(second[asked + 1]).toEqual({ role: "assistant", content: expect.stringContaining("Raise the ingester memory limit") });
    expect(second.at(-1)?.content.trimEnd().endsWith(Q2)).toBe(true);
    expect(result.stdout).toContain(`bruno> ${A1}`);
    expect(result.stdout).toContain(`bruno> ${A2}`);
  }

  it(
    "answers two questions typed one after the other on one thread",
    async () => {
      const server = await startServer();
      server.script({ content: A1 }, { content: A2 });
      const run = spawnBruno(["chat", "--docs", "examples/runbooks"], { OLLAMA_HOST: server.url });
      const prompts = (): number => run.stdout().split("you> ").length - 1;
      await until(() => prompts() >= 1, "the first prompt");
      run.child.stdin?.write(`${Q1}\n`);
      await until(() => prompts() >= 2, "the answer to the first question");
      run.child.stdin?.write(`${Q2}\n`);
      await until(() => prompts() >= 3, "the answer to the second question");
      run.child.stdin?.end("\n"); // an empty line quits
      expectOneThread(server, await run.done);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "Ctrl-D (end of input) at the prompt quits with exit code 0",
    async () => {
      const server = await startServer();
      const run = spawnBruno(["chat"], { OLLAMA_HOST: server.url });
      await until(() => run.stdout().includes("you> "), "the prompt");
      run.child.stdin?.end();
      const result = await run.done;
      expect(result.code).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "answers two questions piped in at once on one thread",
    async () => {
      const server = await startServer();
      server.script({ content: A1 }, { content: A2 });
      const run = spawnBruno(["chat", "--docs", "examples/runbooks"], { OLLAMA_HOST: server.url });
      run.child.stdin?.end(`${Q1}\n${Q2}\n`);
      expectOneThread(server, await run.done);
    },
    TEST_TIMEOUT_MS,
  );
});
