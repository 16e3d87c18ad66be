import { parseArgs, type ParseArgsConfig } from "node:util";
import { InvalidInputError } from "../domain/errors.js";
import { PROVIDERS, type Provider } from "../config/config.js";
import { QUERY_TYPES, type QueryType } from "../domain/index.js";

export const USAGE = `Usage:
  bruno ask "<query>" [--docs FILE|DIR ...] [--thread ID] [--db PATH] [--model TAG] [--type TYPE]
                      [--top-k N] [--host URL] [--provider P] [--model-file GGUF] [--json] [--verbose]
  bruno chat [--thread ID] [--db PATH] [--docs FILE|DIR ...] [--model TAG] [--host URL]
             [--provider P] [--model-file GGUF] [--verbose]
  bruno models [--warm [TAG]] [--host URL] [--json] [--verbose]

  --docs      Markdown/text files or folders; the best-matching sections become the numbered context
  --top-k     how many sections to pass as context (default 5)
  --thread    conversation id; with --db (or BRUNO_DB) the conversation survives restarts
  --db        SQLite file for conversations (default: in memory)
  --model     use this model tag instead of routing
  --type      query type: ${QUERY_TYPES.join(" | ")}
  --host      Ollama address (default OLLAMA_HOST or http://127.0.0.1:11434)
  --provider  ollama | embedded | auto (default BRUNO_PROVIDER or auto: Ollama when it answers,
              else the embedded llama.cpp engine)
  --model-file  a local .gguf file for the embedded engine, used for every model (BRUNO_MODEL_PATH);
              implies --provider embedded
  --warm      (models) load a model into memory now: TAG, or the SRE model of the catalog
  --json      print the result object instead of streaming text
  --verbose   debug logs and stack traces on stderr

Environment: OLLAMA_HOST, BRUNO_DB, BRUNO_CATALOG, LOG_LEVEL and the BRUNO_* settings in the README.`;

export interface CommonOptions {
  host?: string | undefined;
  db?: string | undefined;
  provider?: Provider | undefined;
  modelFile?: string | undefined;
  verbose: boolean;
  json: boolean;
}

/** Values of `--provider`. */
export { PROVIDERS, type Provider };

export type Command =
  | { name: "ask"; query: string; docs: string[]; thread?: string | undefined; model?: string | undefined; type?: QueryType | undefined; topK: number; options: CommonOptions }
  | { name: "chat"; docs: string[]; thread?: string | undefined; model?: string | undefined; topK: number; options: CommonOptions }
  | { name: "models"; warm: boolean; warmTag?: string | undefined; options: CommonOptions }
  | { name: "help" };

const OPTIONS = {
  docs: { type: "string", multiple: true },
  thread: { type: "string" },
  db: { type: "string" },
  model: { type: "string" },
  type: { type: "string" },
  "top-k": { type: "string" },
  host: { type: "string" },
  provider: { type: "string" },
  "model-file": { type: "string" },
  json: { type: "boolean", default: false },
  warm: { type: "boolean", default: false },
  verbose: { type: "boolean", short: "v", default: false },
  help: { type: "boolean", short: "h", default: false },
} satisfies ParseArgsConfig["options"];

function usageError(message: string): InvalidInputError {
  return new InvalidInputError("arguments", `${message}; see \`bruno --help\``);
}

/** Parses `bruno <command> …` into a typed command; bad arguments are an `InvalidInputError`. */
export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") return { name: "help" };
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (cause) {
    throw usageError((cause as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { name: "help" };
  const provider = v.provider?.toLowerCase();
  if (provider !== undefined && !(PROVIDERS as readonly string[]).includes(provider)) {
    throw usageError(`--provider must be one of ${PROVIDERS.join(", ")}, not '${v.provider}'`);
  }
  if (v["model-file"] !== undefined && v["model-file"].trim() === "") throw usageError("--model-file needs the path of a .gguf file");
  const options: CommonOptions = {
    host: v.host,
    db: v.db,
    provider: provider as Provider | undefined,
    modelFile: v["model-file"],
    verbose: v.verbose ?? false,
    json: v.json ?? false,
  };
  const topK = v["top-k"] === undefined ? 5 : Number(v["top-k"]);
  if (!Number.isInteger(topK) || topK < 1 || topK > 50) throw usageError(`--top-k must be a whole number from 1 to 50, not '${v["top-k"]}'`);
  const type = v.type;
  if (type !== undefined && !(QUERY_TYPES as readonly string[]).includes(type)) {
    throw usageError(`--type must be one of ${QUERY_TYPES.join(", ")}, not '${type}'`);
  }
  switch (name) {
    case "ask": {
      if (parsed.positionals.length === 0) throw new InvalidInputError("query", "no query given: bruno ask \"<your question>\"");
      if (parsed.positionals.length > 1) throw usageError(`ask takes one quoted query, got ${parsed.positionals.length} words; quote the question`);
      const query = parsed.positionals[0] as string;
      return { name: "ask", query, docs: v.docs ?? [], thread: v.thread, model: v.model, type: type as QueryType | undefined, topK, options };
    }
    case "chat":
      if (parsed.positionals.length > 0) throw usageError("chat takes no query; type questions at its prompt");
      return { name: "chat", docs: v.docs ?? [], thread: v.thread, model: v.model, topK, options };
    case "models":
      if (parsed.positionals.length > (v.warm ? 1 : 0)) throw usageError("models takes no arguments except a tag after --warm");
      return { name: "models", warm: v.warm ?? false, warmTag: parsed.positionals[0], options };
    default:
      throw usageError(`unknown command '${name}'`);
  }
}
