import type { QueryType } from "../../domain/index.js";
import { detectFeatures } from "../classifier.js";
import { trainNaiveBayes, type NaiveBayesWeights } from "./naiveBayes.js";

/**
 * How the learned component is trained: Lidstone smoothing 0.5, features seen in at least two
 * training queries. Chosen by 10-fold cross-validation on the development set (every variant
 * tried was within a few points of the others; these keep the file small).
 */
export const TRAINING_OPTIONS = { alpha: 0.5, minDocFrequency: 2 } as const;

/** The weights of the learned component for labelled queries (the development part of the routing set). */
export function trainRoutingModel(items: ReadonlyArray<{ query: string; queryType: QueryType }>): NaiveBayesWeights {
  return trainNaiveBayes(
    items.map((i) => ({ query: i.query, queryType: i.queryType, structural: detectFeatures(i.query) })),
    TRAINING_OPTIONS,
  );
}

/** The weights file's text: one feature per line, so a retrain shows as a readable diff. */
export function serializeWeights(weights: NaiveBayesWeights): string {
  const head = {
    classes: weights.classes,
    alpha: weights.alpha,
    minDocFrequency: weights.minDocFrequency,
    documents: weights.documents,
  };
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const features = Object.entries(weights.features).map(([f, row]) => `    ${JSON.stringify(f)}: ${JSON.stringify(row)}`);
  return `{\n${lines.join("\n")}\n  "features": {\n${features.join(",\n")}\n  }\n}\n`;
}
