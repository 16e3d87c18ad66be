export { ChatLlamaCpp, createEmbeddedChatModelFactory, toChatHistory, type ChatLlamaCppCallOptions, type ChatLlamaCppFields, type EmbeddedFactoryOptions } from "./chatLlamaCpp.js";
export {
  DEFAULT_EMBEDDED_SEQUENCES,
  DEFAULT_EMBEDDED_THREADS,
  EmbeddedEngine,
  defaultContextSize,
  disposeEmbeddedEngines,
  sharedEmbeddedEngine,
  type EmbeddedEngineOptions,
  type SequenceLease,
} from "./engine.js";
export { EMBEDDED_ENGINE_INSTALL, EmbeddedEngineMissingError } from "./loader.js";
export { createEmbeddedAdmin, type EmbeddedAdminOptions } from "./admin.js";
export { DEFAULT_EMBEDDED_MODEL_URI, cachedModelPath, defaultModelCacheDir, ensureModelFile, type EnsureModelOptions, type ProgressOutput } from "./download.js";
export { createEmbeddedModelFiles, embeddedModelFilesFor, type EmbeddedModelFiles } from "./files.js";
export { checkModelFile, expandPath, isModelUri } from "./modelFile.js";
export {
  createEmbeddedProvider,
  embeddedModelAtHand,
  ollamaAnswers,
  prepareEmbeddedModel,
  resolveProvider,
  type EmbeddedProvider,
  type PreparedEmbeddedModel,
  type Provider,
  type ProviderChoice,
} from "./provider.js";
