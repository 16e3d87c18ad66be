import { z } from "zod";
import { Complexity, QueryType } from "./queryTypes.js";

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
  /** 0..1: how well the cited document supports the sentence (see `src/tools/grounding/`). */
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

/** A document as a turn's summary names it: its number in the prompt, title and source. */
export const DocumentRef = z.object({ index: z.number().int().min(1), title: z.string().optional(), source: z.string().optional() });
export type DocumentRef = z.infer<typeof DocumentRef>;

/** What answered the last turn of a thread and why (kept in the thread's state, e.g. for Studio). */
export const TurnSummary = z.object({
  model: z.string(),
  queryType: QueryType,
  complexity: Complexity,
  /** Why this model: the routing rule that fired, and what was not installed. */
  reason: z.string(),
  /** The documents the prompt held. */
  documents: z.array(DocumentRef),
  /** True when the turn brought no documents and answered from the previous turn's. */
  documentsCarried: z.boolean(),
  /** The caller's id of the turn (`turnId`), when it gave one: a resend with it is answered from this turn. */
  turnId: z.string().optional(),
});
export type TurnSummary = z.infer<typeof TurnSummary>;

/** The codes of the notices a turn returns beside its answer. */
export const NOTICE_CODES = [
  "MODEL_NOT_INSTALLED",
  "MODEL_FALLBACK",
  "DOCUMENTS_DROPPED",
  "DOCUMENTS_CARRIED",
  "HISTORY_DROPPED",
  "CITATIONS_STRIPPED",
  "NO_CITATIONS",
  "REPAIR_FAILED",
  "EMBEDDING_FAILED",
  "UNSUPPORTED_CITATION",
  "UNCITED_CLAIM",
  "TURN_REPLAYED",
] as const;
export const NoticeCode = z.enum(NOTICE_CODES);
export type NoticeCode = z.infer<typeof NoticeCode>;

/** Something the caller should know about the answer; `message` is also in `warnings`. */
export const Notice = z.object({ code: NoticeCode, message: z.string() });
export type Notice = z.infer<typeof Notice>;

/** Notice codes of the grounding check (the CLI shows those under the answer, not as warnings). */
export const GROUNDING_NOTICE_CODES: ReadonlySet<NoticeCode> = new Set<NoticeCode>(["UNSUPPORTED_CITATION", "UNCITED_CLAIM"]);

/** Longest `turnId` accepted. */
export const MAX_TURN_ID_CHARS = 200;

/** The zod schema of a turn's input; the edge validates with it (typed errors name the field). */
export const GenerationInputSchema = z.object({
  query: z.string().describe("The user's question, as typed."),
  documents: z.array(ContextDocument).optional().describe("Ranked context documents, cited as [1]..[k] in this order."),
  queryType: QueryType.optional().describe("An upstream classification to honour."),
  preferences: Preferences.optional().describe("Answer-style preferences."),
  model: z.string().min(1).optional().describe("An explicit model tag to use."),
  maxLatencyMs: z.number().positive().optional().describe("Latency budget in ms."),
  turnId: z
    .string()
    .min(1)
    .max(MAX_TURN_ID_CHARS)
    .optional()
    .describe("The caller's id of this turn (an idempotency key): a resend with the id of the thread's last turn returns that turn's stored result without running it again."),
});

/**
 * What a turn returns: exactly what `bruno ask --json` prints. The defaults are the values of a
 * turn that set nothing (the graph's output channels are declared from these fields).
 */
export const GenerationOutputSchema = z.object({
  answer: z.string().default(""),
  queryType: QueryType.default("chat"),
  complexity: Complexity.default("simple"),
  requiresCode: z.boolean().default(false),
  model: z.string().default("").describe("The model that answered."),
  modelsTried: z.array(ModelAttempt).default(() => []),
  citations: z.array(Citation).default(() => []),
  grounding: GroundingSummary.default(() => ({ ...EMPTY_GROUNDING })).describe("Counts of the run-time grounding check."),
  warnings: z.array(z.string()).default(() => []),
  /** The warnings again, each with a code to act on. */
  notices: z.array(Notice).default(() => []),
  usage: Usage.default(() => ({ ...EMPTY_USAGE })),
});

export type GenerationInput = z.infer<typeof GenerationInputSchema>;

/** The output contract as a plain type, inferred from its schema. */
export type GenerationResult = z.output<typeof GenerationOutputSchema>;

/** The documents the prompt holds: the top-ranked `documentsUsed` of the turn's documents (all of them before buildPrompt ran). */
export function documentsInPrompt(state: { documents?: ContextDocument[] | undefined; documentsUsed?: number | undefined }): ContextDocument[] {
  return (state.documents ?? []).slice(0, state.documentsUsed);
}

/** The state fields the output contract is picked from. */
export type ResultSource = { [K in keyof GenerationResult]?: GenerationResult[K] | undefined } & { generation?: { model: string } | undefined };

/** Picks the output contract out of a full state (as the "values" stream yields it); unset fields get the schema's defaults. */
export function toGenerationResult(state: ResultSource): GenerationResult {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(GenerationOutputSchema.shape) as (keyof GenerationResult)[]) {
    if (state[key] !== undefined) picked[key] = state[key];
  }
  if (picked.model === undefined && state.generation) picked.model = state.generation.model;
  return GenerationOutputSchema.parse(picked);
}
