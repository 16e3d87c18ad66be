/**
 * A throwaway PostgreSQL cluster on a loopback port, for tests and the scale test: `initdb` in a
 * temporary folder, `pg_ctl start` with `listen_addresses=127.0.0.1`, trust authentication for
 * the user `bruno`, and everything removed by `stop()`. As root (initdb refuses root) the
 * commands run as the `postgres` user (or `nobody`) through `runuser`. When the binaries are
 * missing and `install` is set, Debian's `postgresql` package is installed with `apt-get`.
 */
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { closedPort } from "./net.js";

const run = promisify(execFile);

export interface PostgresCluster {
  /** `postgres://bruno:<password>@127.0.0.1:<port>/postgres` (trust auth: any password is accepted). */
  url: string;
  /** The same URL without a password. */
  plainUrl: string;
  port: number;
  /** The folder holding the data directory, the socket and the log. */
  dir: string;
  /** Stops the server at once (`-m immediate`): open connections drop, as in an outage. */
  crash(): Promise<void>;
  /** Starts a stopped server again on the same port. */
  start(): Promise<void>;
  /** Runs SQL with psql and returns its unaligned output. */
  sql(statement: string): Promise<string>;
  /** Stops the server and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

function onPath(binary: string): string | undefined {
  for (const folder of (process.env.PATH ?? "").split(delimiter)) {
    if (folder !== "" && existsSync(join(folder, binary))) return join(folder, binary);
  }
  return undefined;
}

/** The folder of `initdb` and `pg_ctl`: on PATH, or Debian's `/usr/lib/postgresql/<major>/bin`. */
export function findPostgresBin(): string | undefined {
  const initdb = onPath("initdb");
  if (initdb && onPath("pg_ctl")) return join(initdb, "..");
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = join(root, major, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
  }
  return undefined;
}

/** Installs Debian's PostgreSQL server (needs root and the Debian mirror). */
export function installPostgres(log: (line: string) => void = () => undefined): string {
  if (process.getuid?.() !== 0) throw new Error("PostgreSQL is not installed: run `sudo apt-get install -y postgresql` (initdb and pg_ctl are needed)");
  log("installing PostgreSQL with apt-get (initdb and pg_ctl are missing)");
  execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore", timeout: 300_000 });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "postgresql"], { stdio: "ignore", timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  const bin = findPostgresBin();
  if (!bin) throw new Error("apt-get installed postgresql but initdb and pg_ctl were not found under /usr/lib/postgresql/*/bin");
  return bin;
}

/** The user the server runs as: this one, or (as root) `postgres`, else `nobody`. */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      return { name, uid, gid };
    } catch {
      continue;
    }
  }
  throw new Error("running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL (initdb refuses root)");
}

export interface StartOptions {
  /** Install PostgreSQL with apt-get when it is missing (scripts); tests fail with a clear message instead. */
  install?: boolean;
  log?: (line: string) => void;
  /** `max_connections` of the server. */
  maxConnections?: number;
}

/** Starts a cluster; about two seconds. */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresCluster> {
  const bin = findPostgresBin() ?? (options.install ? installPostgres(options.log) : undefined);
  if (!bin) throw new Error("PostgreSQL is not installed (initdb and pg_ctl not found): `apt-get install -y postgresql`");
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "bruno-pg-"));
  const data = join(dir, "data");
  if (user) chownSync(dir, user.uid, user.gid);
  const as = (command: string, args: string[]) => (user ? (["runuser", ["-u", user.name, "--", join(bin, command), ...args]] as const) : ([join(bin, command), args] as const));
  const exec = async (command: string, args: string[]) => {
    const [file, argv] = as(command, args);
    return run(file, [...argv], { cwd: dir, timeout: 60_000 });
  };
  const port = await closedPort();
  await exec("initdb", ["-D", data, "-U", "bruno", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
  // fsync=off is safe for a throwaway cluster (the machine does not crash under it); commits stay
  // synchronous, so a crash() of the server (an immediate stop) keeps every committed turn.
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=${options.maxConnections ?? 200}`;
  const start = async () => {
    await exec("pg_ctl", ["-D", data, "-o", serverOptions, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);
  };
  await start();
  let stopped = false;
  const psql = onPath("psql") ?? join(bin, "psql");
  const plainUrl = `postgres://bruno@127.0.0.1:${port}/postgres`;
  return {
    url: `postgres://bruno:s3cret-pw@127.0.0.1:${port}/postgres`,
    plainUrl,
    port,
    dir,
    crash: async () => {
      await exec("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    },
    start,
    sql: async (statement: string) => (await run(psql, ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", plainUrl, "-c", statement], { timeout: 60_000 })).stdout.trim(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await exec("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
