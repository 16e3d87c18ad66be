/**
 * The one in-process harness of the `bruno` command: drives `runCli(io)` from
 * `src/cli/main.ts` with the argv, a scrubbed environment (`env.ts`), stdin text or an open
 * stdin, and an abort signal (what Ctrl-C does), and returns the exit code with what was
 * written to stdout and stderr.
 *
 * stderr is complete, as a process would show it: the CLI's own lines and its pino log lines,
 * which the logger writes synchronously to file descriptor 2. Those writes are attributed to
 * the run that made them (through AsyncLocalStorage), so runs may go concurrently; writes to
 * fd 2 outside a run go where they always went.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import { PassThrough, Readable } from "node:stream";
import { runCli } from "../../src/cli/main.js";
import { scrubbedEnv, type Env } from "./env.js";
import type { Chunk } from "./output.js";

export { firstSeen, lines, STACK_FRAME, until } from "./output.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as written, one entry per write. */
  chunks: Chunk[];
  /** Writes to stdout, in order. */
  writes: string[];
  ms: number;
}

export interface CliOptions {
  /** Set on top of the scrubbed environment; `undefined` removes a variable. */
  env?: Env;
  /** Standard input: text that is then closed (closed at once by default), or `"open"` to write it with `write` / `end`. */
  stdin?: string | "open";
}

export interface CliRun {
  /** stdout so far. */
  stdout(): string;
  /** stderr so far (log lines included). */
  stderr(): string;
  /** Writes to stdin (with `stdin: "open"`). */
  write(text: string): void;
  /** Closes stdin (Ctrl-D), after writing `text` if given. */
  end(text?: string): void;
  /** Aborts the run as Ctrl-C does. */
  cancel(): void;
  done: Promise<CliResult>;
}

type Sink = (text: string) => void;
const stderrSinks = new AsyncLocalStorage<Sink>();
let fd2Captured = false;

/** Sends synchronous writes to fd 2 made inside a run (pino's destination) to that run's stderr. */
function captureFd2(): void {
  if (fd2Captured) return;
  fd2Captured = true;
  const original = fs.writeSync;
  const patched = function (this: unknown, fd: number, data: unknown, ...rest: unknown[]): number {
    const sink = fd === 2 ? stderrSinks.getStore() : undefined;
    if (!sink) return (original as (...args: unknown[]) => number).call(fs, fd, data, ...rest);
    if (typeof data === "string") {
      sink(data);
      return Buffer.byteLength(data, typeof rest[1] === "string" ? (rest[1] as BufferEncoding) : typeof rest[0] === "string" ? (rest[0] as BufferEncoding) : "utf8");
    }
    const view = data as ArrayBufferView;
    sink(Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("utf8"));
    return view.byteLength;
  };
  fs.writeSync = patched as typeof fs.writeSync;
}

/**
 * Runs `fn` with its synchronous writes to fd 2 collected instead of printed; returns what it
 * wrote there (for loggers built outside the CLI, such as the pretty logger).
 */
export async function captureStderr(fn: () => unknown): Promise<string> {
  captureFd2();
  let text = "";
  await stderrSinks.run((t) => void (text += t), async () => {
    await fn();
  });
  return text;
}

/** Starts `bruno argv` in this process. */
export function startBruno(argv: readonly string[], options: CliOptions = {}): CliRun {
  captureFd2();
  const started = performance.now();
  const controller = new AbortController();
  let stdout = "";
  let stderr = "";
  const chunks: Chunk[] = [];
  const writes: string[] = [];
  const stdin = options.stdin === "open" ? new PassThrough() : Readable.from(options.stdin === undefined ? [] : [options.stdin]);
  const done = stderrSinks.run(
    (text) => void (stderr += text),
    async (): Promise<CliResult> => {
      const code = await runCli({
        argv: [...argv],
        env: scrubbedEnv(options.env),
        stdin,
        stdout: {
          write: (text) => {
            stdout += text;
            writes.push(text);
            chunks.push({ end: stdout.length, at: Date.now() });
          },
        },
        stderr: { write: (text) => void (stderr += text) },
        signal: controller.signal,
      });
      return { code, stdout, stderr, chunks, writes, ms: performance.now() - started };
    },
  );
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    write: (text) => {
      if (!(stdin instanceof PassThrough)) throw new Error('write() needs { stdin: "open" }');
      stdin.write(text);
    },
    end: (text) => {
      if (stdin instanceof PassThrough) stdin.end(text);
    },
    cancel: () => controller.abort(new Error("interrupted")),
    done,
  };
}

/** Runs `bruno argv` in this process to the end. */
export function bruno(argv: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startBruno(argv, options).done;
}
