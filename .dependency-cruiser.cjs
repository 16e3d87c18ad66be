/**
 * Dependency rules for src/, checked by `npm run lint:deps` (dependency-cruiser) in CI.
 *
 * Layers, lowest first; a module may import only from its own layer or a lower one:
 *   domain → config → tools → runtime → providers → persistence → telemetry → prompts → nodes → graph → app → src/index.ts → cli
 * Besides the layer order:
 *   - src/domain imports nothing of ours and no package but zod;
 *   - src/telemetry never imports nodes, graph or app;
 *   - src/cli imports only src/index.ts, src/app/** and its own folder;
 *   - src/testing (the Ollama-protocol test server) imports nothing else of ours, and src/ does not import it;
 *   - no circular dependencies;
 *   - nothing in src/ imports test/, evals/ or bench/.
 * Type-only imports count like any other import (tsPreCompilationDeps).
 */

/** The layers in order, lowest first. "index" is the single file src/index.ts. */
const LAYERS = ["domain", "config", "tools", "runtime", "providers", "persistence", "telemetry", "prompts", "nodes", "graph", "app", "index", "cli"];

/** Path pattern of one layer. */
const layerPath = (layer) => (layer === "index" ? "^src/index\\.ts$" : `^src/${layer}/`);

/** One rule per layer below the top: it may not import any layer above it. */
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer}-not-upward`,
  comment: `src/${layer === "index" ? "index.ts" : layer} is below ${LAYERS.slice(i + 1).join(", ")}: it may import only its own or lower layers (${LAYERS.slice(0, i + 1).join(", ")}). Move the shared code down to the lowest layer that needs it.`,
  severity: "error",
  from: { path: layerPath(layer) },
  to: { path: LAYERS.slice(i + 1).map(layerPath) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "domain-imports-nothing-of-ours",
      comment: "src/domain is the bottom layer: schemas, types, catalog and errors only. It imports nothing else of ours.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^(src|test|evals|bench)/", pathNot: "^src/domain/" },
    },
    {
      name: "domain-only-zod",
      comment: "src/domain depends on no package but zod (and no Node built-in): keep I/O and frameworks out of the domain.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { dependencyTypes: ["npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown", "core"], pathNot: "(^|/)node_modules/zod/" },
    },
    {
      name: "telemetry-not-to-nodes-graph-app",
      comment: "Telemetry is observed by the nodes and the graph, never the other way round: src/telemetry must not import nodes, graph or app.",
      severity: "error",
      from: { path: "^src/telemetry/" },
      to: { path: "^src/(nodes|graph|app)/" },
    },
    {
      name: "cli-only-public-entry-and-app",
      comment: "src/cli is a client of the package: it may import only src/index.ts, src/app/** and its own folder.",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/", pathNot: ["^src/index\\.ts$", "^src/app/", "^src/cli/"] },
    },
    {
      name: "testing-imports-nothing-of-ours",
      comment: "src/testing (the Ollama-protocol test server, exported as bruno-generation/testing) stands alone: it imports nothing else of ours.",
      severity: "error",
      from: { path: "^src/testing/" },
      to: { path: "^(src|test|evals|bench)/", pathNot: "^src/testing/" },
    },
    {
      name: "src-not-to-testing",
      comment: "Production code does not depend on the Ollama-protocol test server; only tests, evals and benches use src/testing.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/testing/" },
      to: { path: "^src/testing/" },
    },
    {
      name: "no-circular",
      comment: "This import closes a cycle. Break it by moving the shared part into a module both sides import.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "src-not-to-test-evals-bench",
      comment: "Library code never imports test/, evals/ or bench/.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|evals|bench)/" },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that does not resolve to a file would escape every rule above; fix the path (or add the package).",
      severity: "error",
      from: { path: "^src/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
