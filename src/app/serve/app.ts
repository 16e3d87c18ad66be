/**
 * The HTTP app of `bruno serve`, a stateless replica behind any load balancer: turns on
 * `POST /v1/generate` (JSON or Server-Sent Events), `GET /healthz` (the process is up),
 * `GET /readyz` (the database and at least one Ollama host answer), `GET /metrics` (Prometheus).
 * Every failure is `{"error": {"code", "message"}}` with a status to act on (see `errors.ts`).
 * Threads live in the database, so any replica can answer any turn of a conversation.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import type { BrunoConfig } from "../../config/config.js";
import type { GenerationDeps } from "../../nodes/deps.js";
import type { Database } from "../../persistence/types.js";
import type { GenerationGraph } from "../createGraph.js";
import { graphDeps } from "../deps.js";
import { metricsHandler } from "../http.js";
import { TurnGate } from "./admission.js";
import { bearerAuth } from "./auth.js";
import { failureResponse, RETRY_AFTER_S } from "./errors.js";
import { generateHandler } from "./generate.js";
import { checkReadiness } from "./ready.js";

/** How long `/readyz` waits for the database and the Ollama hosts. */
export const READY_TIMEOUT_MS = 3_000;

export interface ServeAppOptions {
  /** A graph made by `createGenerationGraph`, with the database's checkpointer and lock. */
  graph: GenerationGraph;
  /** The conversation database the graph uses (for `/readyz`). */
  database: Database;
  /** Settings: `serve.*` (token, body limit, turn limit) and the input limits. */
  config: BrunoConfig;
  /** The graph's dependencies (telemetry for `/metrics`, the Ollama admin for `/readyz`); those of `graph` by default. */
  deps?: GenerationDeps;
  logger?: Logger;
}

export interface ServeApp {
  app: Hono;
  /** Admission of turns; `gate.drain(graceMs)` is the first step of a shutdown. */
  gate: TurnGate;
}

/** Builds the app (nothing listens yet: pass `app.fetch` to a server, or call `app.request` in tests). */
export function createServeApp(options: ServeAppOptions): ServeApp {
  const { graph, database, config } = options;
  const deps = (): GenerationDeps => {
    const found = options.deps ?? graphDeps(graph);
    if (!found) throw new Error("createServeApp: the graph was not made by createGenerationGraph; pass `deps`");
    return found;
  };
  const logger = options.logger ?? deps().logger;
  const gate = new TurnGate(config.serve.maxTurns);
  const app = new Hono();

  app.onError((error, c) => {
    logger.error({ event: "serve_error", err: error, path: c.req.path }, "request failed");
    return failureResponse(c, { status: 500, code: "UNKNOWN", message: "internal error; the server log has the details" });
  });
  app.notFound((c) => failureResponse(c, { status: 404, code: "NOT_FOUND", message: `no route ${c.req.method} ${c.req.path}; see POST /v1/generate, GET /healthz, /readyz, /metrics` }));

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    if (gate.isDraining) return c.json({ ready: false, shuttingDown: true }, 503, { "Retry-After": String(RETRY_AFTER_S) });
    const signal = AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(READY_TIMEOUT_MS)]);
    const report = await checkReadiness({ database, admin: deps().admin, signal });
    return c.json(report, report.ready ? 200 : 503);
  });
  app.get("/metrics", metricsHandler(deps));

  app.use("/v1/*", async (c, next) => {
    if (gate.isDraining) {
      return failureResponse(c, { status: 503, code: "SHUTTING_DOWN", message: "this replica is shutting down; send the request to another replica", retryAfterS: RETRY_AFTER_S });
    }
    await next();
    return undefined;
  });
  if (config.serve.apiToken) app.use("/v1/*", bearerAuth(config.serve.apiToken));
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: config.serve.bodyLimitBytes,
      onError: (c) =>
        failureResponse(c, {
          status: 413,
          code: "PAYLOAD_TOO_LARGE",
          message: `the body is larger than ${config.serve.bodyLimitBytes} bytes (BRUNO_SERVE_BODY_LIMIT); send fewer or shorter documents`,
        }),
    }),
  );
  app.post("/v1/generate", generateHandler({ graph, config, gate, logger }));
  return { app, gate };
}
