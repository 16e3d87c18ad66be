/**
 * The conversations of the scale test, built from the shared runbook corpus (read in place, never
 * copied): each conversation is about one alert runbook and asks three questions about it (what
 * it means, how to diagnose it, how to fix it); each question carries the three corpus sections
 * that rank best for it, as a retrieval step upstream would send them.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { loadDocumentSections, SectionIndex, type DocumentSection } from "../../src/cli/documents.js";
import type { ContextDocument } from "../../src/index.js";

/** One message of a conversation: the body of `POST /v1/generate` without the thread id. */
export interface Message {
  query: string;
  documents: ContextDocument[];
}

export interface Conversation {
  /** Position in the arrival schedule (0-based). */
  index: number;
  threadId: string;
  topic: string;
  messages: Message[];
}

/** Documents per message (the top-ranked sections). */
const TOP_K = 3;

const QUESTIONS: ((topic: string) => string)[] = [
  (topic) => `The ${topic} alert is firing in production, what does it mean and what is affected?`,
  (topic) => `How do I diagnose ${topic}? Which commands or queries should I run first?`,
  (topic) => `What is the mitigation for ${topic}, and how do I confirm it is resolved?`,
];

/** A small seeded generator (mulberry32), so a run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".md")).map((e) => join(e.parentPath, e.name));
}

/** The alert runbooks (one alert per file) that conversations are about. */
async function topics(corpus: string): Promise<string[]> {
  const files = [...(await markdownFiles(join(corpus, "prometheus-operator")))].sort();
  return files.map((f) => basename(f, ".md")).filter((name) => /^[A-Z][A-Za-z0-9]+$/.test(name));
}

/**
 * `count` conversations over the corpus at `corpus` (e.g. `../shared/corpus`), three messages
 * each, the same for the same seed. Thread ids start with `prefix` so two runs never share one.
 */
export async function buildConversations(corpus: string, count: number, seed: number, prefix: string): Promise<Conversation[]> {
  if (!existsSync(join(corpus, "prometheus-operator"))) {
    throw new Error(`the runbook corpus is missing: ${corpus}/prometheus-operator not found (pass --corpus DIR)`);
  }
  const sections: DocumentSection[] = await loadDocumentSections([corpus]);
  const index = new SectionIndex(sections);
  const names = await topics(corpus);
  if (names.length === 0) throw new Error(`no alert runbooks under ${corpus}/prometheus-operator`);
  const random = seededRandom(seed);
  const conversations: Conversation[] = [];
  for (let i = 0; i < count; i += 1) {
    const topic = names[Math.floor(random() * names.length)] as string;
    const asked: string[] = [];
    const messages = QUESTIONS.map((question) => {
      const query = question(topic);
      const documents = index.rank(query, TOP_K, asked).sections.map(({ title, source, content }) => ({ title, source, content }));
      asked.push(query);
      return { query, documents };
    });
    conversations.push({ index: i, threadId: `${prefix}-c${i}`, topic, messages });
  }
  return conversations;
}
