#!/usr/bin/env node
// Fails when a source file under src/ has more than MAX_LINES lines: a file should be readable in one sitting.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const MAX_LINES = 400;
const root = new URL("../src/", import.meta.url).pathname;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.(ts|js|mjs|cjs)$/.test(entry.name)) yield path;
  }
}

const tooLong = [];
for (const file of files(root)) {
  const lines = readFileSync(file, "utf8").split("\n").length - 1;
  if (lines > MAX_LINES) tooLong.push(`${file.slice(root.length - 4)}: ${lines} lines`);
}
if (tooLong.length > 0) {
  process.stderr.write(`files under src/ over ${MAX_LINES} lines (split them along their seams):\n${tooLong.map((l) => `  ${l}`).join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`every file under src/ has at most ${MAX_LINES} lines\n`);
