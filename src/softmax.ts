// nl.softmax / nl.logSoftmax: one row or rows × cols row-major batches of
// Float32Array / Float64Array, by the two-pass, three-pass or online
// algorithm (assembly/softmax/). Inputs are never modified; `out` (possibly an
// nl.alloc array: zero copy) receives the result when given.
import { NumlaneError, abortError } from "./errors.js";
import type { CallOptions, Engine } from "./engine.js";
import type { Heap } from "./runtime/heap.js";
import type { DirectKernel, Pool } from "./pool/pool.js";
import * as K from "./generated/kernels.js";
import { callOptionKeys, checkOptions, floatArray, integer, type FloatArray } from "./validate.js";

export type SoftmaxAlgorithm = "auto" | "two-pass" | "three-pass" | "online" | "blocked";

export interface SoftmaxOptions extends CallOptions {
  /** Rows of a row-major batch (default: 1, or length / cols). */
  rows?: number;
  /** Entries per row (default: length / rows). */
  cols?: number;
  algorithm?: SoftmaxAlgorithm;
  /** Where to write the result: same type and length as x. */
  out?: FloatArray;
}
const SOFTMAX_KEYS = callOptionKeys<SoftmaxOptions>({ rows: true, cols: true, algorithm: true, out: true });

const ALGORITHMS = ["two-pass", "three-pass", "online", "blocked"] as const;
type Concrete = 0 | 1 | 2 | 3; // index into ALGORITHMS
/** The kernels by kernelId: log-softmax or not, dtype, algorithm (ALGORITHMS' order). */
const KERNELS = [
  K.softmax_f32_twopass, K.softmax_f32_threepass, K.softmax_f32_online, K.softmax_f32_blocked,
  K.softmax_f64_twopass, K.softmax_f64_threepass, K.softmax_f64_online, K.softmax_f64_blocked,
  K.logsoftmax_f32_twopass, K.logsoftmax_f32_threepass, K.logsoftmax_f32_online, K.logsoftmax_f32_blocked,
  K.logsoftmax_f64_twopass, K.logsoftmax_f64_threepass, K.logsoftmax_f64_online, K.logsoftmax_f64_blocked,
] as const;
type SoftmaxKernel = (typeof KERNELS)[number];
const kernelId = (log: 0 | 1, f64: boolean, alg: Concrete) => (log * 2 + (f64 ? 1 : 0)) * 4 + alg;

/**
 * Which algorithm "auto" runs, from `npm run bench -- softmax` on this
 * project's reference machine (2-core AMD EPYC, Node 20, f32); see
 * bench/results/softmax.json and bench/results/softmax-notes.md.
 */
export function chooseAlgorithm(f64: boolean, rows: number, cols: number, threads: number): Exclude<SoftmaxAlgorithm, "auto"> {
  return ALGORITHMS[choose(f64, rows, cols, threads)];
}

// Three-pass up to 4 MiB rows: the exp (19 SIMD operations, no FMA) costs
// the two-pass (two exps per element) and online (rescaling) more than the
// three-pass's extra read pass at every size. Blocked above: the three-pass's
// arithmetic with x read from memory once, which gains once a row no longer
// fits in cache and loses a little in it (bench/results/softmax-notes.md).
const BLOCKED_MIN_ROW_BYTES = 1 << 22;

function choose(f64: boolean, rows: number, cols: number, threads: number): Concrete {
  void rows; void threads;
  return cols * (f64 ? 8 : 4) >= BLOCKED_MIN_ROW_BYTES ? 3 : 1;
}

/**
 * Threads "auto" uses when opts.threads is not given: all of the context's
 * from 2^17 elements up, else 1. Waking the workers costs tens of µs on an
 * idle machine and far more on a busy one, more than a second thread can save
 * on a smaller call (bench/results/softmax-notes.md).
 */
export function chooseThreads(f64: boolean, rows: number, cols: number, maxThreads: number): number {
  void f64;
  return rows * cols >= 1 << 17 ? maxThreads : 1;
}

/**
 * autoThreads re-tries the option it currently rates slower on the 4th, 8th
 * and 16th call of a size class (early: V8 is still optimizing the kernels
 * then, so the first timings are pessimistic), then on every EXPLORE-th.
 */
const EXPLORE = 32;
const isExploreCall = (calls: number) => calls === 4 || calls === 8 || calls === 16 || calls % EXPLORE === 0;

/** One-thread calls needing at most this many heap bytes reuse the heap's lean region (no per-call allocation). */
const LEAN_BYTES = 1 << 20;

export class Softmax {
  /** Per pool, its kernels as plain functions, by kernelId (filled on first use). */
  private readonly directs = new Map<Pool, DirectKernel<SoftmaxKernel>[]>();
  /** The one-thread workspace of the last cols asked (every softmax kernel has the same workspace function). */
  private wsCols = -1;
  private wsBytes = 0;
  /** The parameters of one-thread calls, reused: those run synchronously, one at a time. */
  private readonly soloParams = { x: 0, y: 0, rows: 0, cols: 0, work: 0 };
  /** Running ms per element with one and with all threads, by size class (see autoThreads). */
  private readonly stats = new Map<number, { t1: number; tN: number; calls: number; warm1: boolean; warmN: boolean }>();

  constructor(private readonly e: Engine) {}

  /** Bytes of a one-thread softmax kernel's workspace for rows of `cols`. */
  private soloWorkspace(cols: number): number {
    if (cols !== this.wsCols) {
      this.wsBytes = this.e.workspace(K.softmax_f32_threepass, { cols }, 1);
      this.wsCols = cols;
    }
    return this.wsBytes;
  }

  // Not async functions: a one-thread call finishes synchronously inside run(),
  // and the async machinery would be a measurable part of a small call.
  softmax<T extends FloatArray>(x: T, opts?: SoftmaxOptions): Promise<T> {
    try { return Promise.resolve(this.run(0, x, opts)); } catch (e) { return Promise.reject(e); }
  }

  logSoftmax<T extends FloatArray>(x: T, opts?: SoftmaxOptions): Promise<T> {
    try { return Promise.resolve(this.run(1, x, opts)); } catch (e) { return Promise.reject(e); }
  }

  /** Validates, then runs: right here on one thread (returning the result), else as a launch (a Promise). */
  private run<T extends FloatArray>(log: 0 | 1, x: T, opts: SoftmaxOptions | undefined): T | Promise<T> {
    nonEmptyInput(x);
    const n = x.length;
    let rows = 1, cols = n, algorithm: SoftmaxAlgorithm = "auto", out: FloatArray | undefined;
    if (opts !== undefined) {
      checkOptions("opts", opts, SOFTMAX_KEYS);
      ({ rows, cols } = shape(n, opts.rows, opts.cols));
      if (opts.algorithm !== undefined) algorithm = checkAlgorithm(opts.algorithm);
      if (opts.out !== undefined) {
        out = floatArray("opts.out", opts.out);
        if (out.constructor !== x.constructor) throw new NumlaneError("invalid-type", `expected a ${x.constructor.name} like x, got a ${out.constructor.name}`, "opts.out");
        if (out.length !== n) throw new NumlaneError("invalid-shape", `expected length ${n}, got ${out.length}`, "opts.out");
      }
      if (opts.signal?.aborted) throw abortError(opts.signal);
    }
    const f64 = x instanceof Float64Array;
    const shift = f64 ? 3 : 2;
    const bytes = n << (shift + 1);
    // Timings feed autoThreads only where it has a choice to make.
    const adaptive = opts?.threads === undefined && chooseThreads(f64, rows, cols, this.e.threads) > 1;
    const statsKey = (f64 ? 64 : 0) + 31 - Math.clz32(n); // ⌊log2 n⌋
    const threads = opts?.threads === undefined ? this.autoThreads(f64, rows, cols, statsKey, false) : this.e.threadsFor(bytes, opts);
    const alg: Concrete = algorithm === "auto" ? choose(f64, rows, cols, threads) : (ALGORITHMS.indexOf(algorithm as never) as Concrete);
    const id = kernelId(log, f64, alg);
    // nl.alloc arrays live in the shared heap: no copy for them.
    const shared = this.e.heap;
    const xOwned = shared.owns(x), outOwned = out !== undefined && shared.owns(out);
    const dataBytes = n << shift, padded = (dataBytes + 63) & ~63;
    if (threads === 1) {
      // One thread: the kernel is called right here, synchronously (no launch,
      // no Promise chain), on the private unshared instance when the arrays
      // are the caller's own (cheaper copies: Engine.local). Small calls
      // reuse the heap's lean region; bigger ones take a region for the call
      // and give it back before returning.
      const need = (xOwned ? 0 : padded) + (outOwned ? 0 : padded + ALIAS_SLACK) + this.soloWorkspace(cols);
      const pool = this.e.soloPool(xOwned || outOwned, need);
      const heap = pool.heap;
      const temp = need > LEAN_BYTES;
      const base = temp ? heap.alloc(need) : heap.lean(need);
      try {
        const t0 = adaptive ? performance.now() : 0;
        let p = base, xp: number, yp: number;
        if (xOwned) xp = x.byteOffset;
        else { xp = p; p += padded; (f64 ? heap.f64 : heap.f32).set(x, xp >> shift); }
        if (outOwned) yp = out!.byteOffset;
        else { yp = unaliased(xp, p); p += padded + ALIAS_SLACK; }
        const params = this.soloParams;
        params.x = xp; params.y = yp; params.rows = rows; params.cols = cols; params.work = p;
        this.direct(pool, id)(params);
        const y = finish(this.e, heap, f64, yp, n, out, outOwned) as T;
        if (adaptive) this.record(statsKey, 1, (performance.now() - t0) / n);
        return y;
      } finally {
        if (temp) heap.free(base);
      }
    }
    return this.launch(KERNELS[id], x, rows, cols, out, outOwned, threads, adaptive ? statsKey : -1, opts?.signal);
  }

  /** A launch on `threads` threads; statsKey ≥ 0 records its time for autoThreads. */
  private async launch<T extends FloatArray>(
    kernel: SoftmaxKernel, x: T, rows: number, cols: number, out: FloatArray | undefined, outOwned: boolean,
    threads: number, statsKey: number, signal: AbortSignal | undefined,
  ): Promise<T> {
    const heap = this.e.heap, f64 = x instanceof Float64Array, n = x.length;
    const dataBytes = n << (f64 ? 3 : 2), adaptive = statsKey >= 0;
    const scope = await this.e.scope({ threads, signal }, [x], (outOwned ? 0 : dataBytes + ALIAS_SLACK) + this.e.launchBytes(kernel, { cols }, threads));
    try {
      const t0 = adaptive ? performance.now() : 0;
      const xp = scope.input(x);
      const yp = outOwned ? out!.byteOffset : unaliased(xp, scope.alloc(dataBytes + ALIAS_SLACK));
      await scope.launch(kernel, { x: xp, y: yp, rows, cols }, { threads, signal });
      const y = finish(this.e, heap, f64, yp, n, out, outOwned) as T;
      if (adaptive) this.record(statsKey, threads, (performance.now() - t0) / n);
      return y;
    } finally {
      scope.free();
    }
  }

  /** What a call with these options would run: the algorithm and thread count `auto` picks. */
  plan(x: FloatArray, opts?: SoftmaxOptions): { algorithm: Exclude<SoftmaxAlgorithm, "auto">; threads: number } {
    nonEmptyInput(x); checkOptions("opts", opts, SOFTMAX_KEYS);
    const { rows, cols } = shape(x.length, opts?.rows, opts?.cols);
    if (opts?.algorithm !== undefined) checkAlgorithm(opts.algorithm);
    const f64 = x instanceof Float64Array;
    const threads = opts?.threads !== undefined ? this.e.threadsFor(x.length << (f64 ? 4 : 3), opts)
      : this.autoThreads(f64, rows, cols, (f64 ? 64 : 0) + 31 - Math.clz32(x.length), true);
    const algorithm = opts?.algorithm !== undefined && opts.algorithm !== "auto" ? opts.algorithm : chooseAlgorithm(f64, rows, cols, threads);
    return { algorithm, threads };
  }

  /**
   * Threads for a call without opts.threads. Below chooseThreads' threshold,
   * one. Above it the static choice (all threads) runs first, then one thread,
   * each until it has a timing (the first call of each is not timed: it pays
   * one-time costs, such as V8 compiling the kernel's optimized code and new
   * memory being faulted in, which made 2 threads look 2–3× slower than 1 at
   * 1000 × 1000), and from then on whichever has the lower running time per element
   * for this size class (dtype, ⌊log2 n⌋) — with the other re-tried now and
   * then (isExploreCall), its estimate replaced by the new timing. So a machine whose cores are busy with other work (where
   * a worker may wait milliseconds for a core) falls back to one thread, and
   * returns to all threads when they pay again. Results are bit-identical for
   * any thread count, so this changes speed only. The whole call is timed,
   * copies included: one thread copies into the private unshared memory,
   * several into the shared one, which V8 copies to and from more slowly.
   */
  private autoThreads(f64: boolean, rows: number, cols: number, key: number, peek: boolean): number {
    const all = chooseThreads(f64, rows, cols, this.e.threads);
    if (all === 1) return 1;
    const s = this.stats.get(key);
    if (s === undefined) return all;
    if (!peek) s.calls++;
    if (Number.isNaN(s.tN)) return all;
    if (Number.isNaN(s.t1)) return 1;
    const best = s.t1 <= s.tN ? 1 : all;
    return !peek && isExploreCall(s.calls) ? (best === 1 ? all : 1) : best;
  }

  /** Folds one timing (ms per element) into the running estimates. */
  private record(key: number, threads: number, msPerElement: number): void {
    let s = this.stats.get(key);
    if (s === undefined) this.stats.set(key, (s = { t1: NaN, tN: NaN, calls: 0, warm1: false, warmN: false }));
    const k = threads === 1 ? "t1" : "tN", warm = threads === 1 ? "warm1" : "warmN";
    if (!s[warm]) { s[warm] = true; return; } // a warm-up call: not timed (see autoThreads)
    // The option in use is timed on every call: a running average. The other
    // is timed only when re-tried, and its estimate is old by then: the new
    // timing replaces it (from the baseline-code calls at start-up it would
    // take ~4 re-tries, over 100 calls, to come down to the optimized speed).
    const current = Number.isNaN(s.t1) || Number.isNaN(s.tN) || (s.t1 <= s.tN) === (threads === 1);
    s[k] = Number.isNaN(s[k]) || !current ? msPerElement : s[k] + 0.3 * (msPerElement - s[k]);
  }

  /** The pool's kernel number `id` as a plain function, looked up once per pool. */
  private direct(pool: Pool, id: number): DirectKernel<SoftmaxKernel> {
    let fns = this.directs.get(pool);
    if (fns === undefined) this.directs.set(pool, (fns = []));
    return fns[id] ?? (fns[id] = pool.direct(KERNELS[id]));
  }
}

/** Bytes of slack after an output region, for unaliased() to move the output within. */
const ALIAS_SLACK = 512;

/**
 * Where in [base, base + ALIAS_SLACK] to put an output y that the kernel
 * writes while reading x at xp: 64-byte aligned and with (y − x) mod 4096 in
 * [256, 3840], because stores to y 4 KiB-aliasing the loads of x that follow
 * them stall the CPU (x86: over 2× slower, bench/results/softmax-notes.md).
 */
function unaliased(xp: number, base: number): number {
  const r = (((base - xp) % 4096) + 4096) % 4096;
  return r < 256 || r > 3840 ? base + ((4352 - r) % 4096) : base; // moves it by at most 512
}

/** The result: `out` (written in place, or copied into), else a fresh copy (Engine.copyOut). */
function finish(e: Engine, heap: Heap, f64: boolean, yp: number, n: number, out: FloatArray | undefined, outOwned: boolean): FloatArray {
  if (outOwned) return out!;
  const view = f64 ? heap.f64.subarray(yp >> 3, (yp >> 3) + n) : heap.f32.subarray(yp >> 2, (yp >> 2) + n);
  if (out === undefined) return e.copyOut(view);
  out.set(view);
  return out;
}

function nonEmptyInput(x: unknown): FloatArray {
  const v = floatArray("x", x);
  if (v.length === 0) throw new NumlaneError("invalid-size", "x is empty; softmax needs at least one entry", "x");
  return v;
}

function checkAlgorithm(v: unknown): SoftmaxAlgorithm {
  if (v !== "auto" && !ALGORITHMS.includes(v as never)) {
    throw new NumlaneError("invalid-value", `expected "auto", "two-pass", "three-pass", "online" or "blocked", got ${JSON.stringify(v)}`, "opts.algorithm");
  }
  return v as SoftmaxAlgorithm;
}

function shape(n: number, rowsOpt: unknown, colsOpt: unknown): { rows: number; cols: number } {
  if (rowsOpt === undefined && colsOpt === undefined) return { rows: 1, cols: n };
  const rows = rowsOpt === undefined ? undefined : integer("opts.rows", rowsOpt, 1);
  const cols = colsOpt === undefined ? undefined : integer("opts.cols", colsOpt, 1);
  const r = rows ?? n / cols!, c = cols ?? n / rows!;
  if (!Number.isInteger(r) || !Number.isInteger(c) || r * c !== n) {
    throw new NumlaneError("invalid-shape", `rows × cols must equal x.length = ${n}; got ${rows ?? "?"} × ${cols ?? "?"}`, rows === undefined ? "opts.cols" : "opts.rows");
  }
  return { rows: r, cols: c };
}
