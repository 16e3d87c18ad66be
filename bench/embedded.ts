/**
 * Tokens per second of the embedded engine on this machine, per thread count, on the tiny GGUF
 * models of `../shared/models/` (or any GGUF given by path): `npm run bench:embedded -- [--tokens 256] [--runs 3]
 * [--seconds 10] [--models a.gguf,./path/to/b.gguf]`.
 *
 * Rows "threads 1", "threads 2" and "default" run node-llama-cpp directly (the default row sets no
 * thread count, so it shows what node-llama-cpp picks); the "bruno" row runs the same generation
 * through `ChatLlamaCpp` with `DEFAULT_EMBEDDED_THREADS`, counting the chunks the graph would stream.
 * A run stops after `--seconds`, so a slow setting costs at most that.
 *
 * Cold start: "load" is node-llama-cpp's `loadModel` + `createContext`; "cold first token" is the
 * time from nothing loaded to the first token of the first generation (the load included): driven
 * directly, and through `ChatLlamaCpp`, whose engine loads the model on its first call.
 */
import { HumanMessage } from "@langchain/core/messages";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { getLlama, LlamaChat, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { ChatLlamaCpp } from "../src/providers/embedded/chatLlamaCpp.js";
import { summarize } from "./lib/stats.js";
import { DEFAULT_EMBEDDED_THREADS, disposeEmbeddedEngines, EmbeddedEngine } from "../src/providers/embedded/engine.js";
import { wholeNumber } from "./lib/options.js";

const MODELS_DIR = fileURLToPath(new URL("../../shared/models/", import.meta.url));
const PROMPT = "Tell me a story about a little girl who finds a box in the park.";
const CONTEXT_SIZE = 2048;

interface Row {
  model: string;
  setting: string;
  threads: number;
  tokensPerSecond: number[];
  /** loadModel + createContext (direct rows only). */
  loadMs?: number;
  /** From nothing loaded to the first token of the first generation. */
  coldFirstTokenMs: number;
}

const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "256" },
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    models: { type: "string", default: "llama-2-tiny-random.gguf,stories260K.gguf" },
  },
});
const maxTokens = wholeNumber("tokens", values.tokens, 1);
const runs = wholeNumber("runs", values.runs, 1);
const capMs = wholeNumber("seconds", values.seconds, 1) * 1000;

function median(xs: readonly number[]): number {
  return summarize(xs).p50;
}

async function directRun(llama: Llama, file: string, threads: number | undefined): Promise<{ threads: number; rates: number[]; loadMs: number; coldFirstTokenMs: number }> {
  const loadStarted = performance.now();
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: CONTEXT_SIZE, ...(threads !== undefined ? { threads } : {}) });
  const loadMs = performance.now() - loadStarted;
  let coldFirstTokenMs = Number.NaN;
  const rates: number[] = [];
  try {
    for (let run = 0; run <= runs; run += 1) {
      const chat = new LlamaChat({ contextSequence: context.getSequence() });
      let tokens = 0;
      const started = performance.now();
      const signal = AbortSignal.timeout(capMs);
      try {
        await chat.generateResponse(
          [
            { type: "user", text: PROMPT },
            { type: "model", response: [] },
          ],
          {
            maxTokens: run === 0 ? 16 : maxTokens,
            temperature: 0,
            signal,
            stopOnAbortSignal: true,
            onToken: (t) => {
              if (run === 0 && tokens === 0 && t.length > 0) coldFirstTokenMs = performance.now() - loadStarted;
              tokens += t.length;
            },
          },
        );
      } catch (error) {
        if (!signal.aborted) throw error;
      }
      const ms = performance.now() - started;
      chat.dispose({ disposeSequence: true });
      if (run > 0) rates.push((tokens / ms) * 1000);
    }
    return { threads: context.currentThreads, rates, loadMs, coldFirstTokenMs };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

async function adapterRun(file: string): Promise<{ rates: number[]; coldFirstTokenMs: number }> {
  const coldStarted = performance.now();
  let coldFirstTokenMs = Number.NaN;
  const engine = new EmbeddedEngine({ threads: DEFAULT_EMBEDDED_THREADS, contextSize: CONTEXT_SIZE, sequences: 1 });
  const chat = new ChatLlamaCpp({ engine, modelFile: file, model: "bench", temperature: 0, maxTokens });
  const rates: number[] = [];
  try {
    for (let run = 0; run <= runs; run += 1) {
      let chunks = 0;
      let outputTokens = 0;
      const started = performance.now();
      const signal = AbortSignal.timeout(capMs);
      try {
        for await (const chunk of await chat.stream([new HumanMessage(PROMPT)], { signal, maxTokens: run === 0 ? 16 : maxTokens })) {
          if (chunk.content !== "") {
            if (run === 0 && chunks === 0) coldFirstTokenMs = performance.now() - coldStarted;
            chunks += 1;
          }
          outputTokens = chunk.usage_metadata?.output_tokens ?? outputTokens;
        }
      } catch (error) {
        if (!signal.aborted) throw error;
      }
      const ms = performance.now() - started;
      if (run > 0) rates.push(((outputTokens || chunks) / ms) * 1000);
    }
    return { rates, coldFirstTokenMs };
  } finally {
    await engine.dispose();
  }
}

async function main(): Promise<void> {
  const files = values.models
    .split(",")
    .map((name) => name.trim())
    .map((name) => ({ name: basename(name), path: name.includes("/") ? resolve(name) : `${MODELS_DIR}${name}` }));
  for (const file of files) {
    if (!existsSync(file.path)) throw new Error(`model file ${file.path} is missing (names without a slash are looked up in ../shared/models/)`);
  }
  const bindingStarted = performance.now();
  const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.disabled });
  const bindingMs = performance.now() - bindingStarted;
  process.stdout.write(
    `node-llama-cpp on ${cpus().length} logical CPUs (${cpus()[0]?.model ?? "unknown"}); ${maxTokens} tokens per run, median of ${runs} runs, temperature 0, runs capped at ${capMs / 1000} s\n`,
  );
  process.stdout.write(
    `Loading the llama.cpp binding (getLlama) took ${bindingMs.toFixed(0)} ms here, outside the direct rows' times; the embedded engine loads its own binding on its first call, so the first "bruno" row's cold first token includes it.\n\n`,
  );
  const rows: Row[] = [];
  for (const file of files) {
    for (const threads of [1, 2, undefined]) {
      const { threads: used, rates, loadMs, coldFirstTokenMs } = await directRun(llama, file.path, threads);
      rows.push({ model: file.name, setting: threads === undefined ? "default" : `threads ${threads}`, threads: used, tokensPerSecond: rates, loadMs, coldFirstTokenMs });
      process.stderr.write(`  ${file.name} ${threads ?? "default"}: ${median(rates).toFixed(1)} tok/s\n`);
    }
    const { rates, coldFirstTokenMs } = await adapterRun(file.path);
    rows.push({ model: file.name, setting: `bruno (ChatLlamaCpp, ${DEFAULT_EMBEDDED_THREADS} thread)`, threads: DEFAULT_EMBEDDED_THREADS, tokensPerSecond: rates, coldFirstTokenMs });
  }
  await llama.dispose();
  await disposeEmbeddedEngines();
  process.stdout.write("| model | setting | threads used | tokens/s (median) | runs | load ms | cold first token ms |\n| --- | --- | --- | --- | --- | --- | --- |\n");
  for (const row of rows) {
    const load = row.loadMs === undefined ? "(in the first call)" : row.loadMs.toFixed(0);
    process.stdout.write(
      `| ${row.model} | ${row.setting} | ${row.threads} | ${median(row.tokensPerSecond).toFixed(1)} | ${row.tokensPerSecond.map((r) => r.toFixed(0)).join(", ")} | ${load} | ${row.coldFirstTokenMs.toFixed(0)} |\n`,
    );
  }
}

await main();
