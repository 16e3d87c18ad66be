/** Small context windows: the answer's reserve scales to the window, and an overflow names the setting that helps. */
import { describe, expect, it } from "vitest";
import { DEFAULT_CATALOG, mergeCatalog } from "../../src/domain/catalog.js";
import { isAllModelsFailedError } from "../../src/index.js";
import { GROUNDED_1, LOKI_DOCS, makeGraph, rejectionOf } from "./helpers.js";

const SMALL = mergeCatalog(DEFAULT_CATALOG, { models: DEFAULT_CATALOG.models.map((m) => ({ ...m, contextLength: 2048 })) });
const SRE = "sre-agent:v1.0";

describe("a 2048-token window", () => {
  it("answers a four-word question with its documents: the answer's reserve is at most half the window, and num_predict matches it", async () => {
    const setup = makeGraph({ catalog: SMALL, script: { [SRE]: GROUNDED_1 } });
    const out = await setup.graph.invoke({ query: "Loki pods are crashing", documents: LOKI_DOCS });
    expect(out.model).toBe(SRE);
    const request = setup.fake.calls[0]?.request;
    expect(request?.numCtx).toBe(2048);
    expect(request?.profile.maxTokens).toBeLessThanOrEqual(1024);
  });

  it("a question that cannot fit names the settings that give the model a larger window, not a short question", async () => {
    const tiny = mergeCatalog(DEFAULT_CATALOG, { models: DEFAULT_CATALOG.models.map((m) => ({ ...m, contextLength: 300 })) });
    const setup = makeGraph({ catalog: tiny, script: { [SRE]: GROUNDED_1 } });
    const error = await rejectionOf(setup.graph.invoke({ query: "Loki pods are crashing", documents: LOKI_DOCS }));
    expect(isAllModelsFailedError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("CONTEXT_OVERFLOW");
    expect(message).toContain("contextLength in BRUNO_CATALOG");
    expect(message).toContain("BRUNO_CONTEXT_SIZE");
    expect(message).not.toMatch(/shorten the question/);
  });

  it("a long pasted question is told to be shortened", async () => {
    const setup = makeGraph({ catalog: SMALL, script: { [SRE]: GROUNDED_1 } });
    const pasted = `Loki pods are crashing: ${"level=error caller=ingester.go msg=OOMKilled ".repeat(200)}`.slice(0, 7900);
    const error = await rejectionOf(setup.graph.invoke({ query: pasted, documents: LOKI_DOCS }));
    expect((error as Error).message).toMatch(/shorten the question/);
  });
});
