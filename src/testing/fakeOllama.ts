/**
 * An Ollama-protocol HTTP server for tests and demos.
 *
 * It speaks the subset of the Ollama REST API that the generation graph and `ChatOllama` use
 * (`/api/chat`, `/api/tags`, `/api/show`, `/api/version`, `/api/ps`, `GET /`), with the field
 * names, status codes, error bodies and NDJSON streaming format of the real server, and lets a
 * test script replies and faults (HTTP errors, refused connections, dropped or stalled streams,
 * malformed lines) per request.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A model the fake server knows about (listed by `/api/tags`, described by `/api/show`). */
export interface FakeModel {
  /** Full model name, e.g. `llama3.1:8b`; a name without a tag means `:latest`. */
  name: string;
  /** Context window reported by `/api/show` as `model_info["<family>.context_length"]`; default 8192. */
  contextLength?: number;
  /** Model family / architecture; default `llama`. */
  family?: string;
  /** Parameter size label such as `8.0B`; default derived from the tag (`8b` → `8.0B`). */
  parameterSize?: string;
  /** Capabilities reported by `/api/show`; default `["completion"]`. */
  capabilities?: string[];
}

/** A scripted answer for one `/api/chat` request. */
export interface ScriptedReply {
  /** Full answer text. */
  content: string;
  /** Stream chunks; must join to `content`. Default: words with their trailing whitespace. */
  tokens?: string[];
  /** Reasoning text, streamed as `message.thinking` chunks before the content (suppressed when the request sets `think: false`). */
  thinking?: string;
  /** `prompt_eval_count`; default `ceil(total characters of all request message contents / 4)`. */
  promptEvalCount?: number;
  /** `eval_count`; default the number of chunks actually emitted (thinking + content). */
  evalCount?: number;
  /** Reported as `load_duration` (converted to ns) in the final chunk; default 0. */
  loadDurationMs?: number;
  /** `done_reason` when the output was not cut by `options.stop` / `options.num_predict`; default `stop`. */
  doneReason?: string;
}

/**
 * A failure to inject instead of a normal reply. Faults that stream tokens first (`afterTokens`)
 * take those tokens from the default reply for the request.
 */
export type Fault =
  /** Respond with this HTTP status and JSON body `{"error": error}`. */
  | { kind: "status"; status: number; error: string }
  /** Destroy the socket as soon as the request body has been read, without any response. */
  | { kind: "refuse" }
  /** Read the request and never send anything, until the client disconnects or the server closes. */
  | { kind: "noHeaders" }
  /** Stream N chunks, then destroy the socket (no final chunk, no chunked-encoding terminator). */
  | { kind: "dropMidStream"; afterTokens: number }
  /** Send headers and N chunks, then nothing more while keeping the socket open. */
  | { kind: "stall"; afterTokens: number }
  /** Stream N chunks, then a line that is not JSON, then end the response normally. */
  | { kind: "malformed"; afterTokens: number }
  /** Stream N chunks, then Ollama's mid-stream error line `{"error": error}`, then end (status stays 200). */
  | { kind: "streamError"; afterTokens: number; error: string };

/** One entry of a chat script: a reply or a fault. */
export type ChatStep = ScriptedReply | Fault;

/** Delays applied to `/api/chat` replies, in real milliseconds. */
export interface ChatTiming {
  /** Delay before the first chunk (and before the whole body when `stream: false`); default 0. */
  firstTokenDelayMs?: number;
  /** Delay before each further chunk; default 0. */
  tokenDelayMs?: number;
}

/** A request as the fake server received it. */
export interface RecordedRequest {
  method: string;
  /** URL path without the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
}

/** Body of a `/api/chat` request, as sent by Ollama clients. */
export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string; images?: string[]; tool_calls?: unknown[] }[];
  stream?: boolean;
  options?: Record<string, unknown>;
  keep_alive?: string | number;
  format?: unknown;
  think?: boolean | string;
  tools?: unknown[];
}

/** Construction options of {@link FakeOllama}. */
export interface FakeOllamaOptions {
  /** Models listed by `/api/tags`; default `llama3.1:8b` and `llama3.2:3b`. */
  models?: readonly FakeModel[];
  /** Reported by `/api/version`; default `0.12.6`. */
  version?: string;
  /** Reply used when no script step is queued; default {@link defaultReply}. */
  defaultReply?: (req: ChatRequestBody) => ScriptedReply;
  timing?: ChatTiming;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
}

/** Error text of Ollama's 503 when its request queue (`OLLAMA_MAX_QUEUE`) is full. */
export const SERVER_BUSY_ERROR = "server busy, please try again.  maximum pending requests exceeded";

/** Error text of Ollama's 404 for `/api/chat` and `/api/show` with a model that is not installed. */
export function modelNotFoundError(model: string): string {
  return `model '${model}' not found`;
}

/** The models served when none are configured. */
export const DEFAULT_FAKE_MODELS: readonly FakeModel[] = [{ name: "llama3.1:8b" }, { name: "llama3.2:3b" }];

/**
 * The default catalog's models as a workstation has them pulled (all but llama3.1:70b), with the
 * context lengths the catalog gives them.
 */
export const CATALOG_MODELS: readonly FakeModel[] = [
  { name: "sre-agent:v1.0", contextLength: 8192 },
  { name: "deepseek-coder:33b", contextLength: 16384 },
  { name: "codellama:34b", contextLength: 16384 },
  { name: "llama3.1:8b", contextLength: 8192 },
  { name: "llama3.2:3b", contextLength: 8192 },
];

const DEFAULT_VERSION = "0.12.6";
const DEFAULT_CONTEXT_LENGTH = 8192;
const DEFAULT_FAMILY = "llama";
const MODIFIED_AT = "2025-01-01T00:00:00Z";
const NS_PER_MS = 1_000_000;
const PROMPT_EVAL_NS_PER_TOKEN = 400_000;
const EVAL_NS_PER_TOKEN = 20_000_000;
const OVERHEAD_NS = 1_500_000;
const REPLY_MARK = "(fake-ollama)";
const JSON_TYPE = "application/json; charset=utf-8";
const NDJSON_TYPE = "application/x-ndjson";
const TEXT_TYPE = "text/plain; charset=utf-8";
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/": ["GET", "HEAD"],
  "/api/version": ["GET", "HEAD"],
  "/api/tags": ["GET", "HEAD"],
  "/api/ps": ["GET"],
  "/api/show": ["POST"],
  "/api/chat": ["POST"],
};

interface Chunk {
  kind: "thinking" | "content";
  text: string;
}

interface ReplyPlan {
  chunks: Chunk[];
  doneReason: string;
  metrics: {
    total_duration: number;
    load_duration: number;
    prompt_eval_count: number;
    prompt_eval_duration: number;
    eval_count: number;
    eval_duration: number;
  };
}

interface Exchange {
  readonly res: ServerResponse;
  readonly abort: AbortController;
  serverKilled: boolean;
  settled: boolean;
  lastWrite: Promise<void>;
}

interface Waiter {
  count: number;
  resolve: () => void;
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * The fake Ollama server. Create it with {@link FakeOllama.start} (or the constructor and
 * {@link FakeOllama.listen}) and always {@link FakeOllama.close} it.
 */
export class FakeOllama {
  /** Every request in arrival order (recorded once its body has been read). */
  readonly requests: RecordedRequest[] = [];
  /** Called with the body of each well-formed `/api/chat` request before it is answered; a throw becomes a 500. */
  onChat?: (req: ChatRequestBody) => void;

  private readonly server: Server;
  private readonly host: string;
  private readonly port: number;
  private readonly version: string;
  private readonly replyFor: (req: ChatRequestBody) => ScriptedReply;
  private models: FakeModel[];
  private timing: Required<ChatTiming>;
  private readonly queue: ChatStep[] = [];
  private readonly modelQueues = new Map<string, ChatStep[]>();
  private readonly sockets = new Set<Socket>();
  private readonly exchanges = new Set<Exchange>();
  private waiters: Waiter[] = [];
  private address: AddressInfo | undefined;
  private closing: Promise<void> | undefined;
  private shuttingDown = false;
  private inFlightCount = 0;
  private maxInFlightCount = 0;
  private disconnectCount = 0;

  /** Creates a server that is not listening yet. */
  constructor(options: FakeOllamaOptions = {}) {
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port ?? 0;
    this.version = options.version ?? DEFAULT_VERSION;
    this.replyFor = options.defaultReply ?? defaultReply;
    this.models = [...(options.models ?? DEFAULT_FAKE_MODELS)];
    this.timing = normalizeTiming(options.timing);
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("clientError", (_err, socket) => socket.destroy());
  }

  /** Constructs a server and starts listening. */
  static async start(options?: FakeOllamaOptions): Promise<FakeOllama> {
    const server = new FakeOllama(options);
    await server.listen();
    return server;
  }

  /** Starts listening on the configured host and port. */
  listen(): Promise<void> {
    if (this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once("error", onError);
      this.server.listen(this.port, this.host, () => {
        this.server.off("error", onError);
        this.address = this.server.address() as AddressInfo;
        resolve();
      });
    });
  }

  /** Stops listening and destroys every open socket (stalled and unanswered requests included). */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (!this.server.listening) return Promise.resolve();
    this.shuttingDown = true;
    this.closing = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const exchange of this.exchanges) {
        exchange.serverKilled = true;
        exchange.abort.abort();
      }
      for (const socket of this.sockets) socket.destroy();
    }).finally(() => {
      this.closing = undefined;
      this.shuttingDown = false;
    });
    return this.closing;
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`; throws before the first {@link FakeOllama.listen} resolved, kept after close. */
  get url(): string {
    if (!this.address) throw new Error("FakeOllama is not listening; call listen() or FakeOllama.start() first");
    const host = this.address.family === "IPv6" ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  /** `/api/chat` requests currently being answered. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Highest {@link FakeOllama.inFlight} since start or the last {@link FakeOllama.resetStats}. */
  get maxInFlight(): number {
    return this.maxInFlightCount;
  }

  /** `/api/chat` requests whose client closed the connection before the response was complete. */
  get clientDisconnects(): number {
    return this.disconnectCount;
  }

  /** Resets {@link FakeOllama.maxInFlight} to the current in-flight count and {@link FakeOllama.clientDisconnects} to 0. */
  resetStats(): void {
    this.maxInFlightCount = this.inFlightCount;
    this.disconnectCount = 0;
  }

  /** Bodies of the well-formed `/api/chat` requests, in arrival order. */
  chatRequests(): ChatRequestBody[] {
    return this.requests
      .filter((r) => r.path === "/api/chat" && isRecord(r.body))
      .map((r) => r.body as ChatRequestBody);
  }

  /** Queues steps consumed first-in first-out by `/api/chat` requests for any model. */
  script(...steps: ChatStep[]): this {
    steps.forEach(validateStep);
    this.queue.push(...steps);
    return this;
  }

  /** Queues steps for one model only; they take precedence over {@link FakeOllama.script}. */
  scriptFor(model: string, ...steps: ChatStep[]): this {
    steps.forEach(validateStep);
    const key = normalizeModelName(model);
    const queue = this.modelQueues.get(key) ?? [];
    queue.push(...steps);
    this.modelQueues.set(key, queue);
    return this;
  }

  /** Replaces the installed models. */
  setModels(models: readonly FakeModel[]): void {
    this.models = [...models];
  }

  /** Replaces the reply timing; applies to requests that arrive afterwards. */
  setTiming(timing: ChatTiming): void {
    this.timing = normalizeTiming(timing);
  }

  /** Resolves once at least `n` `/api/chat` requests have arrived; rejects after `timeoutMs` (default 2000). */
  waitForRequests(n: number, timeoutMs = 2000): Promise<void> {
    if (this.chatArrivals() >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        count: n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`FakeOllama: expected ${n} /api/chat request(s) within ${timeoutMs} ms, got ${this.chatArrivals()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private chatArrivals(): number {
    return this.requests.filter((r) => r.path === "/api/chat").length;
  }

  private notifyWaiters(): void {
    const arrived = this.chatArrivals();
    const ready = this.waiters.filter((w) => w.count <= arrived);
    this.waiters = this.waiters.filter((w) => w.count > arrived);
    for (const waiter of ready) waiter.resolve();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = Date.now();
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://fake-ollama.invalid").pathname;
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("error", () => undefined);
    req.on("end", () => {
      const raw = Buffer.concat(parts).toString("utf8");
      const parsed = parseJson(raw);
      this.requests.push({ method, path, headers: { ...req.headers }, body: parsed.ok ? parsed.value : undefined, receivedAt });
      try {
        this.route(method, path, req, res, parsed);
      } catch (err) {
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      }
      if (path === "/api/chat") this.notifyWaiters();
    });
  }

  private route(method: string, path: string, req: IncomingMessage, res: ServerResponse, parsed: Parsed): void {
    const allowed = ROUTES[path];
    if (!allowed) return sendText(res, 404, "404 page not found");
    if (!allowed.includes(method)) return sendText(res, 405, "405 method not allowed");
    switch (path) {
      case "/":
        return sendText(res, 200, "Ollama is running");
      case "/api/version":
        return sendJson(res, 200, { version: this.version });
      case "/api/ps":
        return sendJson(res, 200, { models: [] });
      case "/api/tags":
        return sendJson(res, 200, { models: this.models.map(tagsEntry) });
      case "/api/show":
        return this.show(res, parsed);
      default:
        return this.chat(req, res, parsed);
    }
  }

  private show(res: ServerResponse, parsed: Parsed): void {
    const body = requestObject(parsed, "api.ShowRequest");
    if (typeof body === "string") return sendJson(res, 400, { error: body });
    const name = typeof body.model === "string" && body.model !== "" ? body.model : typeof body.name === "string" ? body.name : "";
    if (name === "") return sendJson(res, 400, { error: "model is required" });
    const model = this.findModel(name);
    if (!model) return sendJson(res, 404, { error: modelNotFoundError(name) });
    sendJson(res, 200, showResponse(model));
  }

  private chat(req: IncomingMessage, res: ServerResponse, parsed: Parsed): void {
    const exchange = this.track(res);
    const body = requestObject(parsed, "api.ChatRequest");
    if (typeof body === "string") return sendJson(res, 400, { error: body });
    if (typeof body.model !== "string" || body.model === "") return sendJson(res, 400, { error: "model is required" });
    const chatBody = body as unknown as ChatRequestBody;
    try {
      this.onChat?.(chatBody);
    } catch (err) {
      return sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    }
    const step = this.takeStep(chatBody.model);
    if (!step && !this.findModel(chatBody.model)) return sendJson(res, 404, { error: modelNotFoundError(chatBody.model) });
    const messages = Array.isArray(chatBody.messages) ? chatBody.messages : [];
    if (!step && messages.length === 0) {
      const unload = chatBody.keep_alive === 0 || chatBody.keep_alive === "0" || chatBody.keep_alive === "0s";
      return sendJson(res, 200, {
        model: chatBody.model,
        created_at: new Date().toISOString(),
        message: { role: "assistant", content: "" },
        done_reason: unload ? "unload" : "load",
        done: true,
      });
    }
    const timing = this.timing;
    if (step && isFault(step)) {
      if (step.kind === "status") return sendJson(res, step.status, { error: step.error });
      if (step.kind === "refuse") {
        exchange.serverKilled = true;
        req.socket.destroy();
        return;
      }
      if (step.kind === "noHeaders") return;
    }
    const reply = step && !isFault(step) ? step : this.replyFor(chatBody);
    validateStep(reply);
    const plan = planReply(reply, chatBody, timing);
    const fault = step && isFault(step) ? step : undefined;
    const run = chatBody.stream === false ? this.answerOnce(exchange, chatBody, plan, fault, timing) : this.answerStream(exchange, chatBody, plan, fault, timing);
    run.catch(() => {
      exchange.serverKilled = true;
      res.destroy();
    });
  }

  private track(res: ServerResponse): Exchange {
    const exchange: Exchange = { res, abort: new AbortController(), serverKilled: false, settled: false, lastWrite: Promise.resolve() };
    this.exchanges.add(exchange);
    this.inFlightCount += 1;
    this.maxInFlightCount = Math.max(this.maxInFlightCount, this.inFlightCount);
    const settle = (complete: boolean): void => {
      if (exchange.settled) return;
      exchange.settled = true;
      this.inFlightCount -= 1;
      this.exchanges.delete(exchange);
      if (!complete && !exchange.serverKilled && !this.shuttingDown) this.disconnectCount += 1;
      exchange.abort.abort();
    };
    res.on("finish", () => settle(true));
    res.on("close", () => settle(res.writableFinished));
    return exchange;
  }

  private takeStep(model: string): ChatStep | undefined {
    const key = normalizeModelName(model);
    const own = this.modelQueues.get(key);
    if (own && own.length > 0) {
      const step = own.shift();
      if (own.length === 0) this.modelQueues.delete(key);
      return step;
    }
    return this.queue.shift();
  }

  private findModel(name: string): FakeModel | undefined {
    const key = normalizeModelName(name);
    return this.models.find((m) => normalizeModelName(m.name) === key);
  }

  private async answerStream(
    exchange: Exchange,
    body: ChatRequestBody,
    plan: ReplyPlan,
    fault: Fault | undefined,
    timing: Required<ChatTiming>,
  ): Promise<void> {
    const { res, abort } = exchange;
    const limit = fault && "afterTokens" in fault ? Math.max(0, Math.min(fault.afterTokens, plan.chunks.length)) : plan.chunks.length;
    if (fault?.kind === "stall") {
      res.writeHead(200, { "Content-Type": NDJSON_TYPE });
      res.flushHeaders();
    }
    for (let i = 0; i < limit; i++) {
      if (!(await pause(i === 0 ? timing.firstTokenDelayMs : timing.tokenDelayMs, abort.signal))) return;
      writeLine(exchange, chunkMessage(body.model, plan.chunks[i]));
    }
    if (!fault) {
      if (plan.chunks.length === 0 && !(await pause(timing.firstTokenDelayMs, abort.signal))) return;
      writeLine(exchange, finalMessage(body.model, plan, ""));
      res.end();
      return;
    }
    switch (fault.kind) {
      case "dropMidStream":
        await Promise.race([exchange.lastWrite, untilAborted(abort.signal)]);
        exchange.serverKilled = true;
        res.socket?.destroy();
        return;
      case "stall":
        await untilAborted(abort.signal);
        return;
      case "malformed":
        writeRaw(exchange, `${malformedLine(body.model)}\n`);
        res.end();
        return;
      case "streamError":
        writeLine(exchange, { error: fault.error });
        res.end();
        return;
      default:
        return;
    }
  }

  private async answerOnce(
    exchange: Exchange,
    body: ChatRequestBody,
    plan: ReplyPlan,
    fault: Fault | undefined,
    timing: Required<ChatTiming>,
  ): Promise<void> {
    const { res, abort } = exchange;
    const emitted = fault && "afterTokens" in fault ? Math.min(fault.afterTokens, plan.chunks.length) : plan.chunks.length;
    const wait = timing.firstTokenDelayMs + timing.tokenDelayMs * Math.max(0, emitted - 1);
    if (fault?.kind === "stall") {
      await untilAborted(abort.signal);
      return;
    }
    if (!(await pause(wait, abort.signal))) return;
    if (!fault) {
      const thinking = plan.chunks.filter((c) => c.kind === "thinking").map((c) => c.text).join("");
      const content = plan.chunks.filter((c) => c.kind === "content").map((c) => c.text).join("");
      return sendJson(res, 200, finalMessage(body.model, plan, content, thinking));
    }
    switch (fault.kind) {
      case "dropMidStream":
        exchange.serverKilled = true;
        res.socket?.destroy();
        return;
      case "malformed":
        res.writeHead(200, { "Content-Type": JSON_TYPE });
        res.end(malformedLine(body.model));
        return;
      case "streamError":
        return sendJson(res, 500, { error: fault.error });
      default:
        return;
    }
  }
}

/**
 * The reply used when nothing is scripted: a short answer marked `(fake-ollama)`. When the system
 * messages or the last user message contain numbered context documents (lines starting with `[N]`
 * or `<document index="N">` blocks), it summarises the first one or two and cites them as `[N]`.
 */
export function defaultReply(req: ChatRequestBody): ScriptedReply {
  const messages = Array.isArray(req.messages) ? req.messages : [];
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const sources = [...messages.filter((m) => m.role === "system"), ...(lastUser ? [lastUser] : [])];
  const text = sources.map((m) => (typeof m.content === "string" ? m.content : "")).join("\n\n");
  const docs = extractDocuments(text).slice(0, 2);
  if (docs.length > 0) {
    const sentences = docs.map((d) => `${d.summary} [${d.index}].`);
    return { content: `${REPLY_MARK} Based on the retrieved context: ${sentences.join(" ")}` };
  }
  const question = collapse(lastUser && typeof lastUser.content === "string" ? lastUser.content : "");
  const asked = question ? ` You asked: "${truncateWords(question, 20)}".` : "";
  return {
    content: `${REPLY_MARK} This is a canned answer from the fake Ollama server for model ${req.model}.${asked} No numbered context documents were provided, so nothing is cited.`,
  };
}

/** Splits text into stream tokens: each word with its surrounding whitespace, so that the tokens join back to the text. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === "" ? [] : [text]);
}

function normalizeTiming(timing: ChatTiming | undefined): Required<ChatTiming> {
  return {
    firstTokenDelayMs: Math.max(0, timing?.firstTokenDelayMs ?? 0),
    tokenDelayMs: Math.max(0, timing?.tokenDelayMs ?? 0),
  };
}

function isFault(step: ChatStep): step is Fault {
  return "kind" in step;
}

function validateStep(step: ChatStep): void {
  if (isFault(step)) return;
  if (step.tokens && step.tokens.join("") !== step.content) {
    throw new TypeError(`ScriptedReply.tokens must join to content: ${JSON.stringify(step.tokens)} vs ${JSON.stringify(step.content)}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(raw: string): Parsed {
  if (raw.trim() === "") return { ok: false, error: "missing request body" };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (err) {
    return { ok: false, error: `invalid character in request body: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function requestObject(parsed: Parsed, goType: string): Record<string, unknown> | string {
  if (!parsed.ok) return parsed.error;
  if (isRecord(parsed.value)) return parsed.value;
  const kind = Array.isArray(parsed.value) ? "array" : parsed.value === null ? "null" : typeof parsed.value;
  return `json: cannot unmarshal ${kind} into Go value of type ${goType}`;
}

function normalizeModelName(name: string): string {
  const lower = name.trim().toLowerCase();
  const lastSegment = lower.slice(lower.lastIndexOf("/") + 1);
  return lastSegment.includes(":") ? lower : `${lower}:latest`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "Content-Type": JSON_TYPE });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { "Content-Type": TEXT_TYPE });
  res.end(text);
}

function writeRaw(exchange: Exchange, data: string): void {
  const { res } = exchange;
  if (res.destroyed || res.writableEnded) return;
  if (!res.headersSent) res.writeHead(200, { "Content-Type": NDJSON_TYPE });
  exchange.lastWrite = new Promise((resolve) => res.write(data, () => resolve()));
}

function writeLine(exchange: Exchange, value: unknown): void {
  writeRaw(exchange, `${JSON.stringify(value)}\n`);
}

function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

function chunkMessage(model: string, chunk: Chunk | undefined): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content: chunk?.kind === "content" ? chunk.text : "" };
  if (chunk?.kind === "thinking") message.thinking = chunk.text;
  return { model, created_at: new Date().toISOString(), message, done: false };
}

function finalMessage(model: string, plan: ReplyPlan, content: string, thinking = ""): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content };
  if (thinking !== "") message.thinking = thinking;
  return { model, created_at: new Date().toISOString(), message, done_reason: plan.doneReason, done: true, ...plan.metrics };
}

function malformedLine(model: string): string {
  return `{"model":${JSON.stringify(model)},"created_at":"${new Date().toISOString()}","message":{"role":"assistant","content":`;
}

function planReply(reply: ScriptedReply, body: ChatRequestBody, timing: Required<ChatTiming>): ReplyPlan {
  const options = isRecord(body.options) ? body.options : {};
  const stops = stopSequences(options.stop);
  const contentTokens = reply.tokens ? [...reply.tokens] : splitTokens(reply.content);
  const thinkingTokens = reply.thinking && body.think !== false ? splitTokens(reply.thinking) : [];
  const { tokens: keptContent, cut: stoppedEarly } = cutAtStop(contentTokens, stops);
  let chunks: Chunk[] = [
    ...thinkingTokens.map((text): Chunk => ({ kind: "thinking", text })),
    ...keptContent.map((text): Chunk => ({ kind: "content", text })),
  ];
  let doneReason = stoppedEarly ? "stop" : (reply.doneReason ?? "stop");
  const numPredict = typeof options.num_predict === "number" ? Math.floor(options.num_predict) : 0;
  if (numPredict > 0 && chunks.length > numPredict) {
    chunks = chunks.slice(0, numPredict);
    doneReason = "length";
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const promptChars = messages.reduce((sum, m) => sum + (typeof m.content === "string" ? m.content.length : 0), 0);
  const promptEvalCount = reply.promptEvalCount ?? Math.ceil(promptChars / 4);
  const evalCount = reply.evalCount ?? chunks.length;
  const loadDuration = Math.round((reply.loadDurationMs ?? 0) * NS_PER_MS);
  const promptEvalDuration = timing.firstTokenDelayMs > 0 ? Math.round(timing.firstTokenDelayMs * NS_PER_MS) : promptEvalCount * PROMPT_EVAL_NS_PER_TOKEN;
  const evalDuration = evalCount * (timing.tokenDelayMs > 0 ? Math.round(timing.tokenDelayMs * NS_PER_MS) : EVAL_NS_PER_TOKEN);
  return {
    chunks,
    doneReason,
    metrics: {
      total_duration: loadDuration + promptEvalDuration + evalDuration + OVERHEAD_NS,
      load_duration: loadDuration,
      prompt_eval_count: promptEvalCount,
      prompt_eval_duration: promptEvalDuration,
      eval_count: evalCount,
      eval_duration: evalDuration,
    },
  };
}

function stopSequences(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
  return list.filter((s): s is string => typeof s === "string" && s !== "");
}

function cutAtStop(tokens: string[], stops: string[]): { tokens: string[]; cut: boolean } {
  if (stops.length === 0) return { tokens, cut: false };
  const text = tokens.join("");
  const positions = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
  if (positions.length === 0) return { tokens, cut: false };
  let remaining = Math.min(...positions);
  const kept: string[] = [];
  for (const token of tokens) {
    if (remaining <= 0) break;
    kept.push(token.slice(0, remaining));
    remaining -= token.length;
  }
  return { tokens: kept.filter((t) => t !== ""), cut: true };
}

function parameterSizeOf(model: FakeModel): string {
  if (model.parameterSize) return model.parameterSize;
  const tag = model.name.includes(":") ? model.name.slice(model.name.lastIndexOf(":") + 1) : "";
  const match = /(\d+(?:\.\d+)?)b\b/i.exec(tag);
  return match?.[1] ? `${Number(match[1]).toFixed(1)}B` : "8.0B";
}

function parameterCountOf(model: FakeModel): number {
  const match = /(\d+(?:\.\d+)?)\s*([KMB])?/i.exec(parameterSizeOf(model));
  const scale: Record<string, number> = { K: 1e3, M: 1e6, B: 1e9 };
  return Math.round(Number(match?.[1] ?? 8) * (scale[(match?.[2] ?? "B").toUpperCase()] ?? 1e9));
}

function digestOf(model: FakeModel): string {
  return createHash("sha256").update(`fake-ollama:${model.name}`).digest("hex");
}

function detailsOf(model: FakeModel): Record<string, unknown> {
  const family = model.family ?? DEFAULT_FAMILY;
  return {
    parent_model: "",
    format: "gguf",
    family,
    families: [family],
    parameter_size: parameterSizeOf(model),
    quantization_level: "Q4_K_M",
  };
}

function tagsEntry(model: FakeModel): Record<string, unknown> {
  return {
    name: model.name,
    model: model.name,
    modified_at: MODIFIED_AT,
    size: Math.round(parameterCountOf(model) * 0.6),
    digest: digestOf(model),
    details: detailsOf(model),
  };
}

function showResponse(model: FakeModel): Record<string, unknown> {
  const arch = model.family ?? DEFAULT_FAMILY;
  const template =
    "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>";
  const stops = ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];
  const parameters = stops.map((s) => `${"stop".padEnd(31)}"${s}"`).join("\n");
  const modelfile = [
    '# Modelfile generated by "ollama show"',
    "# To build a new Modelfile based on this, replace FROM with:",
    `# FROM ${model.name}`,
    "",
    `FROM /fake-ollama/models/blobs/sha256-${digestOf(model)}`,
    `TEMPLATE """${template}"""`,
    ...stops.map((s) => `PARAMETER stop ${s}`),
  ].join("\n");
  return {
    modelfile,
    parameters,
    template,
    details: detailsOf(model),
    model_info: {
      "general.architecture": arch,
      "general.file_type": 15,
      "general.parameter_count": parameterCountOf(model),
      "general.quantization_version": 2,
      [`${arch}.attention.head_count`]: 32,
      [`${arch}.attention.head_count_kv`]: 8,
      [`${arch}.block_count`]: 32,
      [`${arch}.context_length`]: model.contextLength ?? DEFAULT_CONTEXT_LENGTH,
      [`${arch}.embedding_length`]: 4096,
      [`${arch}.feed_forward_length`]: 14336,
      [`${arch}.rope.freq_base`]: 500000,
      [`${arch}.vocab_size`]: 128256,
      "tokenizer.ggml.model": "gpt2",
      "tokenizer.ggml.pre": "llama-bpe",
    },
    capabilities: model.capabilities ?? ["completion"],
    modified_at: MODIFIED_AT,
  };
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function truncateWords(text: string, maxWords: number): string {
  const words = text.split(" ");
  return words.length <= maxWords ? text : words.slice(0, maxWords).join(" ");
}

function summarize(text: string): string {
  const clean = collapse(text.replace(/<[^>]+>/g, " "));
  const sentence = /^(.+?[.!?])(?=\s|$)/.exec(clean)?.[1] ?? clean;
  return truncateWords(sentence, 30).replace(/[\s.!?;:,]+$/, "");
}

function extractDocuments(text: string): { index: number; summary: string }[] {
  const found: { index: number; summary: string; position: number }[] = [];
  const xml = /<document\b[^>]*?\bindex\s*=\s*["']?(\d+)["']?[^>]*>([\s\S]*?)(?=<\/document>|<document\b|$)/gi;
  for (const match of text.matchAll(xml)) {
    found.push({ index: Number(match[1]), summary: summarize(match[2] ?? ""), position: match.index ?? 0 });
  }
  const marker = /^\s*\[(\d+)\]\s*(.*)$/;
  let current: { index: number; parts: string[]; position: number } | undefined;
  let offset = 0;
  const flush = (): void => {
    if (current) found.push({ index: current.index, summary: summarize(current.parts.join(" ")), position: current.position });
    current = undefined;
  };
  for (const line of text.split("\n")) {
    const match = marker.exec(line);
    if (match) {
      flush();
      current = { index: Number(match[1]), parts: [match[2] ?? ""], position: offset };
    } else if (current) {
      if (line.trim() === "") flush();
      else current.parts.push(line);
    }
    offset += line.length + 1;
  }
  flush();
  const seen = new Set<number>();
  return found
    .filter((d) => d.summary !== "")
    .sort((a, b) => a.position - b.position)
    .filter((d) => (seen.has(d.index) ? false : (seen.add(d.index), true)))
    .map(({ index, summary }) => ({ index, summary }));
}
