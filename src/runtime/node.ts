// Node (and Bun through the node condition): wasm from disk next to this
// file, pool workers on worker_threads.
import { Buffer } from "node:buffer";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { Worker, type WorkerOptions } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import type { Platform, WasmBuild } from "../context.js";
import { guardStart } from "../pool/pool.js";
import type { WorkerApi } from "../pool/protocol.js";
import { detectRuntime } from "./features.js";

const compileFile = async (url: URL | string) =>
  WebAssembly.compile(await readFile(url instanceof URL || /^file:/.test(url) ? new URL(url) : url));

/**
 * A worker thread on a file, with the parent's command-line options where a
 * worker takes them. Left to inherit them, a worker gets all of them, V8's
 * (--experimental-wasm-relaxed-simd, which init({ build: "relaxed" }) needs
 * on Node 20) included; but --input-type (node -e scripts) is refused for a
 * file entry, and a list given explicitly may not hold V8 options. So: inherit
 * unless --input-type is there; else the rest, and if that list is refused,
 * none (V8's options are the process's, so the worker has them anyway).
 */
export function startNodeWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!process.execArgv.some((a) => a.startsWith("--input-type"))) return new Worker(url, options);
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  try {
    return new Worker(url, { ...options, execArgv });
  } catch (e) {
    if ((e as { code?: string }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
    return new Worker(url, { ...options, execArgv: [] });
  }
}

export const nodePlatform: Platform = {
  runtime: detectRuntime(),
  loadWasm: (build: WasmBuild) => compileFile(new URL(`./numlane-${build}.wasm`, import.meta.url)),
  loadWasmFrom: compileFile,
  cores: () => (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length),
  startWorker() {
    const worker = startNodeWorker(new URL("./worker-node.js", import.meta.url));
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
