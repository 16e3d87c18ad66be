import { z } from "zod";

/** The query types the classifier and the prompts know. */
export const QUERY_TYPES = ["troubleshooting", "debug_issue", "lookup_runbook", "code_generation", "code_review", "explanation", "chat"] as const;
export const QueryType = z.enum(QUERY_TYPES);
export type QueryType = z.infer<typeof QueryType>;

export const Complexity = z.enum(["simple", "complex"]);
export type Complexity = z.infer<typeof Complexity>;

/** The prompt templates of the stage; several query types share one. */
export type PromptTemplateName = "troubleshooting" | "explanation" | "code_review" | "code_generation" | "chat";

/** The sampling profiles of the stage (see `GENERATION_PROFILES`). */
export type ProfileName = "troubleshooting" | "code" | "explanation" | "chat";

/** What a query type decides about its answer. */
export interface QueryTypeTraits {
  /** The prompt template it is answered with. */
  template: PromptTemplateName;
  /** The sampling profile it is generated with. */
  profile: ProfileName;
  /** True when the type goes to the catalog's SRE model whatever its complexity. */
  sreWork: boolean;
  /** True when the deliverable is code or configuration. */
  needsCode: boolean;
}

/** One row per query type: the only place that maps a type to its template, profile, route and code need. */
export const QUERY_TYPE_TRAITS: Readonly<Record<QueryType, QueryTypeTraits>> = {
  troubleshooting: { template: "troubleshooting", profile: "troubleshooting", sreWork: true, needsCode: false },
  debug_issue: { template: "troubleshooting", profile: "troubleshooting", sreWork: true, needsCode: false },
  lookup_runbook: { template: "troubleshooting", profile: "troubleshooting", sreWork: true, needsCode: false },
  code_generation: { template: "code_generation", profile: "code", sreWork: false, needsCode: true },
  code_review: { template: "code_review", profile: "code", sreWork: false, needsCode: true },
  explanation: { template: "explanation", profile: "explanation", sreWork: false, needsCode: false },
  chat: { template: "chat", profile: "chat", sreWork: false, needsCode: false },
};

/** The traits of a query type. */
export function traitsOf(type: QueryType): QueryTypeTraits {
  return QUERY_TYPE_TRAITS[type];
}
