/**
 * The SQLite thread lock (`SqliteThreadLock`): leases kept in the conversation file. Two locks on
 * two connections to one file stand for two processes; a row written by hand stands for a
 * process that was killed while holding its thread.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { isDatabaseError } from "../../src/domain/errors.js";
import { LOCK_TABLE, SqliteThreadLock } from "../../src/persistence/sqliteLock.js";
import type { ThreadLease } from "../../src/runtime/threadLock.js";

const dir = mkdtempSync(join(tmpdir(), "bruno-sqlite-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handle = SqliteSaver["db"];
const opened: Array<{ db: Handle; lock?: SqliteThreadLock }> = [];
afterEach(async () => {
  for (const { db, lock } of opened.splice(0)) {
    await lock?.close();
    db.close();
  }
});

let files = 0;
/** A fresh file and `count` connections to it, each with its own lock ("processes"). */
function processes(count: number, leaseMs = 2000, busyTimeoutMs?: number): Array<{ db: Handle; lock: SqliteThreadLock }> {
  const file = join(dir, `locks-${++files}.sqlite`);
  return Array.from({ length: count }, () => {
    const db = SqliteSaver.fromConnString(file).db;
    db.pragma("journal_mode = WAL");
    if (busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    const entry = { db, lock: new SqliteThreadLock(db, { leaseMs }) };
    opened.push(entry);
    return entry;
  });
}

/** Another connection to the file of `db`, with no lock (a bystander writing the file). */
function bystander(db: Handle, busyTimeoutMs = 5000): Handle {
  const other = SqliteSaver.fromConnString(db.name).db;
  other.pragma(`busy_timeout = ${busyTimeoutMs}`);
  opened.push({ db: other });
  return other;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  try {
    return { value: await promise, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

function rows(db: Handle): Array<{ thread_id: string; owner: string; expires_at: number }> {
  return db.prepare(`SELECT thread_id, owner, expires_at FROM ${LOCK_TABLE} ORDER BY thread_id`).all() as Array<{ thread_id: string; owner: string; expires_at: number }>;
}

describe("SqliteThreadLock across connections", () => {
  it("reject: THREAD_BUSY at once while another process holds the thread; free again after release", async () => {
    const [a, b] = processes(2);
    const lease = await a!.lock.acquire("t", { timeoutMs: 5000 });
    const refused = await settle(b!.lock.acquire("t", { strategy: "reject", timeoutMs: 5000 }));
    expect(refused.error).toMatchObject({ code: "THREAD_BUSY", strategy: "reject" });
    expect(refused.ms).toBeLessThan(100);
    // Another thread is free.
    await (await b!.lock.acquire("other", { strategy: "reject", timeoutMs: 0 })).release();
    await lease.release();
    expect(rows(a!.db)).toEqual([]);
    await (await b!.lock.acquire("t", { strategy: "reject", timeoutMs: 0 })).release();
  });

  it("enqueue: waits for the holder's release, then takes the thread", async () => {
    const [a, b] = processes(2);
    const lease = await a!.lock.acquire("t", { timeoutMs: 5000 });
    const waiting = settle(b!.lock.acquire("t", { strategy: "enqueue", timeoutMs: 5000 }));
    await sleep(150);
    await lease.release();
    const got = await waiting;
    expect(got.error).toBeUndefined();
    expect(got.ms).toBeGreaterThanOrEqual(140);
    expect(got.ms).toBeLessThan(150 + 400); // polling pauses stay short
    expect(rows(a!.db)).toHaveLength(1);
    await got.value?.release();
  });

  it("enqueue past timeoutMs: THREAD_BUSY naming BRUNO_THREAD_WAIT_MS", async () => {
    const [a, b] = processes(2);
    const lease = await a!.lock.acquire("t", { timeoutMs: 5000 });
    const late = await settle(b!.lock.acquire("t", { timeoutMs: 200 }));
    expect(late.error).toMatchObject({ code: "THREAD_BUSY", strategy: "enqueue" });
    expect((late.error as Error).message).toContain("BRUNO_THREAD_WAIT_MS");
    expect(late.ms).toBeGreaterThanOrEqual(190);
    expect(late.ms).toBeLessThan(600);
    await lease.release();
  });

  it("a turn cancelled while it waits ends with CANCELLED within 50 ms, and takes nothing", async () => {
    const [a, b] = processes(2);
    const lease = await a!.lock.acquire("t", { timeoutMs: 5000 });
    const controller = new AbortController();
    const waiting = settle(b!.lock.acquire("t", { timeoutMs: 10_000, signal: controller.signal }));
    await sleep(100);
    const abortedAt = performance.now();
    controller.abort(new Error("interrupted"));
    const result = await waiting;
    expect(result.error).toMatchObject({ code: "CANCELLED" });
    expect(performance.now() - abortedAt).toBeLessThan(50);
    expect(rows(a!.db).map((r) => r.owner)).toHaveLength(1);
    await lease.release();
  });

  it("a lease left by a killed process is taken over once it expires, not before", async () => {
    const [b] = processes(1);
    const expiresAt = Date.now() + 300;
    bystander(b!.db).prepare(`INSERT INTO ${LOCK_TABLE} (thread_id, owner, expires_at) VALUES ('t', 'killed-process', ?)`).run(expiresAt);
    await expect(b!.lock.acquire("t", { strategy: "reject", timeoutMs: 0 })).rejects.toMatchObject({ code: "THREAD_BUSY" });
    const lease = await b!.lock.acquire("t", { timeoutMs: 5000 });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(Date.now() - expiresAt).toBeLessThan(750); // one polling pause
    expect(rows(b!.db)[0]?.owner).not.toBe("killed-process");
    await lease.release();
  });

  it("the heartbeat keeps a running turn's lease beyond leaseMs", async () => {
    const [a, b] = processes(2, 150);
    const lease = await a!.lock.acquire("t", { timeoutMs: 5000 });
    await sleep(500);
    await expect(b!.lock.acquire("t", { strategy: "reject", timeoutMs: 0 })).rejects.toMatchObject({ code: "THREAD_BUSY" });
    expect(lease.lost.aborted).toBe(false);
    expect(rows(a!.db)[0]?.expires_at).toBeGreaterThan(Date.now());
    await lease.release();
  });

  it("a lease taken by another holder aborts `lost` with DatabaseError lock-lost at the next heartbeat, and confirm() rejects", async () => {
    const [a] = processes(1, 900);
    const lease = await a!.lock.acquire("t", { timeoutMs: 5000 });
    const lostAt = new Promise<number>((resolve) => lease.lost.addEventListener("abort", () => resolve(performance.now())));
    const stolenAt = performance.now();
    bystander(a!.db).prepare(`UPDATE ${LOCK_TABLE} SET owner = 'another-process' WHERE thread_id = 't'`).run();
    const ms = (await lostAt) - stolenAt;
    // At the next heartbeat (every 300 ms), well before the lease would have run out.
    expect(ms).toBeLessThan(900 / 3 + 400);
    expect(isDatabaseError(lease.lost.reason)).toBe(true);
    expect(lease.lost.reason).toMatchObject({ code: "DB_UNAVAILABLE", problem: "lock-lost" });
    expect((lease.lost.reason as Error).message).toContain("thread 't'");
    await expect(lease.confirm?.()).rejects.toMatchObject({ problem: "lock-lost" });
    // Releasing a lost lease leaves the new holder's row alone.
    await lease.release();
    expect(rows(a!.db).map((r) => r.owner)).toEqual(["another-process"]);
  });

  it("SQLITE_BUSY while another connection writes: reject says THREAD_BUSY, enqueue waits it out; no crash", async () => {
    const [a] = processes(1, 2000, 20);
    const writer = bystander(a!.db, 20);
    writer.exec("BEGIN IMMEDIATE");
    await expect(a!.lock.acquire("t", { strategy: "reject", timeoutMs: 0 })).rejects.toMatchObject({ code: "THREAD_BUSY" });
    const waiting = settle(a!.lock.acquire("t", { timeoutMs: 5000 }));
    setTimeout(() => writer.exec("COMMIT"), 150);
    const got = await waiting;
    expect(got.error).toBeUndefined();
    expect(got.ms).toBeGreaterThanOrEqual(140);
    await got.value?.release();
  });

  it("a heartbeat that meets a busy file retries; one that stays busy until the lease runs out loses it", async () => {
    const [a] = processes(1, 600, 10);
    const writer = bystander(a!.db, 10);
    const lease = await a!.lock.acquire("t", { timeoutMs: 5000 });
    // Busy across one heartbeat (at 200 ms), free well before the lease ends.
    writer.exec("BEGIN IMMEDIATE");
    await sleep(300);
    writer.exec("COMMIT");
    await sleep(300);
    expect(lease.lost.aborted).toBe(false);
    // Busy for longer than the lease.
    writer.exec("BEGIN IMMEDIATE");
    const lost = await new Promise<unknown>((resolve) => lease.lost.addEventListener("abort", () => resolve(lease.lost.reason)));
    writer.exec("COMMIT");
    expect(lost).toMatchObject({ problem: "lock-lost" });
    expect((lost as Error).message).toContain("busy");
    await lease.release();
  });

  it("close(): waiting turns end with CANCELLED, a running turn loses its lease, held threads are freed", async () => {
    const [a, b] = processes(2, 5000);
    const held = await a!.lock.acquire("t", { timeoutMs: 5000 });
    const waitingHere = settle(a!.lock.acquire("t", { timeoutMs: 5000 }));
    const waitingThere = settle(b!.lock.acquire("t", { timeoutMs: 5000 }));
    await sleep(50);
    await a!.lock.close();
    expect((await waitingHere).error).toMatchObject({ code: "CANCELLED" });
    // The other process gets the thread at its next poll, long before the lease would expire.
    const other = await waitingThere;
    expect(other.error).toBeUndefined();
    expect(other.ms).toBeLessThan(1500);
    expect(held.lost.reason).toMatchObject({ problem: "lock-lost" });
    await held.release();
    await other.value?.release();
    await expect(a!.lock.acquire("t", { timeoutMs: 10 })).rejects.toMatchObject({ code: "CANCELLED" });
  });

  it("turns of one process queue in order in memory; each waits for the one before it", async () => {
    const [a] = processes(1);
    const order: number[] = [];
    const leases: Promise<ThreadLease>[] = [];
    for (let i = 0; i < 4; i++) {
      leases.push(
        a!.lock.acquire("t", { timeoutMs: 5000 }).then(async (lease) => {
          order.push(i);
          await sleep(20);
          await lease.release();
          return lease;
        }),
      );
    }
    await Promise.all(leases);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(rows(a!.db)).toEqual([]);
  });
});
