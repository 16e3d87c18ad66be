/**
 * 6. Memory: RSS and heap after `turns` turns over `threads` threads, for each checkpointer, each
 * in a fresh child process (`node --expose-gc --import tsx bench/memory-child.ts`), so one
 * checkpointer's garbage never counts against another. "Per turn" is the least-squares slope over
 * the second half of the run (after warm-up and JIT), from samples taken after two full GCs.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { MemoryChildResult, MemoryKind, MemorySample } from "../memory-child.js";
import { SAVER_LABEL } from "../lib/savers.js";

const LABEL: Record<MemoryKind, string> = { ...SAVER_LABEL, none: "no checkpointer (baseline)" };
import { round, slope } from "../lib/stats.js";

export interface MemoryOptions {
  kinds: MemoryKind[];
  turns: number;
  threads: number;
  concurrency: number;
  samples: number;
}

export interface MemoryResult {
  kind: MemoryKind;
  label: string;
  turns: number;
  threads: number;
  errors: number;
  wallMs: number;
  start: MemorySample;
  end: MemorySample;
  /** Bytes per turn over the second half of the run. */
  heapBytesPerTurn: number;
  rssBytesPerTurn: number;
  arrayBuffersBytesPerTurn: number;
  /** Bytes the checkpointer holds at the end (database file, or MemorySaver's serialized checkpoints). */
  storedBytes: number;
  storedCheckpoints: number;
  child: MemoryChildResult;
}

const CHILD = fileURLToPath(new URL("../memory-child.ts", import.meta.url));

function runChild(args: string[]): Promise<MemoryChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !line.startsWith("{")) {
        reject(new Error(`memory child ${args.join(" ")} exited with ${code}: ${err.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line) as MemoryChildResult);
    });
  });
}

export async function runMemory(options: MemoryOptions, progress: (text: string) => void): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  for (const kind of options.kinds) {
    progress(`memory: ${LABEL[kind]}, ${options.turns} turns over ${options.threads} threads (child process)`);
    const child = await runChild([
      "--saver",
      kind,
      "--turns",
      String(options.turns),
      "--threads",
      String(options.threads),
      "--concurrency",
      String(options.concurrency),
      "--samples",
      String(options.samples),
    ]);
    const half = child.samples.filter((s) => s.turn >= options.turns / 2);
    const xs = half.map((s) => s.turn);
    const perTurn = (pick: (s: MemorySample) => number) =>
      slope(
        xs,
        half.map((s) => pick(s) * 2 ** 20),
      );
    const start = child.samples[0] as MemorySample;
    const end = child.samples.at(-1) as MemorySample;
    results.push({
      kind,
      label: LABEL[kind],
      turns: child.turns,
      threads: child.threads,
      errors: child.errors,
      wallMs: child.wallMs,
      start,
      end,
      heapBytesPerTurn: perTurn((s) => s.heapUsedMb),
      rssBytesPerTurn: perTurn((s) => s.rssMb),
      arrayBuffersBytesPerTurn: perTurn((s) => s.arrayBuffersMb),
      storedBytes: child.storedBytes,
      storedCheckpoints: child.storedCheckpoints,
      child,
    });
  }
  return results;
}

function sampleJson(s: MemorySample): Record<string, number | null> {
  return {
    turn: s.turn,
    rssMb: round(s.rssMb, 1),
    heapUsedMb: round(s.heapUsedMb, 2),
    heapTotalMb: round(s.heapTotalMb, 1),
    externalMb: round(s.externalMb, 1),
    arrayBuffersMb: round(s.arrayBuffersMb, 1),
    elapsedMs: Math.round(s.elapsedMs),
  };
}

export function memoryJson(r: MemoryResult): Record<string, unknown> {
  return {
    kind: r.kind,
    label: r.label,
    turns: r.turns,
    threads: r.threads,
    concurrency: r.child.concurrency,
    tokensPerAnswer: r.child.tokens,
    errors: r.errors,
    wallMs: Math.round(r.wallMs),
    loadAtEnd: r.child.load,
    start: sampleJson(r.start),
    end: sampleJson(r.end),
    heapBytesPerTurn: round(r.heapBytesPerTurn, 1),
    rssBytesPerTurn: round(r.rssBytesPerTurn, 1),
    arrayBuffersBytesPerTurn: round(r.arrayBuffersBytesPerTurn, 1),
    storedBytes: r.storedBytes,
    storedCheckpoints: r.storedCheckpoints,
    samples: r.child.samples.map(sampleJson),
  };
}
