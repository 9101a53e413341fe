// nl.blas: level-1/2 BLAS and CSR SpMV on typed arrays. Inputs are never
// modified (unless opts.inPlace); arrays from nl.alloc are used in place.
import { NumlaneError } from "./errors.js";
import { chunkCount as chunks, type CallOptions, type Engine } from "./engine.js";
import { checkCsr, csrInput, CsrMatrix, toMatrix, type MatrixLike } from "./matrix.js";
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
    make: (s: CallScope, out: number) => [string, number[]], seed = true,
  ): Promise<Float64Array> {
    const inPlace = boolean("opts.inPlace", opts?.inPlace ?? false);
    const threads = this.e.threadsFor(bytes, opts);
    const pool = this.e.poolFor(threads, inPlace ? [...inputs, base] : inputs, bytes);
    const heap = pool.heap;
    const scope = await this.e.scope({ ...opts, threads }, inputs, base.byteLength, pool);
    try {
      let out: number;
      if (inPlace && heap.owns(base)) out = base.byteOffset;
      else {
        out = scope.alloc(base.byteLength);
        if (seed) heap.f64.set(base, out >> 3);
      }
      const [kernel, args] = make(scope, out);
      await scope.run(kernel, args, { ...opts, threads });
      if (inPlace) {
        if (!heap.owns(base)) base.set(heap.f64.subarray(out >> 3, (out >> 3) + base.length));
        return base;
      }
      return this.e.copyOut(heap.f64.subarray(out >> 3, (out >> 3) + base.length));
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
        const p = csrInput(s, "A", M, y.length, x.length);
        return ["spmv_csr_f64", [p.indptr, p.indices, p.data, y.length, s.input(x), out, alpha, beta]];
      }, beta !== 0)
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

/** Scalars may be any number BLAS accepts (NaN propagates), but must be numbers. */
function finiteOrNan(name: string, v: unknown): number {
  if (typeof v !== "number") throw new NumlaneError("invalid-type", `expected a number, got ${typeof v}`, name);
  return v;
}
