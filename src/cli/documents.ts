import { readdir, stat } from "node:fs/promises";
import { basename, extname, join, relative } from "node:path";
import { DocumentsError, type ContextDocument } from "../app/index.js";
import MiniSearch from "minisearch";
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

/** Suffixes `stem` removes, longest first. */
const SUFFIXES = ["ations", "ation", "ments", "ment", "ions", "ion", "ings", "ing", "edly", "ed", "ly"];

/**
 * A light English stemmer for ranking: plural `s`/`es`/`ies`, then `-ation`, `-ion`, `-ment`,
 * `-ing`, `-ed`, `-ly`, a doubled final consonant and a final `e`, so that "prevent" and
 * "Prevention", "crashing", "crashes" and "crash", "evicted" and "eviction" meet. Terms holding
 * digits or punctuation (metric names, versions, flags) are kept as they are.
 */
export function stem(term: string): string {
  let t = term.toLowerCase();
  if (!/^[a-z]+$/.test(t) || t.length <= 3) return t;
  if (t.endsWith("ies") && t.length > 4) t = `${t.slice(0, -3)}y`;
  else if (t.endsWith("sses")) t = t.slice(0, -2);
  else if (t.endsWith("s") && !/(ss|us|is)$/.test(t)) t = t.slice(0, -1);
  for (const suffix of SUFFIXES) {
    if (t.endsWith(suffix) && t.length - suffix.length >= 3) {
      t = t.slice(0, -suffix.length);
      if (/([^aeiouslz])\1$/.test(t)) t = t.slice(0, -1);
      break;
    }
  }
  if (t.endsWith("e") && t.length > 3) t = t.slice(0, -1);
  return t;
}

/** Lower-cased words of `text` without stop words, unstemmed. */
export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9][a-z0-9_.:-]*[a-z0-9]|[a-z0-9]/g) ?? []).filter((t) => !STOP_WORDS.has(t));
}

/**
 * The stemmed terms `rankSections` matches on: each word, and the parts of a CamelCase name as
 * well (`KubePodCrashLooping` also gives kube, pod, crash, loop), so alert names meet plain words.
 */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const word of text.match(/[A-Za-z0-9][A-Za-z0-9_.:-]*[A-Za-z0-9]|[A-Za-z0-9]/g) ?? []) {
    const lower = word.toLowerCase();
    if (STOP_WORDS.has(lower)) continue;
    out.push(stem(lower));
    const parts = /^[A-Za-z]+$/.test(word) ? (word.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+/g) ?? []) : [];
    if (parts.length > 1) for (const part of parts) if (!STOP_WORDS.has(part.toLowerCase())) out.push(stem(part));
  }
  return out;
}

/** How much each earlier question of a thread counts next to the current one (1): the last one first. */
export const PREVIOUS_QUESTION_WEIGHTS = [0.5, 0.3] as const;

/** What a ranking used besides the current question. */
export interface Ranked<T> {
  sections: T[];
  /** The earlier questions of the thread that took part (latest last); empty when only the current one did. */
  previous: string[];
}

/**
 * An index of document sections (MiniSearch: BM25 over the stemmed `terms` of each section's
 * title, boosted twice, and content), built once and asked every turn. `npm run bench:docsearch`
 * measures it against the hand-written BM25 on the shared runbook corpus.
 */
export class SectionIndex<T extends ContextDocument> {
  private readonly index = new MiniSearch<{ id: number; title: string; content: string }>({
    fields: ["title", "content"],
    tokenize: terms,
    processTerm: (term) => term,
    searchOptions: { boost: { title: 2 }, combineWith: "OR" },
  });

  constructor(private readonly sections: readonly T[]) {
    this.index.addAll(sections.map((s, id) => ({ id, title: s.title ?? "", content: s.content })));
  }

  /**
   * The best `topK` sections for `query`; `previous` (the thread's earlier questions, oldest
   * first) counts too, the latest two at the weights of `PREVIOUS_QUESTION_WEIGHTS`, so a
   * follow-up such as "how do I prevent it?" stays on the runbook the thread is about.
   */
  rank(query: string, topK: number, previous: readonly string[] = []): Ranked<T> {
    if (this.sections.length === 0) return { sections: [], previous: [] };
    const used = previous.filter((q) => terms(q).length > 0).slice(-PREVIOUS_QUESTION_WEIGHTS.length);
    if (terms(query).length === 0 && used.length === 0) return { sections: this.sections.slice(0, topK), previous: [] };
    const asked = [{ text: query, weight: 1 }, ...used.map((text, i) => ({ text, weight: PREVIOUS_QUESTION_WEIGHTS[used.length - 1 - i] ?? 0 }))];
    const scores = new Map<number, number>();
    for (const { text, weight } of asked) {
      // Each question's scores are scaled to its best hit, so a question counts by its weight whatever its length.
      const hits = this.index.search(text);
      const best = hits[0]?.score ?? 1;
      for (const hit of hits) scores.set(hit.id as number, (scores.get(hit.id as number) ?? 0) + (weight * hit.score) / best);
    }
    const sections = [...scores]
      .sort((x, y) => y[1] - x[1] || x[0] - y[0])
      .slice(0, topK)
      .map(([i, score]) => ({ ...(this.sections[i] as T), score: Number(score.toFixed(3)) }));
    return { sections, previous: used };
  }
}

/** Ranks sections against the query (and the thread's earlier questions) and returns the best `topK`. */
export function rankSections<T extends ContextDocument>(query: string, sections: readonly T[], topK: number, previous: readonly string[] = []): T[] {
  return new SectionIndex(sections).rank(query, topK, previous).sections;
}
