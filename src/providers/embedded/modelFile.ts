import { open, realpath, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { ModelFileError } from "../../domain/errors.js";

/** The first four bytes of every GGUF file. */
const GGUF_MAGIC = "GGUF";

/** What to do about a bad model file; appended to every `ModelFileError` about a local path. */
export const MODEL_FILE_HINT = "point BRUNO_MODEL_PATH or --model-file at a local .gguf file (e.g. a blob pulled by Ollama under ~/.ollama/models/blobs/ or a file downloaded by LM Studio)";

/** True for `hf:` and `http(s):` model URIs, which are downloaded rather than opened. */
export function isModelUri(value: string): boolean {
  return /^(hf:|https?:\/\/)/i.test(value);
}

/** Expands a leading `~` and makes a path absolute (against `base`, the working directory by default). */
export function expandPath(path: string, base = process.cwd()): string {
  const expanded = path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

/**
 * Checks that `path` is a readable GGUF file (by its magic bytes, without loading it) and
 * returns its real absolute path. Throws `ModelFileError` naming the path when it is missing,
 * unreadable or not a GGUF file.
 */
export async function checkModelFile(path: string): Promise<string> {
  const absolute = expandPath(path);
  let real: string;
  try {
    real = await realpath(absolute);
    const info = await stat(real);
    if (!info.isFile()) {
      throw new ModelFileError(absolute, "not-gguf", `model file ${absolute} is not a file: ${MODEL_FILE_HINT}`);
    }
  } catch (cause) {
    if (cause instanceof ModelFileError) throw cause;
    const code = (cause as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new ModelFileError(absolute, "missing", `model file ${absolute} does not exist: ${MODEL_FILE_HINT}`, { cause });
    }
    throw new ModelFileError(absolute, "unreadable", `cannot read model file ${absolute} (${(cause as Error).message}): ${MODEL_FILE_HINT}`, { cause });
  }
  let magic: string;
  try {
    const handle = await open(real, "r");
    try {
      const buffer = Buffer.alloc(4);
      const { bytesRead } = await handle.read(buffer, 0, 4, 0);
      magic = buffer.subarray(0, bytesRead).toString("latin1");
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new ModelFileError(absolute, "unreadable", `cannot read model file ${absolute} (${(cause as Error).message}): ${MODEL_FILE_HINT}`, { cause });
  }
  if (magic !== GGUF_MAGIC) {
    throw new ModelFileError(absolute, "not-gguf", `${absolute} is not a GGUF model file (it does not start with "GGUF"): ${MODEL_FILE_HINT}`);
  }
  return real;
}

/** True when `path` is a readable GGUF file; never throws. */
export async function isUsableModelFile(path: string): Promise<boolean> {
  try {
    await checkModelFile(path);
    return true;
  } catch {
    return false;
  }
}
