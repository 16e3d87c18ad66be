/**
 * 4. Cache: a repeated identical request vs the first, with the response cache on as a user
 * turns it on (`BRUNO_CACHE=auto` and a fixed `BRUNO_SEED`, so sampling is deterministic).
 *
 *   slow model   the first turn (a miss: the model answers) vs the repeats (hits), and how many
 *                requests reached the model (one);
 *   0 ms model   interleaved: a hit turn vs a turn of the same graph with the cache off calling the
 *                instant model, vs the bare ChatOllama call: what a hit costs as a whole turn;
 *   in the node  what answering from the cache costs where the model call would be: the cache key
 *                (a hash of the prompt) and the lookup, timed over many repetitions.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { profileFor } from "../../src/domain/profiles.js";
import { BoundedMemoryCache, responseCacheKey } from "../../src/runtime/responseCache.js";
import type { Generation } from "../../src/domain/index.js";
import { benchGraph, chars, INPUT, messagesFromBody, now, settle } from "../lib/fixtures.js";
import { roundSummary, summarize, type Summary } from "../lib/stats.js";
import type { ModelProfile, SyntheticOllama } from "../lib/synthetic.js";
import { bareFor } from "./overhead.js";

export interface CacheOptions {
  repeats: number;
  /** Interleaved iterations of the 0 ms comparison. */
  iterations: number;
  /** Repetitions of the in-node key + lookup timing. */
  lookups: number;
}

export interface CacheResult {
  env: Record<string, string>;
  slow: {
    profile: ModelProfile;
    identicalRequests: number;
    /** `/api/chat` requests the server saw for them (1 when every repeat was a hit). */
    modelCalls: number;
    firstMs: number;
    repeatMs: Summary;
    /** p50(repeat) ÷ first. */
    repeatOverFirst: number;
    /** The repeats' `modelsTried[0].message` says the answer came from the cache. */
    fromCache: number;
  };
  fast: {
    profile: ModelProfile;
    iterations: number;
    /** A graph turn answered from the cache. */
    hit: Summary;
    /** The same graph with the cache off, calling the instant model. */
    noCache: Summary;
    /** The bare ChatOllama call of the same request. */
    bare: Summary;
    /** Paired: hit − bare. */
    hitMinusBare: Summary;
    /** Paired: hit − no cache. */
    hitMinusNoCache: Summary;
    modelCallsDuringHits: number;
  };
  node: {
    lookups: number;
    promptChars: number;
    /** Key (sha-256 of the prompt) + lookup of a present entry, per hit. */
    hitUs: Summary;
  };
}

const CACHE_ENV = { BRUNO_CACHE: "auto", BRUNO_SEED: "7" };

export async function runCache(syn: SyntheticOllama, slowProfile: ModelProfile, fastProfile: ModelProfile, options: CacheOptions): Promise<CacheResult> {
  // Slow model: first vs repeats.
  syn.use(slowProfile);
  const graph = benchGraph(syn.url, { env: CACHE_ENV });
  let mark = syn.server.requests.length;
  const times: number[] = [];
  let fromCache = 0;
  for (let i = 0; i <= options.repeats; i += 1) {
    const t0 = now();
    const out = await graph.invoke(INPUT);
    times.push(now() - t0);
    if (i > 0 && out.modelsTried[0]?.message === "from the response cache") fromCache += 1;
  }
  const slowCalls = syn.countRequests(mark)["/api/chat"] ?? 0;
  const repeat = summarize(times.slice(1));

  // Instant model: a hit turn vs a miss turn vs the bare call, interleaved.
  syn.use(fastProfile);
  const hitGraph = benchGraph(syn.url, { env: CACHE_ENV });
  const offGraph = benchGraph(syn.url, { env: { ...CACHE_ENV, BRUNO_CACHE: "off" } });
  const bare = await bareFor(syn, offGraph);
  const { body } = bare;
  await hitGraph.invoke(INPUT);
  for (let i = 0; i < 10; i += 1) {
    await hitGraph.invoke(INPUT);
    await offGraph.invoke(INPUT);
    await bare.model.invoke(bare.messages);
  }
  await settle();
  const hit: number[] = [];
  const off: number[] = [];
  const bareTimes: number[] = [];
  let hitCalls = 0;
  for (let i = 0; i < options.iterations; i += 1) {
    const order = [0, 1, 2].map((k) => (i + k) % 3);
    for (const v of order) {
      const before = syn.server.requests.length;
      const t0 = now();
      if (v === 0) await hitGraph.invoke(INPUT);
      else if (v === 1) await offGraph.invoke(INPUT);
      else await bare.model.invoke(bare.messages);
      const elapsed = now() - t0;
      if (v === 0) {
        hit.push(elapsed);
        hitCalls += syn.countRequests(before)["/api/chat"] ?? 0;
      } else if (v === 1) off.push(elapsed);
      else bareTimes.push(elapsed);
    }
  }

  // In the node: key + lookup on the real prompt.
  const messages: BaseMessage[] = messagesFromBody(body);
  const profile = profileFor("troubleshooting");
  const cache = new BoundedMemoryCache<Generation>({ maxEntries: 256, ttlMs: 3_600_000 });
  const seed = Number(CACHE_ENV.BRUNO_SEED);
  const key = responseCacheKey(body.model, messages, profile, 8192, seed);
  await cache.update(key.prompt, key.llmKey, { text: "cached", model: body.model } as unknown as Generation);
  const lookupUs: number[] = [];
  for (let i = 0; i < options.lookups; i += 1) {
    const t0 = now();
    const k = responseCacheKey(body.model, messages, profile, 8192, seed);
    const found = await cache.lookup(k.prompt, k.llmKey);
    const elapsed = now() - t0;
    if (!found) throw new Error("the in-node cache timing missed its own entry");
    lookupUs.push(elapsed * 1000);
  }

  return {
    env: CACHE_ENV,
    slow: {
      profile: slowProfile,
      identicalRequests: options.repeats + 1,
      modelCalls: slowCalls,
      firstMs: times[0] ?? Number.NaN,
      repeatMs: repeat,
      repeatOverFirst: repeat.p50 / (times[0] ?? Number.NaN),
      fromCache,
    },
    fast: {
      profile: fastProfile,
      iterations: options.iterations,
      hit: summarize(hit),
      noCache: summarize(off),
      bare: summarize(bareTimes),
      hitMinusBare: summarize(hit.map((h, i) => h - (bareTimes[i] as number))),
      hitMinusNoCache: summarize(hit.map((h, i) => h - (off[i] as number))),
      modelCallsDuringHits: hitCalls,
    },
    node: { lookups: options.lookups, promptChars: chars(body), hitUs: summarize(lookupUs.slice(Math.floor(options.lookups / 10))) },
  };
}

export function cacheJson(r: CacheResult): Record<string, unknown> {
  return {
    ...r,
    slow: { ...r.slow, firstMs: Math.round(r.slow.firstMs * 1000) / 1000, repeatMs: roundSummary(r.slow.repeatMs), repeatOverFirst: Math.round(r.slow.repeatOverFirst * 10000) / 10000 },
    fast: {
      ...r.fast,
      hit: roundSummary(r.fast.hit),
      noCache: roundSummary(r.fast.noCache),
      bare: roundSummary(r.fast.bare),
      hitMinusBare: roundSummary(r.fast.hitMinusBare),
      hitMinusNoCache: roundSummary(r.fast.hitMinusNoCache),
    },
    node: { ...r.node, hitUs: roundSummary(r.node.hitUs) },
  };
}
