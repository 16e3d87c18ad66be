/**
 * Generation profiles by what they do to an answer: code stops at end-of-turn markers, chat is
 * sampled hotter than troubleshooting, each query type reaches a profile, a template and a route
 * through the one traits table.
 */
import { describe, expect, it } from "vitest";
import { QUERY_TYPE_TRAITS, QUERY_TYPES, type QueryType } from "../../src/domain/queryTypes.js";
import { GENERATION_PROFILES, profileFor } from "../../src/domain/profiles.js";
import { TEMPLATE_INSTRUCTIONS, templateFor } from "../../src/prompts/instructions.js";
import { classifyRequiresCode } from "../../src/tools/classifier.js";
import { routeRole } from "../../src/tools/router.js";

const CODE_TYPES: readonly QueryType[] = ["code_generation", "code_review"];
const PROSE_TYPES = QUERY_TYPES.filter((t) => !CODE_TYPES.includes(t));

describe("what a profile does to an answer", () => {
  it.each(CODE_TYPES)("%s answers stop at the end-of-turn markers code models leak", (type) => {
    expect(profileFor(type).stop).toEqual(expect.arrayContaining(["<|EOT|>", "<|end_of_text|>"]));
    for (const s of profileFor(type).stop) expect(s.trim()).not.toBe("");
  });

  it.each(PROSE_TYPES)("%s answers are not cut by stop sequences", (type) => {
    expect(profileFor(type).stop).toEqual([]);
  });

  it("chat is sampled hotter than troubleshooting, and troubleshooting is the coolest of all", () => {
    expect(profileFor("chat").temperature).toBeGreaterThan(profileFor("troubleshooting").temperature);
    for (const type of QUERY_TYPES) expect(profileFor(type).temperature).toBeGreaterThanOrEqual(profileFor("troubleshooting").temperature);
  });

  it("an explanation is sampled hotter than code and cooler than chat", () => {
    expect(profileFor("explanation").temperature).toBeGreaterThan(profileFor("code_generation").temperature);
    expect(profileFor("explanation").temperature).toBeLessThan(profileFor("chat").temperature);
  });

  it("chat replies are the shortest; code and explanations get room for longer answers than troubleshooting", () => {
    for (const type of QUERY_TYPES) expect(profileFor(type).maxTokens).toBeGreaterThanOrEqual(profileFor("chat").maxTokens);
    expect(profileFor("chat").maxTokens).toBeLessThan(profileFor("troubleshooting").maxTokens);
    expect(profileFor("code_review").maxTokens).toBeGreaterThan(profileFor("troubleshooting").maxTokens);
    expect(profileFor("explanation").maxTokens).toBeGreaterThan(profileFor("troubleshooting").maxTokens);
  });

  it("the three SRE query types are generated alike", () => {
    expect(profileFor("debug_issue")).toBe(profileFor("troubleshooting"));
    expect(profileFor("lookup_runbook")).toBe(profileFor("troubleshooting"));
  });

  it("only temperature, top_p, length and stops vary by use case: top_k and repeat penalty are shared", () => {
    const profiles = Object.values(GENERATION_PROFILES);
    expect(new Set(profiles.map((p) => p.topK)).size).toBe(1);
    expect(new Set(profiles.map((p) => p.repeatPenalty)).size).toBe(1);
  });

  it.each(Object.entries(GENERATION_PROFILES))("profile %s is keyed by its own name and within Ollama's ranges", (key, profile) => {
    expect(profile.name).toBe(key);
    expect(profile.temperature).toBeGreaterThan(0);
    expect(profile.temperature).toBeLessThanOrEqual(1);
    expect(profile.topP).toBeGreaterThan(0);
    expect(profile.topP).toBeLessThanOrEqual(1);
    expect(Number.isInteger(profile.maxTokens)).toBe(true);
    expect(profile.maxTokens).toBeGreaterThan(0);
  });

  it("every profile is used by some query type", () => {
    const used = new Set(QUERY_TYPES.map((t) => profileFor(t).name));
    expect([...used].sort()).toEqual(Object.keys(GENERATION_PROFILES).sort());
  });
});

describe("QUERY_TYPE_TRAITS is the one place a query type is mapped", () => {
  it("has a row for every query type and nothing else", () => {
    expect(Object.keys(QUERY_TYPE_TRAITS).sort()).toEqual([...QUERY_TYPES].sort());
  });

  it.each(QUERY_TYPES)("%s gets its profile, template, route and code need from its row", (type) => {
    const traits = QUERY_TYPE_TRAITS[type];
    expect(profileFor(type)).toBe(GENERATION_PROFILES[traits.profile]);
    expect(templateFor(type)).toBe(traits.template);
    expect(TEMPLATE_INSTRUCTIONS[templateFor(type)]).toMatch(/^Task: /);
    // A query with no code request: only the type decides whether the answer needs code.
    expect(classifyRequiresCode("hello", type)).toBe(traits.needsCode);
    const role = routeRole({ queryType: type, complexity: "complex", requiresCode: classifyRequiresCode("hello", type) }).role;
    expect(role).toBe(traits.needsCode ? "code" : traits.sreWork ? "sre" : "general");
  });
});
