/**
 * No lost turn across processes on one SQLite file: real `bruno` processes (`node bin/bruno.js`)
 * on ONE thread of ONE file, answered by a FakeOllama in this process whose replies name the
 * question they answer. Figures go to stdout as `[sqlite-threads] …` lines:
 *
 *   npx vitest run test/persistence/sqliteProcesses.slow.test.ts
 *
 * - enqueue: N `bruno chat` processes × M piped questions each, all at once: every turn is in
 *   the thread exactly once, answer right after its question, in the order the turns finished.
 * - reject: N `bruno ask --thread-strategy reject` at once: each exits 0 (its turn is in the
 *   thread once) or 6 with one THREAD_BUSY line (its turn is absent).
 * - SIGKILL mid-turn: the thread stays blocked until the killed process's lease expires, then
 *   the next holder gets it, and the killed turn left nothing behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { openDatabase } from "../../src/persistence/database.js";
import { CATALOG_MODELS, FakeOllama, type ChatRequestBody, type ChatTiming, type ScriptedReply } from "../../src/testing/index.js";
import { makeGraph, threadMessages } from "../graph/helpers.js";
import { textOf } from "../support/fakeModels.js";
import { killAll, runTypeScript, spawnBruno, until, type ProcessResult } from "../support/spawn.js";

const N = 4;
const M = 3;
/** The lease of the killed process. */
const LEASE_MS = 1500;
/**
 * The lease of the N × M runs: long enough that a process stalled by a loaded machine (several
 * seconds of module compilation on two busy cores) still renews in time.
 */
const LONG_LEASE_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), "bruno-sqlite-procs-"));
const servers: FakeOllama[] = [];

/** The question's marker (`p2t3`) as the answer: `Answer p2t3 done.` */
function echo(req: ChatRequestBody): ScriptedReply {
  const user = [...req.messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const marker = /\b(p\d+t\d+)\b/.exec(user)?.[1] ?? "none";
  return { content: `Answer ${marker} done.` };
}

/** A FakeOllama of one test (the tests run at the same time, each with its own timing). */
async function startOllama(timing: ChatTiming): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: CATALOG_MODELS, defaultReply: echo, timing });
  servers.push(server);
  return server;
}

afterAll(async () => {
  killAll();
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const question = (p: number, t: number) => `p${p}t${t} what is a prometheus recording rule?`;
const figures = (text: string) => process.stdout.write(`[sqlite-threads] ${text}\n`);

/** The thread's checkpointed messages, as `human: …` / `ai: …` lines. */
async function history(file: string, threadId: string): Promise<string[]> {
  const checkpointer = SqliteSaver.fromConnString(file);
  try {
    const { graph } = makeGraph({ checkpointer });
    return (await threadMessages(graph, threadId)).map((m) => `${m.getType()}: ${textOf(m)}`);
  } finally {
    checkpointer.db.close();
  }
}

/** Every marker of the history, checked pairwise: each question followed by its own answer. */
function turnsOf(lines: string[]): string[] {
  const markers: string[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const asked = /^human: (p\d+t\d+) /.exec(lines[i] ?? "")?.[1];
    expect(asked, `message ${i} is a question: ${lines[i]}`).toBeDefined();
    expect(lines[i + 1]).toBe(`ai: Answer ${asked} done.`);
    markers.push(asked as string);
  }
  return markers;
}

/** `bruno args` with the lease of the N × M runs; on a loaded machine 4 processes × 3 turns took up to 46 s. */
const bruno = (args: string[], env: Record<string, string> = {}, stdin?: string) =>
  spawnBruno(args, { env: { BRUNO_THREAD_LEASE_MS: String(LONG_LEASE_MS), BRUNO_RETRY_ATTEMPTS: "1", ...env }, timeoutMs: 110_000, ...(stdin === undefined ? {} : { stdin }) });

// The tests wait on processes, timers and leases far more than they compute: they run together.
describe.concurrent(`${N} processes × ${M} turns on one thread of one SQLite file`, () => {
  it("enqueue (bruno chat): every turn is in the thread exactly once, in the order the turns finished", async () => {
    const file = join(dir, "enqueue.sqlite");
    const ollama = await startOllama({ tokenDelayMs: 60 });
    const started = performance.now();
    const runs = Array.from({ length: N }, (_, p) =>
      bruno(
        ["chat", "--thread", "T", "--db", file, "--provider", "ollama", "--host", ollama.url],
        { BRUNO_THREAD_WAIT_MS: "60000" },
        Array.from({ length: M }, (_, t) => question(p, t)).join("\n") + "\n",
      ),
    );
    const results: ProcessResult[] = await Promise.all(runs.map((r) => r.done));
    const wallMs = performance.now() - started;
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/THREAD_BUSY|DB_UNAVAILABLE|error/i);
    }
    // When each turn's answer finished reaching its process's stdout.
    const finished = new Map<string, number>();
    results.forEach((result, p) => {
      for (let t = 0; t < M; t++) {
        const end = result.stdout.indexOf(`Answer p${p}t${t} done.`);
        expect(end, `process ${p} printed turn ${t}:\n${result.stdout}`).toBeGreaterThanOrEqual(0);
        const chunk = result.chunks.find((c) => c.end >= end + 1);
        finished.set(`p${p}t${t}`, chunk?.at ?? Number.NaN);
      }
    });
    const turns = turnsOf(await history(file, "T"));
    expect(turns).toHaveLength(N * M);
    expect(new Set(turns).size).toBe(N * M);
    expect(turns).toEqual([...finished.keys()].sort((a, b) => (finished.get(a) ?? 0) - (finished.get(b) ?? 0)));
    // Each process's turns in the order it asked them.
    for (let p = 0; p < N; p++) expect(turns.filter((m) => m.startsWith(`p${p}t`))).toEqual(Array.from({ length: M }, (_, t) => `p${p}t${t}`));
    figures(`enqueue: ${N} processes × ${M} turns → ${turns.length} turns in the thread, each once, in completion order (${Math.round(wallMs)} ms)`);
  });

  it("reject (bruno ask --json): each process exits 0 with its turn in the thread once, or 6 with one THREAD_BUSY line and its turn absent", async () => {
    const file = join(dir, "reject.sqlite");
    // Each answer takes 2 s or more, so that processes started together meet on the thread.
    const ollama = await startOllama({ firstTokenDelayMs: 2000 });
    const runs = Array.from({ length: N }, (_, p) =>
      bruno(["ask", question(p, 0), "--thread", "T", "--db", file, "--provider", "ollama", "--host", ollama.url, "--json", "--thread-strategy", "reject"]),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    const answered: string[] = [];
    const refused: string[] = [];
    results.forEach((result, p) => {
      if (result.code === 0) {
        expect((JSON.parse(result.stdout) as { answer: string }).answer).toBe(`Answer p${p}t0 done.`);
        answered.push(`p${p}t0`);
      } else {
        expect(result.code, result.stderr).toBe(6);
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        expect(result.stderr).toContain("THREAD_BUSY");
        expect(result.stderr).toContain('strategy "reject"');
        refused.push(`p${p}t0`);
      }
    });
    expect(answered.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    const turns = turnsOf(await history(file, "T"));
    expect([...turns].sort()).toEqual([...answered].sort());
    figures(`reject: ${N} processes at once → ${answered.length} answered (in the thread once each), ${refused.length} refused with exit 6 THREAD_BUSY (absent)`);
  });
});

describe.concurrent("a process killed with SIGKILL mid-turn", () => {
  it(`blocks its thread for at most the lease (${LEASE_MS} ms), and its turn left nothing`, async () => {
    const file = join(dir, "killed.sqlite");
    const ollama = await startOllama({ tokenDelayMs: 20 });
    // The killed process's reply stalls after two tokens: it is mid-turn, holding the thread.
    ollama.script({ kind: "stall", afterTokens: 2 });
    const victim = bruno(["ask", question(9, 0), "--thread", "T", "--db", file, "--provider", "ollama", "--host", ollama.url], { BRUNO_THREAD_LEASE_MS: String(LEASE_MS) });
    await until(() => victim.stdout().length > 0 || victim.exited(), "the first tokens of the turn to be killed");
    expect(victim.exited(), victim.output()).toBe(false);
    victim.kill("SIGKILL");
    await victim.exit;
    const killedAt = performance.now();

    const database = await openDatabase(loadConfig({ env: { LOG_LEVEL: "silent", BRUNO_DB: file } }));
    try {
      // Still held by the dead process's lease…
      await expect(database.lock.acquire("T", { strategy: "reject", timeoutMs: 0 })).rejects.toMatchObject({ code: "THREAD_BUSY" });
      // …until it expires.
      const lease = await database.lock.acquire("T", { timeoutMs: 10_000 });
      const freedMs = performance.now() - killedAt;
      await lease.release();
      expect(freedMs).toBeLessThan(LEASE_MS + 750);
      figures(`SIGKILL mid-turn: thread free again ${Math.round(freedMs)} ms after the kill (lease ${LEASE_MS} ms)`);
    } finally {
      await database.close();
    }
    expect(await history(file, "T")).toEqual([]);

    const next = await bruno(["ask", question(1, 1), "--thread", "T", "--db", file, "--provider", "ollama", "--host", ollama.url, "--json"]).done;
    expect(next.code, next.stderr).toBe(0);
    expect(turnsOf(await history(file, "T"))).toEqual(["p1t1"]);
  });

  it("a process that ends without releasing is not kept alive by the lease's heartbeat", async () => {
    const file = join(dir, "exit.sqlite");
    const child = await runTypeScript(join(import.meta.dirname, "fixtures", "holdLease.ts"), [file, "T"], { timeoutMs: 20_000 });
    expect(child.code, child.stderr).toBe(0);
    expect(child.stdout).toContain("held T");
    // It ended holding the thread: the lease stays until it expires.
    const database = await openDatabase(loadConfig({ env: { LOG_LEVEL: "silent", BRUNO_DB: file } }));
    try {
      await expect(database.lock.acquire("T", { strategy: "reject", timeoutMs: 0 })).rejects.toMatchObject({ code: "THREAD_BUSY" });
    } finally {
      await database.close();
    }
  });
});
