// Browser, Deno and bundler entry (`browser`, `deno`, `default` conditions):
// the wasm is fetched from beside this file (new URL(…, import.meta.url)),
// the pool runs on module Workers where shared memory exists. A page without
// them sends long calls to a proxy worker (runtime/proxy.ts), so they never
// freeze it.
import { initWith, type InitOptions, type Numlane, type Platform } from "../context.js";
import { proxyLongCalls } from "../runtime/proxy.js";
import { isPageThread, startProxyWorker, webPlatform } from "../runtime/web.js";

export * from "../exports.js";

/** Loads numlane and starts its worker pool (on a page that is not cross-origin isolated: a proxy worker for long calls). */
export async function init(opts?: InitOptions): Promise<Numlane> {
  const platform = webPlatform();
  // The module init compiles is kept for the proxy worker, which runs the same one.
  let compiled: WebAssembly.Module | undefined;
  const { loadWasm, loadWasmFrom } = platform;
  const recording: Platform = {
    ...platform,
    loadWasm: async (build) => (compiled = await loadWasm(build)),
    loadWasmFrom: loadWasmFrom && (async (source) => (compiled = await loadWasmFrom(source))),
  };
  const nl = await initWith(recording, opts);
  if (nl.info.workers > 0 || nl.info.build !== "single" || !isPageThread()) return nl;
  const given = opts?.wasm;
  const wasm = given instanceof WebAssembly.Module ? given
    : given instanceof ArrayBuffer ? given.slice(0)
    : ArrayBuffer.isView(given) ? new Uint8Array(given.buffer, given.byteOffset, given.byteLength).slice().buffer
    : compiled;
  if (wasm) await proxyLongCalls(nl, startProxyWorker, wasm);
  return nl;
}
