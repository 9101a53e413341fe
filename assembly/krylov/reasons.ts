// The true-residual ending every Krylov kernel (cg.ts, gmres.ts, gcrodr.ts)
// shares: an iteration's own residual (CG's recursion, GMRES's estimate)
// drifts from ‖b − A·x‖, so a claim of convergence is checked against the
// recomputed true residual, and the solve restarts from it a bounded number
// of times before it reports STAGNATED. Reason codes are the generated ones
// (assembly/core/reasons.json).
import { barrier } from "../core/team";
import { sumPartials } from "../core/chunks";
import { residualPartials } from "../blas/sparse";
import { BREAKDOWN, CONVERGED, STAGNATED } from "../generated/layouts";

/**
 * A solve whose own residual met the tolerance but whose true residual
 * ‖b − A·x‖ did not restarts from the true residual at most this many
 * times, then reports STAGNATED: the tolerance is below what rounding lets
 * the iteration reach.
 */
export const TRUE_RESIDUAL_RESTARTS = 3;

/** trueResidualVerdict's answer when the solve goes on (a restart, if it had claimed convergence). */
export const GO_ON: i32 = -1;

/**
 * ‖b − A·x‖, recomputed by the team (every thread returns it): chunk partials
 * over this thread's chunks c0..c1−1 into `partials`, a barrier, the
 * chunk-ordered sum. With r ≠ 0 the residual itself is stored there too.
 */
export function trueResidualNorm(
  indptr: usize, indices: usize, data: usize, n: i32, b: usize, x: usize,
  partials: usize, chunks: i32, c0: i32, c1: i32, team: usize, nthreads: i32, r: usize = 0,
): f64 {
  residualPartials(indptr, indices, data, n, b, x, partials, c0, c1, r);
  barrier(team, nthreads);
  return Math.sqrt(sumPartials(partials, chunks));
}

/**
 * What the true residual `norm` decides: CONVERGED if it meets `tol`,
 * BREAKDOWN if it is not finite (x overflowed: no restart helps); else, when
 * the iteration had claimed convergence, STAGNATED once `restarts` restarts
 * were made, otherwise GO_ON (restart from it). Unclaimed: GO_ON.
 */
export function trueResidualVerdict(norm: f64, tol: f64, claimed: bool, restarts: i32): i32 {
  if (norm <= tol) return CONVERGED;
  if (!isFinite(norm)) return BREAKDOWN;
  if (claimed && restarts >= TRUE_RESIDUAL_RESTARTS) return STAGNATED;
  return GO_ON;
}
