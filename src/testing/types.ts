/**
 * The public types of the fake Ollama server: the models it serves, scripted replies and faults,
 * reply timing, recorded requests, and its construction options; plus the error texts it sends
 * the way the real server words them.
 */

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
  /**
   * Stream N chunks, then a line that is not JSON, then end the response normally. With
   * `resume`, that line is chunk N+1 cut short (its token is lost) and the rest of the reply
   * and the final chunk follow, as when a proxy corrupts one line of a healthy stream.
   */
  | { kind: "malformed"; afterTokens: number; resume?: boolean }
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
