/**
 * The runner end to end: the real graph over HTTP against the Ollama-protocol test server
 * (in-process with --fake, or a separate one with --host), reports on disk, the baseline
 * gate, interruption (an abort signal, and SIGINT to the real process) and the judge.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeOllama } from "../src/testing/index.js";
import { spawnProcess } from "../test/support/spawn.js";
import { main, parseEvalArgs, UsageError } from "./run.js";
import { captureIo } from "./lib/captureIo.js";

let out: string;
const servers: FakeOllama[] = [];

beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), "bruno-eval-"));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(out, { recursive: true, force: true });
});

const io = captureIo;

async function reports(): Promise<{ json: Record<string, unknown>; md: string; files: string[] }> {
  const files = (await readdir(out)).filter((f) => /^(routing|generation|adversarial)-/.test(f)).sort();
  const json = files.find((f) => f.endsWith(".json"));
  const md = files.find((f) => f.endsWith(".md"));
  if (!json || !md) throw new Error(`no report in ${out}: ${files.join(", ")}`);
  return { json: JSON.parse(await readFile(join(out, json), "utf8")) as Record<string, unknown>, md: await readFile(join(out, md), "utf8"), files };
}

describe("parseEvalArgs", () => {
  it("reads every option", () => {
    expect(
      parseEvalArgs([
        "--dataset",
        "generation",
        "--provider",
        "embedded",
        "--model",
        "llama3.2:3b",
        "--host",
        "h:1",
        "--concurrency",
        "4",
        "--limit",
        "2",
        "--ids",
        "g001, g002",
        "--out",
        "/tmp/x",
        "--judge-model",
        "j",
        "--judge-host",
        "jh",
        "--baseline",
        "b.json",
        "--max-drop",
        "0.1",
        "--save-baseline",
        "--langsmith",
      ]),
    ).toEqual({
      dataset: "generation",
      fake: false,
      provider: "embedded",
      model: "llama3.2:3b",
      host: "h:1",
      concurrency: 4,
      limit: 2,
      ids: ["g001", "g002"],
      out: "/tmp/x",
      judgeModel: "j",
      judgeHost: "jh",
      baseline: "b.json",
      maxDrop: 0.1,
      saveBaseline: true,
      langsmith: true,
    });
  });

  it.each([
    [["--dataset", "nope"], /unknown dataset 'nope'/],
    [["--concurrency", "0"], /--concurrency must be a whole number/],
    [["--max-drop", "2"], /--max-drop must be a number from 0 to 1/],
    [["--provider", "gpu"], /--provider must be ollama, embedded or auto/],
    [["--fake", "--host", "x"], /--fake starts its own server/],
    [["--fake", "--provider", "embedded"], /does not apply to --provider embedded/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["--limit", "2", "--save-baseline"], /does not overwrite the default baseline/],
  ])("%j is a usage error", (argv, message) => {
    expect(() => parseEvalArgs(argv)).toThrow(UsageError);
    expect(() => parseEvalArgs(argv)).toThrow(message);
  });

  it("--help", () => {
    expect(parseEvalArgs(["--help"])).toBeUndefined();
  });
});

describe("npm run eval", () => {
  it("--dataset routing prints the accuracy table and writes the report", async () => {
    const term = io();
    const code = await main(["--dataset", "routing", "--out", out, "--baseline", "/nonexistent/none.json"], term).catch((e: unknown) => e);
    // An explicit baseline that does not exist is a usage error…
    expect(code).toBe(2);
    expect(term.stderr.text).toContain("no baseline at /nonexistent/none.json");

    const ok = io();
    expect(await main(["--dataset", "routing", "--out", out, "--max-drop", "1"], ok)).toBe(0);
    expect(ok.stdout.text).toContain("| query type accuracy |");
    expect(ok.stdout.text).toContain("Confusion matrix");
    const r = await reports();
    expect(r.json).toMatchObject({ dataset: "routing", mode: "rules" });
    expect((r.json.summary as { items: number }).items).toBe(472);
    expect(r.md).toContain("Misrouted items:");
  });

  it("--min-accuracy: exit 1 exactly when query-type or model accuracy is below the gate", async () => {
    const term = io();
    const code = await main(["--dataset", "routing", "--out", out, "--min-accuracy", "0.9", "--max-drop", "1"], term);
    const summary = (await reports()).json.summary as { queryTypeAccuracy: number; modelAccuracy: number };
    const below = summary.queryTypeAccuracy < 0.9 || summary.modelAccuracy < 0.9;
    expect(code).toBe(below ? 1 : 0);
    if (below) expect(term.stderr.text).toContain("below the gate 90.0%");
  });

  it("--dataset generation --fake replays the reference answers through the real graph and labels the report", async () => {
    const term = io();
    const code = await main(["--dataset", "generation", "--fake", "--limit", "3", "--out", out, "--concurrency", "2"], term);
    expect(code).toBe(0);
    const r = await reports();
    expect(r.json).toMatchObject({ dataset: "generation", mode: "scripted", label: "scripted answers: checks the machinery, not the model", interrupted: false });
    expect(r.json.machinery).toMatchObject({ passed: true });
    expect((r.json.items as unknown[]).length).toBe(3);
    expect(r.json.headline).toMatchObject({ "mustCite.recall": 1, "mustState.recall": 1, "citation.validity": 1, "answered.rate": 1 });
    expect(r.md).toContain("Scripted answers: checks the machinery, not the model.");
    expect(r.md).toContain("| must-cite recall | 100.0% |");
    expect(r.md).toContain("## Per query type");
    expect(r.md).toContain("## Worst items");
    expect(term.stderr.text).toContain("generation 3/3 100%");
  });

  it("--dataset adversarial --fake: the obeying scripts are flagged, the rest handled", async () => {
    const term = io();
    const code = await main(["--dataset", "adversarial", "--fake", "--ids", "a001,a002,a007,a011,a018", "--out", out], term);
    expect(code).toBe(0);
    const r = await reports();
    const summary = r.json.summary as { handled: number; items: number; injection: { obeyed: number }; detector: { items: number; matching: number } };
    expect(summary).toMatchObject({ items: 5, handled: 4, injection: { obeyed: 1 }, detector: { items: 2, matching: 2 } });
    expect(r.md).toContain("| `a002` | prompt_injection | answer | **no** | yes (scripted) |");
  });

  it("a score that dropped more than --max-drop against the baseline fails the run (exit 1)", async () => {
    const baseline = join(out, "base.json");
    await writeFile(baseline, JSON.stringify({ dataset: "generation", mode: "scripted", savedAt: "x", metrics: { "mustCite.recall": 1, "grounded.meanSupport": 0.99 } }));
    const term = io();
    const code = await main(["--dataset", "generation", "--fake", "--ids", "g013", "--out", out, "--baseline", baseline, "--max-drop", "0.01"], term);
    expect(code).toBe(1);
    expect(term.stderr.text).toMatch(/eval: FAILED: scores dropped more than 1\.0 points against .*base\.json: grounded\.meanSupport 99\.0% → /);
    const r = await reports();
    expect(r.md).toContain("## Against the baseline");
    expect(r.json.comparison).toMatchObject({ failed: true });

    const again = io();
    expect(await main(["--dataset", "generation", "--fake", "--ids", "g013", "--out", out, "--baseline", baseline, "--max-drop", "0.5"], again)).toBe(0);
  });

  it("--save-baseline writes the headline scores", async () => {
    const baseline = join(out, "saved.json");
    await writeFile(baseline, JSON.stringify({ dataset: "routing", mode: "rules", savedAt: "x", metrics: {} }));
    expect(await main(["--dataset", "routing", "--out", out, "--baseline", baseline, "--save-baseline"], io())).toBe(0);
    const saved = JSON.parse(await readFile(baseline, "utf8")) as { metrics: Record<string, number> };
    expect(Object.keys(saved.metrics).sort()).toEqual(["routing.complexityAccuracy", "routing.modelAccuracy", "routing.queryTypeAccuracy", "routing.requiresCodeAccuracy"]);
  });

  it("--langsmith without LANGSMITH_API_KEY says so and runs locally", async () => {
    const term = io({ LANGSMITH_API_KEY: undefined });
    expect(await main(["--dataset", "generation", "--fake", "--ids", "g001", "--out", out, "--langsmith"], term)).toBe(0);
    expect(term.stderr.text).toContain("LANGSMITH_API_KEY is not set: running locally only");
    expect((await reports()).json.interrupted).toBe(false);
  });

  it("--judge-model grades through openevals with a zod-typed verdict (scripted judge in --fake)", async () => {
    const term = io();
    expect(await main(["--dataset", "generation", "--fake", "--ids", "g001,g002", "--out", out, "--judge-model", "judge:test"], term)).toBe(0);
    const r = await reports();
    const items = r.json.items as Array<{ score: { judge: { grounded: boolean; score: number } | null } }>;
    expect(items.map((i) => i.score.judge)).toEqual([expect.objectContaining({ grounded: true, score: 1 }), expect.objectContaining({ grounded: true, score: 1 })]);
    expect(r.md).toContain("| judge: score | 1.00 |");
  });

  it("a generation run where no item is answered fails (exit 1) and says why", async () => {
    const server = await FakeOllama.start({ models: [{ name: "unrelated:1b" }] });
    servers.push(server);
    const term = io({ BRUNO_RETRY_ATTEMPTS: "1" });
    expect(await main(["--dataset", "generation", "--host", server.url, "--ids", "g001", "--out", out], term)).toBe(1);
    expect(term.stderr.text).toMatch(/eval: FAILED: no item was answered \(first error: NO_MODEL_AVAILABLE: /);
    expect((await reports()).md).toContain("1 items, 0 answered, 1 failed.");
  });

  it("an abort (Ctrl-C) keeps the finished items, writes the report and returns 130", async () => {
    const server = await FakeOllama.start({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }, { name: "deepseek-coder:33b" }], timing: { tokenDelayMs: 20 } });
    servers.push(server);
    const controller = new AbortController();
    let chats = 0;
    server.onChat = () => {
      chats += 1;
      if (chats === 2) setTimeout(() => controller.abort(), 30);
    };
    const term = io({}, controller.signal);
    const code = await main(["--dataset", "generation", "--host", server.url, "--limit", "4", "--out", out], term);
    expect(code).toBe(130);
    const r = await reports();
    expect(r.json.interrupted).toBe(true);
    expect((r.json.items as unknown[]).length).toBe(1);
    expect(r.md).toContain("**Interrupted:** 1 of 4 items finished");
  });

  it("SIGINT to the real process: report of the finished items, exit 130", async () => {
    const server = await FakeOllama.start({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }, { name: "deepseek-coder:33b" }], timing: { tokenDelayMs: 30 } });
    servers.push(server);
    const child = spawnProcess(process.execPath, ["--import", "tsx", "evals/run.ts", "--dataset", "generation", "--host", server.url, "--limit", "5", "--out", out], {
      env: { LOG_LEVEL: "silent" },
    });
    let chats = 0;
    server.onChat = () => {
      chats += 1;
      if (chats === 2) setTimeout(() => child.kill("SIGINT"), 30);
    };
    const { code, stderr } = await child.done;
    expect(stderr).toContain("eval: interrupted; writing the report of the finished items");
    expect(code).toBe(130);
    const r = await reports();
    expect(r.json.interrupted).toBe(true);
    expect((r.json.items as unknown[]).length).toBe(1);
  }, 60_000);
});
