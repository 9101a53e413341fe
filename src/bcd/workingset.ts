// nl.bcd with workingSet: the lasso by greedy working sets grown
// geometrically (celer / skglm), assembly/bcd/workingset.ts. This file checks
// what the kernel fits, lays the design out by columns and launches it.
import { NumlaneError } from "../errors.js";
import { HISTORY_CAP, type Engine } from "../engine.js";
import { CsrMatrix, type DenseMatrix } from "../matrix.js";
import { MAXIMUM_BYTES } from "../runtime/heap.js";
import * as kernels from "../generated/kernels.js";
import { result, unsupported, type BcdOptions, type BcdResult, type BcdRule, type Penalty } from "./generic.js";

/** The rules a working set is picked by: GS ranks the zeros by |gradient|, GSL and GSD by |gradient| over ‖a_j‖ (coordinate curvatures). */
const WORKING_SET_RULES: readonly BcdRule[] = ["gs", "gsl", "gsd"];

/** What workingSet fits, checked before anything is allocated: the least-squares lasso, a greedy rule, coordinate steps. */
export function checkWorkingSet(loss: string, pen: Penalty, opts: BcdOptions): BcdRule {
  if (loss !== "least-squares") unsupported(`workingSet is built for the least-squares loss, not "${loss}"`, "opts.workingSet");
  if (!(pen.l1 > 0)) unsupported("workingSet needs an l1 penalty > 0 (the working set is the support and its best candidates)", "problem.penalty.l1");
  if (pen.l2 !== 0 || pen.nonnegative) unsupported("workingSet fits the lasso: l2 and nonnegative are not built with it", "problem.penalty");
  const rule = opts.rule ?? "gsl";
  if (!WORKING_SET_RULES.includes(rule)) unsupported(`workingSet picks its coordinates by "gs", "gsl" or "gsd", not "${rule}"`, "opts.rule");
  if (opts.partition !== undefined && opts.partition !== "variable") unsupported(`workingSet chooses its own coordinates: partition "${opts.partition}" does not apply`, "opts.partition");
  if ((opts.blockSize ?? 1) !== 1) unsupported("workingSet steps one coordinate at a time (blockSize 1)", "opts.blockSize");
  if ((opts.update ?? "newton") !== "newton") unsupported(`workingSet's steps are exact coordinate minimisations ("newton"), not "${opts.update}"`, "opts.update");
  if (opts.activeSet) unsupported("activeSet and workingSet are two kinds of working set: give one", "opts.activeSet");
  return rule;
}

/** A by rows (CSR): a CsrMatrix as it is (the kernel lays it out by columns), a dense A's nonzeros. */
function byRows(A: CsrMatrix | DenseMatrix): CsrMatrix {
  if (A instanceof CsrMatrix) return A;
  const n = A.rows, p = A.cols, indptr = new Int32Array(n + 1);
  let nnz = 0;
  for (let i = 0; i < n; i++) { for (let j = 0; j < p; j++) if (A.get(i, j) !== 0) nnz++; indptr[i + 1] = nnz; }
  const indices = new Int32Array(nnz), data = new Float64Array(nnz);
  for (let i = 0, k = 0; i < n; i++) for (let j = 0; j < p; j++) { const v = A.get(i, j); if (v !== 0) { indices[k] = j; data[k++] = v; } }
  return new CsrMatrix(n, p, indptr, indices, data);
}

/**
 * The lasso ½‖A·x − b‖²/n + l1·‖x‖₁ by greedy working sets; tol bounds the
 * duality gap by tol·‖b‖²/n (scikit-learn's rule), maxIter the coordinate steps.
 */
export async function workingSetLasso(e: Engine, A: CsrMatrix | DenseMatrix, b: Float64Array, pen: Penalty, rule: BcdRule,
  o: { tol: number }, x0: Float64Array | undefined, maxIter: number, opts: BcdOptions): Promise<BcdResult> {
  const n = A.rows, p = A.cols;
  const S = byRows(A), nnz = S.nnz;
  // One history entry per outer step (20 at most on dataset A); the first 4096 are kept.
  const historyCap = Math.min(HISTORY_CAP, 4096);
  const shape = { n, p, nnz };
  const bytes = 4 * (n + 1) + 12 * nnz + 8 * (n + p + historyCap) + 5 * 64 + e.launchBytes(kernels.lasso_ws_f64, shape, 1);
  if (bytes > MAXIMUM_BYTES) {
    throw new NumlaneError("out-of-memory", `A is ${n}×${p} with ${nnz} nonzeros: workingSet needs ${(bytes / 2 ** 30).toFixed(2)} GiB, more than wasm's ${MAXIMUM_BYTES / 2 ** 30} GiB`, "problem.A");
  }
  let bb = 0;
  for (let i = 0; i < n; i++) bb += b[i] * b[i];
  const scope = await e.scope({ signal: opts.signal, long: true }, [S.indptr, S.indices, S.data, b], bytes);
  try {
    const x = scope.alloc(8 * p), history = scope.alloc(8 * historyCap);
    if (x0) e.heap.f64.set(x0, x >> 3); else e.heap.f64.fill(0, x >> 3, (x >> 3) + p);
    const r = await scope.launch(kernels.lasso_ws_f64, {
      ...shape, rowPtr: scope.input(S.indptr), rowIdx: scope.input(S.indices), rowVal: scope.input(S.data), b: scope.input(b), x,
      lambdaN: pen.l1 * n, tol: o.tol * bb, maxIter, normalize: rule === "gs" ? 0 : 1, history, historyCap,
    }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads: 1 });
    // The history has one entry per outer round (a working set solved).
    return { ...result(e, { ...r, epochs: r.outer }, x, p, history, historyCap), gap: r.gap };
  } finally {
    scope.free();
  }
}
