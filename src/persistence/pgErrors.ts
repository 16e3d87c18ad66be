/**
 * PostgreSQL failures as the typed errors of this package, with no password anywhere: not in the
 * message, not in `details`, not in the `cause` chain (a `pg` error or a URL parse error may quote
 * the connection string; the cause kept here is a copy holding only a scrubbed message, its name
 * and its code).
 */
import { redactPasswords } from "../config/redact.js";
import { BrunoError, ConfigError, DatabaseError, type DatabaseFault } from "../domain/errors.js";

const SETTING = "(--db / BRUNO_DB)";

/** A PostgreSQL URL made printable: its password (in the user part or a `password=` parameter) as `***`. */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass/i.test(key)) parsed.searchParams.set(key, "***");
    }
    return redactPasswords(parsed.toString()).replaceAll("%2A%2A%2A", "***");
  } catch {
    return redactPasswords(url).replace(/(pass\w*=)[^&\s]*/gi, "$1***");
  }
}

/** The secrets of a URL as they may appear in text: the password, raw and percent-decoded. */
export function secretsOf(url: string): string[] {
  const found = new Set<string>();
  try {
    const parsed = new URL(url);
    for (const raw of [parsed.password, ...[...parsed.searchParams.entries()].filter(([key]) => /pass/i.test(key)).map(([, value]) => value)]) {
      if (raw === "") continue;
      found.add(raw);
      try {
        found.add(decodeURIComponent(raw));
      } catch {
        // not percent-encoded
      }
    }
  } catch {
    const match = /:\/\/[^:/@\s]*:([^@\s]+)@/.exec(url);
    if (match?.[1]) found.add(match[1]);
  }
  return [...found].filter((secret) => secret.length > 0);
}

/** Text with every URL password and every secret of `secrets` as `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = redactPasswords(text);
  for (const secret of secrets) out = out.split(secret).join("***");
  return out;
}

/** What is kept of an error from `pg` or Node: name, code and a scrubbed message (no stack that could quote a query). */
export function scrubbedCause(error: unknown, secrets: readonly string[]): Error {
  const original = error as { name?: unknown; message?: unknown; code?: unknown };
  const copy = new Error(scrub(typeof original?.message === "string" ? original.message : String(error), secrets));
  copy.name = typeof original?.name === "string" ? original.name : "Error";
  if (typeof original?.code === "string") (copy as Error & { code: string }).code = original.code;
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

/** Where the failure happened, for the message. */
export interface FailureContext {
  /** The printable URL. */
  location: string;
  secrets: readonly string[];
  /** What was being done, e.g. "connecting", "saving the turn". */
  action: string;
  /** True when every connection of the pool was in use (a connect timeout then means a full pool). */
  poolFull?: boolean;
  poolSize?: number;
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "53300", "57P03"]);
const LOST_CODES = new Set(["ECONNRESET", "EPIPE", "57P01", "57P02", "57P05"]);

function textOf(error: unknown): string {
  const message = (error as { message?: unknown })?.message;
  return typeof message === "string" ? message : String(error);
}

/** The kind of a failure from `pg` (or Node's socket), by SQLSTATE, errno or message. */
export function classify(error: unknown): DatabaseFault | "auth" | "privilege" | "pool" {
  const code = (error as { code?: unknown })?.code;
  const message = textOf(error);
  if (typeof code === "string") {
    if (code.startsWith("28") || code === "3D000") return "auth";
    if (code === "42501") return "privilege";
    if (UNREACHABLE_CODES.has(code)) return "unreachable";
    if (LOST_CODES.has(code) || code.startsWith("08")) return "connection-lost";
    if (code === "42P01" || code === "42703" || code === "3F000") return "schema";
  }
  if (/timeout exceeded when trying to connect/i.test(message)) return "pool";
  if (/connection timeout|timeout expired/i.test(message)) return "unreachable";
  if (/Connection terminated|not queryable|terminating connection|socket/i.test(message)) return "connection-lost";
  return "query";
}

/**
 * A failure of `pg` as a `DatabaseError` (the database cannot be used now: exit 3, HTTP 503) or a
 * `ConfigError` (the setting is wrong: refused login, missing database, missing privilege).
 * BrunoErrors pass through unchanged.
 */
export function databaseFailure(error: unknown, context: FailureContext): BrunoError {
  if (error instanceof BrunoError) return error;
  const kind = classify(error);
  const reason = scrub(textOf(error), context.secrets).replace(/\s*\n\s*/g, " ");
  const code = (error as { code?: unknown })?.code;
  const options = { cause: scrubbedCause(error, context.secrets), details: { location: context.location, ...(typeof code === "string" ? { pgCode: code } : {}) } };
  const where = `PostgreSQL at ${context.location}`;
  switch (kind) {
    case "auth":
      return new ConfigError(`${where} ${SETTING} refused the connection while ${context.action} (${reason}): check the user, password and database name of the URL`, options);
    case "privilege":
      return new ConfigError(
        `${where} ${SETTING} refused an operation while ${context.action} (${reason}): grant the user rights on the checkpoint tables, or run \`bruno db migrate\` as their owner`,
        options,
      );
    case "pool":
      if (context.poolFull)
        return new DatabaseError(
          "query",
          `all ${context.poolSize ?? "the"} connections to ${where} were in use while ${context.action} (${reason}): raise BRUNO_DB_POOL_SIZE (each turn in flight holds one connection for its thread lock; size it to concurrent turns + 2)`,
          options,
        );
      return new DatabaseError("unreachable", `${where} ${SETTING} does not answer while ${context.action} (${reason}); the turn was not saved`, options);
    case "unreachable":
      return new DatabaseError("unreachable", `${where} ${SETTING} does not answer while ${context.action} (${reason}); check that the server is up and the host and port are right`, options);
    case "connection-lost":
      return new DatabaseError("connection-lost", `the connection to ${where} was lost while ${context.action} (${reason}); the turn was not saved, send it again once the database is back`, options);
    case "schema":
      return new DatabaseError("schema", `the checkpoint tables of ${where} are missing or outdated while ${context.action} (${reason}): run \`bruno db migrate --db <url>\``, options);
    case "lock-lost":
    case "query":
      return new DatabaseError(kind, `${where} failed while ${context.action} (${reason})`, options);
  }
}
