/**
 * Runs the `bruno serve` app on a Node.js HTTP server (`@hono/node-server`) and shuts it down
 * cleanly: new requests are refused with 503 while the admitted turns get the grace period to
 * finish, then the rest are cancelled (a cancelled turn saves nothing), the server closes its
 * connections and the database is closed. Every step has a deadline.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { Logger } from "pino";
import type { Database } from "../../persistence/types.js";
import type { DrainReport, TurnGate } from "./admission.js";

export interface Listening {
  /** The address as given (`127.0.0.1`, `0.0.0.0`, `::`). */
  host: string;
  /** The port bound (the actual one when 0 was asked). */
  port: number;
  /** `http://host:port`, for the log line and clients. */
  url: string;
  server: Server;
}

/** How long closing the server's connections may take once the turns are over. */
const CLOSE_MS = 2_000;

/** Listens on `host:port`; rejects when the address cannot be bound (in use, not local). */
export function listen(app: Hono, options: { host: string; port: number }): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }) as Server;
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.once("listening", () => {
      server.off("error", onError);
      const port = (server.address() as AddressInfo).port;
      const shown = options.host.includes(":") ? `[${options.host}]` : options.host;
      resolve({ host: options.host, port, url: `http://${shown}:${port}`, server });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, CLOSE_MS);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export interface ShutdownOptions {
  listening: Listening;
  gate: TurnGate;
  database: Database;
  graceMs: number;
  logger: Logger;
}

/**
 * Refuses new turns (503), lets in-flight ones finish within `graceMs`, cancels the rest, closes
 * the server and the database. Resolves with what happened to the turns.
 */
export async function shutdown(options: ShutdownOptions): Promise<DrainReport> {
  const { listening, gate, database, graceMs, logger } = options;
  logger.info({ event: "serve_draining", turns: gate.size, graceMs }, "shutting down: refusing new turns, letting in-flight ones finish");
  const report = await gate.drain(graceMs);
  logger.info({ event: "serve_drained", ...report }, "in-flight turns ended");
  await closeServer(listening.server);
  await database.close();
  logger.info({ event: "serve_stopped" }, "server stopped");
  return report;
}
