/**
 * Fault matrix row 18: what is wrong with the Ollama address, and a server that does not answer.
 * - `OLLAMA_HOST=http://user:password@host` (Ollama behind a reverse proxy with basic auth): the
 *   credentials go as `Authorization: Basic …` with every request to that server and appear in
 *   nothing printed or logged;
 * - a server that asks for credentials (401) is a settings error, not a failed generation;
 * - an address with Ollama's API path (`…/api`) is a settings error when the settings load;
 * - `fetch failed` always says why (a port fetch refuses, …);
 * - a server that accepts connections but never answers is "not answering within N ms
 *   (BRUNO_ADMIN_TIMEOUT_MS)", not "cannot reach".
 * The CLI runs in process (`cliHarness.ts`).
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/index.js";
import { resolveProvider } from "../../src/providers/embedded/provider.js";
import { bruno } from "../support/cliHarness.js";
import { closeServersAfterEach, startServer } from "./helpers.js";

closeServersAfterEach();

const USER = "bruno";
const PASSWORD = "s3cr3t-pa55";
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

/** The address of a server with credentials in it. */
function withCredentials(url: string, user = USER, password = PASSWORD): string {
  return url.replace("http://", `http://${user}:${password}@`);
}

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A TCP server that accepts every connection and never sends a byte. */
async function silentServer(): Promise<string> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A reverse proxy that wants basic auth: 401 for every request. */
async function authRequired(): Promise<string> {
  const server: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(401, { "content-type": "text/html", "www-authenticate": 'Basic realm="ollama"' });
    res.end("<html><body><h1>401 Authorization Required</h1></body></html>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("18. credentials in OLLAMA_HOST", () => {
  it("`bruno ask` sends them as basic auth on every request (probe, tags, show, chat) and prints them nowhere, not even in debug logs", async () => {
    const server = await startServer();
    const host = withCredentials(server.url);

    const run = await bruno(["ask", "Loki pods are crashing", "--verbose"], { env: { OLLAMA_HOST: host } });

    expect(run.code, run.stderr).toBe(0);
    const paths = server.requests.map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(["/api/version", "/api/tags", "/api/show", "/api/chat"]));
    for (const request of server.requests) expect(request.headers.authorization, request.path).toBe(BASIC);
    expect(run.stderr).toContain(`using Ollama at ${server.url}`);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
    expect(`${run.stdout}${run.stderr}`).not.toContain(BASIC.slice(6));
  });

  it("`bruno models` and `bruno models --json` show the address without them and send them", async () => {
    const server = await startServer();
    for (const args of [["models"], ["models", "--json"]]) {
      const run = await bruno(args, { env: { OLLAMA_HOST: withCredentials(server.url) } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(server.url);
      expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
    }
    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests) expect(request.headers.authorization, request.path).toBe(BASIC);
  });

  it("percent-encoded user names and passwords are decoded before they are sent", async () => {
    const server = await startServer();
    const run = await bruno(["models", "--json"], { env: { OLLAMA_HOST: withCredentials(server.url, "ops%40example.com", "p%3Ass%2Fw") } });

    expect(run.code, run.stderr).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from("ops@example.com:p:ss/w").toString("base64")}`);
  });

  it("a server that is down: the error line names the address without them", async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();

    const run = await bruno(["ask", "x", "--provider", "ollama"], { env: { OLLAMA_HOST: withCredentials(url) } });

    expect(run.code).toBe(3);
    expect(run.stderr).toContain(url);
    expect(run.stderr).not.toContain(PASSWORD);
  });

  it("a server that asks for credentials (401): CONFIG_INVALID saying to put them in OLLAMA_HOST, the turn ends at once", async () => {
    const host = await authRequired();

    const run = await bruno(["ask", "x", "--provider", "ollama"], { env: { OLLAMA_HOST: host } });

    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim()).toMatch(/^bruno: CONFIG_INVALID: Ollama at http:\/\/127\.0\.0\.1:\d+ asks for credentials \(401: 401 Authorization Required\): .*OLLAMA_HOST/);
  });

  it("wrong credentials (401 with credentials sent): CONFIG_INVALID saying they were refused, without the password", async () => {
    const host = await authRequired();

    const run = await bruno(["ask", "x", "--provider", "ollama"], { env: { OLLAMA_HOST: withCredentials(host) } });

    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/refused the credentials of OLLAMA_HOST \(user 'bruno'/);
    expect(run.stderr).not.toContain(PASSWORD);
  });
});

describe("18b. an address with Ollama's API path", () => {
  it.each([["/api"], ["/api/chat"], ["/api/"], ["/v1"]])("OLLAMA_HOST=http://host:port%s is CONFIG_INVALID before any request", async (path) => {
    const server = await startServer();

    const run = await bruno(["ask", "x", "--provider", "ollama"], { env: { OLLAMA_HOST: `${server.url}${path}` } });

    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^bruno: CONFIG_INVALID: OLLAMA_HOST: .*API path.*without it/);
    expect(server.requests).toEqual([]);
  });
});

describe("18c. why fetch failed", () => {
  it("a port that fetch refuses (10080): the message says 'bad port'", async () => {
    const run = await bruno(["ask", "x", "--provider", "ollama", "--host", "127.0.0.1:10080"]);

    expect(run.code).toBe(3);
    expect(run.stderr.trim()).toMatch(/^bruno: SERVER_UNREACHABLE: .*127\.0\.0\.1:10080.*bad port/);
  });
});

describe("18d. a server that accepts connections but never answers", () => {
  it("`bruno ask`: not answering /api/tags within BRUNO_ADMIN_TIMEOUT_MS, not 'cannot reach'", async () => {
    const host = await silentServer();

    const run = await bruno(["ask", "x", "--provider", "ollama", "--host", host], { env: { BRUNO_ADMIN_TIMEOUT_MS: "300", BRUNO_RETRY_ATTEMPTS: "1" } });

    expect(run.code).toBe(3);
    expect(run.stderr.trim()).toMatch(new RegExp(`^bruno: SERVER_UNREACHABLE: Ollama at ${host} is not answering: no answer to /api/tags within 300 ms \\(BRUNO_ADMIN_TIMEOUT_MS\\)`));
    expect(run.stderr).not.toMatch(/cannot reach|UND_ERR_CONNECT_TIMEOUT/);
  });

  it("`bruno models`: the same for /api/version", async () => {
    const host = await silentServer();

    const run = await bruno(["models"], { env: { OLLAMA_HOST: host, BRUNO_ADMIN_TIMEOUT_MS: "300" } });

    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/is not answering: no answer to \/api\/version within 300 ms \(BRUNO_ADMIN_TIMEOUT_MS\)/);
  });

  it("the `auto` probe says why Ollama was passed over: no answer within the admin timeout, or refused", async () => {
    const host = await silentServer();
    const config = loadConfig({ env: { OLLAMA_HOST: host, BRUNO_ADMIN_TIMEOUT_MS: "300", BRUNO_MODEL_PATH: "/nonexistent/model.gguf" } });

    const choice = await resolveProvider(config);

    expect(choice.provider).toBe("embedded");
    expect(choice.reason).toBe(`Ollama at ${host} is not answering: no answer to /api/version within 300 ms (BRUNO_ADMIN_TIMEOUT_MS)`);
  });
});
