// What every family's wrapper needs from a context: the heap, the pool, and
// the policy that decides how many threads a call is worth.
import { CallScope, type Heap } from "./runtime/heap.js";
import type { Pool, Progress, RunOptions, Turn } from "./pool/pool.js";
import { MAX_THREADS } from "./pool/protocol.js";
import { integer } from "./validate.js";
import { REASONS, type KernelDescriptor, type KernelReason } from "./generated/kernels.js";

export type { KernelDescriptor, KernelReason };

/** A kernel's parameters by name: every slot but "out" and "work", which the launch fills in. */
export type KernelParams<K extends KernelDescriptor> = { readonly [P in Exclude<K["params"][number], "out" | "work">]: number };
/** A kernel's result block, by slot name. */
export type KernelOut<K extends KernelDescriptor> = { [O in K["out"][number]]: number };

/** The name of the reason code a kernel wrote to its "reason" slot. */
export function reasonName(code: number): KernelReason {
  const name = REASONS[code];
  if (name === undefined) throw new Error(`numlane: internal error: a kernel reported reason code ${code}`);
  return name;
}

/** Bytes of K's workspace ("work") for these parameters on `threads` threads; 0 when it has none. */
function workspaceBytes(pool: Pool, k: KernelDescriptor, params: Readonly<Record<string, number>>, threads: number): number {
  if (k.workspace === undefined) return 0;
  return pool.call(k.workspace.fn, k.workspace.args.map((a) => (a === "nthreads" ? threads : params[a])));
}

/** `bytes` rounded up to a 64-byte line (as the kernels' padded()). */
const line = (bytes: number) => Math.ceil(bytes / 64) * 64;


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
  onProgress?: (p: Progress) => void;
  /** Threads for this call; default: as many as pay off, up to the context's. */
  threads?: number;
}

/**
 * A call's allocations, opened in its pool's turn (Engine.scope): its
 * launches skip the pool's queue, and free() also ends the turn.
 */
export class TurnScope extends CallScope {
  constructor(heap: Heap, inputs: ArrayBufferView[], extraBytes: number, private readonly turn: Turn, readonly pool: Pool) {
    super(heap, inputs, extraBytes);
  }


  /**
   * The one launch path: writes K's parameter block (every parameter by name;
   * "out" and "work" are allocated here, the workspace sized by K's own
   * function), runs K on `opts.threads` threads and returns its result block
   * by slot name.
   */
  async launch<K extends KernelDescriptor>(k: K, params: KernelParams<K>, opts: RunOptions = {}): Promise<KernelOut<K>> {
    // One block: parameters, result slots, workspace, each from a 64-byte line.
    const paramBytes = line(8 * k.params.length), outBytes = line(8 * k.out.length);
    const workBytes = k.workspace ? workspaceBytes(this.pool, k, params, opts.threads ?? 1) : 0;
    const block = this.launchAlloc(paramBytes + outBytes + workBytes);
    const out = k.out.length > 0 ? block + paramBytes : 0, work = k.workspace ? block + paramBytes + outBytes : 0;
    const f64 = this.heap.f64, at = block >> 3;
    // A missing or mistyped parameter would reach the kernel as NaN → 0: a wrong address.
    if (!k.write(f64, at, params, work)) {
      const missing = k.params.filter((p) => p !== "out" && p !== "work" && !((params as Record<string, number>)[p] >= -Infinity));
      throw new Error(`numlane: internal error: ${k.name} launched without a number for ${missing.join(", ")}`);
    }
    if (out !== 0) {
      f64[at + k.outSlot] = out;
      f64.fill(0, out >> 3, (out >> 3) + k.out.length);
    }
    await this.turn.run(k.name, block, opts);
    const result = {} as Record<string, number>;
    const heap = this.heap.f64;
    for (let i = 0; i < k.out.length; i++) result[k.out[i]] = heap[(out >> 3) + i];
    // A scope that launches again (a warm-started path) reuses this memory: launchBytes covers one launch.
    this.launchFree(block);
    return result as KernelOut<K>;
  }

  /** Blocks of a launch in flight: freed when it returns, or with the scope if it threw. */
  private readonly launchBlocks = new Set<number>();

  private launchAlloc(bytes: number): number {
    const p = this.heap.alloc(bytes);
    this.launchBlocks.add(p);
    return p;
  }

  private launchFree(p: number): void {
    this.launchBlocks.delete(p);
    this.heap.free(p);
  }

  override free(): void {
    for (const p of this.launchBlocks) this.heap.free(p);
    this.launchBlocks.clear();
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
   * slower than the plain memcpy it uses for unshared memory (figures:
   * bench/results/host-notes.md). Set once the single build has loaded in the
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
   * does faster than `view.slice()` when the view is on shared memory.
   */
  copyOut(view: Float64Array): Float64Array<ArrayBuffer>;
  copyOut(view: Float32Array): Float32Array<ArrayBuffer>;
  copyOut(view: Float32Array | Float64Array): Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;
  copyOut(view: Float32Array | Float64Array): Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer> {
    // Small results are cheaper as plain typed arrays (V8 keeps those up to 64
    // bytes on its own heap; below SMALL_RESULT_BYTES Buffer.allocUnsafeSlow is slower).
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
      scope = new TurnScope(pool.heap, inputs, extraBytes, turn, pool);
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

  /** Bytes of K's workspace for these parameters on `threads` threads (see workspaceBytes). */
  workspace(k: KernelDescriptor, params: Readonly<Record<string, number>>, threads: number): number {
    return workspaceBytes(this.pool, k, params, threads);
  }

  /** Bytes a launch of K allocates in its scope: add to the scope's extraBytes. */
  launchBytes(k: KernelDescriptor, params: Readonly<Record<string, number>>, threads: number): number {
    // TurnScope.launch's one block: parameters and result slots on their lines, then the workspace.
    return line(8 * k.params.length) + line(8 * k.out.length) + workspaceBytes(this.pool, k, params, threads) + 64;
  }

  /** Threads for a call that touches `bytes` of memory, honouring opts.threads. */
  threadsFor(bytes: number, opts?: CallOptions): number {
    if (opts?.threads !== undefined) return Math.min(integer("opts.threads", opts.threads, 1, MAX_THREADS), this.threads);
    // A size that is not a number would launch no thread at all and return whatever the outputs held.
    if (!(bytes >= 0)) throw new Error(`numlane: internal error: a call sized its memory traffic as ${bytes} bytes`);
    return Math.max(1, Math.min(this.threads, Math.floor(bytes / MIN_BYTES_PER_THREAD)));
  }
}
