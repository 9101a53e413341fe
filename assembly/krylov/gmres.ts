// Restarted GMRES(m) for nonsymmetric A (CSR), right-preconditioned by a
// diagonal (Jacobi) or not at all, the whole solve in one SPMD launch.
//
// Threads own fixed chunks of rows of every Krylov vector. Each Arnoldi step:
//   w = A·M⁻¹·v_j (own rows; v_j is complete after the previous barrier)
//   Gram–Schmidt against v_0..v_j (arnoldi.ts: one or two blocked classical
//   passes, each partials | barrier | w −= V·h with ‖w‖ | barrier)
//   v_{j+1} = w/‖w‖
// The small Hessenberg least-squares problem (Givens rotations) is solved by
// every thread on its own copy: same sums in, same decisions out, so all
// threads leave loops together and results do not depend on the thread count.
//
// Honest stops: a cycle whose estimate meets the tolerance ends, and the next
// cycle's start (r = b − A·x, recomputed) decides: converged, or a restart
// from the true residual (at most TRUE_RESIDUAL_RESTARTS times, then
// STAGNATED). At a breakdown (ρ = 0: the new column lies in the span of the
// earlier ones, or is not finite) x takes the least-squares solution over the
// columns before it, which is the best the Krylov space offers (as SciPy).
import { aborted, barrier, rangeStart } from "../core/team";
import { CHUNK, chunkCount } from "../core/chunks";
import { at, padded } from "../core/memory";
import { arnoldiProduct, orthogonalise } from "./arnoldi";
import { divideRows } from "../blas/level1";
import { COARSE_VIEW_BYTES, CoarseView, twoLevelApply, twoLevelSetup, twoLevelWorkF64 } from "./two-level";
import { backSubstitute, givensColumn, stepEstimate, stepOutcome } from "./givens";
import { GO_ON, trueResidualNorm, trueResidualVerdict } from "./reasons";
import { BREAKDOWN, CONVERGED, GmresF64Out, MAX_ITERATIONS } from "../generated/layouts";

// The workspace ("work"), carved in this order, each region padded to 64 bytes.
const WORK_BASIS = 0;    // V: m + 1 lines of n (the last doubles as w while it is built)
const WORK_T = 1;        // M⁻¹·v_j: one line
const WORK_PARTIALS = 2; // per-chunk partials: 2(m + 1) coefficient rows, ‖w‖², the true residual
const WORK_SCRATCH = 3;  // per thread: H, cs, sn, g, y, R
const WORK_COARSE = 4;   // two-level preconditioner: E's factors, sums, μ per thread (two-level.ts)
const WORK_VIEWS = 5;    // one CoarseView per thread
const WORK_END = 6;

/** f64 per thread of the small dense work: H ((m+1)×m), then cs, sn, g, y, R (m + 1 each). */
// @ts-ignore: decorator
@inline function threadScratch(m: i32): i32 {
  return (m + 1) * m + 5 * (m + 1);
}

/** f64 of workspace region `region` (WORK_*). */
function workRegion(region: i32, n: i32, m: i32, nthreads: i32, coarse: i32, coarseEnv: i32): usize {
  switch (region) {
    case WORK_COARSE: return coarse > 0 ? twoLevelWorkF64(coarse, coarseEnv, nthreads) : 0;
    case WORK_VIEWS: return coarse > 0 ? (COARSE_VIEW_BYTES >> 3) * <usize>nthreads : 0;
    case WORK_BASIS: return <usize>(m + 1) * <usize>n;
    case WORK_T: return <usize>n;
    case WORK_PARTIALS: return <usize>(2 * (m + 1) + 2) * <usize>chunkCount(n);
    case WORK_SCRATCH: return <usize>threadScratch(m) * <usize>nthreads;
    default: return 0;
  }
}

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, n: i32, m: i32, nthreads: i32, coarse: i32, coarseEnv: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) bytes += padded(workRegion(r, n, m, nthreads, coarse, coarseEnv) << 3);
  return bytes;
}

/** Bytes of gmres_f64's workspace. */
export function gmresWorkspace(n: i32, m: i32, nthreads: i32, coarse: i32, coarseEnv: i32): f64 {
  return <f64>workOffset(WORK_END, n, m, nthreads, coarse, coarseEnv);
}

/**
 * Solves A·x = b; x holds x0 on entry. `dinv`: the inverse diagonal (Jacobi)
 * or 0. `history` gets the residual estimates (historyCap f64); `work`:
 * gmresWorkspace bytes.
 */
export function gmres_f64(
  indptr: usize, indices: usize, data: usize, n: i32,
  b: usize, x: usize, dinv: usize, m: i32,
  history: usize, historyCap: i32, maxIter: i32, tol: f64,
  coarse: i32, coarseAgg: usize, coarseMemberPtr: usize, coarseMembers: usize, coarseEnvStart: usize, coarseEnvPos: usize, coarseEnv: i32,
  out: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const basis = work + workOffset(WORK_BASIS, n, m, nthreads, coarse, coarseEnv), t = work + workOffset(WORK_T, n, m, nthreads, coarse, coarseEnv);
  const partials = work + workOffset(WORK_PARTIALS, n, m, nthreads, coarse, coarseEnv);
  const scratch = work + workOffset(WORK_SCRATCH, n, m, nthreads, coarse, coarseEnv);
  // The two-level preconditioner (this thread's view), or 0: Jacobi or none.
  let cv: usize = 0;
  if (coarse > 0) {
    const view = work + workOffset(WORK_VIEWS, n, m, nthreads, coarse, coarseEnv) + <usize>tid * COARSE_VIEW_BYTES;
    const ok = twoLevelSetup(changetype<CoarseView>(view), data, load<i32>(indptr + (<usize>n << 2)), coarse, coarseAgg, coarseMemberPtr, coarseMembers,
      coarseEnvStart, coarseEnvPos, coarseEnv, work + workOffset(WORK_COARSE, n, m, nthreads, coarse, coarseEnv), at(out, GmresF64Out.coarse), team, tid, nthreads);
    if (ok) cv = view;
  }
  const chunks = chunkCount(n);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const my0 = c0 * CHUNK, my1 = min(n, c1 * CHUNK);
  const p1 = partials, p2 = at(partials, (m + 1) * chunks);
  const pn = at(partials, 2 * (m + 1) * chunks), pt = at(pn, chunks);
  // This thread's Hessenberg matrix H ((m+1)×m, column-major), rotations, g, y.
  const stride = threadScratch(m);
  // R: the re-orthogonalisation pass's coefficients.
  const H = at(scratch, tid * stride), cs = at(H, (m + 1) * m), sn = at(cs, m + 1), g = at(sn, m + 1), y = at(g, m + 1), R = at(y, m + 1);
  const w = at(basis, m * n);  // the last basis slot doubles as w while it is built

  let iter = 0, step = 0;
  let reason = MAX_ITERATIONS;
  let resid: f64 = 0;
  let done = false;
  let claimed = false;  // the last cycle's estimate met the tolerance
  let restarts = 0;     // cycles begun because the true residual did not
  while (!done) {
    // r = b − A·x into v_0, β = ‖r‖.
    const beta = trueResidualNorm(indptr, indices, data, n, b, x, pn, chunks, c0, c1, team, nthreads, basis);
    resid = beta;
    if (tid == 0 && iter == 0) store<f64>(history, beta);
    const verdict = trueResidualVerdict(beta, tol, claimed, restarts);
    if (verdict != GO_ON) { reason = verdict; break; }
    if (claimed) {
      restarts++;
      claimed = false;
    }
    if (iter >= maxIter) { reason = MAX_ITERATIONS; break; }
    divideRows(basis, my0, my1, beta);
    store<f64>(g, beta);
    for (let i = 1; i <= m; i++) store<f64>(at(g, i), 0);

    let j = 0;
    for (; j < m; j++) {
      const vj = at(basis, j * n), wj = at(basis, (j + 1) * n);
      arnoldiProduct(indptr, indices, data, dinv, cv, vj, t, wj, my0, my1, team, nthreads);
      // The abort flag, broadcast through a slot per step parity (written
      // before orthogonalise's last barrier, read after it, rewritten two steps later).
      const stop = out + (<usize>((step & 1) == 0 ? GmresF64Out.stop : GmresF64Out.stopOdd) << 3);
      step++;
      const hnext = orthogonalise(0, 0, basis, j + 1, wj, n, at(H, j * (m + 1)), R, p1, p2, pn, chunks, c0, c1,
        team, tid, nthreads, stop, tid == 0 && aborted(team) ? 1 : 0);
      store<f64>(at(H, j * (m + 1) + j + 1), hnext);
      if (hnext > 0) divideRows(wj, my0, my1, hnext);
      // Earlier rotations on column j, then one that zeroes H[j+1][j].
      const rho = givensColumn(at(H, j * (m + 1)), 0, j, hnext, cs, sn, g);
      iter++;
      resid = stepEstimate(g, j, iter, history, historyCap, team, tid);
      const outcome = stepOutcome(resid, rho, tol, load<f64>(stop), iter, maxIter, hnext);
      if (outcome == CONVERGED) { claimed = true; j++; break; }
      if (outcome >= 0) { reason = outcome; done = true; j++; break; }
    }
    // y = H⁻¹·g over the columns that count; x += M⁻¹·V·y (own rows).
    const cols = done && reason == BREAKDOWN ? j - 1 : j;
    backSubstitute(H, m + 1, g, y, cols);
    if (cv != 0) {
      // The two-level M⁻¹ mixes rows: V·y whole first, then M⁻¹ of it, then x.
      for (let i = my0; i < my1; i++) {
        let s: f64 = 0;
        for (let k = 0; k < cols; k++) s += load<f64>(at(basis, k * n + i)) * load<f64>(at(y, k));
        store<f64>(at(t, i), s);
      }
      twoLevelApply(changetype<CoarseView>(cv), indptr, indices, data, dinv, t, t, my0, my1, team, nthreads);
      for (let i = my0; i < my1; i++) store<f64>(at(x, i), load<f64>(at(x, i)) + load<f64>(at(t, i)));
    } else {
      for (let i = my0; i < my1; i++) {
        let s: f64 = 0;
        for (let k = 0; k < cols; k++) s += load<f64>(at(basis, k * n + i)) * load<f64>(at(y, k));
        if (dinv != 0) s *= load<f64>(at(dinv, i));
        store<f64>(at(x, i), load<f64>(at(x, i)) + s);
      }
    }
    // Every row of x must be in before the next cycle's (or the exit's) SpMV.
    barrier(team, nthreads);
  }

  // The true residual of the returned x (the recursive one drifts).
  const trueNorm = trueResidualNorm(indptr, indices, data, n, b, x, pt, chunks, c0, c1, team, nthreads);
  if (tid == 0) {
    store<f64>(at(out, GmresF64Out.iterations), <f64>iter);
    store<f64>(at(out, GmresF64Out.reason), <f64>reason);
    store<f64>(at(out, GmresF64Out.residual), resid);
    store<f64>(at(out, GmresF64Out.trueResidual), trueNorm);
    store<f64>(at(out, GmresF64Out.coarse), cv != 0 ? 1 : 0);
  }
}
