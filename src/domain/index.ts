/**
 * The contract of the generation stage: zod schemas and the types inferred from them, the query
 * types and their traits, the model catalog, the generation profiles, the stream events and the
 * typed errors. This folder imports nothing else of the package.
 */
export * from "./queryTypes.js";
export * from "./schemas.js";
export * from "./catalog.js";
export * from "./profiles.js";
export * from "./events.js";
export * from "./errors.js";
