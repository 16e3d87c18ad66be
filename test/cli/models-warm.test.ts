import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { FakeOllama } from "../../src/testing/fakeOllama.js";

const servers: FakeOllama[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli({
    argv,
    env: { LOG_LEVEL: "silent" },
    stdout: { write: (t) => void (stdout += t) },
    stderr: { write: (t) => void (stderr += t) },
    stdin: process.stdin,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

describe("bruno models --warm", () => {
  it("preloads the catalog's SRE model with an empty chat request carrying keep_alive, and reports the load time", async () => {
    const server = await FakeOllama.start({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }] });
    servers.push(server);
    const result = await run(["models", "--warm", "--host", server.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Warmed sre-agent:v1\.0: loaded in \d+\.\d s, kept for 10m/);
    const chats = server.chatRequests();
    expect(chats).toHaveLength(1);
    expect(chats[0]).toMatchObject({ model: "sre-agent:v1.0", messages: [], stream: false, keep_alive: "10m" });
  });

  it("warms the tag given after --warm, and refuses one that is not installed without sending anything", async () => {
    const server = await FakeOllama.start({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.2:3b" }] });
    servers.push(server);
    const ok = await run(["models", "--warm", "llama3.2:3b", "--host", server.url, "--json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ reachable: true, warmed: { model: "llama3.2:3b" } });
    const missing = await run(["models", "--warm", "mixtral:8x7b", "--host", server.url]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("ollama pull mixtral:8x7b");
    expect(server.chatRequests().map((b) => b.model)).toEqual(["llama3.2:3b"]);
  });
});
