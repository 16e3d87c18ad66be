/**
 * `bruno serve`: the generation graph behind HTTP, for replicas behind a load balancer. Opens
 * the database, builds the graph once, listens, and on SIGTERM or Ctrl-C shuts down cleanly:
 * new requests get 503, turns in flight finish within the grace period or are cancelled, the
 * database is closed, exit 0.
 */
import { ConfigError, loadConfig, loadRuntime, loadServe, type BrunoConfig, type BrunoConfigInput, type CliRuntime } from "../app/index.js";
import type { Command } from "./args.js";
import type { CliIO } from "./io.js";

type ServeCommand = Extract<Command, { name: "serve" }>;

/** Settings of the server: the environment, then the flags; logs at info unless LOG_LEVEL says otherwise. */
function serveConfig(cmd: ServeCommand, env: CliIO["env"]): BrunoConfig {
  const { options } = cmd;
  const overrides: BrunoConfigInput = {};
  if (options.db) overrides.dbPath = options.db;
  if (options.threadStrategy) overrides.threads = { strategy: options.threadStrategy };
  if (options.verbose) overrides.logLevel = "debug";
  if (cmd.port !== undefined || cmd.listen !== undefined) overrides.serve = { ...(cmd.port !== undefined ? { port: cmd.port } : {}), ...(cmd.listen ? { host: cmd.listen } : {}) };
  if (options.provider || options.modelFile) {
    overrides.embedded = { provider: options.provider ?? "embedded", ...(options.modelFile ? { modelPath: options.modelFile } : {}) };
  }
  return loadConfig({ ...(env ? { env } : {}), overrides, defaults: { logLevel: "info" } });
}

/**
 * The engine: Ollama (a server never falls back to the embedded engine on its own: an Ollama
 * that does not answer yet is what `/readyz` reports), or the embedded engine when asked for,
 * with its model file checked or downloaded before listening.
 */
async function engineConfig(rt: CliRuntime, config: BrunoConfig, io: CliIO): Promise<BrunoConfig> {
  if (config.embedded.provider !== "embedded") return { ...config, embedded: { ...config.embedded, provider: "ollama" } };
  const prepared = await rt.prepareEmbeddedModel(config, { signal: io.signal, progress: { write: (text) => io.stderr.write(text), isTTY: io.stderrIsTTY === true } });
  return { ...config, embedded: { ...config.embedded, modelPath: prepared.modelPath } };
}

/** Resolves on SIGTERM or when `signal` aborts (Ctrl-C), whichever comes first. */
function stopRequested(signal: AbortSignal): { stopped: Promise<string>; dispose(): void } {
  let onTerm: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<string>((resolve) => {
    onTerm = () => resolve("SIGTERM");
    onAbort = () => resolve("SIGINT");
    process.once("SIGTERM", onTerm);
    if (signal.aborted) resolve("SIGINT");
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  return {
    stopped,
    dispose: () => {
      if (onTerm) process.off("SIGTERM", onTerm);
      if (onAbort) signal.removeEventListener("abort", onAbort);
    },
  };
}

/** Runs the server until SIGTERM or Ctrl-C; returns 0 after a clean shutdown. */
export async function serveCommand(cmd: ServeCommand, io: CliIO): Promise<number> {
  const modules = Promise.all([loadRuntime(), loadServe()]);
  const config = serveConfig(cmd, io.env);
  const [rt, http] = await modules;
  const stop = stopRequested(io.signal);
  const database = await rt.openDatabase(config);
  let listening: Awaited<ReturnType<typeof http.listen>> | undefined;
  try {
    const engine = await engineConfig(rt, config, io);
    // JSON lines on stderr, one per event, for a log collector.
    const logger = rt.createCliLogger({ level: engine.logLevel, pretty: false });
    const graph = rt.createGenerationGraph({ config: engine, logger, database });
    const { app, gate } = http.createServeApp({ graph, database, config: engine, logger });
    const { host, port } = engine.serve;
    try {
      listening = await http.listen(app, { host, port });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      throw new ConfigError(`bruno serve cannot listen on ${host}:${port} (${reason}); pick another --port (BRUNO_SERVE_PORT) or --host (BRUNO_SERVE_HOST)`, { cause: error });
    }
    io.stderr.write(`bruno serve listening on ${listening.url}\n`);
    logger.info({ event: "serve_listening", url: listening.url, database: database.kind, maxTurns: engine.serve.maxTurns, auth: Boolean(engine.serve.apiToken) }, "listening");
    const signal = await stop.stopped;
    logger.info({ event: "serve_stopping", signal }, "stop requested");
    await http.shutdown({ listening, gate, database, graceMs: engine.serve.graceMs, logger });
    return 0;
  } finally {
    stop.dispose();
    if (listening?.server.listening) listening.server.closeAllConnections();
    listening?.server.close();
    await database.close();
  }
}
