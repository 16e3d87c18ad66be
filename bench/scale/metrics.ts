/**
 * What the replicas that are still up counted during the run, read from their `/metrics`
 * (Prometheus text): the same model tried on the other host after a failure, fallbacks to another
 * model, retries, failed model calls, and the time model calls waited for a bulkhead slot.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { round } from "../lib/stats.js";
import type { TurnRecord } from "./load.js";
import type { Service } from "./topology.js";

export interface ReplicaCounters {
  /** How many replicas answered `/metrics`. */
  replicas: number;
  failovers: number;
  fallbacks: number;
  retries: number;
  modelCallErrors: number;
  /** Mean wait for a bulkhead slot, in ms, over the calls that waited or went straight through. */
  meanQueueWaitMs: number | null;
}

/** The sum over every series of `name` (all labels) in Prometheus text. */
export function sumOf(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] === name) total += Number(match[3]) || 0;
  }
  return total;
}

/** Sums the counters of every live replica in `replicas` (killed ones took theirs with them). */
export async function replicaCounters(replicas: readonly Service[]): Promise<ReplicaCounters> {
  const texts: string[] = [];
  for (const r of replicas.filter((s) => s.killedAt === undefined)) {
    try {
      const res = await fetch(`${r.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) texts.push(await res.text());
    } catch {
      // not answering: left out of the sums
    }
  }
  const sum = (name: string): number => texts.reduce((total, text) => total + sumOf(text, name), 0);
  const waits = sum("bruno_queue_wait_seconds_count");
  return {
    replicas: texts.length,
    failovers: sum("bruno_failovers_total"),
    fallbacks: sum("bruno_fallbacks_total"),
    retries: sum("bruno_retries_total"),
    modelCallErrors: sum("ollama_errors_total"),
    meanQueueWaitMs: waits > 0 ? round((sum("bruno_queue_wait_seconds_sum") / waits) * 1000, 1) : null,
  };
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system) a process has used so far, in ms, from /proc; undefined once it is gone or off Linux. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU time of the whole machine so far (all cores), in ms. */
export function machineCpuMs(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    busy += all - times.idle;
    total += all;
  }
  return { busy, total };
}

export interface CpuFigures {
  /** Share of the machine's CPU (all cores) busy during the baseline and during the load. */
  baselineBusyPct: number;
  loadBusyPct: number;
  /** CPU time of a replica process per turn it answered (replicas that lived to the end). */
  replicaCpuMsPerTurn: number | null;
}

export function cpuFigures(
  records: readonly TurnRecord[],
  baseline: ReturnType<typeof machineCpuMs>,
  load: ReturnType<typeof machineCpuMs>,
  before: (number | undefined)[],
  after: (number | undefined)[],
): CpuFigures {
  const end = machineCpuMs();
  const pct = (from: { busy: number; total: number }, to: { busy: number; total: number }): number => Math.round(((to.busy - from.busy) / Math.max(1, to.total - from.total)) * 1000) / 10;
  let used = 0;
  let turns = 0;
  after.forEach((ms, i) => {
    const start = before[i];
    if (ms === undefined || start === undefined) return;
    used += ms - start;
    turns += records.filter((r) => r.outcome === "answered" && r.attempts.at(-1)?.replica === i).length;
  });
  return { baselineBusyPct: pct(baseline, load), loadBusyPct: pct(load, end), replicaCpuMsPerTurn: turns > 0 ? Math.round((used / turns) * 10) / 10 : null };
}

export function cpuLine(c: CpuFigures): string {
  const perTurn = c.replicaCpuMsPerTurn === null ? "" : `; a replica spent ${c.replicaCpuMsPerTurn} ms of CPU per turn it answered`;
  return `CPU of the whole machine busy: ${c.baselineBusyPct} % during the baseline, ${c.loadBusyPct} % during the load${perTurn}.`;
}
