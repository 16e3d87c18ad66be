/** The title `--docs` gives a file's sections: a real heading, else the front matter title, else the file name. */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fileTitle, loadDocumentSections } from "../../src/cli/documents.js";

describe("fileTitle", () => {
  it.each<[string, string, string, string]>([
    ["the first # heading", "intro\n# Real Title\n## Part", "a/b.md", "Real Title"],
    ["a # line inside a fenced code block is not a heading", "```yaml\n# a comment\n```\n# After the fence", "x.md", "After the fence"],
    ["a # line inside a ~~~ fence is not a heading", "~~~\n#   ^^^^^^^^\n~~~\ntext", "dir/run.md", "run"],
    ["front matter title when no heading is outside fences", "---\ntitle: 'Webhook Guide'\n---\n```\n#  ^^^^^^\n```\n## Error", "webhook.md", "Webhook Guide"],
    ["a heading wins over the front matter title", "---\ntitle: Front\n---\n# Heading", "f.md", "Heading"],
    ["a # comment in the front matter is not a heading", "---\n# generated\ntitle: Kept\n---\ntext", "g.md", "Kept"],
    ["closing #s of an ATX heading are dropped", "# Title ##\n", "h.md", "Title"],
    ["the file name when there is neither", "plain text only", "runbooks/disk-full.md", "disk-full"],
    ["a title: line outside front matter is not a title", "text\ntitle: not this\n", "notes.txt", "notes"],
  ])("%s", (_name, text, path, expected) => {
    expect(fileTitle(text, path)).toBe(expected);
  });

  const webhook = new URL("../../../shared/corpus/cert-manager/troubleshooting/webhook.md", import.meta.url).pathname;
  it.runIf(existsSync(webhook))("cert-manager's webhook.md sections carry its front matter title, not a commented line of a code block", async () => {
    const sections = await loadDocumentSections([webhook]);
    expect(sections.length).toBeGreaterThan(5);
    for (const s of sections) expect(s.title.startsWith("The Definitive Debugging Guide for the cert-manager Webhook Pod")).toBe(true);
  });
});
