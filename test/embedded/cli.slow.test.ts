/**
 * The `bruno` command in process (`test/support/cliHarness.ts`) with no Ollama server and a real
 * GGUF file of `../shared/models/`: `auto` falls back to the embedded engine and streams real
 * tokens. The failures that load no model are in `cli.test.ts`.
 */
import { realpathSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bruno, lines, STACK_FRAME } from "../support/cliHarness.js";
import { closedPort, sharedModel } from "./models.js";

const RANDOM = sharedModel("llama-2-tiny-random.gguf");

describe("bruno with no Ollama server", () => {
  it("auto: uses the embedded engine with BRUNO_MODEL_PATH, says so on stderr, streams the answer and the sources", async () => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const result = await bruno(["ask", "Loki pods are crashing", "--docs", "examples/runbooks"], { env: { OLLAMA_HOST: host, BRUNO_MODEL_PATH: RANDOM, BRUNO_THREADS: "1" } });
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code).toBe(0);
    expect(lines(result.stderr)[0]).toBe(`using the embedded engine (${realpathSync(RANDOM)})`);
    expect(result.stdout).toContain("Sources (* cited):");
    expect(result.stdout).toContain("examples/runbooks/loki-crashloop.md");
    const answer = result.stdout.slice(0, result.stdout.indexOf("Sources (* cited):")).trim();
    expect(answer.length).toBeGreaterThan(100);
    expect(result.writes.length).toBeGreaterThan(5);
    expect(result.stderr).toMatch(/sre-agent:v1\.0 · troubleshooting\/\w+ · .* \d+ in \/ \d+ out tokens/);
  });

  it("--model-file picks the embedded engine without probing for a server", async () => {
    const result = await bruno(["ask", "hello there", "--type", "chat", "--model-file", RANDOM, "--json"], { env: { BRUNO_THREADS: "1" } });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const output = JSON.parse(result.stdout) as { model: string; usage: { outputTokens: number } };
    expect(output.usage.outputTokens).toBeGreaterThan(0);
  });
});
