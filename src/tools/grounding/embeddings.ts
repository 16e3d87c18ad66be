/** Optional refinement of the string scores with an embedding model. */
import type { Citation } from "../../domain/index.js";
import { DEFAULT_SUPPORT_THRESHOLD } from "./constants.js";
import { groundingNotices, summarize, withWarnings, type GroundingOptions, type GroundingResult, type ScoredCitation } from "./answers.js";
import { combineSupport, type SupportScore } from "./scoring.js";

/** What refinement needs of an embedding model; `OllamaEmbeddings` is one. */
export interface TextEmbedder {
  embedDocuments(texts: string[]): Promise<number[][]>;
}

/** Cosine similarity of two vectors (0 when either is zero or they differ in length). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Cosine at or below which a span counts as unrelated, and at or above which as a paraphrase. */
export const EMBEDDING_FLOOR = 0.5;
export const EMBEDDING_CEILING = 0.85;

/** Maps a cosine similarity onto 0..1 between `EMBEDDING_FLOOR` and `EMBEDDING_CEILING`. */
export function semanticScore(similarity: number): number {
  return Math.min(1, Math.max(0, (similarity - EMBEDDING_FLOOR) / (EMBEDDING_CEILING - EMBEDDING_FLOOR)));
}

/**
 * Refines the support of every scored citation with embeddings: each claim and its candidate
 * spans are embedded (one batch), the word overlap is averaged with the best span's semantic
 * score, and the quote becomes the most similar span. Specific presence still scales the result.
 */
export async function refineWithEmbeddings(result: GroundingResult, embedder: TextEmbedder, options: GroundingOptions = {}): Promise<GroundingResult> {
  const threshold = options.threshold ?? DEFAULT_SUPPORT_THRESHOLD;
  const withScores = result.scored.filter((s): s is ScoredCitation & { score: SupportScore } => s.score !== undefined && s.score.candidates.length > 0);
  if (withScores.length === 0) return { ...result, summary: { ...result.summary, method: "embedding" } };
  const texts: string[] = [];
  const slot = new Map<string, number>();
  const slotOf = (text: string) => {
    let i = slot.get(text);
    if (i === undefined) {
      i = texts.length;
      texts.push(text);
      slot.set(text, i);
    }
    return i;
  };
  const plan = withScores.map((s) => ({ claim: slotOf(s.sentence.claim), spans: s.score.candidates.map((c) => slotOf(c.text)) }));
  const vectors = await embedder.embedDocuments(texts);
  if (vectors.length !== texts.length) throw new Error(`the embedding model returned ${vectors.length} vectors for ${texts.length} texts`);
  const refined = new Map<ScoredCitation, ScoredCitation>();
  withScores.forEach((s, i) => {
    const p = plan[i];
    if (!p) return;
    const claimVector = vectors[p.claim] ?? [];
    let bestIndex = 0;
    let bestSimilarity = -1;
    p.spans.forEach((v, j) => {
      const similarity = cosine(claimVector, vectors[v] ?? []);
      if (similarity > bestSimilarity) {
        bestSimilarity = similarity;
        bestIndex = j;
      }
    });
    const semantic = semanticScore(bestSimilarity);
    const blended = (s.score.lexical + semantic) / 2;
    const support = combineSupport(blended, s.score.specifics, s.score.checkedSpecifics > 0);
    const quote = s.score.candidates[bestIndex] ?? s.citation.quote;
    const citation: Citation = { ...s.citation, support, ...(quote ? { quote } : {}) };
    refined.set(s, { ...s, citation });
  });
  const scored = result.scored.map((s) => refined.get(s) ?? s);
  return {
    ...result,
    scored,
    citations: scored.map((s) => s.citation),
    summary: summarize(result.sentences, scored, result.uncited, threshold, "embedding"),
    ...withWarnings(groundingNotices(scored, result.uncited, threshold)),
  };
}
