import { ConfigError } from "../domain/errors.js";
import { redactPasswords } from "./redact.js";

/** Ollama's own default address. */
export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";

/** The canonical address, or why the value is not one. */
export type OllamaHostReading = { ok: true; value: string } | { ok: false; problem: string };

/** {@link normalizeOllamaHost} without the throw: says what is wrong instead. */
export function readOllamaHost(raw: string): OllamaHostReading {
  const value = raw.trim().replace(/^["']|["']$/g, "").trim();
  if (value === "") return { ok: true, value: DEFAULT_OLLAMA_HOST };
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  const scheme = schemeMatch?.[1]?.toLowerCase() ?? "http";
  if (scheme !== "http" && scheme !== "https") return { ok: false, problem: "must use http or https" };
  let rest = schemeMatch ? value.slice(schemeMatch[0].length) : value;
  const slash = rest.indexOf("/");
  const path = slash >= 0 ? rest.slice(slash).replace(/\/+$/, "") : "";
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
 * no default port, no trailing slash. Throws a `ConfigError` naming `OLLAMA_HOST` otherwise.
 */
export function normalizeOllamaHost(raw: string): string {
  const reading = readOllamaHost(raw);
  if (!reading.ok) throw new ConfigError(`OLLAMA_HOST '${redactPasswords(raw)}' ${reading.problem}`);
  return reading.value;
}
