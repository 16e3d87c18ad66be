import { mkdir, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { ModelFileError } from "../../domain/errors.js";
import { abortable } from "./engine.js";
import { nodeLlamaCpp } from "./loader.js";
import { checkModelFile, expandPath, isModelUri, isUsableModelFile } from "./modelFile.js";

/**
 * The model the embedded engine downloads when no GGUF file is configured: Llama 3.2 1B
 * Instruct, Q4_K_M quantization (808 MB), from bartowski's GGUF conversions on Hugging Face.
 */
export const DEFAULT_EMBEDDED_MODEL_URI = "hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf";

/** Hugging Face, unless `HF_ENDPOINT` says otherwise. */
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co/";

/** Where downloaded models live when `BRUNO_MODEL_CACHE` is unset. */
export function defaultModelCacheDir(): string {
  return join(homedir(), ".cache", "bruno", "models");
}

/** The model cache folder of a setting (`~` expanded, made absolute), or the default one. */
export function modelCacheDir(setting?: string): string {
  return setting ? expandPath(setting) : defaultModelCacheDir();
}

/** The file a model URI is downloaded to, and found at afterwards, inside `cacheDir`. */
export function cachedModelPath(uri: string, cacheDir: string): string {
  const name = uri
    .replace(/^[a-z]+:(\/\/)?/i, (scheme) => `${scheme.replace(/[:/]/g, "")}_`)
    .replace(/[#?].*$/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_");
  return join(cacheDir, name.toLowerCase().endsWith(".gguf") ? name : `${name}.gguf`);
}

/** Where download progress goes (the CLI passes stderr). */
export interface ProgressOutput {
  write(text: string): void;
  /** Redraw one line in place; otherwise print a line every 10%. */
  isTTY?: boolean | undefined;
}

export interface EnsureModelOptions {
  /** Where downloads are kept; `defaultModelCacheDir()` when omitted. */
  cacheDir?: string | undefined;
  /** Hugging Face endpoint for `hf:` URIs (`HF_ENDPOINT`). */
  hfEndpoint?: string | undefined;
  /** Progress bar while downloading; silent when omitted. */
  progress?: ProgressOutput | undefined;
  signal?: AbortSignal | undefined;
  /** Deadline for reaching the download server before anything is fetched. */
  connectTimeoutMs?: number;
  /** Longest time without a downloaded byte before the download is abandoned. */
  stallTimeoutMs?: number;
}

const CONNECT_TIMEOUT_MS = 15_000;
const STALL_TIMEOUT_MS = 60_000;

function downloadFailed(uri: string, why: string, cause?: unknown): ModelFileError {
  return new ModelFileError(
    uri,
    "download-failed",
    `cannot download the model ${uri} (${why}): to run without a download, point BRUNO_MODEL_PATH or --model-file at a local .gguf file (e.g. one pulled by Ollama or LM Studio)`,
    cause === undefined ? {} : { cause },
  );
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "no answer from the server";
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      const host = (current as { hostname?: unknown }).hostname;
      return code === "ENOTFOUND" || code === "EAI_AGAIN" ? `offline? cannot resolve ${typeof host === "string" ? host : "the host"}` : `${code}`;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The URL whose answer proves the download server is reachable and has the file. */
export function preflightUrl(uri: string, hfEndpoint = DEFAULT_HF_ENDPOINT): string {
  if (!/^hf:/i.test(uri)) return uri;
  const endpoint = hfEndpoint.endsWith("/") ? hfEndpoint : `${hfEndpoint}/`;
  const [path = "", branch = "main"] = uri.slice(3).replace(/^\/+/, "").split("#");
  const [owner, repoAndQuant, ...file] = path.split("/");
  if (!owner || !repoAndQuant) return endpoint;
  const repo = repoAndQuant.split(":")[0] ?? repoAndQuant;
  return file.length > 0 ? `${endpoint}${owner}/${repo}/resolve/${branch}/${file.join("/")}` : `${endpoint}${owner}/${repo}`;
}

async function preflight(uri: string, options: EnsureModelOptions): Promise<void> {
  const url = preflightUrl(uri, options.hfEndpoint);
  const signals = [AbortSignal.timeout(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  try {
    response = await fetch(url, { method: "HEAD", redirect: "follow", signal: AbortSignal.any(signals) });
  } catch (cause) {
    options.signal?.throwIfAborted();
    throw downloadFailed(uri, describeNetworkError(cause), cause);
  }
  if (response.status === 404) throw downloadFailed(uri, `not found at ${url}`);
  if (response.status === 401 || response.status === 403) throw downloadFailed(uri, `access denied (${response.status}) at ${url}`);
  if (response.status >= 400) throw downloadFailed(uri, `the server answered ${response.status}`);
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes >= 1e9 ? 0 : 1);
}

/** A one-line progress bar: redrawn in place on a terminal, a line per 10% otherwise. */
export function createProgressBar(output: ProgressOutput, label: string): { update(done: number, total: number): void; finish(): void } {
  let lastDraw = 0;
  let lastDecile = -1;
  let drawn = false;
  const render = (done: number, total: number) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const width = 24;
    const filled = Math.round(ratio * width);
    return `downloading ${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${megabytes(done)}/${megabytes(total)} MB`;
  };
  return {
    update(done, total) {
      if (output.isTTY) {
        const now = performance.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        drawn = true;
        output.write(`\r${render(done, total)}`);
        return;
      }
      const decile = total > 0 ? Math.floor((done / total) * 10) : 0;
      if (decile === lastDecile) return;
      lastDecile = decile;
      output.write(`${render(done, total)}\n`);
    },
    finish() {
      if (output.isTTY && drawn) output.write("\n");
    },
  };
}

async function download(uri: string, target: string, options: EnsureModelOptions): Promise<string> {
  const { createModelDownloader } = await nodeLlamaCpp();
  const bar = options.progress ? createProgressBar(options.progress, basename(target)) : undefined;
  const stallMs = options.stallTimeoutMs ?? STALL_TIMEOUT_MS;
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  let stall: NodeJS.Timeout | undefined;
  let stalled = false;
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(() => {
      stalled = true;
      controller.abort(new Error(`no data for ${Math.round(stallMs / 1000)} s`));
    }, stallMs);
    stall.unref();
  };
  armStall();
  try {
    const downloader = await abortable(
      createModelDownloader({
        modelUri: uri,
        dirPath: dirname(target),
        fileName: basename(target),
        showCliProgress: false,
        skipExisting: true,
        deleteTempFileOnCancel: false,
        ...(options.hfEndpoint ? { endpoints: { huggingFace: options.hfEndpoint } } : {}),
        onProgress: ({ totalSize, downloadedSize }) => {
          armStall();
          bar?.update(downloadedSize, totalSize);
        },
      }),
      signal,
    );
    const path = await downloader.download({ signal });
    bar?.finish();
    const expected = downloader.totalSize;
    const actual = (await stat(path)).size;
    if (expected > 0 && actual !== expected) {
      await rm(path, { force: true });
      throw downloadFailed(uri, `the download is incomplete: ${actual} of ${expected} bytes`);
    }
    if (!(await isUsableModelFile(path))) {
      await rm(path, { force: true });
      throw downloadFailed(uri, "the downloaded file is not a GGUF model");
    }
    return path;
  } catch (cause) {
    bar?.finish();
    if (cause instanceof ModelFileError) throw cause;
    options.signal?.throwIfAborted();
    throw downloadFailed(uri, stalled ? `no data for ${Math.round(stallMs / 1000)} s` : describeNetworkError(cause), cause);
  } finally {
    clearTimeout(stall);
  }
}

/**
 * A usable local GGUF file for a path or a model URI. A path is checked (it must exist and be a
 * GGUF file). A URI (`hf:owner/repo/file.gguf`, `https://…`) is looked up in the cache first,
 * with no network access; otherwise it is downloaded once into the cache, with a progress bar on
 * `options.progress`, and verified (size and GGUF header). A download that cannot reach the
 * server fails within `connectTimeoutMs` with a `ModelFileError` saying how to use a local file.
 */
export async function ensureModelFile(uriOrPath: string, options: EnsureModelOptions = {}): Promise<string> {
  if (!isModelUri(uriOrPath)) return checkModelFile(uriOrPath);
  const cacheDir = modelCacheDir(options.cacheDir);
  const target = cachedModelPath(uriOrPath, cacheDir);
  if (await isUsableModelFile(target)) return target;
  try {
    await mkdir(cacheDir, { recursive: true });
  } catch (cause) {
    throw new ModelFileError(cacheDir, "unreadable", `cannot create the model cache ${cacheDir} (${(cause as Error).message}): set BRUNO_MODEL_CACHE to a writable folder`, { cause });
  }
  await preflight(uriOrPath, options);
  return download(uriOrPath, target, { ...options, cacheDir });
}
