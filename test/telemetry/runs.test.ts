/**
 * How runs are followed without LangChain callbacks: the run wrapper (ids, early stops, the
 * caller's own callbacks), the node wrapper, and what stays out of checkpoints.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { describe, expect, it } from "vitest";
import { createTelemetry, METRIC_NAMES as M, RUN_ID_KEY } from "../../src/telemetry/index.js";
import { instrumentNode } from "../../src/telemetry/instrument.js";
import { captureLogs, DOCS, QUERY, scrape, series, setupPerTest, thread } from "./helpers.js";

const ANSWER = "Raise the memory limit of the ingester StatefulSet [1].";

const open = setupPerTest();

describe("the run wrapper", () => {
  it("uses the caller's runId as the run's id in every log line of the run", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, { ...thread("ids"), runId: "3f1c2b9e-0000-4000-8000-000000000001" });
    const lines = s.logs.lines().filter((l) => l.runId !== undefined);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lines.map((l) => l.runId))).toEqual(new Set(["3f1c2b9e-0000-4000-8000-000000000001"]));
  });

  it("counts a run whose caller stopped reading the stream as cancelled, and frees the thread for the next turn", async () => {
    const s = await open({ server: { timing: { tokenDelayMs: 5 } } });
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER }, { content: ANSWER });
    const stream = await s.graph.stream({ query: QUERY, documents: DOCS }, { ...thread("early"), streamMode: "messages" });
    for await (const _chunk of stream) break;
    let samples = await scrape(s.telemetry);
    expect(series(samples, M.runs)).toEqual({ "error_type=CANCELLED,outcome=cancelled,query_type=troubleshooting": 1 });
    expect(s.telemetry.tracker.size).toBe(0);

    const out = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("early"));
    expect(out.answer).toBe(ANSWER);
    samples = await scrape(s.telemetry);
    expect(series(samples, M.runs)).toMatchObject({ "error_type=none,outcome=answered,query_type=troubleshooting": 1 });
  });

  it("reports the same metrics when the caller brings LangChain callbacks of its own, which see the nodes", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER });
    const seen: string[] = [];
    const handler = new (class extends BaseCallbackHandler {
      name = "host";
      override handleChainStart(_c: unknown, _i: unknown, _r: string, _p?: string, _t?: string[], metadata?: Record<string, unknown>, _rt?: string, runName?: string): void {
        if (metadata?.langgraph_node === runName && runName !== undefined && runName !== "__start__") seen.push(runName);
      }
    })();
    await s.graph.invoke({ query: QUERY, documents: DOCS }, { ...thread("host-callbacks"), callbacks: [handler] });
    expect(seen).toEqual(["classify", "selectModel", "buildPrompt", "generate", "validateCitations"]);
    const samples = await scrape(s.telemetry);
    expect(series(samples, M.runs)).toEqual({ "error_type=none,outcome=answered,query_type=troubleshooting": 1 });
    expect(series(samples, `${M.nodeDuration}_count`)).toMatchObject({ "node=classify": 1, "node=generate": 1 });
    expect(series(samples, `${M.timeToFirstToken}_count`)).toEqual({ [`host=${s.server.url},model=sre-agent:v1.0`]: 1 });
  });

  it("keeps the run id out of the checkpoint: neither its metadata nor the thread's config carry it", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("clean"));
    const snapshot = await s.graph.getState(thread("clean"));
    expect(JSON.stringify(snapshot.metadata)).not.toContain(RUN_ID_KEY);
    expect(JSON.stringify(snapshot.config)).not.toContain(RUN_ID_KEY);
  });
});

describe("instrumentNode", () => {
  const telemetry = () => {
    const logs = captureLogs("silent");
    const t = createTelemetry({ logger: logs.logger });
    return { telemetry: t, logger: logs.logger };
  };

  it("passes state, config and update through, keeps the node's function name, and times it", async () => {
    const target = telemetry();
    const calls: unknown[] = [];
    const node = instrumentNode(
      "classify",
      () => target,
      async function classify(state: { q: string }, config: { metadata?: Record<string, unknown> }) {
        calls.push([state, config]);
        return { queryType: "chat" };
      },
    );
    expect(node.name).toBe("classify");
    const config = { metadata: { langgraph_step: 1 } };
    await expect(node({ q: "hi" }, config)).resolves.toEqual({ queryType: "chat" });
    expect(calls).toEqual([[{ q: "hi" }, config]]);
    const samples = await scrape(target.telemetry);
    expect(series(samples, `${M.nodeDuration}_count`)).toEqual({ "node=classify": 1 });
    expect(target.telemetry.tracker.size).toBe(0);
  });

  it("rethrows a node's error unchanged and still records its duration", async () => {
    const target = telemetry();
    const boom = new Error("boom");
    const node = instrumentNode(
      "generate",
      () => target,
      async () => {
        throw boom;
      },
    );
    await expect(node({}, {})).rejects.toBe(boom);
    const samples = await scrape(target.telemetry);
    expect(series(samples, `${M.nodeDuration}_count`)).toEqual({ "node=generate": 1 });
    expect(target.telemetry.tracker.size).toBe(0);
  });
});
