/**
 * What the replicas that are still up counted during the run, read from their `/metrics`
 * (Prometheus text): the same model tried on the other host after a failure, fallbacks to another
 * model, retries, failed model calls, and the time model calls waited for a bulkhead slot.
 */
import { round } from "../lib/stats.js";
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
