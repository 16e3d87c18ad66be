import { BaseCache } from "@langchain/core/caches";
import { createHash } from "node:crypto";
import type { BaseMessage } from "@langchain/core/messages";
import type { Generation } from "../domain/index.js";
import { systemClock, type Clock } from "./clock.js";
import type { GenerationProfile } from "../domain/profiles.js";

/** When answers are reused: never, only for deterministic sampling (temperature 0 or a seed), or always. */
export type CacheMode = "off" | "auto" | "always";

/**
 * A bounded in-memory cache behind LangChain's `BaseCache` interface: least recently used
 * entries go first past `maxEntries`, and entries expire after `ttlMs`.
 */
export class BoundedMemoryCache<T> extends BaseCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(options: { maxEntries: number; ttlMs: number; clock?: Clock }) {
    super();
    this.maxEntries = options.maxEntries;
    this.ttlMs = options.ttlMs;
    this.clock = options.clock ?? systemClock;
  }

  private static key(prompt: string, llmKey: string): string {
    return `${llmKey}\u0000${prompt}`;
  }

  async lookup(prompt: string, llmKey: string): Promise<T | null> {
    const key = BoundedMemoryCache.key(prompt, llmKey);
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return null;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  async update(prompt: string, llmKey: string, value: T): Promise<void> {
    const key = BoundedMemoryCache.key(prompt, llmKey);
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.clock.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Entries held now (expired ones included until looked up). */
  get size(): number {
    return this.entries.size;
  }
}

/** Whether a call with these settings may be answered from the cache. */
export function cacheable(mode: CacheMode, profile: GenerationProfile, seed: number | undefined): boolean {
  switch (mode) {
    case "off":
      return false;
    case "always":
      return true;
    case "auto":
      return profile.temperature === 0 || seed !== undefined;
  }
}

/** The cache key parts of one model call: the model and every setting that changes its answer. */
export function responseCacheKey(model: string, messages: readonly BaseMessage[], profile: GenerationProfile, numCtx: number, seed: number | undefined): { prompt: string; llmKey: string } {
  const prompt = createHash("sha256")
    .update(JSON.stringify(messages.map((m) => [m.getType(), m.content])))
    .digest("hex");
  const llmKey = JSON.stringify({ model, numCtx, seed: seed ?? null, ...profile });
  return { prompt, llmKey };
}

export type ResponseCache = BaseCache<Generation>;
