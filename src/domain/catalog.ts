import { z } from "zod";

/** How fast a model answers on a typical workstation; used to explain routing, not to time anything. */
export const SpeedTier = z.enum(["fast", "standard", "slow"]);
export type SpeedTier = z.infer<typeof SpeedTier>;

/** One model the router may choose. */
export const CatalogModel = z.object({
  /** The Ollama tag, exactly as `ollama list` prints it (e.g. `llama3.1:8b`). */
  tag: z.string().min(1),
  /** The context window sent as `num_ctx` on every call (tokens). */
  contextLength: z.number().int().positive(),
  speedTier: SpeedTier,
  /** Smaller or safer models to try, in order, when this one fails. */
  fallbacks: z.array(z.string().min(1)).default([]),
  description: z.string().optional(),
  /**
   * The GGUF file that plays this model on the embedded engine: a local path (`~` expands) or
   * an `hf:` / `https:` URI downloaded once into the model cache. `BRUNO_MODEL_PATH` overrides it.
   */
  gguf: z.string().min(1).optional(),
});
export type CatalogModel = z.infer<typeof CatalogModel>;

/** The roles of the routing decision tree, each bound to a catalog tag. */
export const CatalogRoutes = z.object({
  /** Queries whose deliverable is code or config. */
  code: z.string().min(1),
  /** Troubleshooting, runbook look-ups and debugging. */
  sre: z.string().min(1),
  /** Simple queries under a tight latency budget. */
  fast: z.string().min(1),
  /** Everything else. */
  general: z.string().min(1),
});
export type CatalogRoutes = z.infer<typeof CatalogRoutes>;
export type RouteRole = keyof CatalogRoutes;

export const ModelCatalog = z
  .object({
    models: z.array(CatalogModel).min(1),
    routes: CatalogRoutes,
  })
  .superRefine((catalog, ctx) => {
    const tags = new Set(catalog.models.map((m) => m.tag));
    for (const [role, tag] of Object.entries(catalog.routes)) {
      if (!tags.has(tag)) {
        ctx.addIssue({ code: "custom", path: ["routes", role], message: `route '${role}' names '${tag}', which is not in models` });
      }
    }
    catalog.models.forEach((m, i) => {
      m.fallbacks.forEach((f, j) => {
        if (!tags.has(f)) {
          ctx.addIssue({ code: "custom", path: ["models", i, "fallbacks", j], message: `fallback '${f}' of '${m.tag}' is not in models` });
        }
      });
    });
  });
export type ModelCatalog = z.infer<typeof ModelCatalog>;

/** A partial catalog as read from `BRUNO_CATALOG`: models are merged by tag, routes by role. */
export const CatalogOverride = z.object({
  models: z.array(CatalogModel).optional(),
  routes: CatalogRoutes.partial().optional(),
});
export type CatalogOverride = z.infer<typeof CatalogOverride>;

/** The models of the Mac Studio workstation this assistant was built for. */
export const DEFAULT_CATALOG: ModelCatalog = {
  models: [
    {
      tag: "sre-agent:v1.0",
      contextLength: 8192,
      speedTier: "standard",
      fallbacks: ["llama3.1:8b", "llama3.2:3b"],
      description: "Fine-tuned on the team's runbooks; first choice for incidents.",
    },
    {
      tag: "deepseek-coder:33b",
      contextLength: 16384,
      speedTier: "slow",
      fallbacks: ["codellama:34b", "llama3.1:8b", "llama3.2:3b"],
      description: "Code and config generation and review.",
    },
    {
      tag: "codellama:34b",
      contextLength: 16384,
      speedTier: "slow",
      fallbacks: ["llama3.1:8b", "llama3.2:3b"],
    },
    {
      tag: "llama3.1:70b",
      contextLength: 8192,
      speedTier: "slow",
      fallbacks: ["llama3.1:8b", "llama3.2:3b"],
    },
    {
      tag: "llama3.1:8b",
      contextLength: 8192,
      speedTier: "standard",
      fallbacks: ["llama3.2:3b"],
      description: "General explanations and chat.",
    },
    {
      tag: "llama3.2:3b",
      contextLength: 8192,
      speedTier: "fast",
      fallbacks: [],
      description: "Simple questions under a tight latency budget.",
    },
  ],
  routes: {
    code: "deepseek-coder:33b",
    sre: "sre-agent:v1.0",
    fast: "llama3.2:3b",
    general: "llama3.1:8b",
  },
};

/** Merges an override into a base catalog and validates the result. */
export function mergeCatalog(base: ModelCatalog, override: CatalogOverride): ModelCatalog {
  const byTag = new Map(base.models.map((m) => [m.tag, m] as const));
  for (const m of override.models ?? []) byTag.set(m.tag, m);
  return ModelCatalog.parse({
    models: [...byTag.values()],
    routes: { ...base.routes, ...override.routes },
  });
}

export function findModel(catalog: ModelCatalog, tag: string): CatalogModel | undefined {
  return catalog.models.find((m) => m.tag === tag);
}

/**
 * The ordered chain for a primary model: the model itself, then its fallbacks, then the
 * fallbacks' own fallbacks (breadth first), without repeats.
 */
export function fallbackChain(catalog: ModelCatalog, primary: string): string[] {
  const chain: string[] = [];
  const queue = [primary];
  while (queue.length > 0) {
    const tag = queue.shift() as string;
    if (chain.includes(tag)) continue;
    chain.push(tag);
    queue.push(...(findModel(catalog, tag)?.fallbacks ?? []));
  }
  return chain;
}

/** Ollama treats `name` and `name:latest` as the same model. */
export function sameModelTag(a: string, b: string): boolean {
  const norm = (t: string) => (/:[^/:]+$/.test(t.slice(t.lastIndexOf("/") + 1)) ? t : `${t}:latest`);
  return norm(a) === norm(b);
}

/** Context window used for a model neither the catalog nor the server describes. */
export const DEFAULT_NUM_CTX = 8192;
