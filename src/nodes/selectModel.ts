import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ModelNotFoundError, NoModelAvailableError } from "../domain/errors.js";
import type { GenerationDeps } from "./deps.js";
import type { GenerationStateType, GenerationUpdate } from "./state.js";
import type { ModelAttempt, Notice } from "../domain/index.js";
import { emitStreamEvent } from "./events.js";
import { notices } from "./modelChain.js";
import { fallbackChain, sameModelTag } from "../domain/catalog.js";
import { preferredModel } from "../tools/router.js";

function pullHint(tag: string): string {
  return `run \`ollama pull ${tag}\``;
}

/**
 * Routes the query to a model by the catalog's decision tree, keeps only models installed on
 * the server (`/api/tags`, cached; with several hosts, on at least one of them), and records the
 * fallback chain and why.
 */
export function createSelectModelNode(getDeps: () => GenerationDeps) {
  return async function selectModel(state: GenerationStateType, config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const installed = (await deps.admin.listModels(config.signal ? { signal: config.signal } : {})).map((m) => m.name);
    const isInstalled = (tag: string) => installed.some((name) => sameModelTag(name, tag));
    // Several Ollama hosts: the union of their models; messages name every host.
    const host = deps.admin.addresses && deps.admin.addresses.length > 1 ? `any of ${deps.admin.addresses.join(", ")}` : deps.admin.host;

    if (state.model) {
      const explicit = state.model;
      if (!isInstalled(explicit)) {
        const available = installed.length > 0 ? installed.join(", ") : "none";
        throw new ModelNotFoundError(explicit, `model '${explicit}' is not installed on ${host}: ${pullHint(explicit)}, or pick an installed one (${available})`, { details: { host } });
      }
      const chain = fallbackChain(deps.catalog, explicit).filter(isInstalled);
      emitStreamEvent(deps, config, { type: "model_selected", preferred: explicit, chain, reason: "explicit model requested" });
      return { selection: { preferred: explicit, chain, reason: "explicit model requested" }, modelIndex: 0 };
    }

    const preferred = preferredModel(deps.catalog, {
      queryType: state.queryType,
      complexity: state.complexity ?? "simple",
      requiresCode: state.requiresCode ?? false,
      maxLatencyMs: state.maxLatencyMs,
    });
    const full = fallbackChain(deps.catalog, preferred.tag);
    const firstInstalled = full.findIndex(isInstalled);
    if (firstInstalled < 0) {
      throw new NoModelAvailableError(`none of the models for this query (${full.join(", ")}) is installed on ${host}: ${pullHint(preferred.tag)}; \`bruno models\` lists what is missing`, {
        details: { host, chain: full },
      });
    }
    const skipped = full.slice(0, firstInstalled);
    const chain = full.slice(firstInstalled).filter(isInstalled);
    const chosen = chain[0] as string;
    const skippedAttempts: ModelAttempt[] = skipped.map((tag) => ({ model: tag, outcome: "skipped", code: "MODEL_NOT_FOUND", message: `not installed on ${host}` }));
    const skippedNotices: Notice[] = skipped.map((tag) => ({ code: "MODEL_NOT_INSTALLED", message: `${tag} is not installed on ${host} (${pullHint(tag)}); trying ${chosen} instead` }));
    const reason = skipped.length > 0 ? `${preferred.reason}; ${skipped.join(", ")} not installed` : preferred.reason;
    deps.telemetry.runDebug(deps.logger, config, { queryType: state.queryType }, { event: "model_selected", preferred: preferred.tag, chain, reason }, "model selected");
    emitStreamEvent(deps, config, { type: "model_selected", preferred: preferred.tag, chain, reason });
    return {
      selection: { preferred: preferred.tag, chain, reason },
      modelIndex: 0,
      ...(skippedAttempts.length > 0 ? { modelsTried: skippedAttempts, ...notices(skippedNotices) } : {}),
    };
  };
}
