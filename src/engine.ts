// What every family's wrapper needs from a context: the heap, the pool, and
// the policy that decides how many threads a call is worth.
import type { Heap } from "./runtime/heap.js";
import type { Pool, RunOptions } from "./pool/pool.js";
import { integer } from "./validate.js";

/** Reductions are cut into chunks of this many elements (assembly/core/chunks.ts). */
export const CHUNK = 2048;
/** Number of CHUNK-sized chunks covering n elements: the size of a partials array. */
export const chunkCount = (n: number) => Math.ceil(n / CHUNK);
/** Iteration histories (residuals, gaps) keep at most this many entries (8 MiB). */
export const HISTORY_CAP = 1 << 20;

// Below this many bytes touched per thread, a launch costs more than it saves.
const MIN_BYTES_PER_THREAD = 256 * 1024;

/** Options every method accepts. */
export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: RunOptions["onProgress"];
  /** Threads for this call; default: as many as pay off, up to the context's. */
  threads?: number;
}

export class Engine {
  constructor(readonly heap: Heap, readonly pool: Pool, readonly threads: number) {}

  /** Threads for a call that touches `bytes` of memory, honouring opts.threads. */
  threadsFor(bytes: number, opts?: CallOptions): number {
    if (opts?.threads !== undefined) return Math.min(integer("opts.threads", opts.threads, 1, 1024), this.threads);
    return Math.max(1, Math.min(this.threads, Math.floor(bytes / MIN_BYTES_PER_THREAD)));
  }
}
