/**
 * The fetch that the `ollama` client (under ChatOllama and OllamaEmbeddings) is given. Besides
 * aborting on the caller's signal and sending the server's credentials, it checks what comes
 * back before the client sees it, because the client handles two cases by writing to the
 * console and carrying on:
 * - a streamed line that is not JSON is skipped with `console.warn("invalid json: …")`, so a
 *   corrupted stream "succeeds" with text missing. Here every line of a streamed body is parsed
 *   first, and the first line that is not JSON ends the stream with a `SERVER_ERROR`;
 * - an error body that is not JSON (a reverse proxy's HTML page) is read after
 *   `console.log("Getting text from response")`. Here every error body reaches the client as
 *   Ollama's own `{"error": "…"}`, with the text of the page as the message.
 */
import { authorizationHeaders, type OllamaCredentials } from "../../config/credentials.js";
import { ServerError } from "../../domain/errors.js";

export interface OllamaFetchOptions {
  /** The server's address as messages name it (without credentials). */
  host: string;
  /** Aborts every request made through this fetch. */
  signal?: AbortSignal | undefined;
  /** Sent as `Authorization: Basic …` on every request. */
  credentials?: OllamaCredentials | undefined;
  /** The fetch to wrap; global fetch by default. */
  base?: typeof fetch | undefined;
}

/** A fetch for one Ollama server, as described above. */
export function ollamaFetch(options: OllamaFetchOptions): typeof fetch {
  const base = options.base ?? fetch;
  const auth = authorizationHeaders(options.credentials);
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(auth)) headers.set(name, value);
    const signals = [init?.signal, options.signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
    const response = await base(input, {
      ...init,
      headers,
      ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    });
    if (!response.ok) return jsonErrorResponse(response);
    if (response.body && isStreamRequest(init?.body)) {
      const body = response.body.pipeThrough(ndjsonLines(options.host));
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    return response;
  };
}

/** True for a request whose JSON body asks for a streamed answer. */
function isStreamRequest(body: unknown): boolean {
  if (typeof body !== "string" || !body.includes('"stream"')) return false;
  try {
    return (JSON.parse(body) as { stream?: unknown }).stream === true;
  } catch {
    return false;
  }
}

/**
 * Passes complete NDJSON lines through once each parses as JSON; blank lines are dropped. The
 * first line that does not parse errors the stream with a `SERVER_ERROR` naming its number.
 */
export function ndjsonLines(host: string): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let lineNumber = 0;
  const check = (line: string, controller: TransformStreamDefaultController<Uint8Array>): void => {
    lineNumber += 1;
    if (line.trim() === "") return;
    try {
      JSON.parse(line);
    } catch (cause) {
      const excerpt = line.length > 80 ? `${JSON.stringify(line.slice(0, 80))}…` : JSON.stringify(line);
      throw new ServerError("SERVER_ERROR", `Ollama at ${host} sent a malformed response: line ${lineNumber} of the stream is not JSON (${(cause as Error).message}): ${excerpt}`, {
        cause,
        details: { host, line: lineNumber },
      });
    }
    controller.enqueue(encoder.encode(`${line}\n`));
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) check(line, controller);
    },
    flush(controller) {
      buffer += decoder.decode();
      if (buffer !== "") check(buffer, controller);
    },
  });
}

/** The error message of a body: Ollama's `{"error": …}`, else the body's text without markup. */
function errorText(body: string, response: Response): string {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    if (typeof error === "string" && error !== "") return error;
  } catch {
    // not JSON: a proxy's page or plain text
  }
  const text = body
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return `${response.status} ${response.statusText}`.trim();
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The same failure with a JSON body `{"error": "…"}`, as Ollama sends its own. */
async function jsonErrorResponse(response: Response): Promise<Response> {
  const body = await response.text();
  const headers = new Headers(response.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.delete("content-length");
  headers.delete("content-encoding");
  return new Response(JSON.stringify({ error: errorText(body, response) }), { status: response.status, statusText: response.statusText, headers });
}
