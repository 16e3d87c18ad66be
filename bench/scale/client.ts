/**
 * The client side of the scale test, with the error handling a real client of several `bruno
 * serve` replicas uses: each message goes to a random replica; a 503 is sent again after its
 * `Retry-After`; a connection error (refused, reset, cut mid-response) is sent again at once to
 * another replica, and the replica that failed is avoided for 10 s (a passive health check, as
 * nginx's `max_fails=1 fail_timeout=10s`); a 409 THREAD_BUSY is final ("refused as busy").
 * Every send of one message carries the same `Idempotency-Key`, so a message resent after its
 * replica saved the turn and died before answering is answered from the saved turn
 * (`x-bruno-replayed: true`), not run and saved a second time.
 */
import { sleep } from "./schedule.js";

export interface Attempt {
  replica: number;
  /** Milliseconds from the start of the run. */
  at: number;
  ms: number;
  status?: number;
  /** Error code of a failed request (`ECONNREFUSED`, `ECONNRESET`, …) or of the error body. */
  error?: string;
}

export type Outcome = "answered" | "busy" | "failed";

export interface TurnResult {
  outcome: Outcome;
  attempts: Attempt[];
  /** From the first send to the final response, in ms. */
  latencyMs: number;
  /** The answer of a 200. */
  answer?: string;
  /** Of a 200: the turn's time inside the graph (`usage.durationMs`: classify to the validated answer). */
  graphMs?: number;
  /** Of a 200: the answer's tokens (`usage.outputTokens`). */
  outputTokens?: number;
  /** The last status or error, for a turn that did not succeed. */
  reason?: string;
  /** Of a 200: answered from the thread's saved turn (`x-bruno-replayed: true`): an earlier send of it was saved. */
  replayed?: boolean;
}

export interface ClientOptions {
  /** Base URLs of the replicas. */
  replicas: readonly string[];
  /** Zero of the run's clock (`performance.now()` at the start). */
  t0: number;
  random: () => number;
  /** Most sends of one message (the first included). */
  maxAttempts?: number;
  /** How long a replica that refused a connection is avoided. */
  avoidMs?: number;
  /** Longest wait for one response. */
  requestTimeoutMs?: number;
}

/** The longest `Retry-After` honoured, so a misconfigured server cannot stall the run. */
const MAX_RETRY_AFTER_MS = 5_000;

function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return err instanceof Error ? err.name : "ERROR";
}

export class ScaleClient {
  /** Requests in flight per replica. */
  readonly inFlight: number[];
  private readonly avoidUntil: number[];
  private readonly maxAttempts: number;
  private readonly avoidMs: number;
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: ClientOptions) {
    this.avoidUntil = options.replicas.map(() => 0);
    this.inFlight = options.replicas.map(() => 0);
    this.maxAttempts = options.maxAttempts ?? 6;
    this.avoidMs = options.avoidMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
  }

  now(): number {
    return performance.now() - this.options.t0;
  }

  /** A random replica that is not being avoided (any replica when all are), never `exclude` when another exists. */
  private pick(exclude?: number): number {
    const now = this.now();
    const all = this.options.replicas.map((_, i) => i);
    const others = all.filter((i) => i !== exclude);
    const healthy = others.filter((i) => (this.avoidUntil[i] ?? 0) <= now);
    const pool = healthy.length > 0 ? healthy : others.length > 0 ? others : all;
    return pool[Math.floor(this.options.random() * pool.length)] as number;
  }

  /**
   * Sends one message of a thread until it is answered, refused as busy, or fails for good; every
   * send carries `idempotencyKey` (when given) as the `Idempotency-Key` header.
   */
  async send(body: Record<string, unknown>, idempotencyKey?: string): Promise<TurnResult> {
    const attempts: Attempt[] = [];
    const started = this.now();
    let replica = this.pick();
    for (;;) {
      const at = this.now();
      const attempt: Attempt = { replica, at, ms: 0 };
      attempts.push(attempt);
      let retryAfterMs: number | undefined;
      this.inFlight[replica] = (this.inFlight[replica] ?? 0) + 1;
      try {
        const response = await fetch(`${this.options.replicas[replica]}/v1/generate`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json", ...(idempotencyKey !== undefined ? { "idempotency-key": idempotencyKey } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.requestTimeoutMs),
        });
        const text = await response.text();
        attempt.ms = this.now() - at;
        attempt.status = response.status;
        const json = parseJson(text);
        if (response.status === 200) {
          const answer = typeof json?.answer === "string" ? json.answer : "";
          const usage = json?.usage ?? {};
          const replayed = response.headers.get("x-bruno-replayed") === "true";
          return { outcome: "answered", attempts, latencyMs: this.now() - started, answer, graphMs: Number(usage.durationMs), outputTokens: Number(usage.outputTokens), replayed };
        }
        const code = typeof json?.error?.code === "string" ? json.error.code : `HTTP_${response.status}`;
        attempt.error = code;
        if (response.status === 409) return { outcome: "busy", attempts, latencyMs: this.now() - started, reason: code };
        if (response.status !== 503) return { outcome: "failed", attempts, latencyMs: this.now() - started, reason: `${response.status} ${code}` };
        const seconds = Number(response.headers.get("retry-after") ?? "1");
        retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000);
      } catch (err) {
        attempt.ms = this.now() - at;
        attempt.error = errorCode(err);
        if (attempt.error === "TimeoutError") return { outcome: "failed", attempts, latencyMs: this.now() - started, reason: "client timeout" };
        this.avoidUntil[replica] = this.now() + this.avoidMs;
      } finally {
        this.inFlight[replica] = (this.inFlight[replica] ?? 1) - 1;
      }
      if (attempts.length >= this.maxAttempts) {
        return { outcome: "failed", attempts, latencyMs: this.now() - started, reason: `gave up after ${attempts.length} sends (${attempt.error ?? attempt.status})` };
      }
      if (retryAfterMs !== undefined) {
        await sleep(retryAfterMs);
        replica = this.pick();
      } else {
        replica = this.pick(replica);
      }
    }
  }
}

interface Body {
  answer?: unknown;
  usage?: { durationMs?: unknown; outputTokens?: unknown };
  error?: { code?: unknown };
}

function parseJson(text: string): Body | undefined {
  try {
    return JSON.parse(text) as Body;
  } catch {
    return undefined;
  }
}
