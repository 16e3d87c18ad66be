import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { ThreadLock } from "../runtime/threadLock.js";

export type DatabaseKind = "memory" | "sqlite" | "postgres";

/** The conversation database of a process: checkpointer, thread lock, health and shutdown. */
export interface Database {
  readonly kind: DatabaseKind;
  /** Where it is, printable: a file path, a URL with its password as `***`, or "memory". */
  readonly location: string;
  readonly saver: BaseCheckpointSaver;
  readonly lock: ThreadLock;
  /** Resolves when the database answers; rejects with `DatabaseError` otherwise. */
  ping(options?: { signal?: AbortSignal }): Promise<void>;
  /** Stops the lock's timers and closes connections; idempotent. */
  close(): Promise<void>;
}
