import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline/promises";
import { loadConfig, ollamaHostConfigured, type BrunoConfig, type BrunoConfigInput } from "../config/config.js";
import { isBrunoError, isModelFileError, ModelFileError, ModelNotFoundError, type BrunoError } from "../domain/errors.js";
import { createGenerationGraph, type GenerationGraph } from "../app/createGraph.js";
import { parseGenerationInput } from "../nodes/classify.js";
import { sameModelTag } from "../domain/catalog.js";
import { createCliLogger, flushTraces } from "../telemetry/index.js";
import { disposeEmbeddedEngines } from "../providers/embedded/engine.js";
import { prepareEmbeddedModel, resolveProvider } from "../providers/embedded/provider.js";
import { createOllamaModelServer } from "../providers/ollama/server.js";
import { parseCommand, USAGE, type Command, type CommonOptions } from "./args.js";
import { loadDocumentSections, rankSections, type DocumentSection } from "./documents.js";
import { exitCodeFor } from "./render.js";
import { openCheckpointer } from "../app/checkpointer.js";
import { runTurn, type Output } from "./session.js";

export interface CliIO {
  argv: string[];
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream;
  env?: Record<string, string | undefined>;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

function configFor(options: CommonOptions, env: CliIO["env"]): BrunoConfig {
  const overrides: BrunoConfigInput = {};
  if (options.host) overrides.ollamaHost = options.host;
  if (options.db) overrides.dbPath = options.db;
  if (options.verbose) overrides.logLevel = "debug";
  if (options.provider || options.modelFile) {
    overrides.embedded = {
      provider: options.provider ?? "embedded",
      ...(options.modelFile ? { modelPath: options.modelFile } : {}),
    };
  }
  return loadConfig({ ...(env ? { env } : {}), overrides, defaults: { logLevel: "error" } });
}

function buildGraph(config: BrunoConfig): GenerationGraph {
  // Logs go to stderr (stdout is the answer): pretty on a terminal, JSON lines otherwise.
  const logger = createCliLogger({ level: config.logLevel, pretty: process.stderr.isTTY === true, colorize: process.stderr.hasColors?.() === true });
  return createGenerationGraph({ config, logger, checkpointer: openCheckpointer(config) });
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
async function chooseEngine(config: BrunoConfig, options: CommonOptions, io: CliIO): Promise<Engine> {
  const explicitHost = Boolean(options.host) || ollamaHostConfigured(io.env);
  const choice = await resolveProvider(config, { signal: io.signal, ollamaHostExplicit: explicitHost });
  if (choice.provider === "ollama") {
    return { config: { ...config, embedded: { ...config.embedded, provider: "ollama" } }, notice: choice.probed ? `using Ollama at ${config.ollamaHost}` : undefined };
  }
  let prepared;
  try {
    prepared = await prepareEmbeddedModel(config, { signal: io.signal, progress: { write: (text) => io.stderr.write(text), isTTY: process.stderr.isTTY === true } });
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

async function ask(cmd: Extract<Command, { name: "ask" }>, io: CliIO): Promise<number> {
  const config = configFor(cmd.options, io.env);
  const sections = await loadDocs(cmd.docs);
  const input = parseGenerationInput(
    {
      query: cmd.query,
      documents: rankSections(cmd.query, sections, cmd.topK),
      ...(cmd.model ? { model: cmd.model } : {}),
      ...(cmd.type ? { queryType: cmd.type } : {}),
    },
    config.limits,
  );
  if (cmd.docs.length > 0 && (input.documents ?? []).length === 0) {
    io.stderr.write(`warning: no section of ${cmd.docs.join(", ")} matches the query; answering without context\n`);
  }
  const engine = await chooseEngine(config, cmd.options, io);
  const graph = buildGraph(engine.config);
  const out = announcing(io, cmd.options.json ? undefined : engine.notice);
  const result = await runTurn(graph, input, { threadId: cmd.thread ?? randomUUID(), signal: io.signal, stdout: out.stdout, stderr: out.stderr, render: !cmd.options.json });
  if (cmd.options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

async function chat(cmd: Extract<Command, { name: "chat" }>, io: CliIO): Promise<number> {
  const config = configFor(cmd.options, io.env);
  const sections = await loadDocs(cmd.docs);
  const engine = await chooseEngine(config, cmd.options, io);
  const graph = buildGraph(engine.config);
  const threadId = cmd.thread ?? randomUUID();
  if (engine.notice) io.stderr.write(`${engine.notice}\n`);
  io.stderr.write(`bruno chat — thread ${threadId}${config.dbPath ? ` in ${config.dbPath}` : ""}; ${sections.length} document sections; empty line or Ctrl-D to quit\n`);
  const rl = createInterface({ input: io.stdin, terminal: false });
  const onAbort = () => rl.close();
  io.signal.addEventListener("abort", onAbort, { once: true });
  try {
    io.stdout.write("\nyou> ");
    for await (const line of rl) {
      const query = line.trim();
      if (query === "" || query === "/exit" || query === "/quit") break;
      try {
        const input = parseGenerationInput(
          { query, documents: rankSections(query, sections, cmd.topK), ...(cmd.model ? { model: cmd.model } : {}) },
          config.limits,
        );
        io.stdout.write("bruno> ");
        await runTurn(graph, input, { threadId, signal: io.signal, stdout: io.stdout, stderr: io.stderr, render: true });
      } catch (error) {
        if (io.signal.aborted) throw error;
        io.stderr.write(`error: ${describe(error, cmd.options.verbose)}\n`);
      }
      io.stdout.write("\nyou> ");
    }
  } finally {
    io.signal.removeEventListener("abort", onAbort);
    rl.close();
  }
  return 0;
}

async function models(cmd: Extract<Command, { name: "models" }>, io: CliIO): Promise<number> {
  const config = configFor(cmd.options, io.env);
  const admin = createOllamaModelServer({ host: config.ollamaHost, timeoutMs: config.timeouts.adminMs, tagsTtlMs: 0 });
  const report: {
    host: string;
    reachable: boolean;
    version?: string;
    error?: string;
    installed: string[];
    catalog: { tag: string; installed: boolean; role: string[] }[];
    warmed?: { model: string; loadMs: number };
  } = { host: config.ollamaHost, reachable: false, installed: [], catalog: [] };
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
    role: Object.entries(config.catalog.routes).filter(([, tag]) => tag === m.tag).map(([role]) => role),
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
    io.stderr.write(`bruno: ${report.error}\n`);
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

function describe(error: unknown, verbose: boolean): string {
  if (verbose && error instanceof Error && error.stack) return error.stack;
  if (isBrunoError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Runs the CLI; returns the exit code. Errors become one line on stderr. */
export async function runCli(io: CliIO): Promise<number> {
  const verbose = io.argv.includes("--verbose") || io.argv.includes("-v");
  try {
    const cmd = parseCommand(io.argv);
    switch (cmd.name) {
      case "help":
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case "ask":
        return await ask(cmd, io);
      case "chat":
        return await chat(cmd, io);
      case "models":
        return await models(cmd, io);
    }
  } catch (error) {
    const bruno: BrunoError | undefined = isBrunoError(error) ? error : undefined;
    const code = io.signal.aborted ? "CANCELLED" : (bruno?.code ?? "UNKNOWN");
    const text = io.signal.aborted ? "cancelled" : describe(error, verbose);
    io.stderr.write(`\nbruno: ${code === "UNKNOWN" ? "unexpected error" : code}: ${text}\n`);
    return exitCodeFor(code);
  } finally {
    await disposeEmbeddedEngines();
  }
}

/** The process entry point: wires stdio, Ctrl-C and the exit code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  process.on("SIGINT", () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    controller.abort(new Error("interrupted"));
  });
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const code = await runCli({
    argv: process.argv.slice(2),
    stdout: { write: (t) => void process.stdout.write(t) },
    stderr: { write: (t) => void process.stderr.write(t) },
    stdin: process.stdin,
    signal: controller.signal,
  });
  // LangSmith batches runs in the background; send them before the process ends (a no-op when tracing is off).
  await flushTraces();
  process.exitCode = code;
}
