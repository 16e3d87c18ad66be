/**
 * Loading node-llama-cpp, an optional dependency of the package: its prebuilt binaries take
 * hundreds of megabytes, so `npm install --omit=optional` (or an install that could not fetch
 * them) goes without, and nothing imports it until the embedded engine is used.
 */
import { ConfigError } from "../../domain/errors.js";
import { lazy } from "../../runtime/lazy.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");

/** The command that installs the embedded engine (the version the package is tested with). */
export const EMBEDDED_ENGINE_INSTALL = "npm install node-llama-cpp@3.21.1";

/** The embedded engine was asked for, but node-llama-cpp is not installed. */
export class EmbeddedEngineMissingError extends ConfigError {
  override name = "EmbeddedEngineMissingError";
  constructor(options: { cause?: unknown } = {}) {
    super(`the embedded engine needs node-llama-cpp, which is not installed: run \`${EMBEDDED_ENGINE_INSTALL}\`, or use an Ollama server (--provider ollama)`, {
      ...options,
      details: { dependency: "node-llama-cpp", install: EMBEDDED_ENGINE_INSTALL },
    });
  }
}

/** True when `error` is Node's "package not found" for `name` itself (not for one of its own dependencies). */
function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && typeof message === "string" && message.includes(`'${name}'`);
}

/**
 * Imports node-llama-cpp (`specifier` exists for tests), turning its absence into an
 * `EmbeddedEngineMissingError` that names the install command.
 */
export async function importEmbeddedEngine(specifier = "node-llama-cpp"): Promise<NodeLlamaCpp> {
  try {
    return (await import(specifier)) as NodeLlamaCpp;
  } catch (error) {
    if (isMissingPackage(error, specifier)) throw new EmbeddedEngineMissingError({ cause: error });
    throw error;
  }
}

const embeddedEngineModule = lazy(() => importEmbeddedEngine());

/**
 * node-llama-cpp, imported on first use: its import alone takes about half a second, and Ollama
 * users never need it (nor need it installed). Rejects with `EmbeddedEngineMissingError` when it
 * is not installed.
 */
export function nodeLlamaCpp(): Promise<NodeLlamaCpp> {
  return embeddedEngineModule.get();
}
