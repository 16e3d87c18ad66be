/**
 * `Idempotency-Key` on `POST /v1/generate` (the turn's `turnId`): a client that resends a message
 * whose response it never got (its replica died after saving the turn) gets the saved answer
 * again, marked `x-bruno-replayed: true`, and the thread holds the turn once.
 */
import { describe, expect, it } from "vitest";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import { createServeApp, IDEMPOTENCY_HEADER, REPLAYED_HEADER, THREAD_HEADER } from "../../src/app/serve/index.js";
import { memoryDatabase } from "../../src/persistence/database.js";
import { staticModelServer } from "../../src/providers/ports.js";
import { createFakeModels, type FakeScript } from "../support/fakeModels.js";
import { ALL_MODELS, GROUNDED_1, GROUNDED_2, LOKI_DOCS, testConfig, threadMessages, TROUBLESHOOTING_QUERY, until } from "../graph/helpers.js";

interface Result {
  answer: string;
  model: string;
  notices: { code: string; message: string }[];
  warnings: string[];
  [key: string]: unknown;
}

function serveApp(script: FakeScript = { "sre-agent:v1.0": [`${GROUNDED_1} ${GROUNDED_2}`, "a second answer that must not be given"] }) {
  const fake = createFakeModels(script);
  const config = testConfig();
  const database = memoryDatabase();
  const graph = createGenerationGraph({ config, admin: staticModelServer(ALL_MODELS), chatModelFactory: fake.factory, database });
  return { ...createServeApp({ graph, database, config }), fake, graph };
}

function post(app: ReturnType<typeof serveApp>["app"], body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(app.request("/v1/generate", { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) }));
}

const TURN = { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS };
function withoutReplayMark(r: Result): Result {
  const mark = r.notices.find((n) => n.code === "TURN_REPLAYED")?.message;
  return { ...r, notices: r.notices.filter((n) => n.code !== "TURN_REPLAYED"), warnings: r.warnings.filter((w) => w !== mark) };
}

describe("Idempotency-Key on POST /v1/generate", () => {
  it("a resend with the key returns the same JSON, with x-bruno-replayed: true; no model call, the turn once in the thread", async () => {
    const { app, fake, graph } = serveApp();
    const first = await post(app, { ...TURN, threadId: "t-key" }, { "Idempotency-Key": "m-1" });
    expect(first.status).toBe(200);
    expect(first.headers.get(REPLAYED_HEADER)).toBeNull();
    const original = (await first.json()) as Result;

    const resend = await post(app, { ...TURN, threadId: "t-key" }, { "Idempotency-Key": "m-1" });
    expect(resend.status).toBe(200);
    expect(resend.headers.get(REPLAYED_HEADER)).toBe("true");
    expect(resend.headers.get(THREAD_HEADER)).toBe("t-key");
    const replayed = (await resend.json()) as Result;
    expect(withoutReplayMark(replayed)).toEqual(original);
    expect(replayed.notices.map((n) => n.code)).toEqual([...original.notices.map((n) => n.code), "TURN_REPLAYED"]);
    expect(fake.calls).toHaveLength(1);
    expect(await threadMessages(graph, "t-key")).toHaveLength(2);

    // A new key is a new turn.
    const next = await post(app, { ...TURN, threadId: "t-key" }, { "Idempotency-Key": "m-2" });
    expect(next.status).toBe(200);
    expect(next.headers.get(REPLAYED_HEADER)).toBeNull();
    expect(fake.calls).toHaveLength(2);
  });

  it("concurrent resends with one key on one thread (strategy enqueue): the model is called once, every send gets the answer", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { app, fake, graph } = serveApp({ "sre-agent:v1.0": [{ answer: GROUNDED_1, gate }, "never"] });
    const sends = [post(app, { ...TURN, threadId: "t-race", strategy: "enqueue" }, { "Idempotency-Key": "k" })];
    await until(() => fake.calls.length === 1);
    sends.push(post(app, { ...TURN, threadId: "t-race", strategy: "enqueue" }, { "Idempotency-Key": "k" }));
    sends.push(post(app, { ...TURN, threadId: "t-race", strategy: "enqueue" }, { "Idempotency-Key": "k" }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    open();
    const responses = await Promise.all(sends);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(responses.map((r) => r.headers.get(REPLAYED_HEADER))).toEqual([null, "true", "true"]);
    const answers = await Promise.all(responses.map(async (r) => ((await r.json()) as Result).answer));
    expect(answers).toEqual([GROUNDED_1, GROUNDED_1, GROUNDED_1]);
    expect(fake.calls).toHaveLength(1);
    expect(await threadMessages(graph, "t-race")).toHaveLength(2);
  });

  it("a body turnId works alike; a header that differs from it, or is empty, is a 400 naming Idempotency-Key", async () => {
    const { app, fake } = serveApp();
    expect((await post(app, { ...TURN, threadId: "t-body", turnId: "b-1" })).status).toBe(200);
    const resend = await post(app, { ...TURN, threadId: "t-body", turnId: "b-1" }, { [IDEMPOTENCY_HEADER]: "b-1" });
    expect(resend.headers.get(REPLAYED_HEADER)).toBe("true");
    const differing = await post(app, { ...TURN, threadId: "t-body", turnId: "b-1" }, { [IDEMPOTENCY_HEADER]: "b-2" });
    expect(differing.status).toBe(400);
    expect(((await differing.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("Idempotency-Key") });
    expect(fake.calls).toHaveLength(1);
  });

  it("the key of an older turn of the thread is a 400 INVALID_INPUT naming turnId; nothing runs", async () => {
    const { app, fake } = serveApp({ "sre-agent:v1.0": [GROUNDED_1, GROUNDED_2, "never"] });
    await post(app, { ...TURN, threadId: "t-old" }, { "Idempotency-Key": "a" });
    await post(app, { ...TURN, threadId: "t-old" }, { "Idempotency-Key": "b" });
    const old = await post(app, { ...TURN, threadId: "t-old" }, { "Idempotency-Key": "a" });
    expect(old.status).toBe(400);
    expect(((await old.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("turnId") });
    expect(fake.calls).toHaveLength(2);
  });

  it("over Server-Sent Events, a replay streams no token and its result carries the TURN_REPLAYED notice", async () => {
    const { app, fake } = serveApp();
    await post(app, { ...TURN, threadId: "t-sse" }, { "Idempotency-Key": "s-1" });
    const response = await post(app, { ...TURN, threadId: "t-sse" }, { "Idempotency-Key": "s-1", Accept: "text/event-stream" });
    const text = await response.text();
    expect(text).not.toContain("event: token");
    const result = JSON.parse(/event: result\ndata: (.*)\n/.exec(text)?.[1] ?? "{}") as Result;
    expect(result.answer).toBe(`${GROUNDED_1} ${GROUNDED_2}`);
    expect(result.notices.at(-1)?.code).toBe("TURN_REPLAYED");
    expect(fake.calls).toHaveLength(1);
  });
});
