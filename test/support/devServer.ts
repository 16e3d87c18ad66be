/**
 * Starts the LangGraph dev server (`langgraphjs dev`, what `npm run dev` and Studio use) on a free
 * loopback port for slow tests, and stops its whole process group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { closedPort } from "./net.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const READY_TIMEOUT_MS = 60_000;
/** Something else on this machine listens there. */
const RESERVED_PORT = 2024;

export interface DevServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The last part of what the server printed, for failure messages. */
  logTail(): string;
  /** Stops npx, the CLI, the server and its workers. */
  stop(): Promise<void>;
}

/** The environment of the child without settings of this process that would change the graph. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === "LOG_LEVEL" || key === "OLLAMA_HOST" || key.startsWith("BRUNO_") || key.startsWith("LANGSMITH_") || key.startsWith("LANGCHAIN_")) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts the dev server with `OLLAMA_HOST` pointing at `ollamaUrl` and waits until `/ok` answers. */
export async function startDevServer(ollamaUrl: string): Promise<DevServer> {
  let port = await closedPort();
  while (port === RESERVED_PORT) port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  // --no-reload: an edit under src/ while tests run would otherwise restart the server mid-test.
  const child: ChildProcess = spawn("npx", ["@langchain/langgraph-cli", "dev", "--port", String(port), "--host", "127.0.0.1", "--no-browser", "--no-reload"], {
    cwd: ROOT,
    env: childEnv({ LANGGRAPH_CLI_NO_ANALYTICS: "1", OLLAMA_HOST: ollamaUrl, LOG_LEVEL: "silent" }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.stderr?.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.once("exit", (code, signal) => (exited = { code, signal }));
  const logTail = () => (output.length > 6000 ? `…${output.slice(-6000)}` : output);

  const stop = async (): Promise<void> => {
    if (!child.pid || exited) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const kill = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // the group is gone
      }
    };
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(timer);
    // Workers that ignored SIGTERM go with the group.
    kill("SIGKILL");
  };

  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`the dev server exited (${JSON.stringify(exited)}) before it answered; its output:\n${logTail()}`);
      if (await answers(`${url}/ok`)) break;
      if (Date.now() >= deadline) throw new Error(`the dev server did not answer ${url}/ok within ${READY_TIMEOUT_MS} ms; its output:\n${logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, logTail, stop };
}
