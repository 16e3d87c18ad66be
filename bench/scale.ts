/**
 * The scale test: `npm run test:scale [-- --duration S --max-rate N --short --seed N --db postgres|sqlite --bin FILE]`.
 *
 * Starts a throwaway PostgreSQL, two Ollama-protocol test servers (first token 50 ms, then 15 ms
 * a token) and three `bruno serve` replicas sharing both; sends the same arrival schedule first
 * straight to the test servers through a bare ChatOllama (the baseline), then to the replicas:
 * new conversations ramping linearly from 1 to `--max-rate` a second over `--duration` seconds,
 * three messages each, every message to a random replica. One test server is killed with SIGKILL
 * at 45 % of the run and one replica at 55 %. Then every thread is read back from the database.
 * Prints Markdown tables and writes bench/out/scale.json; exits 1 when a turn answered with a 200
 * is lost, duplicated or out of order, or when no turn was answered. `--short` (CI) is 15 s
 * ramping to 4 a second. The replicas run the built command (dist/cli/bin.js) when it is newer
 * than the sources, else the sources through tsx; `--bin` chooses. Everything started is stopped,
 * and the database folder removed, also on failure and on Ctrl-C.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { wholeNumber } from "./lib/options.js";
import { ScaleClient } from "./scale/client.js";
import { buildConversations, seededRandom, type Message } from "./scale/corpus.js";
import { runBaseline, runConversations } from "./scale/load.js";
import { figures, markdown, type KillEvent } from "./scale/report.js";
import { cpuFigures, cpuLine, machineCpuMs, processCpuMs, replicaCounters, type ReplicaCounters } from "./scale/metrics.js";
import { arrivalTimes } from "./scale/schedule.js";
import { kill, startTopology, type Topology } from "./scale/topology.js";
import { verifyThreads } from "./scale/verify.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string" },
    "max-rate": { type: "string" },
    short: { type: "boolean", default: false },
    seed: { type: "string", default: "15" },
    db: { type: "string", default: "postgres" },
    bin: { type: "string" },
    corpus: { type: "string", default: "../shared/corpus" },
    out: { type: "string", default: "bench/out/scale.json" },
  },
  strict: true,
});

const durationS = wholeNumber("duration", values.duration ?? (values.short ? "15" : "60"), 1);
const maxRate = wholeNumber("max-rate", values["max-rate"] ?? (values.short ? "4" : "10"), 1);
const seed = wholeNumber("seed", values.seed, 0);
if (values.db !== "postgres" && values.db !== "sqlite") {
  process.stderr.write(`--db must be postgres or sqlite, not '${values.db}'\n`);
  process.exit(2);
}
const db = values.db;
const bin = values.bin ?? defaultBin();
/**
 * The built command (`dist/cli/bin.js`, what `npm install` gives) when it is newer than every
 * source file, else the sources through tsx (`bin/bruno.js`), which start slower and use more CPU.
 */
function defaultBin(): string {
  const built = "dist/cli/bin.js";
  if (!existsSync(built)) return "bin/bruno.js";
  const builtAt = statSync(built).mtimeMs;
  const stale = readdirSync("src", { recursive: true, withFileTypes: true }).some((e) => e.isFile() && statSync(`${e.parentPath}/${e.name}`).mtimeMs > builtAt);
  if (stale) process.stderr.write("[scale] dist/ is older than src/: running the sources through tsx (npm run build to test the built command)\n");
  return stale ? "bin/bruno.js" : built;
}

const pace = { firstTokenMs: 50, tokenMs: 15 };
/**
 * Settings of every replica (sized as docs/deploying.md says): quiet logs; 8 model calls in flight
 * per Ollama server, so one server alone still carries the peak; 14 turns at once (503 beyond),
 * each holding one of 16 PostgreSQL connections for its thread lock, 2 left for saving.
 */
const replicaEnv = { BRUNO_LOG_LEVEL: "warn", BRUNO_CONCURRENCY: "8", BRUNO_SERVE_MAX_TURNS: "14", BRUNO_DB_POOL_SIZE: "16" };
const started = performance.now();
const log = (line: string): void => void process.stderr.write(`[scale ${((performance.now() - started) / 1000).toFixed(1)} s] ${line}\n`);

let stopTopology: (() => Promise<void>) | undefined;
const cleanup = async (): Promise<void> => {
  await stopTopology?.();
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const arrivals = arrivalTimes({ durationS, startRate: 1, maxRate });
  const runId = `scale-${Date.now().toString(36)}`;
  const conversations = await buildConversations(resolve(values.corpus), arrivals.length, seed, runId);
  log(`${conversations.length} conversations (${conversations.length * 3} turns) over ${durationS} s, 1 → ${maxRate} new a second`);
  const topology = await startTopology({ db, replicas: 3, fakes: 2, pace, bin, env: replicaEnv, log, onStop: (stop) => (stopTopology = stop) });
  const startupS = (performance.now() - started) / 1000;

  await warmUp(topology, conversations[0]?.messages[0], runId);
  const loadBefore = loadavg()[0] ?? 0;
  log("baseline: the same schedule straight to the test servers through a bare ChatOllama");
  const baselineCpu = machineCpuMs();
  const bare = await runBaseline(
    conversations,
    arrivals,
    topology.fakes.map((f) => f.url),
    seededRandom(seed + 1),
  );

  log("load: the schedule sent to the replicas");
  const loadCpu = machineCpuMs();
  const replicaCpu0 = topology.replicas.map((r) => processCpuMs(r.proc.child.pid));
  const t0 = performance.now();
  const client = new ScaleClient({ replicas: topology.replicas.map((r) => r.url), t0, random: seededRandom(seed + 2) });
  const kills: KillEvent[] = [];
  const { fakes, replicas } = topology;
  const timers = [
    setTimeout(() => {
      const victim = fakes[0];
      if (!victim) return;
      const at = client.now();
      kill(victim, at);
      kills.push({ what: "ollama", name: victim.name, at });
      log(`SIGKILL ${victim.name}`);
    }, durationS * 450),
    setTimeout(() => {
      const victim = replicas[1];
      if (!victim) return;
      // Half-way, at the first moment it has turns in flight (within 3 s), so the kill costs something to measure.
      const due = client.now();
      const poll = setInterval(() => {
        if ((client.inFlight[1] ?? 0) === 0 && client.now() - due < 3_000) return;
        clearInterval(poll);
        const at = client.now();
        log(`SIGKILL ${victim.name} (${client.inFlight[1] ?? 0} requests in flight on it)`);
        kill(victim, at);
        kills.push({ what: "replica", name: victim.name, at });
      }, 5);
    }, durationS * 550),
  ];
  const records = await runConversations(conversations, arrivals, client);
  timers.forEach(clearTimeout);
  const cpu = cpuFigures(
    records,
    baselineCpu,
    loadCpu,
    replicaCpu0,
    replicas.map((r) => processCpuMs(r.proc.child.pid)),
  );
  const loadS = (performance.now() - t0) / 1000;

  const counters = await replicaCounters(replicas);
  log("verifying every thread in the database");
  const verification = await verifyThreads(topology.db, records);
  const f = figures(
    records,
    bare,
    verification,
    kills,
    replicas.map((r) => r.name),
    durationS * 1000,
  );
  const bareFailed = bare.filter((s) => !s.ok).length;
  const command =
    `npm run test:scale --${values.short ? " --short" : ""} --duration ${durationS} --max-rate ${maxRate}${db === "sqlite" ? " --db sqlite" : ""}${seed !== 15 ? ` --seed ${seed}` : ""}` +
    ` (replicas: ${bin})`;
  const load = `load average ${loadBefore.toFixed(1)} before the baseline, ${(loadavg()[0] ?? 0).toFixed(1)} after the load, ${cpus().length} cores`;
  process.stdout.write(
    `\n## Scale test (${command}; ${load})\n\n${markdown(f, bareFailed, `${replicas.length} replicas, ${topology.dbLabel}, ${fakes.length} Ollama servers`)}\n\n${countersLine(counters)}\n\n${cpuLine(cpu)}\n\n`,
  );
  const report = {
    when: new Date().toISOString(),
    command,
    machine: { cpus: cpus().length, node: process.version, loadAverage1m: { beforeBaseline: loadBefore, afterLoad: loadavg()[0] ?? 0 } },
    options: { durationS, startRate: 1, maxRate, seed, db: topology.dbLabel, replicas: replicas.length, ollamaServers: fakes.length, pace, replicaEnv, bin },
    elapsedS: { startup: Math.round(startupS * 10) / 10, load: Math.round(loadS * 10) / 10, total: Math.round((performance.now() - started) / 100) / 10 },
    bareFailed,
    ...f,
    replicaCounters: counters,
    cpu,
  };
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${values.out}`);
  const t = f.turns;
  if (t.lost > 0 || t.duplicated > 0 || t.outOfOrder > 0 || t.wrongAnswer > 0) {
    log(`FAIL: ${t.lost} lost, ${t.duplicated} duplicated, ${t.outOfOrder} out of order, ${t.wrongAnswer} with another answer saved`);
    return 1;
  }
  if (t.answered === 0) {
    log("FAIL: no turn was answered");
    return 1;
  }
  return 0;
}

/**
 * One turn on each replica before the clock starts (its own thread, not counted), as a deployment
 * warms a replica before the load balancer sends it traffic: the first turn of a process loads the
 * graph's modules and the hosts' model lists.
 */
async function warmUp(t: Topology, message: Message | undefined, runId: string): Promise<void> {
  if (!message) return;
  await Promise.all(
    t.replicas.map(async (r, i) => {
      const res = await fetch(`${r.url}/v1/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...message, threadId: `${runId}-warmup-${i}` }) });
      if (!res.ok) throw new Error(`warm-up turn on ${r.name} failed: ${res.status} ${await res.text()}`);
    }),
  );
  log("replicas warmed up (one turn each)");
}

function countersLine(c: ReplicaCounters): string {
  const wait = c.meanQueueWaitMs === null ? "" : `, mean wait for a bulkhead slot ${Math.round(c.meanQueueWaitMs)} ms`;
  return `Counted by the ${c.replicas} replicas still up (/metrics): ${c.failovers} failovers to the same model on the other host, ${c.fallbacks} fallbacks to another model, ${c.retries} retries, ${c.modelCallErrors} failed model calls${wait}.`;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  log(`FAIL: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await cleanup();
}
process.exit(code);
