/**
 * The one spawn helper of the tests, for what needs a real process: the `bin/bruno.js` smoke
 * test, signals (SIGINT), a closed stdout (EPIPE), several processes on one SQLite file, and
 * servers started by a CLI (the LangGraph dev server). Everything else drives the CLI in
 * process (`cliHarness.ts`), which costs milliseconds instead of a second per run.
 *
 * Each child leads its own process group (`npm` and `npx` start node under a shell), so a
 * signal or a kill reaches the whole tree. Its environment is the runner's, scrubbed
 * (`env.ts`), plus what the test sets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { scrubbedEnv, type Env } from "./env.js";
import type { Chunk } from "./output.js";

export type { Chunk } from "./output.js";
export { firstSeen, lines, STACK_FRAME, until } from "./output.js";

/** The repository root (where `bin/bruno.js` and `package.json` live). */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Generous: a child needs about a second of CPU to start (tsx compiles the sources), more on a loaded machine. */
export const CHILD_TIMEOUT_MS = 60_000;

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as it arrived, one entry per `data` event. */
  chunks: Chunk[];
  /** From the spawn to the close of its output. */
  ms: number;
}

export interface SpawnOptions {
  /** Set on top of the scrubbed environment; `undefined` removes a variable. */
  env?: Env;
  /** Working directory; the repository root by default. */
  cwd?: string;
  /**
   * Standard input: text written then closed, `"pipe"` to keep it open for `write` / `end`,
   * or `"ignore"`. Closed at once by default.
   */
  stdin?: string | "pipe" | "ignore";
  /** The child's process group is killed and `done` rejects after this long; 0 for never. */
  timeoutMs?: number;
}

export interface Spawned {
  readonly child: ChildProcess;
  /** stdout so far. */
  stdout(): string;
  /** stderr so far. */
  stderr(): string;
  /** stdout and stderr interleaved as they arrived, for failure messages. */
  output(): string;
  /** Writes to stdin (with `stdin: "pipe"`). */
  write(text: string): void;
  /** Closes stdin, after writing `text` if given. */
  end(text?: string): void;
  /** Sends `signal` to the child's whole process group (SIGKILL by default); a no-op once it is gone. */
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the child has exited (its output may still be draining). */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the child has exited. */
  exited(): boolean;
  /** Settles when the child has exited and its output is closed; rejects on timeout. */
  done: Promise<ProcessResult>;
}

const running = new Set<Spawned>();

/** Starts `command args` as described above. */
export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions = {}): Spawned {
  const started = performance.now();
  const stdinMode = options.stdin === "ignore" ? "ignore" : "pipe";
  const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: scrubbedEnv(options.env), stdio: [stdinMode, "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  let output = "";
  const chunks: Chunk[] = [];
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    output += text;
    chunks.push({ end: stdout.length, at: Date.now() });
  });
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
    output += text;
  });
  // A test may close or abandon these pipes on purpose (EPIPE); that is not the test's failure.
  child.stdout?.on("error", () => undefined);
  child.stdin?.on("error", () => undefined);

  const kill = (signal: NodeJS.Signals = "SIGKILL"): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const timeoutMs = options.timeoutMs ?? CHILD_TIMEOUT_MS;
  const done = new Promise<ProcessResult>((resolve, reject) => {
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            kill("SIGKILL");
            reject(new Error(`${command} ${args.join(" ")} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
          }, timeoutMs)
        : undefined;
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, chunks, ms: performance.now() - started });
    });
  });
  // Awaited by the test that cares; never an unhandled rejection for one that does not.
  done.catch(() => undefined);

  const spawned: Spawned = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    write: (text) => void child.stdin?.write(text),
    end: (text) => void (text === undefined ? child.stdin?.end() : child.stdin?.end(text)),
    kill,
    exit,
    exited: () => exitInfo !== undefined,
    done,
  };
  running.add(spawned);
  void done.finally(() => running.delete(spawned)).catch(() => undefined);
  if (stdinMode === "pipe" && options.stdin !== "pipe") spawned.end(options.stdin);
  return spawned;
}

/** Runs `command args` to the end. */
export function runProcess(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<ProcessResult> {
  return spawnProcess(command, args, options).done;
}

/** A TypeScript file of this repository run by node through tsx. */
export function runTypeScript(file: string, args: readonly string[], options: SpawnOptions = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, ["--import", "tsx", file, ...args], options);
}

/**
 * The `bruno` command: `node bin/bruno.js args`, or `npm start --silent -- args` (the README's
 * command) with `via: "npm"`.
 */
export function spawnBruno(args: readonly string[], options: SpawnOptions & { via?: "node" | "npm" } = {}): Spawned {
  const { via = "node", ...rest } = options;
  return via === "node" ? spawnProcess(process.execPath, ["bin/bruno.js", ...args], rest) : spawnProcess("npm", ["start", "--silent", "--", ...args], rest);
}

/** Kills every child still running (for `afterAll`). */
export function killAll(): void {
  for (const spawned of running) spawned.kill("SIGKILL");
}
