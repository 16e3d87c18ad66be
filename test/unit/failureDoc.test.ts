import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FAILURE_DOC_PATH, withPolicySection } from "../../scripts/failure-doc.js";
import { FAILURE_POLICY } from "../../src/runtime/failurePolicy.js";

describe("docs/failure-handling.md", () => {
  it("shows the failure policy as the table in src/runtime/failurePolicy.ts says (run `npm run docs:failures` when this fails)", () => {
    const doc = readFileSync(FAILURE_DOC_PATH, "utf8");
    expect(withPolicySection(doc)).toBe(doc);
  });

  it("has one row per failure kind", () => {
    const doc = readFileSync(FAILURE_DOC_PATH, "utf8");
    const section = doc.slice(doc.indexOf("<!-- failure-policy:start -->"), doc.indexOf("<!-- failure-policy:end -->"));
    expect(section.split("\n").filter((l) => l.startsWith("| `"))).toHaveLength(Object.keys(FAILURE_POLICY).length);
  });
});
