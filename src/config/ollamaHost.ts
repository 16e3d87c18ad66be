import { ConfigError } from "../domain/errors.js";
import { OllamaCredentials } from "./credentials.js";
import { redactPasswords } from "./redact.js";

/** Ollama's own default address. */
export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";

/** The canonical address, or why the value is not one. */
export type OllamaHostReading = { ok: true; value: string } | { ok: false; problem: string };

/** Paths of an API rather than of a server: the client adds `/api/…` itself, so with one of these every request 404s. */
const API_PATH = /^\/(api|v1)(\/|$)/i;

function unquote(raw: string): string {
  return raw
    .trim()
    .replace(/^["']|["']$/g, "")
    .trim();
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * An address as given, split into the address without credentials and the credentials
 * (`http://user:password@host:port` → `http://host:port` and `user` / `password`, percent-encoding
 * decoded). The address is returned as given otherwise; {@link readOllamaHost} checks it.
 */
export function splitOllamaCredentials(raw: string): { address: string; credentials?: OllamaCredentials } {
  const value = unquote(raw);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? "";
  const rest = value.slice(scheme.length);
  // As in any URL: the authority ends at the first "/", "?" or "#", and the user information
  // at its last "@" (so a password may hold "@"; a "/" in it must be written %2F).
  const end = rest.search(/[/?#]/);
  const at = rest.slice(0, end >= 0 ? end : rest.length).lastIndexOf("@");
  if (at < 0) return { address: raw };
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(":");
  const username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? "" : decode(userinfo.slice(colon + 1));
  const address = `${scheme}${rest.slice(at + 1)}`;
  return username === "" && password === "" ? { address } : { address, credentials: new OllamaCredentials(username, password) };
}

/** {@link normalizeOllamaHost} without the throw: says what is wrong instead. */
export function readOllamaHost(raw: string): OllamaHostReading {
  const value = unquote(raw);
  if (value === "") return { ok: true, value: DEFAULT_OLLAMA_HOST };
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  const scheme = schemeMatch?.[1]?.toLowerCase() ?? "http";
  if (scheme !== "http" && scheme !== "https") return { ok: false, problem: "must use http or https" };
  let rest = schemeMatch ? value.slice(schemeMatch[0].length) : value;
  const slash = rest.search(/[/?#]/);
  if (rest.slice(0, slash >= 0 ? slash : rest.length).includes("@")) {
    return { ok: false, problem: "holds a user name or password, which this reader does not take: load the settings with loadConfig, which keeps them apart" };
  }
  const tail = slash >= 0 ? rest.slice(slash) : "";
  if (/[?#]/.test(tail)) return { ok: false, problem: "has a query or fragment: give scheme://host:port" };
  const path = tail.replace(/\/+$/, "");
  if (API_PATH.test(path)) {
    return { ok: false, problem: `ends in an API path ('${path}'): give the server's address without it, e.g. ${scheme}://host:port (the client adds /api/… itself)` };
  }
  rest = slash >= 0 ? rest.slice(0, slash) : rest;
  const portMatch = /:(\d*)$/.exec(rest);
  let host = portMatch ? rest.slice(0, portMatch.index) : rest;
  let port = portMatch?.[1] ?? "";
  if (port === "") port = schemeMatch ? (scheme === "https" ? "443" : "80") : "11434";
  if (host === "" && schemeMatch) return { ok: false, problem: "has no host: use host:port or http://host:port" };
  if (host === "" || host === "0.0.0.0") host = "127.0.0.1";
  let url: URL;
  try {
    url = new URL(`${scheme}://${host}:${port}${path}`);
  } catch {
    return { ok: false, problem: "is not a valid address: use host:port or http://host:port" };
  }
  return { ok: true, value: `${url.protocol}//${url.host}${path}` };
}

/**
 * Normalizes an Ollama address the way Ollama reads `OLLAMA_HOST`: surrounding quotes and
 * spaces are dropped; a bare `host`, `host:port` or `:port` gets http and port 11434; a URL with
 * a scheme but no port gets the scheme's port (80 or 443). The result is canonical: lower case,
 * no default port, no trailing slash. A path is kept (a reverse proxy's prefix) unless it is an
 * API's (`/api…`, `/v1…`). Throws a `ConfigError` naming `OLLAMA_HOST` otherwise, and for an
 * address with credentials: split those off first with {@link splitOllamaCredentials}.
 */
export function normalizeOllamaHost(raw: string): string {
  const reading = readOllamaHost(raw);
  if (!reading.ok) throw new ConfigError(`OLLAMA_HOST '${redactPasswords(raw)}' ${reading.problem}`);
  return reading.value;
}

/** One Ollama server of `OLLAMA_HOSTS`: its canonical address (printable) and its credentials, if any. */
export interface OllamaHostEntry {
  address: string;
  credentials?: OllamaCredentials | undefined;
}

/** {@link readOllamaHosts}'s answer: the list, or what is wrong with it (passwords redacted). */
export type OllamaHostsReading = { ok: true; value: OllamaHostEntry[] } | { ok: false; problem: string };

/**
 * Reads `OLLAMA_HOSTS`: comma-separated addresses, each in `OLLAMA_HOST`'s form (credentials
 * and a bare `host:port` included). A blank entry, an invalid address or the same server twice
 * is a problem naming the entry by its position; a password never appears in the problem.
 */
export function readOllamaHosts(raw: string): OllamaHostsReading {
  const parts = unquote(raw).split(",");
  const entries: OllamaHostEntry[] = [];
  for (const [i, part] of parts.entries()) {
    const n = i + 1;
    if (part.trim() === "") return { ok: false, problem: `entry ${n} of ${parts.length} is blank: separate the addresses with single commas` };
    const { address, credentials } = splitOllamaCredentials(part);
    const reading = readOllamaHost(address);
    if (!reading.ok) return { ok: false, problem: `entry ${n} ('${redactPasswords(part.trim())}') ${reading.problem}` };
    const first = entries.findIndex((e) => e.address === reading.value);
    if (first >= 0) return { ok: false, problem: `entries ${first + 1} and ${n} are the same server (${reading.value}): list each server once` };
    entries.push(credentials ? { address: reading.value, credentials } : { address: reading.value });
  }
  return { ok: true, value: entries };
}

/**
 * The Ollama servers the settings name: `OLLAMA_HOSTS` when set, else the one server of
 * `OLLAMA_HOST` with its credentials.
 */
export function ollamaHostList(config: { ollamaHost: string; ollamaCredentials?: OllamaCredentials | undefined; ollamaHosts?: readonly OllamaHostEntry[] | undefined }): OllamaHostEntry[] {
  if (config.ollamaHosts && config.ollamaHosts.length > 0) return [...config.ollamaHosts];
  return [config.ollamaCredentials ? { address: config.ollamaHost, credentials: config.ollamaCredentials } : { address: config.ollamaHost }];
}
