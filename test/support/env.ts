/**
 * The one environment scrubber of the tests: the test runner's environment without anything that
 * configures bruno, Ollama, LangSmith or the model download, so a developer's shell settings
 * (an `OLLAMA_HOST`, a `BRUNO_*` timeout, LangSmith tracing) never change what a test sees.
 * Used by the in-process CLI harness (`cliHarness.ts`) and by the spawn helper (`spawn.ts`).
 */

/** Single variables that configure the package or what it talks to. */
const CONFIGURING = new Set(["LOG_LEVEL", "OLLAMA_HOST", "HF_ENDPOINT"]);
/** Prefixes of variable families that configure it (settings, LangSmith / LangChain tracing). */
const CONFIGURING_PREFIXES = ["BRUNO_", "LANGSMITH_", "LANGCHAIN_"];

export type Env = Record<string, string | undefined>;

/** True when `name` configures bruno or a service it reaches. */
export function configuresBruno(name: string): boolean {
  return CONFIGURING.has(name) || CONFIGURING_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * `base` (the runner's environment by default) without the configuring variables, with
 * `NO_COLOR=1`, then `extra` on top (an `undefined` value removes a variable).
 */
export function scrubbedEnv(extra: Env = {}, base: Env = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !configuresBruno(key)) env[key] = value;
  }
  env.NO_COLOR = "1";
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
