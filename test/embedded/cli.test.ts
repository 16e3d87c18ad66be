/**
 * The `bruno` command in process (`test/support/cliHarness.ts`) with an embedded-engine setting
 * that cannot work: a file that is not GGUF, a path that does not exist, a download that cannot
 * happen offline, an unknown provider. Each fails with one line and an exit code, loading no
 * model. Runs with a real GGUF file are in `cli.slow.test.ts`.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { DEFAULT_EMBEDDED_MODEL_URI } from "../../src/providers/embedded/download.js";
import { bruno, lines, STACK_FRAME } from "../support/cliHarness.js";
import { closedPort, removeTempDirs, tempDir } from "./models.js";

afterAll(removeTempDirs);

describe.concurrent("bruno with an embedded-engine setting that cannot work", () => {
  it("--model-file that is not a GGUF file: exit 4, one line naming the file", async ({ expect }) => {
    const notes = join(await tempDir(), "notes.gguf");
    await writeFile(notes, "just some notes\n");
    const result = await bruno(["ask", "Loki pods are crashing", "--model-file", notes]);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe("");
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^bruno: MODEL_FILE_INVALID: .*is not a GGUF model file/)]);
    expect(result.stderr).toContain(notes);
  });

  it("BRUNO_MODEL_PATH that does not exist: exit 4, one line naming the path", async ({ expect }) => {
    const missing = join(await tempDir(), "gone.gguf");
    const result = await bruno(["ask", "Loki pods are crashing"], { env: { OLLAMA_HOST: `127.0.0.1:${await closedPort()}`, BRUNO_MODEL_PATH: missing } });
    expect(result.code).toBe(4);
    expect(lines(result.stderr)).toEqual([
      `bruno: MODEL_FILE_INVALID: model file ${missing} does not exist: point BRUNO_MODEL_PATH or --model-file at a local .gguf file (e.g. a blob pulled by Ollama under ~/.ollama/models/blobs/ or a file downloaded by LM Studio)`,
    ]);
  });

  it("offline, the default model cannot be downloaded: exit 4 within seconds, one line saying how to use a local file", async ({ expect }) => {
    const cache = await tempDir();
    const result = await bruno(["ask", "Loki pods are crashing"], {
      env: { BRUNO_PROVIDER: "embedded", BRUNO_MODEL_CACHE: cache, HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}/` },
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
  });

  it("--provider with an unknown value: exit 2", async ({ expect }) => {
    const result = await bruno(["ask", "x", "--provider", "llamafile"]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^bruno: INVALID_INPUT: .*--provider must be one of ollama, embedded, auto, not 'llamafile'/)]);
  });
});
