/**
 * Health of the generation stage as a probe sees it: Ollama reachable, and the catalog's models
 * installed there.
 */
import { sameModelTag, type ModelCatalog } from "../domain/catalog.js";
import type { ModelServer } from "../providers/ports.js";

export interface HealthReport {
  /** ok: every routed model is installed; degraded: some are missing but one can answer; down: nothing can. */
  status: "ok" | "degraded" | "down";
  ollama: { host: string; reachable: boolean; version?: string; error?: string };
  /** With several Ollama hosts: each one, reachable or why not (the cached view: a host marked down is not asked). */
  hosts?: { host: string; reachable: boolean; version?: string | undefined; error?: string | undefined; models: number }[];
  models: {
    /** Catalog models installed on the server. */
    installed: string[];
    /** Models the routing table names that are not installed (`ollama pull <tag>`). */
    missing: string[];
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Asks the server for its version (always a live call) and for its models (the admin's cached
 * list). Never throws: an unreachable server is a `down` report.
 */
export async function checkHealth(options: { admin: ModelServer; catalog: ModelCatalog; signal?: AbortSignal }): Promise<HealthReport> {
  const { admin, catalog } = options;
  const call = options.signal ? { signal: options.signal } : {};
  const report: HealthReport = { status: "down", ollama: { host: admin.host, reachable: false }, models: { installed: [], missing: [] } };
  const routed = [...new Set(Object.values(catalog.routes))];
  if (admin.hosts) {
    const hosts = await admin.hosts(call).catch(() => []);
    report.hosts = hosts.map((h) => ({ host: h.host, reachable: h.reachable, version: h.version, error: h.error, models: h.models.length }));
  }
  let names: string[];
  try {
    report.ollama.version = await admin.version(call);
    names = (await admin.listModels(call)).map((m) => m.name);
    report.ollama.reachable = true;
  } catch (error) {
    report.ollama.error = describe(error);
    report.models.missing = routed;
    return report;
  }
  const installed = (tag: string) => names.some((name) => sameModelTag(name, tag));
  report.models.installed = catalog.models.map((m) => m.tag).filter(installed);
  report.models.missing = routed.filter((tag) => !installed(tag));
  report.status = report.models.installed.length === 0 ? "down" : report.models.missing.length > 0 ? "degraded" : "ok";
  return report;
}

/** HTTP status for a report: 200 while something can answer, 503 otherwise. */
export function healthStatusCode(report: HealthReport): 200 | 503 {
  return report.status === "down" ? 503 : 200;
}
