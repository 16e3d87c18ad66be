#!/usr/bin/env node
/**
 * `npm run build`: the library with tsc (JavaScript, declarations and source maps in dist/,
 * one file per source file), then the `bruno` command bundled with esbuild into dist/cli/:
 * one entry file that loads what `--help` needs, and chunks that `ask`, `chat` and `models`
 * import when they run. Bundling the command's dependencies takes its start-up from about a
 * second to a third of that (module resolution across LangChain's hundreds of files is what
 * costs the time). The optional dependencies (node-llama-cpp, the SQLite checkpointer and its
 * native driver) and pino-pretty stay outside, imported from node_modules when used.
 * `--cli`: the command only (for `npm run bench:startup`).
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const started = performance.now();
const step = (label, since) => process.stderr.write(`build: ${label} in ${((performance.now() - since) / 1000).toFixed(1)} s\n`);

const cliOnly = process.argv.includes("--cli");
let since = performance.now();
if (cliOnly) {
  rmSync(new URL("../dist/cli", import.meta.url), { recursive: true, force: true });
} else {
  rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [createRequire(import.meta.url).resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  step("library (tsc)", since);
}

since = performance.now();
const { build } = await import("esbuild");
await build({
  absWorkingDir: root,
  entryPoints: { bin: "src/cli/bin.ts" },
  outdir: "dist/cli",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["node-llama-cpp", "@langchain/langgraph-checkpoint-sqlite", "better-sqlite3", "pino-pretty"],
  // CommonJS dependencies inside an ES module bundle call require() for Node's built-ins.
  banner: { js: 'import { createRequire as __brunoRequire } from "node:module"; const require = __brunoRequire(import.meta.url);' },
  legalComments: "eof",
  // Whitespace and syntax only: names stay readable in `--verbose` stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
});
step("command (esbuild)", since);
step("total", started);
