/**
 * Fault matrix row 15: the `bruno` command as a child process against a dead server.
 *
 * A child takes one to several seconds just to start (tsx compiles the sources), so the
 * deadline is checked against a `bruno --help` started at the same moment: the failed `ask` may
 * take longer than that baseline by no more than its deadline.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { closedPort } from "../support/net.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHILD_TIMEOUT_MS = 25_000;
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
});

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The parent's environment without anything that configures bruno. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === "LOG_LEVEL" || key === "OLLAMA_HOST" || key.startsWith("BRUNO_")) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1" };
}

function bruno(args: string[]): Promise<ChildResult> {
  const started = performance.now();
  const child = spawn("node", ["bin/bruno.js", ...args], { cwd: ROOT, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  child.stderr?.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      reject(new Error(`bruno ${args.join(" ")} did not exit within ${CHILD_TIMEOUT_MS} ms\nstderr: ${stderr}`));
    }, CHILD_TIMEOUT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}


describe("15. the CLI against a dead server", () => {
  it(
    "`bruno ask \"x\" --host 127.0.0.1:<closed port>` exits 3 promptly with one clear line on stderr",
    async () => {
      const port = await closedPort();
      const [ask, baseline] = await Promise.all([bruno(["ask", "x", "--host", `127.0.0.1:${port}`]), bruno(["--help"])]);

      expect(baseline.code).toBe(0);
      expect(ask.code).toBe(3);
      expect(ask.stdout).toBe("");
      // One line that says what happened and what to do; no log records, no stack trace.
      expect(ask.stderr.trim()).toBe(
        `bruno: SERVER_UNREACHABLE: cannot reach Ollama at http://127.0.0.1:${port} (ECONNREFUSED): start it with \`ollama serve\`, or point OLLAMA_HOST / --host at a running server`,
      );
      // Within its deadline: start-up (which the baseline pays too) plus at most
      // BRUNO_ADMIN_TIMEOUT_MS (5 s by default), the longest the first call (/api/tags) may wait.
      expect(ask.ms).toBeLessThan(baseline.ms + 5_000);
    },
    CHILD_TIMEOUT_MS + 5_000,
  );
});
