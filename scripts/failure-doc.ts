/**
 * Writes the failure-policy table of docs/failure-handling.md from `FAILURE_POLICY`
 * (src/runtime/failurePolicy.ts): the part between `<!-- failure-policy:start -->` and
 * `<!-- failure-policy:end -->`.
 *
 *   npx tsx scripts/failure-doc.ts           rewrite the section
 *   npx tsx scripts/failure-doc.ts --check   exit 1 when the section is out of date
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FAILURE_POLICY, type FailureKind } from "../src/runtime/failurePolicy.js";

export const POLICY_START = "<!-- failure-policy:start -->";
export const POLICY_END = "<!-- failure-policy:end -->";
export const FAILURE_DOC_PATH = fileURLToPath(new URL("../docs/failure-handling.md", import.meta.url));

const KIND_LABEL: Partial<Record<FailureKind, string>> = {
  SERVER_BUSY_QUEUE: "`SERVER_BUSY` (this process's queue for the server)",
  TIMEOUT_TURN: "`TIMEOUT_TOTAL` (the turn's `BRUNO_REQUEST_TIMEOUT_MS`)",
};

/** The whole section, markers included. */
export function renderPolicySection(): string {
  const rows = (Object.entries(FAILURE_POLICY) as [FailureKind, (typeof FAILURE_POLICY)[FailureKind]][]).map(
    ([kind, rule]) =>
      `| ${KIND_LABEL[kind] ?? `\`${kind}\``} | ${rule.retry ? "yes" : "no"} | ${rule.circuit ? "yes" : "no"} | ${rule.failover ? "yes" : "no"} | ${rule.then === "next-model" ? "next model" : "ends the turn"} | ${rule.why} |`,
  );
  return [
    POLICY_START,
    "<!-- Generated from src/runtime/failurePolicy.ts by `npm run docs:failures`; edit the table there. -->",
    "",
    "| failure | retried on the same model | counts against its circuit | same model on another host | then | why |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    POLICY_END,
  ].join("\n");
}

/** The document with its section replaced. */
export function withPolicySection(doc: string): string {
  const start = doc.indexOf(POLICY_START);
  const end = doc.indexOf(POLICY_END);
  if (start < 0 || end < start) throw new Error(`docs/failure-handling.md needs one ${POLICY_START} … ${POLICY_END} pair`);
  return doc.slice(0, start) + renderPolicySection() + doc.slice(end + POLICY_END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const doc = readFileSync(FAILURE_DOC_PATH, "utf8");
  const next = withPolicySection(doc);
  if (process.argv.includes("--check")) {
    if (next !== doc) {
      process.stderr.write("docs/failure-handling.md: the failure-policy table is out of date; run `npm run docs:failures`\n");
      process.exit(1);
    }
  } else if (next !== doc) {
    writeFileSync(FAILURE_DOC_PATH, next);
  }
}
