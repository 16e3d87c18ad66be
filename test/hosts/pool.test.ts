/**
 * The host pool on its own, with scripted servers and a hand-moved clock: which host has which
 * model, a host that does not answer marked down for the tags TTL and asked again after it, and
 * the ranking of hosts by calls in flight and circuit state.
 */
import { describe, expect, it } from "vitest";
import { ServerError } from "../../src/domain/errors.js";
import { createOllamaHostPool } from "../../src/providers/ollama/pool.js";
import type { InstalledModel, ModelServer } from "../../src/providers/ports.js";
import { Resilience } from "../../src/runtime/resilience.js";
import { loadConfig } from "../../src/index.js";

/** A server whose model list and reachability the test sets; counts its `/api/tags` calls. */
function scripted(host: string, models: string[]): ModelServer & { up: boolean; tagCalls: number; models: string[] } {
  const server = {
    host,
    up: true,
    tagCalls: 0,
    models,
    async listModels(): Promise<InstalledModel[]> {
      server.tagCalls += 1;
      if (!server.up) throw new ServerError("SERVER_UNREACHABLE", `cannot reach Ollama at ${host} (ECONNREFUSED)`);
      return server.models.map((name) => ({ name }));
    },
    async showModel(name: string) {
      if (!server.up) throw new ServerError("SERVER_UNREACHABLE", `cannot reach Ollama at ${host}`);
      return { name, contextLength: host.endsWith("a") ? 4096 : 8192, capabilities: ["completion"] };
    },
    async version() {
      if (!server.up) throw new ServerError("SERVER_UNREACHABLE", `cannot reach Ollama at ${host} (ECONNREFUSED)`);
      return "0.12.6";
    },
  };
  return server;
}

describe("the Ollama host pool", () => {
  it("lists the union of the models, says which hosts have a model, and asks a host that has it for its details", async () => {
    const a = scripted("http://gpu-a", ["llama3.1:8b"]);
    const b = scripted("http://gpu-b", ["llama3.1:8b", "sre-agent:v1.0"]);
    const pool = createOllamaHostPool({ servers: [a, b], tagsTtlMs: 30_000 });
    expect((await pool.listModels()).map((m) => m.name)).toEqual(["llama3.1:8b", "sre-agent:v1.0"]);
    expect(await pool.hostsWith("sre-agent:v1.0")).toEqual(["http://gpu-b"]);
    expect(await pool.hostsWith("llama3.1:8b")).toEqual(["http://gpu-a", "http://gpu-b"]);
    expect(await pool.hostsWith("llama3.1")).toEqual([]);
    expect((await pool.showModel("sre-agent:v1.0")).contextLength).toBe(8192);
  });

  it("a host that does not answer is passed over for the TTL, then asked again", async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const a = scripted("http://gpu-a", ["llama3.1:8b"]);
    const b = scripted("http://gpu-b", ["llama3.1:8b"]);
    const pool = createOllamaHostPool({ servers: [a, b], tagsTtlMs: 30_000, clock });
    a.up = false;
    expect(await pool.hostsWith("llama3.1:8b")).toEqual(["http://gpu-b"]);
    expect(a.tagCalls).toBe(1);
    now += 29_000;
    expect(await pool.hostsWith("llama3.1:8b")).toEqual(["http://gpu-b"]);
    expect(a.tagCalls).toBe(1);
    const hosts = await pool.hosts();
    expect(hosts.map((h) => [h.host, h.reachable])).toEqual([
      ["http://gpu-a", false],
      ["http://gpu-b", true],
    ]);
    expect(hosts[0]?.error).toContain("ECONNREFUSED");
    a.up = true;
    now += 2_000;
    expect(await pool.hostsWith("llama3.1:8b")).toEqual(["http://gpu-a", "http://gpu-b"]);
    expect(a.tagCalls).toBe(2);
  });

  it("a host a call found dead (markDown) is passed over; when every host is down they are all asked again", async () => {
    const a = scripted("http://gpu-a", ["m"]);
    const b = scripted("http://gpu-b", ["m"]);
    const pool = createOllamaHostPool({ servers: [a, b], tagsTtlMs: 30_000 });
    pool.markDown("http://gpu-a", new Error("refused"));
    expect(await pool.hostsWith("m")).toEqual(["http://gpu-b"]);
    b.up = false;
    a.up = false;
    await expect(pool.listModels()).rejects.toThrow(/none of the Ollama servers of OLLAMA_HOSTS answers/);
    a.up = true;
    // Both marked down now: the pool asks them again rather than answering with nothing.
    expect(await pool.hostsWith("m")).toEqual(["http://gpu-a"]);
  });
});

describe("ranking hosts for a model", () => {
  const settings = loadConfig({ env: { BRUNO_CONCURRENCY: "4", BRUNO_BREAKER_THRESHOLD: "1", BRUNO_RETRY_ATTEMPTS: "1" } });

  it("fewest calls in flight first, ties in the given order; a host whose circuit for the model is open is left out", async () => {
    const resilience = new Resilience(settings);
    expect(resilience.rank(["a", "b"], "m")).toEqual(["a", "b"]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const call = resilience.execute({ host: "a", model: "m" }, () => held);
    expect(resilience.rank(["a", "b"], "m")).toEqual(["b", "a"]);
    release();
    await call;
    expect(resilience.rank(["a", "b"], "m")).toEqual(["a", "b"]);
    await expect(resilience.execute({ host: "a", model: "m" }, async () => Promise.reject(new ServerError("SERVER_ERROR", "boom")))).rejects.toThrow("boom");
    expect(resilience.rank(["a", "b"], "m")).toEqual(["b"]);
    expect(resilience.rank(["a", "b"], "other")).toEqual(["a", "b"]);
  });
});
