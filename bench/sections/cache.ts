/**
 * 4. Cache: a repeated identical request vs the first. The graph has no response cache yet, so
 * this reports "not implemented" and, as evidence, how many of the identical requests still
 * reached the model (all of them) and what a repeat costs relative to the first.
 */
import { benchGraph, INPUT, now } from "../lib/fixtures.js";
import { roundSummary, summarize, type Summary } from "../lib/stats.js";
import type { ModelProfile, SyntheticOllama } from "../lib/synthetic.js";

export interface CacheResult {
  implemented: false;
  note: string;
  profile: ModelProfile;
  identicalRequests: number;
  /** `/api/chat` requests the server saw for them. */
  modelCalls: number;
  firstMs: number;
  repeatMs: Summary;
  /** p50(repeat) ÷ first. */
  repeatOverFirst: number;
}

export async function runCache(syn: SyntheticOllama, profile: ModelProfile, repeats: number): Promise<CacheResult> {
  syn.use(profile);
  const graph = benchGraph(syn.url);
  await graph.invoke({ ...INPUT, query: `${INPUT.query} (warm-up)` });
  const mark = syn.server.requests.length;
  const times: number[] = [];
  for (let i = 0; i <= repeats; i += 1) {
    const t0 = now();
    await graph.invoke(INPUT);
    times.push(now() - t0);
  }
  const modelCalls = syn.countRequests(mark)["/api/chat"] ?? 0;
  const repeat = summarize(times.slice(1));
  return {
    implemented: false,
    note: "no response cache in the graph: every identical request is generated again by the model",
    profile,
    identicalRequests: repeats + 1,
    modelCalls,
    firstMs: times[0] ?? Number.NaN,
    repeatMs: repeat,
    repeatOverFirst: repeat.p50 / (times[0] ?? Number.NaN),
  };
}

export function cacheJson(r: CacheResult): Record<string, unknown> {
  return { ...r, firstMs: Math.round(r.firstMs * 1000) / 1000, repeatMs: roundSummary(r.repeatMs), repeatOverFirst: Math.round(r.repeatOverFirst * 1000) / 1000 };
}
