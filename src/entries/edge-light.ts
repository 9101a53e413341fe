// Vercel Edge entry (`edge-light` condition): as the workerd entry, with the
// `?module` suffix by which Vercel's bundler imports wasm as a WebAssembly.Module.
import single from "./numlane-single.wasm?module";
import { initWith, type InitOptions, type Numlane } from "../context.js";
import { edgePlatform } from "../runtime/edge.js";

export * from "../exports.js";

/** Loads numlane on the calling thread (edge runtimes have no workers). */
export function init(opts?: InitOptions): Promise<Numlane> {
  return initWith(edgePlatform(single), opts);
}
