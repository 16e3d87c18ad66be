/**
 * `bruno-generation/testing`: an Ollama-protocol HTTP server for tests and demos.
 *
 * It speaks the subset of the Ollama REST API that the generation graph and `ChatOllama` use
 * (`/api/chat`, `/api/tags`, `/api/show`, `/api/version`, `/api/ps`, `GET /`), with the field
 * names, status codes, error bodies and NDJSON streaming format of the real server, and lets a
 * test script replies and faults (HTTP errors, refused connections, dropped or stalled streams,
 * malformed lines) per request. It runs in-process, loads no model and imports nothing else of
 * this package.
 *
 * Starting it:
 * ```ts
 * const ollama = await FakeOllama.start({ models: CATALOG_MODELS });   // listens on 127.0.0.1, a free port
 * ollama.script({ content: "Restart the pod [1]." }, { kind: "status", status: 500, error: "boom" });
 * // point the client at ollama.url (e.g. OLLAMA_HOST or the ChatOllama baseUrl)
 * await ollama.close();
 * ```
 * From a shell: `npm run fake-ollama -- --port 11434 [--models a,b] [--reply text] [--token-delay-ms N]`.
 *
 * Options ({@link FakeOllamaOptions}, all optional):
 * - `models`: the installed models ({@link FakeModel}: name, context length, family, size, capabilities);
 *   default {@link DEFAULT_FAKE_MODELS}; {@link CATALOG_MODELS} is the default catalog as a workstation has it.
 * - `version`: what `/api/version` reports (default `0.12.6`).
 * - `defaultReply`: the reply when nothing is scripted (default {@link defaultReply}, which cites the
 *   numbered context documents it finds in the prompt).
 * - `timing`: `firstTokenDelayMs` and `tokenDelayMs` ({@link ChatTiming}); changeable later with `setTiming`.
 * - `host` (default `127.0.0.1`) and `port` (default 0, a free port).
 *
 * Per request: `script(...steps)` queues replies ({@link ScriptedReply}) or faults ({@link Fault})
 * for any model, `scriptFor(model, ...steps)` for one model; `requests` / `chatRequests()` record
 * what arrived, `waitForRequests(n)` waits for it, `inFlight` / `maxInFlight` / `clientDisconnects`
 * count concurrency and cancellations.
 */
export { FakeOllama } from "./server.js";
export { CATALOG_MODELS, DEFAULT_FAKE_MODELS } from "./models.js";
export { defaultReply, splitTokens } from "./replies.js";
export {
  modelNotFoundError,
  SERVER_BUSY_ERROR,
  type ChatRequestBody,
  type ChatStep,
  type ChatTiming,
  type FakeModel,
  type FakeOllamaOptions,
  type Fault,
  type RecordedRequest,
  type ScriptedReply,
} from "./types.js";
