/**
 * The topology of the scale test, all on loopback: a throwaway PostgreSQL (or a shared SQLite
 * file), two Ollama-protocol test servers as separate processes with a realistic token pace and
 * the default catalog's models, and `bruno serve` replicas sharing the database and both servers
 * (`OLLAMA_HOSTS`). Everything it starts is stopped, and the database folder removed, by `stop()`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CATALOG_MODELS } from "../../src/testing/index.js";
import { closedPort } from "../../test/support/net.js";
import { startPostgres, type PostgresCluster } from "../../test/support/postgres.js";
import { runProcess, spawnProcess, type Spawned } from "../../test/support/spawn.js";
import { sleep } from "./schedule.js";

export interface Service {
  name: string;
  url: string;
  proc: Spawned;
  /** When it was killed, in ms from the run's start, once it was. */
  killedAt?: number;
}

export interface Pace {
  firstTokenMs: number;
  tokenMs: number;
}

export interface TopologyOptions {
  db: "postgres" | "sqlite";
  replicas: number;
  fakes: number;
  pace: Pace;
  /** The `bruno` entry file (`bin/bruno.js`, or `dist/cli/bin.js` for the compiled one). */
  bin: string;
  /** Settings of every replica, on top of the database and the hosts. */
  env: Record<string, string>;
  log: (line: string) => void;
  /** Receives `stop` before anything starts, for a Ctrl-C that comes while it is starting. */
  onStop?: (stop: () => Promise<void>) => void;
}

export interface Topology {
  /** The database as the replicas see it (a URL with a password, or a file path); never printed. */
  db: string;
  /** What the report may show of it. */
  dbLabel: string;
  fakes: Service[];
  replicas: Service[];
  /** Stops everything and removes the database folder; safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

function node(bin: string): string[] {
  return bin.endsWith(".ts") ? ["--import", "tsx", bin] : [bin];
}

/** What has been started so far, for `stop()` (filled in as each piece starts, so a failure half-way leaks nothing). */
interface Started {
  services: Service[];
  /** The cluster, once asked for (it may still be starting when a Ctrl-C stops everything). */
  pg?: Promise<PostgresCluster>;
  sqliteDir?: string;
  stopped: boolean;
}

/** Records a started process; one that starts after a stop is killed at once. */
function track(started: Started, service: Service): Service {
  started.services.push(service);
  if (started.stopped) {
    service.proc.kill("SIGKILL");
    throw new Error("stopped while starting");
  }
  return service;
}

async function startFake(index: number, pace: Pace, started: Started): Promise<Service> {
  const port = await closedPort();
  const models = CATALOG_MODELS.map((m) => m.name).join(",");
  const args = ["--import", "tsx", "src/testing/cli.ts", "--port", String(port), "--models", models];
  const proc = spawnProcess(process.execPath, [...args, "--first-token-delay-ms", String(pace.firstTokenMs), "--token-delay-ms", String(pace.tokenMs)], { timeoutMs: 0 });
  const service = track(started, { name: `ollama-${String.fromCharCode(97 + index)}`, url: `http://127.0.0.1:${port}`, proc });
  const since = Date.now();
  while (!proc.stderr().includes("listening on")) {
    if (proc.exited() || Date.now() - since > READY_TIMEOUT_MS) throw new Error(`Ollama test server ${index} did not start:\n${proc.output()}`);
    await sleep(50);
  }
  return service;
}

async function ready(url: string, proc: Spawned, name: string): Promise<void> {
  const started = Date.now();
  let last = "no answer";
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (proc.exited()) throw new Error(`${name} exited before it was ready:\n${proc.output().slice(-4000)}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(200);
  }
  throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s (last /readyz: ${last}):\n${proc.output().slice(-4000)}`);
}

function startReplica(index: number, options: TopologyOptions, env: Record<string, string>, started: Started, port: number): Service {
  const proc = spawnProcess(process.execPath, [...node(options.bin), "serve", "--port", String(port), "--host", "127.0.0.1"], { env, timeoutMs: 0 });
  return track(started, { name: `replica-${index + 1}`, url: `http://127.0.0.1:${port}`, proc });
}

/** A throwaway PostgreSQL cluster, or a SQLite file in a temporary folder. */
async function openDatabase(options: TopologyOptions, started: Started): Promise<{ db: string; dbLabel: string }> {
  if (options.db === "postgres") {
    started.pg = startPostgres({ install: true, log: options.log });
    const pg = await started.pg;
    options.log(`PostgreSQL ready on port ${pg.port}`);
    return { db: pg.url, dbLabel: `PostgreSQL on 127.0.0.1:${pg.port}` };
  }
  started.sqliteDir = mkdtempSync(join(tmpdir(), "bruno-scale-"));
  return { db: join(started.sqliteDir, "threads.sqlite"), dbLabel: "a SQLite file shared by the replicas" };
}

/** Both results, once both have settled (so nothing is still starting when a failure stops everything). */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === "rejected") throw x.reason;
  if (y.status === "rejected") throw y.reason;
  return [x.value, y.value];
}

/** Starts the database, the test servers and the replicas, and waits until every replica is ready. */
export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const started: Started = { services: [], stopped: false };
  const stop = async (): Promise<void> => {
    if (started.stopped) return;
    started.stopped = true;
    for (const s of started.services) s.proc.kill("SIGKILL");
    await Promise.all(started.services.map((s) => s.proc.exit));
    const pg = await started.pg?.catch(() => undefined);
    await pg?.stop();
    if (started.sqliteDir) rmSync(started.sqliteDir, { recursive: true, force: true });
  };
  options.onStop?.(stop);
  try {
    const [{ db, dbLabel }, fakes] = await both(openDatabase(options, started), Promise.all(Array.from({ length: options.fakes }, (_, i) => startFake(i, options.pace, started))));
    options.log(`Ollama test servers: ${fakes.map((f) => f.url).join(", ")}`);
    const env = { ...options.env, BRUNO_DB: db, OLLAMA_HOSTS: fakes.map((f) => f.url).join(",") };
    if (options.db === "postgres") {
      const migrated = await runProcess(process.execPath, [...node(options.bin), "db", "migrate"], { env, timeoutMs: 120_000 });
      if (migrated.code !== 0) throw new Error(`bruno db migrate failed (exit ${migrated.code}):\n${migrated.stderr}`);
      options.log("schema created with `bruno db migrate`");
    }
    const replicas: Service[] = [];
    for (let i = 0; i < options.replicas; i += 1) replicas.push(startReplica(i, options, env, started, await closedPort()));
    await Promise.all(replicas.map((r) => ready(r.url, r.proc, r.name)));
    options.log(`replicas ready: ${replicas.map((r) => r.url).join(", ")}`);
    return { db, dbLabel, fakes, replicas, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Kills a service with SIGKILL (no goodbye: its connections drop, its locks stay behind) and records when. */
export function kill(service: Service, at: number): void {
  service.killedAt = at;
  service.proc.kill("SIGKILL");
}
