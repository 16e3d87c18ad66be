/**
 * Fault matrix row 16: a conversation database (`--db` / `BRUNO_DB`) that cannot be used. Every
 * case ends the command within a second with one `CONFIG_INVALID` line naming the file and what
 * to do, and a file that is there is left exactly as it was (bytes and mtime).
 *
 * The CLI runs in process (`cliHarness.ts`) against FakeOllama with `--provider ollama`, so the
 * run gets as far as opening the database; only the `/proc` path runs in a real process, because
 * what it guards against is a process that never ends.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bruno, type CliResult } from "../support/cliHarness.js";
import { closedPort } from "../support/net.js";
import { spawnBruno } from "../support/spawn.js";
import { closeServersAfterEach, startServer } from "./helpers.js";

closeServersAfterEach();

const dir = mkdtempSync(join(tmpdir(), "bruno-db-"));
// Readable by the unprivileged user of the read-only case.
chmodSync(dir, 0o755);
afterAll(() => {
  chmodSync(dir, 0o755);
  for (const sub of ["ro"]) {
    try {
      chmodSync(join(dir, sub), 0o755);
    } catch {
      // not made
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** `bruno ask` with `--db path` against a healthy server. */
async function askWithDb(path: string): Promise<CliResult> {
  const server = await startServer();
  return bruno(["ask", "Loki pods are crashing", "--provider", "ollama", "--host", server.url, "--db", path]);
}

/** A SQLite file with `bruno`'s tables and one answered turn, its write-ahead log folded in. */
async function realDatabase(path: string): Promise<Buffer> {
  const run = await askWithDb(path);
  expect(run.code, run.stderr).toBe(0);
  const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
  const db = SqliteSaver.fromConnString(path).db;
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return readFileSync(path);
}

function fingerprint(path: string): { bytes: string; mtimeMs: number; size: number } {
  const info = statSync(path);
  return { bytes: readFileSync(path).toString("base64"), mtimeMs: info.mtimeMs, size: info.size };
}

function expectOneConfigLine(run: CliResult, path: string, what: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trim().split("\n");
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^bruno: CONFIG_INVALID: /);
  expect(lines[0]).toContain(`'${path}'`);
  expect(lines[0]).toMatch(what);
  expect(lines[0]).toMatch(/--db \/ BRUNO_DB/);
}

let good: Buffer;
beforeAll(async () => {
  // Also loads the runtime and the SQLite driver, so the timings below are the command's own.
  good = await realDatabase(join(dir, "good.sqlite"));
});

describe("16. an unusable --db", () => {
  it("is reported before the engine is chosen: with no Ollama answering, the one line is about the database, not a model download", async () => {
    const path = join(dir, "garbage-first.sqlite");
    writeFileSync(path, "not a database at all");
    // No --host: the `auto` engine probes the default address, finds nothing, and would turn to the
    // embedded engine's model download (pointed at a closed port here).
    const closed = `http://127.0.0.1:${await closedPort()}/`;
    const run = await bruno(["ask", "Loki pods are crashing", "--db", path], { env: { HF_ENDPOINT: closed, BRUNO_MODEL_CACHE: join(dir, "models") } });
    expectOneConfigLine(run, path, /not a SQLite database/);
  });

  it("a path under /proc (where Node 20's recursive mkdir never returns) is a one-line CONFIG_INVALID, promptly", async () => {
    const server = await startServer();
    const child = spawnBruno(["ask", "x", "--provider", "ollama", "--host", server.url, "--db", "/proc/bruno/t.sqlite"], { timeoutMs: 20_000 });
    const result = await child.done;

    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim()).toMatch(/^bruno: CONFIG_INVALID: cannot create the folder '\/proc\/bruno' for the conversation database '\/proc\/bruno\/t\.sqlite' \(--db \/ BRUNO_DB\) \(ENOENT/);
  }, 30_000);

  it.each<[string, () => string, RegExp]>([
    ["a folder", () => dir, /is a folder/],
    [
      "under a file",
      () => {
        writeFileSync(join(dir, "plain.txt"), "x");
        return join(dir, "plain.txt", "t.sqlite");
      },
      /'.*plain\.txt' is not a folder/,
    ],
    ["a device", () => "/dev/null", /is not a regular file/],
  ])("%s: one line naming it, within a second", async (_name, pathOf, what) => {
    const path = pathOf();
    const run = await askWithDb(path);
    expectOneConfigLine(run, path, what);
    expect(run.ms).toBeLessThan(1000);
  });

  it("a new file under folders that do not exist yet: each folder is made and the turn is kept there", async () => {
    const path = join(dir, "a", "b", "c", "t.sqlite");
    const run = await askWithDb(path);

    expect(run.code, run.stderr).toBe(0);
    expect(statSync(path).isFile()).toBe(true);
  });

  it('`--db ""` is a usage error, not a conversation silently kept in memory', async () => {
    const server = await startServer();
    const run = await bruno(["ask", "x", "--provider", "ollama", "--host", server.url, "--db", ""]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim()).toMatch(/^bruno: INVALID_INPUT: .*--db needs the path of a SQLite file/);
  });
});

describe("16b. a --db file that is not a usable database is left untouched", () => {
  it.each<[string, () => Buffer, RegExp]>([
    ["random bytes", () => Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256)), /is not a SQLite database/],
    ["a text file", () => Buffer.from("# Runbook\n\nNot a database at all.\n"), /is not a SQLite database/],
    ["a truncated database", () => good.subarray(0, Math.floor(good.length / 2)), /is damaged/],
    ["a database cut after its first page", () => good.subarray(0, 4096), /is damaged/],
  ])("%s: CONFIG_INVALID naming the file and what to do; bytes and mtime unchanged", async (name, content, what) => {
    const path = join(dir, `${name.replace(/\W+/g, "-")}.sqlite`);
    writeFileSync(path, content());
    const before = fingerprint(path);

    const run = await askWithDb(path);

    expectOneConfigLine(run, path, what);
    expect(run.stderr).toMatch(/move it away|point --db/);
    expect(run.ms).toBeLessThan(1000);
    expect(fingerprint(path)).toEqual(before);
  });

  it("a read-only database: CONFIG_INVALID saying it cannot be written, and it is not modified", async () => {
    const ro = join(dir, "ro");
    mkdirSync(ro);
    const path = join(ro, "t.sqlite");
    writeFileSync(path, good);
    chmodSync(path, 0o444);
    chmodSync(ro, 0o555);
    const before = fingerprint(path);

    // root may write anywhere: run as an unprivileged user then (the effective uid is what the
    // kernel checks; the real uid stays root so it can be restored).
    const server = await startServer();
    const asRoot = process.geteuid?.() === 0;
    if (asRoot) process.seteuid?.(65534);
    let run: CliResult;
    try {
      run = await bruno(["ask", "Loki pods are crashing", "--provider", "ollama", "--host", server.url, "--db", path]);
    } finally {
      if (asRoot) process.seteuid?.(0);
    }

    expectOneConfigLine(run, path, /cannot be written|read-only/);
    expect(run.stderr).toMatch(/writable/);
    expect(fingerprint(path)).toEqual(before);
  });
});
