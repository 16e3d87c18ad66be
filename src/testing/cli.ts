/**
 * Runs the fake Ollama server by hand:
 * `npm run fake-ollama -- --port 11434 [--host 127.0.0.1] [--models a,b,c] [--reply "text"] [--token-delay-ms N] [--first-token-delay-ms N]`.
 */
import { parseArgs } from "node:util";
import { DEFAULT_FAKE_MODELS, FakeOllama, type FakeOllamaOptions } from "./index.js";

const USAGE = "usage: npm run fake-ollama -- [--port 11434] [--host 127.0.0.1] [--models a,b,c] [--reply text] [--token-delay-ms N] [--first-token-delay-ms N]\n";

function fail(message: string): never {
  process.stderr.write(`fake-ollama: ${message}\n${USAGE}`);
  process.exit(2);
}

function nonNegative(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) fail(`--${name} must be a non-negative number, got ${JSON.stringify(value)}`);
  return parsed;
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse().values;
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stderr.write(USAGE);
    return;
  }
  const port = nonNegative("port", values.port, 11434);
  if (!Number.isInteger(port) || port > 65535) fail(`--port must be an integer between 0 and 65535, got ${values.port}`);
  const models = (values.models ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
  const reply = values.reply;
  const options: FakeOllamaOptions = {
    host: values.host ?? "127.0.0.1",
    port,
    timing: {
      tokenDelayMs: nonNegative("token-delay-ms", values["token-delay-ms"], 0),
      firstTokenDelayMs: nonNegative("first-token-delay-ms", values["first-token-delay-ms"], 0),
    },
    ...(models.length > 0 ? { models: models.map((name) => ({ name })) } : {}),
    ...(reply !== undefined ? { defaultReply: () => ({ content: reply }) } : {}),
  };
  const server = new FakeOllama(options);
  try {
    await server.listen();
  } catch (err) {
    fail(`cannot listen on ${options.host}:${port}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const listed = models.length > 0 ? models : DEFAULT_FAKE_MODELS.map((m) => m.name);
  process.stderr.write(`fake Ollama listening on ${server.url} (models: ${listed.join(", ")})\n`);
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function parse() {
  return parseArgs({
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string" },
      models: { type: "string", short: "m" },
      reply: { type: "string" },
      "token-delay-ms": { type: "string" },
      "first-token-delay-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
}

await main();
