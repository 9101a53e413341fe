// nl.cg: conjugate gradients for symmetric positive definite systems. The
// whole solve runs in one SPMD launch inside wasm (assembly/krylov/cg.ts):
// JavaScript sets it up, then only relays progress and cancellation.
import { NumlaneError } from "./errors.js";
import type { CallOptions, Engine } from "./engine.js";
import { CsrMatrix, DenseMatrix, toMatrix } from "./matrix.js";
import { CallScope } from "./runtime/heap.js";
import { allFinite, float64Array, integer } from "./validate.js";

const CHUNK = 2048; // assembly/core/chunks.ts

export type Preconditioner = "none" | "jacobi" | "ssor" | "ic0";
export type CgReason = "converged" | "max-iterations" | "breakdown" | "indefinite" | "aborted";
// Indexed by the kernel's reason codes.
const REASONS: CgReason[] = ["converged", "max-iterations", "breakdown", "indefinite", "aborted"];

export interface CgOptions extends CallOptions {
  /** Initial guess (default zeros). Never modified. */
  x0?: Float64Array;
  /** Stop when ‖r‖ ≤ max(rtol·‖b‖, atol). Default 1e-8. */
  rtol?: number;
  /** Default 0. */
  atol?: number;
  /** Default 10·n, as SciPy. */
  maxIter?: number;
  /** Default "none". "jacobi" scales by the inverse diagonal. */
  preconditioner?: Preconditioner;
}

export interface CgResult {
  x: Float64Array;
  iterations: number;
  converged: boolean;
  reason: CgReason;
  /** ‖b − A·x‖ of the returned x, recomputed (not the recursive residual). */
  residualNorm: number;
  /** Recursive ‖r_k‖ for k = 0..iterations (the first 2²⁰ of them). */
  residualHistory: Float64Array;
}

// residualHistory keeps at most this many norms (8 MiB), whatever maxIter is.
const HISTORY_CAP = 1 << 20;

// Relative asymmetry above this is not a symmetric matrix that rounding spoiled.
const SYMMETRY_TOL = 1e-10;

export class Krylov {
  constructor(private readonly e: Engine) {}

  async cg(A: CsrMatrix | DenseMatrix | number[][], b: Float64Array, opts: CgOptions = {}): Promise<CgResult> {
    const m = toMatrix("A", A);
    const S = m instanceof CsrMatrix ? m : CsrMatrix.fromDense(m);
    if (S.rows !== S.cols) throw new NumlaneError("invalid-shape", `CG needs a square matrix, got ${S.rows}×${S.cols}`, "A");
    const n = S.rows;
    if (n === 0) throw new NumlaneError("invalid-size", "the matrix is empty", "A");
    allFinite("A", S.data);
    const asym = S.asymmetry();
    if (!(asym <= SYMMETRY_TOL)) {
      throw new NumlaneError("invalid-value", `CG needs a symmetric matrix; max |a_ij − a_ji| / max |a_ij| = ${asym.toExponential(2)}`, "A");
    }
    float64Array("b", b);
    if (b.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries to match A, got ${b.length}`, "b");
    allFinite("b", b);
    let x0: Float64Array | undefined;
    if (opts.x0 !== undefined) {
      x0 = float64Array("opts.x0", opts.x0);
      if (x0.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries to match A, got ${x0.length}`, "opts.x0");
      allFinite("opts.x0", x0);
    }
    const rtol = nonNegative("opts.rtol", opts.rtol ?? 1e-8);
    const atol = nonNegative("opts.atol", opts.atol ?? 0);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 10 * n, 0, 2 ** 30);
    const pre = opts.preconditioner ?? "none";
    if (pre === "ssor" || pre === "ic0") {
      throw new NumlaneError("unsupported", `the ${pre} preconditioner is not built yet; use "none" or "jacobi"`, "opts.preconditioner");
    }
    if (pre !== "none" && pre !== "jacobi") {
      throw new NumlaneError("invalid-value", `expected "none" or "jacobi", got ${String(pre)}`, "opts.preconditioner");
    }
    let dinv: Float64Array | undefined;
    if (pre === "jacobi") {
      dinv = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let d = 0;
        for (let k = S.indptr[i]; k < S.indptr[i + 1]; k++) if (S.indices[k] === i) d += S.data[k];
        // A symmetric positive definite matrix has a positive diagonal.
        if (!(d > 0)) throw new NumlaneError("invalid-value", `diagonal entry ${i} is ${d}: not positive definite, so Jacobi cannot scale it`, "A");
        dinv[i] = 1 / d;
      }
    }

    let bnorm = 0;
    for (let i = 0; i < n; i++) bnorm += b[i] * b[i];
    const tol = Math.max(rtol * Math.sqrt(bnorm), atol);

    const chunks = Math.ceil(n / CHUNK);
    const heap = this.e.heap;
    const historyCap = Math.min(maxIter + 1, HISTORY_CAP);
    const work = 8 * (4 * n + 4 * chunks + historyCap + 8) + 4 * 64;
    const scope = new CallScope(heap, [S.indptr, S.indices, S.data, b, ...(dinv ? [dinv] : [])], 8 * n + work);
    try {
      const indptr = scope.input(S.indptr), indices = scope.input(S.indices), data = scope.input(S.data);
      const bp = scope.input(b);
      const dp = dinv ? scope.input(dinv) : 0;
      const xp = scope.alloc(8 * n);
      if (x0) heap.f64.set(x0, xp >> 3); else heap.f64.fill(0, xp >> 3, (xp >> 3) + n);
      const wp = scope.alloc(8 * 4 * n), pp = scope.alloc(8 * 4 * chunks);
      const hp = scope.alloc(8 * historyCap), out = scope.alloc(64);
      heap.f64.fill(0, out >> 3, (out >> 3) + 8);
      const bytes = 12 * S.nnz + 8 * 7 * n;
      await this.e.pool.run("cg_f64", [indptr, indices, data, n, bp, xp, dp, wp, pp, hp, historyCap, maxIter, tol, out], {
        signal: opts.signal, onProgress: opts.onProgress, long: true, threads: this.e.threadsFor(bytes, opts),
      });
      const f64 = heap.f64, o = out >> 3;
      const iterations = f64[o];
      const reason = REASONS[f64[o + 1]];
      return {
        x: f64.slice(xp >> 3, (xp >> 3) + n),
        iterations,
        converged: reason === "converged",
        reason,
        residualNorm: f64[o + 3],
        residualHistory: f64.slice(hp >> 3, (hp >> 3) + Math.min(iterations + 1, historyCap)),
      };
    } finally {
      scope.free();
    }
  }
}

function nonNegative(name: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0) || v === Infinity) {
    throw new NumlaneError("invalid-value", `expected a finite number ≥ 0, got ${String(v)}`, name);
  }
  return v;
}
