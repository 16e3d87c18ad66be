import { z } from "zod";
import { QUERY_TYPES, type QueryType } from "../../domain/index.js";

/**
 * The classifier's learned component: a multinomial naive-Bayes model over binarized features of
 * a query (word unigrams and bigrams, the opening word, a few shape tokens, and the structural
 * features the rules detect). It is trained at build time on the labelled development set
 * (`npm run train:routing` writes `naiveBayesWeights.json`); at run time it only counts and adds.
 *
 * The weights file holds counts, not probabilities: training is exact integer counting, so a
 * retrain over the same data reproduces the file byte for byte.
 */

/** Words of a query that the features are built from: lower case, letters (with an inner apostrophe) or digit runs. */
const WORD = /[a-z]+(?:'[a-z]+)?|\d+/g;

/**
 * The features of one query, each at most once. `structural` names the structural features the
 * rules found (`detectFeatures` in classifier.ts); each becomes a `<name>` token.
 */
export function routingFeatures(query: string, structural: Readonly<Record<string, boolean>> = {}): string[] {
  const words = (query.toLowerCase().match(WORD) ?? []).map((w) => (/^\d+$/.test(w) ? "<n>" : w));
  const out = new Set<string>();
  if (words.length > 0) out.add(`^${words[0]}`);
  words.forEach((w, i) => {
    out.add(w);
    if (i > 0) out.add(`${words[i - 1]} ${w}`);
  });
  const trimmed = query.trim();
  if (trimmed.includes("\n")) out.add("<multiline>");
  if (trimmed.endsWith("?")) out.add("<question>");
  if (words.length <= 4) out.add("<short>");
  if (/\b[A-Z][a-z0-9]+[A-Z]\w*/.test(query)) out.add("<camel>");
  if (/["'`][^"'`\n]{3,}["'`]/.test(query)) out.add("<quoted>");
  if (/\b\w+=\S/.test(query)) out.add("<kv>");
  for (const [name, present] of Object.entries(structural)) if (present) out.add(`<${name}>`);
  return [...out];
}

/** The weights file: per-class document counts, and per feature the number of documents of each class that have it. */
export const NaiveBayesWeights = z.object({
  /** The class order of every count array. */
  classes: z.array(z.enum(QUERY_TYPES)).length(QUERY_TYPES.length),
  /** Additive (Laplace/Lidstone) smoothing. */
  alpha: z.number().positive(),
  /** Features seen in fewer training documents than this were dropped. */
  minDocFrequency: z.number().int().min(1),
  /** Training documents per class. */
  documents: z.array(z.number().int().min(0)),
  /** Feature → documents of each class that contain it. */
  features: z.record(z.string(), z.array(z.number().int().min(0))),
});
export type NaiveBayesWeights = z.infer<typeof NaiveBayesWeights>;

const WeightsHead = NaiveBayesWeights.omit({ features: true }).extend({ features: z.record(z.string(), z.unknown()) });

/**
 * Checks an untyped weights object (the JSON file) and returns it typed. The head goes through
 * the schema; the feature rows, which are most of the file, are checked in one plain pass (a
 * schema pass over them costs tens of milliseconds at first use). Throws naming the first problem.
 */
export function checkWeights(raw: unknown): NaiveBayesWeights {
  const head = WeightsHead.safeParse(raw);
  if (!head.success) throw new Error(`invalid naive-Bayes weights: ${z.prettifyError(head.error)}`);
  const k = head.data.classes.length;
  for (const [feature, row] of Object.entries(head.data.features)) {
    if (!Array.isArray(row) || row.length !== k || !row.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new Error(`invalid naive-Bayes weights: feature ${JSON.stringify(feature)} needs ${k} counts (whole numbers ≥ 0)`);
    }
  }
  return head.data as NaiveBayesWeights;
}

export interface TrainingItem {
  query: string;
  queryType: QueryType;
  /** The rules' structural features of the query (see `routingFeatures`). */
  structural?: Readonly<Record<string, boolean>>;
}

/** Counts features per class over the items. Deterministic: features are stored in sorted order. */
export function trainNaiveBayes(items: readonly TrainingItem[], options: { alpha: number; minDocFrequency: number }): NaiveBayesWeights {
  const classes = [...QUERY_TYPES];
  const index = new Map(classes.map((c, i) => [c, i] as const));
  const documents = classes.map(() => 0);
  const counts = new Map<string, number[]>();
  for (const item of items) {
    const c = index.get(item.queryType);
    if (c === undefined) throw new Error(`unknown query type '${item.queryType}'`);
    documents[c] = (documents[c] ?? 0) + 1;
    for (const f of routingFeatures(item.query, item.structural)) {
      let row = counts.get(f);
      if (!row) counts.set(f, (row = classes.map(() => 0)));
      row[c] = (row[c] ?? 0) + 1;
    }
  }
  const features: Record<string, number[]> = {};
  for (const f of [...counts.keys()].sort()) {
    const row = counts.get(f) ?? [];
    if (row.reduce((a, b) => a + b, 0) >= options.minDocFrequency) features[f] = row;
  }
  return { classes, alpha: options.alpha, minDocFrequency: options.minDocFrequency, documents, features };
}

export interface NaiveBayesPrediction {
  queryType: QueryType;
  /** Posterior probability of each class (uniform prior over classes). */
  posterior: Record<QueryType, number>;
  /** Features of the query that the model knows. */
  known: number;
}

/** A trained model ready to score: log-likelihoods precomputed once. */
export class NaiveBayesModel {
  private readonly classes: QueryType[];
  private readonly logLikelihood = new Map<string, Float64Array>();

  constructor(weights: NaiveBayesWeights) {
    this.classes = weights.classes;
    const k = weights.classes.length;
    const vocabulary = Object.keys(weights.features).length;
    const totals = new Float64Array(k);
    for (const row of Object.values(weights.features)) row.forEach((n, c) => (totals[c] = (totals[c] ?? 0) + n));
    for (const [f, row] of Object.entries(weights.features)) {
      const ll = new Float64Array(k);
      for (let c = 0; c < k; c++) ll[c] = Math.log(((row[c] ?? 0) + weights.alpha) / ((totals[c] ?? 0) + weights.alpha * vocabulary));
      this.logLikelihood.set(f, ll);
    }
  }

  /** The most probable class of a query's features; ties go to the earlier class in `QUERY_TYPES`. */
  predict(features: readonly string[]): NaiveBayesPrediction {
    const k = this.classes.length;
    const score = new Float64Array(k);
    let known = 0;
    for (const f of features) {
      const ll = this.logLikelihood.get(f);
      if (!ll) continue;
      known++;
      for (let c = 0; c < k; c++) score[c] = (score[c] ?? 0) + (ll[c] ?? 0);
    }
    let best = 0;
    for (let c = 1; c < k; c++) if ((score[c] ?? 0) > (score[best] ?? 0)) best = c;
    const top = score[best] ?? 0;
    const exp = Array.from(score, (s) => Math.exp(s - top));
    const sum = exp.reduce((a, b) => a + b, 0);
    const posterior = Object.fromEntries(this.classes.map((c, i) => [c, (exp[i] ?? 0) / sum])) as Record<QueryType, number>;
    return { queryType: this.classes[best] ?? "explanation", posterior, known };
  }
}
