/**
 * The model chain of a turn: which model it is at, and the one hand-over to the next model that
 * buildPrompt (a window too small) and generate (a failed or skipped model) both use. At the end
 * of the chain the turn fails with `ALL_MODELS_FAILED`, listing every attempt, whatever the last
 * failure was.
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { AllModelsFailedError, type BrunoError, type BrunoErrorCode, type ModelFailure } from "../domain/errors.js";
import type { ModelAttempt, Notice, NoticeCode, Selection } from "../domain/schemas.js";
import type { GenerationDeps } from "./deps.js";
import { emitStreamEvent } from "./events.js";

/** The state a chain decision reads. */
export interface ChainState {
  selection?: Selection | undefined;
  modelIndex?: number | undefined;
  modelsTried?: ModelAttempt[] | undefined;
  queryType?: string | undefined;
}

/** The model the chain is at; undefined before selectModel ran or past the end. */
export function currentModel(state: ChainState): string | undefined {
  return state.selection?.chain[state.modelIndex ?? 0];
}

/** The model after the current one, if any. */
export function nextModel(state: ChainState): string | undefined {
  return state.selection?.chain[(state.modelIndex ?? 0) + 1];
}

/** A notice as a state update: its message in `warnings` and the coded notice in `notices`. */
export function notice(code: NoticeCode, message: string): { warnings: string[]; notices: Notice[] } {
  return { warnings: [message], notices: [{ code, message }] };
}

/** Several notices as one state update. */
export function notices(list: readonly Notice[]): { warnings: string[]; notices: Notice[] } {
  return { warnings: list.map((n) => n.message), notices: [...list] };
}

function failuresOf(attempts: readonly ModelAttempt[]): ModelFailure[] {
  return attempts.filter((a) => a.outcome !== "answered").map((a) => ({ model: a.model, code: (a.code ?? "GENERATION_FAILED") as BrunoErrorCode, message: a.message ?? "" }));
}

/**
 * The current model is done with (`failed` after a request, `skipped` without one): records the
 * attempt, reports the fallback, and moves the chain on. Past the last model, throws
 * `AllModelsFailedError` with every attempt of the turn.
 */
export function handOver(
  deps: GenerationDeps,
  config: LangGraphRunnableConfig,
  state: ChainState,
  error: BrunoError,
  outcome: "failed" | "skipped",
): { modelsTried: ModelAttempt; modelIndex: number; warnings: string[]; notices: Notice[] } {
  const model = currentModel(state) ?? "unknown";
  const next = nextModel(state);
  if (next === undefined) {
    throw new AllModelsFailedError([...failuresOf(state.modelsTried ?? []), { model, code: error.code, message: error.message }], { cause: error });
  }
  emitStreamEvent(deps, config, { type: "fallback", from: model, to: next, code: error.code, outcome });
  deps.telemetry.runLogger(deps.logger, config, { model, queryType: state.queryType }).warn({ event: "fallback", from: model, to: next, reason: error.code }, "primary failed, using fallback");
  return {
    modelsTried: { model, outcome, code: error.code, message: error.message },
    modelIndex: (state.modelIndex ?? 0) + 1,
    ...notice("MODEL_FALLBACK", `${model} ${outcome === "skipped" ? "was skipped" : "failed"} (${error.code}); fell back to ${next}`),
  };
}
