/**
 * What `bruno`, `bruno --help` and `bruno --version` print. Imports nothing of the package, so
 * answering them loads no settings, no schemas and no LangChain module.
 */
import { readFileSync } from "node:fs";

/** The last line of every usage text. */
export const ENVIRONMENT = "Environment: OLLAMA_HOST, BRUNO_DB, BRUNO_PROVIDER, LOG_LEVEL and the BRUNO_* settings (README, Configuration).";

/** `bruno --help` (and, on stderr, `bruno` with no command). */
export const USAGE = `Usage: bruno <command> [options]

Commands:
  ask "<query>"  answer one question from --docs, streaming the answer, then its sources
  chat           a conversation on one thread: one question per line of input
  models         what the Ollama server has installed, checked against the model catalog
  serve          an HTTP server for replicas: POST /v1/generate, /healthz, /readyz, /metrics
  db migrate     create or update the conversation tables of --db / BRUNO_DB (PostgreSQL, SQLite)

Options:
  -h, --help     this text; \`bruno <command> --help\` lists a command's options
  -V, --version  the version

${ENVIRONMENT}`;

/** The version of the installed package (its package.json, found from this file upwards). */
export function packageVersion(): string {
  let dir = new URL(".", import.meta.url);
  for (let depth = 0; depth < 4; depth += 1) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "bruno-generation" && pkg.version) return pkg.version;
    } catch {
      // not here: one folder up
    }
    dir = new URL("..", dir);
  }
  return "unknown";
}

/** The answer to a command line that needs nothing loaded, or undefined for every other. */
export function quickAnswer(argv: readonly string[]): { stream: "stdout" | "stderr"; text: string; code: number } | undefined {
  if (argv.length === 0) return { stream: "stderr", text: USAGE, code: 2 };
  if (argv.length > 1) return undefined;
  const [flag] = argv;
  if (flag === "--help" || flag === "-h" || flag === "help") return { stream: "stdout", text: USAGE, code: 0 };
  if (flag === "--version" || flag === "-V") return { stream: "stdout", text: `bruno ${packageVersion()}`, code: 0 };
  return undefined;
}
