/** Checkpointers under test, and a wrapper that times every call the graph makes to them. */
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { statSync } from "node:fs";
import { now } from "./fixtures.js";

export type SaverKind = "memory" | "sqlite" | "sqlite-sync-normal";

export const SAVER_LABEL: Record<SaverKind, string> = {
  memory: "MemorySaver",
  sqlite: "SqliteSaver",
  "sqlite-sync-normal": "SqliteSaver, synchronous=NORMAL",
};

/** A checkpointer and how the graph is invoked with it. */
export interface CheckpointVariant {
  id: string;
  label: string;
  kind: SaverKind;
  /** LangGraph's `durability` invoke option; the graph's default ("exit": one checkpoint per turn) when unset. */
  durability?: "exit" | "async" | "sync";
  /** Not how the project runs today: a measured alternative. */
  whatIf: boolean;
}

export const CHECKPOINT_VARIANTS: Record<string, CheckpointVariant> = {
  memory: { id: "memory", label: "MemorySaver", kind: "memory", whatIf: false },
  sqlite: { id: "sqlite", label: "SqliteSaver", kind: "sqlite", whatIf: false },
  "sqlite-async": { id: "sqlite-async", label: "SqliteSaver, durability async (a checkpoint per step)", kind: "sqlite", durability: "async", whatIf: true },
  "sqlite-normal": { id: "sqlite-normal", label: "SqliteSaver, synchronous=NORMAL (what-if)", kind: "sqlite-sync-normal", whatIf: true },
};

export interface Saver {
  kind: SaverKind;
  saver: BaseCheckpointSaver;
  /** Bytes the saver holds: the database file (+ WAL) or MemorySaver's serialized checkpoints and writes. */
  storedBytes(): number;
  /** Checkpoints stored (all threads). */
  checkpoints(): number;
  close(): void;
}

/**
 * `sqlite` is what `bruno --db` uses (`SqliteSaver.fromConnString`, WAL, the driver's default
 * `synchronous=FULL`); `sqlite-sync-normal` is the same with `PRAGMA synchronous=NORMAL` (no fsync
 * per commit in WAL mode), to show what that setting costs.
 */
export function createSaver(kind: SaverKind, file: string): Saver {
  if (kind === "memory") {
    const saver = new MemorySaver();
    return {
      kind,
      saver,
      storedBytes: () => memoryBytes(saver),
      checkpoints: () => memoryCheckpoints(saver),
      close: () => undefined,
    };
  }
  const saver = SqliteSaver.fromConnString(file);
  // synchronous is per connection; the saver sets journal_mode=WAL itself on first use.
  if (kind === "sqlite-sync-normal") saver.db.pragma("synchronous = NORMAL");
  const fileBytes = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return {
    kind,
    saver,
    storedBytes: () => fileBytes(file) + fileBytes(`${file}-wal`),
    checkpoints: () => (saver.db.prepare("SELECT count(*) AS n FROM checkpoints").get() as { n: number }).n,
    close: () => saver.db.close(),
  };
}

function memoryBytes(saver: MemorySaver): number {
  let bytes = 0;
  for (const byNs of Object.values(saver.storage)) {
    for (const byId of Object.values(byNs)) {
      for (const [checkpoint, metadata] of Object.values(byId)) bytes += checkpoint.byteLength + metadata.byteLength;
    }
  }
  for (const byTask of Object.values(saver.writes)) {
    for (const [, , value] of Object.values(byTask)) bytes += value.byteLength;
  }
  return bytes;
}

function memoryCheckpoints(saver: MemorySaver): number {
  let n = 0;
  for (const byNs of Object.values(saver.storage)) for (const byId of Object.values(byNs)) n += Object.keys(byId).length;
  return n;
}

/** Time spent in checkpointer calls since the last `take()`. */
export interface SaverMeter {
  take(): { ms: number; calls: number; byMethod: Record<string, { ms: number; calls: number }> };
}

type Timed = "getTuple" | "put" | "putWrites";

/**
 * Wraps the saver's methods the graph awaits (`getTuple`, `put`, `putWrites`) to add up the time
 * from each call to its settlement. The saver itself is unchanged (same instance, same class).
 */
export function meterSaver(saver: BaseCheckpointSaver): SaverMeter {
  let acc: Record<string, { ms: number; calls: number }> = {};
  const wrap = <K extends Timed>(name: K) => {
    const original = saver[name].bind(saver) as (...args: unknown[]) => Promise<unknown>;
    const timed = async (...args: unknown[]): Promise<unknown> => {
      const t0 = now();
      try {
        return await original(...args);
      } finally {
        const entry = (acc[name] ??= { ms: 0, calls: 0 });
        entry.ms += now() - t0;
        entry.calls += 1;
      }
    };
    (saver as unknown as Record<K, unknown>)[name] = timed;
  };
  wrap("getTuple");
  wrap("put");
  wrap("putWrites");
  return {
    take() {
      const byMethod = acc;
      acc = {};
      const values = Object.values(byMethod);
      return { ms: values.reduce((s, v) => s + v.ms, 0), calls: values.reduce((s, v) => s + v.calls, 0), byMethod };
    },
  };
}
