import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ScaleClient } from "../../bench/scale/client.js";
import { messageKey } from "../../bench/scale/load.js";
import { arrivalTimes } from "../../bench/scale/schedule.js";
import { closedPort } from "../support/net.js";

/** A replica stand-in that answers each POST with the next of `replies` (the last one repeats); it records each request's `Idempotency-Key`. */
async function replica(replies: { status: number; body: unknown; headers?: Record<string, string> }[]): Promise<{ url: string; hits: () => number; keys: (string | undefined)[]; server: Server }> {
  let hits = 0;
  const keys: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    const key = req.headers["idempotency-key"];
    keys.push(typeof key === "string" ? key : undefined);
    req.resume();
    req.on("end", () => {
      const reply = replies[Math.min(hits, replies.length - 1)] as (typeof replies)[number];
      hits += 1;
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits, keys, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function client(replicas: string[], random = () => 0) {
  return new ScaleClient({ replicas, t0: performance.now(), random });
}

describe("the scale test's client", () => {
  it("sends a 503 again after its Retry-After and counts the turn as answered", async () => {
    const r = await replica([
      { status: 503, body: { error: { code: "SERVER_BUSY" } }, headers: { "retry-after": "0" } },
      { status: 200, body: { answer: "ok [1]" } },
    ]);
    servers.push(r.server);
    const result = await client([r.url]).send({ query: "q", threadId: "t" });
    expect(result).toMatchObject({ outcome: "answered", answer: "ok [1]" });
    expect(result.attempts.map((a) => a.status)).toEqual([503, 200]);
  });

  it("sends a refused connection at once to another replica, and avoids the dead one afterwards", async () => {
    const live = await replica([{ status: 200, body: { answer: "a" } }]);
    servers.push(live.server);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const c = client([dead, live.url]);
    const first = await c.send({ query: "q1", threadId: "t" });
    expect(first.outcome).toBe("answered");
    expect(first.attempts.map((a) => [a.replica, a.error ?? a.status])).toEqual([
      [0, "ECONNREFUSED"],
      [1, 200],
    ]);
    const second = await c.send({ query: "q2", threadId: "t" });
    expect(second.attempts.map((a) => a.replica)).toEqual([1]);
  });

  it("sends the same Idempotency-Key on every send of a message, and reads x-bruno-replayed of the answer", async () => {
    const r = await replica([
      { status: 503, body: { error: { code: "SERVER_BUSY" } }, headers: { "retry-after": "0" } },
      { status: 200, body: { answer: "saved [1]" }, headers: { "x-bruno-replayed": "true" } },
      { status: 200, body: { answer: "new [1]" } },
    ]);
    servers.push(r.server);
    const c = client([r.url]);
    const first = await c.send({ query: "q1", threadId: "t" }, messageKey("t", 0));
    expect(first).toMatchObject({ outcome: "answered", answer: "saved [1]", replayed: true });
    const second = await c.send({ query: "q2", threadId: "t" }, messageKey("t", 1));
    expect(second).toMatchObject({ outcome: "answered", replayed: false });
    expect(r.keys).toEqual(["t/1", "t/1", "t/2"]);
  });

  it("takes a 409 THREAD_BUSY as refused, without sending it again", async () => {
    const r = await replica([{ status: 409, body: { error: { code: "THREAD_BUSY", message: "busy" } } }]);
    servers.push(r.server);
    const result = await client([r.url]).send({ query: "q", threadId: "t" });
    expect(result).toMatchObject({ outcome: "busy", reason: "THREAD_BUSY" });
    expect(r.hits()).toBe(1);
  });

  it("gives up on a turn that fails with another status", async () => {
    const r = await replica([{ status: 502, body: { error: { code: "ALL_MODELS_FAILED" } } }]);
    servers.push(r.server);
    const result = await client([r.url]).send({ query: "q", threadId: "t" });
    expect(result).toMatchObject({ outcome: "failed", reason: "502 ALL_MODELS_FAILED" });
    expect(r.hits()).toBe(1);
  });
});

describe("the arrival schedule", () => {
  it("ramps linearly: 330 conversations over 60 s from 1 to 10 a second, gaps shrinking from 1 s to 0.1 s", () => {
    const times = arrivalTimes({ durationS: 60, startRate: 1, maxRate: 10 });
    expect(times).toHaveLength(330);
    expect(times[0]).toBe(0);
    expect(times.at(-1)).toBeLessThanOrEqual(60_000);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps[0]).toBeGreaterThan(900);
    expect(gaps.at(-1)).toBeLessThan(110);
    expect(times.filter((t) => t < 30_000).length).toBeLessThan(times.filter((t) => t >= 30_000).length);
  });

  it("refuses a ramp that goes down", () => {
    expect(() => arrivalTimes({ durationS: 10, startRate: 5, maxRate: 2 })).toThrow(/start rate <= max rate/);
  });
});
