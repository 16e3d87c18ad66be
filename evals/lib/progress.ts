/** A progress bar on stderr: redrawn in place on a terminal, one line every few items otherwise. */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export class Progress {
  private done = 0;
  private failed = 0;
  private readonly started: number;
  private readonly every: number;
  private finished = false;

  constructor(
    private readonly total: number,
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.started = now();
    this.every = Math.max(1, Math.ceil(total / 10));
    if (stream.isTTY) this.draw();
  }

  /** One item finished; `ok` false counts it as failed. */
  tick(ok = true): void {
    this.done += 1;
    if (!ok) this.failed += 1;
    if (this.stream.isTTY) this.draw();
    else if (this.done % this.every === 0 || this.done === this.total) this.stream.write(`${this.line()}\n`);
  }

  /** Ends the bar (a newline on a terminal); `note` is appended, e.g. "interrupted". */
  finish(note?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${this.line()}${note ? ` ${note}` : ""}\n`);
    else if (note) this.stream.write(`${this.line()} ${note}\n`);
  }

  /** The status text: bar, count, percentage, elapsed time, estimated time left, failures. */
  line(): string {
    const elapsed = this.now() - this.started;
    const share = this.total === 0 ? 1 : this.done / this.total;
    const eta = this.done === 0 ? "?" : clock((elapsed / this.done) * (this.total - this.done));
    const width = 24;
    const filled = Math.round(share * width);
    const bar = this.stream.isTTY ? `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ` : "";
    const failed = this.failed > 0 ? `  ${this.failed} failed` : "";
    return `${this.label} ${bar}${this.done}/${this.total} ${Math.round(share * 100)}%  elapsed ${clock(elapsed)}  eta ${eta}${failed}`;
  }

  private draw(): void {
    this.stream.write(`\r\x1b[2K${this.line()}`);
  }
}
