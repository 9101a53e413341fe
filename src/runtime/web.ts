// Browsers and Deno: the wasm is fetched from beside this bundle
// (new URL(…, import.meta.url), which bundlers such as Vite, webpack and
// Parcel also follow), pool workers are module Workers started from the
// worker code bundled into this file, so no second file must be found.
import * as Comlink from "comlink";
import type { Platform, WasmBuild } from "../context.js";
import { NumlaneError } from "../errors.js";
import { guardStart } from "../pool/pool.js";
import type { WorkerApi } from "../pool/protocol.js";
import type { ProxyApi, ProxyWorkerHandle } from "./proxy.js";
import { detectRuntime } from "./features.js";

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Fetches and compiles wasm, saying clearly what was found instead when it is not wasm. */
export async function fetchWasm(url: URL | string, argument?: string): Promise<WebAssembly.Module> {
  const hint = argument ? ""
    : detectRuntime() === "deno" ? "; Deno needs --allow-read for numlane's wasm, or pass init({ wasm })"
    : "; serve node_modules/numlane/dist/numlane-*.wasm beside the script that bundles numlane (see the README, \"Runtimes\"), or pass init({ wasm })";
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new NumlaneError("wasm-not-found", `fetching ${String(url)} failed: ${(e as Error).message}${hint}`, argument);
  }
  if (!res.ok) throw new NumlaneError("wasm-not-found", `fetching ${String(url)} failed: HTTP ${res.status}${hint}`, argument);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // A dev server's HTML fallback page would otherwise surface as a CompileError.
  if (!WASM_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new NumlaneError("wasm-not-found", `${String(url)} is not WebAssembly (content-type ${res.headers.get("content-type") ?? "none"})${hint}`, argument);
  }
  return WebAssembly.compile(bytes);
}

/** Atomics.wait throws on a browser's main thread; workers and Deno may block. */
function mayBlock(): boolean {
  if (typeof SharedArrayBuffer === "undefined") return false;
  try {
    // Expected value 1 ≠ 0: returns at once where waiting is allowed.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

let workerUrl: string | undefined;
let proxyUrl: string | undefined;

/** Why a Blob URL worker did not start: its error event says little when a CSP blocked it. */
const startError = (e: Event) => new NumlaneError("unsupported", (e as ErrorEvent).message || "blocked: a Content-Security-Policy must allow worker-src blob:");

/**
 * A page's main thread, where a long kernel would freeze the page (in
 * workers, Deno and edge runtimes nothing repaints or waits on it).
 */
export function isPageThread(): boolean {
  const g = globalThis as { document?: unknown; Worker?: unknown };
  return typeof g.document === "object" && typeof g.Worker === "function";
}

/** Starts the proxy worker for long calls (runtime/proxy.ts) from the source bundled into this file. */
export function startProxyWorker(): ProxyWorkerHandle {
  proxyUrl ??= URL.createObjectURL(new Blob([__NUMLANE_PROXY_WORKER__], { type: "text/javascript" }));
  const worker = new Worker(proxyUrl, { type: "module", name: "numlane-proxy" });
  const failed = new Promise<never>((_, reject) => worker.addEventListener("error", (e) => reject(startError(e)), { once: true }));
  failed.catch(() => { /* raced by whoever waits on the worker */ });
  return { api: Comlink.wrap<ProxyApi>(worker), failed, terminate: () => worker.terminate() };
}

export function webPlatform(): Platform {
  return {
    runtime: detectRuntime(),
    loadWasm: (build: WasmBuild) => fetchWasm(new URL(`./numlane-${build}.wasm`, import.meta.url)),
    loadWasmFrom: (source) => fetchWasm(source, "wasm"),
    cores: () => (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 1,
    startWorker(index: number) {
      workerUrl ??= URL.createObjectURL(new Blob([__NUMLANE_WEB_WORKER__], { type: "text/javascript" }));
      const worker = new Worker(workerUrl, { type: "module", name: `numlane-${index}` });
      // A worker that cannot start (e.g. a CSP without worker-src blob:) only fires "error".
      const watch = (fail: (e: unknown) => void) => {
        const onError = (e: Event) => fail(startError(e));
        worker.addEventListener("error", onError);
        return () => worker.removeEventListener("error", onError);
      };
      return { api: guardStart(Comlink.wrap<WorkerApi>(worker), watch), terminate: () => worker.terminate() };
    },
    canBlock: mayBlock(),
  };
}
