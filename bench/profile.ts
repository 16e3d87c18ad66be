/**
 * A profiling driver: runs only one client against the synthetic model, so a CPU profile shows
 * that client's cost. It writes the measured turns' time window (`--window`) so the summary leaves
 * out start-up and warm-up. Run it under the profiler and summarize:
 *
 *   node --cpu-prof --cpu-prof-dir bench/out/prof/graph --import tsx bench/profile.ts --client graph --turns 300 --window bench/out/prof/graph.json
 *   npx tsx bench/profile-summary.ts bench/out/prof/graph/*.cpuprofile --window bench/out/prof/graph.json --per 300
 *
 * `--client`: `graph` (no checkpointer), `compiled` (`buildGenerationGraph().compile()`, no run wrapper), `memory` / `sqlite` (one thread: `--warmup` turns deep
 * before the `--turns` measured ones), or `bare` (ChatOllama replaying the graph's request).
 * `--first-token-ms`, `--token-ms`, `--tokens`: the synthetic model (default 0 ms × 100 tokens).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildGenerationGraph } from "../src/index.js";
import { benchConfig, benchGraph, INPUT, memoryGraph, now } from "./lib/fixtures.js";
import { createSaver, type Saver } from "./lib/savers.js";
import { summarize } from "./lib/stats.js";
import { makeProfile, SyntheticOllama } from "./lib/synthetic.js";
import { bareFor } from "./sections/overhead.js";
import { wholeNumber } from "./lib/options.js";

const { values } = parseArgs({
  options: {
    client: { type: "string", default: "graph" },
    turns: { type: "string", default: "300" },
    warmup: { type: "string", default: "20" },
    tokens: { type: "string", default: "100" },
    "first-token-ms": { type: "string", default: "0" },
    "token-ms": { type: "string", default: "0" },
    window: { type: "string", default: "bench/out/prof/window.json" },
  },
});

async function main(): Promise<void> {
  const profile = makeProfile({
    loadMs: 0,
    firstTokenMs: wholeNumber("first-token-ms", values["first-token-ms"]),
    tokenMs: wholeNumber("token-ms", values["token-ms"]),
    tokens: wholeNumber("tokens", values.tokens, 1),
  });
  const syn = await SyntheticOllama.start(profile);
  const dir = mkdtempSync(join(tmpdir(), "bruno-prof-"));
  let saver: Saver | undefined;
  try {
    const turns = wholeNumber("turns", values.turns, 1);
    const warmup = wholeNumber("warmup", values.warmup);
    let run: (i: number) => Promise<unknown>;
    switch (values.client) {
      case "bare": {
        const graph = benchGraph(syn.url);
        const bare = await bareFor(syn, graph);
        run = () => bare.model.invoke(bare.messages);
        break;
      }
      case "graph": {
        const graph = benchGraph(syn.url);
        run = () => graph.invoke(INPUT);
        break;
      }
      case "compiled": {
        const graph = buildGenerationGraph({ config: benchConfig(syn.url) }).compile();
        run = () => graph.invoke(INPUT);
        break;
      }
      case "memory": {
        const graph = memoryGraph(syn.url);
        run = () => graph.invoke(INPUT, { configurable: { thread_id: "profile" } });
        break;
      }
      case "sqlite": {
        saver = createSaver("sqlite", join(dir, "profile.sqlite"));
        const graph = benchGraph(syn.url, { checkpointer: saver.saver });
        run = () => graph.invoke(INPUT, { configurable: { thread_id: "profile" } });
        break;
      }
      default:
        throw new Error(`unknown --client ${values.client}`);
    }
    for (let i = 0; i < warmup; i += 1) await run(i);
    const times: number[] = [];
    // The profiler's timestamps are CLOCK_MONOTONIC microseconds, like hrtime: the summary keeps only this window.
    const startUs = Number(process.hrtime.bigint() / 1000n);
    for (let i = 0; i < turns; i += 1) {
      const t0 = now();
      await run(i);
      times.push(now() - t0);
      if (i % 100 === 99) syn.clearRequests();
    }
    const endUs = Number(process.hrtime.bigint() / 1000n);
    mkdirSync(join(values.window, ".."), { recursive: true });
    writeFileSync(values.window, JSON.stringify({ client: values.client, turns, startUs, endUs }));
    const s = summarize(times);
    process.stdout.write(`${values.client} at ${profile.label}: ${turns} turns, p50 ${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, mean ${s.mean.toFixed(2)} ms\n`);
  } finally {
    await syn.close();
    saver?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
