/**
 * Grounding inside the graph: the real graph, `ChatOllama` and `OllamaEmbeddings` over HTTP
 * against the Ollama-protocol test server (plus a small `/api/embed` handler in front of it),
 * and the CLI's rendering of unsupported sentences.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { formatUnsupported } from "../../src/cli/render.js";
import { runTurn } from "../../src/cli/session.js";
import { loadConfig } from "../../src/config/config.js";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import { type ContextDocument, type GenerationResult } from "../../src/domain/index.js";
import { EMPTY_GROUNDING } from "../../src/domain/index.js";
import { FakeOllama, type FakeModel } from "../../src/testing/index.js";

const MODELS: FakeModel[] = [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }, { name: "deepseek-coder:33b" }];
const DOCS: ContextDocument[] = [
  {
    title: "Loki ingester OOMKilled",
    source: "runbooks/loki-oom.md",
    content: "Ingesters that exceed their memory limit are killed with exit code 137 and reason OOMKilled. Raise the memory limit of the loki-ingester StatefulSet to 4Gi.",
  },
  { title: "Loki tuning", source: "runbooks/loki-tuning.md", content: "Lower ingester.max_chunk_age to 1h so that chunks are flushed sooner and memory use drops." },
];
const QUERY = "loki ingester pods keep crashing";
const ANSWER = [
  "The ingesters exceed their memory limit and are OOMKilled with exit code 137 [1].",
  "Raise the limit of the loki-ingester StatefulSet to 8Gi [1].",
  "Lower ingester.max_chunk_age to 1h [2].",
  "Then run `kubectl -n loki rollout restart sts/loki-ingester`.",
].join(" ");

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function fakeOllama(reply: string): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: MODELS, defaultReply: () => ({ content: reply }) });
  closers.push(() => server.close());
  return server;
}

interface EmbedFront {
  url: string;
  requests: Array<{ model: string; input: string[] }>;
}

/** Answers `/api/embed` itself (bag-of-words vectors, or an error) and forwards everything else. */
async function embedFront(upstream: string, mode: "ok" | "error"): Promise<EmbedFront> {
  const requests: EmbedFront["requests"] = [];
  const vocabulary = ["ingester", "memory", "limit", "oomkill", "137", "4gi", "8gi", "chunk", "flush", "restart", "loki"];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.url === "/api/embed") {
      const parsed = JSON.parse(body) as { model: string; input: string | string[] };
      const input = Array.isArray(parsed.input) ? parsed.input : [parsed.input];
      requests.push({ model: parsed.model, input });
      if (mode === "error") {
        res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "embedding model crashed" }));
        return;
      }
      const embeddings = input.map((t) => vocabulary.map((v) => (t.toLowerCase().includes(v) ? 1 : 0)));
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ model: parsed.model, embeddings }));
      return;
    }
    const forwarded = await fetch(`${upstream}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers: { "Content-Type": "application/json" },
      ...(body && req.method !== "GET" && req.method !== "HEAD" ? { body } : {}),
    });
    res.writeHead(forwarded.status, { "Content-Type": forwarded.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function graphFor(host: string, env: Record<string, string> = {}) {
  return createGenerationGraph({ config: loadConfig({ env: { OLLAMA_HOST: host, LOG_LEVEL: "silent", BRUNO_RETRY_ATTEMPTS: "1", ...env } }) });
}

describe("validateCitations grounds every cited sentence", () => {
  it("returns structured citations, counts and warnings for unsupported and uncited sentences", async () => {
    const server = await fakeOllama(ANSWER);
    const out = (await graphFor(server.url).invoke({ query: QUERY, documents: DOCS })) as GenerationResult;

    expect(out.answer).toBe(ANSWER);
    expect(out.citations.map((c) => [c.index, c.valid, c.sentence, (c.support ?? 0) >= 0.5])).toEqual([
      [1, true, "The ingesters exceed their memory limit and are OOMKilled with exit code 137 [1].", true],
      [1, true, "Raise the limit of the loki-ingester StatefulSet to 8Gi [1].", false],
      [2, true, "Lower ingester.max_chunk_age to 1h [2].", true],
    ]);
    const [first, second, third] = out.citations;
    expect(first).toMatchObject({ title: "Loki ingester OOMKilled", source: "runbooks/loki-oom.md" });
    expect(DOCS[0]?.content.slice(first?.quote?.start, first?.quote?.end)).toBe(first?.quote?.text);
    expect(first?.quote?.text).toContain("exit code 137");
    expect(second?.missing).toEqual(["8Gi"]);
    expect(third?.quote?.text).toContain("max_chunk_age");

    expect(out.grounding).toMatchObject({
      method: "lexical",
      threshold: 0.5,
      sentences: 4,
      citedSentences: 3,
      checkedCitations: 3,
      unsupportedCitations: 1,
      uncitedClaims: 1,
      uncitedSentences: ["Then run `kubectl -n loki rollout restart sts/loki-ingester`."],
    });
    expect(out.warnings).toEqual([
      expect.stringMatching(/^unsupported citation \[1\] \(support 0\.\d\d < 0\.50\): "Raise the limit of the loki-ingester StatefulSet to 8Gi\."; not in \[1\]: 8Gi$/),
      'states specifics without a citation: "Then run `kubectl -n loki rollout restart sts/loki-ingester`." (kubectl -n loki rollout restart sts/loki-ingester)',
    ]);
  });

  it("BRUNO_GROUNDING_THRESHOLD moves the line", async () => {
    const server = await fakeOllama(ANSWER);
    const out = (await graphFor(server.url, { BRUNO_GROUNDING_THRESHOLD: "0" }).invoke({ query: QUERY, documents: DOCS })) as GenerationResult;
    expect(out.grounding.threshold).toBe(0);
    expect(out.grounding.unsupportedCitations).toBe(0);
    expect(out.warnings.filter((w) => w.startsWith("unsupported citation"))).toEqual([]);
  });

  it("stripped out-of-range citations keep the sentence they were in", async () => {
    const server = await fakeOllama("Exit code 137 means OOMKilled [1]. See the dashboard [7].");
    const out = (await graphFor(server.url).invoke({ query: QUERY, documents: DOCS })) as GenerationResult;
    expect(out.answer).toBe("Exit code 137 means OOMKilled [1]. See the dashboard.");
    expect(out.citations.at(-1)).toEqual({ index: 7, valid: false, sentence: "See the dashboard [7]." });
    expect(out.citations.filter((c) => c.valid)).toHaveLength(1);
  });

  it("no documents: no grounding warnings, counts still set", async () => {
    const server = await fakeOllama("Run `kubectl get pods -A` and look for exit code 137.");
    const out = (await graphFor(server.url).invoke({ query: "what is exit code 137" })) as GenerationResult;
    expect(out.citations).toEqual([]);
    expect(out.warnings).toEqual([]);
    expect(out.grounding).toMatchObject({ sentences: 1, citedSentences: 0, checkedCitations: 0, uncitedClaims: 0, meanSupport: null });
  });

  it("with BRUNO_EMBED_MODEL the scores are refined through Ollama's /api/embed", async () => {
    const server = await fakeOllama(ANSWER);
    const front = await embedFront(server.url, "ok");
    const out = (await graphFor(front.url, { BRUNO_EMBED_MODEL: "nomic-embed-text" }).invoke({ query: QUERY, documents: DOCS })) as GenerationResult;
    expect(out.grounding.method).toBe("embedding");
    expect(front.requests).toHaveLength(1);
    expect(front.requests[0]?.model).toBe("nomic-embed-text");
    expect(front.requests[0]?.input).toEqual(expect.arrayContaining(["The ingesters exceed their memory limit and are OOMKilled with exit code 137."]));
    // The changed number still sinks the second citation, embeddings or not.
    expect(out.citations[1]?.support).toBeLessThan(0.5);
    expect(out.citations[0]?.support).toBeGreaterThanOrEqual(0.5);
  });

  it("a failing embedding model leaves the string-check scores and says so", async () => {
    const server = await fakeOllama(ANSWER);
    const front = await embedFront(server.url, "error");
    const out = (await graphFor(front.url, { BRUNO_EMBED_MODEL: "nomic-embed-text" }).invoke({ query: QUERY, documents: DOCS })) as GenerationResult;
    expect(out.answer).toBe(ANSWER);
    expect(out.grounding.method).toBe("lexical");
    expect(out.warnings).toContainEqual(expect.stringMatching(/^the embedding check with nomic-embed-text failed \(.*\); citation support comes from string checks only$/));
  });
});

describe("the CLI shows unsupported sentences plainly", () => {
  const base: GenerationResult = {
    answer: "",
    queryType: "troubleshooting",
    complexity: "simple",
    requiresCode: false,
    model: "sre-agent:v1.0",
    modelsTried: [],
    citations: [],
    grounding: { ...EMPTY_GROUNDING },
    warnings: [],
    notices: [],
    usage: { inputTokens: 0, outputTokens: 0, durationMs: 0, loadMs: 0, promptEvalMs: 0, evalMs: 0 },
  };

  it.each<[string, Partial<GenerationResult>, string]>([
    ["nothing to show", {}, ""],
    [
      "an unsupported citation with what its source lacks",
      { citations: [{ index: 1, title: "Loki OOM", valid: true, sentence: "Raise it to 8Gi [1].", support: 0.1, missing: ["8Gi"] }] },
      "Not supported by the cited source (support below 0.50):\n  ! Raise it to 8Gi [1].\n      [1] Loki OOM: support 0.10; [1] does not contain: 8Gi\n",
    ],
    [
      "supported and unscored citations are not shown",
      {
        citations: [
          { index: 1, valid: true, sentence: "Fine [1].", support: 0.9 },
          { index: 2, valid: true, sentence: "See [2]." },
        ],
      },
      "",
    ],
    [
      "an uncited sentence with specifics",
      { grounding: { ...EMPTY_GROUNDING, uncitedClaims: 1, uncitedSentences: ["Run `kubectl delete pod x-0`."] } },
      "States specifics without citing a source:\n  ! Run `kubectl delete pod x-0`.\n",
    ],
  ])("%s", (_name, patch, expected) => {
    expect(formatUnsupported({ ...base, ...patch })).toBe(expected);
  });

  it("runTurn prints them between the answer and the sources and does not repeat them as warnings", async () => {
    const server = await fakeOllama(ANSWER);
    let out = "";
    let err = "";
    await runTurn(
      graphFor(server.url),
      { query: QUERY, documents: DOCS },
      {
        threadId: "t1",
        signal: new AbortController().signal,
        stdout: { write: (t) => void (out += t) },
        stderr: { write: (t) => void (err += t) },
        render: true,
      },
    );
    const sources = out.indexOf("Sources (* cited):");
    const block = out.indexOf("Not supported by the cited source");
    expect(out.startsWith(ANSWER)).toBe(true);
    expect(block).toBeGreaterThan(ANSWER.length);
    expect(sources).toBeGreaterThan(block);
    expect(out).toContain("  ! Raise the limit of the loki-ingester StatefulSet to 8Gi [1].");
    expect(out).toContain("[1] does not contain: 8Gi");
    expect(out).toContain("States specifics without citing a source:\n  ! Then run `kubectl -n loki rollout restart sts/loki-ingester`.");
    expect(err).not.toContain("unsupported citation");
    expect(err).not.toContain("states specifics without a citation");
  });
});
