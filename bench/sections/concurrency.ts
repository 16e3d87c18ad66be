/**
 * 3. Concurrency: `threads` turns on as many threads, started at once, through the graph's
 * per-server limit (`BRUNO_CONCURRENCY`) against the synthetic model. Completed per second vs the
 * ideal (limit ÷ the bare single-request time measured just before, same process), vs bare
 * ChatOllama calls through a plain FIFO semaphore of the same limit, p99 queue wait (from the
 * resilience layer's `queued` events), the most requests the server saw at once, and errors.
 * A second run with the default queue (`BRUNO_QUEUE_SIZE` 32) shows the load shedding.
 */
import { MemorySaver } from "@langchain/langgraph";
import { isBrunoError } from "../../src/index.js";
import { Resilience } from "../../src/runtime/resilience.js";
import { benchConfig, benchGraph, INPUT, now, settle } from "../lib/fixtures.js";
import { percentile, roundSummary, summarize, type Summary } from "../lib/stats.js";
import type { ModelProfile, SyntheticOllama } from "../lib/synthetic.js";
import { bareFor } from "./overhead.js";

export interface ConcurrencyOptions {
  threads: number;
  limit: number;
  /** Sequential bare requests measuring the per-request time (after one warm-up). */
  baselineRuns: number;
  /** Also push the threads' worth of bare calls through a FIFO semaphore of the same limit (a second baseline). */
  bareSemaphoreRun: boolean;
  /** Also run with the default queue size, which sheds what does not fit. */
  defaultQueueRun: boolean;
}

export interface LoadRun {
  threads: number;
  limit: number;
  queueSize: number;
  completed: number;
  errors: number;
  errorCodes: Record<string, number>;
  wallMs: number;
  perSecond: number;
  /** Requests the server answered at the same time, at most. */
  maxInFlight: number;
  latency: Summary;
}

export interface ConcurrencyResult {
  profile: ModelProfile;
  /** Bare single-request time (median of `baselineRuns`): the per-request time of the ideal. */
  perRequestMs: number;
  perRequestRuns: Summary;
  /** limit ÷ per-request time. */
  idealPerSecond: number;
  bareSemaphore?: LoadRun | undefined;
  graph: LoadRun;
  /** graph.perSecond ÷ idealPerSecond. */
  ofIdeal: number;
  /** graph.perSecond ÷ bareSemaphore.perSecond (NaN without that run). */
  ofBare: number;
  /** Queue waits of every completed call (0 for calls that got a slot at once). */
  queueWait: Summary;
  /** The same quantile for a perfect FIFO of `limit` slots: call k waits floor(k / limit) × per-request time. */
  idealQueueWaitP99: number;
  /** Requests the server saw during the graph run, by path. */
  serverRequests: Record<string, number>;
  defaultQueue?: LoadRun | undefined;
}

function codeOf(error: unknown): string {
  return isBrunoError(error) ? error.code : error instanceof Error ? error.name : "UNKNOWN";
}

async function loadRun(syn: SyntheticOllama, threads: number, limit: number, queueSize: number, start: (i: number) => Promise<unknown>): Promise<LoadRun> {
  await settle();
  syn.server.resetStats();
  const errorCodes: Record<string, number> = {};
  const latencies: number[] = [];
  const t0 = now();
  const results = await Promise.allSettled(
    Array.from({ length: threads }, async (_, i) => {
      const s = now();
      await start(i);
      latencies.push(now() - s);
    }),
  );
  const wallMs = now() - t0;
  let completed = 0;
  for (const r of results) {
    if (r.status === "fulfilled") completed += 1;
    else errorCodes[codeOf(r.reason)] = (errorCodes[codeOf(r.reason)] ?? 0) + 1;
  }
  return {
    threads,
    limit,
    queueSize,
    completed,
    errors: threads - completed,
    errorCodes,
    wallMs,
    perSecond: completed / (wallMs / 1000),
    maxInFlight: syn.server.maxInFlight,
    latency: summarize(latencies),
  };
}

/** A FIFO semaphore, the plainest way to hold `limit` calls in flight. */
function semaphore(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await fn();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

export async function runConcurrency(syn: SyntheticOllama, profile: ModelProfile, options: ConcurrencyOptions): Promise<ConcurrencyResult> {
  syn.use(profile);
  const { threads, limit } = options;
  const probe = benchGraph(syn.url);
  const bare = await bareFor(syn, probe);
  const expected = syn.answer;
  const bareCall = async () => {
    const out = await bare.model.invoke(bare.messages);
    if (out.content !== expected) throw new Error("bare answer differs");
  };

  const single: number[] = [];
  for (let i = 0; i <= options.baselineRuns; i += 1) {
    const t0 = now();
    await bareCall();
    if (i > 0) single.push(now() - t0);
  }
  const perRequestRuns = summarize(single);
  const perRequestMs = perRequestRuns.p50;
  const idealPerSecond = limit / (perRequestMs / 1000);

  const gate = semaphore(limit);
  const bareSemaphore = options.bareSemaphoreRun ? await loadRun(syn, threads, limit, threads, () => gate(bareCall)) : undefined;

  const env = { BRUNO_CONCURRENCY: String(limit), BRUNO_QUEUE_SIZE: String(threads), BRUNO_QUEUE_TIMEOUT_MS: "3600000" };
  const config = benchConfig(syn.url, env);
  const resilience = new Resilience(config);
  const waits: number[] = [];
  resilience.subscribe((event) => {
    if (event.type === "queued") waits.push(event.waitMs);
  });
  const graph = benchGraph(syn.url, { env, checkpointer: new MemorySaver(), resilience });
  await graph.invoke(INPUT, { configurable: { thread_id: "concurrency-warmup" } });
  waits.length = 0;
  const mark = syn.server.requests.length;
  const graphRun = await loadRun(syn, threads, limit, threads, async (i) => {
    const out = await graph.invoke(INPUT, { configurable: { thread_id: `concurrency-${i}` } });
    if (out.answer !== expected) throw new Error("graph answer differs");
  });
  const serverRequests = syn.countRequests(mark);
  const allWaits = [...waits, ...Array.from({ length: Math.max(0, graphRun.completed - waits.length) }, () => 0)];
  const ideal = Array.from({ length: threads }, (_, k) => Math.floor(k / limit) * perRequestMs).sort((a, b) => a - b);

  let defaultQueue: LoadRun | undefined;
  if (options.defaultQueueRun) {
    const defaults = benchGraph(syn.url, { env: { BRUNO_CONCURRENCY: String(limit) }, checkpointer: new MemorySaver() });
    const queueSize = benchConfig(syn.url).concurrency.queueSize;
    defaultQueue = await loadRun(syn, threads, limit, queueSize, (i) => defaults.invoke(INPUT, { configurable: { thread_id: `default-queue-${i}` } }));
  }

  return {
    profile,
    perRequestMs,
    perRequestRuns,
    idealPerSecond,
    bareSemaphore,
    graph: graphRun,
    ofIdeal: graphRun.perSecond / idealPerSecond,
    ofBare: bareSemaphore ? graphRun.perSecond / bareSemaphore.perSecond : Number.NaN,
    queueWait: summarize(allWaits),
    idealQueueWaitP99: percentile(ideal, 99),
    serverRequests,
    defaultQueue,
  };
}

function loadJson(r: LoadRun): Record<string, unknown> {
  return { ...r, wallMs: Math.round(r.wallMs), perSecond: Math.round(r.perSecond * 1000) / 1000, latency: roundSummary(r.latency, 1) };
}

export function concurrencyJson(r: ConcurrencyResult): Record<string, unknown> {
  return {
    ...r,
    perRequestMs: Math.round(r.perRequestMs * 100) / 100,
    perRequestRuns: roundSummary(r.perRequestRuns, 2),
    idealPerSecond: Math.round(r.idealPerSecond * 1000) / 1000,
    bareSemaphore: r.bareSemaphore ? loadJson(r.bareSemaphore) : undefined,
    graph: loadJson(r.graph),
    ofIdeal: Math.round(r.ofIdeal * 10000) / 10000,
    ofBare: Number.isFinite(r.ofBare) ? Math.round(r.ofBare * 10000) / 10000 : null,
    queueWait: roundSummary(r.queueWait, 1),
    idealQueueWaitP99: Math.round(r.idealQueueWaitP99),
    defaultQueue: r.defaultQueue ? loadJson(r.defaultQueue) : undefined,
  };
}
