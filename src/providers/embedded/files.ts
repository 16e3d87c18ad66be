import type { BrunoConfig } from "../../config/config.js";
import { ModelNotFoundError } from "../../domain/errors.js";
import { findModel, type ModelCatalog } from "../../domain/catalog.js";
import { cachedModelPath, DEFAULT_EMBEDDED_MODEL_URI, modelCacheDir } from "./download.js";
import { expandPath, isModelUri } from "./modelFile.js";

/** Which GGUF file plays each logical model of the catalog on the embedded engine. */
export interface EmbeddedModelFiles {
  /** The one file that serves every model (`BRUNO_MODEL_PATH` / `--model-file`), if set. */
  readonly single: string | undefined;
  /** Where the files come from, for messages: the single file, or the catalog. */
  readonly label: string;
  /** The local file for a catalog tag, or undefined when the tag has none. Never downloads. */
  fileFor(tag: string): string | undefined;
}

export interface EmbeddedModelFilesOptions {
  catalog: ModelCatalog;
  /** One file for every model; wins over the catalog's `gguf` entries. */
  modelPath?: string | undefined;
  /** Where `hf:` / `https:` entries were downloaded to. */
  cacheDir?: string | undefined;
}

/**
 * Maps logical models to files: `modelPath` for every tag when set (so routing and fallbacks
 * work with one file); otherwise each catalog model's `gguf` (a path, or a URI looked up in the
 * cache); otherwise, when no catalog model names a file, the default model in the cache.
 */
export function createEmbeddedModelFiles(options: EmbeddedModelFilesOptions): EmbeddedModelFiles {
  const cacheDir = modelCacheDir(options.cacheDir);
  const local = (ref: string) => (isModelUri(ref) ? cachedModelPath(ref, cacheDir) : expandPath(ref));
  if (options.modelPath) {
    const single = expandPath(options.modelPath);
    return { single, label: single, fileFor: () => single };
  }
  const mapped = options.catalog.models.some((m) => m.gguf !== undefined);
  if (!mapped) {
    const fallback = cachedModelPath(DEFAULT_EMBEDDED_MODEL_URI, cacheDir);
    return { single: fallback, label: fallback, fileFor: () => fallback };
  }
  return {
    single: undefined,
    label: "the catalog's GGUF files",
    fileFor: (tag) => {
      const gguf = findModel(options.catalog, tag)?.gguf;
      return gguf === undefined ? undefined : local(gguf);
    },
  };
}

/** The model files of a configuration (`embedded.modelPath`, `embedded.cacheDir`, the catalog). */
export function embeddedModelFilesFor(config: BrunoConfig): EmbeddedModelFiles {
  return createEmbeddedModelFiles({ catalog: config.catalog, modelPath: config.embedded.modelPath, cacheDir: config.embedded.cacheDir });
}

/** The local file for `tag`; a `ModelNotFoundError` saying how to give it one when it has none. */
export function requireModelFile(files: EmbeddedModelFiles, tag: string, details: Record<string, unknown> = {}): string {
  const file = files.fileFor(tag);
  if (file === undefined) {
    throw new ModelNotFoundError(tag, `model '${tag}' has no GGUF file for the embedded engine: give it a "gguf" entry in BRUNO_CATALOG, or set BRUNO_MODEL_PATH / --model-file`, { details });
  }
  return file;
}
