import { IterableReadableStream } from "@langchain/core/utils/stream";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { CancelledError, DatabaseError, fieldPath, InvalidInputError, isBrunoError, isCancelledError, isDatabaseError } from "../domain/errors.js";
import { THREAD_STRATEGIES, type ThreadStrategy } from "../config/settings.js";
import type { ThreadLease, ThreadLock } from "../runtime/threadLock.js";
import type { TelemetryTarget } from "../telemetry/instrument.js";
import { RUN_ID_KEY } from "../telemetry/runs.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import { GRAPH_NAME } from "./graph.js";
import { checkpointerOf, RUN_CHECKPOINTER_KEY, TurnWrites } from "./turnWrites.js";

/**
 * Reports the runs of a graph compiled by the host (`buildGenerationGraph(options).compile()`)
 * to `telemetry`: run counts and durations by outcome, the run's span (parent of its nodes'),
 * the `run_completed` / `run_failed` log line, and typed run errors (`guardRuns` without a lock).
 */
export function instrumentRuns<G extends Streamable>(graph: G, telemetry: Telemetry, options: { logger?: Logger; name?: string } = {}): G {
  return guardRuns(graph, {
    waitMs: () => 0,
    telemetry: () => ({ telemetry, logger: options.logger ?? telemetry.logger }),
    name: options.name ?? GRAPH_NAME,
  });
}

interface Streamable {
  stream(input: never, options?: never): Promise<AsyncIterable<unknown>>;
}

const SCHEMA_VALIDATION = /^Validation failed for field "([^"]+)": ([\s\S]*)$/;

/**
 * Errors a caller can act on, typed: an abort by the caller as `CancelledError`, and LangGraph's
 * own input-schema rejection (a wrong type for a field) as `InvalidInputError` naming the field.
 */
function typedRunError(error: unknown, signal: AbortSignal | undefined, lost?: AbortSignal): unknown {
  if (lost?.aborted && !signal?.aborted)
    return isDatabaseError(lost.reason) ? lost.reason : new DatabaseError("lock-lost", "the thread's lock was lost mid-turn; the turn was not saved", { cause: lost.reason });
  if (signal?.aborted && !isCancelledError(error)) return new CancelledError(undefined, { cause: error });
  const match = error instanceof Error && !isBrunoError(error) ? SCHEMA_VALIDATION.exec(error.message) : null;
  if (match) {
    let detail = match[2] ?? "";
    try {
      const issues = JSON.parse(detail) as { message?: string; path?: (string | number)[] }[];
      const first = issues[0];
      return new InvalidInputError(fieldPath([match[1] ?? "input", ...(first?.path ?? [])]), first?.message ?? detail, { cause: error });
    } catch {
      detail = detail.slice(0, 200);
    }
    return new InvalidInputError(match[1] ?? "input", detail, { cause: error });
  }
  return error;
}

/**
 * How often a run writes checkpoints when its caller does not say (`durability`): once, when the
 * turn ends ("exit"). A turn is short and never resumed half-way (a failed or cancelled turn is
 * asked again), so a checkpoint per step ("async", LangGraph's default) only costs: one write of
 * the whole state per step instead of one per turn. A run nested in a parent graph keeps the
 * parent's setting.
 */
export const DEFAULT_DURABILITY = "exit" as const;

/** The run options with `durability` defaulted, unless the caller or a parent graph chose one. */
export function withDefaultDurability<O extends StreamOptions>(options: O | undefined): O | (O & { durability: typeof DEFAULT_DURABILITY }) | undefined {
  if (options?.durability !== undefined || options?.checkpointDuring !== undefined) return options;
  // A run nested in a parent graph's node: LangGraph marks it with the parent task's id and passes
  // the parent's durability only when the parent's caller set one (test/graph/runGuard.test.ts).
  if (options?.configurable?.["__pregel_task_id"] !== undefined) return options;
  return { ...(options ?? ({} as O)), durability: DEFAULT_DURABILITY };
}

/**
 * Wraps `graph.stream` (which `invoke` runs through): a run aborted by the caller rejects with
 * `CancelledError`, and with a `lock`, every run that names a `thread_id` holds that thread's
 * lock until its stream ends, so turns of one thread never interleave. Runs checkpoint once per
 * turn unless told otherwise (`DEFAULT_DURABILITY`).
 */
export function guardRuns<G extends Streamable>(graph: G, options: GuardOptions): G {
  const original = graph.stream.bind(graph) as (input: unknown, options?: StreamOptions) => Promise<AsyncIterable<unknown>>;
  const guarded = async (input: unknown, givenOptions?: StreamOptions) => {
    let runOptions = givenOptions;
    const signal = runOptions?.signal;
    const rawThreadId = runOptions?.configurable?.thread_id;
    const threadId = typeof rawThreadId === "string" || typeof rawThreadId === "number" ? String(rawThreadId) : undefined;
    const lease =
      options.lock && threadId !== undefined ? await options.lock.acquire(threadId, { timeoutMs: options.waitMs(), strategy: runStrategy(runOptions, options.strategy), signal }) : undefined;
    const release = () => {
      lease?.release().catch(() => undefined);
    };
    // A lock lost mid-turn (lease expired, connection dropped) stops the run before it saves.
    if (lease && runOptions) runOptions = { ...runOptions, signal: signal ? AbortSignal.any([signal, lease.lost]) : lease.lost };
    else if (lease) runOptions = { signal: lease.lost };
    const target = options.telemetry?.();
    const runId = typeof runOptions?.runId === "string" ? runOptions.runId : randomUUID();
    const run = target?.telemetry.tracker.startRun({
      runId,
      name: typeof runOptions?.runName === "string" ? runOptions.runName : (options.name ?? GRAPH_NAME),
      threadId,
    });
    const end = (error: unknown) => {
      if (run && target) target.telemetry.tracker.endRun(run, error, target.logger);
    };
    const withRun = run ? { ...runOptions, configurable: { ...runOptions?.configurable, [RUN_ID_KEY]: runId } } : runOptions;
    let effective = withDefaultDurability(withRun);
    // A turn that saves once, at its end, saves only when it ends well (see TurnWrites).
    const saver = lease && effective?.durability === "exit" ? checkpointerOf(graph, effective.configurable) : undefined;
    const writes = saver ? new TurnWrites(saver) : undefined;
    if (writes) effective = { ...effective, configurable: { ...effective?.configurable, [RUN_CHECKPOINTER_KEY]: writes.saver } };
    let stream: AsyncIterable<unknown>;
    try {
      stream = await original(input, effective);
    } catch (error) {
      release();
      const typed = typedRunError(error, signal, lease?.lost);
      end(typed);
      throw typed;
    }
    return IterableReadableStream.fromAsyncGenerator(
      (async function* guardedRun() {
        let outcome: { error: unknown } | undefined;
        try {
          yield* stream;
          if (writes && writes.size > 0) await commitTurn(writes, lease);
          outcome = { error: undefined };
        } catch (error) {
          const typed = typedRunError(error, signal, lease?.lost);
          outcome = { error: typed };
          throw typed;
        } finally {
          release();
          end(outcome ? outcome.error : new CancelledError("the caller stopped reading the run's stream"));
        }
      })(),
    );
  };
  (graph as { stream: unknown }).stream = guarded;
  return graph;
}

/** Writes a finished turn's checkpoint, once the lease confirms the thread is still this turn's. */
async function commitTurn(writes: TurnWrites, lease: ThreadLease | undefined): Promise<void> {
  await lease?.confirm?.();
  try {
    await writes.commit();
  } catch (cause) {
    if (isBrunoError(cause)) throw cause;
    throw new DatabaseError("query", `the turn's checkpoint could not be written to the conversation database: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

interface GuardOptions {
  /** Serializes the turns of a thread; none without a checkpointer. */
  lock?: ThreadLock | undefined;
  /** How long a turn waits for its thread's previous turn. */
  waitMs: () => number;
  /** What a turn does when its thread is busy, unless the run says (`configurable.multitask_strategy`). */
  strategy?: () => ThreadStrategy;
  /** Where runs report (metrics, spans, log lines); none when unset. */
  telemetry?: TelemetryTarget;
  /** The run's name in spans, unless the caller gives `runName`. */
  name?: string;
}

/**
 * The busy-thread strategy of one run: `configurable.multitask_strategy` ("enqueue" or "reject",
 * as LangGraph Platform's runs name it), else the graph's setting, else "enqueue".
 */
export function runStrategy(runOptions: StreamOptions | undefined, fallback: (() => ThreadStrategy) | undefined): ThreadStrategy {
  const asked = runOptions?.configurable?.["multitask_strategy"];
  if (asked !== undefined) {
    if (typeof asked === "string" && (THREAD_STRATEGIES as readonly string[]).includes(asked)) return asked as ThreadStrategy;
    throw new InvalidInputError("configurable.multitask_strategy", `expected one of ${THREAD_STRATEGIES.join(", ")}, got ${JSON.stringify(asked)}`);
  }
  return fallback?.() ?? "enqueue";
}

interface StreamOptions {
  configurable?: { thread_id?: unknown; [key: string]: unknown };
  signal?: AbortSignal;
  runId?: unknown;
  runName?: unknown;
  durability?: "exit" | "async" | "sync";
  checkpointDuring?: boolean;
}
