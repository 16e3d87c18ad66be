/**
 * The LangGraph behaviour that the run guard (src/graph/runGuard.ts) is built on, checked on tiny
 * compiled graphs so that a LangGraph upgrade that changes it fails here, by name:
 * (a) the input-schema rejection message `Validation failed for field "x": [issues]`, which the
 *     guard turns into an `InvalidInputError` naming the field;
 * (b) how a run nested in a parent graph learns the parent's durability, which decides whether
 *     the guard's default ("exit") overrides it;
 * (c) `stream` returning an async iterable that the guard re-wraps with
 *     `IterableReadableStream.fromAsyncGenerator`, and `invoke` running through `stream`, so that
 *     wrapping `stream` alone also guards `invoke`.
 */
import { IterableReadableStream } from "@langchain/core/utils/stream";
import { END, MemorySaver, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidInputError } from "../../src/domain/errors.js";
import { DEFAULT_DURABILITY, guardRuns } from "../../src/graph/runGuard.js";
import type { ThreadLock } from "../../src/runtime/threadLock.js";
import { rejectionOf } from "./helpers.js";

/** The message form `typedRunError` parses (its SCHEMA_VALIDATION pattern). */
const SCHEMA_VALIDATION = /^Validation failed for field "([^"]+)": ([\s\S]*)$/;

const State = new StateSchema({
  count: z.number().default(0),
  doc: z.object({ title: z.string(), lines: z.array(z.string()) }).optional(),
});
const Input = new StateSchema({ count: z.number().int().min(0), doc: State.fields.doc });

type Options = Record<string, unknown> & { configurable?: Record<string, unknown>; durability?: string };

/** A compiled one-node graph (count + 1), with an input schema like the generation graph's. */
function tinyGraph() {
  return new StateGraph({ state: State, input: Input })
    .addNode("inc", (s: { count: number }) => ({ count: s.count + 1 }))
    .addEdge(START, "inc")
    .addEdge("inc", END)
    .compile();
}

/** Records the options each call of `graph.stream` receives (set before any guard, so it sees what LangGraph is given). */
function spyOnStream<G extends { stream: (...args: never[]) => unknown }>(graph: G): Options[] {
  const calls: Options[] = [];
  const original = graph.stream.bind(graph) as (input: unknown, options?: Options) => unknown;
  (graph as { stream: unknown }).stream = (input: unknown, options?: Options) => {
    calls.push({ ...options });
    return original(input, options);
  };
  return calls;
}

/** A thread lock that grants at once and counts releases. */
function countingLock(): ThreadLock & { acquired: number; released: number } {
  const lock = {
    acquired: 0,
    released: 0,
    acquire: async () => {
      lock.acquired += 1;
      return {
        lost: new AbortController().signal,
        release: async () => {
          lock.released += 1;
        },
      };
    },
  };
  return lock;
}

async function collect(stream: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

describe("(a) LangGraph's input-schema rejection", () => {
  it('rejects a wrong field type with `Validation failed for field "<field>": <JSON issues>`', async () => {
    const error = await rejectionOf(tinyGraph().invoke({ count: "three" as unknown as number }));
    expect(error).toBeInstanceOf(Error);
    const match = SCHEMA_VALIDATION.exec((error as Error).message);
    expect(match, (error as Error).message).not.toBeNull();
    expect(match?.[1]).toBe("count");
    const issues = JSON.parse(match?.[2] ?? "") as { message?: unknown; path?: unknown }[];
    expect(issues[0]?.message).toEqual(expect.any(String));
    expect(issues[0]?.path).toEqual([]);
  });

  it("lists the path inside the field in the issue, for a nested value", async () => {
    const error = await rejectionOf(tinyGraph().invoke({ count: 1, doc: { title: "t", lines: ["a", 2 as unknown as string] } }));
    const match = SCHEMA_VALIDATION.exec((error as Error).message);
    expect(match?.[1]).toBe("doc");
    expect((JSON.parse(match?.[2] ?? "") as { path?: unknown }[])[0]?.path).toEqual(["lines", 1]);
  });

  it("reaches the caller of a guarded graph as an InvalidInputError naming the field, for invoke and stream", async () => {
    const graph = guardRuns(tinyGraph(), { waitMs: () => 0 });
    const viaInvoke = await rejectionOf(graph.invoke({ count: -1 }));
    expect(viaInvoke).toBeInstanceOf(InvalidInputError);
    expect(viaInvoke).toMatchObject({ code: "INVALID_INPUT", field: "count" });
    expect((viaInvoke as Error).cause).toBeInstanceOf(Error);
    expect(SCHEMA_VALIDATION.test(((viaInvoke as Error).cause as Error).message)).toBe(true);

    const viaStream = await rejectionOf(graph.stream({ count: 1, doc: { title: "t", lines: [3 as unknown as string] } }).then(collect));
    expect(viaStream).toBeInstanceOf(InvalidInputError);
    expect(viaStream).toMatchObject({ field: "doc.lines[0]" });
  });
});

describe("(b) durability of a run nested in a parent graph", () => {
  function nested() {
    const child = tinyGraph();
    const seen = spyOnStream(child);
    const parent = new StateGraph(State).addNode("child", child).addEdge(START, "child").addEdge("child", END).compile({ checkpointer: new MemorySaver() });
    return { child, seen, parent };
  }

  it.each(["async", "sync", "exit"] as const)("a parent run with durability %s passes it to the nested run as its `durability` option", async (durability) => {
    const { seen, parent } = nested();
    await parent.invoke({ count: 1 }, { configurable: { thread_id: `b-${durability}` }, durability });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.durability).toBe(durability);
  });

  it("marks the nested run with `__pregel_task_id` and does not set `configurable.__pregel_durability`", async () => {
    // withDefaultDurability leaves a run alone when `__pregel_durability` is set; LangGraph 1.7 reads that key
    // (as a fallback for the run's own durability) but never writes it, so a nested run is recognised only by
    // the durability option its parent passes (the case above) or by the task id of the parent's node.
    const { seen, parent } = nested();
    await parent.invoke({ count: 1 }, { configurable: { thread_id: "b-keys" } });
    expect(seen[0]?.configurable?.["__pregel_task_id"]).toEqual(expect.any(String));
    expect(seen[0]?.configurable).not.toHaveProperty("__pregel_durability");
    expect(seen[0]).not.toHaveProperty("durability");
  });

  it("a guarded subgraph under a parent that set no durability keeps LangGraph's choice, not the turn default", async () => {
    const { child, seen, parent } = nested();
    guardRuns(child, { waitMs: () => 0 });
    await parent.invoke({ count: 1 }, { configurable: { thread_id: "b-guarded-default" } });
    expect(seen[0]).not.toHaveProperty("durability");
  });

  it("a guarded subgraph keeps a parent's explicit durability instead of its own default", async () => {
    const { child, seen, parent } = nested();
    guardRuns(child, { waitMs: () => 0 });
    await parent.invoke({ count: 1 }, { configurable: { thread_id: "b-guarded" }, durability: "async" });
    expect(seen[0]?.durability).toBe("async");

    const alone = tinyGraph();
    const own = spyOnStream(alone);
    await guardRuns(alone, { waitMs: () => 0 }).invoke({ count: 1 });
    expect(own[0]?.durability).toBe(DEFAULT_DURABILITY);
  });
});

describe("(c) stream and invoke", () => {
  it("stream resolves to an async iterable, which IterableReadableStream.fromAsyncGenerator re-wraps chunk for chunk", async () => {
    const stream = await tinyGraph().stream({ count: 1 }, { streamMode: "values" });
    expect(typeof (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]).toBe("function");
    const rewrapped = IterableReadableStream.fromAsyncGenerator(
      (async function* () {
        yield* stream;
      })(),
    );
    expect(rewrapped).toBeInstanceOf(ReadableStream);
    expect(await collect(rewrapped)).toEqual([{ count: 1 }, { count: 2 }]);
  });

  it("a consumer that stops reading early ends the wrapped generator, so the guard's finally releases the thread", async () => {
    const lock = countingLock();
    const graph = guardRuns(tinyGraph(), { lock, waitMs: () => 1000 });
    const stream = await graph.stream({ count: 1 }, { streamMode: "values", configurable: { thread_id: "c-early" } });
    expect(lock).toMatchObject({ acquired: 1, released: 0 });
    for await (const chunk of stream) {
      expect(chunk).toEqual({ count: 1 });
      break;
    }
    expect(lock.released).toBe(1);
  });

  it("invoke runs through the instance's stream, with the caller's input and options", async () => {
    const graph = tinyGraph();
    const calls = spyOnStream(graph);
    expect(await graph.invoke({ count: 4 }, { configurable: { thread_id: "c-invoke" }, tags: ["probe"] })).toEqual({ count: 5 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ configurable: { thread_id: "c-invoke" }, tags: ["probe"], streamMode: "values" });
  });

  it("so a guarded graph's invoke holds and releases the thread lock and sends the guard's default durability", async () => {
    const graph = tinyGraph();
    const calls = spyOnStream(graph);
    const lock = countingLock();
    guardRuns(graph, { lock, waitMs: () => 1000 });
    expect(await graph.invoke({ count: 1 }, { configurable: { thread_id: "c-guarded" } })).toEqual({ count: 2 });
    expect(lock).toMatchObject({ acquired: 1, released: 1 });
    expect(calls[0]?.durability).toBe(DEFAULT_DURABILITY);
  });
});
