/**
 * Readiness of a `bruno serve` replica (`GET /readyz`): the conversation database answers, and
 * at least one Ollama host answers. Never throws; a failed check is a report saying which.
 */
import type { ModelServer } from "../../providers/ports.js";
import type { Database } from "../../persistence/types.js";

export interface HostReadiness {
  host: string;
  reachable: boolean;
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  database: { kind: Database["kind"]; ok: boolean; error?: string };
  ollama: { ok: boolean; hosts: HostReadiness[] };
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ").trim();
}

/** A model server that knows several hosts and whether each answers (a pool of Ollama hosts). */
interface HostLister {
  hosts(options?: { fresh?: boolean; signal?: AbortSignal }): unknown;
}

function listsHosts(admin: ModelServer): admin is ModelServer & HostLister {
  return typeof (admin as Partial<HostLister>).hosts === "function";
}

/** The entries of a pool's host list that say something usable: an address and whether it answered. */
function hostEntries(list: unknown): HostReadiness[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const e = entry as { host?: unknown; url?: unknown; reachable?: unknown; error?: unknown };
    const host = typeof e.host === "string" ? e.host : typeof e.url === "string" ? e.url : undefined;
    if (host === undefined || typeof e.reachable !== "boolean") return [];
    return [{ host, reachable: e.reachable, ...(typeof e.error === "string" ? { error: e.error } : {}) }];
  });
}

async function checkHosts(admin: ModelServer, signal: AbortSignal): Promise<HostReadiness[]> {
  if (listsHosts(admin)) {
    try {
      const hosts = hostEntries(await admin.hosts({ fresh: true, signal }));
      if (hosts.length > 0) return hosts;
    } catch (error) {
      return [{ host: admin.host, reachable: false, error: describe(error) }];
    }
  }
  try {
    await admin.version({ signal });
    return [{ host: admin.host, reachable: true }];
  } catch (error) {
    return [{ host: admin.host, reachable: false, error: describe(error) }];
  }
}

/** `work`, or a rejection as soon as `signal` aborts (a check that ignores its signal still ends in time). */
function bounded<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("the check timed out"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("the check timed out"));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Pings the database and the Ollama hosts at once, each bounded by `signal`. */
export async function checkReadiness(options: { database: Database; admin: ModelServer; signal: AbortSignal }): Promise<ReadinessReport> {
  const { database, admin, signal } = options;
  const [db, hosts] = await Promise.all([
    bounded(database.ping({ signal }), signal).then(
      () => ({ kind: database.kind, ok: true }),
      (error: unknown) => ({ kind: database.kind, ok: false, error: describe(error) }),
    ),
    bounded(checkHosts(admin, signal), signal).catch((error: unknown) => [{ host: admin.host, reachable: false, error: describe(error) }]),
  ]);
  const ollama = { ok: hosts.some((h) => h.reachable), hosts };
  return { ready: db.ok && ollama.ok, database: db, ollama };
}
