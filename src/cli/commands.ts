import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline/promises";
import {
  isBrunoError,
  isModelFileError,
  loadConfig,
  loadModelAdmin,
  loadRuntime,
  ModelFileError,
  ModelNotFoundError,
  ollamaHostConfigured,
  ollamaHostList,
  releaseRuntime,
  flushRuntimeTraces,
  sameModelTag,
  type BrunoConfig,
  type BrunoConfigInput,
  type BrunoError,
  type CliRuntime,
  type GenerationGraph,
} from "../app/index.js";
import { COMMAND_USAGE, parseCommand, USAGE, type Command, type CommonOptions } from "./args.js";
import type { CliIO } from "./io.js";
import { packageVersion } from "./usage.js";
import { loadDocumentSections, SectionIndex, type DocumentSection, type Ranked } from "./documents.js";
import { exitCodeFor } from "./render.js";
import { runTurn, type Output } from "./session.js";

function configFor(options: CommonOptions, env: CliIO["env"]): BrunoConfig {
  const overrides: BrunoConfigInput = {};
  if (options.host) overrides.ollamaHost = options.host;
  if (options.db) overrides.dbPath = options.db;
  if (options.threadStrategy) overrides.threads = { strategy: options.threadStrategy };
  if (options.verbose) overrides.logLevel = "debug";
  if (options.provider || options.modelFile) {
    overrides.embedded = {
      provider: options.provider ?? "embedded",
      ...(options.modelFile ? { modelPath: options.modelFile } : {}),
    };
  }
  return loadConfig({ ...(env ? { env } : {}), overrides, defaults: { logLevel: "error" } });
}

type Database = Awaited<ReturnType<CliRuntime["openDatabase"]>>;

async function buildGraph(rt: CliRuntime, config: BrunoConfig, database: Database, io: CliIO): Promise<GenerationGraph> {
  // Logs go to stderr (stdout is the answer): pretty on a terminal, JSON lines otherwise.
  const pretty = io.stderrIsTTY === true;
  const logger = rt.createCliLogger({ level: config.logLevel, pretty, colorize: pretty && process.stderr.hasColors?.() === true });
  return rt.createGenerationGraph({ config, logger, database });
}

interface Engine {
  config: BrunoConfig;
  /** Which engine answers, for stderr; none when nothing was chosen (an explicit `--provider ollama`). */
  notice: string | undefined;
}

/**
 * Settles the provider before the graph runs: `auto` probes Ollama, and the embedded engine
 * gets its model file (checked, or downloaded once with a progress bar on stderr).
 */
async function chooseEngine(rt: CliRuntime, config: BrunoConfig, options: CommonOptions, io: CliIO): Promise<Engine> {
  const explicitHost = Boolean(options.host) || ollamaHostConfigured(io.env);
  const choice = await rt.resolveProvider(config, { signal: io.signal, ollamaHostExplicit: explicitHost });
  if (choice.provider === "ollama") {
    const hosts = ollamaHostList(config)
      .map((h) => h.address)
      .join(", ");
    return { config: { ...config, embedded: { ...config.embedded, provider: "ollama" } }, notice: choice.probed ? `using Ollama at ${hosts}` : undefined };
  }
  let prepared;
  try {
    prepared = await rt.prepareEmbeddedModel(config, { signal: io.signal, progress: { write: (text) => io.stderr.write(text), isTTY: io.stderrIsTTY === true } });
  } catch (error) {
    if (config.embedded.provider === "auto" && isModelFileError(error) && error.problem === "download-failed") {
      const message = `Ollama at ${config.ollamaHost} does not answer (start it with \`ollama serve\`), and ${error.message}`;
      throw new ModelFileError(error.path, error.problem, message, { cause: error, details: error.details });
    }
    throw error;
  }
  return { config: { ...config, embedded: { ...config.embedded, provider: "embedded", modelPath: prepared.modelPath } }, notice: `using the embedded engine (${prepared.label})` };
}

/**
 * stdout and stderr that print `notice` on stderr before the run's first output, so a run that
 * fails before answering prints only its one error line.
 */
function announcing(io: CliIO, notice: string | undefined): { stdout: Output; stderr: Output } {
  let pending = notice;
  const flush = () => {
    if (pending === undefined) return;
    io.stderr.write(`${pending}\n`);
    pending = undefined;
  };
  return {
    stdout: {
      write: (text) => {
        flush();
        io.stdout.write(text);
      },
    },
    stderr: {
      write: (text) => {
        flush();
        io.stderr.write(text);
      },
    },
  };
}

async function loadDocs(paths: readonly string[]): Promise<DocumentSection[]> {
  return paths.length > 0 ? loadDocumentSections(paths) : [];
}

/** The questions asked so far on a thread, oldest first: the human messages of its checkpointed state. */
async function threadQuestions(graph: GenerationGraph, threadId: string): Promise<string[]> {
  const state = await graph.getState({ configurable: { thread_id: threadId } });
  const messages = ((state.values as { messages?: unknown[] } | undefined)?.messages ?? []) as { type?: string; getType?: () => string; content?: unknown }[];
  return messages.filter((m) => (typeof m.getType === "function" ? m.getType() : m.type) === "human" && typeof m.content === "string").map((m) => m.content as string);
}

/** The stderr note saying the thread's earlier questions took part in ranking, if they did. */
function rankingNote(ranked: Ranked<unknown>): string {
  const n = ranked.previous.length;
  return n === 0 ? "" : `[ranked with the ${n === 1 ? "previous question" : `${n} previous questions`} of this thread]\n`;
}

function noMatchWarning(docs: readonly string[]): string {
  return `warning: no section of ${docs.join(", ")} matches the query; answering without context\n`;
}

async function ask(cmd: Extract<Command, { name: "ask" }>, io: CliIO): Promise<number> {
  const runtime = loadRuntime(); // imported while the settings and documents are read
  const config = configFor(cmd.options, io.env);
  const sections = await loadDocs(cmd.docs);
  const rt = await runtime;
  const index = new SectionIndex(sections);
  const parse = (documents: DocumentSection[]) =>
    rt.parseGenerationInput(
      {
        query: cmd.query,
        documents,
        ...(cmd.model ? { model: cmd.model } : {}),
        ...(cmd.type ? { queryType: cmd.type } : {}),
      },
      config.limits,
    );
  let ranked = index.rank(cmd.query, cmd.topK);
  let input = parse(ranked.sections);
  // The database is checked before the engine is chosen: a bad --db fails at once, before any probe or download.
  const database = await rt.openDatabase(config);
  try {
    const engine = await chooseEngine(rt, config, cmd.options, io);
    const graph = await buildGraph(rt, engine.config, database, io);
    if (cmd.thread && sections.length > 0) {
      // A follow-up on a stored thread is ranked with the thread's earlier questions as well.
      const previous = await threadQuestions(graph, cmd.thread);
      if (previous.length > 0) {
        ranked = index.rank(cmd.query, cmd.topK, previous);
        input = parse(ranked.sections);
      }
    }
    if (cmd.docs.length > 0 && (input.documents ?? []).length === 0) io.stderr.write(noMatchWarning(cmd.docs));
    io.stderr.write(rankingNote(ranked));
    const out = announcing(io, cmd.options.json ? undefined : engine.notice);
    const result = await runTurn(graph, input, { threadId: cmd.thread ?? randomUUID(), signal: io.signal, stdout: out.stdout, stderr: out.stderr, render: !cmd.options.json });
    if (cmd.options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

async function chat(cmd: Extract<Command, { name: "chat" }>, io: CliIO): Promise<number> {
  const runtime = loadRuntime();
  const config = configFor(cmd.options, io.env);
  const sections = await loadDocs(cmd.docs);
  const rt = await runtime;
  const database = await rt.openDatabase(config);
  try {
    return await chatWith(rt, cmd, io, config, database, sections);
  } finally {
    await database.close();
  }
}

async function chatWith(rt: CliRuntime, cmd: Extract<Command, { name: "chat" }>, io: CliIO, config: BrunoConfig, database: Database, sections: Awaited<ReturnType<typeof loadDocs>>): Promise<number> {
  const engine = await chooseEngine(rt, config, cmd.options, io);
  const graph = await buildGraph(rt, engine.config, database, io);
  const threadId = cmd.thread ?? randomUUID();
  const index = new SectionIndex(sections);
  // The questions of this thread so far (a resumed --thread's stored ones first), for ranking follow-ups.
  const asked = cmd.thread && sections.length > 0 ? await threadQuestions(graph, threadId) : [];
  const interactive = io.interactive ?? (io.stdin as { isTTY?: boolean }).isTTY === true;
  if (engine.notice) io.stderr.write(`${engine.notice}\n`);
  const quit = interactive ? "; empty line or Ctrl-D to quit" : "";
  io.stderr.write(`bruno chat — thread ${threadId}${config.dbPath ? ` in ${database.location}` : ""}; ${sections.length} document sections${quit}\n`);
  const prompt = (text: string) => {
    if (interactive) io.stdout.write(text);
  };
  const rl = createInterface({ input: io.stdin, terminal: false });
  const onAbort = () => rl.close();
  io.signal.addEventListener("abort", onAbort, { once: true });
  try {
    prompt("you> ");
    for await (const line of rl) {
      const query = line.trim();
      if (query === "/exit" || query === "/quit") break;
      if (query === "") {
        if (interactive) break;
        continue; // blank lines between piped questions
      }
      try {
        const ranked = index.rank(query, cmd.topK, asked);
        const input = rt.parseGenerationInput({ query, documents: ranked.sections, ...(cmd.model ? { model: cmd.model } : {}) }, config.limits);
        if (cmd.docs.length > 0 && ranked.sections.length === 0) io.stderr.write(noMatchWarning(cmd.docs));
        io.stderr.write(rankingNote(ranked));
        prompt("bruno> ");
        await runTurn(graph, input, { threadId, signal: io.signal, stdout: io.stdout, stderr: io.stderr, render: true });
        asked.push(query);
      } catch (error) {
        if (io.signal.aborted) throw error;
        io.stderr.write(`${errorLine(error, cmd.options.verbose)}\n`);
      }
      prompt("\nyou> ");
    }
  } finally {
    io.signal.removeEventListener("abort", onAbort);
    rl.close();
  }
  return 0;
}

interface ModelsReport {
  host: string;
  reachable: boolean;
  version?: string;
  error?: string;
  installed: string[];
  catalog: { tag: string; installed: boolean; role: string[] }[];
  warmed?: { model: string; loadMs: number };
}

async function models(cmd: Extract<Command, { name: "models" }>, io: CliIO): Promise<number> {
  const config = configFor(cmd.options, io.env);
  if (ollamaHostList(config).length > 1) return (await import("./models.js")).hostsModels(cmd, config, io);
  const createOllamaModelServer = await loadModelAdmin();
  const admin = createOllamaModelServer({ host: config.ollamaHost, credentials: config.ollamaCredentials, timeoutMs: config.timeouts.adminMs, tagsTtlMs: 0 });
  const report: ModelsReport = { host: config.ollamaHost, reachable: false, installed: [], catalog: [] };
  try {
    report.version = await admin.version({ signal: io.signal });
    report.installed = (await admin.listModels({ fresh: true, signal: io.signal })).map((m) => m.name);
    report.reachable = true;
  } catch (error) {
    report.error = isBrunoError(error) ? error.message : String(error);
  }
  report.catalog = config.catalog.models.map((m) => ({
    tag: m.tag,
    installed: report.installed.some((name) => sameModelTag(name, m.tag)),
    role: Object.entries(config.catalog.routes)
      .filter(([, tag]) => tag === m.tag)
      .map(([role]) => role),
  }));
  if (cmd.warm && report.reachable) {
    const tag = cmd.warmTag ?? config.catalog.routes.sre;
    if (!report.installed.some((name) => sameModelTag(name, tag))) {
      throw new ModelNotFoundError(tag, `model '${tag}' is not installed on ${report.host}: run \`ollama pull ${tag}\``);
    }
    const { loadMs } = await admin.warm(tag, { keepAlive: config.keepAlive, timeoutMs: config.timeouts.firstTokenMs, signal: io.signal });
    report.warmed = { model: tag, loadMs };
  }
  if (cmd.options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.reachable ? 0 : exitCodeFor("SERVER_UNREACHABLE");
  }
  if (!report.reachable) {
    io.stdout.write(`Ollama at ${report.host}: unreachable\n`);
    io.stderr.write(`bruno: SERVER_UNREACHABLE: ${report.error}\n`);
    return exitCodeFor("SERVER_UNREACHABLE");
  }
  io.stdout.write(`Ollama at ${report.host}: reachable, version ${report.version}\n\nInstalled models (${report.installed.length}):\n`);
  for (const name of report.installed) io.stdout.write(`  ${name}\n`);
  io.stdout.write("\nCatalog:\n");
  for (const m of report.catalog) {
    const role = m.role.length > 0 ? ` (${m.role.join(", ")})` : "";
    io.stdout.write(`  ${m.installed ? "✓" : "✗"} ${m.tag}${role}${m.installed ? "" : ` — missing: ollama pull ${m.tag}`}\n`);
  }
  if (report.warmed) {
    io.stdout.write(`\nWarmed ${report.warmed.model}: loaded in ${(report.warmed.loadMs / 1000).toFixed(1)} s, kept for ${config.keepAlive} (BRUNO_KEEP_ALIVE)\n`);
  }
  return 0;
}

/** The one line an error prints on stderr: `bruno: CODE: message` (with the stack under --verbose). */
function errorLine(error: unknown, verbose: boolean, cancelled = false): string {
  if (cancelled) return "bruno: CANCELLED: cancelled";
  const bruno: BrunoError | undefined = isBrunoError(error) ? error : undefined;
  const label = bruno ? bruno.code : "unexpected error";
  if (verbose && error instanceof Error && error.stack) return `bruno: ${label}: ${error.stack}`;
  const text = error instanceof Error ? error.message : String(error);
  // One line, whatever the message holds (a server's multi-line error body, say).
  return `bruno: ${label}: ${text.replace(/\s*\n\s*/g, " ").trim()}`;
}

/** stdout that remembers whether its last write ended a line. */
function trackingLines(out: Output): Output & { midLine(): boolean } {
  let last = "\n";
  return {
    write(text) {
      if (text !== "") last = text;
      out.write(text);
    },
    midLine: () => !last.endsWith("\n"),
  };
}

/** Runs a command line (any but those `quickAnswer` takes); returns the exit code. Errors become one line on stderr. */
export async function runCommand(io: CliIO): Promise<number> {
  const verbose = io.argv.includes("--verbose") || io.argv.includes("-v");
  const stdout = trackingLines(io.stdout);
  const run: CliIO = { ...io, stdout };
  try {
    const cmd = parseCommand(io.argv);
    switch (cmd.name) {
      case "help": {
        const text = cmd.command ? COMMAND_USAGE[cmd.command] : USAGE;
        (cmd.misuse ? io.stderr : io.stdout).write(`${text}\n`);
        return cmd.misuse ? 2 : 0;
      }
      case "version":
        io.stdout.write(`bruno ${packageVersion()}\n`);
        return 0;
      case "ask":
        return await ask(cmd, run);
      case "chat":
        return await chat(cmd, run);
      case "models":
        return await models(cmd, run);
      case "serve":
        return await (await import("./serve.js")).serveCommand(cmd, run);
      case "db":
        return await (await import("./db.js")).dbCommand(cmd, run);
    }
  } catch (error) {
    const cancelled = io.signal.aborted;
    const code = cancelled ? "CANCELLED" : isBrunoError(error) ? error.code : "UNKNOWN";
    // A half-streamed answer line is ended on stdout, so the error line stands alone.
    if (stdout.midLine()) io.stdout.write("\n");
    io.stderr.write(`${errorLine(error, verbose, cancelled)}\n`);
    return exitCodeFor(code);
  } finally {
    await releaseRuntime();
  }
}

/** Sends the traces the run batched (LangSmith) before the process ends; a no-op when tracing is off. */
export { flushRuntimeTraces };
