/**
 * The one in-process harness of the `bruno` command: drives `runCli(io)` from
 * `src/cli/main.ts` with the argv, a scrubbed environment (`env.ts`), stdin text or an open
 * stdin, and an abort signal (what Ctrl-C does), and returns the exit code with what was
 * written to stdout and stderr.
 *
 * stdout and stderr are complete, as a process would show them: what the CLI writes to its
 * streams and what is written synchronously to file descriptors 1 and 2 during the run (pino's
 * log lines). Those writes are attributed to the run that made them (through
 * AsyncLocalStorage), so runs may go concurrently; writes outside a run go where they always
 * went.
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
  /** A person types at stdin (as at a terminal): `chat` shows its prompts. False by default, as for a pipe. */
  interactive?: boolean;
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
  /** True once `runCli` has returned. */
  exited(): boolean;
  done: Promise<CliResult>;
}

/** Where a run's synchronous writes to fd 1 and fd 2 go. */
interface Sinks {
  stdout(text: string): void;
  stderr(text: string): void;
}
const sinks = new AsyncLocalStorage<Sinks>();
let fdsCaptured = false;

/**
 * Sends synchronous writes to fd 1 and fd 2 made inside a run (pino's destinations) to that
 * run's stdout and stderr.
 */
function captureFds(): void {
  if (fdsCaptured) return;
  fdsCaptured = true;
  const original = fs.writeSync;
  const patched = function (this: unknown, fd: number, data: unknown, ...rest: unknown[]): number {
    const store = fd === 1 || fd === 2 ? sinks.getStore() : undefined;
    if (!store) return (original as (...args: unknown[]) => number).call(fs, fd, data, ...rest);
    const sink = fd === 1 ? store.stdout : store.stderr;
    if (typeof data === "string") {
      sink(data);
      const encoding = [rest[1], rest[0]].find((x): x is BufferEncoding => typeof x === "string") ?? "utf8";
      return Buffer.byteLength(data, encoding);
    }
    const view = data as ArrayBufferView;
    sink(Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("utf8"));
    return view.byteLength;
  };
  fs.writeSync = patched as typeof fs.writeSync;
}

/**
 * Runs `fn` with its synchronous writes to fd 1 and fd 2 collected instead of printed (for
 * loggers built outside the CLI, such as the pretty logger); returns what it wrote there.
 */
export async function captureOutput(fn: () => unknown): Promise<{ stdout: string; stderr: string }> {
  captureFds();
  let stdout = "";
  let stderr = "";
  await sinks.run({ stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, async () => {
    await fn();
  });
  return { stdout, stderr };
}

/** Starts `bruno argv` in this process. */
export function startBruno(argv: readonly string[], options: CliOptions = {}): CliRun {
  captureFds();
  const started = performance.now();
  const controller = new AbortController();
  let stdout = "";
  let stderr = "";
  const chunks: Chunk[] = [];
  const writes: string[] = [];
  const stdin = options.stdin === "open" ? new PassThrough() : Readable.from(options.stdin === undefined ? [] : [options.stdin]);
  const toStdout = (text: string): void => {
    stdout += text;
    writes.push(text);
    chunks.push({ end: stdout.length, at: Date.now() });
  };
  const toStderr = (text: string): void => {
    stderr += text;
  };
  const done = sinks.run({ stdout: toStdout, stderr: toStderr }, async (): Promise<CliResult> => {
    const code = await runCli({
      argv: [...argv],
      env: scrubbedEnv(options.env),
      stdin,
      interactive: options.interactive ?? false,
      stdout: { write: toStdout },
      stderr: { write: toStderr },
      signal: controller.signal,
    });
    return { code, stdout, stderr, chunks, writes, ms: performance.now() - started };
  });
  let exited = false;
  done.then(
    () => (exited = true),
    () => (exited = true),
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
    exited: () => exited,
    done,
  };
}

/** Runs `bruno argv` in this process to the end. */
export function bruno(argv: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startBruno(argv, options).done;
}
