import type { EvalIo } from "../run.js";

/** An `EvalIo` whose stdout and stderr collect their text, for the eval runner's tests. */
export function captureIo(env: Record<string, string | undefined> = {}, signal?: AbortSignal): EvalIo & { stdout: { text: string }; stderr: { text: string } } {
  const stdout = {
    text: "",
    write(t: string) {
      this.text += t;
    },
  };
  const stderr = {
    text: "",
    isTTY: false,
    write(t: string) {
      this.text += t;
    },
  };
  return { stdout, stderr, env: { LOG_LEVEL: "silent", ...env }, ...(signal ? { signal } : {}) };
}
