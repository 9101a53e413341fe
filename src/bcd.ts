// Coordinate descent family: nl.bcd (src/bcd/generic.ts), nl.lasso and
// nl.lassoPath (src/bcd/lasso.ts), nl.logisticRegression.
import { NumlaneError } from "./errors.js";
import { reasonName, type CallOptions, type Engine } from "./engine.js";
import { CsrMatrix, DenseMatrix } from "./matrix.js";
import * as K from "./generated/kernels.js";
import { allFinite, callOptionKeys, checkAttached, checkOptions, float64Array, int32Array, integer, nonNegative, positive, type OptionKeys } from "./validate.js";
import { refuseUnsafeScale } from "./sketch.js";
import { lasso, lassoPath, type LassoOptions, type LassoPathOptions, type LassoPathResult, type LassoResult } from "./bcd/lasso.js";
import { bcdReason, bcdSolve, columnMajor, columnMajorBytes, denseOf, type BcdOptions, type BcdProblem, type BcdReason, type BcdResult } from "./bcd/generic.js";

export type { BcdReason, BcdResult } from "./bcd/generic.js";
export type { LassoOptions, LassoPathOptions, LassoPathResult, LassoResult } from "./bcd/lasso.js";

export interface LogisticOptions extends CallOptions {
  /** Inverse regularisation strength (scikit-learn's C); or give lambda = 1/(n·C). Default C = 1. */
  C?: number;
  lambda?: number;
  /** "l2" (default): ½‖w‖² + C·Σ loss; "l1": ‖w‖₁ + C·Σ loss (sparse w). */
  penalty?: "l2" | "l1";
  /** Stop when the largest optimality violation of a sweep ≤ tol × the first sweep's; default 1e-6. */
  tol?: number;
  /** Sweeps over the coordinates; default 1000. */
  maxIter?: number;
  /**
   * "multinomial": labels 0..classes−1 (y as Float64Array, Int32Array or
   * number[]), the softmax loss, ½‖W‖² (or ‖W‖₁) + C·Σ loss; the result's x is
   * classes×p (class k's coefficients at x[k·p ..]). Fitted by nl.bcd with
   * Newton steps on greedy (GSD) variable blocks unless `bcd` says otherwise.
   * Default false: binary, labels −1/1.
   */
  multiClass?: false | "multinomial";
  /** Multinomial only: the nl.bcd settings (partition, blockSize, rule, update, seed, x0). */
  bcd?: Pick<BcdOptions, "partition" | "blockSize" | "rule" | "update" | "seed" | "x0" | "activeSet">;
  /** Multinomial only: the number of classes (default max(y) + 1). */
  classes?: number;
}
const LOGISTIC_KEYS = callOptionKeys<LogisticOptions>({
  C: true, lambda: true, penalty: true, tol: true, maxIter: true, multiClass: true, bcd: true, classes: true,
});
const LOGISTIC_BCD_KEYS: OptionKeys<NonNullable<LogisticOptions["bcd"]>> = {
  partition: true, blockSize: true, rule: true, update: true, seed: true, x0: true, activeSet: true,
};

const toDense = (A: unknown): DenseMatrix => denseOf("A", A);

export class Bcd {
  constructor(private readonly e: Engine) {}

  /** Generic block coordinate descent on one of the losses (src/bcd/generic.ts). */
  bcd(problem: BcdProblem, opts?: BcdOptions): Promise<BcdResult> {
    return bcdSolve(this.e, problem, opts);
  }

  /** The lasso / elastic net (src/bcd/lasso.ts). */
  lasso(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoOptions): Promise<LassoResult> {
    return lasso(this.e, A, b, opts);
  }

  /** The lasso along a decreasing sequence of λ, warm-started (src/bcd/lasso.ts). */
  lassoPath(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoPathOptions = {}): Promise<LassoPathResult> {
    return lassoPath(this.e, A, b, opts);
  }

  /**
   * Binary logistic regression (no intercept: add a column of ones to A for
   * one), labels y ∈ {−1, 1}, by coordinate descent with Newton steps and an
   * Armijo line search (LIBLINEAR's primal CDN), one SPMD launch.
   */
  async logisticRegression(A: DenseMatrix | CsrMatrix | number[][], labels: Float64Array | Int32Array | number[], opts: LogisticOptions = {}): Promise<BcdResult> {
    const D = toDense(A);
    const n = D.rows, p = D.cols;
    if (n === 0 || p === 0) throw new NumlaneError("invalid-size", `A is ${n}×${p}: nothing to fit`, "A");
    checkOptions("opts", opts, LOGISTIC_KEYS);
    if (opts.multiClass !== undefined && opts.multiClass !== false && opts.multiClass !== "multinomial") {
      throw new NumlaneError("invalid-value", `expected false or "multinomial", got ${String(opts.multiClass)}`, "opts.multiClass");
    }
    if (opts.C !== undefined && opts.lambda !== undefined) throw new NumlaneError("invalid-value", "give C or lambda, not both", "opts.C");
    const C = opts.lambda !== undefined ? 1 / (n * nonNegative("opts.lambda", opts.lambda)) : nonNegative("opts.C", opts.C ?? 1);
    if (!(C > 0) || C === Infinity) throw new NumlaneError("invalid-value", `the regularisation must be positive and finite (C = ${C})`, opts.lambda !== undefined ? "opts.lambda" : "opts.C");
    const penalty = opts.penalty ?? "l2";
    if (penalty !== "l2" && penalty !== "l1") throw new NumlaneError("invalid-value", `expected "l2" or "l1", got ${String(penalty)}`, "opts.penalty");
    if (opts.multiClass === "multinomial") return this.multinomial(D, labels, C, penalty, opts);
    for (const k of ["bcd", "classes"] as const) if (opts[k] !== undefined) throw new NumlaneError("invalid-value", `${k} is for multiClass: "multinomial"`, `opts.${k}`);
    allFinite("A", D.data);
    refuseUnsafeScale("A", D.data);
    // Int32Array and number[] labels are taken as the signature says (copied to f64).
    if (Array.isArray(labels)) {
      const bad = labels.findIndex((v) => typeof v !== "number");
      if (bad >= 0) throw new NumlaneError("invalid-type", `labels must be numbers; y[${bad}] is ${typeof labels[bad]}`, "y");
    }
    const y = labels instanceof Int32Array ? Float64Array.from(int32Array("y", labels)) : Array.isArray(labels) ? Float64Array.from(labels) : float64Array("y", labels);
    if (y.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} labels to match A's rows, got ${y.length}`, "y");
    for (let i = 0; i < n; i++) if (y[i] !== 1 && y[i] !== -1) throw new NumlaneError("invalid-value", `labels must be −1 or 1; y[${i}] is ${y[i]}`, "y");
    const tol = nonNegative("opts.tol", opts.tol ?? 1e-6);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000, 1, 2 ** 30);
    const heap = this.e.heap;
    const threads = this.e.threadsFor(8 * n * 16, opts);
    const launchBytes = this.e.launchBytes(K.logistic_cdn_f64, { n }, threads);
    const scope = await this.e.scope({ signal: opts.signal, long: true }, [D.data, y], 8 * p + 64 + columnMajorBytes(this.e, D) + launchBytes);
    try {
      const ap = await columnMajor(this.e, scope, D, opts);
      const w = scope.alloc(8 * p);
      heap.f64.fill(0, w >> 3, (w >> 3) + p);
      const r = await scope.launch(K.logistic_cdn_f64, {
        a: ap, n, p, y: scope.input(y), w, c: C, l1: penalty === "l1" ? 1 : 0, maxIter, tol,
      }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
      const x = this.e.copyOut(heap.f64.subarray(w >> 3, (w >> 3) + p));
      let pen = 0;
      for (let j = 0; j < p; j++) pen += penalty === "l1" ? Math.abs(x[j]) : 0.5 * x[j] * x[j];
      // The loss is summed in wasm: the same bits in every runtime.
      const reason = bcdReason(r.reason);
      return { x, objective: pen + C * r.loss, iterations: r.iterations, converged: reason === "converged", reason, history: new Float64Array(0) };
    } finally {
      scope.free();
    }
  }

  /**
   * Multinomial logistic regression through nl.bcd's softmax loss, in its
   * mean-loss scaling (penalty weight 1/(n·C)); the objective is reported in
   * this method's own scaling, penalty + C·Σ loss, as for the binary fit.
   */
  private async multinomial(D: DenseMatrix, y: ArrayLike<number>, C: number, penalty: "l1" | "l2", opts: LogisticOptions): Promise<BcdResult> {
    const n = D.rows, p = D.cols;
    if (y === null || typeof y !== "object" || typeof (y as ArrayLike<number>).length !== "number") throw new NumlaneError("invalid-type", "expected an array of class indices", "y");
    if (ArrayBuffer.isView(y)) checkAttached("y", y);
    let top = 0;
    for (let i = 0; i < y.length; i++) if (Number.isInteger(y[i]) && y[i] > top) top = y[i];
    const classes = opts.classes !== undefined ? integer("opts.classes", opts.classes, 2, 1 << 16) : Math.max(2, top + 1);
    const o = checkOptions("opts.bcd", opts.bcd, LOGISTIC_BCD_KEYS) ?? {};
    const m = p * classes;
    const fit = await this.bcd(
      { loss: "softmax", A: D, y, classes, penalty: penalty === "l2" ? { l2: 1 / (n * C) } : { l1: 1 / (n * C) } },
      {
        partition: "variable", blockSize: Math.min(m, 16), rule: "gsd", update: "newton", ...o,
        tol: opts.tol ?? 1e-6, maxIter: opts.maxIter, signal: opts.signal, onProgress: opts.onProgress, threads: opts.threads,
      },
    );
    return { ...fit, objective: fit.objective * n * C };
  }
}
