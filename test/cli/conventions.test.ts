/**
 * The command-line conventions of `bruno`: `--version`, usage on stderr with exit 2 when no
 * command is given, help per command, one-line errors with no blank line before them, balanced
 * quotes in argument errors, prompts only for a person at a terminal, `--help` and `--version`
 * without loading LangChain, and `npm start -s -- … --json` printing nothing but JSON.
 * In process through `test/support/cliHarness.ts`, except what needs a real process.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { SQLITE_INSTALL } from "../../src/persistence/sqlite.js";
import { EMBEDDED_ENGINE_INSTALL, EmbeddedEngineMissingError, importEmbeddedEngine } from "../../src/providers/embedded/loader.js";
import { CATALOG_MODELS, FakeOllama } from "../../src/testing/index.js";
import { bruno, lines, STACK_FRAME } from "../support/cliHarness.js";
import { closedPort } from "../support/net.js";
import { runProcess } from "../support/spawn.js";

const PACKAGE = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
  optionalDependencies?: Record<string, string>;
};
const QUERY = "Loki pods are crashing";

const servers: FakeOllama[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: CATALOG_MODELS });
  servers.push(server);
  return server;
}

/** True when every quote in `text` that opens (', " or `) is closed, quotes inside quotes being plain text. */
function balancedQuotes(text: string): boolean {
  let open: string | undefined;
  for (const char of text) {
    if (open === undefined && (char === "'" || char === '"' || char === "`")) open = char;
    else if (char === open) open = undefined;
  }
  return open === undefined;
}

describe.concurrent("bruno --version, usage and help", () => {
  it.each([["--version"], ["-V"]])("%s prints the package's version on stdout and exits 0", async (flag) => {
    const result = await bruno([flag]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`bruno ${PACKAGE.version}\n`);
    expect(result.stderr).toBe("");
  });

  it("no command: the usage on stderr, nothing on stdout, exit 2", async () => {
    const result = await bruno([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^Usage: bruno <command>/);
    expect(result.stderr).toContain("ask");
  });

  it.each([["--help"], ["-h"], ["help"]])("%s: the usage on stdout, exit 0", async (flag) => {
    const result = await bruno([flag]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: bruno <command>/);
    expect(result.stderr).toBe("");
  });

  it.each([
    ["ask", ["--type TYPE", "--json", "--docs", "--model-file"], ["--warm"]],
    ["chat", ["--thread", "--docs", "--provider"], ["--json", "--warm", "--type"]],
    ["models", ["--warm", "--json", "--host"], ["--docs", "--thread"]],
  ])("%s --help prints that command's own options", async (command, present, absent) => {
    const result = await bruno([command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toMatch(new RegExp(`^Usage: bruno ${command}\\b`));
    for (const option of present) expect(result.stdout).toContain(option);
    for (const option of absent) expect(result.stdout).not.toContain(option);
    expect((await bruno(["help", command])).stdout).toBe(result.stdout);
  });

  it("--help wins over other arguments, even unknown ones", async () => {
    const result = await bruno(["ask", "--bogus", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: bruno ask/);
  });
});

describe.concurrent("bruno errors: one line, no blank line before it", () => {
  it.each([
    [["ask", QUERY, "--bogus"], /^bruno: INVALID_INPUT: .*unknown option '--bogus' for bruno ask; see `bruno ask --help`$/],
    [["ask", QUERY, "-x"], /unknown option '-x'/],
    [["chat", "--json"], /unknown option '--json' for bruno chat/],
    [["ask", QUERY, "--it's"], /unknown option "--it's"/],
    [["--bogus", "ask"], /unknown option '--bogus'; see `bruno --help`/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["ask", QUERY, "--thread"], /--thread needs a value/],
    [["ask", QUERY, "--top-k", "many"], /--top-k must be a whole number from 1 to 50, not 'many'/],
  ])("%j: exit 2, one line with balanced quotes", async (argv, message) => {
    const result = await bruno(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^bruno: /);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(balancedQuotes(result.stderr)).toBe(true);
  });

  it("an unreachable server: exit 3, one line, no stack trace", async () => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const result = await bruno(["ask", QUERY, "--provider", "ollama", "--host", host]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^bruno: SERVER_UNREACHABLE: /);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it("a stream that fails mid-answer: the partial answer line is ended on stdout, the error is one line on stderr", async () => {
    const server = await startServer();
    const fault = { kind: "streamError", afterTokens: 3, error: "GPU fell off the bus" } as const;
    server.script(...Array.from({ length: 20 }, () => fault));
    const result = await bruno(["ask", QUERY, "--provider", "ollama", "--host", server.url]);
    expect(result.code).not.toBe(0);
    expect(server.chatRequests().length).toBeGreaterThan(0);
    expect(result.stdout).not.toBe("");
    expect(result.stdout.endsWith("\n")).toBe(true);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("bruno: "));
    expect(errors).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\nbruno: /);
    expect(result.stderr.startsWith("\n")).toBe(false);
  });
});

describe.concurrent("bruno chat prompts", () => {
  const A1 = "Raise the ingester memory limit [1].";
  const A2 = "Set the memory request equal to the limit.";

  it("with piped input: no `you>` or `bruno>` in the output, just the answers", async () => {
    const server = await startServer();
    server.script({ content: A1 }, { content: A2 });
    const result = await bruno(["chat", "--docs", "examples/runbooks", "--provider", "ollama", "--host", server.url], { stdin: `${QUERY}\nand then?\n` });
    expect(result.code).toBe(0);
    expect(server.chatRequests()).toHaveLength(2);
    expect(result.stdout).not.toMatch(/you>|bruno>/);
    expect(result.stdout).toContain(A1);
    expect(result.stdout).toContain(A2);
    expect(result.stdout.indexOf(A1)).toBeLessThan(result.stdout.indexOf(A2));
  });

  it("for a person at a terminal: a `you>` prompt per question and `bruno>` before each answer", async () => {
    const server = await startServer();
    server.script({ content: A1 });
    const { code, stdout } = await bruno(["chat", "--docs", "examples/runbooks", "--provider", "ollama", "--host", server.url], { stdin: `${QUERY}\n`, interactive: true });
    expect(code).toBe(0);
    expect(stdout.startsWith("you> bruno> ")).toBe(true);
    expect(stdout).toContain(`bruno> ${A1}`);
    expect(stdout.trimEnd().endsWith("you>")).toBe(true);
  });
});

describe("the embedded engine when node-llama-cpp is not installed", () => {
  it("a one-line CONFIG_INVALID error naming the install command of the version package.json pins", async () => {
    const error = await importEmbeddedEngine("node-llama-cpp-not-installed").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddedEngineMissingError);
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    const message = (error as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toContain(`\`${EMBEDDED_ENGINE_INSTALL}\``);
    expect(EMBEDDED_ENGINE_INSTALL).toBe(`npm install node-llama-cpp@${PACKAGE.optionalDependencies?.["node-llama-cpp"]}`);
  });

  it("the SQLite checkpointer's install hint names the version package.json pins", () => {
    expect(SQLITE_INSTALL).toBe(`npm install @langchain/langgraph-checkpoint-sqlite@${PACKAGE.optionalDependencies?.["@langchain/langgraph-checkpoint-sqlite"]}`);
  });

  it("a module that is there but fails to load keeps its own error", async () => {
    const broken = `data:text/javascript,${encodeURIComponent('throw new Error("binding failed")')}`;
    await expect(importEmbeddedEngine(broken)).rejects.toThrow("binding failed");
  });
});

describe("in a real process", () => {
  /** A resolve hook that prints every module the process resolves to stderr. */
  const TRACE_IMPORTS = `data:text/javascript,${encodeURIComponent(
    'import { register } from "node:module"; register("data:text/javascript," + encodeURIComponent("export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(\\"resolved \\" + r.url + \\"\\\\n\\"); return r; }"));',
  )}`;

  it.each([["--help"], ["--version"]])("bruno %s loads no LangChain module, no zod and nothing of src/ but the CLI", async (flag) => {
    const result = await runProcess(process.execPath, ["--import", "tsx", "--import", TRACE_IMPORTS, "src/cli/bin.ts", flag]);
    expect(result.code).toBe(0);
    const resolved = result.stderr.split("\n").filter((line) => line.startsWith("resolved file:"));
    expect(resolved.some((line) => line.includes("/src/cli/bin.ts"))).toBe(true);
    expect(resolved.filter((line) => /@langchain|\/zod\/|node-llama-cpp/.test(line))).toEqual([]);
    expect(resolved.filter((line) => /\/src\/(?!cli\/)/.test(line))).toEqual([]);
  });

  it("importing the public entry loads neither node-llama-cpp nor the SQLite checkpointer (both optional)", async () => {
    const result = await runProcess(process.execPath, ["--import", "tsx", "--import", TRACE_IMPORTS, "--input-type=module", "-e", 'await import("./src/index.ts")']);
    expect(result.code).toBe(0);
    const resolved = result.stderr.split("\n").filter((line) => line.startsWith("resolved file:"));
    expect(resolved.some((line) => line.includes("/src/app/createGraph.ts"))).toBe(true);
    expect(resolved.filter((line) => /node-llama-cpp|checkpoint-sqlite|better-sqlite3/.test(line))).toEqual([]);
  });

  it("`npm start -s -- ask … --json` prints only the JSON result on stdout (no npm banner)", async () => {
    const server = await startServer();
    const result = await runProcess("npm", ["start", "-s", "--", "ask", QUERY, "--docs", "examples/runbooks", "--json"], { env: { OLLAMA_HOST: server.url } });
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { answer: string; citations: unknown[] };
    expect(parsed.answer).not.toBe("");
    expect(parsed.citations.length).toBeGreaterThan(0);
  });
});
