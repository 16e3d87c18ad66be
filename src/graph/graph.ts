import { END, START, StateGraph } from "@langchain/langgraph";
import { createBuildPromptNode } from "../nodes/buildPrompt.js";
import { createClassifyNode } from "../nodes/classify.js";
import type { GenerationDeps } from "../nodes/deps.js";
import { createGenerateNode } from "../nodes/generate.js";
import { createReplayTurnNode, isAnsweredTurn } from "../nodes/replayTurn.js";
import { currentModel } from "../nodes/modelChain.js";
import { createSelectModelNode } from "../nodes/selectModel.js";
import { createValidateCitationsNode } from "../nodes/validateCitations.js";
import { instrumentNode, type TelemetryTarget } from "../telemetry/instrument.js";
import { GenerationInputState, GenerationOutputState, GenerationState, type GenerationStateType } from "../nodes/state.js";

/** The graph's name, as Studio and traces show it. */
export const GRAPH_NAME = "bruno_generation";

/** At the entry: a turn whose `turnId` the thread has already answered is replayed, not run again. */
export function routeAtEntry(state: GenerationStateType): "replayTurn" | "classify" {
  return isAnsweredTurn(state) ? "replayTurn" : "classify";
}

/** After generate: a model that failed or was skipped hands over to the next one; an answer goes to the citation check. */
export function routeAfterGenerate(state: GenerationStateType): "buildPrompt" | "validateCitations" {
  return state.modelsTried.at(-1)?.outcome === "answered" ? "validateCitations" : "buildPrompt";
}

/** After buildPrompt: a prompt built for the current model goes to generate; a model whose window was too small hands over to the next. */
export function routeAfterBuildPrompt(state: GenerationStateType): "generate" | "buildPrompt" {
  return state.promptModel !== undefined && state.promptModel === currentModel(state) ? "generate" : "buildPrompt";
}

/** After validateCitations: one repair round when it asked for one, else done. */
export function routeAfterValidate(state: GenerationStateType): "generate" | typeof END {
  return (state.invalidMarkers ?? []).length > 0 ? "generate" : END;
}

/** Where a graph's nodes and runs report: its deps' telemetry and logger, resolved per call. */
export function telemetryTarget(deps: () => GenerationDeps): TelemetryTarget {
  return () => {
    const d = deps();
    return { telemetry: d.telemetry, logger: d.logger };
  };
}

/**
 * The uncompiled graph over a dependency resolver: classify → selectModel → buildPrompt →
 * generate → validateCitations, with the fallback and repair edges; a resend of the thread's last
 * turn (same `turnId`) goes from the entry to replayTurn and ends there. Its nodes report to the
 * deps' telemetry (durations, spans).
 */
export function generationGraphBuilder(deps: () => GenerationDeps) {
  const target = telemetryTarget(deps);
  return new StateGraph({ state: GenerationState, input: GenerationInputState, output: GenerationOutputState })
    .addNode("classify", instrumentNode("classify", target, createClassifyNode(deps)))
    .addNode("selectModel", instrumentNode("selectModel", target, createSelectModelNode(deps)))
    .addNode("buildPrompt", instrumentNode("buildPrompt", target, createBuildPromptNode(deps)))
    .addNode("generate", instrumentNode("generate", target, createGenerateNode(deps)))
    .addNode("validateCitations", instrumentNode("validateCitations", target, createValidateCitationsNode(deps)))
    .addNode("replayTurn", instrumentNode("replayTurn", target, createReplayTurnNode(deps)))
    .addConditionalEdges(START, routeAtEntry, ["classify", "replayTurn"])
    .addEdge("replayTurn", END)
    .addEdge("classify", "selectModel")
    .addEdge("selectModel", "buildPrompt")
    .addConditionalEdges("buildPrompt", routeAfterBuildPrompt, ["generate", "buildPrompt"])
    .addConditionalEdges("generate", routeAfterGenerate, ["buildPrompt", "validateCitations"])
    .addConditionalEdges("validateCitations", routeAfterValidate, ["generate", END]);
}
