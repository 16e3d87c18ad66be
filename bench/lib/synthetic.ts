/**
 * A synthetic Ollama model on top of the test server (`src/testing/index.ts`): every
 * `/api/chat` answer has exactly `tokens` stream chunks, arrives `firstTokenMs` after the request
 * (plus `loadMs` on the first request for a model since the last `unloadAll`) and then one chunk
 * every `tokenMs`. The answer cites the benchmark documents as [1] and [2] (both in range), so a
 * turn of the graph never takes the citation-repair round.
 */
import { CATALOG_MODELS, FakeOllama, type ChatRequestBody, type ScriptedReply } from "../../src/testing/index.js";

/** Timing and length of the synthetic model. */
export interface ModelProfile {
  /** Short label used in the tables, e.g. `0ms` or `50ms+20ms×100`. */
  label: string;
  /** Extra delay before the first token of the first request per model (a cold load). */
  loadMs: number;
  /** Delay before the first chunk (prompt evaluation). */
  firstTokenMs: number;
  /** Delay before each further chunk. */
  tokenMs: number;
  /** Chunks (tokens) per answer. */
  tokens: number;
}

export function profileLabel(p: Omit<ModelProfile, "label">): string {
  const load = p.loadMs > 0 ? `load ${p.loadMs}ms + ` : "";
  if (p.firstTokenMs === 0 && p.tokenMs === 0) return `${load}0ms ×${p.tokens}`;
  return `${load}${p.firstTokenMs}ms + ${p.tokenMs}ms×${p.tokens}`;
}

export function makeProfile(p: Omit<ModelProfile, "label">): ModelProfile {
  return { ...p, label: profileLabel(p) };
}

const SENTENCES = [
  "Raise the memory limit of the loki-ingester StatefulSet and roll the pods one at a time [1].",
  "Exit code 137 with reason OOMKilled means the container exceeded its memory limit [2].",
  "Check the ingester's chunk and WAL settings before raising the limit again, and watch the memory graph after each change [1].",
];

/** An answer of exactly `tokens` whitespace-separated chunks that joins back to its text. */
export function answerTokens(tokens: number): string[] {
  const words: string[] = [];
  for (let s = 0; words.length < tokens; s += 1) {
    for (const word of (SENTENCES[s % SENTENCES.length] as string).split(" ")) {
      if (words.length < tokens) words.push(word);
    }
  }
  if (words.length > 0 && !/\[\d+\]\.$/.test(words[words.length - 1] as string)) {
    words[words.length - 1] = `${words[words.length - 1] as string} [1].`;
  }
  return words.map((w, i) => (i < words.length - 1 ? `${w} ` : w));
}

/** The fake server playing the synthetic model; switch profiles between phases with `use`. */
export class SyntheticOllama {
  readonly server: FakeOllama;
  private profile: ModelProfile;
  private tokens: string[];
  private readonly loaded = new Set<string>();
  private pendingLoadMs = 0;

  private constructor(server: FakeOllama, profile: ModelProfile) {
    this.server = server;
    this.profile = profile;
    this.tokens = answerTokens(profile.tokens);
    server.onChat = (body) => this.beforeChat(body);
  }

  static async start(profile: ModelProfile): Promise<SyntheticOllama> {
    let self: SyntheticOllama | undefined;
    const server = await FakeOllama.start({
      models: CATALOG_MODELS,
      timing: { firstTokenDelayMs: profile.firstTokenMs, tokenDelayMs: profile.tokenMs },
      defaultReply: (req) => (self as SyntheticOllama).reply(req),
    });
    self = new SyntheticOllama(server, profile);
    return self;
  }

  get url(): string {
    return this.server.url;
  }

  get current(): ModelProfile {
    return this.profile;
  }

  /** The full answer text of the current profile. */
  get answer(): string {
    return this.tokens.join("");
  }

  /** Switches the model's timing and answer length for the requests that arrive from now on. */
  use(profile: ModelProfile): void {
    this.profile = profile;
    this.tokens = answerTokens(profile.tokens);
    this.server.setTiming({ firstTokenDelayMs: profile.firstTokenMs, tokenDelayMs: profile.tokenMs });
  }

  /** Forgets which models are loaded: the next request per model pays `loadMs` again. */
  unloadAll(): void {
    this.loaded.clear();
  }

  /** Requests by path since `since` (an index into `server.requests`). */
  countRequests(since = 0): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.server.requests.slice(since)) counts[r.path] = (counts[r.path] ?? 0) + 1;
    return counts;
  }

  /** Drops recorded requests (they would otherwise grow without bound in long runs). */
  clearRequests(): void {
    this.server.requests.length = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  // Runs synchronously before the server reads its timing for this request (FakeOllama.chat).
  private beforeChat(body: ChatRequestBody): void {
    const cold = this.profile.loadMs > 0 && !this.loaded.has(body.model);
    this.loaded.add(body.model);
    this.pendingLoadMs = cold ? this.profile.loadMs : 0;
    this.server.setTiming({ firstTokenDelayMs: this.profile.firstTokenMs + this.pendingLoadMs, tokenDelayMs: this.profile.tokenMs });
  }

  private reply(_req: ChatRequestBody): ScriptedReply {
    const tokens = this.tokens;
    return { content: tokens.join(""), tokens, loadDurationMs: this.pendingLoadMs };
  }
}
