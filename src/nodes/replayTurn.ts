import { Overwrite, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { BaseMessage } from "@langchain/core/messages";
import { InvalidInputError } from "../domain/errors.js";
import type { Notice } from "../domain/index.js";
import type { GenerationDeps } from "./deps.js";
import type { GenerationStateType, GenerationUpdate } from "./state.js";

/**
 * Whether a turn's `turnId` names a turn the thread has already answered: the last one
 * (`lastTurn.turnId`) or one of the `recentTurnIds`. Such a turn is not run again.
 */
export function isAnsweredTurn(state: Pick<GenerationStateType, "turnId" | "lastTurn" | "recentTurnIds">): boolean {
  const id = state.turnId;
  if (typeof id !== "string" || id === "") return false;
  return state.lastTurn?.turnId === id || (state.recentTurnIds ?? []).includes(id);
}

function lastQuery(messages: readonly BaseMessage[] | undefined): string | undefined {
  const human = [...(messages ?? [])].reverse().find((m) => m.getType() === "human");
  return typeof human?.content === "string" ? human.content : undefined;
}

/**
 * A resend of the thread's last turn (same `turnId`): answers with that turn's saved result (its
 * answer, citations, grounding, models, usage), calls no model and adds nothing to the thread's
 * messages; its notices gain `TURN_REPLAYED`. The graph runs under the thread's lock, so of two
 * concurrent resends one runs the turn and the other replays it.
 *
 * Refused with `InvalidInputError` (field `turnId`): an id of an older turn of the thread (only
 * the last turn's result is kept), and an id of the last turn sent with a different query (an id
 * names one question).
 */
export function createReplayTurnNode(getDeps: () => GenerationDeps) {
  return async function replayTurn(state: GenerationStateType, config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const id = state.turnId ?? "";
    const last = state.lastTurn;
    if (!last || last.turnId !== id) {
      throw new InvalidInputError(
        "turnId",
        `turn ${JSON.stringify(id)} was answered earlier in this thread, before its last turn; only the last turn can be replayed (its answer is in the thread's messages). Send a new turnId to ask again`,
        { details: { reason: "older-turn" } },
      );
    }
    const asked = lastQuery(state.messages);
    if (asked !== undefined && state.query !== undefined && asked !== state.query) {
      throw new InvalidInputError("turnId", `turn ${JSON.stringify(id)} of this thread asked a different query; a turnId names one question: send a new turnId for a new question`, {
        details: { reason: "different-query" },
      });
    }
    deps.telemetry.runLogger(deps.logger, config, { model: last.model, queryType: last.queryType }).info({ event: "turn_replayed", turnId: id }, "turn already answered; replaying its saved result");
    const kept = (state.notices ?? []).filter((n) => n.code !== "TURN_REPLAYED");
    const list: Notice[] = [
      ...kept,
      { code: "TURN_REPLAYED", message: `turn ${JSON.stringify(id)} was already answered in this thread; this is its saved result (no model was called, nothing was added to the thread)` },
    ];
    return {
      queryType: last.queryType,
      model: last.model,
      warnings: new Overwrite<string[]>(list.map((n) => n.message)),
      notices: new Overwrite<Notice[]>(list),
    };
  };
}
