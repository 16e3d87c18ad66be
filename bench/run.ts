/**
 * The performance harness: `npm run bench` (the full run, about 25 minutes on a 2-core machine)
 * or `npm run bench -- --quick` (about 2 minutes). Everything runs against the Ollama-protocol test
 * server playing a synthetic model, and every figure is measured against its baseline in the same
 * process and run (interleaved iterations, warm-up first): the bare ChatOllama call sending the
 * identical request, a graph without a checkpointer, the ideal throughput.
 *
 * Prints Markdown tables on stdout (progress on stderr) and writes `bench/results.json`.
 *
 *   --quick                  fewer iterations, shorter runs
 *   --only a,b               sections: breakdown, overhead, streaming, concurrency, cache, checkpoints, memory, embedded
 *   --embedded               also run `bench/embedded.ts` (the embedded engine; off by default, it takes minutes)
 *   --out FILE               where to write the JSON (default bench/results.json)
 *   --first-token-ms, --token-ms, --tokens, --load-ms   the synthetic model of the slow profile (50, 20, 100, 500)
 *   --depth N                deepest checkpoint turn (default 1000; quick 200)
 *   --memory-turns N, --memory-threads N                 the memory test (default 10000 over 1000; quick 400 over 40)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { load, machine, now } from "./lib/fixtures.js";
import { bytes, ms, num, pct, ppp, ratio, table } from "./lib/format.js";
import { CHECKPOINT_VARIANTS, type CheckpointVariant } from "./lib/savers.js";
import type { MemoryKind } from "./memory-child.js";
import { makeProfile, SyntheticOllama } from "./lib/synthetic.js";
import { breakdownJson, runBreakdown, type BreakdownResult } from "./sections/breakdown.js";
import { cacheJson, runCache, type CacheResult } from "./sections/cache.js";
import { checkpointsJson, runCheckpoints, type CheckpointResult } from "./sections/checkpoints.js";
import { concurrencyJson, runConcurrency, type ConcurrencyResult } from "./sections/concurrency.js";
import { memoryJson, runMemory, type MemoryResult } from "./sections/memory.js";
import { coldStartJson, overheadJson, runColdStart, runOverhead, type ColdStartResult, type OverheadResult } from "./sections/overhead.js";
import { runStreaming, streamingJson, type StreamingResult } from "./sections/streaming.js";
import { wholeNumber } from "./lib/options.js";

const SECTIONS = ["breakdown", "overhead", "streaming", "concurrency", "cache", "checkpoints", "memory", "embedded"] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", default: "" },
    embedded: { type: "boolean", default: false },
    out: { type: "string", default: fileURLToPath(new URL("./results.json", import.meta.url)) },
    "first-token-ms": { type: "string", default: "50" },
    "token-ms": { type: "string", default: "20" },
    tokens: { type: "string", default: "100" },
    "load-ms": { type: "string", default: "500" },
    depth: { type: "string" },
    "memory-turns": { type: "string" },
    "memory-threads": { type: "string" },
  },
});

const quick = values.quick;
const tokens = wholeNumber("tokens", values.tokens, 1);
/** The two models of the issue: instant, and 50 ms to the first token then 20 ms per token. */
const FAST = makeProfile({ loadMs: 0, firstTokenMs: 0, tokenMs: 0, tokens });
const SLOW = makeProfile({ loadMs: 0, firstTokenMs: wholeNumber("first-token-ms", values["first-token-ms"]), tokenMs: wholeNumber("token-ms", values["token-ms"]), tokens });
const COLD = makeProfile({ loadMs: wholeNumber("load-ms", values["load-ms"]), firstTokenMs: 0, tokenMs: 0, tokens });
/** Quick runs push 100 threads through a shorter answer (30 tokens, about 0.65 s), so the run takes about 20 s, not 70. */
const CONCURRENCY_MODEL = quick ? makeProfile({ loadMs: 0, firstTokenMs: SLOW.firstTokenMs, tokenMs: SLOW.tokenMs, tokens: 30 }) : SLOW;

const depth = wholeNumber("depth", values.depth ?? (quick ? "200" : "1000"), 1);
const plan = {
  mode: quick ? "quick" : "full",
  breakdown: quick ? { warmup: 5, iterations: 20 } : { warmup: 20, iterations: 200 },
  overheadFast: quick ? { warmup: 5, iterations: 30 } : { warmup: 20, iterations: 300 },
  // The 0 ms sections run first and warm the process up, so the 2-second turns need little warm-up of their own.
  overheadSlow: quick ? { warmup: 0, iterations: 3, withMemorySaver: false } : { warmup: 2, iterations: 30, withMemorySaver: true },
  coldStartReps: quick ? 2 : 5,
  streamingFast: quick ? { warmup: 5, iterations: 30 } : { warmup: 20, iterations: 300 },
  streamingSlow: quick ? { warmup: 0, iterations: 3 } : { warmup: 2, iterations: 20 },
  concurrency: { threads: 100, limit: 3, baselineRuns: quick ? 3 : 5, bareSemaphoreRun: !quick, defaultQueueRun: true },
  cache: quick ? { repeats: 3, iterations: 30, lookups: 2000 } : { repeats: 10, iterations: 200, lookups: 20000 },
  checkpoints: {
    variants: (quick ? ["memory", "sqlite", "sqlite-async"] : ["memory", "sqlite", "sqlite-async", "sqlite-normal"]).map((id) => CHECKPOINT_VARIANTS[id] as CheckpointVariant),
    marks: [...new Set([1, Math.min(100, depth), depth])],
    window: quick ? 10 : 20,
    firstTurnThreads: quick ? 10 : 20,
  },
  memory: {
    kinds: ["none", "sqlite", "memory"] as MemoryKind[],
    turns: wholeNumber("memory-turns", values["memory-turns"] ?? (quick ? "400" : "10000"), 1),
    threads: wholeNumber("memory-threads", values["memory-threads"] ?? (quick ? "40" : "1000"), 1),
    concurrency: 4,
    samples: quick ? 8 : 20,
  },
};

const only = new Set<Section>((values.only ? values.only.split(",") : SECTIONS.filter((s) => s !== "embedded" || values.embedded)).map((s) => s.trim() as Section));
for (const s of only) {
  if (!SECTIONS.includes(s)) {
    process.stderr.write(`--only: unknown section '${s}'; the sections are ${SECTIONS.join(", ")}\n`);
    process.exit(2);
  }
}

const progress = (text: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${load().join(" ")}] ${text}\n`);

interface SectionRun<T> {
  result?: T;
  error?: string;
  load: { start: [number, number, number]; end: [number, number, number] };
  wallMs: number;
}

async function section<T>(name: Section, fn: () => Promise<T>): Promise<SectionRun<T> | undefined> {
  if (!only.has(name)) return undefined;
  const start = load();
  const t0 = now();
  progress(`${name}…`);
  try {
    const result = await fn();
    return { result, load: { start, end: load() }, wallMs: now() - t0 };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    progress(`${name} FAILED: ${message}`);
    return { error: message, load: { start, end: load() }, wallMs: now() - t0 };
  }
}

/** What each section produced (absent when it did not run). */
interface Runs {
  breakdown?: SectionRun<BreakdownResult> | undefined;
  overheadFast?: SectionRun<OverheadResult> | undefined;
  overheadSlow?: SectionRun<OverheadResult> | undefined;
  coldStart?: SectionRun<ColdStartResult> | undefined;
  streamingFast?: SectionRun<StreamingResult> | undefined;
  streamingSlow?: SectionRun<StreamingResult> | undefined;
  concurrency?: SectionRun<ConcurrencyResult> | undefined;
  cache?: SectionRun<CacheResult> | undefined;
  checkpoints?: SectionRun<CheckpointResult[]> | undefined;
  memory?: SectionRun<MemoryResult[]> | undefined;
  embedded?: SectionRun<EmbeddedRun> | undefined;
}

interface EmbeddedRun {
  ran: boolean;
  note: string;
  command: string;
  stdout?: string;
}

function runEmbeddedBench(): Promise<EmbeddedRun> {
  const script = fileURLToPath(new URL("./embedded.ts", import.meta.url));
  const models = fileURLToPath(new URL("../../shared/models/", import.meta.url));
  const command = "npm run bench:embedded (bench/embedded.ts)";
  const note =
    "bench/embedded.ts: tokens per second, model load and cold first token of node-llama-cpp driven directly (1, 2 and default threads) vs the graph's ChatLlamaCpp, on the tiny GGUF models";
  if (!existsSync(script) || !existsSync(models)) return Promise.resolve({ ran: false, note: `${note}; skipped: ${existsSync(script) ? models : script} is missing`, command });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, "--runs", quick ? "1" : "3", "--tokens", quick ? "64" : "256", "--seconds", quick ? "5" : "10"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ ran: code === 0, note: code === 0 ? note : `${note}; exited with ${code}`, command, stdout: out }));
  });
}

interface Target {
  id: string;
  target: string;
  figure: string;
  met: boolean | null;
  note?: string;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = load();
  const syn = await SyntheticOllama.start(FAST);
  const runs: Runs = {};
  try {
    runs.breakdown = await section("breakdown", () => runBreakdown(syn, FAST, plan.breakdown));
    runs.overheadFast = await section("overhead", () => runOverhead(syn, FAST, { ...plan.overheadFast, withMemorySaver: true }));
    runs.overheadSlow = await section("overhead", () => runOverhead(syn, SLOW, plan.overheadSlow));
    runs.coldStart = await section("overhead", () => runColdStart(syn, COLD, plan.coldStartReps));
    runs.streamingFast = await section("streaming", () => runStreaming(syn, FAST, plan.streamingFast));
    runs.streamingSlow = await section("streaming", () => runStreaming(syn, SLOW, plan.streamingSlow));
    runs.concurrency = await section("concurrency", () => runConcurrency(syn, CONCURRENCY_MODEL, plan.concurrency));
    runs.cache = await section("cache", () => runCache(syn, quick ? CONCURRENCY_MODEL : SLOW, FAST, plan.cache));
    runs.checkpoints = await section("checkpoints", () => runCheckpoints(syn, FAST, plan.checkpoints));
  } finally {
    await syn.close();
  }
  runs.memory = await section("memory", () => runMemory(plan.memory, progress));
  runs.embedded = await section("embedded", runEmbeddedBench);
  const loadEnd = load();
  const finishedAt = new Date();

  const targets = evaluate(runs);
  const text = render(runs, targets, { startedAt, loadStart, loadEnd });
  process.stdout.write(text);

  const json = {
    schema: 1,
    date: startedAt.toISOString(),
    finished: finishedAt.toISOString(),
    mode: plan.mode,
    machine: machine(),
    loadAverage: { start: loadStart, end: loadEnd },
    models: { fast: FAST, slow: SLOW, coldStart: COLD, concurrency: CONCURRENCY_MODEL },
    plan: { ...plan, checkpoints: { ...plan.checkpoints, variants: plan.checkpoints.variants.map((v) => v.id) } },
    targets,
    sections: {
      breakdown: wrap(runs.breakdown, breakdownJson),
      overhead: {
        fast: wrap(runs.overheadFast, overheadJson),
        slow: wrap(runs.overheadSlow, overheadJson),
        coldStart: wrap(runs.coldStart, coldStartJson),
      },
      streaming: { fast: wrap(runs.streamingFast, streamingJson), slow: wrap(runs.streamingSlow, streamingJson) },
      concurrency: wrap(runs.concurrency, concurrencyJson),
      cache: wrap(runs.cache, cacheJson),
      checkpoints: wrap(runs.checkpoints, (rs) => rs.map(checkpointsJson)),
      memory: wrap(runs.memory, (rs) => rs.map(memoryJson)),
      embedded: wrap(runs.embedded, (r) => r),
    },
    table: text,
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`);
  progress(`wrote ${values.out}`);
}

function wrap<T>(run: SectionRun<T> | undefined, toJson: (r: T) => unknown): unknown {
  if (!run) return { skipped: true };
  return { load: run.load, wallMs: Math.round(run.wallMs), ...(run.error !== undefined ? { error: run.error } : {}), ...(run.result !== undefined ? { result: toJson(run.result) } : {}) };
}

function evaluate(runs: Runs): Target[] {
  const t: Target[] = [];
  const slow = runs.overheadSlow?.result;
  if (slow)
    t.push({
      id: "overhead-slow",
      target: `overhead ≤ 1.02× at ${slow.profile.label}`,
      figure: `${ratio(slow.ratio.p50, 4)} (paired p50; ratio of p50s ${ratio(slow.ratioOfMedians, 4)})`,
      met: slow.ratio.p50 <= 1.02 && slow.errors === 0,
    });
  const fast = runs.overheadFast?.result;
  if (fast)
    t.push({
      id: "overhead-fast",
      target: `overhead ≤ 3 ms extra at ${fast.profile.label}`,
      figure: `+${ms(fast.extraMs.p50, 2)} wall, +${ms(fast.cpuExtraMs.p50, 2)} CPU (paired p50)`,
      met: fast.extraMs.p50 <= 3 && fast.errors === 0,
    });
  for (const s of [runs.streamingSlow?.result, runs.streamingFast?.result]) {
    if (s)
      t.push({
        id: `ttft-${s.profile.label}`,
        target: `time-to-first-token overhead ≤ 5 ms p50 at ${s.profile.label}, every token arrives`,
        figure: `+${ms(s.extraMs.p50, 2)}; tokens ${s.graphTokens.min}–${s.graphTokens.max} of ${s.expectedTokens} (bare ${s.bareTokens.min}–${s.bareTokens.max})`,
        met: s.extraMs.p50 <= 5 && s.allTokensArrived,
      });
  }
  const c = runs.concurrency?.result;
  if (c)
    t.push({
      id: "concurrency",
      target: "concurrency ≥ 95 % of ideal with 0 errors",
      figure: `${pct(c.ofIdeal)} of ideal (${num(c.graph.perSecond, 2)}/s vs ${num(c.idealPerSecond, 2)}/s), ${c.graph.errors} errors`,
      met: c.ofIdeal >= 0.95 && c.graph.errors === 0,
    });
  const ca = runs.cache?.result;
  if (ca) {
    t.push({
      id: "cache",
      target: "cache hit ≤ 1 ms",
      figure: `${num(ca.node.hitUs.p50, 1)} µs p50 (p99 ${num(ca.node.hitUs.p99, 1)} µs) to answer from the cache in place of the model call; a whole turn on a hit ${ms(ca.fast.hit.p50, 1)} (the graph's own cost; ${ca.slow.modelCalls} model call for ${ca.slow.identicalRequests} identical requests)`,
      met: ca.node.hitUs.p99 <= 1000 && ca.slow.modelCalls === 1 && ca.fast.modelCallsDuringHits === 0,
      note: "met for the cache itself, in the node where the model call would be; a whole turn on a hit still runs the five nodes (see the overhead rows)",
    });
  }
  const sqlite = runs.checkpoints?.result?.find((r) => r.variant.id === "sqlite");
  const deepest = sqlite?.marks.at(-1);
  if (sqlite && deepest)
    t.push({
      id: "checkpoint-sqlite",
      target: "SQLite checkpoint ≤ 2 ms per turn at turn 1,000",
      figure: `${ms(deepest.checkpointerMs.p50, 2)} in the checkpointer at turn ${deepest.turn} (p50)`,
      met: deepest.turn >= 1000 ? deepest.checkpointerMs.p50 <= 2 : deepest.checkpointerMs.p50 <= 2 ? null : false,
      ...(deepest.turn < 1000 ? { note: `deepest turn measured: ${deepest.turn}` } : {}),
    });
  const mem = runs.memory?.result?.find((r) => r.kind === "sqlite");
  const none = runs.memory?.result?.find((r) => r.kind === "none");
  if (mem) {
    const judged = mem.turns >= MIN_TURNS_FOR_FLATNESS;
    t.push({
      id: "memory-sqlite",
      target: "memory flat per turn with SQLite",
      figure: `heap ${bytes(mem.heapBytesPerTurn)}/turn, RSS ${bytes(mem.rssBytesPerTurn)}/turn over the second half of ${mem.turns} turns${none ? ` (no checkpointer: heap ${bytes(none.heapBytesPerTurn)}/turn, RSS ${bytes(none.rssBytesPerTurn)}/turn)` : ""}`,
      met: judged ? flat(mem) : null,
      ...(judged ? {} : { note: `${mem.turns} turns are too few to judge: JIT warm-up dominates; the full run has ${MIN_TURNS_FOR_FLATNESS.toLocaleString("en")}+` }),
    });
  }
  return t;
}

/** Below this many turns the slope measures warm-up (JIT code, inline caches), not the steady state. */
const MIN_TURNS_FOR_FLATNESS = 2000;

/** Flat: after warm-up the heap grows by less than 100 B per turn (1 MB per 10,000 turns). */
function flat(m: MemoryResult): boolean {
  return m.heapBytesPerTurn < 100;
}

function yes(met: boolean | null): string {
  return met === null ? "n/a" : met ? "**met**" : "**missed**";
}

function render(runs: Runs, targets: Target[], info: { startedAt: Date; loadStart: [number, number, number]; loadEnd: [number, number, number] }): string {
  const m = machine();
  const la = (l: [number, number, number]) => l.join(" / ");
  const sl = (r: SectionRun<unknown> | undefined) => (r ? `load ${r.load.start[0]}→${r.load.end[0]}` : "");
  let out = `\n## Bruno Generation benchmark (${plan.mode} run, ${info.startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC)\n\n`;
  out += `${m.cpus} × ${m.cpuModel}, ${(m.totalMemMb / 1024).toFixed(1)} GB, ${m.platform} ${m.release}; Node ${m.node}. `;
  out += `Load average (1/5/15 min) ${la(info.loadStart)} at the start, ${la(info.loadEnd)} at the end.\n`;
  out += `Synthetic model (Ollama-protocol test server, same process): ${FAST.label} and ${SLOW.label}; answers of ${tokens} tokens citing [1] and [2]. Times are wall clock unless marked CPU; p50 / p95 / p99.\n\n`;

  out += "### Targets\n\n";
  out += table(
    ["target", "figure", "status"],
    targets.map((t) => [t.target, t.figure + (t.note ? ` (${t.note})` : ""), yes(t.met)]),
  );

  const bd = runs.breakdown?.result;
  if (bd) {
    out += `\n### Where the overhead goes (${bd.profile.label}, ${bd.iterations} interleaved iterations, ${sl(runs.breakdown)})\n\n`;
    out += table(
      ["client", "wall p50 / p95 / p99 ms", "extra vs bare, p50", "step vs previous row, p50", "CPU p50", "CPU step p50"],
      bd.rungs.map((r) => [r.name, ppp(r.ms), ms(r.extraMs.p50, 2), ms(r.stepMs.p50, 2), ms(r.cpuMs.p50, 2), ms(r.cpuStepMs.p50, 2)]),
    );
    out += `\n"+ a callback" passes one no-op LangChain callback handler in the run's config: any callback (a tracer, \`streamEvents\`, a host's handler) makes every runnable of the run (nodes, routers, the model call) build run managers and ids. The graph's own telemetry uses none.\n`;
  }

  const ov = [runs.overheadFast, runs.overheadSlow].filter((r) => r?.result);
  if (ov.length > 0) {
    out += `\n### 1. Overhead: graph.invoke vs bare ChatOllama.invoke (identical request body)\n\n`;
    out += table(
      [
        "model",
        "iterations",
        "bare p50 / p95 / p99",
        "graph p50 / p95 / p99",
        "graph + MemorySaver p50",
        "extra p50 / p95 / p99",
        "ratio p50 (paired)",
        "CPU extra p50",
        "server requests",
        "same body",
        "load",
      ],
      ov.map((run) => {
        const r = run?.result as OverheadResult;
        const req = Object.entries(r.serverRequests)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ");
        return [
          r.profile.label,
          String(r.iterations),
          ppp(r.bare),
          ppp(r.graph),
          r.graphMemorySaver.n > 0 ? num(r.graphMemorySaver.p50) : "–",
          ppp(r.extraMs, 2),
          ratio(r.ratio.p50, 4),
          ms(r.cpuExtraMs.p50, 2),
          req,
          r.sameRequestBody ? "yes" : "NO",
          sl(run),
        ];
      }),
    );
    const c = runs.coldStart?.result;
    if (c)
      out += `\nCold model (${c.profile.label}, first request after unloading, ${c.reps} pairs): bare ${ms(c.bare.p50)}, graph ${ms(c.graph.p50)}, extra ${ms(c.extraMs.p50, 2)} (p50); the graph reports usage.loadMs ${num(c.graphLoadMs, 0)}.\n`;
  }

  const st = [runs.streamingFast, runs.streamingSlow].filter((r) => r?.result);
  if (st.length > 0) {
    out += `\n### 2. Streaming: first token out of graph.stream(streamMode "messages") vs the bare stream's first chunk\n\n`;
    out += table(
      ["model", "iterations", "bare TTFT p50 / p95 / p99", "graph TTFT p50 / p95 / p99", "extra p50 / p95 / p99", "tokens graph / bare / expected", "all arrived", "load"],
      st.map((run) => {
        const r = run?.result as StreamingResult;
        return [
          r.profile.label,
          String(r.iterations),
          ppp(r.bareTtft, 2),
          ppp(r.graphTtft, 2),
          ppp(r.extraMs, 2),
          `${r.graphTokens.min}–${r.graphTokens.max} / ${r.bareTokens.min}–${r.bareTokens.max} / ${r.expectedTokens}`,
          r.allTokensArrived ? "yes" : "NO",
          sl(run),
        ];
      }),
    );
  }

  const c = runs.concurrency?.result;
  if (c) {
    out += `\n### 3. Concurrency: ${c.graph.threads} threads at once, limit ${c.graph.limit}, ${c.profile.label} (${sl(runs.concurrency)})\n\n`;
    const rows: string[][] = [
      ["ideal (limit ÷ bare single request)", `${num(c.idealPerSecond, 2)}/s`, "100 %", "–", `${num(c.idealQueueWaitP99, 0)} ms`, "–", "–"],
      ...(c.bareSemaphore
        ? [
            [
              "bare ChatOllama, FIFO semaphore",
              `${num(c.bareSemaphore.perSecond, 2)}/s`,
              pct(c.bareSemaphore.perSecond / c.idealPerSecond),
              String(c.bareSemaphore.maxInFlight),
              "–",
              String(c.bareSemaphore.errors),
              ppp(c.bareSemaphore.latency, 0),
            ],
          ]
        : []),
      [
        `graph (BRUNO_QUEUE_SIZE ${c.graph.queueSize})`,
        `${num(c.graph.perSecond, 2)}/s`,
        pct(c.ofIdeal),
        String(c.graph.maxInFlight),
        `${num(c.queueWait.p99, 0)} ms`,
        String(c.graph.errors),
        ppp(c.graph.latency, 0),
      ],
    ];
    if (c.defaultQueue) {
      const d = c.defaultQueue;
      const codes =
        Object.entries(d.errorCodes)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ") || "0";
      rows.push([`graph (default BRUNO_QUEUE_SIZE ${d.queueSize})`, `${num(d.perSecond, 2)}/s`, pct(d.perSecond / c.idealPerSecond), String(d.maxInFlight), "–", codes, ppp(d.latency, 0)]);
    }
    out += table(["run", "completed per second", "of ideal", "max in flight", "p99 queue wait", "errors", "latency p50 / p95 / p99 ms"], rows);
    out += `\nPer-request time ${ms(c.perRequestMs)} (bare, median of ${c.perRequestRuns.n})${c.bareSemaphore ? `; graph ÷ bare semaphore ${pct(c.ofBare)}` : ""}; queue wait p50 ${ms(c.queueWait.p50, 0)}; server requests during the graph run: ${Object.entries(
      c.serverRequests,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.\n`;
  }

  const ca = runs.cache?.result;
  if (ca) {
    out += `\n### 4. Cache (BRUNO_CACHE=${ca.env.BRUNO_CACHE}, BRUNO_SEED=${ca.env.BRUNO_SEED})\n\n`;
    out += table(
      ["measure", "figure"],
      [
        [`first turn (miss), ${ca.slow.profile.label}`, ms(ca.slow.firstMs)],
        [`${ca.slow.identicalRequests - 1} repeats (hits) p50 / p95 / p99`, ppp(ca.slow.repeatMs)],
        ["repeat ÷ first", ratio(ca.slow.repeatOverFirst, 4)],
        ["model calls for the identical requests", `${ca.slow.modelCalls} of ${ca.slow.identicalRequests} (${ca.slow.fromCache} repeats say "from the response cache")`],
        [
          `hit turn vs cache-off turn vs bare call, ${ca.fast.profile.label}, ${ca.fast.iterations} interleaved`,
          `${ms(ca.fast.hit.p50)} / ${ms(ca.fast.noCache.p50)} / ${ms(ca.fast.bare.p50)} (p50); hit − cache off ${ms(ca.fast.hitMinusNoCache.p50, 2)}, hit − bare ${ms(ca.fast.hitMinusBare.p50, 2)}; model calls during hits ${ca.fast.modelCallsDuringHits}`,
        ],
        [
          `answering from the cache in the node (key = sha-256 of a ${ca.node.promptChars}-char prompt, + lookup), ${ca.node.lookups} times`,
          `${num(ca.node.hitUs.p50, 1)} / ${num(ca.node.hitUs.p95, 1)} / ${num(ca.node.hitUs.p99, 1)} µs`,
        ],
      ],
    );
  }

  const ck = runs.checkpoints?.result;
  if (ck) {
    out += `\n### 5. Checkpoints: cost per turn and prompt size along one thread (${FAST.label}, checkpointers interleaved turn by turn, ${sl(runs.checkpoints)})\n\n`;
    const rows: string[][] = [];
    for (const r of ck) {
      for (const k of r.marks) {
        const methods = Object.entries(k.byMethodMs)
          .map(([name, v]) => `${name} ${num(v, 2)}`)
          .join(", ");
        rows.push([
          r.label,
          String(k.turn),
          ppp(k.checkpointerMs, 2),
          num(k.callsPerTurn, 0),
          methods,
          ms(k.extraMs.p50, 2),
          ms(k.cpuExtraMs.p50, 2),
          `${k.promptChars} chars, ${k.promptMessages} msgs`,
          `${bytes(k.storedBytes)}, ${k.storedCheckpoints}`,
        ]);
      }
    }
    out += table(
      [
        "checkpointer",
        "turn",
        "in checkpointer p50 / p95 / p99 ms",
        "calls/turn",
        "by method, mean ms",
        "turn extra vs no checkpointer, p50",
        "CPU extra p50",
        "prompt",
        "stored (bytes, checkpoints)",
      ],
      rows,
    );
    const step = ck[0]?.series[0]?.turn ?? 1;
    out += `\nIn the checkpointer along the thread, ms per turn (median of each ${step} turns):\n\n`;
    for (const r of ck) out += `- ${r.label}: ${r.series.map((x) => num(x.checkpointerMs, 1)).join(", ")}\n`;
  }

  const mem = runs.memory?.result;
  if (mem) {
    out += `\n### 6. Memory after ${mem[0]?.turns ?? 0} turns over ${mem[0]?.threads ?? 0} threads (a fresh process per checkpointer, after 2 GCs, ${sl(runs.memory)})\n\n`;
    out += table(
      ["checkpointer", "RSS start → end", "heap used start → end", "array buffers end", "heap per turn", "RSS per turn", "stored", "errors", "wall"],
      mem.map((r) => [
        r.label,
        `${num(r.start.rssMb, 0)} → ${num(r.end.rssMb, 0)} MB`,
        `${num(r.start.heapUsedMb, 1)} → ${num(r.end.heapUsedMb, 1)} MB`,
        `${num(r.end.arrayBuffersMb, 1)} MB`,
        bytes(r.heapBytesPerTurn),
        bytes(r.rssBytesPerTurn),
        `${bytes(r.storedBytes)}, ${r.storedCheckpoints} checkpoints`,
        String(r.errors),
        `${num(r.wallMs / 1000, 0)} s`,
      ]),
    );
    out += "\nPer turn: least-squares slope over the second half of the run.\n";
  }

  const em = runs.embedded?.result;
  out += "\n### 7. Embedded engine\n\n";
  if (em?.ran && em.stdout) out += `${em.stdout.trim()}\n\n(${em.note})\n`;
  else out += `Not run here: ${em?.note ?? "bench/embedded.ts covers it"}. Run \`npm run bench:embedded\` or \`npm run bench -- --embedded\`.\n`;
  for (const [name, r] of Object.entries(runs)) if (r?.error) out += `\n**${name} failed:** ${r.error.split("\n")[0] ?? ""}\n`;
  return out;
}

await main();
