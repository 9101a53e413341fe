// nl.blas: level-1/2 BLAS and CSR SpMV on typed arrays. Inputs are never
// modified (unless opts.inPlace); arrays from nl.alloc are used in place.
import { NumlaneError, abortError } from "./errors.js";
import type { CallOptions, Engine, KernelDescriptor, KernelOut, KernelParams, TurnScope } from "./engine.js";
import { checkRunOptions, type DirectKernel, type DirectParams, type Pool } from "./pool/pool.js";
import type { Heap } from "./runtime/heap.js";
import { checkCsr, csrInput, CsrMatrix, DenseMatrix, toMatrix, type MatrixLike } from "./matrix.js";
import * as K from "./generated/kernels.js";
import { holding, PreparedMatrix } from "./operator.js";
import { boolean, callOptionKeys, checkOptions, float64Array, finiteNumber, integer, stridedCount } from "./validate.js";


export interface StrideOptions extends CallOptions {
  /** Elements to use (default: all that the strides allow). */
  n?: number;
  incx?: number;
  incy?: number;
}
const STRIDE_KEYS = callOptionKeys<StrideOptions>({ n: true, incx: true, incy: true });

export interface UpdateOptions extends StrideOptions {
  /** Write the result into the output argument (y, x) instead of a new array. */
  inPlace?: boolean;
}
const UPDATE_KEYS = callOptionKeys<UpdateOptions>({ n: true, incx: true, incy: true, inPlace: true });

export interface GemvOptions extends CallOptions {
  /** Multiply by Aᵀ instead of A. */
  trans?: boolean;
  alpha?: number;
  beta?: number;
  /** Added as beta·y (never modified unless inPlace). */
  y?: Float64Array;
  inPlace?: boolean;
}
const GEMV_KEYS = callOptionKeys<GemvOptions>({ trans: true, alpha: true, beta: true, y: true, inPlace: true });

export interface GemmOptions extends CallOptions {
  /** Multiply by Aᵀ instead of A. */
  transA?: boolean;
  /** Multiply by Bᵀ instead of B. */
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** Added as beta·C (never modified unless inPlace); the result takes its layout. */
  C?: DenseMatrix;
  inPlace?: boolean;
}
const GEMM_KEYS = callOptionKeys<GemmOptions>({ transA: true, transB: true, alpha: true, beta: true, C: true, inPlace: true });

export type Triangle = "lower" | "upper";
function triangle(name: string, v: unknown): Triangle {
  if (v !== "lower" && v !== "upper") throw new NumlaneError("invalid-value", `expected "lower" or "upper", got ${String(v)}`, name);
  return v;
}

export interface SyrkOptions extends CallOptions {
  /** alpha·AᵀA instead of alpha·A·Aᵀ. */
  trans?: boolean;
  /** The triangle of C computed (default "lower"); the other is C's (or zeros), as BLAS leaves it. */
  uplo?: Triangle;
  alpha?: number;
  beta?: number;
  /** Added as beta·C on the triangle (never modified unless inPlace); the result takes its layout. */
  C?: DenseMatrix;
  inPlace?: boolean;
}
const SYRK_KEYS = callOptionKeys<SyrkOptions>({ trans: true, uplo: true, alpha: true, beta: true, C: true, inPlace: true });

export interface TrsmOptions extends CallOptions {
  /** Which triangle of T holds it (default "lower"); the other is not read. */
  uplo?: Triangle;
  /** Solve with Tᵀ. */
  trans?: boolean;
  /** T's diagonal is taken as ones (not read). */
  unitDiagonal?: boolean;
  alpha?: number;
  /** Write X into B (a DenseMatrix) instead of a new matrix. */
  inPlace?: boolean;
}
const TRSM_KEYS = callOptionKeys<TrsmOptions>({ uplo: true, trans: true, unitDiagonal: true, alpha: true, inPlace: true });

/** A dense operand as the column-major kernels see it: data, leading dimension, and whether the stored matrix is its transpose. */
interface ColumnMajorView { data: Float64Array; ld: number; flipped: boolean }
function columnMajorView(m: DenseMatrix): ColumnMajorView {
  return m.layout === "row-major" ? { data: m.data, ld: Math.max(1, m.cols), flipped: true } : { data: m.data, ld: Math.max(1, m.rows), flipped: false };
}

/** A dense matrix argument (DenseMatrix or number[][]; CSR refused). */
function denseArgument(name: string, m: unknown): DenseMatrix {
  const d = toMatrix(name, m);
  if (d instanceof CsrMatrix) throw new NumlaneError("invalid-type", "expected a dense matrix (DenseMatrix or number[][]), got a CsrMatrix", name);
  return d;
}

export interface TriadOptions extends CallOptions {
  /** Where to write b + s·c (default: a new array). */
  out?: Float64Array;
}
const TRIAD_KEYS = callOptionKeys<TriadOptions>({ out: true });

/** One-thread calls needing at most this many heap bytes run right here, in the heap's lean region (Blas.solo). */
const LEAN_BYTES = 1 << 20;
const padded = (bytes: number) => (bytes + 63) & ~63;

/** What a call's parameters are built from: its scope's input/live/alloc (TurnScope, or LeanScope). */
type Scope = Pick<TurnScope, "input" | "live" | "alloc">;

/** A lean call's addresses: inputs copied one after the other into the heap's lean region (as TurnScope would, without allocating). */
class LeanScope implements Scope {
  constructor(private readonly heap: Heap, private at: number) {}

  input(view: Float64Array | Float32Array | Int32Array): number {
    if (this.heap.owns(view)) return view.byteOffset;
    const p = this.alloc(view.byteLength);
    this.heap.u8.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), p);
    return p;
  }

  live<T extends Float64Array | Float32Array | Int32Array>(view: T): T {
    return view;
  }

  alloc(bytes: number): number {
    const p = this.at;
    this.at += padded(bytes);
    return p;
  }
}

export class Blas {
  /** Per pool, the kernels called directly (see solo), by name. */
  private readonly directs = new Map<Pool, Map<string, DirectKernel<KernelDescriptor>>>();

  constructor(private readonly e: Engine) {}

  /**
   * A one-thread call of K that can run right here, synchronously: no turn, no
   * scope, no allocation (Pool.direct, in the heap's lean region), which for
   * short vectors costs less than the launch path. `views` are the arrays it
   * reads or writes in place, `extraBytes` what it allocates besides K's
   * workspace. Undefined when the call is too big for it, or touches nl.alloc
   * arrays of an unshared memory the region's growth would detach.
   */
  private solo<Kd extends KernelDescriptor>(
    k: Kd, shape: Readonly<Record<string, number>>, views: readonly ArrayBufferView[], extraBytes: number, opts: CallOptions | undefined,
  ): { pool: Pool; heap: Heap; scope: LeanScope; run: (params: KernelParams<Kd>) => DirectKernel<Kd> } | undefined {
    const shared = this.e.heap;
    let owned = false, need = padded(extraBytes);
    for (const v of views) {
      if (shared.owns(v)) owned = true;
      else need += padded(v.byteLength);
    }
    if (owned && !shared.shared) return undefined;
    const ws = k.workspace === undefined ? 0 : this.e.workspace(k, shape, 1);
    need += padded(ws);
    if (need > LEAN_BYTES) return undefined;
    if (opts !== undefined) {
      checkRunOptions(opts);
      if (opts.signal?.aborted) throw abortError(opts.signal);
    }
    const pool = this.e.soloPool(owned, need), heap = pool.heap;
    const scope = new LeanScope(heap, heap.lean(need));
    const work = ws > 0 ? scope.alloc(ws) : 0;
    const run = (params: KernelParams<Kd>) => {
      let fns = this.directs.get(pool);
      if (fns === undefined) this.directs.set(pool, (fns = new Map()));
      let f = fns.get(k.name);
      if (f === undefined) fns.set(k.name, (f = pool.direct(k)));
      f((ws > 0 ? { ...params, work } : params) as DirectParams<KernelDescriptor>);
      return f as DirectKernel<Kd>;
    };
    return { pool, heap, scope, run };
  }

  private strides(opts: StrideOptions | undefined, x: Float64Array, y?: Float64Array) {
    const incx = integer("opts.incx", opts?.incx ?? 1, 1);
    const incy = integer("opts.incy", opts?.incy ?? 1, 1);
    let n: number;
    if (opts?.n !== undefined) {
      n = integer("opts.n", opts.n, 0);
      stridedCount("x", x, incx, n);
      if (y) stridedCount("y", y, incy, n);
    } else {
      n = stridedCount("x", x, incx);
      if (y) {
        const ny = stridedCount("y", y, incy);
        if (ny !== n) throw new NumlaneError("invalid-shape", `x holds ${n} elements (stride ${incx}), y holds ${ny} (stride ${incy})`, "y");
      }
    }
    return { n, incx, incy };
  }

  /** Σ x[i]·y[i]. */
  async dot(x: Float64Array, y: Float64Array, opts?: StrideOptions): Promise<number> {
    float64Array("x", x); float64Array("y", y); checkOptions("opts", opts, STRIDE_KEYS);
    const { n, incx, incy } = this.strides(opts, x, y);
    return this.reduce(K.dot_f64, n, 16 * n, opts, [x, y], (s) => ({ x: s.input(x), incx, y: s.input(y), incy, n }));
  }

  /** ‖x‖₂, safe from overflow and underflow. */
  async nrm2(x: Float64Array, opts?: StrideOptions): Promise<number> {
    float64Array("x", x); checkOptions("opts", opts, STRIDE_KEYS);
    const { n, incx } = this.strides(opts, x);
    return this.reduce(K.nrm2_f64, n, 8 * n, opts, [x], (s) => ({ x: s.input(x), incx, n }));
  }

  private async reduce<R extends typeof K.dot_f64 | typeof K.nrm2_f64>(
    kernel: R, n: number, bytes: number, opts: CallOptions | undefined,
    inputs: Float64Array[], params: (s: Scope) => KernelParams<R>,
  ): Promise<number> {
    if (n === 0) return 0;
    const threads = this.e.threadsFor(bytes, opts);
    const solo = threads === 1 ? this.solo(kernel, { n }, inputs, 0, opts) : undefined;
    if (solo !== undefined) return (solo.run(params(solo.scope)) as DirectKernel<typeof K.dot_f64>).result("value");
    const pool = this.e.poolFor(threads, inputs, bytes);
    const scope = await this.e.scope({ ...opts, threads }, inputs, this.e.launchBytes(kernel, { n }, threads), pool);
    try {
      const out = await scope.launch(kernel, params(scope), { ...opts, threads });
      return (out as KernelOut<typeof K.dot_f64>).value;
    } finally {
      scope.free();
    }
  }

  /** alpha·x + y (a new array shaped like y, or y itself with inPlace). */
  async axpy(alpha: number, x: Float64Array, y: Float64Array, opts?: UpdateOptions): Promise<Float64Array> {
    finiteOrNan("alpha", alpha); float64Array("x", x); float64Array("y", y); checkOptions("opts", opts, UPDATE_KEYS);
    const { n, incx, incy } = this.strides(opts, x, y);
    return this.elementwise(y, opts, 24 * n, [x, y], K.axpy_f64, {}, (s, z) => ({ alpha, x: s.input(x), incx, y: s.input(y), incy, z, incz: incy, n }));
  }

  /** alpha·x (a new array shaped like x, or x itself with inPlace). */
  async scal(alpha: number, x: Float64Array, opts?: UpdateOptions): Promise<Float64Array> {
    finiteOrNan("alpha", alpha); float64Array("x", x); checkOptions("opts", opts, UPDATE_KEYS);
    const { n, incx } = this.strides(opts, x);
    return this.elementwise(x, opts, 16 * n, [x], K.scal_f64, {}, (s, z) => ({ alpha, x: s.input(x), incx, z, incz: incx, n }));
  }

  /** Copies n strided elements of x into y (a new array shaped like y, or y itself with inPlace). */
  async copy(x: Float64Array, y: Float64Array, opts?: UpdateOptions): Promise<Float64Array> {
    float64Array("x", x); float64Array("y", y); checkOptions("opts", opts, UPDATE_KEYS);
    const { n, incx, incy } = this.strides(opts, x, y);
    return this.elementwise(y, opts, 16 * n, [x], K.copy_f64, {}, (s, out) => ({ x: s.input(x), incx, y: out, incy, n }));
  }

  /** STREAM triad b + s·c, the bandwidth yardstick. */
  async triad(b: Float64Array, c: Float64Array, s: number, opts?: TriadOptions): Promise<Float64Array> {
    float64Array("b", b); float64Array("c", c); finiteNumber("s", s); checkOptions("opts", opts, TRIAD_KEYS);
    if (b.length !== c.length) throw new NumlaneError("invalid-shape", `b has ${b.length} entries, c has ${c.length}`, "c");
    const out = opts?.out !== undefined ? float64Array("opts.out", opts.out) : undefined;
    if (out && out.length !== b.length) throw new NumlaneError("invalid-shape", `expected length ${b.length}, got ${out.length}`, "opts.out");
    const n = b.length;
    const target = out ?? new Float64Array(n);
    return this.elementwise(target, { ...opts, inPlace: true }, 24 * n, [b, c], K.triad_f64, {}, (sc, a) => ({ a, b: sc.input(b), c: sc.input(c), s, n }), false);
  }

  /**
   * Runs an elementwise kernel writing into a buffer shaped like `base`: base
   * itself when inPlace, else a copy of it (so untouched strided entries stay).
   */
  private async elementwise<Kd extends KernelDescriptor>(
    base: Float64Array, opts: UpdateOptions | undefined, bytes: number, inputs: ArrayBufferView[],
    kernel: Kd, shape: Readonly<Record<string, number>>, params: (s: Scope, out: number) => KernelParams<Kd>, seed = true,
  ): Promise<Float64Array> {
    const inPlace = boolean("opts.inPlace", opts?.inPlace ?? false);
    const threads = this.e.threadsFor(bytes, opts);
    // base among the views even when only read: an nl.alloc base of unshared memory must keep the call off the lean region.
    const solo = threads === 1 ? this.solo(kernel, shape, [...inputs, base], 8 * base.length, opts) : undefined;
    if (solo !== undefined) {
      // As below, on the lean region.
      const { heap, scope: s } = solo, length = base.length, baseOwned = heap.owns(base);
      let out: number;
      if (inPlace && baseOwned) out = base.byteOffset;
      else {
        out = s.alloc(8 * length);
        if (seed) heap.f64.set(base, out >> 3);
      }
      solo.run(params(s, out));
      const view = heap.f64.subarray(out >> 3, (out >> 3) + length);
      if (inPlace) {
        if (!baseOwned) base.set(view);
        return base;
      }
      return this.e.copyOut(view);
    }
    const pool = this.e.poolFor(threads, inPlace ? [...inputs, base] : inputs, bytes);
    const heap = pool.heap;
    // Read before the scope: in the single build its memory growth detaches arrays from nl.alloc.
    const length = base.length, baseOwned = heap.owns(base);
    const scope = await this.e.scope({ ...opts, threads }, baseOwned ? [...inputs, base] : inputs, 8 * length + this.e.launchBytes(kernel, shape, threads), pool);
    try {
      let out: number;
      if (inPlace && baseOwned) out = scope.input(base);
      else {
        out = scope.alloc(8 * length);
        if (seed) heap.f64.set(scope.live(base), out >> 3);
      }
      await scope.launch(kernel, params(scope, out), { ...opts, threads });
      if (inPlace) {
        if (!baseOwned) base.set(heap.f64.subarray(out >> 3, (out >> 3) + length));
        return base;
      }
      return this.e.copyOut(heap.f64.subarray(out >> 3, (out >> 3) + length));
    } finally {
      scope.free();
    }
  }

  /** alpha·A·x + beta·y (or with Aᵀ), A dense in either layout. */
  async gemv(A: MatrixLike, x: Float64Array, opts?: GemvOptions): Promise<Float64Array> {
    const m = toMatrix("A", A);
    if (m instanceof CsrMatrix) return this.spmv(m, x, opts);
    float64Array("x", x); checkOptions("opts", opts, GEMV_KEYS);
    const trans = boolean("opts.trans", opts?.trans ?? false);
    const alpha = finiteOrNan("opts.alpha", opts?.alpha ?? 1);
    const beta = finiteOrNan("opts.beta", opts?.beta ?? 0);
    const [inLen, outLen] = trans ? [m.rows, m.cols] : [m.cols, m.rows];
    if (x.length !== inLen) throw new NumlaneError("invalid-shape", `A${trans ? "ᵀ" : ""} is ${outLen}×${inLen}, x has ${x.length} entries`, "x");
    const y = this.outputSeed(opts, outLen);
    // Lines of A that are contiguous in memory: rows for row-major, columns for column-major.
    const lineIsRow = m.layout === "row-major";
    const lda = lineIsRow ? m.cols : m.rows;
    const kernel = trans === lineIsRow ? K.gemv_cols_f64 : K.gemv_rows_f64;
    // rows kernel: outLen lines of length inLen; cols kernel: inLen lines of length outLen.
    const bytes = 8 * (m.rows * m.cols + inLen + 2 * outLen);
    return this.elementwise(y, { ...opts, inPlace: true }, bytes, [m.data, x], kernel, {},
      (s, out) => ({ a: s.input(m.data), lda, x: s.input(x), y: out, m: outLen, n: inLen, alpha, beta }), beta !== 0);
  }

  /** alpha·A·x + beta·y (or with Aᵀ), A in CSR. */
  async spmv(A: CsrMatrix | PreparedMatrix, x: Float64Array, opts?: GemvOptions): Promise<Float64Array> {
    // A prepared matrix is used in place, unchecked (it cannot have changed).
    if (A instanceof PreparedMatrix) return holding([{ matrix: A, name: "A" }], () => this.spmv(A.matrix("A"), x, opts));
    if (!(A instanceof CsrMatrix)) throw new NumlaneError("invalid-type", "expected a CsrMatrix or a prepared matrix", "A");
    float64Array("x", x); checkOptions("opts", opts, GEMV_KEYS);
    const trans = boolean("opts.trans", opts?.trans ?? false);
    const alpha = finiteOrNan("opts.alpha", opts?.alpha ?? 1);
    const beta = finiteOrNan("opts.beta", opts?.beta ?? 0);
    const M = trans ? A.transpose() : checkCsr("A", A);
    if (x.length !== M.cols) throw new NumlaneError("invalid-shape", `A${trans ? "ᵀ" : ""} is ${M.rows}×${M.cols}, x has ${x.length} entries`, "x");
    const y = this.outputSeed(opts, M.rows);
    const bytes = 12 * M.nnz + 8 * (M.cols + 2 * M.rows);
    return this.elementwise(y, { ...opts, inPlace: true }, bytes, [M.indptr, M.indices, M.data, x], K.spmv_csr_f64, {},
      (s, out) => {
        const p = csrInput(s, "A", M, M.rows, M.cols);
        return { indptr: p.indptr, indices: p.indices, data: p.data, rows: M.rows, x: s.input(x), y: out, alpha, beta };
      }, beta !== 0);
  }

  /**
   * alpha·op(A)·op(B) + beta·C, op(X) = X or Xᵀ (transA, transB), all f64,
   * A and B dense in either layout (a row-major Float64Array is
   * `new DenseMatrix(rows, cols, data)`, no copy). The result is a new
   * DenseMatrix, row-major or in opts.C's layout (opts.C itself with
   * inPlace). Register- and cache-blocked; the same bits for any thread count.
   */
  async gemm(A: MatrixLike, B: MatrixLike, opts?: GemmOptions): Promise<DenseMatrix> {
    const a = denseArgument("A", A), b = denseArgument("B", B); checkOptions("opts", opts, GEMM_KEYS);
    const transA = boolean("opts.transA", opts?.transA ?? false);
    const transB = boolean("opts.transB", opts?.transB ?? false);
    const alpha = finiteOrNan("opts.alpha", opts?.alpha ?? 1);
    const beta = finiteOrNan("opts.beta", opts?.beta ?? 0);
    const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
    const [kb, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
    if (kb !== k) throw new NumlaneError("invalid-shape", `op(A) is ${m}×${k}, op(B) is ${kb}×${n}`, "B");
    const C = this.matrixSeed(opts, m, n);
    if (m === 0 || n === 0) return C;
    const av = columnMajorView(a), bv = columnMajorView(b), cv = columnMajorView(C);
    // Column-major C = op(A)·op(B) directly; a row-major C is stored as Cᵀ = op(B)ᵀ·op(A)ᵀ.
    const tA = transA !== av.flipped, tB = transB !== bv.flipped;
    const args = cv.flipped
      ? { first: bv, tFirst: !tB, second: av, tSecond: !tA, rows: n, cols: m }
      : { first: av, tFirst: tA, second: bv, tSecond: tB, rows: m, cols: n };
    const bytes = 8 * (m * k + k * n + 2 * m * n);
    const threads = this.e.threadsFor(bytes, opts);
    await this.elementwise(C.data, { ...opts, threads, inPlace: true }, bytes, [a.data, b.data], K.gemm_f64, {}, (s, out) => ({
      transA: +args.tFirst, a: s.input(args.first.data), lda: args.first.ld, transB: +args.tSecond, b: s.input(args.second.data), ldb: args.second.ld,
      c: out, ldc: cv.ld, m: args.rows, n: args.cols, k, alpha, beta,
    }), beta !== 0);
    return C;
  }

  /**
   * One triangle (opts.uplo, default "lower") of alpha·A·Aᵀ + beta·C, or of
   * alpha·AᵀA + beta·C with trans: the symmetric rank-k update, half a gemm's
   * work. A dense in either layout; the result as gemm's.
   */
  async syrk(A: MatrixLike, opts?: SyrkOptions): Promise<DenseMatrix> {
    const a = denseArgument("A", A); checkOptions("opts", opts, SYRK_KEYS);
    const trans = boolean("opts.trans", opts?.trans ?? false);
    const lower = triangle("opts.uplo", opts?.uplo ?? "lower") === "lower";
    const alpha = finiteOrNan("opts.alpha", opts?.alpha ?? 1);
    const beta = finiteOrNan("opts.beta", opts?.beta ?? 0);
    const [n, k] = trans ? [a.cols, a.rows] : [a.rows, a.cols];
    const C = this.matrixSeed(opts, n, n);
    if (n === 0) return C;
    const av = columnMajorView(a), cv = columnMajorView(C);
    // A row-major C is stored as Cᵀ: its lower triangle is C's upper one.
    const bytes = 8 * (n * k + 2 * n * n);
    const threads = this.e.threadsFor(bytes, opts);
    await this.elementwise(C.data, { ...opts, threads, inPlace: true }, bytes, [a.data], K.syrk_f64, { n }, (s, out) => ({
      transA: +(trans !== av.flipped), lower: +(lower !== cv.flipped), a: s.input(a.data), lda: av.ld, c: out, ldc: cv.ld, n, k, alpha, beta,
    }), true);
    return C;
  }

  /**
   * X = alpha·op(T)⁻¹·B: a triangular solve with many right-hand sides (the
   * columns of B). T square, dense in either layout, its other triangle not
   * read; a zero on T's diagonal is refused (unless unitDiagonal). The result
   * is a new DenseMatrix in B's layout, or B itself with inPlace.
   */
  async trsm(T: MatrixLike, B: MatrixLike, opts?: TrsmOptions): Promise<DenseMatrix> {
    const t = denseArgument("T", T), b = denseArgument("B", B); checkOptions("opts", opts, TRSM_KEYS);
    const lower = triangle("opts.uplo", opts?.uplo ?? "lower") === "lower";
    const trans = boolean("opts.trans", opts?.trans ?? false);
    const unit = boolean("opts.unitDiagonal", opts?.unitDiagonal ?? false);
    const alpha = finiteOrNan("opts.alpha", opts?.alpha ?? 1);
    const inPlace = boolean("opts.inPlace", opts?.inPlace ?? false);
    if (t.rows !== t.cols) throw new NumlaneError("invalid-shape", `T must be square, got ${t.rows}×${t.cols}`, "T");
    if (b.rows !== t.rows) throw new NumlaneError("invalid-shape", `T is ${t.rows}×${t.cols}, B has ${b.rows} rows`, "B");
    if (inPlace && !(B instanceof DenseMatrix)) throw new NumlaneError("invalid-value", "inPlace needs B to be a DenseMatrix", "opts.inPlace");
    const n = t.rows, r = b.cols;
    if (!unit) for (let i = 0; i < n; i++) if (t.get(i, i) === 0) throw new NumlaneError("invalid-value", `T is singular: T[${i}, ${i}] = 0`, "T");
    const X = inPlace ? b : new DenseMatrix(n, r, Float64Array.from(b.data), b.layout);
    if (n === 0 || r === 0) return X;
    const tv = columnMajorView(t);
    // The kernel solves column-major right-hand sides: a row-major B goes through its transpose.
    const rowMajor = X.layout === "row-major";
    const cm = rowMajor ? transposed(X.data, n, r) : X.data;
    const bytes = 8 * (n * n + 2 * n * r);
    const threads = this.e.threadsFor(bytes, opts);
    // Stored transposed, T's lower triangle is the upper one of what the kernel reads.
    const tEff = trans !== tv.flipped, lowerStored = lower !== tv.flipped;
    const res = await this.elementwise(cm, { ...opts, threads, inPlace: !rowMajor }, bytes, [t.data], K.trsm_f64, {}, (s, out) => ({
      lower: +(lowerStored !== tEff), transT: +tEff, unit: +unit, t: s.input(t.data), ldt: tv.ld, b: out, ldb: Math.max(1, n), n, r, alpha,
    }), true);
    if (rowMajor) X.data.set(transposed(res, r, n));
    return X;
  }

  /** The matrix a level-3 product accumulates into: opts.C itself (inPlace), a copy of it, or a new row-major one. */
  private matrixSeed(opts: { C?: DenseMatrix; inPlace?: boolean } | undefined, rows: number, cols: number): DenseMatrix {
    const inPlace = boolean("opts.inPlace", opts?.inPlace ?? false);
    if (opts?.C === undefined) {
      if (inPlace) throw new NumlaneError("invalid-value", "inPlace needs opts.C to write into", "opts.inPlace");
      return new DenseMatrix(rows, cols, new Float64Array(rows * cols));
    }
    if (!(opts.C instanceof DenseMatrix)) throw new NumlaneError("invalid-type", "expected a DenseMatrix", "opts.C");
    const C = denseArgument("opts.C", opts.C);
    if (C.rows !== rows || C.cols !== cols) throw new NumlaneError("invalid-shape", `expected ${rows}×${cols}, got ${C.rows}×${C.cols}`, "opts.C");
    return inPlace ? C : new DenseMatrix(rows, cols, Float64Array.from(C.data), C.layout);
  }

  /** The array the matrix-vector product accumulates into: y itself (inPlace) or a fresh one. */
  private outputSeed(opts: GemvOptions | undefined, len: number): Float64Array {
    const inPlace = boolean("opts.inPlace", opts?.inPlace ?? false);
    if (opts?.y === undefined) {
      if (inPlace) throw new NumlaneError("invalid-value", "inPlace needs opts.y to write into", "opts.inPlace");
      return new Float64Array(len);
    }
    const y = float64Array("opts.y", opts.y);
    if (y.length !== len) throw new NumlaneError("invalid-shape", `expected ${len} entries, got ${y.length}`, "opts.y");
    return inPlace ? y : Float64Array.from(y);
  }
}

/** The column-major copy of a row-major rows×cols array (or the reverse, given cols×rows). */
function transposed(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

/** Scalars may be any number BLAS accepts (NaN propagates), but must be numbers. */
function finiteOrNan(name: string, v: unknown): number {
  if (typeof v !== "number") throw new NumlaneError("invalid-type", `expected a number, got ${typeof v}`, name);
  return v;
}
