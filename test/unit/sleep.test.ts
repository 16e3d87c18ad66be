import { describe, expect, it } from "vitest";
import { sleep } from "../../src/runtime/sleep.js";

describe("sleep", () => {
  it("rejects with CANCELLED at once when the signal is already aborted, instead of waiting out the delay", async () => {
    const aborted = AbortSignal.abort();
    const outcome = await Promise.race([
      sleep(10_000, aborted, "stopped").then(
        () => "slept",
        (e: unknown) => e,
      ),
      new Promise((r) => setTimeout(() => r("still waiting"), 200)),
    ]);
    expect(outcome).toMatchObject({ code: "CANCELLED", message: "stopped" });
  });

  it("rejects with CANCELLED when the signal aborts during the wait, and resolves after the delay otherwise", async () => {
    const controller = new AbortController();
    const waiting = sleep(10_000, controller.signal, "stopped");
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "CANCELLED" });
    await expect(sleep(5, undefined, "stopped")).resolves.toBeUndefined();
  });
});
