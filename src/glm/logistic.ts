// Logistic regression's launches: L2 by L-BFGS or a trust-region Newton method
// (assembly/bcd/newton.ts), binary or multinomial; binary L1 / elastic net (and
// L2 with positive) by newGLMNET (assembly/bcd/glmnet.ts); with intercepts,
// sample weights and warm starts: the shared checks of labels, weights and
// starting points, and the launches.
import { NumlaneError } from "../errors.js";
import { reasonName, type CallOptions, type Engine, type TurnScope } from "../engine.js";
import { CsrMatrix, type DenseMatrix } from "../matrix.js";
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

/** A numeric array option (Float64Array or number[]) as f64, `length` finite entries; `what` names them in the message. */
function numbers(name: string, v: unknown, length: number, what: string): Float64Array {
  let out: Float64Array;
  if (Array.isArray(v)) {
    const bad = v.findIndex((x) => typeof x !== "number");
    if (bad >= 0) throw new NumlaneError("invalid-type", `expected numbers; ${name.slice(5)}[${bad}] is ${typeof v[bad]}`, name);
    out = Float64Array.from(v);
  } else {
    out = Float64Array.from(float64Array(name, v));
  }
  if (out.length !== length) throw new NumlaneError("invalid-shape", `expected ${length} entries (${what}), got ${out.length}`, name);
  allFinite(name, out);
  return out;
}

/**
 * The kernels' start in wasm memory at byte x: zeros, or the warm start laid
 * out class by class, each class's p coefficients then, with an intercept
 * (fi = 1), its intercept.
 */
export function writeStart(f64: Float64Array, x: number, warm: WarmStart | undefined, classes: number, p: number, fi: number): void {
  const stride = p + fi, at = x >> 3;
  f64.fill(0, at, at + classes * stride);
  if (!warm) return;
  for (let c = 0; c < classes; c++) {
    f64.set(warm.x.subarray(c * p, (c + 1) * p), at + c * stride);
    if (fi) f64[at + c * stride + p] = warm.intercept[c];
  }
}

/** A warm start: coefficients (classes×p, class k at k·p) and intercepts (one per class). */
export interface WarmStart {
  x: Float64Array;
  intercept: Float64Array;
}

/**
 * opts.x0 and opts.intercept0 checked (lengths, finite; x0 ≥ 0 with positive;
 * intercept0 only with fitIntercept): undefined when neither is given, else the
 * start with zeros for the one left out.
 */
export function warmStart(x0: unknown, intercept0: unknown, p: number, classes: number, fitIntercept: boolean, positive: boolean): WarmStart | undefined {
  if (x0 === undefined && intercept0 === undefined) return undefined;
  const shape = classes === 1 ? `A's ${p} columns` : `${classes} classes × ${p} columns, class k at k·p`;
  const x = x0 === undefined ? new Float64Array(classes * p) : numbers("opts.x0", x0, classes * p, shape);
  if (positive) {
    const bad = x.findIndex((v) => v < 0);
    if (bad >= 0) throw new NumlaneError("invalid-value", `must be ≥ 0 with positive; x0[${bad}] is ${x[bad]}`, "opts.x0");
  }
  let intercept: Float64Array = new Float64Array(classes);
  if (intercept0 !== undefined) {
    if (!fitIntercept) throw new NumlaneError("invalid-value", "there is no intercept to start: fitIntercept is false", "opts.intercept0");
    intercept = typeof intercept0 === "number" && classes === 1 ? numbers("opts.intercept0", [intercept0], 1, "one")
      : numbers("opts.intercept0", intercept0, classes, classes === 1 ? "one, or a number" : "one per class");
  }
  return { x, intercept };
}

export interface NewtonFit {
  /** 1 (binary, y ∈ {−1, 1}) or the number of classes (y class indices). */
  classes: number;
  C: number;
  fitIntercept: boolean;
  tol: number;
  maxIter: number;
  solver: LogisticSolver;
  warm?: WarmStart;
}

/** The L2 fits' methods: a trust-region Newton method (TRON) or L-BFGS. */
export type LogisticSolver = "newton" | "lbfgs";

/**
 * The kernels' k blocks of p coefficients (+ the intercept) apart: x is k×p,
 * the intercepts one per class.
 */
export function classBlocks(all: Float64Array, k: number, p: number, fitIntercept: boolean): { coef: Float64Array; intercept: Float64Array } {
  const pp = p + (fitIntercept ? 1 : 0);
  const coef = new Float64Array(k * p), intercept = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    coef.set(all.subarray(c * pp, c * pp + p), c * p);
    if (fitIntercept) intercept[c] = all[c * pp + p];
  }
  if (k > 1) {
    // The softmax is the same for intercepts shifted together: report the ones summing to 0 (scikit-learn's).
    let mean = 0;
    for (let c = 0; c < k; c++) mean += intercept[c] / k;
    for (let c = 0; c < k; c++) intercept[c] -= mean;
  }
  return { coef, intercept };
}

/**
 * ½‖W‖² + C·Σ s_i·ℓ_i by L-BFGS or TRON in one launch; A dense or CSR (its
 * nonzeros go in by rows and, on more than one thread, transposed, by columns: never densified),
 * checked and finite, y and s checked.
 * x: classes×p (class k at x[k·p ..]); intercept: one per class.
 */
export async function newtonLogistic(e: Engine, A: DenseMatrix | CsrMatrix, y: Float64Array, sw: Float64Array, fit: NewtonFit, opts: CallOptions): Promise<LogisticResult> {
  const n = A.rows, p = A.cols, k = fit.classes, fi = fit.fitIntercept ? 1 : 0, pp = p + fi, m = k * pp;
  const S = A instanceof CsrMatrix ? A : undefined;
  // A pass reads each nonzero's value and index (dense: each entry).
  const threads = e.threadsFor(S ? 12 * S.nnz : 8 * n * p, opts);
  // Threads share Xᵀ·r by columns (the CSC, a transpose); one thread scatters it from the rows (the same bits, no copy).
  const T = S && threads > 1 ? S.transpose() : undefined;
  const solver = fit.solver === "lbfgs" ? 1 : 0, sparse = S ? 1 : 0;
  const launchBytes = e.launchBytes(K.logistic_newton_f64, { n, p, k, fitIntercept: fi, solver, sparse }, threads);
  const inputs = S ? [S.data, S.indptr, S.indices, ...(T ? [T.data, T.indptr, T.indices] : []), y, sw] : [A.data, y, sw];
  const scope = await e.scope({ signal: opts.signal, long: true }, inputs, 8 * m + 64 + (S ? 0 : columnMajorBytes(e, A as DenseMatrix)) + launchBytes);
  try {
    const a = S ? scope.input(S.data) : await columnMajor(e, scope, A as DenseMatrix, opts);
    const x = scope.alloc(8 * m);
    writeStart(e.heap.f64, x, fit.warm, k, p, fi);
    const r = await scope.launch(K.logistic_newton_f64, {
      a, sparse, rowptr: S ? scope.input(S.indptr) : 0, cols: S ? scope.input(S.indices) : 0,
      csc: T ? scope.input(T.data) : 0, colptr: T ? scope.input(T.indptr) : 0, rows: T ? scope.input(T.indices) : 0,
      n, p, k, y: scope.input(y), sw: scope.input(sw), x, c: fit.C, fitIntercept: fi, maxIter: fit.maxIter, tol: fit.tol, solver, warm: fit.warm ? 1 : 0,
    }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
    const { coef, intercept } = classBlocks(e.heap.f64.subarray(x >> 3, (x >> 3) + m), k, p, fit.fitIntercept);
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

/**
 * A design as the column-reading kernels (newGLMNET, the multinomial L1 fit)
 * take it: a CsrMatrix by its nonzeros column by column (the CSR of Aᵀ, never
 * densified), a dense one column-major. `arrays` go into the scope, `bytes` is
 * the room a dense transpose may need there, `place` gives the launch's a,
 * colptr and rows (colptr = 0: dense).
 */
export function byColumns(e: Engine, A: DenseMatrix | CsrMatrix) {
  const T = A instanceof CsrMatrix ? A.transpose() : undefined;
  return {
    arrays: T ? [T.data, T.indptr, T.indices] : [(A as DenseMatrix).data],
    bytes: T ? 0 : columnMajorBytes(e, A as DenseMatrix),
    place: async (scope: TurnScope, opts: CallOptions) => ({
      a: T ? scope.input(T.data) : await columnMajor(e, scope, A as DenseMatrix, opts),
      colptr: T ? scope.input(T.indptr) : 0,
      rows: T ? scope.input(T.indices) : 0,
    }),
  };
}

export interface GlmnetFit {
  C: number;
  /** The penalty α‖w‖₁ + β/2·‖w‖². */
  alpha: number;
  beta: number;
  positive: boolean;
  fitIntercept: boolean;
  tol: number;
  maxIter: number;
  warm?: WarmStart;
}

/**
 * Binary α‖w‖₁ + β/2·‖w‖² + C·Σ s_i·ℓ_i (w ≥ 0 with positive) by newGLMNET in
 * one launch, on one thread (its passes are single columns, too short to
 * share); A dense or CSR (read by columns, never densified), checked and
 * finite, y (−1/1) and s checked.
 */
export async function glmnetLogistic(e: Engine, A: DenseMatrix | CsrMatrix, y: Float64Array, sw: Float64Array, fit: GlmnetFit, opts: CallOptions): Promise<LogisticResult> {
  const n = A.rows, p = A.cols, fi = fit.fitIntercept ? 1 : 0;
  const heap = e.heap;
  const threads = 1;
  const columns = byColumns(e, A);
  const launchBytes = e.launchBytes(K.logistic_glmnet_f64, { n, p }, threads);
  const scope = await e.scope({ signal: opts.signal, long: true }, [...columns.arrays, y, sw], 8 * (p + fi) + 64 + columns.bytes + launchBytes);
  try {
    const design = await columns.place(scope, opts);
    const w = scope.alloc(8 * (p + fi));
    writeStart(heap.f64, w, fit.warm, 1, p, fi);
    const r = await scope.launch(K.logistic_glmnet_f64, {
      ...design, n, p, y: scope.input(y), sw: scope.input(sw), w, fitIntercept: fi, c: fit.C,
      alpha: fit.alpha, beta: fit.beta, positive: fit.positive ? 1 : 0, warm: fit.warm ? 1 : 0, maxIter: fit.maxIter, tol: fit.tol,
    }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
    const x = e.copyOut(heap.f64.subarray(w >> 3, (w >> 3) + p));
    const intercept = Float64Array.of(fi ? heap.f64[(w >> 3) + p] : 0);
    let l1 = 0, sq = 0;
    for (let j = 0; j < p; j++) { l1 += Math.abs(x[j]); sq += x[j] * x[j]; }
    // The loss is summed in wasm: the same bits in every runtime.
    const pen = fit.beta === 0 ? fit.alpha * l1 : fit.alpha * l1 + 0.5 * fit.beta * sq;
    const reason = reasonName(r.reason) as LogisticReason;
    return { x, intercept, objective: pen + fit.C * r.loss, iterations: r.iterations, converged: reason === "converged", reason, violation: r.violation, history: new Float64Array(0) };
  } finally {
    scope.free();
  }
}
