// What GMRES (gmres.ts) and GCRO-DR (gcrodr.ts) share in each Arnoldi step:
// the stop rule, and the small least-squares problem by Givens rotations:
// each new Hessenberg column is rotated by the cycle's earlier rotations, then
// by one more that zeroes its subdiagonal; g (the rotated β·e₁) then holds the
// residual norm of the current iterate in its last entry.

import { ABORTED, BREAKDOWN, CONVERGED, MAX_ITERATIONS } from "../generated/layouts";
import { at } from "../core/memory";
import { reportProgress } from "../core/team";

/**
 * Column h, whose subdiagonal entry is h[row + 1] = hnext with row = r0 + count:
 * applies rotations 0..count−1 (cs, sn) to rows (r0 + l, r0 + l + 1), makes
 * rotation `count` that zeroes h[row + 1] (h[row] becomes ρ), and applies it
 * to g[row], g[row + 1]. Returns ρ (0: breakdown).
 */
export function givensColumn(h: usize, r0: i32, count: i32, hnext: f64, cs: usize, sn: usize, g: usize): f64 {
  for (let l = 0; l < count; l++) {
    const r = r0 + l;
    const a = load<f64>(at(h, r)), b = load<f64>(at(h, r + 1));
    const c = load<f64>(at(cs, l)), s = load<f64>(at(sn, l));
    store<f64>(at(h, r), c * a + s * b);
    store<f64>(at(h, r + 1), -s * a + c * b);
  }
  const row = r0 + count;
  const a = load<f64>(at(h, row));
  const rho = Math.sqrt(a * a + hnext * hnext);
  const c = rho == 0 ? 1.0 : a / rho, s = rho == 0 ? 0.0 : hnext / rho;
  store<f64>(at(cs, count), c);
  store<f64>(at(sn, count), s);
  store<f64>(at(h, row), rho);
  store<f64>(at(h, row + 1), 0);
  const gj = load<f64>(at(g, row));
  store<f64>(at(g, row), c * gj);
  store<f64>(at(g, row + 1), -s * gj);
  return rho;
}

/**
 * After an Arnoldi step: why the solve stops, or −1 to go on. The residual
 * estimate `resid`, the new rotation's ρ, the broadcast abort flag `stop`,
 * and hnext = 0 (an invariant subspace: the solution is exact). CONVERGED
 * is a claim on the estimate: the caller checks the true residual.
 */
export function stepOutcome(resid: f64, rho: f64, tol: f64, stop: f64, iter: i32, maxIter: i32, hnext: f64): i32 {
  if (!isFinite(resid) || rho == 0) return BREAKDOWN;
  if (resid <= tol) return CONVERGED;
  if (stop != 0) return ABORTED;
  if (iter >= maxIter) return MAX_ITERATIONS;
  if (hnext == 0) return CONVERGED;
  return -1;
}

/**
 * After step `iter`'s rotation: the residual estimate |g[row + 1]|, recorded
 * by tid 0 in `history` (while iter < historyCap) and as progress.
 */
export function stepEstimate(g: usize, row: i32, iter: i32, history: usize, historyCap: i32, team: usize, tid: i32): f64 {
  const resid = Math.abs(load<f64>(at(g, row + 1)));
  if (tid == 0) {
    if (iter < historyCap) store<f64>(at(history, iter), resid);
    reportProgress(team, iter, resid);
  }
  return resid;
}

/** y = R⁻¹·g over the first `cols` columns of the rotated Hessenberg R (column-major, leading dimension ld). */
export function backSubstitute(R: usize, ld: i32, g: usize, y: usize, cols: i32): void {
  for (let k = cols - 1; k >= 0; k--) {
    let s = load<f64>(at(g, k));
    for (let l = k + 1; l < cols; l++) s -= load<f64>(at(R, l * ld + k)) * load<f64>(at(y, l));
    store<f64>(at(y, k), s / load<f64>(at(R, k * ld + k)));
  }
}
