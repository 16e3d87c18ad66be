import type { ContextDocument } from "../domain/index.js";

/** Keeps document text from closing the data block it is wrapped in. */
export function escapeDocumentText(text: string): string {
  return text.replace(/<\/?(documents?)\b/gi, (m) => m.replace("<", "&lt;"));
}

function attr(value: string): string {
  return value
    .replace(/[\n\r]+/g, " ")
    .replace(/"/g, "&quot;")
    .replace(/</g, "&lt;");
}

/** Formats ranked documents as a numbered, delimited data block: [1] is the first. */
export function formatDocuments(documents: readonly ContextDocument[]): string {
  const blocks = documents.map((doc, i) => {
    const attrs = [`index="${i + 1}"`];
    if (doc.title) attrs.push(`title="${attr(doc.title)}"`);
    if (doc.source) attrs.push(`source="${attr(doc.source)}"`);
    return `<document ${attrs.join(" ")}>\n${escapeDocumentText(doc.content.trim())}\n</document>`;
  });
  return `<documents>\n${blocks.join("\n")}\n</documents>`;
}
