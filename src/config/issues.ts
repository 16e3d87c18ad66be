import type { z } from "zod";
import { ConfigError, fieldPath } from "../domain/errors.js";
import { quoteValue, redactPasswords } from "./redact.js";

/** How a message names the source of a bad value: a variable, a setting path, a flag. */
export interface IssueSubject {
  /** What the message names first, e.g. `BRUNO_TIMEOUT_MS` or `ollamaHost (--host)`. */
  label: string;
  /** The value as given; quoted after "got". */
  value: unknown;
  /** The environment variable, when the value came from the environment. */
  variable?: string | undefined;
}

/**
 * One `ConfigError` for all failed settings, one clause per setting:
 * `BRUNO_TIMEOUT_MS: expected a positive integer, got "abc"`. Passwords in URLs are redacted.
 */
export function settingsError(issues: readonly z.core.$ZodIssue[], subjectOf: (path: string) => IssueSubject): ConfigError {
  const seen = new Set<string>();
  const clauses: string[] = [];
  const settings: string[] = [];
  const variables: string[] = [];
  for (const issue of issues) {
    const path = fieldPath(issue.path);
    if (seen.has(path)) continue;
    seen.add(path);
    const subject = subjectOf(path);
    clauses.push(`${subject.label}: ${issue.message}, got ${quoteValue(subject.value)}`);
    settings.push(path);
    if (subject.variable !== undefined) variables.push(subject.variable);
  }
  return new ConfigError(redactPasswords(clauses.join("; ")), { details: { settings, ...(variables.length > 0 ? { variables } : {}) } });
}

/** The value at a dotted path of a plain object, `undefined` when absent. */
export function valueAt(source: unknown, path: string): unknown {
  let value: unknown = source;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
