// What every family's wrapper needs from a context: the heap, the pool, and
// the policy that decides how many threads a call is worth.
import { CallScope, type Heap } from "./runtime/heap.js";
import type { Pool, RunOptions, Turn } from "./pool/pool.js";
import { MAX_THREADS } from "./pool/protocol.js";
import { integer } from "./validate.js";

/** Reductions are cut into chunks of this many elements (assembly/core/chunks.ts). */
export const CHUNK = 2048;
/** Number of CHUNK-sized chunks covering n elements: the size of a partials array. */
export const chunkCount = (n: number) => Math.ceil(n / CHUNK);
/** Iteration histories (residuals, gaps) keep at most this many entries (8 MiB). */
export const HISTORY_CAP = 1 << 20;

/** The most a one-thread call may place in the private unshared memory (Engine.local). */
const LOCAL_MAX_BYTES = 16 << 20;

export { MAX_THREADS };

/** Results below this many bytes are plain typed arrays (see Engine.copyOut). */
const SMALL_RESULT_BYTES = 16 << 10;

// Below this many bytes touched per thread, a launch costs more than it saves.
const MIN_BYTES_PER_THREAD = 256 * 1024;

/** Options every method accepts. */
export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: RunOptions["onProgress"];
  /** Threads for this call; default: as many as pay off, up to the context's. */
  threads?: number;
}

/**
 * A call's allocations, opened in its pool's turn (Engine.scope): its
 * launches skip the pool's queue, and free() also ends the turn.
 */
export class TurnScope extends CallScope {
  constructor(heap: Heap, inputs: ArrayBufferView[], extraBytes: number, private readonly turn: Turn) {
    super(heap, inputs, extraBytes);
  }

  run(kernel: string, args: number[], opts?: RunOptions): Promise<void> {
    return this.turn.run(kernel, args, opts);
  }

  override free(): void {
    super.free();
    this.turn.release();
  }
}

export class Engine {
  /**
   * A worker-less pool over a private, unshared instance of the single build
   * (relaxed-single in relaxed contexts: the same kernels, so the same bits),
   * for one-thread calls on the caller's own arrays (none from nl.alloc): V8
   * copies into and out of shared memory word by word with relaxed atomics,
   * 2–3× slower than the plain memcpy it uses for unshared memory (a 1e4-float
   * copy in: 4.2 against 1.2 µs). Set once the single build has loaded in the
   * background; until then, and where there is none, calls use `pool`.
   */
  local?: Pool;

  constructor(
    readonly heap: Heap, readonly pool: Pool, readonly threads: number,
    /** A fresh ArrayBuffer for a result that is overwritten whole (Platform.newUninitializedBuffer). */
    readonly newResultBuffer: (bytes: number) => ArrayBuffer = (bytes) => new ArrayBuffer(bytes),
  ) {}

  /**
   * A fresh array holding a copy of `view` (a view into wasm memory), in a
   * buffer the runtime need not zero first: one memcpy into it, which V8 also
   * does 1.2–2× faster than `view.slice()` when the view is on shared memory.
   */
  copyOut(view: Float64Array): Float64Array<ArrayBuffer>;
  copyOut(view: Float32Array): Float32Array<ArrayBuffer>;
  copyOut(view: Float32Array | Float64Array): Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;
  copyOut(view: Float32Array | Float64Array): Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer> {
    // Small results are cheaper as plain typed arrays (V8 keeps those up to 64
    // bytes on its own heap; Buffer.allocUnsafeSlow measured slower below ~16 KiB).
    const f64 = view instanceof Float64Array;
    let y: Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;
    if (view.byteLength < SMALL_RESULT_BYTES) y = f64 ? new Float64Array(view.length) : new Float32Array(view.length);
    else {
      const buffer = this.newResultBuffer(view.byteLength);
      y = f64 ? new Float64Array(buffer) : new Float32Array(buffer);
    }
    y.set(view);
    return y;
  }

  /**
   * The pool for a one-thread call that runs right away on the calling
   * thread: the unshared one unless the call touches nl.alloc arrays (which
   * live in the shared memory) or would grow the private memory beyond
   * LOCAL_MAX_BYTES (memory that, once grown, stays).
   */
  soloPool(touchesSharedHeap: boolean, bytes: number): Pool {
    return this.local === undefined || touchesSharedHeap || bytes > LOCAL_MAX_BYTES ? this.pool : this.local;
  }

  /** The pool for a call on `threads` threads over `views` (soloPool for one thread). */
  poolFor(threads: number, views: readonly ArrayBufferView[], bytes: number): Pool {
    if (threads > 1 || this.local === undefined) return this.pool;
    return this.soloPool(views.some((v) => this.heap.owns(v)), bytes);
  }

  /**
   * Waits for `pool`'s turn for launches like `launches` (none for calls that
   * run on the calling thread at once), then reserves the call's memory:
   * calls waiting their turn have copied nothing in yet.
   */
  async scope(launches: RunOptions, inputs: ArrayBufferView[] = [], extraBytes = 0, pool = this.pool): Promise<TurnScope> {
    const turn = await pool.turn(launches);
    let scope: TurnScope;
    try {
      scope = new TurnScope(pool.heap, inputs, extraBytes, turn);
    } catch (e) {
      turn.release();
      throw e;
    }
    try {
      await scope.copyIn(inputs, launches.signal);
    } catch (e) {
      scope.free();
      throw e;
    }
    return scope;
  }

  /** The private instance loading in the background, if it is. */
  private loadingLocal?: Promise<void>;

  /** Loads the private unshared instance in the background (see `local`). */
  startLocal(load: () => Promise<Pool>): void {
    this.loadingLocal = load().then(
      // Loaded after close(): closed too, so one-thread calls still say "closed".
      (p) => { this.local = p; if (this.closed) return p.close(); },
      () => { /* stays on the shared pool: only slower */ },
    );
  }

  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.pool.close(), this.local?.close(), this.loadingLocal]);
  }

  /** Threads for a call that touches `bytes` of memory, honouring opts.threads. */
  threadsFor(bytes: number, opts?: CallOptions): number {
    if (opts?.threads !== undefined) return Math.min(integer("opts.threads", opts.threads, 1, MAX_THREADS), this.threads);
    // A size that is not a number would launch no thread at all and return whatever the outputs held.
    if (!(bytes >= 0)) throw new Error(`numlane: internal error: a call sized its memory traffic as ${bytes} bytes`);
    return Math.max(1, Math.min(this.threads, Math.floor(bytes / MIN_BYTES_PER_THREAD)));
  }
}
