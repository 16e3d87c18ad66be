import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TimeoutError } from "../../src/domain/errors.js";
import { StreamDeadline, type StreamDeadlineOptions } from "../../src/runtime/deadline.js";

const OPTS: StreamDeadlineOptions = { totalMs: 10_000, firstTokenMs: 1_000, stallMs: 300, model: "llama3.1:8b" };

function reason(d: StreamDeadline): TimeoutError {
  expect(d.signal.aborted).toBe(true);
  const r: unknown = d.signal.reason;
  expect(r).toBeInstanceOf(TimeoutError);
  expect(d.expired).toBe(r);
  return r as TimeoutError;
}

describe("StreamDeadline", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
  });

  it("first-token deadline fires TIMEOUT_FIRST_TOKEN and aborts with the TimeoutError", () => {
    const d = new StreamDeadline(OPTS);
    vi.advanceTimersByTime(999);
    expect(d.signal.aborted).toBe(false);
    expect(d.expired).toBeUndefined();
    vi.advanceTimersByTime(1);
    const error = reason(d);
    expect(error.code).toBe("TIMEOUT_FIRST_TOKEN");
    expect(error.message).toContain("llama3.1:8b");
    expect(error.message).toContain("1000 ms");
    expect(error.message).toContain("BRUNO_FIRST_TOKEN_TIMEOUT_MS");
    expect(d.started).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("the abort event fires once with the reason", () => {
    const d = new StreamDeadline(OPTS);
    const seen: unknown[] = [];
    d.signal.addEventListener("abort", () => seen.push(d.signal.reason));
    vi.advanceTimersByTime(60_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(d.expired);
  });

  it("after tick() the stall deadline applies instead of the first-token one", () => {
    const d = new StreamDeadline(OPTS);
    vi.advanceTimersByTime(900);
    d.tick();
    expect(d.started).toBe(true);
    vi.advanceTimersByTime(299);
    expect(d.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    const error = reason(d);
    expect(error.code).toBe("TIMEOUT_STALL");
    expect(error.message).toContain("300 ms");
    expect(error.message).toContain("BRUNO_STALL_TIMEOUT_MS");
  });

  it("before the first token only the first-token deadline applies, not the stall one", () => {
    const d = new StreamDeadline(OPTS);
    vi.advanceTimersByTime(800);
    expect(d.signal.aborted).toBe(false);
  });

  it.each<[number[], number, "TIMEOUT_STALL" | null]>([
    [[200, 200, 200, 200], 299, null],
    [[200, 200, 200, 200], 300, "TIMEOUT_STALL"],
    [[299, 299, 299], 299, null],
    [[100], 300, "TIMEOUT_STALL"],
  ])("ticks at gaps %j then silence %i → %s", (gaps, silence, code) => {
    const d = new StreamDeadline(OPTS);
    d.tick();
    for (const gap of gaps) {
      vi.advanceTimersByTime(gap);
      expect(d.signal.aborted).toBe(false);
      d.tick();
    }
    vi.advanceTimersByTime(silence);
    if (code === null) expect(d.signal.aborted).toBe(false);
    else expect(reason(d).code).toBe(code);
  });

  it("total deadline fires TIMEOUT_TOTAL even while tokens keep arriving", () => {
    const d = new StreamDeadline(OPTS);
    for (let t = 0; t < 9_900; t += 100) {
      vi.advanceTimersByTime(100);
      d.tick();
      expect(d.signal.aborted).toBe(false);
    }
    vi.advanceTimersByTime(100);
    const error = reason(d);
    expect(error.code).toBe("TIMEOUT_TOTAL");
    expect(error.message).toContain("10000 ms");
    expect(error.message).toContain("BRUNO_TIMEOUT_MS");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("total deadline shorter than first-token wins", () => {
    const d = new StreamDeadline({ totalMs: 500, firstTokenMs: 1_000, stallMs: 300 });
    vi.advanceTimersByTime(500);
    const error = reason(d);
    expect(error.code).toBe("TIMEOUT_TOTAL");
    expect(error.message).toContain("the model");
  });

  it("the first deadline to expire is kept; later ones do not replace it", () => {
    const d = new StreamDeadline(OPTS);
    vi.advanceTimersByTime(1_000);
    const first = d.expired;
    vi.advanceTimersByTime(20_000);
    expect(d.expired).toBe(first);
    expect(d.signal.reason).toBe(first);
  });

  it("tick() after expiry does nothing", () => {
    const d = new StreamDeadline(OPTS);
    vi.advanceTimersByTime(1_000);
    d.tick();
    expect(d.started).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a caller abort propagates with the caller's reason", () => {
    const caller = new AbortController();
    const d = new StreamDeadline({ ...OPTS, signal: caller.signal });
    vi.advanceTimersByTime(100);
    caller.abort("user cancelled");
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe("user cancelled");
    expect(d.expired).toBeUndefined();
    vi.advanceTimersByTime(60_000);
    expect(d.expired).toBeUndefined();
    expect(d.signal.reason).toBe("user cancelled");
  });

  it("an already aborted caller signal aborts at once and starts no timer", () => {
    const caller = new AbortController();
    const why = new Error("gone");
    caller.abort(why);
    const d = new StreamDeadline({ ...OPTS, signal: caller.signal });
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe(why);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("starts exactly two timers, and tick() keeps it at two", () => {
    const d = new StreamDeadline(OPTS);
    expect(vi.getTimerCount()).toBe(2);
    d.tick();
    d.tick();
    expect(vi.getTimerCount()).toBe(2);
  });

  it.each<[string, (d: StreamDeadline) => void]>([
    ["before any token", () => undefined],
    ["after a token", (d) => d.tick()],
  ])("dispose() %s clears the timers: no abort afterwards", (_name, before) => {
    const caller = new AbortController();
    const d = new StreamDeadline({ ...OPTS, signal: caller.signal });
    before(d);
    d.dispose();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(d.signal.aborted).toBe(false);
    expect(d.expired).toBeUndefined();
    caller.abort("late");
    expect(d.signal.aborted).toBe(false);
  });

  it("dispose() twice is harmless", () => {
    const d = new StreamDeadline(OPTS);
    d.dispose();
    expect(() => d.dispose()).not.toThrow();
  });
});
