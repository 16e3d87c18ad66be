/**
 * `--thread-strategy` of `bruno ask` / `bruno chat`, in process (`cliHarness.ts`) against a
 * FakeOllama, with the thread held by another connection to the same SQLite file (as another
 * process would hold it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { openDatabase, type Database } from "../../src/persistence/database.js";
import type { ThreadLease } from "../../src/runtime/threadLock.js";
import { FakeOllama } from "../../src/testing/index.js";
import { bruno } from "../support/cliHarness.js";

const dir = mkdtempSync(join(tmpdir(), "bruno-thread-strategy-"));
const file = join(dir, "threads.sqlite");
let ollama: FakeOllama;
let holder: Database;
let lease: ThreadLease;

beforeAll(async () => {
  ollama = await FakeOllama.start();
  holder = await openDatabase(loadConfig({ env: { LOG_LEVEL: "silent", BRUNO_DB: file } }));
  lease = await holder.lock.acquire("busy", { timeoutMs: 1000 });
});
afterAll(async () => {
  await lease?.release();
  await holder?.close();
  await ollama?.close();
  rmSync(dir, { recursive: true, force: true });
});

const common = () => ["--db", file, "--provider", "ollama", "--host", ollama.url];

describe("--thread-strategy", () => {
  it("ask --thread-strategy reject on a thread another process holds: exit 6 at once, one THREAD_BUSY line, no model call", async () => {
    const before = ollama.chatRequests().length;
    const result = await bruno(["ask", "what is a recording rule?", "--thread", "busy", "--thread-strategy", "reject", ...common()]);
    expect(result.code).toBe(6);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining("THREAD_BUSY")]);
    expect(result.stderr).toContain('strategy "reject"');
    expect(result.ms).toBeLessThan(5000);
    expect(ollama.chatRequests().length).toBe(before);
  });

  it("ask with enqueue (the default) waits up to BRUNO_THREAD_WAIT_MS, then exits 6 naming that setting", async () => {
    const result = await bruno(["ask", "what is a recording rule?", "--thread", "busy", ...common()], { env: { BRUNO_THREAD_WAIT_MS: "300" } });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("BRUNO_THREAD_WAIT_MS");
  });

  it("--thread-strategy overrides BRUNO_THREAD_STRATEGY; another thread of the file answers", async () => {
    const result = await bruno(["ask", "what is a recording rule?", "--thread", "free", "--thread-strategy", "enqueue", "--json", ...common()], { env: { BRUNO_THREAD_STRATEGY: "reject" } });
    expect(result.code, result.stderr).toBe(0);
    const refused = await bruno(["ask", "what is a recording rule?", "--thread", "busy", "--thread-strategy", "reject", ...common()], {
      env: { BRUNO_THREAD_STRATEGY: "enqueue", BRUNO_THREAD_WAIT_MS: "60000" },
    });
    expect(refused.code).toBe(6);
  });

  it("chat --thread-strategy reject: the refused turn is reported on stderr and chat goes on to the end of its input (exit 0)", async () => {
    const result = await bruno(["chat", "--thread", "busy", "--thread-strategy", "reject", ...common()], { stdin: "what is a recording rule?\n" });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("THREAD_BUSY");
  });

  it.each([
    ["ask", ["ask", "q", "--thread-strategy", "sometimes"]],
    ["chat", ["chat", "--thread-strategy", "sometimes"]],
  ])("a bad value for %s: exit 2 naming the flag and its values", async (_name, argv) => {
    const result = await bruno(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--thread-strategy must be one of enqueue, reject, not 'sometimes'");
  });
});
