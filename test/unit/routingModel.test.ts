import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readJsonl, RoutingItem } from "../../evals/datasets/schema.js";
import { QUERY_TYPES } from "../../src/domain/index.js";
import { routingModel } from "../../src/tools/classifier.js";
import { checkWeights, NaiveBayesModel, NaiveBayesWeights, routingFeatures, trainNaiveBayes } from "../../src/tools/routing/naiveBayes.js";
import { serializeWeights, trainRoutingModel } from "../../src/tools/routing/train.js";

const DEV_SET = new URL("../../evals/datasets/routing.jsonl", import.meta.url).pathname;
const WEIGHTS = new URL("../../src/tools/routing/naiveBayesWeights.json", import.meta.url).pathname;

describe("routingFeatures", () => {
  it("lower-cased words, bigrams, the opening word and shape tokens, each once", () => {
    const f = routingFeatures("Why is Loki slow? Loki");
    expect(f).toEqual(expect.arrayContaining(["^why", "why", "loki", "why is", "is loki", "loki slow", "slow loki"]));
    expect(f.filter((x) => x === "loki")).toHaveLength(1);
    expect(f).not.toContain("<question>"); // the message does not end with "?"
    expect(routingFeatures("is loki slow?")).toEqual(expect.arrayContaining(["<question>", "<short>"]));
  });

  it("numbers collapse to one token; pastes, quotes, key=value and CamelCase names have their own", () => {
    const f = routingFeatures('KubePodCrashLooping fired at 10:42\nlevel=error msg="boom boom"');
    expect(f).toEqual(expect.arrayContaining(["<n>", "<multiline>", "<kv>", "<quoted>", "<camel>"]));
    expect(f).not.toContain("10");
  });

  it("the rules' structural features become tokens", () => {
    expect(routingFeatures("x", { pastedCode: true, errorArtifact: false })).toContain("<pastedCode>");
    expect(routingFeatures("x", { pastedCode: true, errorArtifact: false })).not.toContain("<errorArtifact>");
  });
});

describe("trainNaiveBayes / NaiveBayesModel", () => {
  const items = [
    { query: "hello there friend", queryType: "chat" as const },
    { query: "hello again", queryType: "chat" as const },
    { query: "loki is down again", queryType: "troubleshooting" as const },
    { query: "loki pods crash", queryType: "troubleshooting" as const },
  ];

  it("counts, per feature, the training queries of each class that have it; rare features are dropped", () => {
    const w = trainNaiveBayes(items, { alpha: 1, minDocFrequency: 2 });
    const chat = QUERY_TYPES.indexOf("chat");
    const trouble = QUERY_TYPES.indexOf("troubleshooting");
    expect(w.documents[chat]).toBe(2);
    expect(w.features.hello?.[chat]).toBe(2);
    expect(w.features.again?.[chat]).toBe(1);
    expect(w.features.again?.[trouble]).toBe(1);
    expect(w.features.friend).toBeUndefined(); // seen once
    expect(Object.keys(w.features)).toEqual([...Object.keys(w.features)].sort());
  });

  it("predicts the class whose features the query shares, with a posterior that sums to 1", () => {
    const model = new NaiveBayesModel(trainNaiveBayes(items, { alpha: 1, minDocFrequency: 1 }));
    const chat = model.predict(routingFeatures("hello"));
    expect(chat.queryType).toBe("chat");
    expect(chat.posterior.chat).toBeGreaterThan(0.5);
    expect(Object.values(chat.posterior).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(model.predict(routingFeatures("loki crash")).queryType).toBe("troubleshooting");
  });

  it("a query with no known feature gets a uniform posterior and the first type", () => {
    const model = new NaiveBayesModel(trainNaiveBayes(items, { alpha: 1, minDocFrequency: 1 }));
    const p = model.predict(["zzz", "qqq"]);
    expect(p.known).toBe(0);
    expect(p.queryType).toBe(QUERY_TYPES[0]);
    for (const t of QUERY_TYPES) expect(p.posterior[t]).toBeCloseTo(1 / QUERY_TYPES.length, 10);
  });

  it("the weights schema rejects a file with a wrong class list or negative counts", () => {
    const good = trainNaiveBayes(items, { alpha: 1, minDocFrequency: 1 });
    expect(NaiveBayesWeights.safeParse(good).success).toBe(true);
    expect(NaiveBayesWeights.safeParse({ ...good, classes: ["chat"] }).success).toBe(false);
    expect(NaiveBayesWeights.safeParse({ ...good, features: { x: [-1, 0, 0, 0, 0, 0, 0] } }).success).toBe(false);
  });

  it("checkWeights (what the classifier loads the file with) accepts good weights and names the first bad row", () => {
    const good = trainNaiveBayes(items, { alpha: 1, minDocFrequency: 1 });
    expect(checkWeights(JSON.parse(JSON.stringify(good)))).toEqual(good);
    expect(() => checkWeights({ ...good, features: { ...good.features, oops: [1, 2] } })).toThrow(/feature "oops" needs 7 counts/);
    expect(() => checkWeights({ ...good, features: { ...good.features, neg: [0, 0, 0, 0, 0, 0, -1] } })).toThrow(/feature "neg" needs 7 counts \(whole numbers ≥ 0\)/);
    expect(() => checkWeights({ ...good, alpha: 0 })).toThrow(/invalid naive-Bayes weights/);
    expect(() => checkWeights(null)).toThrow(/invalid naive-Bayes weights/);
  });
});

describe("the committed weights file", () => {
  it("is what retraining on the development set gives, byte for byte (run npm run train:routing after changing the set or the features)", async () => {
    const items = await readJsonl(DEV_SET, RoutingItem);
    const committed = await readFile(WEIGHTS, "utf8");
    const retrained = serializeWeights(trainRoutingModel(items));
    expect(retrained === committed, "src/tools/routing/naiveBayesWeights.json is stale: run npm run train:routing").toBe(true);
    // Training is deterministic: a second run gives the same text.
    expect(serializeWeights(trainRoutingModel(items))).toBe(retrained);
    // The serialized text is valid JSON that parses back to the same weights.
    expect(JSON.parse(retrained)).toEqual(trainRoutingModel(items));
  });

  it("holds only development queries: no held-out query was trained on", async () => {
    const heldout = await readJsonl(new URL("../../evals/datasets/routing.heldout.jsonl", import.meta.url).pathname, RoutingItem);
    const dev = await readJsonl(DEV_SET, RoutingItem);
    const devQueries = new Set(dev.map((i) => i.query.trim()));
    expect(heldout.filter((i) => devQueries.has(i.query.trim())).map((i) => i.id)).toEqual([]);
    const weights = JSON.parse(await readFile(WEIGHTS, "utf8")) as NaiveBayesWeights;
    expect(weights.documents.reduce((a, b) => a + b, 0)).toBe(dev.length);
  });

  it("loads into the classifier's model", () => {
    const p = routingModel().predict(routingFeatures("thanks a lot, bye"));
    expect(p.known).toBeGreaterThan(0);
    expect(p.queryType).toBe("chat");
  });
});
