/**
 * Fault matrix row 15: the `bruno` command against a dead server, in process
 * (`test/support/cliHarness.ts`). The runtime (LangChain, the graph) is loaded before the clock
 * starts, as a process has at start-up, so the time measured is the command's own.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadRuntime } from "../../src/app/index.js";
import { bruno } from "../support/cliHarness.js";
import { closedPort } from "../support/net.js";

beforeAll(async () => {
  await loadRuntime();
}, 60_000);

describe("15. the CLI against a dead server", () => {
  it('`bruno ask "x" --host 127.0.0.1:<closed port>` exits 3 promptly with one clear line on stderr', async () => {
    const port = await closedPort();
    const ask = await bruno(["ask", "x", "--host", `127.0.0.1:${port}`]);

    expect(ask.code).toBe(3);
    expect(ask.stdout).toBe("");
    // One line that says what happened and what to do; no log records, no stack trace.
    expect(ask.stderr.trim()).toBe(
      `bruno: SERVER_UNREACHABLE: cannot reach Ollama at http://127.0.0.1:${port} (ECONNREFUSED): start it with \`ollama serve\`, or point OLLAMA_HOST / --host at a running server`,
    );
    // Within its deadline: at most BRUNO_ADMIN_TIMEOUT_MS (5 s by default), the longest the
    // first call (/api/tags) may wait.
    expect(ask.ms).toBeLessThan(5_000);
  });
});
