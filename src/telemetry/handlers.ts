/**
 * Ready request handlers for `/metrics`, for a host application's own HTTP server: one for
 * `node:http`-style servers (Express, Fastify's raw handler, `http.createServer`), one for
 * fetch-style ones (Hono, Next.js route handlers, Deno, Bun).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";

/** `(req, res)` handler that answers with the registry's Prometheus text. */
export function metricsRequestHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    registry.metrics().then(
      (text) => {
        res.statusCode = 200;
        res.setHeader("Content-Type", registry.contentType);
        res.end(text);
      },
      (error: unknown) => {
        res.statusCode = 500;
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
        res.end(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  };
}

/** Fetch-style handler (`Request` → `Response`) that answers with the registry's Prometheus text. */
export function metricsFetchHandler(registry: Registry): (request?: Request) => Promise<Response> {
  return async () => {
    try {
      return new Response(await registry.metrics(), { status: 200, headers: { "Content-Type": registry.contentType } });
    } catch (error) {
      return new Response(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`, { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    }
  };
}
