/**
 * The scale test's figures: counts of turns by outcome, latency of the stage against the bare
 * client, and what each kill cost; printed as Markdown and saved as JSON.
 */
import { round, roundSummary, summarize, type Summary } from "../lib/stats.js";
import type { Attempt } from "./client.js";
import type { BareSample, TurnRecord } from "./load.js";
import type { Verification } from "./verify.js";

export interface KillEvent {
  what: "replica" | "ollama";
  name: string;
  /** ms from the start of the load. */
  at: number;
}

export interface ScaleFigures {
  conversations: number;
  turns: {
    sent: number;
    answered: number;
    lost: number;
    duplicated: number;
    outOfOrder: number;
    wrongAnswer: number;
    savedUnanswered: number;
    refusedBusy: number;
    /** Turns sent more than once (after a 503 or a connection error) that ended answered, busy or failed. */
    retried: number;
    retriesAfter503: number;
    retriesAfterConnectionError: number;
    /** Answered turns whose 200 came from the thread's saved turn (`x-bruno-replayed`): an earlier send had saved it. */
    replayed: number;
    failed: number;
    failures: Record<string, number>;
  };
  latencyMs: {
    bruno: ReturnType<typeof roundSummary>;
    bare: ReturnType<typeof roundSummary>;
    overheadP50: number | null;
    overheadP95: number | null;
    overheadP99: number | null;
    /** Answered turns sent once: time inside the graph (classify to the validated answer). */
    insideGraph: ReturnType<typeof roundSummary>;
    /** Answered turns sent once: the rest (HTTP, admission, the thread lock, loading and saving the checkpoint). */
    outsideGraph: ReturnType<typeof roundSummary>;
  };
  /** Answer tokens per answered turn (bruno), for comparing with the baseline's. */
  answerTokensP50: number | null;
  kills: KillCost[];
  /** Latency by stretch of the ramp (sent time), bruno and bare side by side. */
  windows: LatencyWindow[];
  problems: string[];
}

export interface LatencyWindow {
  fromS: number;
  toS: number;
  /** New conversations a second in this stretch. */
  arrivalRate: number;
  bruno: { p50: number | null; p95: number | null };
  bare: { p50: number | null; p95: number | null };
}

function latencyWindows(records: readonly TurnRecord[], bare: readonly BareSample[], durationMs: number, count: number): LatencyWindow[] {
  const width = durationMs / count;
  return Array.from({ length: count }, (_, i) => {
    const from = i * width;
    const to = i === count - 1 ? Number.POSITIVE_INFINITY : from + width;
    const within = (t: number): boolean => t >= from && t < to;
    const b = summarize(records.filter((r) => r.outcome === "answered" && within(r.sentAt)).map((r) => r.latencyMs));
    const r = summarize(bare.filter((x) => x.ok && within(x.sentAt)).map((x) => x.latencyMs));
    const arrivals = records.filter((x) => x.turn === 0 && x.sentAt >= from && x.sentAt < from + width).length;
    return {
      fromS: round(from / 1000, 1) as number,
      toS: round((from + width) / 1000, 1) as number,
      arrivalRate: round(arrivals / (width / 1000), 1) as number,
      bruno: { p50: round(b.p50, 1), p95: round(b.p95, 1) },
      bare: { p50: round(r.p50, 1), p95: round(r.p95, 1) },
    };
  });
}

export interface KillCost extends KillEvent {
  /** Turns in flight when it was killed (on that replica, or anywhere for an Ollama server). */
  inFlight: number;
  answered: number;
  failed: number;
  /** Sends made to a killed replica afterwards (connection refused, sent again elsewhere). */
  refusedConnections: number;
  /** Latency of the interrupted turns, first send to answer. */
  interruptedLatencyMs: ReturnType<typeof roundSummary>;
  /** For a replica: the send that followed the broken one, to answer (it waits for the thread's lock). */
  resendLatencyMs?: ReturnType<typeof roundSummary>;
  /** Of that send: the time outside the graph, where waiting for the thread's lock shows. */
  resendOutsideGraphMs?: ReturnType<typeof roundSummary>;
  /** p50 of turns sent in the 5 s before and after. */
  p50BeforeMs: number | null;
  p50AfterMs: number | null;
}

function p50Around(records: readonly TurnRecord[], from: number, to: number): number | null {
  const xs = records.filter((r) => r.outcome === "answered" && r.sentAt >= from && r.sentAt < to).map((r) => r.latencyMs);
  return round(summarize(xs).p50, 1);
}

function killCost(kill: KillEvent, records: readonly TurnRecord[], replicaIndex: number | undefined): KillCost {
  const cut = (a: Attempt): boolean => a.at <= kill.at && a.at + a.ms >= kill.at && (replicaIndex === undefined || a.replica === replicaIndex);
  const inFlight = records.filter((r) => r.attempts.some(cut));
  const refused = replicaIndex === undefined ? 0 : records.flatMap((r) => r.attempts).filter((a) => a.replica === replicaIndex && a.at > kill.at).length;
  const resends =
    replicaIndex === undefined
      ? []
      : inFlight.flatMap((r) => {
          const next = r.attempts[r.attempts.findIndex(cut) + 1];
          return next && r.outcome === "answered" && next === r.attempts.at(-1) ? [{ ms: next.ms, outside: next.ms - (r.graphMs ?? Number.NaN) }] : [];
        });
  return {
    ...kill,
    inFlight: inFlight.length,
    answered: inFlight.filter((r) => r.outcome === "answered").length,
    failed: inFlight.filter((r) => r.outcome !== "answered").length,
    refusedConnections: refused,
    interruptedLatencyMs: roundSummary(summarize(inFlight.filter((r) => r.outcome === "answered").map((r) => r.latencyMs)), 1),
    ...(replicaIndex === undefined
      ? {}
      : { resendLatencyMs: roundSummary(summarize(resends.map((x) => x.ms)), 1), resendOutsideGraphMs: roundSummary(summarize(resends.map((x) => x.outside).filter(Number.isFinite)), 1) }),
    p50BeforeMs: p50Around(records, kill.at - 5_000, kill.at),
    p50AfterMs: p50Around(records, kill.at, kill.at + 5_000),
  };
}

export function figures(records: readonly TurnRecord[], bare: readonly BareSample[], v: Verification, kills: readonly KillEvent[], replicaNames: readonly string[], durationMs: number): ScaleFigures {
  const answered = records.filter((r) => r.outcome === "answered");
  const failures: Record<string, number> = {};
  for (const r of records) if (r.outcome === "failed") failures[r.reason ?? "?"] = (failures[r.reason ?? "?"] ?? 0) + 1;
  const extra = records.flatMap((r) => r.attempts.slice(0, -1));
  const brunoLatency = summarize(answered.map((r) => r.latencyMs));
  const bareLatency = summarize(bare.filter((s) => s.ok).map((s) => s.latencyMs));
  const once = answered.filter((r) => r.attempts.length === 1 && Number.isFinite(r.graphMs));
  return {
    conversations: new Set(records.map((r) => r.threadId)).size,
    turns: {
      sent: records.length,
      answered: answered.length,
      lost: v.lost,
      duplicated: v.duplicated,
      outOfOrder: v.outOfOrder,
      wrongAnswer: v.wrongAnswer,
      savedUnanswered: v.savedUnanswered,
      refusedBusy: records.filter((r) => r.outcome === "busy").length,
      retried: records.filter((r) => r.attempts.length > 1).length,
      retriesAfter503: extra.filter((a) => a.status === 503).length,
      retriesAfterConnectionError: extra.filter((a) => a.status === undefined).length,
      replayed: answered.filter((r) => r.replayed === true).length,
      failed: records.filter((r) => r.outcome === "failed").length,
      failures,
    },
    latencyMs: {
      bruno: roundSummary(brunoLatency, 1),
      bare: roundSummary(bareLatency, 1),
      overheadP50: round(brunoLatency.p50 - bareLatency.p50, 1),
      overheadP95: round(brunoLatency.p95 - bareLatency.p95, 1),
      overheadP99: round(brunoLatency.p99 - bareLatency.p99, 1),
      insideGraph: roundSummary(summarize(once.map((r) => r.graphMs as number)), 1),
      outsideGraph: roundSummary(summarize(once.map((r) => r.latencyMs - (r.graphMs as number))), 1),
    },
    answerTokensP50: round(summarize(answered.map((r) => r.outputTokens ?? Number.NaN).filter(Number.isFinite)).p50, 0),
    kills: kills.map((k) => killCost(k, records, k.what === "replica" ? replicaNames.indexOf(k.name) : undefined)),
    windows: latencyWindows(records, bare, durationMs, 6),
    problems: v.problems,
  };
}

const ms = (x: number | null | undefined): string => (x === null || x === undefined ? "–" : `${Math.round(x)} ms`);

/** The figures as Markdown tables. */
export function markdown(f: ScaleFigures, bareFailed: number, setup: string): string {
  const t = f.turns;
  const b = f.latencyMs.bruno;
  const r = f.latencyMs.bare;
  const out = [
    `| | bruno serve (${setup}) | bare ChatOllama (straight to the test servers) | overhead |`,
    "|---|---|---|---|",
    `| turns sent | ${t.sent} | ${(r.n ?? 0) + bareFailed} | |`,
    `| answered | ${t.answered} | ${r.n} | |`,
    `| p50 latency | ${ms(b.p50)} | ${ms(r.p50)} | ${ms(f.latencyMs.overheadP50)} |`,
    `| p95 latency | ${ms(b.p95)} | ${ms(r.p95)} | ${ms(f.latencyMs.overheadP95)} |`,
    `| p99 latency | ${ms(b.p99)} | ${ms(r.p99)} | ${ms(f.latencyMs.overheadP99)} |`,
    `| max latency | ${ms(b.max)} | ${ms(r.max)} | |`,
    `| p50 / p95 inside the graph (classify → validated answer) | ${ms(f.latencyMs.insideGraph.p50)} / ${ms(f.latencyMs.insideGraph.p95)} | | |`,
    `| p50 / p95 outside it (HTTP, admission, thread lock, checkpoint) | ${ms(f.latencyMs.outsideGraph.p50)} / ${ms(f.latencyMs.outsideGraph.p95)} | | |`,
    "",
    "| turns (bruno serve) | count |",
    "|---|---|",
    `| conversations (3 messages each) | ${f.conversations} |`,
    `| answered (200) | ${t.answered} |`,
    `| lost (answered, not in the thread) | ${t.lost} |`,
    `| duplicated | ${t.duplicated} |`,
    `| out of order / other answer saved | ${t.outOfOrder} / ${t.wrongAnswer} |`,
    `| refused as busy (409) | ${t.refusedBusy} |`,
    `| retried (sent again: ${t.retriesAfter503} after 503, ${t.retriesAfterConnectionError} after a connection error) | ${t.retried} |`,
    `| answered from the saved turn (a resend after the turn was saved: \`x-bruno-replayed\`) | ${t.replayed} |`,
    `| failed | ${t.failed}${
      t.failed > 0
        ? ` (${Object.entries(t.failures)
            .map(([k, n]) => `${k}: ${n}`)
            .join(", ")})`
        : ""
    } |`,
    `| failed or refused but saved in the thread | ${t.savedUnanswered} |`,
    "",
    "| SIGKILL half-way | at | turns in flight | answered / failed | sends refused after | interrupted turns p50 / max | resend p50 / max (outside the graph: lock, checkpoint) | p50 5 s before → after |",
    "|---|---|---|---|---|---|---|---|",
    ...f.kills.map(
      (k) =>
        `| ${k.what} ${k.name} | ${(k.at / 1000).toFixed(1)} s | ${k.inFlight} | ${k.answered} / ${k.failed} | ${k.what === "replica" ? k.refusedConnections : "–"} | ${ms(k.interruptedLatencyMs.p50)} / ${ms(k.interruptedLatencyMs.max)} | ${k.resendLatencyMs ? `${ms(k.resendLatencyMs.p50)} / ${ms(k.resendLatencyMs.max)} (${ms(k.resendOutsideGraphMs?.p50)} / ${ms(k.resendOutsideGraphMs?.max)})` : "–"} | ${ms(k.p50BeforeMs)} → ${ms(k.p50AfterMs)} |`,
    ),
  ];
  out.push(
    "",
    "| sent at | new conversations a second | bruno serve p50 / p95 | bare ChatOllama p50 / p95 |",
    "|---|---|---|---|",
    ...f.windows.map((w) => `| ${w.fromS}–${w.toS} s | ${w.arrivalRate} | ${ms(w.bruno.p50)} / ${ms(w.bruno.p95)} | ${ms(w.bare.p50)} / ${ms(w.bare.p95)} |`),
  );
  if (f.problems.length > 0) out.push("", "Problems:", ...f.problems.map((p) => `- ${p}`));
  return out.join("\n");
}

export type { Summary };
