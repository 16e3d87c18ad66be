/**
 * The {@link FakeOllama} server: listening and closing, the request log and counters, the chat
 * scripts (shared and per model), and the routing of each request to its answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { answerOnce, answerStream, type Exchange } from "./answers.js";
import { isRecord, parseJson, requestObject, ROUTES, sendJson, sendText, type Parsed } from "./http.js";
import { DEFAULT_FAKE_MODELS, normalizeModelName, showResponse, tagsEntry } from "./models.js";
import { defaultReply, isFault, normalizeTiming, planReply, validateStep } from "./replies.js";
import { modelNotFoundError, type ChatRequestBody, type ChatStep, type ChatTiming, type FakeModel, type FakeOllamaOptions, type RecordedRequest, type ScriptedReply } from "./types.js";

const DEFAULT_VERSION = "0.12.6";

interface Waiter {
  count: number;
  resolve: () => void;
}

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
    return this.requests.filter((r) => r.path === "/api/chat" && isRecord(r.body)).map((r) => r.body as ChatRequestBody);
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
    const run = chatBody.stream === false ? answerOnce(exchange, chatBody, plan, fault, timing) : answerStream(exchange, chatBody, plan, fault, timing);
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
}
