/**
 * The run-time grounding check, table by table: hand-made answers and documents whose verdicts
 * are known (supported, unsupported, uncited), sentence splitting, specifics, quotes and the
 * embedding refinement with a deterministic fake embedder.
 */
import { describe, expect, it } from "vitest";
import type { ContextDocument } from "../../src/domain/index.js";
import {
  DEFAULT_SUPPORT_THRESHOLD,
  MAX_LISTED_WARNINGS,
  UNCITED_WARNING,
  UNSUPPORTED_WARNING,
  combineSupport,
  cosine,
  extractSpecifics,
  groundAnswer,
  indexDocument,
  refineWithEmbeddings,
  scoreSupport,
  semanticScore,
  splitSentences,
  stem,
  type TextEmbedder,
} from "../../src/tools/grounding/index.js";

const LOKI: ContextDocument = {
  title: "Loki ingester OOMKilled",
  source: "runbooks/loki-oom.md",
  content: [
    "## Loki ingester OOMKilled",
    "Ingesters that exceed their memory limit are killed with exit code 137 and reason OOMKilled.",
    "Raise the memory limit of the loki-ingester StatefulSet to 4Gi, or lower `ingester.max_chunk_age` to 1h so chunks",
    "are flushed sooner.",
    "",
    "Check the pod with `kubectl -n loki describe pod loki-ingester-0`.",
  ].join("\n"),
};
const WAL: ContextDocument = {
  title: "Prometheus WAL corruption",
  source: "runbooks/prometheus-wal.md",
  content:
    "When the write-ahead log is corrupted Prometheus fails to start with `opening storage failed: repair corrupted WAL`. " +
    "Delete the damaged segment files in /prometheus/wal and restart the pod. Expect to lose up to 2h of samples.",
};
const CRASHLOOP: ContextDocument = {
  title: "KubePodCrashLooping",
  source: "prometheus-operator/kubernetes/KubePodCrashLooping.md",
  content: [
    "## Diagnosis",
    "",
    "- Check pod events via `kubectl -n $NAMESPACE describe pod $POD`.",
    "- Check pod logs via `kubectl -n $NAMESPACE logs $POD -c $CONTAINER`",
    "- readiness and liveness probes may be incorrect - wrong port or command,",
    "  check is failing too fast due to short timeout for response",
  ].join("\n"),
};
const EMPTY: ContextDocument = { title: "empty", content: "" };
const DOCS = [LOKI, WAL, CRASHLOOP, EMPTY];

describe("splitSentences", () => {
  it.each<[string, string, Array<[string, number[]]>]>([
    [
      "two sentences, markers after the words",
      "Raise the limit [1]. Restart it [2].",
      [
        ["Raise the limit.", [1]],
        ["Restart it.", [2]],
      ],
    ],
    [
      "marker after the full stop",
      "Raise the limit. [1] Restart it.[2]",
      [
        ["Raise the limit.", [1]],
        ["Restart it.", [2]],
      ],
    ],
    ["several markers, repeats dropped", "OOMKilled [1][2] and again [1].", [["OOMKilled and again.", [1, 2]]]],
    ["range marker", "See the runbooks [1-3].", [["See the runbooks.", [1, 2, 3]]]],
    ["abbreviation is no sentence end", "Use a probe, e.g. an HTTP check [1].", [["Use a probe, e.g. an HTTP check.", [1]]]],
    [
      "version numbers and file names",
      "Tempo 2.8.2 reads values.yaml [2]. Done.",
      [
        ["Tempo 2.8.2 reads values.yaml.", [2]],
        ["Done.", []],
      ],
    ],
    ["lower-case continuation is one sentence", "Set it to 5m. then wait [1].", [["Set it to 5m. then wait.", [1]]]],
    ["full stop inside inline code", "Run `kubectl get pods. -A` now [1].", [["Run `kubectl get pods. -A` now.", [1]]]],
    [
      "list items and headings are sentences",
      "## Fix\n- Raise the limit [1]\n- Restart",
      [
        ["Fix", []],
        ["Raise the limit", [1]],
        ["Restart", []],
      ],
    ],
    [
      "fenced code is skipped, markers in it too",
      "Apply it [1]:\n```\nx[9] = 1. Done.\n```\nThen wait.",
      [
        ["Apply it:", [1]],
        ["Then wait.", []],
      ],
    ],
    ["a lone marker line belongs to the previous sentence", "Raise the limit.\n[2]", [["Raise the limit.", [2]]]],
    ["empty answer", "", []],
  ])("%s", (_name, answer, expected) => {
    expect(splitSentences(answer).map((s) => [s.claim, s.indices])).toEqual(expected);
  });

  it("offsets point at the sentence in the answer", () => {
    const answer = "Intro line.\n- Raise the limit [1].\n- Restart it.";
    for (const s of splitSentences(answer)) expect(answer.slice(s.start, s.end)).toBe(s.text);
  });

  it("list items under a cited lead-in ending in ':' inherit its markers, until a blank line", () => {
    const answer = "Steps from the runbook [1]:\n1. Describe the pod\n2. Lower the chunk age [2]\n\n- Unrelated item";
    const got = splitSentences(answer).map((s) => [s.claim, s.indices, s.inherited]);
    expect(got).toEqual([
      ["Steps from the runbook:", [1], false],
      ["Describe the pod", [1], true],
      ["Lower the chunk age", [2], false],
      ["Unrelated item", [], false],
    ]);
  });
});

describe("extractSpecifics", () => {
  it.each<[string, string, string[]]>([
    ["inline code is one specific", "Run `kubectl -n loki get pods` first.", ["code:kubectl -n loki get pods"]],
    ["numbers with units", "Set 4Gi, wait 5m and expect 90% or 137.", ["number:4Gi", "number:5m", "number:90%", "number:137"]],
    ["bare single digits and ordinals are prose", "Wait 2 minutes for the 1st restart.", []],
    [
      "hostnames, paths, flags, keys",
      "On node-7.lab.local edit /etc/loki/config.yaml, pass --max-chunk-age and set retention_period=744h.",
      ["identifier:node-7.lab.local", "identifier:/etc/loki/config.yaml", "identifier:--max-chunk-age", "identifier:retention_period=744h"],
    ],
    [
      "error reasons, alert names, errno",
      "OOMKilled and CrashLoopBackOff fire KubePodCrashLooping with ENOSPC.",
      ["identifier:OOMKilled", "identifier:CrashLoopBackOff", "identifier:KubePodCrashLooping", "identifier:ENOSPC"],
    ],
    ["metric names", "Watch container_memory_working_set_bytes.", ["identifier:container_memory_working_set_bytes"]],
    ["quoted error message", 'It logs "context deadline exceeded" on start.', ["quoted:context deadline exceeded"]],
    ["well-known kinds and products are not specifics", "Scale the StatefulSet in Kubernetes with PromQL.", []],
    ["plain prose", "Restart the pods and watch the logs.", []],
    ["repeats are dropped", "Use `helm` then `helm` again.", ["code:helm"]],
  ])("%s", (_name, claim, expected) => {
    expect(extractSpecifics(claim).map((s) => `${s.kind}:${s.text}`)).toEqual(expected);
  });
});

describe("stem", () => {
  it.each([
    ["restarts", "restart"],
    ["restarted", "restart"],
    ["restarting", "restart"],
    ["increases", "increas"],
    ["increase", "increas"],
    ["policies", "policy"],
    ["pods", "pod"],
    ["address", "address"],
  ])("%s → %s", (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});

describe("combineSupport", () => {
  it.each<[number, number, boolean, number]>([
    [0.8, 1, true, 0.9],
    [0.8, 0, true, 0],
    [0.6, 0.5, true, 0.138],
    [1, 2 / 3, true, 0.37],
    [0.42, 1, false, 0.42],
    [1.4, 1, false, 1],
  ])("lexical %s, specifics %s (has specifics: %s) → %s", (lexical, specifics, has, expected) => {
    expect(combineSupport(lexical, specifics, has)).toBeCloseTo(expected, 3);
  });
});

interface Verdict {
  index: number;
  supported: boolean | "unscored";
  missing?: string[];
}

describe("groundAnswer: known verdicts", () => {
  it.each<[string, string, Verdict[], number]>([
    [
      "faithful paraphrase with the same numbers",
      "The ingesters are OOMKilled with exit code 137 because they exceed their memory limit [1]. Raise the limit of the loki-ingester StatefulSet to 4Gi [1].",
      [
        { index: 1, supported: true },
        { index: 1, supported: true },
      ],
      0,
    ],
    ["a changed number is unsupported", "Raise the memory limit of the loki-ingester StatefulSet to 8Gi [1].", [{ index: 1, supported: false, missing: ["8Gi"] }], 0],
    [
      "an invented command is unsupported",
      "Apply it with `kubectl rollout restart sts/loki-ingester` [1].",
      [{ index: 1, supported: false, missing: ["kubectl rollout restart sts/loki-ingester"] }],
      0,
    ],
    ["the right fact cited to the wrong document", "Delete the damaged segment files in /prometheus/wal and restart the pod [1].", [{ index: 1, supported: false, missing: ["/prometheus/wal"] }], 0],
    ["the same fact cited to the right document", "Delete the damaged segment files in /prometheus/wal and restart the pod [2].", [{ index: 2, supported: true }], 0],
    ["an unrelated claim with no specifics", "The database password expired last week and has to be rotated in Vault [1].", [{ index: 1, supported: false }], 0],
    ["a runbook command filled in with real names matches its placeholders", "Read the events with `kubectl -n payments describe pod api-7d9` [3].", [{ index: 3, supported: true }], 0],
    ["a quoted error string found in the document", 'Prometheus fails to start with "opening storage failed: repair corrupted WAL" [2].', [{ index: 2, supported: true }], 0],
    ["an error string that is not in the document", 'Prometheus fails with "mmap: cannot allocate memory" [2].', [{ index: 2, supported: false, missing: ["mmap: cannot allocate memory"] }], 0],
    [
      "two documents cited, one supports",
      "Expect to lose up to 2h of samples [1, 2].",
      [
        { index: 1, supported: false, missing: ["2h"] },
        { index: 2, supported: true },
      ],
      0,
    ],
    ["a citation of an empty document supports nothing", "Raise the memory limit to 4Gi [4].", [{ index: 4, supported: false, missing: ["4Gi"] }], 0],
    [
      "a sentence with nothing to check is not scored",
      "See [1].\nSteps [2]:",
      [
        { index: 1, supported: "unscored" },
        { index: 2, supported: "unscored" },
      ],
      0,
    ],
    ["uncited specifics are reported, uncited prose is not", "Restart the pod with `kubectl delete pod loki-ingester-0`. Then wait a little.", [], 1],
    ["specifics from the question need neither a citation nor a source", "The alert fires for api-7d9 in payments. Read its events [3].", [{ index: 3, supported: true }], 0],
  ])("%s", (_name, answer, verdicts, uncited) => {
    const result = groundAnswer(answer, DOCS, { query: "KubePodCrashLooping for api-7d9 in payments" });
    const got = result.citations.map((c): Verdict => {
      const v: Verdict = { index: c.index, supported: c.support === undefined ? "unscored" : c.support >= DEFAULT_SUPPORT_THRESHOLD };
      if (c.missing) v.missing = c.missing;
      return v;
    });
    expect(got).toEqual(verdicts.map((v) => (v.missing ? v : { index: v.index, supported: v.supported })));
    expect(result.uncited).toHaveLength(uncited);
    expect(result.summary.uncitedClaims).toBe(uncited);
    expect(result.summary.unsupportedCitations).toBe(verdicts.filter((v) => v.supported === false).length);
  });

  it("every citation carries title, source, sentence and, when scored, a quote whose offsets match its text", () => {
    const answer = "Ingesters over their memory limit get exit code 137 [1]. Delete the damaged WAL segments [2].";
    const result = groundAnswer(answer, DOCS);
    expect(result.citations.map((c) => [c.index, c.title, c.source, c.valid, c.sentence])).toEqual([
      [1, LOKI.title, LOKI.source, true, "Ingesters over their memory limit get exit code 137 [1]."],
      [2, WAL.title, WAL.source, true, "Delete the damaged WAL segments [2]."],
    ]);
    for (const c of result.citations) {
      const doc = DOCS[c.index - 1];
      expect(c.quote).toBeDefined();
      expect(doc?.content.slice(c.quote?.start, c.quote?.end)).toBe(c.quote?.text);
      expect(c.support).toBeGreaterThanOrEqual(DEFAULT_SUPPORT_THRESHOLD);
    }
    expect(result.citations[0]?.quote?.text).toContain("exit code 137");
    expect(result.citations[1]?.quote?.text).toContain("Delete the damaged segment files");
  });

  it("out-of-range numbers come back as invalid, unscored citations", () => {
    const result = groundAnswer("Raise the limit [9].", DOCS);
    expect(result.citations).toEqual([{ index: 9, valid: false, sentence: "Raise the limit [9]." }]);
    expect(result.summary.checkedCitations).toBe(0);
  });

  it("with no documents nothing is reported as uncited", () => {
    const result = groundAnswer("Run `kubectl get pods -A` and look for 137.", []);
    expect(result.uncited).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.summary).toMatchObject({ sentences: 1, citedSentences: 0, checkedCitations: 0, meanSupport: null });
  });

  it("summary counts sentences, cited sentences and mean support", () => {
    const result = groundAnswer("Exit code 137 means OOMKilled [1]. Raise it to 8Gi [1]. Then relax.", DOCS, { threshold: 0.5 });
    expect(result.summary).toMatchObject({
      method: "lexical",
      threshold: 0.5,
      sentences: 3,
      citedSentences: 2,
      checkedCitations: 2,
      unsupportedCitations: 1,
      uncitedClaims: 0,
    });
    expect(result.summary.meanSupport).toBeGreaterThan(0);
    expect(result.summary.meanSupport).toBeLessThan(1);
  });

  it("the threshold decides what is unsupported", () => {
    const answer = "Ingesters exceeding memory get killed [1].";
    const loose = groundAnswer(answer, DOCS, { threshold: 0.1 });
    const strict = groundAnswer(answer, DOCS, { threshold: 0.99 });
    expect(loose.summary.unsupportedCitations).toBe(0);
    expect(strict.summary.unsupportedCitations).toBe(1);
  });

  it("is deterministic", () => {
    const answer = "Exit code 137 means OOMKilled [1]. Delete the WAL in /prometheus/wal [2]. Run `kubectl get pods`.";
    expect(groundAnswer(answer, DOCS)).toEqual(groundAnswer(answer, DOCS));
  });

  it("a long document is scored quickly", () => {
    const filler = Array.from({ length: 3000 }, (_, i) => `Line ${i} talks about dashboards and panels number ${i}.`).join("\n");
    const big: ContextDocument = { content: `${filler}\n${LOKI.content}\n${filler}` };
    const answer = Array.from({ length: 10 }, () => "Raise the memory limit of the loki-ingester StatefulSet to 4Gi [1].").join(" ");
    const started = performance.now();
    const result = groundAnswer(answer, [big]);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.citations.every((c) => (c.support ?? 0) >= DEFAULT_SUPPORT_THRESHOLD)).toBe(true);
    expect(result.citations[0]?.quote?.text).toContain("4Gi");
  });
});

describe("warnings", () => {
  it("name the unsupported citation, its score and what is missing; and the uncited sentence", () => {
    const result = groundAnswer("Raise the limit to 8Gi [1]. Run `kubectl delete pod loki-ingester-0`.", DOCS);
    expect(result.warnings).toEqual([
      `${UNSUPPORTED_WARNING} [1] (support 0.00 < 0.50): "Raise the limit to 8Gi."; not in [1]: 8Gi`,
      `${UNCITED_WARNING}: "Run \`kubectl delete pod loki-ingester-0\`." (kubectl delete pod loki-ingester-0)`,
    ]);
    expect(result.notices.map((n) => n.code)).toEqual(["UNSUPPORTED_CITATION", "UNCITED_CLAIM"]);
    expect(result.notices.map((n) => n.message)).toEqual(result.warnings);
  });

  it("list at most a few of each kind, then count the rest", () => {
    const answer = Array.from({ length: MAX_LISTED_WARNINGS + 3 }, (_, i) => `Set replicas to ${100 + i} [1].`).join(" ");
    const result = groundAnswer(answer, DOCS);
    expect(result.warnings).toHaveLength(MAX_LISTED_WARNINGS + 1);
    expect(result.warnings.at(-1)).toBe("and 3 more unsupported citation(s)");
    expect(result.summary.unsupportedCitations).toBe(MAX_LISTED_WARNINGS + 3);
    expect(result.notices.every((n) => n.code === "UNSUPPORTED_CITATION")).toBe(true);
  });
});

describe("scoreSupport", () => {
  it("keeps up to three non-overlapping candidate spans, best first", () => {
    const score = scoreSupport("Delete the damaged segment files and restart the pod.", indexDocument(WAL.content));
    expect(score.candidates.length).toBeGreaterThan(0);
    expect(score.candidates.length).toBeLessThanOrEqual(3);
    expect(score.quote).toEqual(score.candidates[0]);
    for (let i = 1; i < score.candidates.length; i++) {
      const a = score.candidates[i - 1];
      const b = score.candidates[i];
      expect(a && b && (b.start >= a.end || b.end <= a.start)).toBe(true);
    }
  });
});

/** Bag-of-words vectors over a fixed vocabulary: similar texts get similar vectors, deterministically. */
function bagOfWords(vocabulary: readonly string[]): TextEmbedder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async embedDocuments(texts: string[]) {
      calls.push(texts);
      return texts.map((t) => {
        const words = t.toLowerCase().split(/[^a-z0-9]+/);
        return vocabulary.map((v) => words.filter((w) => w.startsWith(v)).length);
      });
    },
  };
}

describe("refineWithEmbeddings", () => {
  it.each([
    [1, 1],
    [0, 0],
  ])("cosine of identical/orthogonal vectors", (same, expected) => {
    expect(cosine([1, 0], same ? [1, 0] : [0, 1])).toBe(expected);
  });

  it("maps cosine onto 0..1 between the floor and the ceiling", () => {
    expect(semanticScore(0.2)).toBe(0);
    expect(semanticScore(0.95)).toBe(1);
    expect(semanticScore(0.675)).toBeCloseTo(0.5, 5);
  });

  it("embeds each claim and its candidate spans in one batch, then blends the similarity in", async () => {
    const answer = "Kill happens when ingesters go over their memory [1]. Restart pods after deleting damaged segments [2].";
    const lexical = groundAnswer(answer, DOCS);
    const embedder = bagOfWords(["ingester", "memory", "kill", "limit", "segment", "damag", "restart", "pod", "delet"]);
    const refined = await refineWithEmbeddings(lexical, embedder);
    expect(embedder.calls).toHaveLength(1);
    expect(refined.summary.method).toBe("embedding");
    expect(refined.citations.map((c) => c.index)).toEqual([1, 2]);
    for (const [i, c] of refined.citations.entries()) {
      const before = lexical.citations[i]?.support ?? 0;
      expect(c.support).toBeGreaterThanOrEqual(before);
      expect(c.quote).toBeDefined();
    }
  });

  it("an embedder that says nothing is similar lowers the support", async () => {
    const answer = "The ingesters exceed their memory limit and get OOMKilled [1].";
    const lexical = groundAnswer(answer, DOCS);
    let n = 0;
    const orthogonal: TextEmbedder = {
      embedDocuments: async (texts) =>
        texts.map(() => {
          const hot = n++ % 64;
          return Array.from({ length: 64 }, (_, i) => (i === hot ? 1 : 0));
        }),
    };
    const refined = await refineWithEmbeddings(lexical, orthogonal);
    expect(refined.citations[0]?.support).toBeLessThan(lexical.citations[0]?.support ?? 0);
  });

  it("a wrong number of vectors is an error (the caller keeps the string scores)", async () => {
    const lexical = groundAnswer("Exit code 137 [1].", DOCS);
    await expect(refineWithEmbeddings(lexical, { embedDocuments: async () => [] })).rejects.toThrow(/vectors/);
  });

  it("nothing to refine → no embedding call", async () => {
    const embedder = bagOfWords(["x"]);
    const refined = await refineWithEmbeddings(groundAnswer("No citations here.", DOCS), embedder);
    expect(embedder.calls).toEqual([]);
    expect(refined.summary.method).toBe("embedding");
  });
});
