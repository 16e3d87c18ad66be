/**
 * The Prometheus metrics of the generation stage (prom-client). Every label value is bounded:
 * model tags, node names, error codes, a few fixed words, the Ollama servers' addresses (`host`:
 * from the settings, printed without credentials) — never query text, thread or run ids.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { CircuitStateName } from "../domain/events.js";
import type { Resilience } from "../runtime/resilience.js";

/** Seconds; model calls take from a tenth of a second (cached, short) to two minutes (cold 70B). */
export const GENERATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120];
/** Seconds until the first token: prompt evaluation, plus a model load on a cold start. */
export const FIRST_TOKEN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
/** Seconds per node: rules and prompt building take milliseconds, generate takes the model's time. */
export const NODE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds spent waiting for a free slot of the per-server concurrency limit. */
export const QUEUE_WAIT_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Metric names, for dashboards, alerts and tests. */
export const METRIC_NAMES = {
  generationDuration: "ollama_generation_duration_seconds",
  tokens: "ollama_tokens_total",
  errors: "ollama_errors_total",
  activeRequests: "ollama_active_requests",
  timeToFirstToken: "ollama_time_to_first_token_seconds",
  nodeDuration: "bruno_node_duration_seconds",
  runs: "bruno_runs_total",
  runDuration: "bruno_run_duration_seconds",
  fallbacks: "bruno_fallbacks_total",
  failovers: "bruno_failovers_total",
  retries: "bruno_retries_total",
  circuitState: "bruno_circuit_state",
  circuitTransitions: "bruno_circuit_transitions_total",
  queueDepth: "bruno_queue_depth",
  queueWait: "bruno_queue_wait_seconds",
  cacheRequests: "bruno_cache_requests_total",
  citations: "bruno_citations_total",
  documentsDropped: "bruno_documents_dropped_total",
} as const;

/** The instruments, registered in one registry. */
export interface BrunoMetrics {
  /** Wall time of each successful model call (request sent → last token). */
  generationDuration: Histogram<"model" | "host">;
  /** Tokens Ollama counted: `prompt_eval_count` (input) and `eval_count` (output). */
  tokens: Counter<"model" | "host" | "direction">;
  /** Failed model calls (every attempt, retries included) by error code. */
  errors: Counter<"model" | "host" | "error_type">;
  /** Model calls in flight, per server. */
  activeRequests: Gauge<"host">;
  /** From the request to the first non-empty token. */
  timeToFirstToken: Histogram<"model" | "host">;
  /** Wall time of each node execution. */
  nodeDuration: Histogram<"node">;
  /** Finished turns by query type and outcome (answered, failed, cancelled) and error code. */
  runs: Counter<"query_type" | "outcome" | "error_type">;
  /** Wall time of whole turns, fallbacks and repair included. */
  runDuration: Histogram<"query_type" | "outcome">;
  /** Fallbacks taken from one model to the next, and why. */
  fallbacks: Counter<"from" | "to" | "reason">;
  /** Several Ollama hosts: a model moved from a failed server to another one, and why. */
  failovers: Counter<"model" | "from" | "to" | "reason">;
  /** Retries of a model call after a transient failure. */
  retries: Counter<"model" | "host" | "error_type">;
  /** 1 for the current state of each (server, model) circuit, 0 for the others. */
  circuitState: Gauge<"model" | "host" | "state">;
  /** Circuit state changes. */
  circuitTransitions: Counter<"model" | "host" | "state">;
  /** Model calls waiting for a free slot, per server. */
  queueDepth: Gauge<"host">;
  /** Time calls waited for a slot (only waits of 1 ms or more are reported), per server. */
  queueWait: Histogram<"host">;
  /** Look-ups of the installed-model list (`tags`) and model details (`show`) caches. */
  cacheRequests: Counter<"cache" | "result">;
  /** Citation markers: `invalid` found, `repaired` by the repair round, `stripped` from the answer. */
  citations: Counter<"outcome">;
  /** Lower-ranked documents left out of the prompt to fit the model's context. */
  documentsDropped: Counter<"model">;
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/** The circuit states, worst last; a (server, model) circuit in several resilience layers reports the worst. */
export const CIRCUIT_STATES: readonly CircuitStateName[] = ["closed", "half-open", "open", "isolated"];

/** A resilience layer and the Ollama server whose queue it reports. */
export interface ResilienceSource {
  resilience: Resilience;
  host: string;
}

const sourcesByRegistry = new WeakMap<Registry, Map<string, ResilienceSource>>();
const resilienceIds = new WeakMap<Resilience, number>();
let nextResilienceId = 0;

/**
 * The resilience layers whose circuit states and queues the gauges of `registry` read at
 * scrape time; shared by every `Telemetry` on that registry.
 */
export function resilienceSources(registry: Registry): Map<string, ResilienceSource> {
  let sources = sourcesByRegistry.get(registry);
  if (!sources) {
    sources = new Map();
    sourcesByRegistry.set(registry, sources);
  }
  return sources;
}

/** Adds a source once per (resilience, host). */
export function addResilienceSource(registry: Registry, source: ResilienceSource): void {
  let id = resilienceIds.get(source.resilience);
  if (id === undefined) {
    id = nextResilienceId++;
    resilienceIds.set(source.resilience, id);
  }
  resilienceSources(registry).set(`${id} ${source.host}`, source);
}

function worstCircuits(sources: Iterable<ResilienceSource>): Map<string, { model: string; host: string; state: CircuitStateName }> {
  const worst = new Map<string, { model: string; host: string; state: CircuitStateName }>();
  const layers = new Set<Resilience>();
  for (const { resilience } of sources) layers.add(resilience);
  for (const resilience of layers) {
    for (const circuit of resilience.circuits()) {
      const key = `${circuit.host}\u0000${circuit.model}`;
      const current = worst.get(key);
      if (current === undefined || CIRCUIT_STATES.indexOf(circuit.state) > CIRCUIT_STATES.indexOf(current.state)) worst.set(key, circuit);
    }
  }
  return worst;
}

/**
 * Reuses a metric of the same name and kind already in the registry (a second `Telemetry` on a
 * host's registry, a reloaded module), otherwise creates it.
 */
function getOrCreate<M extends AnyMetric>(registry: Registry, name: string, kind: new (...args: never[]) => M, create: () => M): M {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof kind) return existing;
  if (existing) throw new Error(`metric ${name} is already registered with a different type`);
  return create();
}

/** Creates (or finds) every instrument in `registry`. */
export function createBrunoMetrics(registry: Registry): BrunoMetrics {
  const registers = [registry];
  const N = METRIC_NAMES;
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => getOrCreate(registry, name, Counter<L>, () => new Counter<L>({ name, help, labelNames, registers }));
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    getOrCreate(registry, name, Histogram<L>, () => new Histogram<L>({ name, help, labelNames, buckets, registers }));
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (this: Gauge<L>) => void) =>
    getOrCreate(registry, name, Gauge<L>, () => new Gauge<L>({ name, help, labelNames, registers, ...(collect ? { collect } : {}) }));
  const sources = resilienceSources(registry);

  return {
    generationDuration: histogram(N.generationDuration, "Wall time of successful Ollama generations, request to last token", ["model", "host"], GENERATION_BUCKETS),
    tokens: counter(N.tokens, "Tokens counted by Ollama (input: prompt_eval_count, output: eval_count)", ["model", "host", "direction"]),
    errors: counter(N.errors, "Failed Ollama generation calls, every attempt, by error code", ["model", "host", "error_type"]),
    activeRequests: gauge(N.activeRequests, "Ollama generation calls in flight, per server", ["host"]),
    timeToFirstToken: histogram(N.timeToFirstToken, "Time from the request to the first non-empty token", ["model", "host"], FIRST_TOKEN_BUCKETS),
    nodeDuration: histogram(N.nodeDuration, "Wall time of each graph node execution", ["node"], NODE_BUCKETS),
    runs: counter(N.runs, "Finished turns by query type, outcome (answered, failed, cancelled) and error code", ["query_type", "outcome", "error_type"]),
    runDuration: histogram(N.runDuration, "Wall time of whole turns, fallbacks and citation repair included", ["query_type", "outcome"], GENERATION_BUCKETS),
    fallbacks: counter(N.fallbacks, "Fallbacks taken from a failed or skipped model to the next of its chain", ["from", "to", "reason"]),
    failovers: counter(N.failovers, "A model moved from a failed Ollama server to another one that has it", ["model", "from", "to", "reason"]),
    retries: counter(N.retries, "Retries of a model call after a transient failure", ["model", "host", "error_type"]),
    circuitState: gauge(N.circuitState, "Circuit breaker state per (server, model): 1 for the current state, 0 otherwise", ["model", "host", "state"], function collect() {
      this.reset();
      for (const { model, host, state: current } of worstCircuits(sources.values()).values()) {
        for (const state of CIRCUIT_STATES) this.set({ model, host, state }, state === current ? 1 : 0);
      }
    }),
    circuitTransitions: counter(N.circuitTransitions, "Circuit breaker state changes per (server, model)", ["model", "host", "state"]),
    queueDepth: gauge(N.queueDepth, "Model calls waiting for a free slot of a server's concurrency limit", ["host"], function collect() {
      this.reset();
      const queued = new Map<string, number>();
      for (const { resilience, host } of sources.values()) queued.set(host, (queued.get(host) ?? 0) + resilience.load(host).queued);
      for (const [host, n] of queued) this.set({ host }, n);
    }),
    queueWait: histogram(N.queueWait, "Time model calls waited for a free slot (waits of 1 ms or more), per server", ["host"], QUEUE_WAIT_BUCKETS),
    cacheRequests: counter(N.cacheRequests, "Look-ups of the Ollama admin caches (tags: installed models, show: model details)", ["cache", "result"]),
    citations: counter(N.citations, "Citation markers: invalid (out of range) found, repaired by the repair round, stripped from the answer", ["outcome"]),
    documentsDropped: counter(N.documentsDropped, "Lower-ranked documents left out of the prompt to fit the model's context window", ["model"]),
  };
}
