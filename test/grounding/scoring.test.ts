/**
 * The four ways the string scoring used to go wrong, each with a document written for the test:
 * composite specifics whose parts are scattered over the document, numbers reused in the wrong
 * role, paraphrases (numbers as words, durations in other units, synonyms), and commands one
 * token away from the document's. Plus quantity normalisation and Markdown sentence splitting.
 */
import { describe, expect, it } from "vitest";
import type { ContextDocument } from "../../src/domain/index.js";
import { DEFAULT_SUPPORT_THRESHOLD, groundAnswer, splitSentences, stem } from "../../src/tools/grounding/index.js";
import { findQuantities, sameAmount } from "../../src/tools/grounding/numbers.js";

const DISK: ContextDocument = {
  title: "NodeDiskFilling",
  content: [
    "# NodeDiskFilling",
    "",
    "The alert is a warning when the disk is predicted to fill within 24h, and critical when within 4h.",
    "It pages at greater than 85% usage for the `warning` level and at greater than 95% usage for the `critical` level.",
    "",
    "Volume limits of the runner:",
    "- `cache`: 2Gi limit",
    "- `work`: 10Gi limit",
    "",
    "The rules live in `deploy/monitoring/rules/node-disk.yaml`; the runner config is in `deploy/runners/values.yaml`.",
    "The kubelet logs `eviction manager: attempting to reclaim ephemeral-storage` when it evicts pods.",
    "The cluster runs 3 replicas of the cleaner.",
    "",
    "```shell",
    "kubectl -n $NAMESPACE delete pod -l app=cleaner",
    "```",
  ].join("\n"),
};

function support(answer: string, docs: readonly ContextDocument[] = [DISK]): number {
  const scored = groundAnswer(answer, docs).citations.filter((c) => c.support !== undefined);
  expect(scored.length).toBeGreaterThan(0);
  return Math.min(...scored.map((c) => c.support ?? 0));
}

const supported = (answer: string) => expect(support(answer), answer).toBeGreaterThanOrEqual(DEFAULT_SUPPORT_THRESHOLD);
const unsupported = (answer: string) => expect(support(answer), answer).toBeLessThan(DEFAULT_SUPPORT_THRESHOLD);

describe("composite specifics are matched whole", () => {
  it.each([
    ["a path whose parts are all in the document", "The rules live in `deploy/runners/rules/node-disk.yaml` [1]."],
    ["a log line with its words reordered", 'The kubelet logs "eviction manager: attempting to reclaim ephemeral storage pods" [1].'],
    ["a key=value whose key and value occur apart", "Delete the pods with the label `app=runner` [1]."],
  ])("%s is unsupported", (_name, answer) => unsupported(answer));

  it.each([
    ["the path as written", "The rules live in `deploy/monitoring/rules/node-disk.yaml` [1]."],
    ["the log line as written", 'The kubelet logs "eviction manager: attempting to reclaim ephemeral-storage" when it evicts pods [1].'],
  ])("%s is supported", (_name, answer) => supported(answer));
});

describe("numbers in the wrong role count against support", () => {
  it("the warning threshold stated as the critical one", () => {
    supported("The critical level pages at greater than 95% usage [1].");
    unsupported("The critical level pages at greater than 85% usage [1].");
  });

  it("sizes rotated between the volumes they belong to", () => {
    supported("The runner limits are 2Gi for `cache` and 10Gi for `work` [1].");
    unsupported("The runner limits are 10Gi for `cache` [1].");
  });

  it("a count given to the wrong term", () => {
    supported("The cluster runs three replicas of the cleaner [1].");
    unsupported("The cluster runs 5 replicas of the cleaner [1].");
  });
});

describe("paraphrases get credit", () => {
  it.each([
    ["durations in other units", "It is a warning when the disk should fill within a day, and critical within four hours [1]."],
    ["synonyms of the document's verbs", "The kubelet removes pods when it tries to reclaim storage [1]."],
  ])("%s", (_name, answer) => supported(answer));

  it("a wrong duration in words is still caught", () => {
    unsupported("It is a warning when the disk should fill within a week [1].");
  });
});

describe("commands", () => {
  it("the document's command with placeholders filled in is supported; one token changed is not", () => {
    supported("Remove the cleaner pods with `kubectl -n storage delete pod -l app=cleaner` [1].");
    unsupported("Remove the cleaner pods with `kubectl -n storage delete deployment -l app=cleaner` [1].");
  });
});

describe("findQuantities", () => {
  it.each<[string, string]>([
    ["three", "3 count"],
    ["a day", "86400 duration"],
    ["24h", "86400 duration"],
    ["4 hours", "14400 duration"],
    ["1440 minutes", "86400 duration"],
    ["2Gi", "2147483648 bytes"],
    ["90 percent", "90 percent"],
    ["1,000", "1000 count"],
  ])("%s → %s", (text, expected) => {
    const q = findQuantities(text.toLowerCase());
    expect(q.map((x) => `${x.value} ${x.unit}`)).toEqual([expected]);
  });

  it("addresses, versions and ordinals are not quantities", () => {
    expect(findQuantities("10.129.2.5:9095 v1.3.0 2.8.2 99th")).toEqual([]);
  });

  it("a count matches any unit of the same amount; units must agree otherwise", () => {
    expect(sameAmount({ value: 5, unit: "count" }, { value: 5, unit: "percent" })).toBe(true);
    expect(sameAmount({ value: 300, unit: "duration" }, { value: 300, unit: "count" })).toBe(false);
  });
});

describe("stem", () => {
  it.each([
    ["rejected", "reject"],
    ["scheduling", "schedul"],
    ["replicas", "replica"],
    ["policy", "policy"],
  ])("%s → %s", (word, expected) => expect(stem(word)).toBe(expected));
});

describe("splitSentences on Markdown structure", () => {
  it("a heading and list items that follow a sentence on the same line are sentences of their own", () => {
    const answer = "Read the logs via the `kubectl logs` command [1]. ## Symptoms - Pods restart every minute [2]. - The probe fails [2].";
    expect(splitSentences(answer).map((s) => [s.claim, s.indices])).toEqual([
      ["Read the logs via the `kubectl logs` command.", [1]],
      ["Symptoms", []],
      ["Pods restart every minute.", [2]],
      ["The probe fails.", [2]],
    ]);
  });

  it("an inline list under a cited lead-in inherits its markers; an inline code fence is skipped", () => {
    expect(splitSentences("Steps [1]: - Describe the pod - Lower the age [2]").map((s) => [s.claim, s.indices, s.inherited])).toEqual([
      ["Steps:", [1], false],
      ["Describe the pod", [1], true],
      ["Lower the age", [2], false],
    ]);
    expect(splitSentences("Run this [1]: ```bash kubectl get pods -A``` Then wait.").map((s) => s.claim)).toEqual(["Run this:", "Then wait."]);
  });

  it("a dash inside prose does not start a list item", () => {
    expect(splitSentences("Probes may be wrong - wrong port or command [1].").map((s) => s.claim)).toEqual(["Probes may be wrong - wrong port or command."]);
  });
});
