/**
 * Several Ollama hosts, settings and what is shown: `OLLAMA_HOSTS` parsing (errors name the
 * variable and never print a password), each host's own credentials on the wire, and
 * `bruno models` listing every host.
 */
import { describe, expect, it } from "vitest";
import { isBrunoError, loadConfig, type ConfigError } from "../../src/index.js";
import { readOllamaHosts } from "../../src/config/ollamaHost.js";
import { bruno } from "../support/cliHarness.js";
import { closedPort } from "../support/net.js";
import { DOCS, PRIMARY, QUERY, SECOND, closeServersAfterEach, graphOn, startServer, thread } from "./helpers.js";

closeServersAfterEach();

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ env });
  } catch (error) {
    if (isBrunoError(error) && error.code === "CONFIG_INVALID") return error as ConfigError;
    throw error;
  }
  throw new Error("expected a CONFIG_INVALID");
}

describe("OLLAMA_HOSTS", () => {
  it("reads each entry in OLLAMA_HOST's form: bare host:port, a scheme, a proxy path, credentials split off", () => {
    const config = loadConfig({ env: { OLLAMA_HOSTS: " gpu-a:11434 , https://ops:p%40ss@gpu-b/ollama ,http://gpu-c" } });
    expect(config.ollamaHosts?.map((h) => h.address)).toEqual(["http://gpu-a:11434", "https://gpu-b/ollama", "http://gpu-c"]);
    expect(config.ollamaHosts?.map((h) => h.credentials?.authorization())).toEqual([undefined, `Basic ${Buffer.from("ops:p@ss").toString("base64")}`, undefined]);
    // Printed or logged, the settings carry no password.
    expect(JSON.stringify(config)).not.toContain("p@ss");
    expect(JSON.stringify(config)).not.toContain("p%40ss");
  });

  it("leaves OLLAMA_HOST alone when unset, and `--host` (an override) means one server", () => {
    expect(loadConfig({ env: { OLLAMA_HOST: "gpu:1234" } }).ollamaHosts).toBeUndefined();
    const overridden = loadConfig({ env: { OLLAMA_HOSTS: "a:1,b:2" }, overrides: { ollamaHost: "c:3" } });
    expect(overridden.ollamaHosts).toBeUndefined();
    expect(overridden.ollamaHost).toBe("http://c:3");
  });

  it.each([
    ["a blank entry", "http://ops:s3cret-pw@gpu-a:11434,,gpu-b", /^OLLAMA_HOSTS: entry 2 of 3 is blank/],
    ["a trailing comma", "gpu-a,gpu-b,", /^OLLAMA_HOSTS: entry 3 of 3 is blank/],
    ["the same server twice", "http://ops:s3cret-pw@gpu-a:11434,gpu-a", /^OLLAMA_HOSTS: entries 1 and 2 are the same server \(http:\/\/gpu-a:11434\)/],
    ["an API path", "gpu-a,http://ops:s3cret-pw@gpu-b/api", /^OLLAMA_HOSTS: entry 2 \('http:\/\/ops:\*\*\*@gpu-b\/api'\) ends in an API path/],
    ["another scheme", "ftp://gpu-a,gpu-b", /^OLLAMA_HOSTS: entry 1 \('ftp:\/\/gpu-a'\) must use http or https/],
  ])("%s is a settings error naming OLLAMA_HOSTS, without the password", (_name, value, message) => {
    const error = configError({ OLLAMA_HOSTS: value });
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("s3cret-pw");
    expect(error.details).toMatchObject({ variables: ["OLLAMA_HOSTS"] });
  });

  it("readOllamaHosts says what is wrong without throwing", () => {
    expect(readOllamaHosts("a,b")).toEqual({ ok: true, value: [{ address: "http://a:11434" }, { address: "http://b:11434" }] });
    expect(readOllamaHosts("a,,b")).toMatchObject({ ok: false, problem: expect.stringContaining("blank") });
  });
});

describe("each host's credentials", () => {
  it("go to that host only: chat, tags and show requests carry that host's basic auth", async () => {
    const a = await startServer({ models: [{ name: SECOND }] });
    const b = await startServer();
    const withUser = (url: string, user: string, password: string) => url.replace("http://", `http://${user}:${password}@`);
    const graph = graphOn([], { OLLAMA_HOSTS: `${withUser(a.url, "alice", "pw-a")},${withUser(b.url, "bob", "pw-b")}` });
    const out = await graph.invoke({ query: QUERY, documents: DOCS }, thread("creds"));
    expect(out.model).toBe(PRIMARY);
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    expect(a.requests.length).toBeGreaterThan(0);
    expect(new Set(a.requests.map((r) => r.headers.authorization))).toEqual(new Set([basic("alice", "pw-a")]));
    expect(new Set(b.requests.map((r) => r.headers.authorization))).toEqual(new Set([basic("bob", "pw-b")]));
    expect(b.chatRequests().map((r) => r.model)).toEqual([PRIMARY]);
  });
});

describe("bruno models", () => {
  it("shows every host: reachable or why not, its version and its models; exit 0 while one answers", async () => {
    const a = await startServer({ models: [{ name: SECOND }], version: "0.12.6" });
    const b = await startServer({ version: "0.13.0" });
    const port = await closedPort();
    const dead = `http://127.0.0.1:${port}`;
    const env = { OLLAMA_HOSTS: `${a.url},http://ops:s3cret-pw@127.0.0.1:${port},${b.url}` };

    const text = await bruno(["models"], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("Ollama hosts (2 of 3 reachable):");
    expect(text.stdout).toContain(`  ${a.url}: reachable, version 0.12.6, 1 model(s)\n    ${SECOND}\n`);
    expect(text.stdout).toMatch(new RegExp(`  ${dead.replace(/\./g, "\\.")}: unreachable \\(.*ECONNREFUSED`));
    expect(text.stdout).toContain(`  ${b.url}: reachable, version 0.13.0`);
    expect(text.stdout).toContain(`✓ ${SECOND}`);
    expect(text.stdout).toContain(`— on ${a.url}, ${b.url}`);
    expect(text.stdout + text.stderr).not.toContain("s3cret-pw");

    const json = await bruno(["models", "--json"], { env });
    const report = JSON.parse(json.stdout) as { reachable: boolean; hosts: { host: string; reachable: boolean; version?: string; models: string[] }[] };
    expect(report.reachable).toBe(true);
    expect(report.hosts.map((h) => [h.host, h.reachable, h.version ?? null])).toEqual([
      [a.url, true, "0.12.6"],
      [dead, false, null],
      [b.url, true, "0.13.0"],
    ]);
    expect(report.hosts[0]?.models).toEqual([SECOND]);
  });

  it("exits 3 when no host answers", async () => {
    const [p1, p2] = [await closedPort(), await closedPort()];
    const result = await bruno(["models"], { env: { OLLAMA_HOSTS: `127.0.0.1:${p1},127.0.0.1:${p2}` } });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("Ollama hosts (0 of 2 reachable):");
    expect(result.stderr).toContain("SERVER_UNREACHABLE");
  });
});
