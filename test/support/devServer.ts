/**
 * Starts the LangGraph dev server (`langgraphjs dev`, what `npm run dev` and Studio use) on a free
 * loopback port for slow tests, and stops its whole process group.
 */
import { closedPort } from "./net.js";
import { spawnProcess } from "./spawn.js";

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
  // --no-reload: an edit under src/ while tests run would otherwise restart the server mid-test.
  const child = spawnProcess("npx", ["@langchain/langgraph-cli", "dev", "--port", String(port), "--host", "127.0.0.1", "--no-browser", "--no-reload"], {
    env: { LANGGRAPH_CLI_NO_ANALYTICS: "1", OLLAMA_HOST: ollamaUrl, LOG_LEVEL: "silent" },
    stdin: "ignore",
    timeoutMs: 0,
  });
  const logTail = () => {
    const output = child.output();
    return output.length > 6000 ? `…${output.slice(-6000)}` : output;
  };

  const stop = async (): Promise<void> => {
    if (child.exited()) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await child.exit;
    clearTimeout(timer);
    // Workers that ignored SIGTERM go with the group.
    child.kill("SIGKILL");
  };

  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exited()) throw new Error(`the dev server exited (${JSON.stringify(await child.exit)}) before it answered; its output:\n${logTail()}`);
      if (await answers(`${url}/ok`)) break;
      if (Date.now() >= deadline) throw new Error(`the dev server did not answer ${url}/ok within ${READY_TIMEOUT_MS} ms; its output:\n${logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, logTail, stop };
}
