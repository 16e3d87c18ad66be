import type { Output } from "./session.js";

/** What the command line runs against: the process's streams, or a test's. */
export interface CliIO {
  argv: string[];
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream;
  /**
   * Whether a person types at stdin: `chat` shows its `you>` / `bruno>` prompts only then.
   * Default: stdin is a terminal.
   */
  interactive?: boolean;
  /** Whether stderr is a terminal (pretty logs, a download bar drawn in place); default: false. */
  stderrIsTTY?: boolean;
  env?: Record<string, string | undefined>;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}
