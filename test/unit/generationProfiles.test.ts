import { describe, expect, it } from "vitest";
import type { QueryType } from "../../src/domain/index.js";
import { ALL_QUERY_TYPES as QUERY_TYPES } from "./queryTypes.js";
import { CODE_STOP_SEQUENCES, GENERATION_PROFILES, profileFor, type GenerationProfile } from "../../src/domain/profiles.js";

type Expected = Pick<GenerationProfile, "name" | "temperature" | "topP" | "maxTokens">;
const TROUBLESHOOTING: Expected = { name: "troubleshooting", temperature: 0.3, topP: 0.9, maxTokens: 1500 };
const CODE: Expected = { name: "code", temperature: 0.5, topP: 0.95, maxTokens: 2000 };
const EXPLANATION: Expected = { name: "explanation", temperature: 0.7, topP: 0.9, maxTokens: 2000 };
const CHAT: Expected = { name: "chat", temperature: 0.8, topP: 0.95, maxTokens: 1000 };

const TABLE: Record<QueryType, Expected> = {
  troubleshooting: TROUBLESHOOTING,
  debug_issue: TROUBLESHOOTING,
  lookup_runbook: TROUBLESHOOTING,
  code_generation: CODE,
  code_review: CODE,
  explanation: EXPLANATION,
  chat: CHAT,
};

describe("profileFor", () => {
  it.each(QUERY_TYPES.map((t) => [t, TABLE[t]] as const))("%s → %o", (type, expected) => {
    const profile = profileFor(type);
    expect(profile).toMatchObject(expected);
    expect(profile.topK).toBe(40);
    expect(profile.repeatPenalty).toBe(1.1);
    if (expected.name === "code") {
      expect(profile.stop).toEqual(CODE_STOP_SEQUENCES);
      expect(profile.stop.length).toBeGreaterThan(0);
    } else {
      expect(profile.stop).toEqual([]);
    }
  });

  it("every profile is used by some query type", () => {
    const used = new Set(QUERY_TYPES.map((t) => profileFor(t).name));
    expect([...used].sort()).toEqual(Object.keys(GENERATION_PROFILES).sort());
  });

  it.each(Object.entries(GENERATION_PROFILES))("profile %s is keyed by its own name and has sane ranges", (key, profile) => {
    expect(profile.name).toBe(key);
    expect(profile.temperature).toBeGreaterThan(0);
    expect(profile.temperature).toBeLessThanOrEqual(1);
    expect(profile.topP).toBeGreaterThan(0);
    expect(profile.topP).toBeLessThanOrEqual(1);
    expect(Number.isInteger(profile.maxTokens)).toBe(true);
  });

  it("code stop sequences are end-of-turn markers", () => {
    expect(CODE_STOP_SEQUENCES).toEqual(expect.arrayContaining(["<|EOT|>", "<|end_of_text|>"]));
    for (const s of CODE_STOP_SEQUENCES) expect(s.trim()).not.toBe("");
  });
});
