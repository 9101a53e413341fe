// Lasso / elastic net by cyclic coordinate descent over a sparse design held
// by columns (CSC), touching only the nonzeros: scikit-learn's objective
// scaled by n, as lasso_cd_f64 (assembly/bcd/lasso.ts):
//   ½‖b − Ã·x‖² + l1·‖x‖₁ + ½·l2·‖x‖²,   Ã = diag(s)·(A − 1·μᵀ)
// where `vals` holds diag(s)·A's nonzeros (s: √sample weights, ones without
// weights) and μ the column means (zeros without an intercept). Ã is never
// formed: it is dense once centred. The residual is kept as r = b − diag(s)·A·x
// and the centring as one scalar c = μᵀx, so the true residual is r + c·s; a
// step on column j costs its nonzeros plus O(1).
//
// With `screen`, each gap check also drops the columns the gap-safe rule
// (safeToDrop) proves to be 0 at the optimum.
//
// One thread: a sparse column's few nonzeros are too little work to share.
import { aborted, reportProgress } from "../core/team";
import { at, padded } from "../core/memory";
import { enetGap, safeRadius, safeToDrop } from "./lasso";
import { ABORTED, CONVERGED, LassoCscF64Out, MAX_ITERATIONS } from "../generated/layouts";

// The workspace: ‖ã_j‖² (p), q_j = (diag(s)·a_j)ᵀs (p), the gradient at the last gap (p), the screened flags (p bytes).
/** Bytes of lasso_csc_f64's workspace. */
export function lassoCscWorkspace(p: i32): usize {
  return 3 * padded(<usize>p << 3) + padded(<usize>p);
}

// @ts-ignore: decorator
@inline function idx(v: usize, k: i32): i32 {
  return load<i32>(v + (<usize>k << 2));
}

/** Σ_k vals[k]·(r + c·s)[rows[k]] over column j's nonzeros k0..k1. */
function columnDot(rows: usize, vals: usize, r: usize, s: usize, c: f64, k0: i32, k1: i32): f64 {
  let sum: f64 = 0;
  for (let k = k0; k < k1; k++) {
    const i = idx(rows, k);
    sum += load<f64>(at(vals, k)) * (load<f64>(at(r, i)) + c * load<f64>(at(s, i)));
  }
  return sum;
}

/**
 * On entry x holds x0; on exit x holds the fit and r the true residual
 * b − Ã·x. `history`: historyCap f64 (the gap after each checked sweep, else
 * NaN); out's gap is in objective units (× n). Stops when gap ≤ tol, checked
 * after a sweep whose largest step is small next to the largest |x_j|
 * (scikit-learn's rule).
 */
export function lasso_csc_f64(
  colptr: usize, rows: usize, vals: usize, n: i32, p: i32, b: usize, s: usize, mu: usize,
  x: usize, r: usize, lambdaN: f64, l2N: f64, positive: bool, screen: bool, maxIter: i32, tol: f64, stepTol: f64,
  history: usize, historyCap: i32, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  if (tid != 0) return;
  const colSq = work, q = work + padded(<usize>p << 3), grad = q + padded(<usize>p << 3), screened = grad + padded(<usize>p << 3);
  memory.fill(screened, 0, <usize>p);
  let nScreened = 0;
  let ss: f64 = 0;
  for (let i = 0; i < n; i++) {
    const si = load<f64>(at(s, i));
    ss += si * si;
    store<f64>(at(r, i), load<f64>(at(b, i)));
  }
  let c: f64 = 0;
  for (let j = 0; j < p; j++) {
    const k0 = idx(colptr, j), k1 = idx(colptr, j + 1), xj = load<f64>(at(x, j)), mj = load<f64>(at(mu, j));
    let vv: f64 = 0, vs: f64 = 0;
    for (let k = k0; k < k1; k++) {
      const i = idx(rows, k), v = load<f64>(at(vals, k));
      vv += v * v;
      vs += v * load<f64>(at(s, i));
      if (xj != 0) store<f64>(at(r, i), load<f64>(at(r, i)) - xj * v);
    }
    c += mj * xj;
    // ‖s⊙(a_j − μ_j)‖²; what is left of a (weighted) constant column after
    // centring is rounding, not signal: such a column stays at 0.
    const norm = vv - 2 * mj * vs + mj * mj * ss;
    store<f64>(at(colSq, j), norm > 1e-12 * vv ? norm : 0);
    store<f64>(at(q, j), vs);
  }
  let sr: f64 = 0;
  for (let i = 0; i < n; i++) sr += load<f64>(at(s, i)) * load<f64>(at(r, i));

  let reason = MAX_ITERATIONS;
  let iter = 0;
  let gap: f64 = Infinity;
  while (iter < maxIter) {
    iter++;
    if (aborted(team)) { reason = ABORTED; break; }
    let stepMax: f64 = 0, xMax: f64 = 0;
    for (let j = 0; j < p; j++) {
      const nj = load<f64>(at(colSq, j));
      if (nj == 0 || load<u8>(screened + <usize>j) != 0) continue;
      const k0 = idx(colptr, j), k1 = idx(colptr, j + 1), mj = load<f64>(at(mu, j)), qj = load<f64>(at(q, j));
      const old = load<f64>(at(x, j));
      let dot: f64 = 0;
      for (let k = k0; k < k1; k++) dot += load<f64>(at(vals, k)) * load<f64>(at(r, idx(rows, k)));
      // ã_jᵀ(r + c·s) = (diag(s)a_j)ᵀr + c·q_j − μ_j·sᵀ(r + c·s).
      const t = dot + c * qj - mj * (sr + c * ss) + old * nj;
      const mag = Math.abs(t) - lambdaN;
      const next = mag > 0 && (!positive || t > 0) ? (t > 0 ? mag : -mag) / (nj + l2N) : 0.0;
      const d = next - old;
      if (d != 0) {
        for (let k = k0; k < k1; k++) {
          const i = idx(rows, k);
          store<f64>(at(r, i), load<f64>(at(r, i)) - d * load<f64>(at(vals, k)));
        }
        sr -= d * qj;
        c += d * mj;
        store<f64>(at(x, j), next);
      }
      stepMax = max(stepMax, Math.abs(d));
      xMax = max(xMax, Math.abs(next));
    }
    if (iter <= historyCap) store<f64>(at(history, iter - 1), NaN);
    if (xMax == 0 || stepMax / xMax < stepTol || iter == maxIter) {
      // Duality gap as in lasso_cd_f64, on the true residual; sᵀr afresh.
      let rr: f64 = 0, rb: f64 = 0;
      sr = 0;
      for (let i = 0; i < n; i++) {
        const ri = load<f64>(at(r, i)), si = load<f64>(at(s, i)), rt = ri + c * si;
        sr += si * ri;
        rr += rt * rt;
        rb += rt * load<f64>(at(b, i));
      }
      const srTrue = sr + c * ss;
      let dualNorm: f64 = 0, l1: f64 = 0, w2: f64 = 0;
      for (let j = 0; j < p; j++) {
        const xj = load<f64>(at(x, j));
        const g = columnDot(rows, vals, r, s, c, idx(colptr, j), idx(colptr, j + 1)) - load<f64>(at(mu, j)) * srTrue - l2N * xj;
        store<f64>(at(grad, j), g);
        dualNorm = max(dualNorm, positive ? g : Math.abs(g));
        l1 += Math.abs(xj);
        w2 += xj * xj;
      }
      gap = enetGap(rr, rb, dualNorm, lambdaN, l1, l2N, w2);
      if (iter <= historyCap) store<f64>(at(history, iter - 1), gap);
      reportProgress(team, iter, gap);
      if (gap <= tol) { reason = CONVERGED; break; }
      if (screen && lambdaN > 0 && nScreened < p && iter < maxIter) {
        // Gap-safe rule: columns whose x_j is 0 at the optimum leave the sweeps (zeroed if they are not).
        const scale = max(lambdaN, dualNorm), radius = safeRadius(gap, lambdaN);
        for (let j = 0; j < p; j++) {
          if (load<u8>(screened + <usize>j) != 0) continue;
          if (!safeToDrop(load<f64>(at(grad, j)), scale, radius, load<f64>(at(colSq, j)) + l2N, positive)) continue;
          const xj = load<f64>(at(x, j));
          store<u8>(screened + <usize>j, 1);
          nScreened++;
          if (xj == 0) continue;
          const k0 = idx(colptr, j), k1 = idx(colptr, j + 1);
          for (let k = k0; k < k1; k++) {
            const i = idx(rows, k);
            store<f64>(at(r, i), load<f64>(at(r, i)) + xj * load<f64>(at(vals, k)));
          }
          sr += xj * load<f64>(at(q, j));
          c -= xj * load<f64>(at(mu, j));
          store<f64>(at(x, j), 0);
        }
      }
    } else {
      reportProgress(team, iter, NaN);
    }
  }
  for (let i = 0; i < n; i++) store<f64>(at(r, i), load<f64>(at(r, i)) + c * load<f64>(at(s, i)));
  store<f64>(at(out, LassoCscF64Out.iterations), <f64>iter);
  store<f64>(at(out, LassoCscF64Out.reason), <f64>reason);
  store<f64>(at(out, LassoCscF64Out.gap), gap);
}
