/**
 * `POST /v1/generate`: one turn. The body is the graph's input plus optional `threadId` (a new one
 * is made when absent) and `strategy` ("enqueue" | "reject"). The answer is the output contract,
 * exactly what `bruno ask --json` prints, as JSON, or with `Accept: text/event-stream` as
 * Server-Sent Events: `token` ({"text"}), `event` (a GenerationEvent), then `result` (the output
 * contract) or `error` ({"error": {code, message}}). The response header `x-bruno-thread-id`
 * always names the thread. A client that disconnects cancels its turn (nothing of it is saved).
 * The `Idempotency-Key` request header is the turn's `turnId` (a body `turnId` must then be the
 * same): a resend of the thread's last turn with it gets that turn's saved result, and a JSON
 * answer then carries `x-bruno-replayed: true` (an SSE stream says so in the result's notices).
 */
import { randomUUID } from "node:crypto";
import type { Context, Handler } from "hono";
import { streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import type { BrunoConfig } from "../../config/config.js";
import { THREAD_STRATEGIES, type ThreadStrategy } from "../../config/settings.js";
import { InvalidInputError, isBrunoError } from "../../domain/errors.js";
import type { GenerationInput } from "../../domain/index.js";
import { parseGenerationInput } from "../../nodes/classify.js";
import type { GenerationGraph } from "../createGraph.js";
import { startTurn, type StartedTurn } from "../turn.js";
import type { Admission, TurnGate } from "./admission.js";
import { errorBody, failureOf, failureResponse, RETRY_AFTER_S, type HttpFailure } from "./errors.js";

/** The response header that names the turn's thread. */
export const THREAD_HEADER = "x-bruno-thread-id";

/** The request header that gives the turn's id (the graph input's `turnId`). */
export const IDEMPOTENCY_HEADER = "idempotency-key";

/** The response header of a JSON answer replayed from the thread's saved last turn (`TURN_REPLAYED`). */
export const REPLAYED_HEADER = "x-bruno-replayed";

/** How often an SSE stream gets a comment line (`: keep-alive`), whatever else it carries. */
const SSE_HEARTBEAT_MS = 15_000;

/** Longest `threadId` accepted. */
const MAX_THREAD_ID_CHARS = 256;

export interface GenerateRoute {
  graph: GenerationGraph;
  config: BrunoConfig;
  gate: TurnGate;
  logger: Logger;
}

/** A validated request: the graph input, its thread, and how to treat a busy thread. */
export interface GenerateRequest {
  input: GenerationInput;
  threadId: string;
  strategy: ThreadStrategy | undefined;
}

/** Validates a request body (the parsed JSON) with the graph's own input rules; throws `InvalidInputError`. */
export function parseGenerateRequest(body: unknown, limits: BrunoConfig["limits"], idempotencyKey?: string): GenerateRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidInputError("body", 'expected a JSON object such as {"query": "…", "documents": [{"content": "…"}]}');
  }
  const { threadId, strategy, ...rest } = body as Record<string, unknown>;
  if (threadId !== undefined && (typeof threadId !== "string" || threadId.trim() === "" || threadId.length > MAX_THREAD_ID_CHARS)) {
    throw new InvalidInputError("threadId", `expected a non-empty string of at most ${MAX_THREAD_ID_CHARS} characters, or no threadId for a new thread`);
  }
  if (strategy !== undefined && !(typeof strategy === "string" && (THREAD_STRATEGIES as readonly string[]).includes(strategy))) {
    throw new InvalidInputError("strategy", `expected one of ${THREAD_STRATEGIES.join(", ")}, got ${JSON.stringify(strategy)}`);
  }
  if (idempotencyKey !== undefined) {
    if (rest["turnId"] !== undefined && rest["turnId"] !== idempotencyKey) {
      throw new InvalidInputError("Idempotency-Key", "the header and the body's turnId differ; send one of them, or the same id in both");
    }
    if (idempotencyKey.trim() === "") throw new InvalidInputError("Idempotency-Key", "the header is empty; send a non-empty id for the turn, the same on every resend of it");
    rest["turnId"] = idempotencyKey;
  }
  return { input: parseGenerationInput(rest, limits), threadId: threadId ?? randomUUID(), strategy: strategy as ThreadStrategy | undefined };
}

async function readBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInputError("body", `the body is not JSON (${reason}); send a JSON object with Content-Type: application/json`);
  }
}

function wantsEvents(c: Context): boolean {
  return (c.req.header("accept") ?? "").toLowerCase().includes("text/event-stream");
}

const REFUSED: Record<"full" | "draining", (max: number) => HttpFailure> = {
  full: (max) => ({
    status: 503,
    code: "SERVER_BUSY",
    message: `this replica is running its limit of ${max} turns (BRUNO_SERVE_MAX_TURNS); retry shortly or on another replica`,
    retryAfterS: RETRY_AFTER_S,
  }),
  draining: () => ({ status: 503, code: "SHUTTING_DOWN", message: "this replica is shutting down; send the request to another replica", retryAfterS: RETRY_AFTER_S }),
};

/** What to answer for a turn's error; a turn cancelled by shutdown says so. */
function turnFailure(error: unknown, admission: Admission): HttpFailure {
  if (admission.signal.aborted) {
    const reason: unknown = admission.signal.reason;
    return { status: 503, code: "CANCELLED", message: reason instanceof Error ? reason.message : "the server is shutting down", retryAfterS: RETRY_AFTER_S };
  }
  return failureOf(error);
}

function logFailure(logger: Logger, threadId: string, failure: HttpFailure, error: unknown, clientGone = false): void {
  if (clientGone) {
    logger.info({ event: "serve_client_gone", threadId }, "the client disconnected; its turn was cancelled");
    return;
  }
  const fields = { event: "serve_turn_failed", threadId, status: failure.status, code: failure.code };
  if (isBrunoError(error) || failure.status < 500) logger.warn(fields, failure.message);
  else logger.error({ ...fields, err: error }, "turn failed");
}

/** The route handler. */
export function generateHandler(route: GenerateRoute): Handler {
  const { graph, config, gate, logger } = route;
  return async (c) => {
    let request: GenerateRequest;
    try {
      request = parseGenerateRequest(await readBody(c), config.limits, c.req.header(IDEMPOTENCY_HEADER));
    } catch (error) {
      return failureResponse(c, failureOf(error));
    }
    const { input, threadId, strategy } = request;
    const threadHeader = { [THREAD_HEADER]: threadId };
    const admission = gate.enter();
    if (admission === "full" || admission === "draining") return failureResponse(c, REFUSED[admission](config.serve.maxTurns), threadHeader);
    const disconnected = new AbortController();
    const clientGone = AbortSignal.any([c.req.raw.signal, disconnected.signal]);
    const signal = AbortSignal.any([clientGone, admission.signal]);
    let turn: StartedTurn;
    try {
      turn = await startTurn(graph, input, { threadId, signal, strategy });
    } catch (error) {
      admission.leave();
      const failure = turnFailure(error, admission);
      logFailure(logger, threadId, failure, error, clientGone.aborted && !admission.signal.aborted);
      return failureResponse(c, failure, threadHeader);
    }
    if (!wantsEvents(c)) {
      try {
        const result = await turn.consume();
        const replayed = result.notices.some((n) => n.code === "TURN_REPLAYED");
        return c.json(result, 200, replayed ? { ...threadHeader, [REPLAYED_HEADER]: "true" } : threadHeader);
      } catch (error) {
        const failure = turnFailure(error, admission);
        logFailure(logger, threadId, failure, error, clientGone.aborted && !admission.signal.aborted);
        return failureResponse(c, failure, threadHeader);
      } finally {
        admission.leave();
      }
    }
    c.header(THREAD_HEADER, threadId);
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => disconnected.abort(new Error("the client disconnected")));
      // Handlers are synchronous; writes are chained so events keep their order.
      let writes: Promise<void> = Promise.resolve();
      const send = (event: string, data: unknown) => {
        writes = writes.then(() => stream.writeSSE({ event, data: JSON.stringify(data) }));
      };
      // A comment line now and then, so that proxies with an idle timeout keep the stream open while a model loads.
      const heartbeat = setInterval(() => {
        writes = writes.then(() => stream.write(": keep-alive\n\n")).then(() => undefined);
      }, SSE_HEARTBEAT_MS);
      try {
        const result = await turn.consume({ onToken: (text) => send("token", { text }), onEvent: (event) => send("event", event) });
        send("result", result);
      } catch (error) {
        const failure = turnFailure(error, admission);
        logFailure(logger, threadId, failure, error, clientGone.aborted && !admission.signal.aborted);
        send("error", errorBody(failure));
      } finally {
        clearInterval(heartbeat);
        await writes.catch(() => undefined);
        admission.leave();
      }
    });
  };
}
