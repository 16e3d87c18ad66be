/**
 * The package's logger (pino, JSON lines) and what keeps secrets and user text out of it:
 * `redact` paths for anything that can hold credentials, and truncation for the prompts,
 * documents and answers that are only ever logged at debug level.
 */
import { createRequire } from "node:module";
import { pino, type DestinationStream, type LevelWithSilent, type Logger, type LoggerOptions } from "pino";
import type PinoPretty from "pino-pretty";

export type { Logger };

/** Where the JSON lines go when no destination is given: stderr, so stdout stays the answer. */
const STDERR = 2;

/**
 * Paths pino replaces with `[redacted]`: authorization and API-key headers (at the top level and
 * one level down, e.g. `req.headers`), API keys and passwords of settings objects, and the
 * LangSmith / LangChain key variables should an environment object ever be logged.
 */
export const REDACT_PATHS: readonly string[] = [
  "headers.authorization",
  "headers.Authorization",
  "headers.cookie",
  'headers["x-api-key"]',
  "*.headers.authorization",
  "*.headers.Authorization",
  "*.headers.cookie",
  '*.headers["x-api-key"]',
  "apiKey",
  "*.apiKey",
  "api_key",
  "*.api_key",
  "password",
  "*.password",
  "config.langsmithApiKey",
  "LANGSMITH_API_KEY",
  "LANGCHAIN_API_KEY",
  "*.LANGSMITH_API_KEY",
  "*.LANGCHAIN_API_KEY",
];

/** Longest text logged at debug level for one prompt message, document or answer. */
export const DEBUG_TEXT_LIMIT = 500;

/** Shortens text for debug logs, saying how long it was. */
export function truncate(text: string, max = DEBUG_TEXT_LIMIT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

export interface TelemetryLoggerSettings {
  /** pino level; `info` by default (`LOG_LEVEL`). */
  level?: LevelWithSilent;
  /** Where to write; stderr (synchronously) by default. */
  destination?: DestinationStream;
}

function loggerOptions(level: LevelWithSilent | undefined): LoggerOptions {
  return {
    level: level ?? "info",
    base: { component: "bruno-generation" },
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
  };
}

/** One logger for the process: JSON lines, credentials redacted. */
export function createTelemetryLogger(settings: TelemetryLoggerSettings = {}): Logger {
  return pino(loggerOptions(settings.level), settings.destination ?? pino.destination({ fd: STDERR, sync: true }));
}

export interface CliLoggerSettings {
  level: LevelWithSilent;
  /** Human-readable lines (pino-pretty) instead of JSON; for a terminal. */
  pretty: boolean;
  /** Colors in pretty lines (e.g. `stream.hasColors()`, which honours NO_COLOR); on by default. */
  colorize?: boolean;
}

/**
 * pino-pretty when it is installed (a development dependency: an installed package does not
 * bring it), else undefined. Loaded only when asked for: it takes a few hundred milliseconds.
 */
function loadPinoPretty(): typeof PinoPretty | undefined {
  try {
    return createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
    throw error;
  }
}

/**
 * The CLI's logger, always on stderr so stdout stays the answer: pretty, colored lines when
 * `pretty` is asked for (stderr is a terminal) and pino-pretty is installed, JSON lines
 * otherwise (pipes, files, log collectors, installs without pino-pretty).
 */
export function createCliLogger(settings: CliLoggerSettings): Logger {
  const pinoPretty = settings.pretty ? loadPinoPretty() : undefined;
  if (!pinoPretty) return createTelemetryLogger({ level: settings.level });
  const stream = pinoPretty({ destination: STDERR, sync: true, colorize: settings.colorize ?? true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,component" });
  return pino(loggerOptions(settings.level), stream);
}
