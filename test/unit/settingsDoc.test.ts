import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigSchema, SETTINGS } from "../../src/config/config.js";
import { README_PATH, renderSettingsSection, replaceSettingsSection, SECTION_END, SECTION_START, settingsSectionOf } from "../../scripts/settings-doc.js";

const readme = readFileSync(README_PATH, "utf8");
const section = renderSettingsSection();

/** The README row of a variable, split into its cells. */
function rowOf(text: string, variable: string): string[] | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`| \`${variable}\``));
  return line?.split(" | ").map((c) => c.replace(/^\| |\s\|$/g, ""));
}

describe("README settings section", () => {
  it("is up to date with the settings table (run `npm run docs:settings` when this fails)", () => {
    expect(settingsSectionOf(readme)).toBe(section);
  });

  it("has one row per setting, each naming its variable", () => {
    const rows = section.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows).toHaveLength(SETTINGS.length);
    for (const s of SETTINGS) expect(rowOf(section, s.env), s.env).toBeDefined();
  });

  it("shows the default the schema applies", () => {
    const parsed = ConfigSchema.parse({}) as unknown as Record<string, unknown>;
    for (const s of SETTINGS.filter((x) => x.default !== undefined)) {
      const [first = "", second] = s.path.split(".");
      const value = second === undefined ? parsed[first] : (parsed[first] as Record<string, unknown>)[second];
      const cell = rowOf(section, s.env)?.[1] ?? "";
      expect(cell.startsWith(typeof value === "string" ? `\`${value}\`` : String(value)), `${s.env}: ${cell}`).toBe(true);
    }
  });

  it("lists LOG_LEVEL as the fallback of BRUNO_LOG_LEVEL, and flags next to their settings", () => {
    expect(rowOf(section, "BRUNO_LOG_LEVEL")?.[0]).toBe("`BRUNO_LOG_LEVEL` (or `LOG_LEVEL`)");
    expect(rowOf(section, "OLLAMA_HOST")?.[2]).toMatch(/\(`--host`\)$/);
  });
});

describe("replaceSettingsSection", () => {
  const doc = ["# Title", "", "before", SECTION_START, "old table", SECTION_END, "after", ""].join("\n");

  it("replaces only what lies between the markers", () => {
    const out = replaceSettingsSection(doc, `${SECTION_START}\nnew\n${SECTION_END}`);
    expect(out).toBe(["# Title", "", "before", SECTION_START, "new", SECTION_END, "after", ""].join("\n"));
    expect(replaceSettingsSection(out, `${SECTION_START}\nnew\n${SECTION_END}`)).toBe(out);
  });

  it.each<[string, string]>([
    ["no markers", "# Title\n"],
    ["end before start", `${SECTION_END}\n${SECTION_START}\n`],
    ["two sections", `${SECTION_START}\n${SECTION_END}\n${SECTION_START}\n${SECTION_END}\n`],
  ])("refuses a README with %s", (_name, text) => {
    expect(() => replaceSettingsSection(text, section)).toThrow(/settings/);
  });
});
