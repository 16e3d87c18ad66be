import { realpathSync } from "node:fs";
/**
 * The `bruno` command as a child process with no Ollama server: `auto` falls back to the
 * embedded engine and streams real tokens; bad or unreachable model files fail with one line.
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_EMBEDDED_MODEL_URI } from "../../src/providers/embedded/download.js";
import { closedPort, removeTempDirs, ROOT, sharedModel, tempDir } from "./models.js";

const RANDOM = sharedModel("llama-2-tiny-random.gguf");
const CHILD_TIMEOUT_MS = 90_000;
const STACK_FRAME = /^\s+at\s/m;

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as the child wrote it, one entry per `data` event. */
  writes: string[];
  ms: number;
}

/** The parent's environment without anything that configures bruno or Ollama, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === "LOG_LEVEL" || key === "OLLAMA_HOST" || key === "HF_ENDPOINT" || key.startsWith("BRUNO_")) continue;
    base[key] = value;
  }
  return { ...base, NO_COLOR: "1", ...env };
}

function bruno(args: string[], env: Record<string, string>): Promise<ChildResult> {
  const started = performance.now();
  const child = spawn("node", ["bin/bruno.js", ...args], { cwd: ROOT, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  const writes: string[] = [];
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => writes.push(text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bruno ${args.join(" ")} did not exit within ${CHILD_TIMEOUT_MS} ms\nstderr: ${stderr}`));
    }, CHILD_TIMEOUT_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: writes.join(""), stderr, writes, ms: performance.now() - started });
    });
  });
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

afterAll(removeTempDirs);

describe("bruno with no Ollama server", () => {
  it(
    "auto: uses the embedded engine with BRUNO_MODEL_PATH, says so on stderr, streams the answer and the sources",
    async () => {
      const host = `http://127.0.0.1:${await closedPort()}`;
      const result = await bruno(["ask", "Loki pods are crashing", "--docs", "examples/runbooks"], { OLLAMA_HOST: host, BRUNO_MODEL_PATH: RANDOM, BRUNO_THREADS: "1" });
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(result.code).toBe(0);
      expect(lines(result.stderr)[0]).toBe(`using the embedded engine (${realpathSync(RANDOM)})`);
      expect(result.stdout).toContain("Sources (* cited):");
      expect(result.stdout).toContain("examples/runbooks/loki-crashloop.md");
      const answer = result.stdout.slice(0, result.stdout.indexOf("Sources (* cited):")).trim();
      expect(answer.length).toBeGreaterThan(100);
      expect(result.writes.length).toBeGreaterThan(5);
      expect(result.stderr).toMatch(/sre-agent:v1\.0 · troubleshooting\/\w+ · .* \d+ in \/ \d+ out tokens/);
    },
    CHILD_TIMEOUT_MS,
  );

  it(
    "--model-file picks the embedded engine without probing for a server",
    async () => {
      const result = await bruno(["ask", "hello there", "--type", "chat", "--model-file", RANDOM, "--json"], { BRUNO_THREADS: "1" });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      const output = JSON.parse(result.stdout) as { model: string; usage: { outputTokens: number } };
      expect(output.usage.outputTokens).toBeGreaterThan(0);
    },
    CHILD_TIMEOUT_MS,
  );

  it(
    "--model-file that is not a GGUF file: exit 4, one line naming the file",
    async () => {
      const notes = join(await tempDir(), "notes.gguf");
      await writeFile(notes, "just some notes\n");
      const result = await bruno(["ask", "Loki pods are crashing", "--model-file", notes], {});
      expect(result.code).toBe(4);
      expect(result.stdout).toBe("");
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(lines(result.stderr)).toEqual([expect.stringMatching(/^bruno: MODEL_FILE_INVALID: .*is not a GGUF model file/)]);
      expect(result.stderr).toContain(notes);
    },
    CHILD_TIMEOUT_MS,
  );

  it(
    "BRUNO_MODEL_PATH that does not exist: exit 4, one line naming the path",
    async () => {
      const missing = join(await tempDir(), "gone.gguf");
      const result = await bruno(["ask", "Loki pods are crashing"], { OLLAMA_HOST: `127.0.0.1:${await closedPort()}`, BRUNO_MODEL_PATH: missing });
      expect(result.code).toBe(4);
      expect(lines(result.stderr)).toEqual([`bruno: MODEL_FILE_INVALID: model file ${missing} does not exist: point BRUNO_MODEL_PATH or --model-file at a local .gguf file (e.g. a blob pulled by Ollama under ~/.ollama/models/blobs/ or a file downloaded by LM Studio)`]);
    },
    CHILD_TIMEOUT_MS,
  );

  it(
    "offline, the default model cannot be downloaded: exit 4 within seconds, one line saying how to use a local file",
    async () => {
      const cache = await tempDir();
      const result = await bruno(["ask", "Loki pods are crashing"], {
        BRUNO_PROVIDER: "embedded",
        BRUNO_MODEL_CACHE: cache,
        HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}/`,
      });
      expect(result.code).toBe(4);
      expect(result.stdout).toBe("");
      expect(result.stderr).not.toMatch(STACK_FRAME);
      const [line, ...rest] = lines(result.stderr);
      expect(rest).toEqual([]);
      expect(line).toMatch(/^bruno: MODEL_FILE_INVALID: cannot download the model /);
      expect(line).toContain(DEFAULT_EMBEDDED_MODEL_URI);
      expect(line).toContain("point BRUNO_MODEL_PATH or --model-file at a local .gguf file");
      expect(result.ms).toBeLessThan(30_000);
    },
    CHILD_TIMEOUT_MS,
  );

  it(
    "--provider with an unknown value: exit 2",
    async () => {
      const result = await bruno(["ask", "x", "--provider", "llamafile"], {});
      expect(result.code).toBe(2);
      expect(lines(result.stderr)).toEqual([expect.stringMatching(/^bruno: INVALID_INPUT: .*--provider must be one of ollama, embedded, auto, not 'llamafile'/)]);
    },
    CHILD_TIMEOUT_MS,
  );
});
