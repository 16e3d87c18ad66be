/**
 * Trains the classifier's learned component on the development part of the routing set
 * (evals/datasets/routing.jsonl; never the held-out part) and writes
 * src/tools/routing/naiveBayesWeights.json.
 *
 *   npm run train:routing            retrain and write the weights file
 *   npm run train:routing -- --check exit 1 when the committed file is not what a retrain gives
 */
import { readFile, writeFile } from "node:fs/promises";
import { readJsonl, RoutingItem } from "../evals/datasets/schema.js";
import { serializeWeights, trainRoutingModel } from "../src/tools/routing/train.js";

const DATASET = new URL("../evals/datasets/routing.jsonl", import.meta.url).pathname;
const WEIGHTS = new URL("../src/tools/routing/naiveBayesWeights.json", import.meta.url).pathname;

const items = await readJsonl(DATASET, RoutingItem);
const weights = trainRoutingModel(items);
const text = serializeWeights(weights);
const summary = `${items.length} queries, ${Object.keys(weights.features).length} features`;
if (process.argv.includes("--check")) {
  const current = await readFile(WEIGHTS, "utf8").catch(() => "");
  if (current !== text) {
    process.stderr.write(`train:routing: ${WEIGHTS} is out of date with ${DATASET} (${summary}); run npm run train:routing\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`train:routing: weights up to date (${summary})\n`);
  }
} else {
  await writeFile(WEIGHTS, text);
  process.stdout.write(`train:routing: wrote ${WEIGHTS} (${summary}, ${text.length} bytes)\n`);
}
