import { z } from "zod";
import { OllamaCredentials } from "./credentials.js";
import { readOllamaHost, readOllamaHosts, type OllamaHostEntry } from "./ollamaHost.js";

/*
 * The kinds of value a setting takes. Each schema reads the text of an environment variable
 * (numbers are coerced) and says in plain words what it expected; the message is what a user
 * sees after the variable's name.
 */

function numberKind(expected: string) {
  return z.coerce.number({ error: expected });
}

const POSITIVE = "expected a positive integer";
/** 1, 2, 3, … */
export const positiveInt = numberKind(POSITIVE).int({ error: POSITIVE }).positive({ error: POSITIVE });

const COUNT = "expected an integer of 0 or more";
/** 0, 1, 2, … */
export const count = numberKind(COUNT).int({ error: COUNT }).min(0, { error: COUNT });

const INTEGER = "expected an integer";
/** Any integer. */
export const integer = numberKind(INTEGER).int({ error: INTEGER });

const FRACTION = "expected a number from 0 to 1";
/** A number from 0 to 1. */
export const fraction = numberKind(FRACTION).min(0, { error: FRACTION }).max(1, { error: FRACTION });

/** Non-empty text: a path, a model name, a duration. */
export const text = z.string({ error: "expected text" }).min(1, { error: "expected a non-empty value" });

/** A URL. */
export const url = z.url({ error: "expected a URL such as https://huggingface.co/" });

/** An Ollama address, normalized as Ollama reads `OLLAMA_HOST`. */
export const ollamaHost = z.string({ error: "expected an address such as host:port or http://host:port" }).transform((raw, ctx) => {
  const reading = readOllamaHost(raw);
  if (reading.ok) return reading.value;
  ctx.issues.push({ code: "custom", message: reading.problem, input: raw });
  return z.NEVER;
});

const OllamaHostEntrySchema = z.object({ address: z.string(), credentials: z.instanceof(OllamaCredentials).optional() });

/**
 * Several Ollama addresses, comma-separated, each in `OLLAMA_HOST`'s form: read into a list of
 * `{ address, credentials }` (see `readOllamaHosts`). A list already read passes unchanged.
 */
export const ollamaHostList = z.unknown().transform((raw, ctx): OllamaHostEntry[] => {
  if (typeof raw === "string") {
    const reading = readOllamaHosts(raw);
    if (reading.ok) return reading.value;
    ctx.issues.push({ code: "custom", message: reading.problem, input: raw });
    return z.NEVER;
  }
  const list = z.array(OllamaHostEntrySchema).min(1).safeParse(raw);
  if (list.success) return list.data;
  ctx.issues.push({ code: "custom", message: "expected addresses such as http://a:11434,http://b:11434", input: raw });
  return z.NEVER;
});

/** One of a fixed list of lower-case words; the environment reader accepts any case. */
export function oneOf<const V extends readonly [string, ...string[]]>(values: V) {
  return z.enum(values, { error: `expected one of ${values.join(", ")}` });
}
