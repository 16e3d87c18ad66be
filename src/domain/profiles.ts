import { traitsOf, type ProfileName, type QueryType } from "./queryTypes.js";

/** Sampling settings for one use case, in Ollama's terms. */
export interface GenerationProfile {
  name: ProfileName;
  temperature: number;
  topP: number;
  topK: number;
  repeatPenalty: number;
  /** Most tokens to generate (`num_predict`). */
  maxTokens: number;
  /** Sequences that end the answer; sent per call because ChatOllama drops them from its constructor. */
  stop: string[];
}

const COMMON = { topK: 40, repeatPenalty: 1.1 } as const;

/** Stop sequences of code answers: end-of-turn markers that code models tend to leak. */
export const CODE_STOP_SEQUENCES = ["<|EOT|>", "<|end_of_text|>", "\n### Instruction:", "\nUser:"];

export const GENERATION_PROFILES: Record<GenerationProfile["name"], GenerationProfile> = {
  troubleshooting: { name: "troubleshooting", temperature: 0.3, topP: 0.9, maxTokens: 1500, stop: [], ...COMMON },
  code: { name: "code", temperature: 0.5, topP: 0.95, maxTokens: 2000, stop: CODE_STOP_SEQUENCES, ...COMMON },
  explanation: { name: "explanation", temperature: 0.7, topP: 0.9, maxTokens: 2000, stop: [], ...COMMON },
  chat: { name: "chat", temperature: 0.8, topP: 0.95, maxTokens: 1000, stop: [], ...COMMON },
};

/** The profile a query type is generated with. */
export function profileFor(type: QueryType): GenerationProfile {
  return GENERATION_PROFILES[traitsOf(type).profile];
}
