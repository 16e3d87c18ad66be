/**
 * A scripted, recording fake of the chat-model factory seam (`ChatModelFactory`).
 *
 * Every factory call is recorded (model tag, the whole `ChatModelRequest`), and so is what the
 * model then received (messages, the call options' `stop`, its abort signals) and what it did.
 * What each model answers comes from a script, per model tag:
 *
 * - a string: streamed token by token (words with their trailing whitespace), through the
 *   callback manager, exactly like ChatOllama, then a final empty chunk with usage;
 * - `{ answer, tokens?, usage_metadata?, response_metadata?, gate? }`: the same with explicit
 *   tokens and the final chunk's Ollama counts (durations in ns, as Ollama reports them),
 *   optionally held back until `gate` settles;
 * - `{ error }`: thrown when the stream starts (after `afterTokens`, if given);
 * - `{ hang: true }`: streams `tokensBefore`, then waits until its abort signal fires and
 *   rejects with the signal's reason, as `fetch` does;
 * - a function of the recorded call returning one of the above.
 *
 * A model scripted with an array answers its steps in order and fails loudly (a non-fallback
 * error, so the graph does not hide it behind the next model) once they are used up; a model
 * scripted with a single step answers it every time.
 */
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelCallOptions } from "@langchain/core/language_models/chat_models";
import { AIMessageChunk, type BaseMessage, type UsageMetadata } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { BrunoError, ModelNotFoundError, ServerError } from "../../src/domain/errors.js";
import type { ChatModelFactory, ChatModelRequest } from "../../src/providers/ports.js";

/** A streamed answer. */
export interface FakeAnswer {
  answer: string;
  /** Stream chunks; must join to `answer`. Default: words with their trailing whitespace. */
  tokens?: string[];
  /** Put on the final (empty) chunk, as ChatOllama does. */
  usage_metadata?: UsageMetadata;
  /** Put on the final chunk: Ollama's `load_duration`, `prompt_eval_duration`, `eval_duration` (ns)… */
  response_metadata?: Record<string, unknown>;
  /** Held back until this settles (or the call aborts): lets a test order concurrent calls. */
  gate?: Promise<unknown>;
}

/** A failure thrown by the model. */
export interface FakeFailure {
  error: unknown;
  /** Tokens streamed before the error. */
  afterTokens?: string[];
}

/** A model that never finishes on its own. */
export interface FakeHang {
  hang: true;
  /** Tokens streamed before it goes silent. */
  tokensBefore?: string[];
}

export type FakeResolvedStep = string | FakeAnswer | FakeFailure | FakeHang;
export type FakeStep = FakeResolvedStep | ((call: RecordedCall) => FakeResolvedStep);

/** Per model tag: one step answered every time, or a queue of steps answered in order. */
export type FakeScript = Record<string, FakeStep | FakeStep[]>;

export type CallOutcome = "pending" | "answered" | "threw" | "aborted";

/** One factory call and what the model it built went through. */
export interface RecordedCall {
  /** 0-based position among all calls of this fake. */
  index: number;
  model: string;
  /** The factory argument, as passed (profile, numCtx, seed, signal). */
  request: ChatModelRequest;
  /** Whether the built model was asked to stream (or generate) at all. */
  started: boolean;
  /** The messages it received. */
  messages: BaseMessage[];
  /** The call options' `stop`. */
  stop: string[] | undefined;
  /** The call options' `signal`. */
  callSignal: AbortSignal | undefined;
  /** True once either signal it was given (request or call options) aborted. */
  sawAbort: boolean;
  /** Tokens it streamed. */
  emitted: string[];
  outcome: CallOutcome;
  /** What it threw, if it did. */
  thrown?: unknown;
  /** Which kind of step it played. */
  kind?: "answer" | "error" | "hang" | "unscripted";
}

export interface FakeModels {
  factory: ChatModelFactory;
  /** Every call, in order. */
  readonly calls: RecordedCall[];
  /** The model tags of the calls, in order. */
  models(): string[];
  callsFor(model: string): RecordedCall[];
  /** Resolves when the call with this 0-based index has started streaming. */
  waitForCall(index: number): Promise<RecordedCall>;
}

export interface FakeModelsOptions {
  /** Played by models the script does not name; unnamed models fail loudly by default. */
  fallback?: FakeStep;
}

/** The default token split: words with their trailing whitespace. */
export function tokenize(text: string): string[] {
  return text.match(/\s+|\S+\s*/g) ?? [];
}

/** A server failure as the chat path maps it (`SERVER_ERROR`, fallback-worthy). */
export function serverError(message = "llama runner process has terminated: signal: killed"): ServerError {
  return new ServerError("SERVER_ERROR", message);
}

/** The `ResponseError` the `ollama` client throws for an HTTP error status. */
export function responseError(status: number, message: string): Error {
  return Object.assign(new Error(message), { name: "ResponseError", status_code: status });
}

export function modelNotFound(model: string): ModelNotFoundError {
  return new ModelNotFoundError(model);
}

/** Ollama's usage of one call: counts, and durations given in ms but reported in ns. */
export function ollamaUsage(counts: { input: number; output: number; loadMs?: number; promptEvalMs?: number; evalMs?: number }): Pick<FakeAnswer, "usage_metadata" | "response_metadata"> {
  const ns = (ms: number | undefined) => Math.round((ms ?? 0) * 1e6);
  return {
    usage_metadata: { input_tokens: counts.input, output_tokens: counts.output, total_tokens: counts.input + counts.output },
    response_metadata: {
      model_provider: "ollama",
      done: true,
      done_reason: "stop",
      prompt_eval_count: counts.input,
      eval_count: counts.output,
      load_duration: ns(counts.loadMs),
      prompt_eval_duration: ns(counts.promptEvalMs),
      eval_duration: ns(counts.evalMs),
      total_duration: ns((counts.loadMs ?? 0) + (counts.promptEvalMs ?? 0) + (counts.evalMs ?? 0)),
    },
  };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException("This operation was aborted", "AbortError");
}

/** Resolves never; rejects when one of the signals aborts. */
function untilAborted(signals: ReadonlyArray<AbortSignal | undefined>): Promise<never> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  return new Promise<never>((_, reject) => {
    const already = live.find((s) => s.aborted);
    if (already) {
      reject(abortReason(already));
      return;
    }
    const onAbort = (signal: AbortSignal) => () => {
      for (const s of live) s.removeEventListener("abort", listeners.get(s) as () => void);
      reject(abortReason(signal));
    };
    const listeners = new Map(live.map((s) => [s, onAbort(s)] as const));
    for (const [s, l] of listeners) s.addEventListener("abort", l, { once: true });
  });
}

class ScriptedChatModel extends BaseChatModel<BaseChatModelCallOptions, AIMessageChunk> {
  private readonly call: RecordedCall;
  private readonly step: FakeStep;
  private readonly onStart: (call: RecordedCall) => void;

  constructor(call: RecordedCall, step: FakeStep, onStart: (call: RecordedCall) => void) {
    super({});
    this.call = call;
    this.step = step;
    this.onStart = onStart;
  }

  _llmType(): string {
    return "scripted-fake";
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const call = this.call;
    call.started = true;
    call.messages = [...messages];
    call.stop = options.stop;
    call.callSignal = options.signal;
    for (const s of [call.request.signal, options.signal]) {
      if (s?.aborted) call.sawAbort = true;
      s?.addEventListener("abort", () => (call.sawAbort = true), { once: true });
    }
    this.onStart(call);
    const step = typeof this.step === "function" ? this.step(call) : this.step;

    const emit = async function* (tokens: readonly string[]): AsyncGenerator<ChatGenerationChunk> {
      for (const token of tokens) {
        const chunk = new ChatGenerationChunk({ text: token, message: new AIMessageChunk({ content: token }) });
        call.emitted.push(token);
        yield chunk;
        await runManager?.handleLLMNewToken(token, undefined, undefined, undefined, undefined, { chunk });
      }
    };

    try {
      if (typeof step === "string" || "answer" in step) {
        call.kind = "answer";
        const answer: FakeAnswer = typeof step === "string" ? { answer: step } : step;
        const tokens = answer.tokens ?? tokenize(answer.answer);
        if (tokens.join("") !== answer.answer) throw new Error(`fake script: tokens of '${answer.answer}' do not join to it`);
        if (answer.gate) await Promise.race([answer.gate, untilAborted([call.request.signal, options.signal])]);
        yield* emit(tokens);
        yield new ChatGenerationChunk({
          text: "",
          message: new AIMessageChunk({
            content: "",
            response_metadata: answer.response_metadata ?? {},
            ...(answer.usage_metadata ? { usage_metadata: answer.usage_metadata } : {}),
          }),
        });
        call.outcome = "answered";
        return;
      }
      if ("error" in step) {
        call.kind = call.kind ?? "error";
        yield* emit(step.afterTokens ?? []);
        throw step.error;
      }
      call.kind = "hang";
      yield* emit(step.tokensBefore ?? []);
      await untilAborted([call.request.signal, options.signal]);
    } catch (error) {
      call.thrown = error;
      call.outcome = call.sawAbort ? "aborted" : "threw";
      throw error;
    }
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    let final: ChatGenerationChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
      final = final ? final.concat(chunk) : chunk;
    }
    return { generations: final ? [{ text: final.text, message: final.message }] : [] };
  }
}

/** Builds the fake factory for a script. */
export function createFakeModels(script: FakeScript, options: FakeModelsOptions = {}): FakeModels {
  const calls: RecordedCall[] = [];
  const used = new Map<string, number>();
  const waiters = new Map<number, Array<(call: RecordedCall) => void>>();

  const onStart = (call: RecordedCall) => {
    for (const resolve of waiters.get(call.index) ?? []) resolve(call);
    waiters.delete(call.index);
  };

  const nextStep = (model: string, call: RecordedCall): FakeStep => {
    const entry = Object.hasOwn(script, model) ? script[model] : options.fallback;
    const unscripted =
      (why: string): FakeStep =>
      () => {
        call.kind = "unscripted";
        return { error: new BrunoError("CONFIG_INVALID", `fake chat model: ${why} (call #${call.index} to '${model}')`) };
      };
    if (entry === undefined) return unscripted("the script names no such model");
    if (!Array.isArray(entry)) return entry;
    const n = used.get(model) ?? 0;
    used.set(model, n + 1);
    const step = entry[n];
    return step === undefined ? unscripted(`all ${entry.length} scripted steps are used up`) : step;
  };

  const factory: ChatModelFactory = (request) => {
    const call: RecordedCall = {
      index: calls.length,
      model: request.model,
      request,
      started: false,
      messages: [],
      stop: undefined,
      callSignal: undefined,
      sawAbort: false,
      emitted: [],
      outcome: "pending",
    };
    calls.push(call);
    return new ScriptedChatModel(call, nextStep(request.model, call), onStart);
  };

  return {
    factory,
    calls,
    models: () => calls.map((c) => c.model),
    callsFor: (model) => calls.filter((c) => c.model === model),
    waitForCall: (index) => {
      const existing = calls[index];
      if (existing?.started) return Promise.resolve(existing);
      return new Promise((resolve) => waiters.set(index, [...(waiters.get(index) ?? []), resolve]));
    },
  };
}

/** The text of a message's content. */
export function textOf(message: BaseMessage | undefined): string {
  if (!message) return "";
  const content = message.content;
  if (typeof content === "string") return content;
  return content.map((block) => (typeof block === "object" && block !== null && "text" in block && typeof block.text === "string" ? block.text : "")).join("");
}

/** The last human message a call received. */
export function lastHuman(call: RecordedCall | undefined): string {
  const human = (call?.messages ?? []).filter((m) => m.getType() === "human");
  return textOf(human.at(-1));
}

/** Everything a call received, as one string (roles prefixed), for `toContain` checks. */
export function promptText(call: RecordedCall | undefined): string {
  return (call?.messages ?? []).map((m) => `${m.getType()}: ${textOf(m)}`).join("\n");
}
