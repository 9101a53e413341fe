// Lasso / elastic net by cyclic coordinate descent on the Gram matrix
// G = ÃᵀÃ (p×p) and q = Ãᵀb instead of Ã (scikit-learn's
// enet_coordinate_descent_gram): for n ≫ p a step costs O(p), not O(n).
// The same objective, update and stopping rule as lasso_cd_f64:
//   ½‖b − Ã·x‖² + l1·‖x‖₁ + ½·l2·‖x‖²,
// with H = G·x kept up to date: ã_jᵀr = q_j − H_j, ‖r‖² = bᵀb − 2xᵀq + xᵀH.
//
// One thread: a step is one axpy of length p.
import { aborted, reportProgress } from "../core/team";
import { at, padded } from "../core/memory";
import { enetGap } from "./lasso";
import { dotContiguous, subtractScaled } from "../blas/level1";
import { ABORTED, CONVERGED, LassoGramF64Out, MAX_ITERATIONS } from "../generated/layouts";

/** Bytes of lasso_gram_f64's workspace: H (p). */
export function lassoGramWorkspace(p: i32): usize {
  return padded(<usize>p << 3);
}

/** Stats per fit in lasso_gram_f64's `stats` (count × GRAM_STATS f64). */
const STAT_ITERATIONS = 0, STAT_REASON = 1, STAT_GAP = 2, STAT_RR = 3;
const GRAM_STATS = 4;

/**
 * Fits for each of `count` penalties (l1s[k], l2s[k]) in turn, each starting
 * from the previous answer (a path in one launch). g: G column-major with its
 * lower triangle filled (the upper is written from it when `mirror`). On entry
 * x holds x0; fit k's answer is copied to xs[k·p ..], its iterations, reason,
 * gap (objective units, × n) and rr = ‖b − Ã·x‖² to stats[4k ..], its gap
 * after each checked sweep (else NaN) to history[k·historyCap ..]. out: the
 * fits completed.
 */
export function lasso_gram_f64(
  g: usize, mirror: bool, q: usize, bb: f64, p: i32, x: usize,
  l1s: usize, l2s: usize, count: i32, positive: bool, maxIter: i32, tol: f64, stepTol: f64,
  xs: usize, stats: usize, history: usize, historyCap: i32, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  if (tid != 0) return;
  const ld = <usize>p << 3, h = work;
  if (mirror) {
    for (let j = 1; j < p; j++) for (let i = 0; i < j; i++) store<f64>(g + <usize>j * ld + (<usize>i << 3), load<f64>(g + <usize>i * ld + (<usize>j << 3)));
  }
  for (let i = 0; i < p; i++) store<f64>(at(h, i), 0);
  for (let j = 0; j < p; j++) {
    const xj = load<f64>(at(x, j));
    if (xj != 0) subtractScaled(h, g + <usize>j * ld, -xj, p);
  }
  let done = 0, sweeps = 0;
  for (let k = 0; k < count; k++) {
    const st = at(stats, k * GRAM_STATS);
    const reason = fit(g, q, bb, p, x, h, load<f64>(at(l1s, k)), load<f64>(at(l2s, k)), positive, maxIter, tol, stepTol,
      at(history, k * historyCap), historyCap, st, team, sweeps);
    sweeps += <i32>load<f64>(at(st, STAT_ITERATIONS));
    memory.copy(at(xs, k * p), x, ld);
    if (reason == ABORTED) break;
    done++;
  }
  store<f64>(at(out, LassoGramF64Out.fits), <f64>done);
}

/** One fit (see lasso_gram_f64), H = G·x kept; returns its reason. */
function fit(
  g: usize, q: usize, bb: f64, p: i32, x: usize, h: usize, lambdaN: f64, l2N: f64, positive: bool,
  maxIter: i32, tol: f64, stepTol: f64, history: usize, historyCap: i32, st: usize, team: usize, sweepsBefore: i32,
): i32 {
  const ld = <usize>p << 3;
  let reason = MAX_ITERATIONS;
  let iter = 0;
  let gap: f64 = Infinity, rr: f64 = bb;
  while (iter < maxIter) {
    iter++;
    if (aborted(team)) { reason = ABORTED; break; }
    let stepMax: f64 = 0, xMax: f64 = 0;
    for (let j = 0; j < p; j++) {
      const col = g + <usize>j * ld;
      const nj = load<f64>(at(col, j));
      if (nj == 0) continue;
      const old = load<f64>(at(x, j));
      const t = load<f64>(at(q, j)) - load<f64>(at(h, j)) + old * nj;
      const mag = Math.abs(t) - lambdaN;
      const next = mag > 0 && (!positive || t > 0) ? (t > 0 ? mag : -mag) / (nj + l2N) : 0.0;
      const d = next - old;
      if (d != 0) {
        subtractScaled(h, col, -d, p);
        store<f64>(at(x, j), next);
      }
      stepMax = max(stepMax, Math.abs(d));
      xMax = max(xMax, Math.abs(next));
    }
    if (iter <= historyCap) store<f64>(at(history, iter - 1), NaN);
    if (xMax == 0 || stepMax / xMax < stepTol || iter == maxIter) {
      // Duality gap as in lasso_cd_f64, from G, q and H.
      let dualNorm: f64 = 0, l1: f64 = 0, w2: f64 = 0;
      for (let j = 0; j < p; j++) {
        const xj = load<f64>(at(x, j));
        const gj = load<f64>(at(q, j)) - load<f64>(at(h, j)) - l2N * xj;
        dualNorm = max(dualNorm, positive ? gj : Math.abs(gj));
        l1 += Math.abs(xj);
        w2 += xj * xj;
      }
      const xq = dotContiguous(x, q, p);
      rr = max(0, bb - 2 * xq + dotContiguous(x, h, p));
      const rb = bb - xq;
      gap = enetGap(rr, rb, dualNorm, lambdaN, l1, l2N, w2);
      if (iter <= historyCap) store<f64>(at(history, iter - 1), gap);
      reportProgress(team, sweepsBefore + iter, gap);
      if (gap <= tol) { reason = CONVERGED; break; }
    } else {
      reportProgress(team, sweepsBefore + iter, NaN);
    }
  }
  if (reason == ABORTED) rr = max(0, bb - 2 * dotContiguous(x, q, p) + dotContiguous(x, h, p));
  store<f64>(at(st, STAT_ITERATIONS), <f64>iter);
  store<f64>(at(st, STAT_REASON), <f64>reason);
  store<f64>(at(st, STAT_GAP), gap);
  store<f64>(at(st, STAT_RR), rr);
  return reason;
}
