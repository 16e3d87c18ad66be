import { describe, expect, it } from "vitest";
import { z } from "zod";
import { thrown } from "../support/thrown.js";
import { CatalogOverride, DEFAULT_CATALOG, ModelCatalog, fallbackChain, findModel, mergeCatalog, sameModelTag, type CatalogModel } from "../../src/domain/catalog.js";

const model = (tag: string, fallbacks: string[] = [], speedTier: CatalogModel["speedTier"] = "standard"): CatalogModel => ({
  tag,
  contextLength: 4096,
  speedTier,
  fallbacks,
});

const catalogOf = (models: CatalogModel[]): ModelCatalog => {
  const first = models[0]?.tag ?? "a";
  return { models, routes: { code: first, sre: first, fast: first, general: first } };
};

describe("fallbackChain", () => {
  it.each<[string, string[]]>([
    ["deepseek-coder:33b", ["deepseek-coder:33b", "codellama:34b", "llama3.1:8b", "llama3.2:3b"]],
    ["sre-agent:v1.0", ["sre-agent:v1.0", "llama3.1:8b", "llama3.2:3b"]],
    ["codellama:34b", ["codellama:34b", "llama3.1:8b", "llama3.2:3b"]],
    ["llama3.1:70b", ["llama3.1:70b", "llama3.1:8b", "llama3.2:3b"]],
    ["llama3.1:8b", ["llama3.1:8b", "llama3.2:3b"]],
    ["llama3.2:3b", ["llama3.2:3b"]],
    ["not-in-catalog:1b", ["not-in-catalog:1b"]],
  ])("DEFAULT_CATALOG %s → %j", (primary, chain) => {
    expect(fallbackChain(DEFAULT_CATALOG, primary)).toEqual(chain);
  });

  it.each<[string, CatalogModel[], string, string[]]>([
    ["breadth first", [model("a", ["b", "c"]), model("b", ["d"]), model("c", ["e"]), model("d"), model("e")], "a", ["a", "b", "c", "d", "e"]],
    ["two-model cycle terminates", [model("a", ["b"]), model("b", ["a"])], "a", ["a", "b"]],
    ["self loop terminates", [model("a", ["a"])], "a", ["a"]],
    ["longer cycle terminates", [model("a", ["b"]), model("b", ["c"]), model("c", ["a", "b"])], "a", ["a", "b", "c"]],
    ["starting inside a cycle", [model("a", ["b"]), model("b", ["c"]), model("c", ["a"])], "b", ["b", "c", "a"]],
    ["shared fallback appears once", [model("a", ["b", "c"]), model("b", ["z"]), model("c", ["z"]), model("z")], "a", ["a", "b", "c", "z"]],
    ["repeated fallback appears once", [model("a", ["b", "b", "a"]), model("b")], "a", ["a", "b"]],
  ])("%s", (_name, models, primary, chain) => {
    const result = fallbackChain(catalogOf(models), primary);
    expect(result).toEqual(chain);
    expect(new Set(result).size).toBe(result.length);
  });
});

describe("findModel", () => {
  it.each<[string, boolean]>([
    ["llama3.1:8b", true],
    ["llama3.1", false],
    ["", false],
  ])("%j found: %s", (tag, found) => {
    expect(findModel(DEFAULT_CATALOG, tag)?.tag).toBe(found ? tag : undefined);
  });
});

describe("mergeCatalog", () => {
  it("adds a model and reroutes one role, keeping the other routes", () => {
    const merged = mergeCatalog(DEFAULT_CATALOG, {
      models: [model("qwen2.5:0.5b", ["llama3.2:3b"], "fast")],
      routes: { fast: "qwen2.5:0.5b" },
    });
    expect(merged.routes).toEqual({ ...DEFAULT_CATALOG.routes, fast: "qwen2.5:0.5b" });
    expect(merged.models.map((m) => m.tag)).toEqual([...DEFAULT_CATALOG.models.map((m) => m.tag), "qwen2.5:0.5b"]);
  });

  it("replaces a model with the same tag in place", () => {
    const merged = mergeCatalog(DEFAULT_CATALOG, { models: [{ ...model("llama3.1:8b"), contextLength: 32768 }] });
    expect(merged.models).toHaveLength(DEFAULT_CATALOG.models.length);
    expect(merged.models.map((m) => m.tag)).toEqual(DEFAULT_CATALOG.models.map((m) => m.tag));
    expect(findModel(merged, "llama3.1:8b")?.contextLength).toBe(32768);
    expect(findModel(merged, "llama3.1:8b")?.fallbacks).toEqual([]);
  });

  it("an empty override returns an equal catalog and does not mutate the base", () => {
    const before = structuredClone(DEFAULT_CATALOG);
    expect(mergeCatalog(DEFAULT_CATALOG, {})).toEqual(DEFAULT_CATALOG);
    mergeCatalog(DEFAULT_CATALOG, { models: [model("x:1")], routes: { general: "x:1" } });
    expect(DEFAULT_CATALOG).toEqual(before);
  });

  it.each<[string, CatalogOverride, Array<string | number>, RegExp]>([
    ["route to an unknown tag", { routes: { fast: "nope:1b" } }, ["routes", "fast"], /nope:1b/],
    ["code route to an unknown tag", { routes: { code: "ghost" } }, ["routes", "code"], /ghost/],
    ["fallback to an unknown tag", { models: [model("x:1", ["llama3.2:3b", "nope:1b"])] }, ["models", DEFAULT_CATALOG.models.length, "fallbacks", 1], /nope:1b/],
    ["replaced model with unknown fallback", { models: [model("llama3.1:8b", ["ghost"])] }, ["models", 4, "fallbacks", 0], /ghost/],
  ])("rejects %s with a ZodError naming the path", (_name, override, path, message) => {
    const error = thrown(() => mergeCatalog(DEFAULT_CATALOG, override));
    expect(error).toBeInstanceOf(z.ZodError);
    const issues = (error as z.ZodError).issues;
    expect(issues.map((i) => i.path)).toContainEqual(path);
    expect(issues.map((i) => i.message).join("\n")).toMatch(message);
  });

  it("rejects an invalid model shape", () => {
    const bad = { ...model("x:1"), contextLength: -1 };
    expect(() => mergeCatalog(DEFAULT_CATALOG, { models: [bad] })).toThrow(z.ZodError);
  });
});

describe("CatalogOverride", () => {
  it.each<[string, unknown, boolean]>([
    ["empty", {}, true],
    ["routes only, partial", { routes: { fast: "x" } }, true],
    ["model without fallbacks gets []", { models: [{ tag: "x:1", contextLength: 1, speedTier: "fast" }] }, true],
    ["unknown speed tier", { models: [{ tag: "x:1", contextLength: 1, speedTier: "warp" }] }, false],
    ["empty tag", { models: [{ tag: "", contextLength: 1, speedTier: "fast" }] }, false],
    ["fractional context length", { models: [{ tag: "x", contextLength: 1.5, speedTier: "fast" }] }, false],
    ["empty route", { routes: { fast: "" } }, false],
  ])("%s → valid %s", (_name, input, valid) => {
    const parsed = CatalogOverride.safeParse(input);
    expect(parsed.success).toBe(valid);
  });

  it("fills fallbacks with []", () => {
    const parsed = CatalogOverride.parse({ models: [{ tag: "x:1", contextLength: 1, speedTier: "fast" }] });
    expect(parsed.models?.[0]?.fallbacks).toEqual([]);
  });
});

describe("sameModelTag", () => {
  it.each<[string, string, boolean]>([
    ["llama3", "llama3:latest", true],
    ["llama3:latest", "llama3", true],
    ["llama3", "llama3", true],
    ["llama3.1:8b", "llama3.1:8b", true],
    ["llama3:8b", "llama3", false],
    ["llama3:8b", "llama3:latest", false],
    ["llama3.1:8b", "llama3.1:70b", false],
    ["llama3", "llama3.1", false],
    ["team/sre-agent", "team/sre-agent:latest", true],
  ])("%j vs %j → %s", (a, b, same) => {
    expect(sameModelTag(a, b)).toBe(same);
    expect(sameModelTag(b, a)).toBe(same);
  });

  it("a registry host with a port still gets :latest", () => {
    expect(sameModelTag("localhost:5000/sre-agent", "localhost:5000/sre-agent:latest")).toBe(true);
  });
});

describe("DEFAULT_CATALOG", () => {
  it("validates against ModelCatalog", () => {
    expect(ModelCatalog.safeParse(DEFAULT_CATALOG).success).toBe(true);
    expect(ModelCatalog.parse(DEFAULT_CATALOG)).toEqual(DEFAULT_CATALOG);
  });

  const LIBRARY_TAGS = new Set(["deepseek-coder:33b", "codellama:34b", "llama3.1:70b", "llama3.1:8b", "llama3.2:3b"]);
  it.each(DEFAULT_CATALOG.models.map((m) => [m.tag] as const))("%s is a well-formed name:tag", (tag) => {
    expect(tag).toMatch(/^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*$/);
    if (tag !== "sre-agent:v1.0") expect(LIBRARY_TAGS.has(tag)).toBe(true);
  });

  it("has unique tags", () => {
    const tags = DEFAULT_CATALOG.models.map((m) => m.tag);
    expect(new Set(tags).size).toBe(tags.length);
  });

  it.each(Object.entries(DEFAULT_CATALOG.routes))("route %s names a catalog model (%s)", (_role, tag) => {
    expect(findModel(DEFAULT_CATALOG, tag)).toBeDefined();
  });

  it("the fast route points at a fast model", () => {
    expect(findModel(DEFAULT_CATALOG, DEFAULT_CATALOG.routes.fast)?.speedTier).toBe("fast");
  });

  it.each(DEFAULT_CATALOG.models.map((m) => [m.tag] as const))("every chain from %s ends at the fast model", (tag) => {
    expect(fallbackChain(DEFAULT_CATALOG, tag).at(-1)).toBe(DEFAULT_CATALOG.routes.fast);
  });
});
