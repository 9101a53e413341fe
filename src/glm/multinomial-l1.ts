// Multinomial logistic regression with an L1 (or elastic-net) penalty, per-class
// unpenalised intercepts and sample weights (assembly/bcd/multinomial_l1.ts):
// the launch and the result.
import { reasonName, type CallOptions, type Engine } from "../engine.js";
import type { CsrMatrix, DenseMatrix } from "../matrix.js";
import * as K from "../generated/kernels.js";
import { byColumns, classBlocks, writeStart, type LogisticReason, type LogisticResult, type WarmStart } from "./logistic.js";

export interface MultinomialL1Fit {
  classes: number;
  C: number;
  /** The penalty l1Ratio·‖W‖₁ + ½(1 − l1Ratio)·‖W‖² (scikit-learn's elastic net); 1: the L1 penalty alone. */
  l1Ratio: number;
  fitIntercept: boolean;
  tol: number;
  maxIter: number;
  warm?: WarmStart;
}

/**
 * l1Ratio·‖W‖₁ + ½(1 − l1Ratio)·‖W‖² + C·Σ s_i·ℓ_i in one launch, one
 * thread; A dense or CSR (read by columns, never densified), y (class
 * indices) and s checked. x: classes×p (class k at x[k·p ..]); intercept: one
 * per class, summing to 0.
 */
export async function multinomialL1(e: Engine, A: DenseMatrix | CsrMatrix, y: Float64Array, sw: Float64Array, fit: MultinomialL1Fit, opts: CallOptions): Promise<LogisticResult> {
  const n = A.rows, p = A.cols, k = fit.classes, fi = fit.fitIntercept ? 1 : 0, m = k * (p + fi);
  // One thread: a class step's passes are single columns, too short to share.
  const threads = 1;
  const columns = byColumns(e, A);
  const launchBytes = e.launchBytes(K.multinomial_l1_f64, { n, p, k }, threads);
  const scope = await e.scope({ signal: opts.signal, long: true }, [...columns.arrays, y, sw], 8 * m + 64 + columns.bytes + launchBytes);
  try {
    const design = await columns.place(scope, opts);
    const x = scope.alloc(8 * m);
    writeStart(e.heap.f64, x, fit.warm, k, p, fi);
    const r = await scope.launch(K.multinomial_l1_f64, {
      ...design, n, p, k, y: scope.input(y), sw: scope.input(sw), x, fitIntercept: fi, c: fit.C, l1: fit.l1Ratio, l2: 1 - fit.l1Ratio, warm: fit.warm ? 1 : 0, maxIter: fit.maxIter, tol: fit.tol,
    }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
    const { coef, intercept } = classBlocks(e.heap.f64.subarray(x >> 3, (x >> 3) + m), k, p, fit.fitIntercept);
    const reason = reasonName(r.reason) as LogisticReason;
    // The objective is summed in wasm: the same bits in every runtime.
    return { x: coef, intercept, objective: r.objective, iterations: r.iterations, converged: reason === "converged", reason, violation: r.violation, history: new Float64Array(0) };
  } finally {
    scope.free();
  }
}
