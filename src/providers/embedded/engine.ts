import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { ModelFileError } from "../../domain/errors.js";
import { nodeLlamaCpp } from "./loader.js";
import type { Logger } from "pino";
import { checkModelFile, MODEL_FILE_HINT } from "./modelFile.js";

/**
 * CPU threads per context when `BRUNO_THREADS` is unset. Chosen by measurement
 * (`npm run bench:embedded`), not by core count: on the 2-core reference machine 1 thread
 * generates over 100× faster than node-llama-cpp's default (which oversubscribes the cores).
 */
export const DEFAULT_EMBEDDED_THREADS = 1;

/** Context sequences per loaded model: how many requests generate at once; later ones queue. */
export const DEFAULT_EMBEDDED_SEQUENCES = 2;

/** Largest context a model gets by default, whatever it was trained for (KV-cache memory). */
export const MAX_DEFAULT_CONTEXT_SIZE = 8192;

/** Smallest default context: chat templates and history compression need room (stories260K fails at 256). */
export const MIN_DEFAULT_CONTEXT_SIZE = 2048;

/** Settings of the embedded engine. */
export interface EmbeddedEngineOptions {
  /** CPU threads per context; `DEFAULT_EMBEDDED_THREADS` when omitted. */
  threads?: number | undefined;
  /** Tokens per context sequence; by default the model's trained context, clamped to 2,048–8,192. */
  contextSize?: number | undefined;
  /** Size of the sequence pool per model; `DEFAULT_EMBEDDED_SEQUENCES` when omitted. */
  sequences?: number | undefined;
  /** Receives llama.cpp's own log lines (at debug level) and load events. */
  logger?: Logger | undefined;
}

/** Exclusive use of one context sequence of a loaded model, until `release()`. */
export interface SequenceLease {
  readonly file: string;
  readonly model: LlamaModel;
  readonly sequence: LlamaContextSequence;
  /** The model's own chat template, as node-llama-cpp resolved it from the GGUF metadata. */
  readonly chatWrapper: ChatWrapper;
  /** Time this lease spent loading the model (0 when it was already loaded). */
  readonly loadMs: number;
  /** Time spent waiting for a free sequence. */
  readonly queuedMs: number;
  /** Returns the sequence to the pool (keeping its KV cache for the next request). Idempotent. */
  release(): void;
}

interface Waiter {
  resolve(sequence: LlamaContextSequence): void;
  reject(reason: unknown): void;
}

interface LoadedModel {
  file: string;
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  idle: LlamaContextSequence[];
  waiters: Waiter[];
}

let llamaLoad: Promise<Llama> | undefined;
let logSink: Logger | undefined;
const engines = new Set<EmbeddedEngine>();

/** The process's one llama.cpp binding: prebuilt CPU binary, never a build or a download. */
function sharedLlama(): Promise<Llama> {
  if (!llamaLoad) {
    const load = (async function loadLlama() {
      const { getLlama, LlamaLogLevel } = await nodeLlamaCpp();
      return getLlama({
        build: "never",
        gpu: false,
        maxThreads: 0,
        logLevel: LlamaLogLevel.warn,
        logger: (level, message) => logSink?.debug({ event: "llama_cpp_log", level, message: message.trim() }, "llama.cpp"),
        progressLogs: false,
      });
    })();
    load.catch(() => {
      if (llamaLoad === load) llamaLoad = undefined;
    });
    llamaLoad = load;
  }
  return llamaLoad;
}

/** The context size a model gets: the setting, else its trained context clamped to 2,048–8,192. */
export function defaultContextSize(trainContextSize: number, setting?: number): number {
  if (setting !== undefined) return setting;
  return Math.max(MIN_DEFAULT_CONTEXT_SIZE, Math.min(MAX_DEFAULT_CONTEXT_SIZE, trainContextSize));
}

/**
 * Runs GGUF models in process with llama.cpp. One binding per process, each file loaded once
 * (lazily, on first use) with one context holding a small pool of sequences: up to `sequences`
 * requests generate at once, batched together by llama.cpp; further requests wait in a FIFO
 * queue (abortable) for a sequence to come back. Call `dispose()` before the process exits: a
 * loaded model keeps the event loop alive.
 */
export class EmbeddedEngine {
  readonly threads: number;
  readonly sequences: number;
  private readonly contextSize: number | undefined;
  private readonly logger: Logger | undefined;
  private readonly models = new Map<string, Promise<LoadedModel>>();
  private readonly trainedContext = new Map<string, Promise<number>>();
  private readonly checkedFiles = new Map<string, Promise<string>>();
  private disposed = false;

  constructor(options: EmbeddedEngineOptions = {}) {
    this.threads = options.threads ?? DEFAULT_EMBEDDED_THREADS;
    this.sequences = options.sequences ?? DEFAULT_EMBEDDED_SEQUENCES;
    this.contextSize = options.contextSize;
    this.logger = options.logger;
    if (options.logger) logSink = options.logger;
    engines.add(this);
  }

  /**
   * `file` checked as a GGUF file (see `checkModelFile`), once per engine: a file found good is
   * not opened again on every call; a failed check is retried next time.
   */
  private checked(file: string): Promise<string> {
    let check = this.checkedFiles.get(file);
    if (!check) {
      check = checkModelFile(file);
      this.checkedFiles.set(file, check);
      check.catch(() => {
        if (this.checkedFiles.get(file) === check) this.checkedFiles.delete(file);
      });
    }
    return check;
  }

  /** The context size (tokens per sequence) `file` runs with, read from its GGUF metadata without loading it. */
  async contextSizeOf(file: string): Promise<number> {
    if (this.contextSize !== undefined) return this.contextSize;
    const path = await this.checked(file);
    let trained = this.trainedContext.get(path);
    if (!trained) {
      trained = (async function readTrainedContext() {
        const { readGgufFileInfo } = await nodeLlamaCpp();
        const info = await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false });
        const value = (info.architectureMetadata as { context_length?: unknown }).context_length;
        return typeof value === "number" && value > 0 ? value : MIN_DEFAULT_CONTEXT_SIZE;
      })();
      this.trainedContext.set(path, trained);
      trained.catch(() => this.trainedContext.delete(path));
    }
    try {
      return defaultContextSize(await trained);
    } catch (cause) {
      throw new ModelFileError(path, "unreadable", `cannot read the GGUF metadata of ${path} (${(cause as Error).message}): ${MODEL_FILE_HINT}`, { cause });
    }
  }

  /** Loads `file` if it is not loaded yet; resolves with the time the load took (0 if it was loaded). */
  async load(file: string): Promise<{ loadMs: number }> {
    const { loadMs } = await this.loaded(file);
    return { loadMs };
  }

  /**
   * A sequence of `file`'s context for one generation, loading the model on first use. Waits
   * (first come, first served) while every sequence is busy; `signal` abandons the wait.
   */
  async acquire(file: string, options: { signal?: AbortSignal | undefined } = {}): Promise<SequenceLease> {
    const { signal } = options;
    signal?.throwIfAborted();
    const { entry, loadMs } = await abortable(this.loaded(file), signal);
    const waitStart = performance.now();
    const sequence = await this.take(entry, signal);
    const queuedMs = performance.now() - waitStart;
    let released = false;
    return {
      file: entry.file,
      model: entry.model,
      sequence,
      chatWrapper: entry.chatWrapper,
      loadMs,
      queuedMs,
      release: () => {
        if (released) return;
        released = true;
        this.give(entry, sequence);
      },
    };
  }

  /** Unloads every model and frees their contexts; pending waits are rejected. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    engines.delete(this);
    const loads = [...this.models.values()];
    this.models.clear();
    await Promise.all(
      loads.map(async function unload(load) {
        let entry: LoadedModel;
        try {
          entry = await load;
        } catch {
          return;
        }
        for (const waiter of entry.waiters.splice(0)) waiter.reject(new Error("the embedded engine was shut down"));
        await entry.context.dispose();
        await entry.model.dispose();
      }),
    );
  }

  private async loaded(file: string): Promise<{ entry: LoadedModel; loadMs: number }> {
    if (this.disposed) throw new Error("the embedded engine was shut down");
    const path = await this.checked(file);
    const existing = this.models.get(path);
    if (existing) return { entry: await existing, loadMs: 0 };
    const started = performance.now();
    const load = this.loadModel(path);
    this.models.set(path, load);
    load.catch(() => {
      if (this.models.get(path) === load) this.models.delete(path);
    });
    const entry = await load;
    return { entry, loadMs: performance.now() - started };
  }

  private async loadModel(path: string): Promise<LoadedModel> {
    const llama = await sharedLlama();
    const { resolveChatWrapper } = await nodeLlamaCpp();
    const contextSize = await this.contextSizeOf(path);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: path });
    } catch (cause) {
      throw new ModelFileError(path, "unreadable", `llama.cpp cannot load ${path} (${(cause as Error).message}): ${MODEL_FILE_HINT}`, { cause });
    }
    try {
      const context = await model.createContext({ contextSize, sequences: this.sequences, threads: this.threads });
      const chatWrapper = resolveChatWrapper(model);
      this.logger?.debug(
        { event: "embedded_model_loaded", file: path, contextSize: context.contextSize, threads: this.threads, sequences: this.sequences, chatWrapper: chatWrapper.wrapperName },
        "embedded model loaded",
      );
      return { file: path, model, context, chatWrapper, idle: [], waiters: [] };
    } catch (cause) {
      await model.dispose();
      throw new ModelFileError(path, "unreadable", `llama.cpp cannot create a ${contextSize}-token context for ${path} (${(cause as Error).message}); lower BRUNO_CONTEXT_SIZE`, { cause });
    }
  }

  private take(entry: LoadedModel, signal: AbortSignal | undefined): Promise<LlamaContextSequence> {
    const idle = entry.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (entry.context.sequencesLeft > 0) return Promise.resolve(entry.context.getSequence());
    return new Promise<LlamaContextSequence>((resolve, reject) => {
      const onAbort = () => {
        const index = entry.waiters.indexOf(waiter);
        if (index >= 0) entry.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: (sequence) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(sequence);
        },
        reject: (reason) => {
          signal?.removeEventListener("abort", onAbort);
          reject(reason);
        },
      };
      entry.waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private give(entry: LoadedModel, sequence: LlamaContextSequence): void {
    if (sequence.disposed) return;
    const next = entry.waiters.shift();
    if (next) next.resolve(sequence);
    else entry.idle.push(sequence);
  }
}

/** `promise`, or a rejection with `signal`'s reason as soon as it aborts (at once when it already has). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

const shared = new Map<string, EmbeddedEngine>();

/**
 * The process-wide engine for these settings: graphs built with the same settings share the
 * loaded models and their sequence pools.
 */
export function sharedEmbeddedEngine(options: EmbeddedEngineOptions = {}): EmbeddedEngine {
  const key = JSON.stringify([options.threads ?? DEFAULT_EMBEDDED_THREADS, options.contextSize ?? null, options.sequences ?? DEFAULT_EMBEDDED_SEQUENCES]);
  let engine = shared.get(key);
  if (!engine) {
    engine = new EmbeddedEngine(options);
    shared.set(key, engine);
  }
  return engine;
}

/**
 * Unloads every model of every engine and releases llama.cpp. Call it before the process
 * exits (the CLI does); engines created afterwards start afresh.
 */
export async function disposeEmbeddedEngines(): Promise<void> {
  shared.clear();
  await Promise.all([...engines].map((engine) => engine.dispose()));
  const llama = llamaLoad;
  llamaLoad = undefined;
  if (llama) {
    try {
      await (await llama).dispose();
    } catch {
      // a binding that failed to load has nothing to release
    }
  }
}
