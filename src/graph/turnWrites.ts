import type { BaseCheckpointSaver } from "@langchain/langgraph";

/**
 * LangGraph's configurable key for a checkpointer lent to one run (`__pregel_checkpointer`): it
 * takes the place of the compiled graph's own for that run.
 */
export const RUN_CHECKPOINTER_KEY = "__pregel_checkpointer";

function asSaver(value: unknown): BaseCheckpointSaver | undefined {
  return typeof value === "object" && value !== null && typeof (value as BaseCheckpointSaver).put === "function" ? (value as BaseCheckpointSaver) : undefined;
}

/** The checkpointer a run writes to: the one lent to it (`configurable`), else the compiled graph's own. */
export function checkpointerOf(graph: unknown, configurable: Record<string, unknown> | undefined): BaseCheckpointSaver | undefined {
  const lent = configurable?.[RUN_CHECKPOINTER_KEY];
  return lent !== undefined ? asSaver(lent) : asSaver((graph as { checkpointer?: unknown }).checkpointer);
}

type Put = BaseCheckpointSaver["put"];
type PutWrites = BaseCheckpointSaver["putWrites"];

/**
 * A turn's writes, held back until the turn has succeeded. LangGraph 1.7.3 with durability
 * "exit" still writes a checkpoint when a run fails or is aborted: the state after the last
 * finished step (its `finishAndHandleError`). For a turn that is cancelled, or whose thread lock
 * was lost to another process, that write is a half turn, and a late one can land after the
 * other process's turn and hide it. Through `saver` (lent to the run) the writes are recorded
 * instead; `commit` writes them in order once the run has ended well, and a run that fails
 * never commits, so it saves nothing.
 */
export class TurnWrites {
  readonly saver: BaseCheckpointSaver;
  private readonly pending: Array<() => Promise<unknown>> = [];

  constructor(target: BaseCheckpointSaver) {
    const put: Put = async (config, checkpoint, metadata, newVersions) => {
      this.pending.push(() => target.put(config, checkpoint, metadata, newVersions));
      return { configurable: { thread_id: config.configurable?.["thread_id"], checkpoint_ns: config.configurable?.["checkpoint_ns"] ?? "", checkpoint_id: checkpoint.id } };
    };
    const putWrites: PutWrites = async (config, writes, taskId) => {
      this.pending.push(() => target.putWrites(config, writes, taskId));
    };
    this.saver = new Proxy(target, {
      get(object, property) {
        if (property === "put") return put;
        if (property === "putWrites") return putWrites;
        const value: unknown = Reflect.get(object, property, object);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(object) : value;
      },
    });
  }

  /** How many writes wait for `commit`. */
  get size(): number {
    return this.pending.length;
  }

  /** Writes what the run recorded, in the order it was recorded. */
  async commit(): Promise<void> {
    for (const write of this.pending.splice(0)) await write();
  }
}
