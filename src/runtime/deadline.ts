import { TimeoutError } from "../domain/errors.js";

export interface StreamDeadlineOptions {
  /** Whole request, from start to the last token. */
  totalMs: number;
  /** From start until the first token. */
  firstTokenMs: number;
  /** Longest gap between two tokens. */
  stallMs: number;
  /** The caller's signal; aborting it aborts `signal` too. */
  signal?: AbortSignal | undefined;
  /** Named in messages. */
  model?: string | undefined;
  /** The setting that `totalMs` comes from, named in its message; `BRUNO_TIMEOUT_MS` by default. */
  totalSetting?: string | undefined;
}

/**
 * Deadlines of one streamed model call. `signal` aborts when any of them expires (its reason
 * is the `TimeoutError`) or when the caller's signal aborts. Call `tick()` on every chunk.
 */
export class StreamDeadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly options: StreamDeadlineOptions;
  private totalTimer?: ReturnType<typeof setTimeout>;
  private tokenTimer?: ReturnType<typeof setTimeout>;
  private sawToken = false;
  private readonly onCallerAbort = () => this.controller.abort(this.options.signal?.reason);
  /** The deadline that expired, if one did. */
  expired?: TimeoutError;

  constructor(options: StreamDeadlineOptions) {
    this.options = options;
    this.signal = this.controller.signal;
    if (options.signal?.aborted) {
      this.controller.abort(options.signal.reason);
      return;
    }
    options.signal?.addEventListener("abort", this.onCallerAbort, { once: true });
    const who = options.model ? `model '${options.model}'` : "the model";
    this.totalTimer = setTimeout(
      () => this.expire(new TimeoutError("TIMEOUT_TOTAL", `${who} did not finish within ${options.totalMs} ms (${options.totalSetting ?? "BRUNO_TIMEOUT_MS"})`)),
      options.totalMs,
    );
    this.tokenTimer = setTimeout(
      () => this.expire(new TimeoutError("TIMEOUT_FIRST_TOKEN", `${who} sent no token within ${options.firstTokenMs} ms; it may still be loading (BRUNO_FIRST_TOKEN_TIMEOUT_MS)`)),
      options.firstTokenMs,
    );
  }

  private expire(error: TimeoutError): void {
    if (this.controller.signal.aborted) return;
    this.expired = error;
    this.dispose();
    this.controller.abort(error);
  }

  /**
   * A chunk arrived: the first-token deadline is met and the stall clock restarts. The stall
   * timer is created on the first chunk and restarted in place (`refresh`) on the next ones.
   */
  tick(): void {
    if (this.controller.signal.aborted) return;
    if (this.sawToken && this.tokenTimer) {
      this.tokenTimer.refresh();
      return;
    }
    this.sawToken = true;
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    const who = this.options.model ? `model '${this.options.model}'` : "the model";
    this.tokenTimer = setTimeout(() => this.expire(new TimeoutError("TIMEOUT_STALL", `${who} stopped sending tokens for ${this.options.stallMs} ms (BRUNO_STALL_TIMEOUT_MS)`)), this.options.stallMs);
  }

  /** Whether any token arrived. */
  get started(): boolean {
    return this.sawToken;
  }

  /** Clears the timers; call when the stream ends either way. */
  dispose(): void {
    if (this.totalTimer) clearTimeout(this.totalTimer);
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    this.options.signal?.removeEventListener("abort", this.onCallerAbort);
  }
}
