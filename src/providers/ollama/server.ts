import { z } from "zod";
import type { OllamaCredentials } from "../../config/credentials.js";
import { ConfigError, ModelNotFoundError, ServerError } from "../../domain/errors.js";
import { systemClock, type Clock } from "../../runtime/clock.js";
import type { InstalledModel, ModelDetails, ModelServer } from "../ports.js";
import { toBrunoError } from "./errors.js";
import { ollamaFetch } from "./fetch.js";

const TagsResponse = z.object({
  models: z.array(
    z.object({
      name: z.string(),
      size: z.number().optional(),
      details: z.object({ parameter_size: z.string().optional(), family: z.string().optional() }).partial().optional(),
    }),
  ),
});
const ShowResponse = z.object({
  model_info: z.record(z.string(), z.unknown()).optional(),
  capabilities: z.array(z.string()).optional(),
});
const VersionResponse = z.object({ version: z.string() });
const WarmResponse = z.object({ load_duration: z.number().optional(), total_duration: z.number().optional() });

export interface OllamaServerOptions {
  /** The server's address, without credentials. */
  host: string;
  /** Sent as `Authorization: Basic …` with every request (`OLLAMA_HOST=http://user:password@host`). */
  credentials?: OllamaCredentials | undefined;
  /** Per-call deadline in ms (`BRUNO_ADMIN_TIMEOUT_MS`). */
  timeoutMs: number;
  /** How long a `/api/tags` answer is reused. */
  tagsTtlMs: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

class HttpOllamaServer implements ModelServer {
  readonly host: string;
  private readonly options: OllamaServerOptions;
  private readonly clock: Clock;
  private readonly fetchFn: typeof fetch;
  private tags?: { at: number; models: Promise<InstalledModel[]> };
  private readonly shows = new Map<string, Promise<ModelDetails>>();

  constructor(options: OllamaServerOptions) {
    this.options = options;
    this.host = options.host;
    this.clock = options.clock ?? systemClock;
    // Sends the credentials, and turns any error body into Ollama's {"error": "…"}.
    this.fetchFn = ollamaFetch({ host: options.host, credentials: options.credentials, base: options.fetch });
  }

  private async request<T>(
    path: string,
    schema: z.ZodType<T>,
    init: RequestInit & { model?: string },
    signal?: AbortSignal,
    deadline: { ms: number; setting: string } = { ms: this.options.timeoutMs, setting: "BRUNO_ADMIN_TIMEOUT_MS" },
  ): Promise<T> {
    const timeout = AbortSignal.timeout(deadline.ms);
    const signals = [timeout, ...(signal ? [signal] : [])];
    const ctx = { host: this.host, credentials: this.options.credentials };
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(`${this.host}${path}`, { ...init, signal: AbortSignal.any(signals) });
      text = await response.text();
    } catch (error) {
      if (timeout.aborted && !signal?.aborted) {
        // The deadline passed: the server may have accepted the connection and said nothing.
        throw new ServerError(
          "SERVER_UNREACHABLE",
          `Ollama at ${this.host} is not answering: no answer to ${path} within ${deadline.ms} ms (${deadline.setting}); check that it is not stuck or overloaded, or raise ${deadline.setting}`,
          {
            cause: error,
            details: { host: this.host, path, timeoutMs: deadline.ms },
          },
        );
      }
      throw toBrunoError(error, ctx);
    }
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // plain-text error body
      }
      const err = Object.assign(new Error(message), { name: "ResponseError", status_code: response.status });
      if (response.status === 404 && init.model) throw new ModelNotFoundError(init.model, undefined, { cause: err, details: { host: this.host } });
      if (response.status === 404) {
        throw new ConfigError(
          `no Ollama API at ${this.host}: ${path} answered 404 (${message}); check OLLAMA_HOST / --host (the address of the Ollama server, with the path of a reverse proxy in front of it if there is one)`,
          {
            cause: err,
            details: { host: this.host, path, status: 404 },
          },
        );
      }
      throw toBrunoError(err, { ...ctx, model: init.model });
    }
    try {
      return schema.parse(JSON.parse(text));
    } catch (cause) {
      throw toBrunoError(new SyntaxError(`unexpected answer from ${path}: ${(cause as Error).message}`), ctx);
    }
  }

  listModels(options: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<InstalledModel[]> {
    const now = this.clock.now();
    if (!options.fresh && this.tags && now - this.tags.at < this.options.tagsTtlMs) return this.tags.models;
    const models = this.request("/api/tags", TagsResponse, { method: "GET" }, options.signal).then((r) =>
      r.models.map((m) => ({ name: m.name, size: m.size, parameterSize: m.details?.parameter_size, family: m.details?.family })),
    );
    this.tags = { at: now, models };
    models.catch(() => {
      if (this.tags?.models === models) this.tags = undefined;
    });
    return models;
  }

  showModel(name: string, options: { signal?: AbortSignal } = {}): Promise<ModelDetails> {
    const cached = this.shows.get(name);
    if (cached) return cached;
    const details = this.request(
      "/api/show",
      ShowResponse,
      { method: "POST", body: JSON.stringify({ model: name }), headers: { "content-type": "application/json" }, model: name },
      options.signal,
    ).then((r) => {
      const info = r.model_info ?? {};
      const key = Object.keys(info).find((k) => k.endsWith(".context_length"));
      const ctx = key ? info[key] : undefined;
      return { name, contextLength: typeof ctx === "number" ? ctx : undefined, capabilities: r.capabilities ?? [] };
    });
    this.shows.set(name, details);
    details.catch(() => this.shows.delete(name));
    return details;
  }

  async version(options: { signal?: AbortSignal } = {}): Promise<string> {
    return (await this.request("/api/version", VersionResponse, { method: "GET" }, options.signal)).version;
  }

  async warm(name: string, options: { keepAlive: string; timeoutMs: number; signal?: AbortSignal }): Promise<{ loadMs: number }> {
    const body = JSON.stringify({ model: name, messages: [], stream: false, keep_alive: options.keepAlive });
    const deadline = { ms: options.timeoutMs, setting: "BRUNO_FIRST_TOKEN_TIMEOUT_MS" };
    const r = await this.request("/api/chat", WarmResponse, { method: "POST", body, headers: { "content-type": "application/json" }, model: name }, options.signal, deadline);
    return { loadMs: (r.load_duration ?? r.total_duration ?? 0) / 1e6 };
  }
}

/** Admin calls over HTTP with a deadline per call and a TTL cache for the model list. */
export function createOllamaModelServer(options: OllamaServerOptions): ModelServer & { warm: NonNullable<ModelServer["warm"]> } {
  return new HttpOllamaServer(options);
}
