import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelCallOptions, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { basename } from "node:path";
import type { ChatHistoryItem, LlamaChatResponse } from "node-llama-cpp";
import { ContextOverflowError, GenerationError, isBrunoError } from "../../domain/errors.js";
import type { ChatModelFactory } from "../ports.js";
import { messageText } from "../../tools/usage.js";
import type { EmbeddedEngine } from "./engine.js";
import { nodeLlamaCpp } from "./loader.js";
import { requireModelFile, type EmbeddedModelFiles } from "./files.js";

/** Tokens the repeat penalty looks back over, as Ollama's `repeat_last_n` default. */
const REPEAT_LAST_N = 64;
const NS_PER_MS = 1e6;

/** Settings of one `ChatLlamaCpp` instance, in the terms of the Ollama profile. */
export interface ChatLlamaCppFields extends BaseChatModelParams {
  engine: EmbeddedEngine;
  /** The GGUF file to run. */
  modelFile: string;
  /** The logical model this file plays (reported as `response_metadata.model`). */
  model: string;
  temperature?: number | undefined;
  topP?: number | undefined;
  topK?: number | undefined;
  /** Ollama-style repeat penalty (1 = off). */
  repeatPenalty?: number | undefined;
  /** Most tokens to generate (`num_predict`). */
  maxTokens?: number | undefined;
  seed?: number | undefined;
  /** Aborts every call of this instance, in addition to each call's own `signal`. */
  signal?: AbortSignal | undefined;
}

/** Call options: LangChain's (`stop`, `signal`, callbacks…) plus a per-call token limit. */
export interface ChatLlamaCppCallOptions extends BaseChatModelCallOptions {
  maxTokens?: number;
}

function roleOf(message: BaseMessage): "system" | "user" | "model" {
  const type = message.getType();
  if (type === "system" || type === "developer") return "system";
  if (type === "ai") return "model";
  if (type === "generic") {
    const role = (message as BaseMessage & { role?: unknown }).role;
    if (role === "system") return "system";
    if (role === "assistant" || role === "ai" || role === "model") return "model";
  }
  return "user";
}

/**
 * LangChain messages as node-llama-cpp chat history, ending with the model turn to generate:
 * an empty one after a user turn, or the given AI message to continue. The model's own chat
 * template (from its GGUF metadata) turns this into tokens; no prompt string is built here.
 */
export function toChatHistory(messages: readonly BaseMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    const text = messageText(message);
    switch (roleOf(message)) {
      case "system":
        return { type: "system", text };
      case "model":
        return { type: "model", response: [text] };
      case "user":
        return { type: "user", text };
    }
  });
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error(typeof reason === "string" ? reason : "the generation was aborted"), { name: "AbortError" });
}

function failure(error: unknown, model: string, file: string): Error {
  if (isBrunoError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const details = { model, file };
  if (/compress chat history|context size|context is full|too long|exceeds/i.test(message)) {
    return new ContextOverflowError(`the prompt does not fit the ${basename(file)} context (${message}); raise BRUNO_CONTEXT_SIZE or send fewer documents`, { cause: error, details });
  }
  return new GenerationError(`llama.cpp failed running ${basename(file)}: ${message}`, { cause: error, details });
}

/**
 * A LangChain chat model over node-llama-cpp's `LlamaChat`, running a GGUF file of an
 * `EmbeddedEngine`. Streams one chunk per decoded text piece (and reports each through
 * `handleLLMNewToken`, so LangGraph's "messages" stream sees it), honours `stop`, `signal`,
 * `maxTokens`, sampling and seed, and ends with a chunk carrying `usage_metadata` from
 * llama.cpp's own token counts and Ollama-style durations in `response_metadata`.
 */
export class ChatLlamaCpp extends BaseChatModel<ChatLlamaCppCallOptions, AIMessageChunk> {
  readonly engine: EmbeddedEngine;
  readonly modelFile: string;
  readonly model: string;
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  readonly topK: number | undefined;
  readonly repeatPenalty: number | undefined;
  readonly maxTokens: number | undefined;
  readonly seed: number | undefined;
  private readonly signal: AbortSignal | undefined;

  static override lc_name(): string {
    return "ChatLlamaCpp";
  }

  constructor(fields: ChatLlamaCppFields) {
    super(fields);
    this.engine = fields.engine;
    this.modelFile = fields.modelFile;
    this.model = fields.model;
    this.temperature = fields.temperature;
    this.topP = fields.topP;
    this.topK = fields.topK;
    this.repeatPenalty = fields.repeatPenalty;
    this.maxTokens = fields.maxTokens;
    this.seed = fields.seed;
    this.signal = fields.signal;
  }

  _llmType(): string {
    return "llama_cpp";
  }

  override invocationParams(options?: this["ParsedCallOptions"]): Record<string, unknown> {
    return {
      model: this.model,
      model_file: this.modelFile,
      temperature: this.temperature,
      top_p: this.topP,
      top_k: this.topK,
      repeat_penalty: this.repeatPenalty,
      max_tokens: options?.maxTokens ?? this.maxTokens,
      seed: this.seed,
      stop: options?.stop,
    };
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    let final: ChatGenerationChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
      final = final ? final.concat(chunk) : chunk;
    }
    const chunk = final?.message;
    const usage = chunk && AIMessageChunk.isInstance(chunk) ? chunk.usage_metadata : undefined;
    const message = new AIMessage({
      content: final?.text ?? "",
      ...(usage ? { usage_metadata: usage } : {}),
      response_metadata: chunk?.response_metadata ?? {},
    });
    return { generations: [{ text: final?.text ?? "", message }] };
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const stopOnExit = new AbortController();
    const signal = AbortSignal.any([stopOnExit.signal, ...(options.signal ? [options.signal] : []), ...(this.signal ? [this.signal] : [])]);
    const history = toChatHistory(messages);
    const started = performance.now();
    const { LlamaChat } = await nodeLlamaCpp();
    let lease;
    try {
      lease = await this.engine.acquire(this.modelFile, { signal });
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      throw failure(error, this.model, this.modelFile);
    }
    const { sequence } = lease;
    let chat: InstanceType<typeof LlamaChat>;
    try {
      chat = new LlamaChat({ contextSequence: sequence, chatWrapper: lease.chatWrapper });
    } catch (error) {
      lease.release();
      throw failure(error, this.model, this.modelFile);
    }
    const meter = sequence.tokenMeter.getState();
    const evalStart = performance.now();
    let firstTokenAt: number | undefined;
    let promptTokens: number | undefined;
    const pending: string[] = [];
    let wake: (() => void) | undefined;
    let settled = false;
    let result: LlamaChatResponse | undefined;
    let error: unknown;
    const stop = options.stop ?? [];
    const run = chat
      .generateResponse(history, {
        signal,
        stopOnAbortSignal: false,
        maxTokens: options.maxTokens ?? this.maxTokens,
        ...(this.temperature !== undefined ? { temperature: this.temperature } : {}),
        ...(this.topP !== undefined ? { topP: this.topP } : {}),
        ...(this.topK !== undefined ? { topK: this.topK } : {}),
        ...(this.seed !== undefined ? { seed: this.seed } : {}),
        repeatPenalty: this.repeatPenalty !== undefined && this.repeatPenalty !== 1 ? { penalty: this.repeatPenalty, lastTokens: REPEAT_LAST_N } : false,
        ...(stop.length > 0 ? { customStopTriggers: stop } : {}),
        onToken: () => {
          if (firstTokenAt === undefined) {
            firstTokenAt = performance.now();
            promptTokens = sequence.nextTokenIndex;
          }
        },
        onTextChunk: (text) => {
          pending.push(text);
          wake?.();
        },
      })
      .then(
        (response) => {
          result = response;
        },
        (reason: unknown) => {
          error = reason;
        },
      )
      .finally(() => {
        settled = true;
        wake?.();
      });
    try {
      for (;;) {
        const text = pending.shift();
        if (text !== undefined) {
          if (text === "") continue;
          const chunk = new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
          yield chunk;
          await runManager?.handleLLMNewToken(text, undefined, undefined, undefined, undefined, { chunk });
          continue;
        }
        if (settled) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (pending.length > 0 || settled) resolve();
        });
        wake = undefined;
      }
      if (error !== undefined) {
        if (signal.aborted) throw abortReason(signal);
        throw failure(error, this.model, this.modelFile);
      }
      const done = performance.now();
      const used = sequence.tokenMeter.diff(meter);
      const outputTokens = used.usedOutputTokens;
      const inputTokens = promptTokens ?? used.usedInputTokens;
      const firstAt = firstTokenAt ?? done;
      yield new ChatGenerationChunk({
        text: "",
        message: new AIMessageChunk({
          content: "",
          usage_metadata: { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
          response_metadata: {
            model: this.model,
            model_provider: "llama.cpp",
            model_file: lease.file,
            done: true,
            done_reason: result?.metadata.stopReason ?? "eogToken",
            prompt_eval_count: inputTokens,
            eval_count: outputTokens,
            load_duration: Math.round(lease.loadMs * NS_PER_MS),
            prompt_eval_duration: Math.round((firstAt - evalStart) * NS_PER_MS),
            eval_duration: Math.round((done - firstAt) * NS_PER_MS),
            total_duration: Math.round((done - started) * NS_PER_MS),
          },
        }),
      });
    } finally {
      if (!settled) {
        stopOnExit.abort(new Error("the caller stopped reading the stream"));
        await run;
      }
      chat.dispose();
      lease.release();
    }
  }
}

export interface EmbeddedFactoryOptions {
  engine: EmbeddedEngine;
  files: EmbeddedModelFiles;
}

/**
 * A `ChatModelFactory` for the embedded engine: each request's logical model runs its mapped
 * GGUF file with the request's sampling profile, seed and abort signal. The context window is
 * the engine's per file (see `EmbeddedEngine.contextSizeOf`), not `request.numCtx`.
 */
export function createEmbeddedChatModelFactory(options: EmbeddedFactoryOptions): ChatModelFactory {
  return (request) => {
    const modelFile = requireModelFile(options.files, request.model);
    return new ChatLlamaCpp({
      engine: options.engine,
      modelFile,
      model: request.model,
      temperature: request.profile.temperature,
      topP: request.profile.topP,
      topK: request.profile.topK,
      repeatPenalty: request.profile.repeatPenalty,
      maxTokens: request.profile.maxTokens,
      seed: request.seed,
      signal: request.signal,
    });
  };
}
