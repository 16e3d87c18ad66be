/**
 * After the run: every conversation's thread read back from the database through the package
 * (`openDatabase`, the graph's `getState`), checked against what the client was told. Every turn
 * answered with a 200 must be in the thread exactly once, in the order it was sent, followed by the
 * answer the client received.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { createGenerationGraph, loadConfig, openDatabase } from "../../src/index.js";
import type { TurnRecord } from "./load.js";

export interface Verification {
  threads: number;
  /** Answered turns missing from their thread. */
  lost: number;
  /** Answered turns that appear more than once in their thread. */
  duplicated: number;
  /** Answered turns kept out of the order they were sent in. */
  outOfOrder: number;
  /** Answered turns whose saved answer differs from the one the client got. */
  wrongAnswer: number;
  /** Turns the client saw fail or refused that the thread holds anyway (a turn saved as its connection broke). */
  savedUnanswered: number;
  /** Up to ten descriptions of what went wrong, for the report. */
  problems: string[];
}

function text(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

/** Reads every thread of `records` from the database at `db` and checks it. */
export async function verifyThreads(db: string, records: readonly TurnRecord[]): Promise<Verification> {
  const config = loadConfig({ env: { BRUNO_DB: db, BRUNO_LOG_LEVEL: "silent" } });
  const database = await openDatabase(config);
  const graph = createGenerationGraph({ config, database });
  const byThread = new Map<string, TurnRecord[]>();
  for (const r of records) byThread.set(r.threadId, [...(byThread.get(r.threadId) ?? []), r]);
  const v: Verification = { threads: byThread.size, lost: 0, duplicated: 0, outOfOrder: 0, wrongAnswer: 0, savedUnanswered: 0, problems: [] };
  const problem = (line: string): void => {
    if (v.problems.length < 10) v.problems.push(line);
  };
  try {
    for (const [threadId, turns] of byThread) {
      const state = await graph.getState({ configurable: { thread_id: threadId } });
      const messages = ((state.values as { messages?: BaseMessage[] }).messages ?? []) as BaseMessage[];
      const humans = messages.flatMap((m, i) => (m.getType() === "human" ? [{ query: text(m), reply: messages[i + 1] }] : []));
      let lastPosition = -1;
      for (const turn of [...turns].sort((a, b) => a.turn - b.turn)) {
        const positions = humans.flatMap((h, i) => (h.query === turn.query ? [i] : []));
        if (turn.outcome !== "answered") {
          if (positions.length > 0) v.savedUnanswered += 1;
          continue;
        }
        if (positions.length === 0) {
          v.lost += 1;
          problem(`${threadId} turn ${turn.turn + 1}: answered with a 200 but not in the thread`);
          continue;
        }
        if (positions.length > 1) {
          v.duplicated += 1;
          problem(`${threadId} turn ${turn.turn + 1}: ${positions.length} times in the thread`);
        }
        const position = positions[0] as number;
        if (position < lastPosition) {
          v.outOfOrder += 1;
          problem(`${threadId} turn ${turn.turn + 1}: saved before an earlier turn`);
        }
        lastPosition = Math.max(lastPosition, position);
        const reply = humans[position]?.reply;
        if (!reply || reply.getType() !== "ai" || text(reply) !== turn.answer) {
          v.wrongAnswer += 1;
          problem(`${threadId} turn ${turn.turn + 1}: the saved answer differs from the one returned`);
        }
      }
    }
  } finally {
    await database.close();
  }
  return v;
}
