// Browser, Deno and bundler entry (`browser`, `deno`, `default` conditions):
// the wasm is fetched from beside this file (new URL(…, import.meta.url)),
// the pool runs on module Workers where shared memory exists.
import { initWith, type InitOptions, type Numlane } from "../context.js";
import { webPlatform } from "../runtime/web.js";

export * from "../exports.js";

/** Loads numlane and starts its worker pool (none on a page that is not cross-origin isolated). */
export function init(opts?: InitOptions): Promise<Numlane> {
  return initWith(webPlatform(), opts);
}
