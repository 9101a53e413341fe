// nl.blas: level-1/2 BLAS and CSR SpMV on typed arrays. Inputs are never
// modified (unless opts.inPlace); arrays from nl.alloc are used in place.
import { NumlaneError } from "./errors.js";
import { chunkCount as chunks, type CallOptions, type Engine } from "./engine.js";
import { checkCsr, csrInput, CsrMatrix, DenseMatrix, toMatrix, type MatrixLike } from "./matrix.js";
import { CallScope } from "./runtime/heap.js";
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

/**
 * f64 of scratch one thread of a level-3 kernel packs into: assembly/blas/gemm.ts's
 * GEMM_WORK (test/gemm.test.ts checks it against the kernel's gemm_work_f64).
 */
export const GEMM_WORK_F64 = 128 * 256 + 256 * 1024 + 4 * 4;

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

export class Blas {
  constructor(private readonly e: Engine) {}

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
    return this.reduce("dot_f64", n, 16 * n, opts, [x, y], (s) => [s.input(x), incx, s.input(y), incy, n], chunks(n));
  }

  /** ‖x‖₂, safe from overflow and underflow. */
  async nrm2(x: Float64Array, opts?: StrideOptions): Promise<number> {
    float64Array("x", x); checkOptions("opts", opts, STRIDE_KEYS);
    const { n, incx } = this.strides(opts, x);
    return this.reduce("nrm2_f64", n, 8 * n, opts, [x], (s) => [s.input(x), incx, n], 2 * chunks(n));
  }

  private async reduce(
    kernel: string, n: number, bytes: number, opts: CallOptions | undefined,
    inputs: Float64Array[], args: (s: CallScope) => number[], partialCount: number,
  ): Promise<number> {
    if (n === 0) return 0;
    const threads = this.e.threadsFor(bytes, opts);
    const pool = this.e.poolFor(threads, inputs, bytes);
    const scope = await this.e.scope({ ...opts, threads }, inputs, 8 * partialCount + 64, pool);
    try {
      const a = args(scope);
      // One block: the result word, then the per-chunk partials.
      const out = scope.alloc(8 * partialCount + 8);
      const partials = out + 8;
      await scope.run(kernel, [...a, partials, out], { ...opts, threads });
      return pool.heap.f64[out >> 3];
    } finally {
      scope.free();
    }
  }

  /** alpha·x + y (a new array shaped like y, or y itself with inPlace). */
  async axpy(alpha: number, x: Float64Array, y: Float64Array, opts?: UpdateOptions): Promise<Float64Array> {
    finiteOrNan("alpha", alpha); float64Array("x", x); float64Array("y", y); checkOptions("opts", opts, UPDATE_KEYS);
    const { n, incx, incy } = this.strides(opts, x, y);
    return this.elementwise(y, opts, 24 * n, [x, y], (s, out) => ["axpy_f64", [alpha, s.input(x), incx, s.input(y), incy, out, incy, n]]);
  }

  /** alpha·x (a new array shaped like x, or x itself with inPlace). */
  async scal(alpha: number, x: Float64Array, opts?: UpdateOptions): Promise<Float64Array> {
    finiteOrNan("alpha", alpha); float64Array("x", x); checkOptions("opts", opts, UPDATE_KEYS);
    const { n, incx } = this.strides(opts, x);
    return this.elementwise(x, opts, 16 * n, [x], (s, out) => ["scal_f64", [alpha, s.input(x), incx, out, incx, n]]);
  }

  /** Copies n strided elements of x into y (a new array shaped like y, or y itself with inPlace). */
  async copy(x: Float64Array, y: Float64Array, opts?: UpdateOptions): Promise<Float64Array> {
    float64Array("x", x); float64Array("y", y); checkOptions("opts", opts, UPDATE_KEYS);
    const { n, incx, incy } = this.strides(opts, x, y);
    return this.elementwise(y, opts, 16 * n, [x], (s, out) => ["copy_f64", [s.input(x), incx, out, incy, n]]);
  }

  /** STREAM triad b + s·c, the bandwidth yardstick. */
  async triad(b: Float64Array, c: Float64Array, s: number, opts?: TriadOptions): Promise<Float64Array> {
    float64Array("b", b); float64Array("c", c); finiteNumber("s", s); checkOptions("opts", opts, TRIAD_KEYS);
    if (b.length !== c.length) throw new NumlaneError("invalid-shape", `b has ${b.length} entries, c has ${c.length}`, "c");
    const out = opts?.out !== undefined ? float64Array("opts.out", opts.out) : undefined;
    if (out && out.length !== b.length) throw new NumlaneError("invalid-shape", `expected length ${b.length}, got ${out.length}`, "opts.out");
    const n = b.length;
    const target = out ?? new Float64Array(n);
    return this.elementwise(target, { ...opts, inPlace: true }, 24 * n, [b, c], (sc, o) => ["triad_f64", [o, sc.input(b), sc.input(c), s, n]], false);
  }

  /**
   * Runs an elementwise kernel writing into a buffer shaped like `base`: base
   * itself when inPlace, else a copy of it (so untouched strided entries stay).
   */
  private async elementwise(
    base: Float64Array, opts: UpdateOptions | undefined, bytes: number, inputs: ArrayBufferView[],
    make: (s: CallScope, out: number) => [string, number[]], seed = true, scratchBytes = 0,
  ): Promise<Float64Array> {
    const inPlace = boolean("opts.inPlace", opts?.inPlace ?? false);
    const threads = this.e.threadsFor(bytes, opts);
    const pool = this.e.poolFor(threads, inPlace ? [...inputs, base] : inputs, bytes);
    const heap = pool.heap;
    // Read before the scope: in the single build its memory growth detaches arrays from nl.alloc.
    const length = base.length, baseOwned = heap.owns(base);
    const scope = await this.e.scope({ ...opts, threads }, baseOwned ? [...inputs, base] : inputs, 8 * length + scratchBytes, pool);
    try {
      let out: number;
      if (inPlace && baseOwned) out = scope.input(base);
      else {
        out = scope.alloc(8 * length);
        if (seed) heap.f64.set(scope.live(base), out >> 3);
      }
      const [kernel, args] = make(scope, out);
      await scope.run(kernel, args, { ...opts, threads });
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
    const kernel = trans === lineIsRow ? "gemv_cols_f64" : "gemv_rows_f64";
    // rows kernel: outLen lines of length inLen; cols kernel: inLen lines of length outLen.
    const bytes = 8 * (m.rows * m.cols + inLen + 2 * outLen);
    return this.elementwise(y, { ...opts, inPlace: true }, bytes, [m.data, x],
      (s, out) => [kernel, [s.input(m.data), lda, s.input(x), out, outLen, inLen, alpha, beta]], beta !== 0)
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
    return this.elementwise(y, { ...opts, inPlace: true }, bytes, [M.indptr, M.indices, M.data, x],
      (s, out) => {
        const p = csrInput(s, "A", M, M.rows, M.cols);
        return ["spmv_csr_f64", [p.indptr, p.indices, p.data, M.rows, s.input(x), out, alpha, beta]];
      }, beta !== 0)
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
    const work = 8 * threads * GEMM_WORK_F64;
    await this.elementwise(C.data, { ...opts, threads, inPlace: true }, bytes, [a.data, b.data], (s, out) => ["gemm_f64", [
      +args.tFirst, s.input(args.first.data), args.first.ld, +args.tSecond, s.input(args.second.data), args.second.ld, out, cv.ld,
      args.rows, args.cols, k, alpha, beta, s.alloc(work),
    ]], beta !== 0, work);
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
    const work = 8 * threads * GEMM_WORK_F64, band = 8 * 4 * n;
    await this.elementwise(C.data, { ...opts, threads, inPlace: true }, bytes, [a.data], (s, out) => ["syrk_f64", [
      +(trans !== av.flipped), +(lower !== cv.flipped), s.input(a.data), av.ld, out, cv.ld, n, k, alpha, beta, s.alloc(band), s.alloc(work),
    ]], true, work + band);
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
    const work = 8 * threads * GEMM_WORK_F64;
    // Stored transposed, T's lower triangle is the upper one of what the kernel reads.
    const tEff = trans !== tv.flipped, lowerStored = lower !== tv.flipped;
    const res = await this.elementwise(cm, { ...opts, threads, inPlace: !rowMajor }, bytes, [t.data], (s, out) => ["trsm_f64", [
      +(lowerStored !== tEff), +tEff, +unit, s.input(t.data), tv.ld, out, Math.max(1, n), n, r, alpha, s.alloc(work),
    ]], true, work);
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
