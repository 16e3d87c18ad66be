/** What every benchmark section shares: the turn's input, graph and bare-client builders, machine facts. */
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { ChatOllama } from "@langchain/ollama";
import { cpus, freemem, loadavg, platform, release, totalmem, arch } from "node:os";
import { createGenerationGraph, loadConfig, type BrunoConfig, type ContextDocument, type GenerationGraph } from "../../src/index.js";
import type { GenerationGraphOptions } from "../../src/app/deps.js";
import type { ChatRequestBody } from "../../src/testing/index.js";

/** A troubleshooting query: routed to sre-agent:v1.0 with the troubleshooting profile (no stop sequences). */
export const QUERY = "Loki ingester pods are crashing with OOMKilled after the upgrade, what should I do?";

export const DOCS: ContextDocument[] = [
  {
    title: "Loki crash loop",
    source: "runbooks/loki-crashloop.md",
    content:
      "Ingesters OOMKilled after an upgrade: raise the memory limit of the loki-ingester StatefulSet. Roll the pods one at a time so the ring keeps a quorum. Check the chunk target size and the WAL replay memory ceiling.",
  },
  {
    title: "Pod OOMKilled",
    source: "runbooks/pod-oomkilled.md",
    content:
      "Exit code 137 with reason OOMKilled means the container exceeded its memory limit. Compare the limit with the working set in the memory graph, and look for a recent change in traffic or configuration.",
  },
];

export const INPUT = { query: QUERY, documents: DOCS };

/** Settings of every benchmark graph: silent logs, one attempt per model (no retry can hide in a figure). */
export function benchConfig(host: string, env: Record<string, string> = {}): BrunoConfig {
  return loadConfig({ env: { OLLAMA_HOST: host, LOG_LEVEL: "silent", BRUNO_RETRY_ATTEMPTS: "1", ...env } });
}

/** The graph as a host builds it: settings, the real Ollama admin and ChatOllama factory. */
export function benchGraph(host: string, options: { env?: Record<string, string>; checkpointer?: BaseCheckpointSaver | false } & Partial<GenerationGraphOptions> = {}): GenerationGraph {
  const { env, ...rest } = options;
  return createGenerationGraph({ config: benchConfig(host, env), ...rest });
}

export function memoryGraph(host: string, env: Record<string, string> = {}): GenerationGraph {
  return benchGraph(host, { env, checkpointer: new MemorySaver() });
}

/** LangChain messages that ChatOllama turns back into exactly the captured request's messages. */
export function messagesFromBody(body: ChatRequestBody): BaseMessage[] {
  return body.messages.map((m) => {
    switch (m.role) {
      case "system":
        return new SystemMessage(m.content);
      case "assistant":
        return new AIMessage(m.content);
      case "user":
        return new HumanMessage(m.content);
      default:
        throw new Error(`unexpected role ${m.role} in a captured request`);
    }
  });
}

function numberOption(options: Record<string, unknown>, key: string): number | undefined {
  const v = options[key];
  return typeof v === "number" ? v : undefined;
}

/**
 * A bare ChatOllama with the options of a captured graph request (same model, sampling, num_ctx,
 * keep_alive, think). Built once and reused: the graph builds one per call, which is its cost.
 */
export function bareChatModel(host: string, body: ChatRequestBody): { model: ChatOllama; stop: string[] } {
  const o = body.options ?? {};
  const stop = Array.isArray(o.stop) ? o.stop.filter((s): s is string => typeof s === "string") : [];
  const seed = numberOption(o, "seed");
  const model = new ChatOllama({
    model: body.model,
    baseUrl: host,
    checkOrPullModel: false,
    maxRetries: 0,
    think: false,
    ...(typeof body.keep_alive === "string" ? { keepAlive: body.keep_alive } : {}),
    ...optional("temperature", numberOption(o, "temperature")),
    ...optional("topP", numberOption(o, "top_p")),
    ...optional("topK", numberOption(o, "top_k")),
    ...optional("repeatPenalty", numberOption(o, "repeat_penalty")),
    ...optional("numPredict", numberOption(o, "num_predict")),
    ...optional("numCtx", numberOption(o, "num_ctx")),
    ...(seed !== undefined ? { seed } : {}),
  });
  return { model, stop };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** A canonical JSON form, for comparing two request bodies. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
    }
    return v;
  });
}

/** First difference between two request bodies, or undefined when they are the same. */
export function bodyDifference(a: unknown, b: unknown): string | undefined {
  const ca = canonical(a);
  const cb = canonical(b);
  if (ca === cb) return undefined;
  let i = 0;
  while (i < ca.length && ca[i] === cb[i]) i += 1;
  return `at char ${i}: graph …${ca.slice(Math.max(0, i - 60), i + 60)}… vs bare …${cb.slice(Math.max(0, i - 60), i + 60)}…`;
}

export function chars(body: ChatRequestBody): number {
  return body.messages.reduce((n, m) => n + (typeof m.content === "string" ? m.content.length : 0), 0);
}

export interface Machine {
  platform: string;
  release: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemMb: number;
  freeMemMbAtStart: number;
  node: string;
  v8: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    platform: platform(),
    release: release(),
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model ?? "unknown",
    totalMemMb: Math.round(totalmem() / 2 ** 20),
    freeMemMbAtStart: Math.round(freemem() / 2 ** 20),
    node: process.version,
    v8: process.versions.v8,
  };
}

/** The 1, 5 and 15 minute load averages, rounded. */
export function load(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [Math.round((a ?? 0) * 100) / 100, Math.round((b ?? 0) * 100) / 100, Math.round((c ?? 0) * 100) / 100];
}

export const now = (): number => performance.now();

/** Lets timers, sockets and finalizers settle between phases. */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/** Process CPU time (user + system) in ms since an earlier `process.cpuUsage()` reading. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}
