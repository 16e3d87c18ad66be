/**
 * `bruno models` with several Ollama hosts (`OLLAMA_HOSTS`): every host with whether it answers
 * (or why not), its version and its models; the union of the installed models; the catalog with
 * the hosts that have each model. Exit 0 when at least one host answers.
 */
import { loadHostPool, loadModelAdmin, ModelNotFoundError, ollamaHostList, sameModelTag, type BrunoConfig } from "../app/index.js";
import type { Command } from "./args.js";
import type { CliIO } from "./io.js";
import { exitCodeFor } from "./render.js";

interface HostReport {
  host: string;
  reachable: boolean;
  version?: string | undefined;
  error?: string | undefined;
  models: string[];
}

export interface HostsModelsReport {
  /** The first host (the one-host report's field). */
  host: string;
  /** At least one host answers. */
  reachable: boolean;
  hosts: HostReport[];
  /** Models installed on at least one reachable host. */
  installed: string[];
  catalog: { tag: string; installed: boolean; role: string[]; hosts: string[] }[];
  warmed?: { model: string; loadMs: number; hosts: string[] };
}

/** The several-hosts form of `bruno models`. */
export async function hostsModels(cmd: Extract<Command, { name: "models" }>, config: BrunoConfig, io: CliIO): Promise<number> {
  const createOllamaModelServer = await loadModelAdmin();
  const createOllamaHostPool = await loadHostPool();
  const servers = ollamaHostList(config).map((h) => createOllamaModelServer({ host: h.address, credentials: h.credentials, timeoutMs: config.timeouts.adminMs, tagsTtlMs: 0 }));
  const pool = createOllamaHostPool({ servers, tagsTtlMs: 0 });
  const hosts: HostReport[] = (await pool.hosts({ fresh: true, signal: io.signal })).map((h) => ({
    host: h.host,
    reachable: h.reachable,
    ...(h.version !== undefined ? { version: h.version } : {}),
    ...(h.error !== undefined ? { error: h.error } : {}),
    models: h.reachable ? h.models.map((m) => m.name) : [],
  }));
  const up = hosts.filter((h) => h.reachable);
  const installed = [...new Set(up.flatMap((h) => h.models))];
  const report: HostsModelsReport = {
    host: hosts[0]?.host ?? config.ollamaHost,
    reachable: up.length > 0,
    hosts,
    installed,
    catalog: config.catalog.models.map((m) => {
      const on = up.filter((h) => h.models.some((name) => sameModelTag(name, m.tag))).map((h) => h.host);
      const role = Object.entries(config.catalog.routes)
        .filter(([, tag]) => tag === m.tag)
        .map(([r]) => r);
      return { tag: m.tag, installed: on.length > 0, role, hosts: on };
    }),
  };
  if (cmd.warm && report.reachable) {
    const tag = cmd.warmTag ?? config.catalog.routes.sre;
    const on = up.filter((h) => h.models.some((name) => sameModelTag(name, tag))).map((h) => h.host);
    if (on.length === 0) throw new ModelNotFoundError(tag, `model '${tag}' is not installed on any reachable host (${hosts.map((h) => h.host).join(", ")}): run \`ollama pull ${tag}\``);
    const { loadMs } = await pool.warm(tag, { keepAlive: config.keepAlive, timeoutMs: config.timeouts.firstTokenMs, signal: io.signal });
    report.warmed = { model: tag, loadMs, hosts: on };
  }
  const code = report.reachable ? 0 : exitCodeFor("SERVER_UNREACHABLE");
  if (cmd.options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return code;
  }
  io.stdout.write(`Ollama hosts (${up.length} of ${hosts.length} reachable):\n`);
  for (const h of hosts) {
    if (!h.reachable) {
      io.stdout.write(`  ${h.host}: unreachable (${h.error ?? "no answer"})\n`);
      continue;
    }
    io.stdout.write(`  ${h.host}: reachable, version ${h.version ?? "unknown"}, ${h.models.length} model(s)\n`);
    for (const name of h.models) io.stdout.write(`    ${name}\n`);
  }
  if (!report.reachable) {
    io.stderr.write(`bruno: SERVER_UNREACHABLE: none of the Ollama hosts of OLLAMA_HOSTS answers\n`);
    return code;
  }
  io.stdout.write(`\nInstalled models, on any host (${installed.length}):\n`);
  for (const name of installed) io.stdout.write(`  ${name}\n`);
  io.stdout.write("\nCatalog:\n");
  for (const m of report.catalog) {
    const role = m.role.length > 0 ? ` (${m.role.join(", ")})` : "";
    io.stdout.write(`  ${m.installed ? "✓" : "✗"} ${m.tag}${role}${m.installed ? ` — on ${m.hosts.join(", ")}` : ` — missing: ollama pull ${m.tag}`}\n`);
  }
  if (report.warmed) {
    io.stdout.write(`\nWarmed ${report.warmed.model} on ${report.warmed.hosts.join(", ")}: loaded in ${(report.warmed.loadMs / 1000).toFixed(1)} s, kept for ${config.keepAlive} (BRUNO_KEEP_ALIVE)\n`);
  }
  return code;
}
