/**
 * HTTP plumbing of the fake server: its routes, request-body parsing with Ollama's error texts,
 * and plain JSON / text responses.
 */
import type { ServerResponse } from "node:http";

export const JSON_TYPE = "application/json; charset=utf-8";
export const NDJSON_TYPE = "application/x-ndjson";
const TEXT_TYPE = "text/plain; charset=utf-8";
/** Paths the server answers and the methods each accepts (others get 404 / 405 like Ollama). */
export const ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/": ["GET", "HEAD"],
  "/api/version": ["GET", "HEAD"],
  "/api/tags": ["GET", "HEAD"],
  "/api/ps": ["GET"],
  "/api/show": ["POST"],
  "/api/chat": ["POST"],
};

/** A request body: parsed JSON, or the error text Ollama sends for a missing or invalid body. */
export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** Whether a value is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses a request body as JSON; an empty or invalid body gives Ollama's error text. */
export function parseJson(raw: string): Parsed {
  if (raw.trim() === "") return { ok: false, error: "missing request body" };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (err) {
    return { ok: false, error: `invalid character in request body: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The body as an object, or the error text Go's decoder gives for another JSON value (`goType` names the request type). */
export function requestObject(parsed: Parsed, goType: string): Record<string, unknown> | string {
  if (!parsed.ok) return parsed.error;
  if (isRecord(parsed.value)) return parsed.value;
  const kind = Array.isArray(parsed.value) ? "array" : parsed.value === null ? "null" : typeof parsed.value;
  return `json: cannot unmarshal ${kind} into Go value of type ${goType}`;
}

/** Sends a JSON body; does nothing once the response was destroyed. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "Content-Type": JSON_TYPE });
  res.end(JSON.stringify(body));
}

/** Sends a plain-text body; does nothing once the response was destroyed. */
export function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { "Content-Type": TEXT_TYPE });
  res.end(text);
}
