/** Characters per token assumed before any calibration: conservative for English and code. */
export const DEFAULT_CHARS_PER_TOKEN = 3.5;
/** Tokens a chat template adds around each message. */
export const TOKENS_PER_MESSAGE = 4;

/**
 * Estimates prompt tokens from characters for budgeting, per model, calibrated from Ollama's
 * reported `prompt_eval_count` (a moving average of characters per token).
 */
export class TokenEstimator {
  private readonly ratios = new Map<string, number>();

  /** Characters per token currently assumed for a model. */
  charsPerToken(model: string): number {
    return this.ratios.get(model) ?? DEFAULT_CHARS_PER_TOKEN;
  }

  /** Estimated tokens of a text for a model. */
  estimate(model: string, text: string): number {
    return Math.ceil(text.length / this.charsPerToken(model));
  }

  /**
   * Learns from one call: `chars` of prompt text that Ollama counted as `tokens`. Counts far
   * below the estimate (a reused KV-cache prefix) and implausible ratios are ignored.
   */
  observe(model: string, chars: number, tokens: number): void {
    if (chars < 200 || tokens <= 0) return;
    const ratio = chars / tokens;
    if (ratio < 1.5 || ratio > 8) return;
    const current = this.ratios.get(model);
    this.ratios.set(model, current === undefined ? ratio : current * 0.7 + ratio * 0.3);
  }
}

export interface ContextBudgetInput {
  /** The model's context window (`num_ctx`). */
  numCtx: number;
  /** Tokens kept free for the answer (`num_predict`). */
  reserveOutput: number;
  /** Tokens of what is always sent: system prompt, instructions, example, query. */
  fixedTokens: number;
  /** Tokens of each document, in rank order. */
  documentTokens: readonly number[];
  /** Tokens of each earlier turn, oldest first. */
  historyTokens: readonly number[];
}

export type ContextBudget = { fits: true; documentsKept: number; historyKept: number; totalTokens: number } | { fits: false; needed: number; available: number };

/**
 * Decides what fits: lower-ranked documents go first (down to one), then the oldest turns,
 * then the last document. Nothing is cut in the middle. When even the fixed part does not
 * fit, the result says by how much.
 */
export function fitContext(input: ContextBudgetInput): ContextBudget {
  const available = input.numCtx - input.reserveOutput;
  if (input.fixedTokens > available) return { fits: false, needed: input.fixedTokens, available };
  let docs = input.documentTokens.length;
  let historyStart = 0;
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const total = () => input.fixedTokens + sum(input.documentTokens.slice(0, docs)) + sum(input.historyTokens.slice(historyStart));
  while (total() > available) {
    if (docs > 1) docs -= 1;
    else if (historyStart < input.historyTokens.length) historyStart += 1;
    else if (docs === 1) docs = 0;
    else break;
  }
  return { fits: true, documentsKept: docs, historyKept: input.historyTokens.length - historyStart, totalTokens: total() };
}
