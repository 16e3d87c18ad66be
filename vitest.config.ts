import { defineConfig } from "vitest/config";

/**
 * Files that need a module graph of their own: LangSmith's client is a process-wide singleton
 * built from the environment the first time it is used, so the file that turns tracing on must
 * be the first to build it.
 */
const OWN_MODULES = ["test/telemetry/langsmith-on.test.ts"];

export default defineConfig({
  test: {
    // Two workers on two cores: most tests wait on sockets, timers and child processes, so the
    // slow files (llama.cpp, the dev server) run beside the unit files instead of after them.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts", "evals/**/*.test.ts"],
          exclude: ["test/**/*.slow.test.ts", "node_modules/**", ...OWN_MODULES],
          // One module graph per worker: LangChain and the graph load once, not once per file.
          // Each file restores what it stubs (env variables, globals, timers, spies).
          isolate: false,
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: "unit-isolated",
          include: OWN_MODULES,
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: "slow",
          include: ["test/**/*.slow.test.ts"],
          // The slow files share no port (each server takes a free one) and no file (each
          // writes to its own temporary folder), so they run in parallel with the rest.
          isolate: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
