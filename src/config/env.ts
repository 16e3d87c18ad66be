import { z } from "zod";
import { settingsError, valueAt } from "./issues.js";
import { splitOllamaCredentials } from "./ollamaHost.js";
import { PartialConfigSchema, settingAt, type BrunoConfigInput } from "./schema.js";
import { SETTINGS, type AnySetting } from "./settings.js";

export type Env = Record<string, string | undefined>;

/** One setting found in the environment. */
export interface EnvReading {
  setting: AnySetting;
  /** The variable it was read from: the setting's own name, or an alias when that is unset. */
  variable: string;
  /** The text as the environment holds it. */
  raw: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** The settings an environment sets; blank variables count as unset. */
export function readEnv(env: Env): EnvReading[] {
  const readings: EnvReading[] = [];
  for (const setting of SETTINGS) {
    for (const variable of [setting.env, ...setting.aliases]) {
      const raw = nonEmpty(env[variable]);
      if (raw === undefined) continue;
      readings.push({ setting, variable, raw });
      break;
    }
  }
  return readings;
}

/** The text handed to the schema: words of a fixed list are read in any case. */
function schemaInput(reading: EnvReading): string {
  return reading.setting.schema instanceof z.ZodEnum ? reading.raw.trim().toLowerCase() : reading.raw;
}

/**
 * Validates readings of the environment into settings. An invalid value throws a `ConfigError`
 * naming its variable: `BRUNO_TIMEOUT_MS: expected a positive integer, got "abc"`.
 */
export function settingsFromEnv(readings: readonly EnvReading[]): BrunoConfigInput {
  const nested: Record<string, unknown> = {};
  const groups = new Map<string, Record<string, unknown>>();
  for (const reading of readings) {
    const [first = "", second] = reading.setting.path.split(".");
    if (second === undefined) {
      nested[first] = schemaInput(reading);
      continue;
    }
    let group = groups.get(first);
    if (group === undefined) {
      group = {};
      groups.set(first, group);
      nested[first] = group;
    }
    group[second] = schemaInput(reading);
  }
  const parsed = PartialConfigSchema.safeParse(withOllamaCredentials(nested));
  if (parsed.success) return parsed.data;
  throw settingsError(parsed.error.issues, (path) => {
    const reading = readings.find((r) => r.setting.path === path);
    if (reading) return { label: reading.variable, value: reading.raw, variable: reading.variable };
    return { label: settingAt(path)?.env ?? path, value: valueAt(nested, path) };
  });
}

/**
 * The settings with the credentials of `ollamaHost` (`http://user:password@host`) moved to
 * `ollamaCredentials`, so that the address holds none; unchanged when it has none.
 */
export function withOllamaCredentials<T extends object>(input: T): T {
  const host = (input as { ollamaHost?: unknown }).ollamaHost;
  if (typeof host !== "string") return input;
  const { address, credentials } = splitOllamaCredentials(host);
  return credentials ? { ...input, ollamaHost: address, ollamaCredentials: credentials } : input;
}

/** Reads and validates the settings this package knows from an environment; throws a `ConfigError` naming a bad variable. */
export function configFromEnv(env: Env): BrunoConfigInput {
  return settingsFromEnv(readEnv(env));
}

/** True when the Ollama address was set on purpose (`OLLAMA_HOST`, or several with `OLLAMA_HOSTS`) rather than defaulted. */
export function ollamaHostConfigured(env: Env = process.env): boolean {
  return readEnv(env).some((r) => r.setting.path === "ollamaHost" || r.setting.path === "ollamaHosts");
}
