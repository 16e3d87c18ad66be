/** Reading what a command printed: shared by the in-process CLI harness and the spawn helper. */

/** One piece of stdout as it arrived. */
export interface Chunk {
  /** Length of stdout after this chunk. */
  end: number;
  /** `Date.now()` when it arrived. */
  at: number;
}

/** A line of a stack trace. */
export const STACK_FRAME = /^\s+at\s/m;

/** The non-blank lines of `text`. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

/** When stdout first contained `text`, from its chunks. */
export function firstSeen(result: { stdout: string; chunks: readonly Chunk[] }, text: string): number {
  const position = result.stdout.indexOf(text);
  if (position < 0) throw new Error(`stdout never contained ${JSON.stringify(text)}`);
  const chunk = result.chunks.find((c) => c.end >= position + text.length);
  return chunk?.at ?? Number.NaN;
}

/** Polls `condition` every 10 ms; throws naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
