import { END, START, StateGraph } from "@langchain/langgraph";
import { createBuildPromptNode } from "../nodes/buildPrompt.js";
import { createClassifyNode } from "../nodes/classify.js";
import { createGenerateNode } from "../nodes/generate.js";
import { createSelectModelNode } from "../nodes/selectModel.js";
import { createValidateCitationsNode } from "../nodes/validateCitations.js";
import { lazyDeps, type GenerationGraphOptions } from "./deps.js";
import { GenerationInput, GenerationOutput, GenerationState, type GenerationStateType } from "./state.js";

/** The graph's name, as Studio and traces show it. */
export const GRAPH_NAME = "bruno_generation";

/** After generate: a failed model moves to the next one; an answer goes to the citation check. */
export function routeAfterGenerate(state: GenerationStateType): "buildPrompt" | "validateCitations" {
  return state.modelsTried.at(-1)?.outcome === "failed" ? "buildPrompt" : "validateCitations";
}

/** After validateCitations: one repair round when it asked for one, else done. */
export function routeAfterValidate(state: GenerationStateType): "generate" | typeof END {
  return (state.invalidMarkers ?? []).length > 0 ? "generate" : END;
}

/** The uncompiled graph; compile it with your own checkpointer, or use `createGenerationGraph`. */
export function buildGenerationGraph(options: GenerationGraphOptions = {}) {
  const deps = lazyDeps(options);
  return new StateGraph({ state: GenerationState, input: GenerationInput, output: GenerationOutput })
    .addNode("classify", createClassifyNode(deps))
    .addNode("selectModel", createSelectModelNode(deps))
    .addNode("buildPrompt", createBuildPromptNode(deps))
    .addNode("generate", createGenerateNode(deps))
    .addNode("validateCitations", createValidateCitationsNode(deps))
    .addEdge(START, "classify")
    .addEdge("classify", "selectModel")
    .addEdge("selectModel", "buildPrompt")
    .addEdge("buildPrompt", "generate")
    .addConditionalEdges("generate", routeAfterGenerate, ["buildPrompt", "validateCitations"])
    .addConditionalEdges("validateCitations", routeAfterValidate, ["generate", END]);
}

/** The compiled graph, named, with the checkpointer of `options` (none by default). */
export function createGenerationGraph(options: GenerationGraphOptions = {}) {
  const compiled = buildGenerationGraph(options).compile({
    ...(options.checkpointer ? { checkpointer: options.checkpointer } : {}),
    name: GRAPH_NAME,
    description: "Answers an SRE question from ranked runbook excerpts with a local Ollama model, citing them as [N].",
  });
  compiled.name = GRAPH_NAME;
  return compiled;
}

export type GenerationGraph = ReturnType<typeof createGenerationGraph>;
