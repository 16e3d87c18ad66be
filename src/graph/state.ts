import type { BaseMessage, StoredMessage } from "@langchain/core/messages";
import { ReducedValue, StateSchema, UntrackedValue } from "@langchain/langgraph";
import { messagesStateReducer, type Messages } from "@langchain/langgraph";
import { z } from "zod";

/** The query types the classifier and the prompts know. */
export const QUERY_TYPES = [
  "troubleshooting",
  "debug_issue",
  "lookup_runbook",
  "code_generation",
  "code_review",
  "explanation",
  "chat",
] as const;
export const QueryType = z.enum(QUERY_TYPES);
export type QueryType = z.infer<typeof QueryType>;

export const Complexity = z.enum(["simple", "complex"]);
export type Complexity = z.infer<typeof Complexity>;

/** One retrieved context document, in rank order; it is cited as [N] by its 1-based position. */
export const ContextDocument = z.object({
  content: z.string(),
  title: z.string().optional(),
  source: z.string().optional(),
  score: z.number().optional(),
});
export type ContextDocument = z.infer<typeof ContextDocument>;

/** Answer-style preferences of the asker. */
export const Preferences = z.object({
  /** Longer answers with background and alternatives. */
  verbose: z.boolean().optional(),
  /** Include commands, queries or manifests where they help. */
  codeExamples: z.boolean().optional(),
});
export type Preferences = z.infer<typeof Preferences>;

/** A span of a document: character offsets into its `content`, and the text between them. */
export const Quote = z.object({
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  text: z.string(),
});
export type Quote = z.infer<typeof Quote>;

/**
 * A citation marker found in the answer, resolved against the documents: one per cited
 * (sentence, document) pair. The grounding fields are set for every citation of a sentence.
 */
export const Citation = z.object({
  index: z.number().int(),
  title: z.string().optional(),
  source: z.string().optional(),
  /** True when 1 ≤ index ≤ number of documents. */
  valid: z.boolean(),
  /** The answer sentence that carries the marker, as written. */
  sentence: z.string().optional(),
  /** 0..1: how well the cited document supports the sentence (see `src/tools/grounding.ts`). */
  support: z.number().min(0).max(1).optional(),
  /** The best-matching span of the cited document. */
  quote: Quote.optional(),
  /** Specifics of the sentence (commands, numbers, names) that the document does not contain. */
  missing: z.array(z.string()).optional(),
});
export type Citation = z.infer<typeof Citation>;

/** What the run-time grounding check found in the answer. */
export const GroundingSummary = z.object({
  /** `lexical` (string checks only) or `embedding` (refined with an embedding model). */
  method: z.enum(["lexical", "embedding"]),
  /** Support below this is unsupported. */
  threshold: z.number().min(0).max(1),
  /** Sentences of the answer (fenced code blocks excluded). */
  sentences: z.number().int().min(0),
  /** Sentences carrying at least one citation marker. */
  citedSentences: z.number().int().min(0),
  /** Valid citations scored against their document. */
  checkedCitations: z.number().int().min(0),
  /** Citations whose support is below the threshold. */
  unsupportedCitations: z.number().int().min(0),
  /** Sentences stating specifics (numbers, commands, hostnames, error codes) without a citation. */
  uncitedClaims: z.number().int().min(0),
  /** Mean support of the checked citations; null when none was checked. */
  meanSupport: z.number().min(0).max(1).nullable(),
  /** The uncited sentences themselves. */
  uncitedSentences: z.array(z.string()),
});
export type GroundingSummary = z.infer<typeof GroundingSummary>;

export const EMPTY_GROUNDING: GroundingSummary = {
  method: "lexical",
  threshold: 0.5,
  sentences: 0,
  citedSentences: 0,
  checkedCitations: 0,
  unsupportedCitations: 0,
  uncitedClaims: 0,
  meanSupport: null,
  uncitedSentences: [],
};

/** One model the run tried, in order, and how that went. */
export const ModelAttempt = z.object({
  model: z.string(),
  outcome: z.enum(["answered", "failed", "skipped"]),
  /** Error code when the attempt failed or was skipped. */
  code: z.string().optional(),
  /** Why it failed or was skipped. */
  message: z.string().optional(),
});
export type ModelAttempt = z.infer<typeof ModelAttempt>;

/** Token counts as Ollama reports them, and durations in milliseconds. */
export const Usage = z.object({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  /** Wall time of the whole turn, from classify to the validated answer. */
  durationMs: z.number().min(0),
  /** Ollama's `load_duration`: loading the model into memory (a cold start). */
  loadMs: z.number().min(0),
  /** Ollama's `prompt_eval_duration`. */
  promptEvalMs: z.number().min(0),
  /** Ollama's `eval_duration`. */
  evalMs: z.number().min(0),
});
export type Usage = z.infer<typeof Usage>;

export const EMPTY_USAGE: Usage = { inputTokens: 0, outputTokens: 0, durationMs: 0, loadMs: 0, promptEvalMs: 0, evalMs: 0 };

/** The routing decision of selectModel. */
export const Selection = z.object({
  /** The model the decision tree chose before availability was checked. */
  preferred: z.string(),
  /** Installed models to try, in order: the chosen one first, then its fallbacks. */
  chain: z.array(z.string()),
  /** Why this model: the rule that fired. */
  reason: z.string(),
});
export type Selection = z.infer<typeof Selection>;

/** The raw result of one generate call, before citation checks. */
export const Generation = z.object({
  model: z.string(),
  text: z.string(),
  usage: Usage,
});
export type Generation = z.infer<typeof Generation>;

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
};

export const GenerationState = new StateSchema({
  ...turnInputFields,
  /** The conversation so far: one human and one AI message per answered turn. */
  messages: new ReducedValue(z.custom<BaseMessage[]>().default(() => []), {
    inputSchema: z.custom<Messages>(),
    reducer: boundedMessagesReducer,
    jsonSchemaExtra: { langgraph_type: "messages", description: "The conversation of this thread" },
  }),
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
  promptMessages: new UntrackedValue(z.custom<StoredMessage[]>().default(() => []), { guard: false }),
  /** Context window requested for the current model (`num_ctx`), set by buildPrompt. */
  numCtx: new UntrackedValue(z.number().int().positive().optional(), { guard: false }),
  /** What context fitting dropped for the current model; reported with the answer. */
  fitWarnings: new UntrackedValue(z.array(z.string()).default(() => []), { guard: false }),
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
  invalidMarkers: new UntrackedValue(z.array(z.number().int()).default(() => []), { guard: false }),
  /** The final answer, with invalid citations removed. */
  answer: z.string().default(""),
  /** Every citation marker of the answer, resolved against the documents. */
  citations: z.array(Citation).default(() => []),
  /** Counts of the run-time grounding check, set by validateCitations. */
  grounding: GroundingSummary.default(() => ({ ...EMPTY_GROUNDING })),
  /** Things the caller should know: models skipped, citations stripped, documents dropped. */
  warnings: new ReducedValue(z.array(z.string()).default(() => []), {
    inputSchema: z.union([z.string(), z.array(z.string())]),
    reducer: appendReducer<string>,
  }),
  /** Every model tried this turn, in order, with the outcome. */
  modelsTried: new ReducedValue(z.array(ModelAttempt).default(() => []), {
    inputSchema: z.union([ModelAttempt, z.array(ModelAttempt)]),
    reducer: appendReducer<ModelAttempt>,
  }),
  /** Token counts and durations of every model call this turn. */
  usage: new ReducedValue(Usage.default(() => ({ ...EMPTY_USAGE })), {
    inputSchema: Usage,
    reducer: addUsage,
  }),
  /** When the turn started (ms since epoch), set by classify. */
  startedAt: z.number().optional(),
});

export type GenerationStateType = typeof GenerationState.State;
export type GenerationUpdate = typeof GenerationState.Update;

/** The zod schema of a turn's input; the edge validates with it (typed errors name the field). */
export const GenerationInputSchema = z.object({
  query: z.string().describe("The user's question, as typed."),
  documents: z.array(ContextDocument).optional().describe("Ranked context documents, cited as [1]..[k] in this order."),
  queryType: QueryType.optional().describe("An upstream classification to honour."),
  preferences: Preferences.optional().describe("Answer-style preferences."),
  model: z.string().min(1).optional().describe("An explicit model tag to use."),
  maxLatencyMs: z.number().positive().optional().describe("Latency budget in ms."),
});

/**
 * What a caller passes for one turn (the graph's input schema, from `GenerationInputSchema`):
 * the channels themselves are declared once, in `GenerationState`.
 */
export const GenerationInput = new StateSchema(GenerationInputSchema.shape);

/** What a turn returns: exactly what `bruno ask --json` prints. */
export const GenerationOutput = new StateSchema({
  answer: z.string(),
  queryType: QueryType,
  complexity: Complexity,
  requiresCode: z.boolean(),
  model: z.string().describe("The model that answered."),
  modelsTried: z.array(ModelAttempt),
  citations: z.array(Citation),
  grounding: GroundingSummary.describe("Counts of the run-time grounding check."),
  warnings: z.array(z.string()),
  usage: Usage,
});

export type GenerationInput = z.infer<typeof GenerationInputSchema>;

/** The output contract as a plain type. */
export interface GenerationResult {
  answer: string;
  queryType: QueryType;
  complexity: Complexity;
  requiresCode: boolean;
  model: string;
  modelsTried: ModelAttempt[];
  citations: Citation[];
  grounding: GroundingSummary;
  warnings: string[];
  usage: Usage;
}

/** The documents the prompt holds: the top-ranked `documentsUsed` of the turn's documents (all of them before buildPrompt ran). */
export function documentsInPrompt(state: Pick<GenerationStateType, "documents" | "documentsUsed">): ContextDocument[] {
  return (state.documents ?? []).slice(0, state.documentsUsed);
}

/** Picks the output contract out of a full state (as the "values" stream yields it). */
export function toGenerationResult(state: Partial<GenerationStateType>): GenerationResult {
  return {
    answer: state.answer ?? "",
    queryType: state.queryType ?? "chat",
    complexity: state.complexity ?? "simple",
    requiresCode: state.requiresCode ?? false,
    model: state.model ?? state.generation?.model ?? "",
    modelsTried: state.modelsTried ?? [],
    citations: state.citations ?? [],
    grounding: state.grounding ?? { ...EMPTY_GROUNDING },
    warnings: state.warnings ?? [],
    usage: state.usage ?? { ...EMPTY_USAGE },
  };
}
