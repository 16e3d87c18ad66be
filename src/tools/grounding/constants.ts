/** Thresholds, limits and warning prefixes of the grounding check. */

/** Citations whose support is below this are reported as unsupported (`BRUNO_GROUNDING_THRESHOLD`). */
export const DEFAULT_SUPPORT_THRESHOLD = 0.5;
/** How many unsupported citations and uncited sentences the warnings name one by one. */
export const MAX_LISTED_WARNINGS = 5;
/** Start of the warning for a citation whose document does not support its sentence. */
export const UNSUPPORTED_WARNING = "unsupported citation";
/** Start of the warning for a sentence that states specifics without a citation. */
export const UNCITED_WARNING = "states specifics without a citation";
/** Start of the warning that counts what was not listed one by one. */
export const MORE_GROUNDING_WARNING = "and";
/** Longest quote returned, in characters; longer best spans are cut at a word boundary. */
export const MAX_QUOTE_CHARS = 400;
/** Sentences with fewer content words than this and no specifics are not scored. */
export const MIN_CHECKABLE_WORDS = 2;
/** Longest sentence excerpt quoted in a warning. */
export const WARNING_SENTENCE_CHARS = 140;
