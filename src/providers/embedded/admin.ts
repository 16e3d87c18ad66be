import { stat } from "node:fs/promises";
import { ModelNotFoundError } from "../../domain/errors.js";
import type { ModelCatalog } from "../../domain/catalog.js";
import type { InstalledModel, ModelDetails, ModelServer } from "../ports.js";
import type { EmbeddedEngine } from "./engine.js";
import { nodeLlamaCpp } from "./loader.js";
import { requireModelFile, type EmbeddedModelFiles } from "./files.js";
import { isUsableModelFile } from "./modelFile.js";

export interface EmbeddedAdminOptions {
  catalog: ModelCatalog;
  files: EmbeddedModelFiles;
  engine: EmbeddedEngine;
}

/**
 * The `ModelServer` of the embedded engine, so model selection works unchanged: a catalog
 * model is "installed" when its GGUF file (see `EmbeddedModelFiles`) exists and is a GGUF file.
 * `showModel` reports the context size the engine will run the file with, so prompts are
 * fitted to it; `warm` loads the file.
 */
export function createEmbeddedAdmin(options: EmbeddedAdminOptions): ModelServer {
  const { catalog, files, engine } = options;
  const host = `embedded:${files.label}`;

  const fileOf = (name: string) => requireModelFile(files, name, { host });

  return {
    host,
    async listModels(): Promise<InstalledModel[]> {
      // Many tags can share one file (BRUNO_MODEL_PATH): each distinct file is checked once.
      const sizes = new Map<string, Promise<number | undefined>>();
      const sizeOf = (file: string) => {
        let size = sizes.get(file);
        if (!size) {
          size = (async () => ((await isUsableModelFile(file)) ? (await stat(file)).size : undefined))();
          sizes.set(file, size);
        }
        return size;
      };
      const listed = await Promise.all(
        catalog.models.map(async function available(model): Promise<InstalledModel | undefined> {
          const file = files.fileFor(model.tag);
          const size = file === undefined ? undefined : await sizeOf(file);
          return size === undefined ? undefined : { name: model.tag, size, family: "gguf" };
        }),
      );
      return listed.filter((m): m is InstalledModel => m !== undefined);
    },
    async showModel(name: string): Promise<ModelDetails> {
      const file = fileOf(name);
      if (!(await isUsableModelFile(file))) {
        throw new ModelNotFoundError(name, `the GGUF file of '${name}' (${file}) is missing or not a GGUF file: set BRUNO_MODEL_PATH / --model-file to a local .gguf file`, {
          details: { host, file },
        });
      }
      return { name, contextLength: await engine.contextSizeOf(file), capabilities: ["completion"] };
    },
    async version(): Promise<string> {
      const { getModuleVersion } = await nodeLlamaCpp();
      return `node-llama-cpp ${await getModuleVersion()}`;
    },
    async warm(name: string): Promise<{ loadMs: number }> {
      return engine.load(fileOf(name));
    },
  };
}
