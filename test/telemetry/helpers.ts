/** Shared set-up of the telemetry tests: a graph on the Ollama-protocol server, captured logs, scraped metrics. */
import { MemorySaver } from "@langchain/langgraph";
import { afterEach } from "vitest";
import { pino, type Logger } from "pino";
import { loadConfig } from "../../src/config/config.js";
import { createGenerationGraph, type GenerationGraph } from "../../src/app/createGraph.js";
import type { ContextDocument } from "../../src/domain/index.js";
import { REDACT_PATHS, createTelemetry, type Telemetry } from "../../src/telemetry/index.js";
import { FakeOllama, type FakeModel, type FakeOllamaOptions } from "../../src/testing/index.js";

/** The models of the default catalog's troubleshooting chain and the general/fast routes. */
export const CHAIN_MODELS: FakeModel[] = [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }];

/** Classified as troubleshooting → sre-agent:v1.0 → llama3.1:8b → llama3.2:3b. */
export const QUERY = "Loki ingester pods keep crashing after the upgrade";
export const DOCS: ContextDocument[] = [
  { title: "Loki crash loop", source: "runbooks/loki-crashloop.md", content: "Ingesters OOMKilled after an upgrade: raise the memory limit of the loki-ingester StatefulSet." },
  { title: "Pod OOMKilled", source: "runbooks/pod-oomkilled.md", content: "Exit code 137 with reason OOMKilled means the container exceeded its memory limit." },
];

/** Log lines written to memory, parsed. */
export interface CapturedLogs {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  raw: () => string;
}

/** A pino logger with the package's redaction, writing JSON lines to memory. */
export function captureLogs(level: pino.LevelWithSilent = "info"): CapturedLogs {
  const chunks: string[] = [];
  const logger = pino({ level, base: { component: "bruno-generation" }, redact: { paths: [...REDACT_PATHS], censor: "[redacted]" } }, { write: (line: string) => void chunks.push(line) });
  const raw = () => chunks.join("");
  const lines = () =>
    raw()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, raw };
}

export interface Setup {
  server: FakeOllama;
  telemetry: Telemetry;
  graph: GenerationGraph;
  logs: CapturedLogs;
}

/**
 * FakeOllama with `models`, a Telemetry logging to memory, and the graph as a host builds it
 * (real ChatOllama and admin client over HTTP), with settings from `env` (retries off by default).
 */
export async function setup(options: { env?: Record<string, string>; server?: FakeOllamaOptions; logLevel?: pino.LevelWithSilent; telemetry?: Telemetry } = {}): Promise<Setup> {
  const server = await FakeOllama.start({ models: CHAIN_MODELS, ...options.server });
  const logs = captureLogs(options.logLevel ?? "info");
  const telemetry = options.telemetry ?? createTelemetry({ logger: logs.logger });
  const graph = createGenerationGraph({
    config: loadConfig({ env: { OLLAMA_HOST: server.url, BRUNO_RETRY_ATTEMPTS: "1", ...options.env } }),
    telemetry,
    logger: logs.logger,
    checkpointer: new MemorySaver(),
  });
  return { server, telemetry, graph, logs };
}

/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

/** Parses the Prometheus text exposition format (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = unescape(pair[2] as string);
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples of one metric as `labels → value`, keyed by `k=v,k=v` (sorted), for exact comparisons. */
export function series(samples: readonly Sample[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples.filter((x) => x.name === name)) {
    const key = Object.entries(s.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    out[key] = s.value;
  }
  return out;
}

/** The samples of a telemetry's registry, scraped as Prometheus would. */
export async function scrape(telemetry: Telemetry): Promise<Sample[]> {
  return parseMetrics(await telemetry.metricsText());
}

export function thread(id: string): { configurable: { thread_id: string } } {
  return { configurable: { thread_id: id } };
}

/**
 * `setup` for a test file: every set-up opened through the returned function has its server
 * closed after each test.
 */
export function setupPerTest(): (options?: Parameters<typeof setup>[0]) => Promise<Setup> {
  const opened: Setup[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.server.close()));
  });
  return async (options = {}) => {
    const s = await setup(options);
    opened.push(s);
    return s;
  };
}
