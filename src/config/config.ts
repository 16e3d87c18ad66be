import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../domain/errors.js";
import { CatalogOverride, DEFAULT_CATALOG, mergeCatalog, type ModelCatalog } from "../domain/catalog.js";
import { readEnv, settingsFromEnv, withOllamaCredentials, type Env } from "./env.js";
import { settingsError, valueAt } from "./issues.js";
import { ConfigSchema, settingAt, type BrunoConfig, type BrunoConfigInput } from "./schema.js";

export { DEFAULT_OLLAMA_HOST, normalizeOllamaHost, ollamaHostList, readOllamaHosts, splitOllamaCredentials, type OllamaHostEntry } from "./ollamaHost.js";
export { OllamaCredentials } from "./credentials.js";
export { PROVIDERS, SETTINGS, type AnySetting, type Provider, type Setting } from "./settings.js";
export { ConfigSchema, PartialConfigSchema, type BrunoConfig, type BrunoConfigInput } from "./schema.js";
export { configFromEnv, ollamaHostConfigured, readEnv, withOllamaCredentials, type Env, type EnvReading } from "./env.js";
export { redactPasswords } from "./redact.js";

/** A group of settings (`{ timeouts: { … } }`), as opposed to a value that is an object (credentials). */
function isGroup(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}

function dropUndefined<T>(value: T): T {
  if (!isGroup(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== undefined) out[k] = dropUndefined(v);
  }
  return out as T;
}

function mergeInputs(base: BrunoConfigInput, over: BrunoConfigInput): BrunoConfigInput {
  const a = dropUndefined(base) as Record<string, unknown>;
  const b = dropUndefined(over) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isGroup(prev) && isGroup(v) ? { ...prev, ...v } : v;
  }
  // Credentials belong to their address: a source that sets the address sets them too (or none).
  if (b.ollamaHost !== undefined && b.ollamaCredentials === undefined) delete out.ollamaCredentials;
  // An address given alone (`--host`) means that one server, not the list of an earlier source.
  if (b.ollamaHost !== undefined && b.ollamaHosts === undefined) delete out.ollamaHosts;
  return out as BrunoConfigInput;
}

export interface LoadConfigOptions {
  /** The environment to read; `process.env` when omitted. */
  env?: Env;
  /** Values that win over the environment (CLI flags). */
  overrides?: BrunoConfigInput;
  /** Values that replace the built-in defaults but lose to the environment (a host's own defaults). */
  defaults?: BrunoConfigInput;
  /** A catalog object that wins over `BRUNO_CATALOG` (tests, embedding hosts). */
  catalog?: ModelCatalog;
}

function readCatalogFile(path: string): ModelCatalog {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ConfigError(`cannot read the model catalog ${path} (BRUNO_CATALOG): ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(`the model catalog ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = CatalogOverride.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`the model catalog ${path} is invalid: ${z.prettifyError(parsed.error)}`);
  }
  try {
    return mergeCatalog(DEFAULT_CATALOG, parsed.data);
  } catch (cause) {
    const detail = cause instanceof z.ZodError ? z.prettifyError(cause) : String(cause);
    throw new ConfigError(`the model catalog ${path} is inconsistent: ${detail}`, { cause });
  }
}

/**
 * Validates all settings once: defaults, then the environment, then overrides. A variable that
 * an override replaces is not read. An invalid value throws a `ConfigError` naming where it came
 * from: the variable (`BRUNO_TIMEOUT_MS: …`), or the setting path, with its flag, for an override.
 * The only place in the package that reads `process.env`.
 */
export function loadConfig(options: LoadConfigOptions = {}): BrunoConfig {
  const env = options.env ?? process.env;
  const overrides = withOllamaCredentials(options.overrides ?? {});
  const defaults = withOllamaCredentials(options.defaults ?? {});
  const fromEnv = settingsFromEnv(readEnv(env).filter((r) => valueAt(overrides, r.setting.path) === undefined));
  const input = mergeInputs(mergeInputs(defaults, fromEnv), overrides);
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw settingsError(parsed.error.issues, (path) => {
      const flag = settingAt(path)?.flag;
      const overridden = valueAt(overrides, path) !== undefined;
      // The value as given (an address with its credentials, which the message redacts).
      const given = valueAt(overridden ? options.overrides : options.defaults, path);
      return { label: overridden && flag ? `${path} (${flag})` : path, value: given ?? valueAt(input, path) };
    });
  }
  const catalog = options.catalog ?? (parsed.data.catalogPath ? readCatalogFile(parsed.data.catalogPath) : DEFAULT_CATALOG);
  return { ...parsed.data, catalog };
}
