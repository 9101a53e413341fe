// Coordinate descent family. nl.lasso: scikit-learn's Lasso objective
// 1/(2n)‖b − A·x‖² + λ‖x‖₁, cyclic coordinate descent with the duality-gap
// stopping rule, the whole fit in one SPMD launch (assembly/bcd/lasso.ts).
import { NumlaneError } from "./errors.js";
import { chunkCount, HISTORY_CAP, type CallOptions, type Engine } from "./engine.js";
import { CsrMatrix, DenseMatrix, toMatrix } from "./matrix.js";
import { CallScope } from "./runtime/heap.js";
import { allFinite, float64Array, integer, nonNegative } from "./validate.js";


export type BcdReason = "converged" | "max-iterations" | "aborted";
const REASONS: Record<number, BcdReason> = { 0: "converged", 1: "max-iterations", 4: "aborted" };

export interface LassoOptions extends CallOptions {
  /** The L1 weight λ ≥ 0 (scikit-learn's alpha). */
  lambda: number;
  /** Full sweeps over the coordinates; default 1000 (as scikit-learn). */
  maxIter?: number;
  /** Stop when the duality gap ≤ tol·‖b‖²/n (scikit-learn's rule); default 1e-4. */
  tol?: number;
  /** Starting point (default zeros). Never modified. */
  x0?: Float64Array;
}

export interface BcdResult {
  x: Float64Array;
  /** 1/(2n)‖b − A·x‖² + λ‖x‖₁ at x. */
  objective: number;
  /** Sweeps done. */
  iterations: number;
  converged: boolean;
  reason: BcdReason;
  /** Duality gap at the last check, in the objective's units (scikit-learn's dual_gap_). */
  gap?: number;
  /** Gap after each sweep where it was checked (NaN where it was not). */
  history: Float64Array;
}

export class Bcd {
  constructor(private readonly e: Engine) {}

  async lasso(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoOptions): Promise<BcdResult> {
    const m = toMatrix("A", A);
    const D = m instanceof CsrMatrix ? m.toDense() : m;
    const n = D.rows, p = D.cols;
    if (n === 0 || p === 0) throw new NumlaneError("invalid-size", `A is ${n}×${p}: nothing to fit`, "A");
    allFinite("A", D.data);
    float64Array("b", b);
    if (b.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries to match A's rows, got ${b.length}`, "b");
    allFinite("b", b);
    if (opts === null || typeof opts !== "object") throw new NumlaneError("invalid-type", "expected { lambda, ... }", "opts");
    const lambda = nonNegative("opts.lambda", opts.lambda);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000, 1, 2 ** 30);
    const tol = nonNegative("opts.tol", opts.tol ?? 1e-4);
    let x0: Float64Array | undefined;
    if (opts.x0 !== undefined) {
      x0 = float64Array("opts.x0", opts.x0);
      if (x0.length !== p) throw new NumlaneError("invalid-shape", `expected ${p} entries (A's columns), got ${x0.length}`, "opts.x0");
      allFinite("opts.x0", x0);
    }

    let bb = 0;
    for (let i = 0; i < n; i++) bb += b[i] * b[i];

    const chunks = chunkCount(n);
    const historyCap = Math.min(maxIter, HISTORY_CAP);
    const heap = this.e.heap;
    const rowMajor = D.layout === "row-major";
    // The kernel wants columns contiguous: a row-major A is transposed in wasm.
    const extra = 8 * (n + 2 * p + (4 + p) * chunks + historyCap + 8 + (rowMajor ? n * p : 0)) + 6 * 64;
    const scope = new CallScope(heap, [D.data, b], extra);
    try {
      const threadsMove = this.e.threadsFor(16 * n * p, opts);
      let ap = scope.input(D.data);
      if (rowMajor) {
        const t = scope.alloc(8 * n * p);
        await this.e.pool.run("transpose_f64", [ap, n, p, t], { signal: opts.signal, threads: threadsMove });
        ap = t;
      }
      const bp = scope.input(b), cp = scope.alloc(8 * p);
      const rp = scope.alloc(8 * n);
      const xp = scope.alloc(8 * p);
      if (x0) heap.f64.set(x0, xp >> 3); else heap.f64.fill(0, xp >> 3, (xp >> 3) + p);
      const pp = scope.alloc(8 * (4 + p) * chunks), hp = scope.alloc(8 * historyCap), out = scope.alloc(64);
      const threads = this.e.threadsFor(8 * n * 16, opts);
      await this.e.pool.run("lasso_cd_f64", [ap, n, p, bp, xp, rp, cp, lambda * n, maxIter, tol * bb, tol, pp, hp, historyCap, out], {
        signal: opts.signal, onProgress: opts.onProgress, long: true, threads,
      });
      const f64 = heap.f64, o = out >> 3;
      const iterations = f64[o];
      const reason = REASONS[f64[o + 1]];
      const x = f64.slice(xp >> 3, (xp >> 3) + p);
      let rr = 0, l1 = 0;
      for (let i = 0; i < n; i++) rr += f64[(rp >> 3) + i] ** 2;
      for (let j = 0; j < p; j++) l1 += Math.abs(x[j]);
      return {
        x,
        objective: rr / (2 * n) + lambda * l1,
        iterations,
        converged: reason === "converged",
        reason,
        gap: f64[o + 2] / n,
        history: f64.slice(hp >> 3, (hp >> 3) + Math.min(iterations, historyCap)).map((g) => g / n),
      };
    } finally {
      scope.free();
    }
  }
}

