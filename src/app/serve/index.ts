/** `bruno serve`: the HTTP app, its admission of turns, listening and a clean shutdown. */
export { createServeApp, READY_TIMEOUT_MS, type ServeApp, type ServeAppOptions } from "./app.js";
export { TurnGate, type Admission, type AdmissionRefusal, type DrainReport } from "./admission.js";
export { errorBody, failureOf, statusOf, RETRY_AFTER_S, type ErrorBody, type HttpFailure, type ServeErrorCode } from "./errors.js";
export { IDEMPOTENCY_HEADER, parseGenerateRequest, REPLAYED_HEADER, THREAD_HEADER, type GenerateRequest } from "./generate.js";
export { listen, shutdown, type Listening, type ShutdownOptions } from "./listen.js";
export { checkReadiness, type ReadinessReport } from "./ready.js";
