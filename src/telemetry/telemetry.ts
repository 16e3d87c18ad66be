/**
 * `Telemetry`: the metrics registry and its instruments, the tracer and the logger of the
 * generation stage, created once and passed to the graph (`GenerationGraphOptions.telemetry`).
 * Nothing here is created at import.
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Tracer } from "@opentelemetry/api";
import type { LevelWithSilent, Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { isBrunoError, isTimeoutError } from "../domain/errors.js";
import type { GenerationEvent } from "../domain/events.js";
import type { ModelServer } from "../providers/ports.js";
import type { Resilience } from "../runtime/resilience.js";
import type { ResilienceEvent } from "../domain/events.js";
import { createTelemetryLogger } from "./logging.js";
import { addResilienceSource, createBrunoMetrics, type BrunoMetrics } from "./metrics.js";
import { RunTracker, type ModelCallEnd, type ModelCallStart, type RunInfo } from "./runs.js";
import { defaultTracer } from "./tracing.js";

export interface TelemetryOptions {
  /** Where the metrics are registered; a registry of this Telemetry's own by default. */
  registry?: Registry;
  /** The logger; a JSON-lines logger on stderr at `logLevel` by default. */
  logger?: Logger;
  /** Level of the default logger (`LOG_LEVEL`); `info` by default. */
  logLevel?: LevelWithSilent;
  /** The OpenTelemetry tracer; the global one (`@opentelemetry/api`) by default. */
  tracer?: Tracer;
}

/** Metrics, tracer and logger of one process (or one host application's part of it). */
export class Telemetry {
  /** The registry to serve (`/metrics`) or merge into a host's (`Registry.merge`). */
  readonly registry: Registry;
  readonly metrics: BrunoMetrics;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** @internal Runs followed by the run and node wrappers and the generate node. */
  readonly tracker: RunTracker;
  private readonly watched = new WeakSet<Resilience>();

  constructor(options: TelemetryOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.metrics = createBrunoMetrics(this.registry);
    this.tracer = options.tracer ?? defaultTracer();
    this.logger = options.logger ?? createTelemetryLogger({ level: options.logLevel ?? "info" });
    this.tracker = new RunTracker(this.metrics, this.tracer);
  }

  /** The Prometheus text exposition of the registry. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** Adds Node.js process metrics (CPU, memory, event loop, GC) to the registry, once. */
  collectProcessMetrics(): void {
    if (this.registry.getSingleMetric("process_cpu_seconds_total")) return;
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Counts retries, circuit changes and queue waits of `resilience`, and reads its circuit
   * states and queue for `host` at scrape time. Subscribes once per resilience.
   */
  watchResilience(resilience: Resilience, host: string): void {
    addResilienceSource(this.registry, { resilience, host });
    if (this.watched.has(resilience)) return;
    this.watched.add(resilience);
    resilience.subscribe((event) => this.onResilienceEvent(event));
  }

  private onResilienceEvent(event: ResilienceEvent): void {
    switch (event.type) {
      case "retry":
        this.metrics.retries.inc({ model: event.model, host: event.host, error_type: event.code });
        break;
      case "circuit":
        this.metrics.circuitTransitions.inc({ model: event.model, host: event.host, state: event.state });
        if (event.state !== "closed") this.logger.warn({ event: "circuit", model: event.model, host: event.host, state: event.state }, `circuit ${event.state}`);
        else this.logger.info({ event: "circuit", model: event.model, host: event.host, state: event.state }, "circuit closed");
        break;
      case "queued":
        this.metrics.queueWait.observe({ host: event.host }, event.waitMs / 1000);
        break;
    }
  }

  /**
   * Wraps an admin so that look-ups served from its caches count as hits: a cached answer is
   * the same promise handed out again, a fresh request a new one. Use on caching admins only.
   */
  instrumentModelServer(admin: ModelServer, logger: Logger = this.logger): ModelServer {
    const seen = new WeakSet<Promise<unknown>>();
    const observe = <T>(cache: "tags" | "show", promise: Promise<T>, key?: string): Promise<T> => {
      const hit = seen.has(promise);
      seen.add(promise);
      this.metrics.cacheRequests.inc({ cache, result: hit ? "hit" : "miss" });
      if (logger.isLevelEnabled("debug")) {
        logger.debug({ event: hit ? "cache_hit" : "cache_miss", cache, ...(key ? { model: key } : {}) }, hit ? "cache hit" : "cache miss");
      }
      return promise;
    };
    const instrumented: ModelServer = {
      host: admin.host,
      listModels: (options) => observe("tags", admin.listModels(options)),
      showModel: (name, options) => observe("show", admin.showModel(name, options), name),
      version: (options) => admin.version(options),
    };
    if (admin.warm) instrumented.warm = admin.warm.bind(admin);
    if (admin.addresses) Object.assign(instrumented, { addresses: admin.addresses });
    if (admin.hosts) instrumented.hosts = admin.hosts.bind(admin);
    if (admin.hostsWith) instrumented.hostsWith = admin.hostsWith.bind(admin);
    if (admin.markDown) instrumented.markDown = admin.markDown.bind(admin);
    return instrumented;
  }

  /** The graph run (id, thread) a node's config belongs to. */
  runInfo(config: RunnableConfig | undefined): RunInfo {
    return this.tracker.runInfo(config);
  }

  /** A debug line on a run logger (see `runLogger`); builds no child logger when debug is off. */
  runDebug(base: Logger, config: RunnableConfig | undefined, fields: Record<string, unknown>, line: Record<string, unknown>, message: string): void {
    if (base.isLevelEnabled("debug")) this.runLogger(base, config, fields).debug(line, message);
  }

  /** A child of `base` carrying the run's `runId` and `threadId`, plus `fields` (model, queryType…). */
  runLogger(base: Logger, config: RunnableConfig | undefined, fields: Record<string, unknown> = {}): Logger {
    return base.child({ ...this.runInfo(config), ...fields });
  }

  /**
   * Follows one model call (one attempt) of the node running under `config`: calls in flight,
   * duration and tokens of an answer, errors by code, a `timeout` line on the run's log when a
   * deadline expired; its span (a child of the node's) with the time to its first token, its size
   * and token counts; debug lines of the request and the response. Call `token()` on each chunk
   * with text, then `end` or `fail` once.
   */
  modelCall(config: RunnableConfig | undefined, call: ModelCallStart, loggers: { base: Logger; run: Logger }): ModelCallObserver {
    const { metrics: m, tracker } = this;
    const model = call.model;
    const host = call.host ?? "";
    const run = tracker.startModelCall(config, call, loggers.base);
    const started = performance.now();
    m.activeRequests.inc({ host });
    let open = true;
    const close = (): boolean => {
      if (!open) return false;
      open = false;
      m.activeRequests.dec({ host });
      return true;
    };
    return {
      token: () => tracker.modelToken(run),
      end: (result) => {
        if (!close()) return;
        m.generationDuration.observe({ model, host }, (performance.now() - started) / 1000);
        m.tokens.inc({ model, host, direction: "input" }, result.inputTokens ?? 0);
        m.tokens.inc({ model, host, direction: "output" }, result.outputTokens ?? 0);
        tracker.endModelCall(run, result, loggers.base);
      },
      fail: (raw, error) => {
        if (!close()) return;
        const code = isBrunoError(error) ? error.code : "UNKNOWN";
        if (code !== "CANCELLED") m.errors.inc({ model, host, error_type: code });
        if (isTimeoutError(error)) loggers.run.warn({ event: "timeout", code, elapsedMs: Math.round(performance.now() - started) }, "timeout");
        tracker.failModelCall(run, raw);
      },
    };
  }

  /** Records an event a node reported (metrics, the node's span, the run's facts). */
  recordStreamEvent(config: RunnableConfig | undefined, event: GenerationEvent): void {
    this.tracker.recordEvent(config, event);
  }
}

/** One model call followed by `Telemetry.modelCall`. */
export interface ModelCallObserver {
  /** A chunk with text arrived. */
  token(): void;
  end(result: ModelCallEnd): void;
  /** The call failed with `raw` (the client's own error), which the node reports as `error`. */
  fail(raw: unknown, error: unknown): void;
}

/** Creates the Telemetry of a process or host; see `TelemetryOptions`. */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  return new Telemetry(options);
}
