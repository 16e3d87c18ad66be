/**
 * 5. Checkpoints: the cost per turn of each checkpointer at turn 1, 100 and 1,000 of one thread,
 * and the prompt's size at those turns (history is trimmed, so it must stay bounded).
 *
 * Per turn: the time inside the checkpointer's calls (`getTuple`, `put`, `putWrites`, call to
 * settlement), and the turn's wall time paired with a turn of the same graph without a
 * checkpointer run right next to it (interleaved, alternating order). Turn 1 is measured on
 * `firstTurnThreads` fresh threads; turn N on the `window` turns ending at N of one deep thread.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchGraph, chars, cpuMsSince, INPUT, now } from "../lib/fixtures.js";
import { createSaver, meterSaver, type CheckpointVariant } from "../lib/savers.js";
import { round, roundSummary, summarize, type Summary } from "../lib/stats.js";
import type { ModelProfile, SyntheticOllama } from "../lib/synthetic.js";
import type { ChatRequestBody } from "../../src/testing/index.js";

export interface CheckpointOptions {
  variants: CheckpointVariant[];
  /** Turns of the deep thread; the last mark. */
  marks: number[];
  window: number;
  firstTurnThreads: number;
}

export interface TurnMark {
  turn: number;
  samples: number;
  /** Time inside checkpointer calls per turn. */
  checkpointerMs: Summary;
  /** Calls per turn (getTuple + put + putWrites), mean. */
  callsPerTurn: number;
  /** Mean ms per turn by method. */
  byMethodMs: Record<string, number>;
  /** Turn wall time with the checkpointer. */
  turnMs: Summary;
  /** Paired: turn wall time with the checkpointer − the adjacent turn without one. */
  extraMs: Summary;
  /** Paired: process CPU time with − without. */
  cpuExtraMs: Summary;
  /** The prompt sent to the model at exactly this turn. */
  promptChars: number;
  promptMessages: number;
  /** Largest prompt over the window. */
  promptCharsMax: number;
  /** What the checkpointer holds after this turn. */
  storedBytes: number;
  storedCheckpoints: number;
}

export interface CheckpointResult {
  variant: CheckpointVariant;
  label: string;
  profile: ModelProfile;
  marks: TurnMark[];
  /** Wall time of the whole section (all checkpointers interleaved, baselines included). */
  deepThreadMs: number;
  /** Along the deep thread: the median per bucket of turns ending at `turn` (about 20 buckets). */
  series: { turn: number; checkpointerMs: number; turnMs: number }[];
  errors: number;
}

interface Sample {
  checkpointerMs: number;
  calls: number;
  byMethod: Record<string, { ms: number; calls: number }>;
  turnMs: number;
  baseMs?: number;
  cpuMs: number;
  baseCpuMs?: number;
  promptChars: number;
  promptMessages: number;
}

function lastChat(syn: SyntheticOllama): ChatRequestBody | undefined {
  const r = syn.server.requests.filter((x) => x.path === "/api/chat").at(-1);
  return r?.body as ChatRequestBody | undefined;
}

interface SaverRun {
  variant: CheckpointVariant;
  label: string;
  saver: ReturnType<typeof createSaver>;
  turn: (threadId: string, paired: boolean, flip: boolean) => Promise<Sample>;
  firsts: Sample[];
  deep: Sample[];
  marks: TurnMark[];
  errors: () => number;
}

function markOf(s: ReturnType<typeof createSaver>, turnNo: number, samples: Sample[], at: Sample): TurnMark {
  const methods = new Map<string, number>();
  for (const x of samples) for (const [k, v] of Object.entries(x.byMethod)) methods.set(k, (methods.get(k) ?? 0) + v.ms);
  const paired = samples.filter((x) => x.baseMs !== undefined);
  return {
    turn: turnNo,
    samples: samples.length,
    checkpointerMs: summarize(samples.map((x) => x.checkpointerMs)),
    callsPerTurn: samples.reduce((n, x) => n + x.calls, 0) / samples.length,
    byMethodMs: Object.fromEntries([...methods].map(([k, v]) => [k, round(v / samples.length) ?? 0])),
    turnMs: summarize(samples.map((x) => x.turnMs)),
    extraMs: summarize(paired.map((x) => x.turnMs - (x.baseMs as number))),
    cpuExtraMs: summarize(paired.map((x) => x.cpuMs - (x.baseCpuMs as number))),
    promptChars: at.promptChars,
    promptMessages: at.promptMessages,
    promptCharsMax: Math.max(...samples.map((x) => x.promptChars)),
    storedBytes: s.storedBytes(),
    storedCheckpoints: s.checkpoints(),
  };
}

/** Every checkpointer advances turn by turn together (rotating order), so they share the machine's load. */
export async function runCheckpoints(syn: SyntheticOllama, profile: ModelProfile, options: CheckpointOptions): Promise<CheckpointResult[]> {
  syn.use(profile);
  const dir = mkdtempSync(join(tmpdir(), "bruno-bench-ckpt-"));
  const expected = syn.answer;
  const base = benchGraph(syn.url);
  const runs: SaverRun[] = options.variants.map((variant) => {
    const saver = createSaver(variant.kind, join(dir, `${variant.id}.sqlite`));
    const meter = meterSaver(saver.saver);
    const graph = benchGraph(syn.url, { checkpointer: saver.saver });
    let errors = 0;
    const runBase = async () => {
      const c0 = process.cpuUsage();
      const t0 = now();
      const out = await base.invoke(INPUT);
      const ms = now() - t0;
      if (out.answer !== expected) errors += 1;
      return { ms, cpu: cpuMsSince(c0) };
    };
    const turn = async (threadId: string, paired: boolean, flip: boolean): Promise<Sample> => {
      let b: { ms: number; cpu: number } | undefined;
      if (paired && flip) b = await runBase();
      syn.clearRequests();
      meter.take();
      const c0 = process.cpuUsage();
      const t0 = now();
      const out = await graph.invoke(INPUT, { configurable: { thread_id: threadId }, ...(variant.durability ? { durability: variant.durability } : {}) });
      const turnMs = now() - t0;
      const cpuMs = cpuMsSince(c0);
      const m = meter.take();
      if (out.answer !== expected) errors += 1;
      const body = lastChat(syn);
      syn.clearRequests();
      if (paired && !flip) b = await runBase();
      return {
        checkpointerMs: m.ms,
        calls: m.calls,
        byMethod: m.byMethod,
        turnMs,
        cpuMs,
        ...(b ? { baseMs: b.ms, baseCpuMs: b.cpu } : {}),
        promptChars: body ? chars(body) : 0,
        promptMessages: body?.messages.length ?? 0,
      };
    };
    return { variant, label: variant.label, saver, turn, firsts: [], deep: [], marks: [], errors: () => errors };
  });
  const rotated = (i: number) => runs.map((_, k) => runs[(i + k) % runs.length] as SaverRun);
  const t0 = now();
  try {
    for (let i = 0; i < 3; i += 1) for (const r of rotated(i)) await r.turn(`warmup-${i}`, true, i % 2 === 0);
    for (let i = 0; i < options.firstTurnThreads; i += 1) for (const r of rotated(i)) r.firsts.push(await r.turn(`first-${i}`, true, i % 2 === 0));
    const last = Math.max(...options.marks);
    for (let n = 1; n <= last; n += 1) {
      const inWindow = options.marks.some((m) => m > 1 && n > m - options.window && n <= m);
      for (const r of rotated(n)) {
        const sample = await r.turn("deep", inWindow, n % 2 === 0);
        r.deep.push(sample);
        if (n === 1) r.marks.push(markOf(r.saver, 1, r.firsts, sample));
        else if (options.marks.includes(n)) r.marks.push(markOf(r.saver, n, r.deep.slice(n - options.window), sample));
      }
    }
  } finally {
    for (const r of runs) r.saver.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const deepThreadMs = now() - t0;
  const last = Math.max(...options.marks);
  const bucket = Math.max(1, Math.ceil(last / 20));
  const series = (deep: Sample[]) => {
    const out: { turn: number; checkpointerMs: number; turnMs: number }[] = [];
    for (let from = 0; from < deep.length; from += bucket) {
      const part = deep.slice(from, from + bucket);
      out.push({ turn: from + part.length, checkpointerMs: summarize(part.map((x) => x.checkpointerMs)).p50, turnMs: summarize(part.map((x) => x.turnMs)).p50 });
    }
    return out;
  };
  return runs.map((r) => ({ variant: r.variant, label: r.label, profile, marks: r.marks, deepThreadMs, series: series(r.deep), errors: r.errors() }));
}

export function checkpointsJson(r: CheckpointResult): Record<string, unknown> {
  return {
    ...r,
    deepThreadMs: Math.round(r.deepThreadMs),
    series: r.series.map((x) => ({ turn: x.turn, checkpointerMs: round(x.checkpointerMs, 2), turnMs: round(x.turnMs, 1) })),
    marks: r.marks.map((m) => ({
      ...m,
      checkpointerMs: roundSummary(m.checkpointerMs),
      callsPerTurn: round(m.callsPerTurn, 2),
      turnMs: roundSummary(m.turnMs),
      extraMs: roundSummary(m.extraMs),
      cpuExtraMs: roundSummary(m.cpuExtraMs),
    })),
  };
}
