/**
 * 6. Memory, one checkpointer per process: `--turns` turns over `--threads` threads (round-robin,
 * so every thread grows evenly), against its own synthetic model (0 ms). Every `turns / samples`
 * turns it collects garbage twice and records RSS and the V8 heap. Run by `bench/run.ts` as
 *
 *   node --expose-gc --import tsx bench/memory-child.ts --saver sqlite|memory|none --turns 10000 --threads 1000
 *
 * and prints one JSON line (the last line of stdout).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchGraph, gc, INPUT, load, now, settle } from "./lib/fixtures.js";
import { createSaver, type SaverKind } from "./lib/savers.js";

/** `none`: the graph without a checkpointer, the baseline of the others. */
export type MemoryKind = SaverKind | "none";
import { makeProfile, SyntheticOllama } from "./lib/synthetic.js";

const { values } = parseArgs({
  options: {
    saver: { type: "string", default: "sqlite" },
    turns: { type: "string", default: "10000" },
    threads: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "4" },
    samples: { type: "string", default: "20" },
    tokens: { type: "string", default: "100" },
  },
});

export interface MemorySample {
  turn: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  elapsedMs: number;
}

export interface MemoryChildResult {
  saver: MemoryKind;
  turns: number;
  threads: number;
  concurrency: number;
  tokens: number;
  gcExposed: boolean;
  errors: number;
  samples: MemorySample[];
  storedBytes: number;
  storedCheckpoints: number;
  wallMs: number;
  load: [number, number, number];
}

const MB = 2 ** 20;

async function sample(turn: number, t0: number): Promise<MemorySample> {
  await settle(20);
  gc();
  gc();
  const m = process.memoryUsage();
  return {
    turn,
    rssMb: m.rss / MB,
    heapUsedMb: m.heapUsed / MB,
    heapTotalMb: m.heapTotal / MB,
    externalMb: m.external / MB,
    arrayBuffersMb: m.arrayBuffers / MB,
    elapsedMs: now() - t0,
  };
}

async function main(): Promise<void> {
  const kind = values.saver as MemoryKind;
  const turns = Number(values.turns);
  const threads = Number(values.threads);
  const concurrency = Number(values.concurrency);
  const every = Math.max(1, Math.floor(turns / Number(values.samples)));
  const tokens = Number(values.tokens);
  const syn = await SyntheticOllama.start(makeProfile({ loadMs: 0, firstTokenMs: 0, tokenMs: 0, tokens }));
  const dir = mkdtempSync(join(tmpdir(), "bruno-bench-mem-"));
  const saver = kind === "none" ? undefined : createSaver(kind, join(dir, "memory.sqlite"));
  const graph = benchGraph(syn.url, { checkpointer: saver?.saver ?? false, env: { BRUNO_QUEUE_SIZE: String(concurrency * 2) } });
  const expected = syn.answer;
  let errors = 0;
  const samples: MemorySample[] = [];
  const t0 = now();
  try {
    samples.push(await sample(0, t0));
    // Turn k goes to thread k mod threads: round r of every thread, then round r + 1.
    let next = 0;
    let done = 0;
    for (let from = 0; from < turns; from += every) {
      const until = Math.min(turns, from + every);
      const workers: Promise<void>[] = [];
      const bounded = async () => {
        while (next < until) {
          const k = next;
          next += 1;
          try {
            const out = await graph.invoke(INPUT, { configurable: { thread_id: `mem-${k % threads}` } });
            if (out.answer !== expected) errors += 1;
          } catch {
            errors += 1;
          }
          done += 1;
          if (done % 200 === 0) syn.clearRequests();
        }
      };
      for (let w = 0; w < concurrency; w += 1) workers.push(bounded());
      await Promise.all(workers);
      syn.clearRequests();
      samples.push(await sample(until, t0));
    }
    const result: MemoryChildResult = {
      saver: kind,
      turns,
      threads,
      concurrency,
      tokens,
      gcExposed: typeof (globalThis as { gc?: unknown }).gc === "function",
      errors,
      samples,
      storedBytes: saver?.storedBytes() ?? 0,
      storedCheckpoints: saver?.checkpoints() ?? 0,
      wallMs: now() - t0,
      load: load(),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    saver?.close();
    await syn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
