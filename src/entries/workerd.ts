// Cloudflare Workers / workerd entry (`workerd` condition). Edge runtimes
// refuse to compile wasm bytes at run time, so the single build comes in as
// an imported WebAssembly.Module, compiled by the runtime at deploy/load time.
import single from "./numlane-single.wasm";
import { initWith, type InitOptions, type Numlane } from "../context.js";
import { edgePlatform } from "../runtime/edge.js";

export * from "../exports.js";

/** Loads numlane on the calling thread (edge runtimes have no workers). */
export function init(opts?: InitOptions): Promise<Numlane> {
  return initWith(edgePlatform(single), opts);
}
