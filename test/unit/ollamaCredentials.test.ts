/**
 * Credentials in the Ollama address: split off `OLLAMA_HOST` / `--host` into
 * `config.ollamaCredentials`, never in `config.ollamaHost`, never printed; and what the errors
 * of a server that wants them say.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigSchema, loadConfig, normalizeOllamaHost, OllamaCredentials, splitOllamaCredentials } from "../../src/config/config.js";
import { causeText, toBrunoError } from "../../src/providers/ollama/errors.js";
import { thrown } from "../support/thrown.js";

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("splitOllamaCredentials", () => {
  it.each<[string, string, [string, string] | undefined]>([
    ["http://u:pw@host:1", "http://host:1", ["u", "pw"]],
    ["u:pw@host", "host", ["u", "pw"]],
    ["https://u@host", "https://host", ["u", ""]],
    ["http://u:p%40ss%2Fw@host", "http://host", ["u", "p@ss/w"]],
    ["http://u:p@ss@host:2/prefix", "http://host:2/prefix", ["u", "p@ss"]],
    ['"http://u:pw@host"', "http://host", ["u", "pw"]],
    ["http://@host", "http://host", undefined],
    ["http://host:1", "http://host:1", undefined],
    ["http://host/path@x", "http://host/path@x", undefined],
  ])("%j → %j with %j", (raw, address, credentials) => {
    const split = splitOllamaCredentials(raw);
    expect(split.address).toBe(address);
    if (credentials === undefined) expect(split.credentials).toBeUndefined();
    else expect(split.credentials?.authorization()).toBe(basic(...credentials));
  });
});

describe("OllamaCredentials", () => {
  it("show the user name only, however they are printed", () => {
    const credentials = new OllamaCredentials("ops", "hunter2");
    for (const text of [String(credentials), JSON.stringify({ credentials }), inspect({ credentials }), `${credentials}`]) {
      expect(text).toContain("ops");
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain(basic("ops", "hunter2").slice(6));
    }
  });
});

describe("loadConfig: credentials of the Ollama address", () => {
  it("OLLAMA_HOST: the address without them, the credentials apart, nothing of them in the config as printed", () => {
    const config = loadConfig({ env: { OLLAMA_HOST: "http://ops:hunter2@gpu:11434" } });

    expect(config.ollamaHost).toBe("http://gpu:11434");
    expect(config.ollamaCredentials?.authorization()).toBe(basic("ops", "hunter2"));
    expect(JSON.stringify(config)).not.toContain("hunter2");
    expect(inspect(config, { depth: 5 })).not.toContain("hunter2");
  });

  it("the --host override brings its own credentials, and the environment's are not sent to another address", () => {
    const env = { OLLAMA_HOST: "http://ops:hunter2@gpu:11434" };
    expect(loadConfig({ env, overrides: { ollamaHost: "other:1" } }).ollamaCredentials).toBeUndefined();
    expect(loadConfig({ env, overrides: { ollamaHost: "http://me:pw@other:1" } }).ollamaCredentials?.authorization()).toBe(basic("me", "pw"));
    expect(loadConfig({ env: { OLLAMA_HOST: "other:1" }, defaults: { ollamaHost: "http://ops:hunter2@gpu" } }).ollamaCredentials).toBeUndefined();
  });

  it("an address with credentials that reaches the schema or normalizeOllamaHost directly is refused, not stripped silently", () => {
    const parsed = ConfigSchema.safeParse({ ollamaHost: "http://ops:hunter2@gpu" });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/user name or password/);

    const error = thrown(() => normalizeOllamaHost("http://ops:hunter2@gpu"));
    expect((error as Error).message).toMatch(/user name or password/);
    expect((error as Error).message).not.toContain("hunter2");
  });

  it.each<[string, Record<string, string>, Record<string, string>]>([
    ["an API path", { OLLAMA_HOST: "http://ops:hunter2@gpu:11434/api" }, {}],
    ["a scheme that is not http", { OLLAMA_HOST: "ftp://ops:hunter2@gpu" }, {}],
    ["the --host override", {}, { ollamaHost: "http://ops:hunter2@gpu/v1" }],
  ])("a bad address with credentials (%s): CONFIG_INVALID without the password", (_name, env, overrides) => {
    const error = thrown(() => loadConfig({ env, overrides })) as Error & { code: string; details: unknown };
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("ops:***@");
    expect(error.message).not.toContain("hunter2");
    expect(JSON.stringify(error.details)).not.toContain("hunter2");
  });
});

describe("errors of a server that wants credentials, and why fetch failed", () => {
  const response401 = Object.assign(new Error("401 Authorization Required"), { name: "ResponseError", status_code: 401 });

  it("401 without credentials: CONFIG_INVALID saying where to put them", () => {
    const error = toBrunoError(response401, { host: "http://gpu:11434" });
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toBe("Ollama at http://gpu:11434 asks for credentials (401: 401 Authorization Required): put them in OLLAMA_HOST / --host as http://user:password@host:port");
  });

  it("401 with credentials: CONFIG_INVALID naming the user, not the password", () => {
    const error = toBrunoError(response401, { host: "http://gpu:11434", credentials: new OllamaCredentials("ops", "hunter2") });
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toMatch(/refused the credentials of OLLAMA_HOST \(user 'ops', 401/);
    expect(error.message).not.toContain("hunter2");
  });

  it.each<[string, unknown, string]>([
    ["a bad port", new TypeError("fetch failed", { cause: new Error("bad port") }), "bad port"],
    [
      "a TLS error with a code",
      new TypeError("fetch failed", { cause: Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }) }),
      "self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)",
    ],
    [
      "an aggregate of connection errors",
      new TypeError("fetch failed", { cause: Object.assign(new AggregateError([new Error("connect EHOSTDOWN ::1:11434")], ""), { code: "EHOSTDOWN" }) }),
      "connect EHOSTDOWN ::1:11434",
    ],
    ["no cause", new TypeError("fetch failed"), "fetch failed"],
  ])("causeText: %s", (_name, error, expected) => {
    expect(causeText(error)).toBe(expected);
  });

  it("`fetch failed` as a typed error carries its cause", () => {
    const error = toBrunoError(new TypeError("fetch failed", { cause: new Error("bad port") }), { host: "http://gpu:10080" });
    expect(error.code).toBe("SERVER_UNREACHABLE");
    expect(error.message).toContain("(fetch failed: bad port)");
  });
});
