// Edge runtimes (Cloudflare workerd, Vercel Edge): no workers, and no wasm
// compilation at run time, so the entry hands in the single build as a
// WebAssembly.Module that the runtime compiled when it loaded the script.
import type { Platform, WasmBuild } from "../context.js";
import { NumlaneError } from "../errors.js";
import { detectRuntime } from "./features.js";

export function edgePlatform(single: WebAssembly.Module): Platform {
  return {
    runtime: detectRuntime(),
    async loadWasm(build: WasmBuild) {
      if (build !== "single") throw new NumlaneError("unsupported", "the edge entry carries only the single build", "opts.build");
      return single;
    },
    cores: () => 1,
    canBlock: false,
  };
}
