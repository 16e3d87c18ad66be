/** Shared set-up of the embedded-engine tests: the tiny GGUF files of `../shared/models/`. */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
export { closedPort } from "../support/net.js";

/** `../shared/models/` next to the repository. */
export const MODELS_DIR = fileURLToPath(new URL("../../../shared/models/", import.meta.url));

/** The repository root (where `bin/bruno.js` lives). */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type SharedModel = "llama-2-tiny-random.gguf" | "stories260K.gguf";

/**
 * The absolute path of a shared test model. Fails with a message naming the path when the file
 * is missing (CI always has it; never download it from a test).
 */
export function sharedModel(name: SharedModel): string {
  const path = join(MODELS_DIR, name);
  if (!existsSync(path)) {
    throw new Error(`the embedded-engine tests need the model file ${path}, which is missing: put ${name} in ../shared/models/ next to the repository (see its README)`);
  }
  return path;
}

/** Temporary folders, removed by `removeTempDirs()`. */
const created: string[] = [];

export async function tempDir(prefix = "bruno-embedded-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
