// Node (and Bun through the node condition): wasm from disk next to this
// file, pool workers on worker_threads.
import { Buffer } from "node:buffer";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import type { Platform, WasmBuild } from "../context.js";
import { guardStart } from "../pool/pool.js";
import type { WorkerApi } from "../pool/protocol.js";
import { detectRuntime } from "./features.js";

const compileFile = async (url: URL | string) =>
  WebAssembly.compile(await readFile(url instanceof URL || /^file:/.test(url) ? new URL(url) : url));

export const nodePlatform: Platform = {
  runtime: detectRuntime(),
  loadWasm: (build: WasmBuild) => compileFile(new URL(`./numlane-${build}.wasm`, import.meta.url)),
  loadWasmFrom: compileFile,
  cores: () => (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length),
  startWorker() {
    // Workers inherit the parent's execArgv; --input-type (node -e scripts)
    // is refused for a file entry, so leave it out.
    const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
    const worker = new Worker(new URL("./worker-node.js", import.meta.url), { execArgv });
    const watch = (fail: (e: unknown) => void) => (worker.on("error", fail), () => void worker.off("error", fail));
    return {
      api: guardStart(Comlink.wrap<WorkerApi>(nodeEndpoint(worker)), watch),
      terminate: () => worker.terminate(),
      onExit: (listener) => void worker.once("exit", listener),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    };
  },
  canBlock: true,
  // Buffer.allocUnsafeSlow: an unpooled ArrayBuffer of exactly `bytes`, not zeroed.
  newUninitializedBuffer: (bytes) => Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer,
};
