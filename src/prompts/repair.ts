/**
 * The corrective instruction of the single citation-repair round. Placeholders:
 * {invalid} the out-of-range markers, {count} the number of documents.
 */
export const REPAIR_INSTRUCTION_TEMPLATE = `Your previous answer cites {invalid}, but only documents [1] to [{count}] exist. Rewrite the whole answer so that every citation marker refers to one of the documents [1]-[{count}] that supports the sentence; remove a marker when no document supports it. Keep everything else unchanged and do not mention this correction.`;

/** Used instead when the turn has no documents at all. */
export const REPAIR_NO_DOCUMENTS_TEMPLATE = `Your previous answer cites {invalid}, but no documents were provided. Rewrite the whole answer without any citation markers. Keep everything else unchanged and do not mention this correction.`;
