/**
 * Run-time grounding of an answer's citations: every sentence that carries a [N] marker is
 * scored against the document it cites, and sentences that state specifics without any marker
 * are found.
 *
 * Pure string work, deterministic, no model call: the specifics of a sentence (inline code,
 * paths, flags, names, quoted messages) must appear whole in the cited document (a command may
 * fill in the document's placeholders), its quantities must appear with the same amount in the
 * same role (numbers are normalised: "three" = 3, "a day" = 24h), and its content words
 * (stemmed, synonyms folded) must overlap a span of it. The best-matching span is returned as
 * the citation's `quote` (character offsets into the document's `content`). When an embedding
 * model is configured, `refineWithEmbeddings` blends in the cosine similarity between each
 * sentence and the best candidate spans of its document.
 *
 * The parts: `sentences` (splitting an answer on sentence ends and Markdown structure),
 * `specifics` (what a sentence states that must be in its source), `words` (word keys: stems
 * and synonyms), `numbers` (quantities and their clauses), `documents` (a document prepared
 * for scoring), `presence` (whether each specific is there, whole and in its role), `scoring`
 * (one sentence against one document), `answers` (a whole answer, its warnings and summary)
 * and `embeddings` (the optional refinement).
 */
export { DEFAULT_SUPPORT_THRESHOLD, MAX_LISTED_WARNINGS, UNSUPPORTED_WARNING, UNCITED_WARNING, MORE_GROUNDING_WARNING, MAX_QUOTE_CHARS, MIN_CHECKABLE_WORDS } from "./constants.js";
export { claimText, splitSentences, type AnswerSentence } from "./sentences.js";
export { extractSpecifics, type Specific, type SpecificKind } from "./specifics.js";
export { contentStems, stem } from "./words.js";
export { indexDocument, type DocumentIndex } from "./documents.js";
export { combineSupport, scoreSupport, type SupportScore } from "./scoring.js";
export { groundAnswer, groundingNotices, withWarnings, summarize, type GroundingOptions, type GroundingResult, type ScoredCitation, type UncitedClaim } from "./answers.js";
export { EMBEDDING_CEILING, EMBEDDING_FLOOR, cosine, refineWithEmbeddings, semanticScore, type TextEmbedder } from "./embeddings.js";
