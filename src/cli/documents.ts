import { readdir, stat } from "node:fs/promises";
import { basename, extname, join, relative } from "node:path";
import { DocumentsError, type ContextDocument } from "../app/index.js";
import { readTextFile } from "./textFile.js";

/** File types `--docs` reads. */
export const DOCUMENT_EXTENSIONS = new Set([".md", ".markdown", ".txt", ".rst", ".adoc"]);

/** Longest section kept as one document; longer sections are split at paragraph breaks. */
export const MAX_SECTION_CHARS = 6000;

/** A section of a file, ready to be ranked. */
export interface DocumentSection extends ContextDocument {
  content: string;
  title: string;
  source: string;
}

async function listFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "error";
    throw new DocumentsError(`cannot read --docs path '${path}' (${code}): pass a Markdown or text file, or a folder of them`, { cause });
  }
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new DocumentsError(`--docs path '${path}' is neither a file nor a folder`);
  const out: string[] = [];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile() && DOCUMENT_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}

/**
 * A file's title: its first `# ` heading outside fenced code blocks and front matter, else the
 * front matter's `title:`, else the file name.
 */
export function fileTitle(text: string, path: string): string {
  const front = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  let fence: string | undefined;
  for (const line of text.slice(front?.[0].length ?? 0).split("\n")) {
    const mark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (mark !== undefined) {
      if (fence === undefined) fence = mark[0];
      else if (mark[0] === fence) fence = undefined;
      continue;
    }
    const heading = fence === undefined ? /^#\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (heading?.[1]) return heading[1].trim();
  }
  const title = front?.[1] ? /^title:\s*["']?(.+?)["']?\s*$/m.exec(front[1])?.[1]?.trim() : undefined;
  return title || basename(path, extname(path));
}

function splitLong(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let current = "";
  for (const para of text.split(/\n{2,}/)) {
    if (current && current.length + para.length + 2 > max) {
      parts.push(current);
      current = "";
    }
    if (para.length > max) {
      for (let i = 0; i < para.length; i += max) parts.push(para.slice(i, i + max));
    } else {
      current = current ? `${current}\n\n${para}` : para;
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** Splits a Markdown file at its `##` headings into sections no longer than `MAX_SECTION_CHARS`. */
export function splitSections(text: string, title: string, source: string): DocumentSection[] {
  const lines = text.split("\n");
  const sections: { heading?: string; line: number; body: string[] }[] = [{ line: 1, body: [] }];
  let inFence = false;
  lines.forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const h = !inFence ? /^##\s+(.+)$/.exec(line) : null;
    if (h?.[1]) sections.push({ heading: h[1].trim(), line: i + 1, body: [line] });
    else (sections.at(-1) as { body: string[] }).body.push(line);
  });
  const out: DocumentSection[] = [];
  for (const s of sections) {
    const body = s.body.join("\n").trim();
    if (body === "" || /^#\s+[^\n]+$/.test(body)) continue;
    const pieces = splitLong(body, MAX_SECTION_CHARS);
    pieces.forEach((piece, j) => {
      const sectionTitle = s.heading ? `${title} › ${s.heading}` : title;
      out.push({
        content: piece,
        title: pieces.length > 1 ? `${sectionTitle} (${j + 1}/${pieces.length})` : sectionTitle,
        source: `${source}#L${s.line}`,
      });
    });
  }
  return out;
}

/** Reads every document file under the given paths and splits them into sections. */
export async function loadDocumentSections(paths: readonly string[], cwd = process.cwd()): Promise<DocumentSection[]> {
  const files: string[] = [];
  for (const p of paths) files.push(...(await listFiles(p)));
  if (paths.length > 0 && files.length === 0) {
    throw new DocumentsError(`no document files (${[...DOCUMENT_EXTENSIONS].join(", ")}) under ${paths.join(", ")}`);
  }
  const sections: DocumentSection[] = [];
  for (const file of files) {
    const { text } = await readTextFile(file);
    const source = relative(cwd, file) || file;
    sections.push(...splitSections(text, fileTitle(text, file), source));
  }
  return sections;
}

const STOP_WORDS = new Set(
  "a an the and or of to in on for is are was were be it this that with as at by from how what why when do does i my we our you your me pls please can could should would will not no".split(" "),
);

export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9][a-z0-9_.:-]*[a-z0-9]|[a-z0-9]/g) ?? []).filter((t) => !STOP_WORDS.has(t));
}

/**
 * Ranks sections against the query with BM25 and returns the best `topK`. A stand-in for the
 * retrieval and re-ranking stages, so `--docs` works on a whole folder of runbooks.
 */
export function rankSections<T extends ContextDocument>(query: string, sections: readonly T[], topK: number): T[] {
  const k1 = 1.2;
  const b = 0.75;
  const terms = [...new Set(tokenize(query))];
  if (terms.length === 0 || sections.length === 0) return sections.slice(0, topK);
  const docs = sections.map((s) => tokenize(`${s.title ?? ""} ${s.title ?? ""} ${s.content}`));
  const avg = docs.reduce((n, d) => n + d.length, 0) / docs.length || 1;
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const scored = docs.map((d, i) => {
    const tf = new Map<string, number>();
    for (const t of d) tf.set(t, (tf.get(t) ?? 0) + 1);
    let score = 0;
    for (const t of terms) {
      const f = tf.get(t) ?? 0;
      if (f === 0) continue;
      const n = df.get(t) ?? 0;
      const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
      score += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * d.length) / avg));
    }
    return { i, score };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((x, y) => y.score - x.score || x.i - y.i)
    .slice(0, topK)
    .map((s) => ({ ...(sections[s.i] as T), score: Number(s.score.toFixed(3)) }));
}
