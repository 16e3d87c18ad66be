/**
 * The Prometheus metrics of the generation stage (prom-client). Every label value is bounded:
 * model tags, node names, error codes, a few fixed words — never query text, thread or run ids.
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
  generationDuration: Histogram<"model">;
  /** Tokens Ollama counted: `prompt_eval_count` (input) and `eval_count` (output). */
  tokens: Counter<"model" | "direction">;
  /** Failed model calls (every attempt, retries included) by error code. */
  errors: Counter<"model" | "error_type">;
  /** Model calls in flight. */
  activeRequests: Gauge;
  /** From the request to the first non-empty token. */
  timeToFirstToken: Histogram<"model">;
  /** Wall time of each node execution. */
  nodeDuration: Histogram<"node">;
  /** Finished turns by query type and outcome (answered, failed, cancelled) and error code. */
  runs: Counter<"query_type" | "outcome" | "error_type">;
  /** Wall time of whole turns, fallbacks and repair included. */
  runDuration: Histogram<"query_type" | "outcome">;
  /** Fallbacks taken from one model to the next, and why. */
  fallbacks: Counter<"from" | "to" | "reason">;
  /** Retries of a model call after a transient failure. */
  retries: Counter<"model" | "error_type">;
  /** 1 for the current circuit state of each model, 0 for the others. */
  circuitState: Gauge<"model" | "state">;
  /** Circuit state changes. */
  circuitTransitions: Counter<"model" | "state">;
  /** Model calls waiting for a free slot. */
  queueDepth: Gauge;
  /** Time calls waited for a slot (only waits of 1 ms or more are reported). */
  queueWait: Histogram;
  /** Look-ups of the installed-model list (`tags`) and model details (`show`) caches. */
  cacheRequests: Counter<"cache" | "result">;
  /** Citation markers: `invalid` found, `repaired` by the repair round, `stripped` from the answer. */
  citations: Counter<"outcome">;
  /** Lower-ranked documents left out of the prompt to fit the model's context. */
  documentsDropped: Counter<"model">;
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/** The circuit states, worst last; a model with circuits on several servers reports the worst. */
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

function worstCircuits(sources: Iterable<ResilienceSource>): Map<string, CircuitStateName> {
  const worst = new Map<string, CircuitStateName>();
  for (const { resilience } of sources) {
    for (const circuit of resilience.circuits()) {
      const current = worst.get(circuit.model);
      if (current === undefined || CIRCUIT_STATES.indexOf(circuit.state) > CIRCUIT_STATES.indexOf(current)) worst.set(circuit.model, circuit.state);
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
    generationDuration: histogram(N.generationDuration, "Wall time of successful Ollama generations, request to last token", ["model"], GENERATION_BUCKETS),
    tokens: counter(N.tokens, "Tokens counted by Ollama (input: prompt_eval_count, output: eval_count)", ["model", "direction"]),
    errors: counter(N.errors, "Failed Ollama generation calls, every attempt, by error code", ["model", "error_type"]),
    activeRequests: gauge(N.activeRequests, "Ollama generation calls in flight", []),
    timeToFirstToken: histogram(N.timeToFirstToken, "Time from the request to the first non-empty token", ["model"], FIRST_TOKEN_BUCKETS),
    nodeDuration: histogram(N.nodeDuration, "Wall time of each graph node execution", ["node"], NODE_BUCKETS),
    runs: counter(N.runs, "Finished turns by query type, outcome (answered, failed, cancelled) and error code", ["query_type", "outcome", "error_type"]),
    runDuration: histogram(N.runDuration, "Wall time of whole turns, fallbacks and citation repair included", ["query_type", "outcome"], GENERATION_BUCKETS),
    fallbacks: counter(N.fallbacks, "Fallbacks taken from a failed or skipped model to the next of its chain", ["from", "to", "reason"]),
    retries: counter(N.retries, "Retries of a model call after a transient failure", ["model", "error_type"]),
    circuitState: gauge(N.circuitState, "Circuit breaker state per model: 1 for the current state, 0 otherwise", ["model", "state"], function collect() {
      this.reset();
      for (const [model, current] of worstCircuits(sources.values())) {
        for (const state of CIRCUIT_STATES) this.set({ model, state }, state === current ? 1 : 0);
      }
    }),
    circuitTransitions: counter(N.circuitTransitions, "Circuit breaker state changes per model", ["model", "state"]),
    queueDepth: gauge(N.queueDepth, "Model calls waiting for a free slot of the concurrency limit", [], function collect() {
      let queued = 0;
      for (const { resilience, host } of sources.values()) queued += resilience.load(host).queued;
      this.set(queued);
    }),
    queueWait: histogram(N.queueWait, "Time model calls waited for a free slot (waits of 1 ms or more)", [], QUEUE_WAIT_BUCKETS),
    cacheRequests: counter(N.cacheRequests, "Look-ups of the Ollama admin caches (tags: installed models, show: model details)", ["cache", "result"]),
    citations: counter(N.citations, "Citation markers: invalid (out of range) found, repaired by the repair round, stripped from the answer", ["outcome"]),
    documentsDropped: counter(N.documentsDropped, "Lower-ranked documents left out of the prompt to fit the model's context window", ["model"]),
  };
}
