import type { BaseMessage, StoredMessage } from "@langchain/core/messages";
import { ReducedValue, StateSchema, UntrackedValue } from "@langchain/langgraph";
import { messagesStateReducer, type Messages } from "@langchain/langgraph";
import { z } from "zod";
import {
  Complexity,
  ContextDocument,
  EMPTY_USAGE,
  Generation,
  GenerationInputSchema,
  GenerationOutputSchema,
  ModelAttempt,
  Notice,
  Preferences,
  QueryType,
  Selection,
  TurnSummary,
  Usage,
} from "../domain/index.js";

/** Most messages kept in a thread's checkpoint (the prompt uses fewer; see `history.promptTurns`). */
export const HISTORY_KEEP_MESSAGES = 40;

/** Appends messages like `messagesStateReducer`, then keeps only the newest `HISTORY_KEEP_MESSAGES`. */
export function boundedMessagesReducer(current: BaseMessage[], update: Messages): BaseMessage[] {
  const merged = messagesStateReducer(current, update);
  return merged.length > HISTORY_KEEP_MESSAGES ? merged.slice(merged.length - HISTORY_KEEP_MESSAGES) : merged;
}

/** Appends items to a list; used by fields that several nodes add to within one turn. */
export function appendReducer<T>(current: T[], update: T | T[]): T[] {
  return current.concat(update);
}

/** Adds token counts and model-side durations; keeps the larger wall time. */
export function addUsage(current: Usage, update: Usage): Usage {
  return {
    inputTokens: current.inputTokens + update.inputTokens,
    outputTokens: current.outputTokens + update.outputTokens,
    durationMs: Math.max(current.durationMs, update.durationMs),
    loadMs: current.loadMs + update.loadMs,
    promptEvalMs: current.promptEvalMs + update.promptEvalMs,
    evalMs: current.evalMs + update.evalMs,
  };
}

/**
 * Fields the caller sets for one turn. They are not checkpointed: each turn of a thread
 * starts from what the caller passes, never from a previous turn's values.
 */
const turnInputFields = {
  /** The user's question, as typed. */
  query: new UntrackedValue(z.string(), { guard: false }),
  /** Ranked context documents; cited as [1]..[k] in this order. */
  documents: new UntrackedValue(z.array(ContextDocument), { guard: false }),
  /**
   * In: an upstream classification to honour. Out: the type the turn was answered as.
   */
  queryType: new UntrackedValue(QueryType, { guard: false }),
  /** Answer-style preferences. */
  preferences: new UntrackedValue(Preferences, { guard: false }),
  /** In: an explicit model tag to use. Out: the model that answered. */
  model: new UntrackedValue(z.string(), { guard: false }),
  /** Latency budget in ms; a simple query under 2,000 ms goes to the fast model. */
  maxLatencyMs: new UntrackedValue(z.number().positive(), { guard: false }),
  /** The caller's id of this turn; a resend of the last turn with it is replayed (see `replay.ts`). */
  turnId: new UntrackedValue(z.string(), { guard: false }),
};

/** How many answered turns' ids a thread remembers (`recentTurnIds`): as many turns as the checkpoint keeps messages for. */
export const RECENT_TURN_IDS = HISTORY_KEEP_MESSAGES / 2;

/** Appends turn ids, keeping only the newest `RECENT_TURN_IDS`. */
export function recentTurnIdsReducer(current: string[], update: string | string[]): string[] {
  const merged = current.concat(update);
  return merged.length > RECENT_TURN_IDS ? merged.slice(merged.length - RECENT_TURN_IDS) : merged;
}

export const GenerationState = new StateSchema({
  ...turnInputFields,
  /** The conversation so far: one human and one AI message per answered turn. */
  messages: new ReducedValue(
    z.custom<BaseMessage[]>().default(() => []),
    {
      inputSchema: z.custom<Messages>(),
      reducer: boundedMessagesReducer,
      jsonSchemaExtra: { langgraph_type: "messages", description: "The conversation of this thread" },
    },
  ),
  /** simple | complex, set by classify. */
  complexity: Complexity.optional(),
  /** Whether the deliverable is code or config, set by classify. */
  requiresCode: z.boolean().optional(),
  /** The routing decision, set by selectModel. */
  selection: Selection.optional(),
  /** Position in `selection.chain` of the model to call next; advanced by a fallback. */
  modelIndex: new UntrackedValue(z.number().int().min(0).default(0), { guard: false }),
  /**
   * The chat messages sent to the model, built by buildPrompt, in LangChain's stored form (plain
   * data, so they are neither checkpointed nor streamed as chat messages).
   */
  promptMessages: new UntrackedValue(
    z.custom<StoredMessage[]>().default(() => []),
    { guard: false },
  ),
  /** Context window requested for the current model (`num_ctx`), set by buildPrompt. */
  numCtx: new UntrackedValue(z.number().int().positive().optional(), { guard: false }),
  /** What context fitting dropped for the current model; reported with the answer. */
  /** Most tokens the answer may take with the current model (`num_predict`): the profile's, at most half the window. */
  answerTokens: new UntrackedValue(z.number().int().positive().optional(), { guard: false }),
  fitNotices: new UntrackedValue(
    z.array(Notice).default(() => []),
    { guard: false },
  ),
  /** The model `promptMessages` were built for. */
  promptModel: new UntrackedValue(z.string().optional(), { guard: false }),
  /** How many of the top-ranked documents fit the prompt; [1]..[documentsUsed] are citable. */
  documentsUsed: new UntrackedValue(z.number().int().min(0).optional(), { guard: false }),
  /** Characters of the built prompt, for calibrating the token estimator. */
  promptChars: new UntrackedValue(z.number().int().min(0).optional(), { guard: false }),
  /** The last raw model output, set by generate. */
  generation: new UntrackedValue(Generation.optional(), { guard: false }),
  /** Citation-repair rounds done this turn (at most one). */
  repairRound: new UntrackedValue(z.number().int().min(0).default(0), { guard: false }),
  /** Out-of-range markers that the repair round must fix; set by validateCitations. */
  invalidMarkers: new UntrackedValue(
    z.array(z.number().int()).default(() => []),
    { guard: false },
  ),
  /** The final answer, with invalid citations removed. */
  answer: GenerationOutputSchema.shape.answer,
  /** Every citation marker of the answer, resolved against the documents. */
  citations: GenerationOutputSchema.shape.citations,
  /** Counts of the run-time grounding check, set by validateCitations. */
  grounding: GenerationOutputSchema.shape.grounding,
  /** Things the caller should know: models skipped, citations stripped, documents dropped. */
  warnings: new ReducedValue(
    z.array(z.string()).default(() => []),
    {
      inputSchema: z.union([z.string(), z.array(z.string())]),
      reducer: appendReducer<string>,
    },
  ),
  /** The warnings again, each with its code (written together with `warnings`, see `notice`). */
  notices: new ReducedValue(
    z.array(Notice).default(() => []),
    {
      inputSchema: z.union([Notice, z.array(Notice)]),
      reducer: appendReducer<Notice>,
    },
  ),
  /** Every model tried this turn, in order, with the outcome. */
  modelsTried: new ReducedValue(
    z.array(ModelAttempt).default(() => []),
    {
      inputSchema: z.union([ModelAttempt, z.array(ModelAttempt)]),
      reducer: appendReducer<ModelAttempt>,
    },
  ),
  /** Token counts and durations of every model call this turn. */
  usage: new ReducedValue(
    Usage.default(() => ({ ...EMPTY_USAGE })),
    {
      inputSchema: Usage,
      reducer: addUsage,
    },
  ),
  /** The documents the last answered turn's prompt held; a follow-up that brings none answers from them. */
  lastDocuments: z.array(ContextDocument).optional(),
  /** What answered the last turn and why (model, type, routing reason, documents); the thread's state shows it. */
  lastTurn: TurnSummary.optional(),
  /** The ids of the thread's last answered turns that had one (`turnId`), oldest first, at most `RECENT_TURN_IDS`. */
  recentTurnIds: new ReducedValue(
    z.array(z.string()).default(() => []),
    {
      inputSchema: z.union([z.string(), z.array(z.string())]),
      reducer: recentTurnIdsReducer,
    },
  ),
  /** True when this turn answers from `lastDocuments`, set by classify. */
  documentsCarried: new UntrackedValue(z.boolean().default(false), { guard: false }),
  /** When the turn started (ms since epoch), set by classify. */
  startedAt: z.number().optional(),
});

export type GenerationStateType = typeof GenerationState.State;
export type GenerationUpdate = typeof GenerationState.Update;

/**
 * What a caller passes for one turn (the graph's input schema, from `GenerationInputSchema`):
 * the channels themselves are declared once, in `GenerationState`.
 */
export const GenerationInputState = new StateSchema(GenerationInputSchema.shape);

/** What a turn returns (the graph's output schema, from `GenerationOutputSchema`). */
export const GenerationOutputState = new StateSchema(GenerationOutputSchema.shape);
