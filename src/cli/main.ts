/**
 * The `bruno` command. `bruno`, `--help` and `--version` are answered from `usage.ts` alone;
 * every other command line imports `commands.ts` (settings, schemas), which imports the graph
 * and its providers only for the commands that run them.
 */
import type { CliIO } from "./io.js";
import { quickAnswer } from "./usage.js";

export type { CliIO };

type Commands = typeof import("./commands.js");

let commands: Promise<Commands> | undefined;

/** Runs the CLI; returns the exit code. Errors become one line on stderr. */
export async function runCli(io: CliIO): Promise<number> {
  const quick = quickAnswer(io.argv);
  if (quick) {
    io[quick.stream].write(`${quick.text}\n`);
    return quick.code;
  }
  commands ??= import("./commands.js");
  return (await commands).runCommand(io);
}

/** The process entry point: wires stdio, Ctrl-C and the exit code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  process.on("SIGINT", () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    controller.abort(new Error("interrupted"));
  });
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const code = await runCli({
    argv: process.argv.slice(2),
    stdout: { write: (t) => void process.stdout.write(t) },
    stderr: { write: (t) => void process.stderr.write(t) },
    stdin: process.stdin,
    interactive: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    signal: controller.signal,
  });
  // LangSmith batches runs in the background; send them before the process ends (a no-op when tracing is off).
  if (commands) await (await commands).flushRuntimeTraces();
  process.exitCode = code;
}
