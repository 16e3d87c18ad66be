/**
 * Start-up of the `bruno` command, side by side with `node -e 0` in one run:
 * `npm run bench:startup -- [--runs 10] [--no-build]`.
 *
 * Rows, each the median (and min–max) of `--runs` processes, taken in turns so that a busy
 * machine slows every row alike:
 * - `node -e 0`: what any Node.js process costs here.
 * - `bruno --help`, `bruno --version`: the built command (`dist/cli/bin.js`), to exit.
 * - `bruno ask → first /api/chat`: from spawning `bruno ask … --host <test server>` to the
 *   Ollama-protocol test server (in this process) receiving the first `/api/chat` request.
 * - `npm start` rows (`bin/bruno.js`, sources through tsx): the same two, for comparison.
 *
 * Targets: `--help` within 150 ms of `node -e 0`; the first `/api/chat` within 600 ms of the
 * process start. The last lines say whether each is met; the exit code is 1 when one is not.
 * The command is built first (`node scripts/build.mjs --cli`) unless `--no-build`.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CATALOG_MODELS, FakeOllama } from "../src/testing/index.js";
import { wholeNumber } from "./lib/options.js";
import { summarize } from "./lib/stats.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = "dist/cli/bin.js";
const DEV_BIN = "bin/bruno.js";
const QUERY = "Loki ingester pods are OOMKilled, what should I check?";
const HELP_BUDGET_MS = 150;
const FIRST_CHAT_BUDGET_MS = 600;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    "no-build": { type: "boolean", default: false },
  },
});
const runs = wholeNumber("runs", values.runs, 1);

/** The environment of every child: no settings from this shell, no LangSmith, quiet logs. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(BRUNO_|OLLAMA_|LANGSMITH_|LANGCHAIN_|LOG_LEVEL$|npm_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, LANGSMITH_TRACING: "false" };
}

/** Milliseconds from spawning `args` to its exit; throws on a non-zero exit. */
function timeToExit(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args], { cwd: ROOT, env: childEnv(), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(" ")} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/**
 * Milliseconds from spawning `bruno ask` to the test server receiving its first `/api/chat`;
 * waits for the process to finish its answer and checks it exited 0.
 */
function timeToFirstChat(server: FakeOllama, bin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let chatAt: number | undefined;
    server.onChat = () => {
      chatAt ??= performance.now();
    };
    const started = performance.now();
    const child = spawn(process.execPath, [bin, "ask", QUERY, "--docs", "examples/runbooks", "--host", server.url], { cwd: ROOT, env: childEnv(), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      server.onChat = undefined;
      if (code !== 0) reject(new Error(`bruno ask exited with ${code}: ${stderr.trim()}`));
      else if (chatAt === undefined) reject(new Error("bruno ask exited without calling /api/chat"));
      else resolve(chatAt - started);
    });
  });
}

interface Row {
  label: string;
  measure: () => Promise<number>;
  samples: number[];
}

function format(samples: readonly number[]): string {
  const s = summarize(samples);
  return `${s.p50.toFixed(0).padStart(6)} ms   (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
}

async function main(): Promise<void> {
  if (!values["no-build"]) {
    const build = spawnSync(process.execPath, ["scripts/build.mjs", "--cli"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    if (build.status !== 0) throw new Error("the build failed (node scripts/build.mjs --cli)");
  }
  if (!existsSync(`${ROOT}/${BIN}`)) throw new Error(`${BIN} is missing: run \`npm run build\``);
  const server = await FakeOllama.start({ models: CATALOG_MODELS });
  try {
    const rows: Row[] = [
      { label: "node -e 0", measure: () => timeToExit(["-e", "0"]), samples: [] },
      { label: "bruno --help", measure: () => timeToExit([BIN, "--help"]), samples: [] },
      { label: "bruno --version", measure: () => timeToExit([BIN, "--version"]), samples: [] },
      { label: "bruno ask → first /api/chat", measure: () => timeToFirstChat(server, BIN), samples: [] },
      { label: "npm start (tsx) --help", measure: () => timeToExit([DEV_BIN, "--help"]), samples: [] },
      { label: "npm start (tsx) ask → first /api/chat", measure: () => timeToFirstChat(server, DEV_BIN), samples: [] },
    ];
    // One warm-up round (disk cache), then the measured rounds, rows in turn.
    for (const row of rows) await row.measure();
    for (let i = 0; i < runs; i += 1) {
      for (const row of rows) row.samples.push(await row.measure());
    }
    const width = Math.max(...rows.map((r) => r.label.length));
    process.stdout.write(`Start-up, median of ${runs} (min–max), ${process.version}\n`);
    for (const row of rows) process.stdout.write(`  ${row.label.padEnd(width)}  ${format(row.samples)}\n`);
    const median = (label: string) => summarize(rows.find((r) => r.label === label)?.samples ?? []).p50;
    const helpOver = median("bruno --help") - median("node -e 0");
    const firstChat = median("bruno ask → first /api/chat");
    const helpMet = helpOver <= HELP_BUDGET_MS;
    const chatMet = firstChat <= FIRST_CHAT_BUDGET_MS;
    process.stdout.write(`target bruno --help ≤ node -e 0 + ${HELP_BUDGET_MS} ms: ${helpMet ? "met" : "NOT met"} (+${helpOver.toFixed(0)} ms)\n`);
    process.stdout.write(`target bruno ask first /api/chat ≤ ${FIRST_CHAT_BUDGET_MS} ms: ${chatMet ? "met" : "NOT met"} (${firstChat.toFixed(0)} ms)\n`);
    process.exitCode = helpMet && chatMet ? 0 : 1;
  } finally {
    await server.close();
  }
}

await main();
