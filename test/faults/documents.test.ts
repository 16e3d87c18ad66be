/**
 * Fault matrix row 17: `--docs` files that are not UTF-8. A Latin-1 / Windows-1252 file, UTF-16
 * (with a byte-order mark, or without one), and UTF-8 with a byte-order mark are read as the text
 * they hold; a file that is no text is refused with its name and why. Nothing becomes U+FFFD.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDocumentSections } from "../../src/cli/documents.js";
import { bruno } from "../support/cliHarness.js";
import { closeServersAfterEach, lastUser, startServer } from "./helpers.js";

closeServersAfterEach();

const dir = mkdtempSync(join(tmpdir(), "bruno-docs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXT = "# Café runbook\n\n## Crème brûlée\n\nRestart the “ingester” pod – it costs 5 €.\n";

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, "utf16le");
  for (let i = 0; i + 1 < le.length; i += 2) {
    const a = le[i] as number;
    le[i] = le[i + 1] as number;
    le[i + 1] = a;
  }
  return le;
}

/** The text in Windows-1252: Latin-1 plus the typographic quotes, dashes and € of 0x80–0x9F. */
function windows1252(text: string): Buffer {
  const extra: Record<string, number> = { "€": 0x80, "–": 0x96, "“": 0x93, "”": 0x94 };
  return Buffer.from([...text].map((c) => extra[c] ?? c.charCodeAt(0)));
}

function file(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe("17. --docs files in other encodings", () => {
  it.each<[string, () => Buffer]>([
    ["UTF-8", () => Buffer.from(TEXT, "utf8")],
    ["UTF-8 with a byte-order mark", () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, "utf8")])],
    ["Windows-1252 (Latin-1 with typographic quotes)", () => windows1252(TEXT)],
    ["UTF-16 LE with a byte-order mark", () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, "utf16le")])],
    ["UTF-16 BE with a byte-order mark", () => Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)])],
    ["UTF-16 LE without a byte-order mark", () => Buffer.from(TEXT, "utf16le")],
  ])("%s: read as the text it holds, title and sections included", async (name, bytes) => {
    const path = file(`${name.replace(/\W+/g, "-")}.md`, bytes());

    const sections = await loadDocumentSections([path], dir);

    expect(sections).toHaveLength(1);
    expect(sections[0]?.title).toBe("Café runbook › Crème brûlée");
    expect(sections[0]?.content).toBe("## Crème brûlée\n\nRestart the “ingester” pod – it costs 5 €.");
  });

  it("Latin-1 reaches the model as the same text (the CLI end to end)", async () => {
    const path = file("latin1.md", Buffer.from("# Pod restarts\n\nLe pod redémarre après une mise à jour: vérifier la mémoire.\n", "latin1"));
    const server = await startServer();

    const run = await bruno(["ask", "pod redémarre mémoire", "--provider", "ollama", "--host", server.url, "--docs", path]);

    expect(run.code, run.stderr).toBe(0);
    const prompt = lastUser(server.chatRequests()[0] ?? { model: "", messages: [] });
    expect(prompt).toContain("Le pod redémarre après une mise à jour: vérifier la mémoire.");
    expect(prompt).not.toContain("\uFFFD");
  });

  it.each<[string, () => Buffer, RegExp]>([
    ["a binary file", () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x01]), /is not a text file: it holds NUL bytes/],
    ["UTF-32", () => Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x00]), Buffer.from("# x\n".split("").flatMap((c) => [c.charCodeAt(0), 0, 0, 0]))]), /UTF-32.*save it as UTF-8/],
    [
      "neither UTF-8 nor Windows-1252",
      () => Buffer.from([0x23, 0x20, 0x78, 0x0a, 0x81, 0x8d, 0x8f, 0x90, 0x9d, 0x0a]),
      /is neither UTF-8 \(byte 0x81 at 4\) nor Windows-1252 \(Latin-1\) text \(byte 0x81 at 4\): save it as UTF-8/,
    ],
  ])("%s: DOCS_UNREADABLE naming the file and why", async (name, bytes, why) => {
    const path = file(`${name.replace(/\W+/g, "-")}.md`, bytes());

    const error = await loadDocumentSections([path], dir).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ code: "DOCS_UNREADABLE" });
    expect((error as Error).message).toContain(`'${path}'`);
    expect((error as Error).message).toMatch(why);
  });
});
