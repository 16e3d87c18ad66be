/**
 * Writes the README's settings section from the settings table (src/config/settings.ts): the part
 * of README.md between `<!-- settings:start -->` and `<!-- settings:end -->`.
 *
 *   npx tsx scripts/settings-doc.ts           rewrite the section
 *   npx tsx scripts/settings-doc.ts --check   exit 1 when the section is out of date
 */
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SETTINGS, type AnySetting } from "../src/config/settings.js";

export const SECTION_START = "<!-- settings:start -->";
export const SECTION_END = "<!-- settings:end -->";
export const README_PATH = fileURLToPath(new URL("../README.md", import.meta.url));

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

function defaultCell(setting: AnySetting): string {
  const value = setting.default;
  const shown = value === undefined ? (setting.unset ?? "unset") : typeof value === "string" ? `\`${value}\`` : String(value);
  return setting.defaultNote ? `${shown} (${setting.defaultNote})` : shown;
}

function variableCell(setting: AnySetting): string {
  const aliases = setting.aliases.map((a) => `\`${a}\``).join(", ");
  return aliases ? `\`${setting.env}\` (or ${aliases})` : `\`${setting.env}\``;
}

function meaningCell(setting: AnySetting): string {
  return setting.flag ? `${setting.doc} (\`${setting.flag}\`)` : setting.doc;
}

/** The whole section, markers included. */
export function renderSettingsSection(settings: readonly AnySetting[] = SETTINGS): string {
  const rows = settings.map((s) => `| ${cell(variableCell(s))} | ${cell(defaultCell(s))} | ${cell(meaningCell(s))} |`);
  return [
    SECTION_START,
    "<!-- Generated from src/config/settings.ts by `npm run docs:settings`; edit the table there. -->",
    "",
    "Settings are validated once (`src/config/`): flags win over the environment, the environment over defaults.",
    "A bad value stops the start with `CONFIG_INVALID` naming the variable (or, for a flag, the setting), e.g.",
    '`BRUNO_TIMEOUT_MS: expected a positive integer, got "abc"`; the password of a URL shows as `***`.',
    "",
    "| variable | default | meaning |",
    "| --- | --- | --- |",
    ...rows,
    SECTION_END,
  ].join("\n");
}

function markers(readme: string): { start: number; end: number } {
  const start = readme.indexOf(SECTION_START);
  const end = readme.indexOf(SECTION_END);
  if (start < 0 || end < 0 || end < start) {
    throw new Error(`README.md needs one ${SECTION_START} … ${SECTION_END} pair around the settings table`);
  }
  if (readme.indexOf(SECTION_START, start + 1) >= 0 || readme.indexOf(SECTION_END, end + 1) >= 0) {
    throw new Error("README.md has more than one settings section");
  }
  return { start, end: end + SECTION_END.length };
}

/** The section as the README holds it, markers included. */
export function settingsSectionOf(readme: string): string {
  const { start, end } = markers(readme);
  return readme.slice(start, end);
}

/** The README with its section replaced; everything outside the markers is kept as is. */
export function replaceSettingsSection(readme: string, section: string): string {
  const { start, end } = markers(readme);
  return readme.slice(0, start) + section + readme.slice(end);
}

function main(argv: readonly string[]): number {
  const readme = readFileSync(README_PATH, "utf8");
  const section = renderSettingsSection();
  if (settingsSectionOf(readme) === section) {
    process.stdout.write("README.md: settings section is up to date\n");
    return 0;
  }
  if (argv.includes("--check")) {
    process.stderr.write("README.md: settings section is out of date; run `npm run docs:settings`\n");
    return 1;
  }
  writeFileSync(README_PATH, replaceSettingsSection(readme, section), "utf8");
  process.stdout.write(`README.md: settings section rewritten (${SETTINGS.length} settings)\n`);
  return 0;
}

function runDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(resolve(script)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (runDirectly()) {
  process.exitCode = main(process.argv.slice(2));
}
