import { parseArgs, type ParseArgsConfig } from "node:util";
import { InvalidInputError, PROVIDERS, QUERY_TYPES, type Provider, type QueryType } from "../app/index.js";
import { ENVIRONMENT, USAGE } from "./usage.js";

export const COMMANDS = ["ask", "chat", "models", "db", "serve"] as const;
export type CommandName = (typeof COMMANDS)[number];

export { USAGE };

const HOST = "  --host URL         Ollama address (default OLLAMA_HOST or http://127.0.0.1:11434)";
const ENGINE = `  --provider P       ${PROVIDERS.join(" | ")} (default BRUNO_PROVIDER or auto: Ollama when it
                     answers, else the embedded llama.cpp engine)
  --model-file GGUF  a local .gguf file for the embedded engine, used for every model
                     (BRUNO_MODEL_PATH); implies --provider embedded`;
const DOCS = `  --docs FILE|DIR    Markdown/text files or folders (repeatable); the best-matching sections
                     become the numbered context
  --top-k N          how many sections to pass as context (default 5)`;
const THREAD = `  --thread ID        conversation id; with --db (or BRUNO_DB) the conversation survives restarts
  --db PATH          SQLite file for conversations (default: in memory)
  --thread-strategy enqueue|reject
                     when the thread is answering another turn (in any process): enqueue
                     waits (up to BRUNO_THREAD_WAIT_MS), reject fails with THREAD_BUSY at
                     once (default BRUNO_THREAD_STRATEGY or enqueue)
  --model TAG        use this model tag instead of routing`;
const COMMON = `  -v, --verbose      debug logs and stack traces on stderr
  -h, --help         this text`;

/** `bruno <command> --help`, by command. */
export const COMMAND_USAGE: Record<CommandName, string> = {
  ask: `Usage: bruno ask "<query>" [options]

Answers one question: streams the answer to stdout, then the sources it cites; notices,
warnings and a summary line go to stderr.

Options:
${DOCS}
${THREAD}
  --type TYPE        query type instead of classifying: ${QUERY_TYPES.join(" | ")}
${HOST}
${ENGINE}
  --json             print the result object (JSON) instead of streaming text
${COMMON}

${ENVIRONMENT}`,
  chat: `Usage: bruno chat [options]

A conversation on one thread. On a terminal it prompts (you>, bruno>) and an empty line or
Ctrl-D quits; with piped input it answers each line in turn, without prompts.

Options:
${DOCS}
${THREAD}
${HOST}
${ENGINE}
${COMMON}

${ENVIRONMENT}`,
  models: `Usage: bruno models [--warm [TAG]] [options]

Whether the Ollama server answers, which models it has, and which models of the catalog
are missing (with the \`ollama pull\` command for each).

Options:
  --warm [TAG]       load a model into memory now: TAG, or the SRE model of the catalog
${HOST}
  --json             print the report object (JSON)
${COMMON}

${ENVIRONMENT}`,
  db: `Usage: bruno db migrate [options]

Creates or updates the conversation tables of the database --db (or BRUNO_DB) names, a
PostgreSQL URL (postgres://user:password@host:5432/database) or a SQLite file, and says what
it did. Safe to run from several processes at once (PostgreSQL: under an advisory lock).
Opening a database does the same when its tables are missing or behind; run this step
where the service's database user may not create tables (migrate as their owner).

Options:
  --db URL|PATH      the database (default BRUNO_DB)
  --json             print what was done (JSON)
${COMMON}

${ENVIRONMENT}`,
  serve: `Usage: bruno serve [--port N] [--host ADDR] [options]

An HTTP server for replicas behind a load balancer: POST /v1/generate answers a turn (the
object \`bruno ask --json\` prints; Server-Sent Events with Accept: text/event-stream),
GET /healthz, /readyz and /metrics. Threads live in the database (--db), so replicas sharing
one carry a conversation between them. On SIGTERM or Ctrl-C new requests get 503, turns in
flight may finish within BRUNO_SERVE_GRACE_MS, then are cancelled (nothing of them is saved),
and it exits 0. docs/operating.md, "bruno serve", has the API.

Options:
  --port N           port to listen on (default BRUNO_SERVE_PORT or 8080; 0 picks a free one)
  --host ADDR        address to LISTEN on (default BRUNO_SERVE_HOST or 127.0.0.1; 0.0.0.0 for
                     every interface). Unlike the other commands, not the Ollama address:
                     set that with OLLAMA_HOST, or OLLAMA_HOSTS for several servers
  --db URL|PATH      conversation database: a PostgreSQL URL (replicas) or a SQLite file
                     (default BRUNO_DB, else in memory: one process only)
  --thread-strategy enqueue|reject
                     when a thread is answering another turn and the request names no
                     "strategy" (default BRUNO_THREAD_STRATEGY or enqueue)
  --provider P       ollama (default) or embedded (the llama.cpp engine in this process)
  --model-file GGUF  a local .gguf file for the embedded engine; implies --provider embedded
${COMMON}

Environment: OLLAMA_HOST / OLLAMA_HOSTS, BRUNO_DB, BRUNO_API_TOKEN (bearer token required on
/v1/*), BRUNO_SERVE_MAX_TURNS, BRUNO_SERVE_BODY_LIMIT, BRUNO_SERVE_GRACE_MS, LOG_LEVEL and the
BRUNO_* settings (README, Configuration).`,
};

export interface CommonOptions {
  host?: string | undefined;
  db?: string | undefined;
  threadStrategy?: ThreadStrategyChoice | undefined;
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
  /** `listen`: the address to listen on (`--host`); `options.host` stays unset (the Ollama address comes from the environment). */
  | { name: "serve"; port?: number | undefined; listen?: string | undefined; options: CommonOptions }
  | { name: "db"; action: "migrate"; options: CommonOptions }
  /** Usage text: global, or of one command. `misuse` (no command given): on stderr, exit 2. */
  | { name: "help"; command?: CommandName | undefined; misuse: boolean }
  | { name: "version" };

const VERBOSE = { verbose: { type: "boolean", short: "v", default: false } } as const;
const HOST_OPTION = { host: { type: "string" } } as const;
const ENGINE_OPTIONS = { provider: { type: "string" }, "model-file": { type: "string" } } as const;
const CONVERSATION = {
  docs: { type: "string", multiple: true },
  "top-k": { type: "string" },
  thread: { type: "string" },
  db: { type: "string" },
  "thread-strategy": { type: "string" },
  model: { type: "string" },
} as const;

/** The values of `--thread-strategy` (those of BRUNO_THREAD_STRATEGY; the settings check them again). */
export const THREAD_STRATEGY_CHOICES = ["enqueue", "reject"] as const;
export type ThreadStrategyChoice = (typeof THREAD_STRATEGY_CHOICES)[number];

/** The options each command accepts (`--help` is handled before parsing). */
const OPTIONS = {
  ask: { ...CONVERSATION, type: { type: "string" }, ...HOST_OPTION, ...ENGINE_OPTIONS, json: { type: "boolean", default: false }, ...VERBOSE },
  chat: { ...CONVERSATION, ...HOST_OPTION, ...ENGINE_OPTIONS, ...VERBOSE },
  models: { warm: { type: "boolean", default: false }, ...HOST_OPTION, json: { type: "boolean", default: false }, ...VERBOSE },
  serve: { port: { type: "string" }, ...HOST_OPTION, db: { type: "string" }, "thread-strategy": { type: "string" }, ...ENGINE_OPTIONS, ...VERBOSE },
  db: { db: { type: "string" }, json: { type: "boolean", default: false }, ...VERBOSE },
} satisfies Record<CommandName, ParseArgsConfig["options"]>;

/** A value inside a message, quoted so the quotes stay balanced whatever it contains. */
export function quote(value: string): string {
  return value.includes("'") ? JSON.stringify(value) : `'${value}'`;
}

function usageError(message: string, command?: CommandName): InvalidInputError {
  return new InvalidInputError("arguments", `${message}; see \`bruno${command ? ` ${command}` : ""} --help\``);
}

function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

/** node:util's parseArgs errors, reworded: which option, which command, where to look. */
function parseError(cause: unknown, command: CommandName): InvalidInputError {
  const { code, message } = cause as { code?: string; message: string };
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /^Unknown option '(.+?)'(?:\. |$)/.exec(message)?.[1] ?? message;
    return usageError(`unknown option ${quote(option)} for bruno ${command}`, command);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const option = /^Option '(?:-\w, )?(--[\w-]+)/.exec(message)?.[1];
    if (option && message.includes("argument missing")) return usageError(`${option} needs a value`, command);
    if (option && message.includes("does not take an argument")) return usageError(`${option} takes no value`, command);
  }
  return usageError(message.replace(/\.$/, ""), command);
}

/** True when `--help`/`-h` is among the arguments (before a `--` terminator). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** Parses `bruno <command> …` into a typed command; bad arguments are an `InvalidInputError`. */
export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined) return { name: "help", misuse: true };
  if (name === "--help" || name === "-h") return { name: "help", misuse: false };
  if (name === "--version" || name === "-V") return { name: "version" };
  if (name === "help") {
    const topic = rest[0];
    if (topic === undefined) return { name: "help", misuse: false };
    if (!isCommand(topic)) throw usageError(`unknown command ${quote(topic)}`);
    return { name: "help", command: topic, misuse: false };
  }
  if (!isCommand(name)) {
    throw usageError(name.startsWith("-") ? `unknown option ${quote(name)}` : `unknown command ${quote(name)}`);
  }
  if (asksForHelp(rest)) return { name: "help", command: name, misuse: false };
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: OPTIONS[name], allowPositionals: true, strict: true });
  } catch (cause) {
    throw parseError(cause, name);
  }
  const v = parsed.values as {
    docs?: string[];
    "top-k"?: string;
    thread?: string;
    db?: string;
    "thread-strategy"?: string;
    model?: string;
    type?: string;
    host?: string;
    provider?: string;
    "model-file"?: string;
    json?: boolean;
    warm?: boolean;
    port?: string;
    verbose?: boolean;
  };
  const provider = v.provider?.toLowerCase();
  if (provider !== undefined && !(PROVIDERS as readonly string[]).includes(provider)) {
    throw usageError(`--provider must be one of ${PROVIDERS.join(", ")}, not ${quote(v.provider as string)}`, name);
  }
  if (v["model-file"] !== undefined && v["model-file"].trim() === "") throw usageError("--model-file needs the path of a .gguf file", name);
  if (v.db !== undefined && v.db.trim() === "") throw usageError("--db needs the path of a SQLite file (leave it out to keep the conversation in memory)", name);
  const strategy = v["thread-strategy"]?.toLowerCase();
  if (strategy !== undefined && !(THREAD_STRATEGY_CHOICES as readonly string[]).includes(strategy)) {
    throw usageError(`--thread-strategy must be one of ${THREAD_STRATEGY_CHOICES.join(", ")}, not ${quote(v["thread-strategy"] as string)}`, name);
  }
  const options: CommonOptions = {
    host: name === "serve" ? undefined : v.host,
    db: v.db,
    threadStrategy: strategy as ThreadStrategyChoice | undefined,
    provider: provider as Provider | undefined,
    modelFile: v["model-file"],
    verbose: v.verbose ?? false,
    json: v.json ?? false,
  };
  const topK = v["top-k"] === undefined ? 5 : Number(v["top-k"]);
  if (!Number.isInteger(topK) || topK < 1 || topK > 50) throw usageError(`--top-k must be a whole number from 1 to 50, not ${quote(v["top-k"] ?? "")}`, name);
  const type = v.type;
  if (type !== undefined && !(QUERY_TYPES as readonly string[]).includes(type)) {
    throw usageError(`--type must be one of ${QUERY_TYPES.join(", ")}, not ${quote(type)}`, name);
  }
  switch (name) {
    case "ask": {
      if (parsed.positionals.length === 0) throw new InvalidInputError("query", 'no query given: bruno ask "<your question>"');
      if (parsed.positionals.length > 1) throw usageError(`ask takes one quoted query, got ${parsed.positionals.length} words; quote the question`, name);
      const query = parsed.positionals[0] as string;
      return { name: "ask", query, docs: v.docs ?? [], thread: v.thread, model: v.model, type: type as QueryType | undefined, topK, options };
    }
    case "chat":
      if (parsed.positionals.length > 0) throw usageError("chat takes no query; type questions at its prompt or pipe them in", name);
      return { name: "chat", docs: v.docs ?? [], thread: v.thread, model: v.model, topK, options };
    case "models":
      if (parsed.positionals.length > (v.warm ? 1 : 0)) throw usageError("models takes no arguments except a tag after --warm", name);
      return { name: "models", warm: v.warm ?? false, warmTag: parsed.positionals[0], options };
    case "serve": {
      if (parsed.positionals.length > 0) throw usageError("serve takes no arguments; send questions to POST /v1/generate", name);
      const port = v.port === undefined ? undefined : Number(v.port);
      if (port !== undefined && !(v.port?.trim() !== "" && Number.isInteger(port) && port >= 0 && port <= 65535)) {
        throw usageError(`--port must be a whole number from 0 to 65535 (0 picks a free port), not ${quote(v.port ?? "")}`, name);
      }
      if (v.host !== undefined && v.host.trim() === "") throw usageError("--host needs the address to listen on, such as 127.0.0.1 or 0.0.0.0", name);
      return { name: "serve", port, listen: v.host?.trim(), options };
    }
    case "db":
      if (parsed.positionals[0] !== "migrate" || parsed.positionals.length > 1)
        throw usageError(`db takes one action, migrate${parsed.positionals[0] === undefined ? "" : `, not ${quote(parsed.positionals.join(" "))}`}`, name);
      return { name: "db", action: "migrate", options };
  }
}
