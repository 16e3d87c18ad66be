import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/** Paths that can hold credentials; pino replaces their values. */
export const REDACT_PATHS = [
  "headers.authorization",
  "headers.Authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
  "apiKey",
  "*.apiKey",
  "config.langsmithApiKey",
];

export interface LoggerSettings {
  level: LoggerOptions["level"];
  /** Where to write JSON lines; stderr by default so stdout stays the answer. */
  destination?: pino.DestinationStream;
}

/** The package's logger: JSON lines, credentials redacted. */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: { component: "bruno-generation" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  return pino(options, settings.destination ?? pino.destination({ fd: 2, sync: true }));
}

/** Shortens text for debug logs. */
export function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}
