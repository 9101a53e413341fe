// L2 logistic regression by L-BFGS or a trust-region Newton method (assembly/bcd/newton.ts),
// binary or multinomial, with intercepts and sample weights: the shared checks
// of labels and weights, and the launch.
import { NumlaneError } from "../errors.js";
import { reasonName, type CallOptions, type Engine } from "../engine.js";
import type { DenseMatrix } from "../matrix.js";
import * as K from "../generated/kernels.js";
import { allFinite, checkAttached, float64Array, int32Array } from "../validate.js";
import { columnMajor, columnMajorBytes, type BcdResult } from "../bcd/generic.js";

/** Why a logistic fit stopped: "breakdown" when no step lowers the objective in floating point before the criterion holds. */
export type LogisticReason = "converged" | "max-iterations" | "aborted" | "breakdown";

export interface LogisticResult extends Omit<BcdResult, "reason"> {
  reason: LogisticReason;
  /** The intercepts: one (binary) or one per class; zeros without fitIntercept. */
  intercept: Float64Array;
  /** ‖∇f‖ at x (the Newton solver's stopping quantity: ≤ tol·‖∇f(0)‖). */
  gradNorm?: number;
  /** Hessian-vector products done (the Newton solver's inner CG iterations). */
  cgIterations?: number;
  /** L2: evaluations of the objective (each L-BFGS line-search trial, each TRON trial step, and the start). */
  evaluations?: number;
}

/** Labels as f64: y as the signature says (Float64Array, Int32Array or number[]), `n` of them. */
export function labelArray(labels: unknown, n: number): Float64Array {
  if (Array.isArray(labels)) {
    const bad = labels.findIndex((v) => typeof v !== "number");
    if (bad >= 0) throw new NumlaneError("invalid-type", `labels must be numbers; y[${bad}] is ${typeof labels[bad]}`, "y");
  }
  const y = labels instanceof Int32Array ? Float64Array.from(int32Array("y", labels)) : Array.isArray(labels) ? Float64Array.from(labels) : float64Array("y", labels);
  if (y.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} labels to match A's rows, got ${y.length}`, "y");
  return y;
}

/** Class indices 0..classes−1 as f64. */
export function classLabels(labels: unknown, n: number, classes: number): Float64Array {
  if (ArrayBuffer.isView(labels)) checkAttached("y", labels);
  const y = labelArray(labels, n);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(y[i]) || y[i] < 0 || y[i] >= classes) throw new NumlaneError("invalid-value", `labels must be class indices 0..${classes - 1}; y[${i}] is ${y[i]}`, "y");
  }
  return y;
}

/** opts.sampleWeight checked: n finite weights ≥ 0, not all zero; ones when absent. */
export function sampleWeights(w: unknown, n: number): Float64Array {
  if (w === undefined) return new Float64Array(n).fill(1);
  const v = Array.isArray(w) ? Float64Array.from(w, (x, i) => {
    if (typeof x !== "number") throw new NumlaneError("invalid-type", `weights must be numbers; sampleWeight[${i}] is ${typeof x}`, "opts.sampleWeight");
    return x;
  }) : float64Array("opts.sampleWeight", w);
  if (v.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} weights to match A's rows, got ${v.length}`, "opts.sampleWeight");
  allFinite("opts.sampleWeight", v);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (v[i] < 0) throw new NumlaneError("invalid-value", `weights must be ≥ 0; sampleWeight[${i}] is ${v[i]}`, "opts.sampleWeight");
    total += v[i];
  }
  if (!(total > 0)) throw new NumlaneError("invalid-value", "the weights are all zero: nothing to fit", "opts.sampleWeight");
  return v;
}

export interface NewtonFit {
  /** 1 (binary, y ∈ {−1, 1}) or the number of classes (y class indices). */
  classes: number;
  C: number;
  fitIntercept: boolean;
  tol: number;
  maxIter: number;
  solver: LogisticSolver;
}

/** The L2 fits' methods: a trust-region Newton method (TRON) or L-BFGS. */
export type LogisticSolver = "newton" | "lbfgs";

/**
 * ½‖W‖² + C·Σ s_i·ℓ_i by L-BFGS or TRON in one launch; A dense, y and s checked.
 * x: classes×p (class k at x[k·p ..]); intercept: one per class.
 */
export async function newtonLogistic(e: Engine, D: DenseMatrix, y: Float64Array, sw: Float64Array, fit: NewtonFit, opts: CallOptions): Promise<LogisticResult> {
  const n = D.rows, p = D.cols, k = fit.classes, fi = fit.fitIntercept ? 1 : 0, pp = p + fi, m = k * pp;
  const threads = e.threadsFor(8 * n * p, opts);
  const solver = fit.solver === "lbfgs" ? 1 : 0;
  const launchBytes = e.launchBytes(K.logistic_newton_f64, { n, p, k, fitIntercept: fi, solver }, threads);
  const scope = await e.scope({ signal: opts.signal, long: true }, [D.data, y, sw], 8 * m + 64 + columnMajorBytes(e, D) + launchBytes);
  try {
    const a = await columnMajor(e, scope, D, opts);
    const x = scope.alloc(8 * m);
    e.heap.f64.fill(0, x >> 3, (x >> 3) + m);
    const r = await scope.launch(K.logistic_newton_f64, {
      a, n, p, k, y: scope.input(y), sw: scope.input(sw), x, c: fit.C, fitIntercept: fi, maxIter: fit.maxIter, tol: fit.tol, solver,
    }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
    const all = e.heap.f64.subarray(x >> 3, (x >> 3) + m);
    const coef = new Float64Array(k * p), intercept = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      coef.set(all.subarray(c * pp, c * pp + p), c * p);
      if (fi) intercept[c] = all[c * pp + p];
    }
    if (k > 1) {
      // The softmax is the same for intercepts shifted together: report the ones summing to 0 (scikit-learn's).
      let mean = 0;
      for (let c = 0; c < k; c++) mean += intercept[c] / k;
      for (let c = 0; c < k; c++) intercept[c] -= mean;
    }
    const reason = reasonName(r.reason) as LogisticReason;
    return {
      x: coef, intercept, objective: r.objective, iterations: r.iterations,
      converged: reason === "converged", reason, gradNorm: r.gradNorm, evaluations: r.evaluations,
      ...(solver === 0 ? { cgIterations: r.cgIterations } : {}), history: new Float64Array(0),
    };
  } finally {
    scope.free();
  }
}
