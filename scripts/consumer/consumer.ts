// A TypeScript consumer of the installed package, type-checked (not run) under three settings:
// `tsc --init` defaults (module nodenext), moduleResolution bundler, and moduleResolution node.
import { MemorySaver } from "@langchain/langgraph";
import { createGenerationGraph, isBrunoError, type BrunoErrorCode, type ContextDocument, type GenerationResult } from "bruno-generation";
import { CATALOG_MODELS, FakeOllama } from "bruno-generation/testing";

const documents: ContextDocument[] = [{ title: "Loki crash loop", source: "runbooks/loki.md", content: "Raise the ingester memory limit." }];

export async function answer(query: string): Promise<GenerationResult | BrunoErrorCode> {
  const server = await FakeOllama.start({ models: CATALOG_MODELS });
  try {
    const graph = createGenerationGraph({ ollamaHost: server.url, checkpointer: new MemorySaver() });
    const result: GenerationResult = await graph.invoke({ query, documents }, { configurable: { thread_id: "t1" } });
    const cited: number[] = result.citations.map((c) => c.index);
    return cited.length >= 0 ? result : result;
  } catch (error) {
    if (isBrunoError(error)) return error.code;
    throw error;
  } finally {
    await server.close();
  }
}
