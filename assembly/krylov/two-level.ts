// GMRES's and GCRO-DR's two-level right preconditioner: Jacobi smoothing
// after a coarse-space correction (multiplicative, one "deflation" step):
//   q = Z·E⁻¹·Zᵀv,   M⁻¹v = q + D⁻¹(v − A·q),   E = ZᵀAZ,
// with Z the indicator vectors of k aggregates of A's graph (found by the
// host, src/coarse.ts). A·q is a gather over A's entries (q is constant on
// each aggregate), so an application costs one sweep of A, one of v and a
// small LU solve with E's envelope, and no extra barrier but the one after
// the per-aggregate sums. E (nonsymmetric in general) is assembled from A's
// values through positions the host computed, and factored without
// pivoting within its envelope; a pivot that is not clearly nonzero turns
// the correction off (Jacobi alone; the host reports it).
// Deterministic: each aggregate's sum runs over its members in ascending
// order on one thread, and every thread solves with the same sums.
import { barrier, rangeStart } from "../core/team";
import { at } from "../core/memory";
import { first, i32At } from "./coarse";

/**
 * One thread's view of the coarse space: the host's maps, the factored E
 * (L's rows at env, U's columns at env + size), the shared per-aggregate
 * sums and this thread's μ and aggregate range. Lives in the workspace.
 */
@unmanaged export class CoarseView {
  k: i32 = 0;
  size: i32 = 0;
  ag0: i32 = 0;
  ag1: i32 = 0;
  agg: usize = 0;
  memberPtr: usize = 0;
  members: usize = 0;
  envStart: usize = 0;
  env: usize = 0;
  sums: usize = 0;
  mu: usize = 0;
}

/** Bytes of one thread's CoarseView (a 64-byte line). */
export const COARSE_VIEW_BYTES: usize = 64;

/** f64 of the coarse workspace: E's two envelopes, the sums, a μ per thread. */
export function twoLevelWorkF64(k: i32, size: i32, nthreads: i32): usize {
  return 2 * <usize>size + <usize>k * <usize>(1 + nthreads);
}

/**
 * Fills this thread's view; tid 0 assembles and factors E (false on every
 * thread when E has no usable LU: the caller then runs Jacobi alone).
 * `coarseWork`: twoLevelWorkF64 f64; `flag`: a shared f64 slot for the verdict.
 */
export function twoLevelSetup(
  cv: CoarseView, data: usize, nnz: i32, k: i32, agg: usize, memberPtr: usize, members: usize, envStart: usize, envPos: usize, size: i32,
  coarseWork: usize, flag: usize, team: usize, tid: i32, nthreads: i32,
): bool {
  cv.k = k; cv.size = size; cv.agg = agg; cv.memberPtr = memberPtr; cv.members = members; cv.envStart = envStart;
  cv.env = coarseWork; cv.sums = at(coarseWork, 2 * size); cv.mu = at(cv.sums, k + tid * k);
  cv.ag0 = rangeStart(k, tid, nthreads); cv.ag1 = rangeStart(k, tid + 1, nthreads);
  if (tid == 0) {
    memory.fill(cv.env, 0, <usize>(2 * size) << 3);
    for (let e = 0; e < nnz; e++) {
      const p = at(cv.env, i32At(envPos, e));
      store<f64>(p, load<f64>(p) + load<f64>(at(data, e)));
    }
    store<f64>(flag, envelopeLU(cv.env, at(cv.env, size), envStart, k) ? 1 : 0);
  }
  barrier(team, nthreads);
  return load<f64>(flag) != 0;
}

/**
 * In place, E = L·U within the envelope (Doolittle, L unit lower, no
 * pivoting): L's strict rows in `lower` (the diagonal slot holds U's
 * diagonal), U's strict columns in `upper`. False on a pivot below 1e-12 of
 * its row's and column's largest entry.
 */
function envelopeLU(lower: usize, upper: usize, start: usize, k: i32): bool {
  for (let i = 0; i < k; i++) {
    const si = i32At(start, i), fi = first(start, i);
    let scale: f64 = 0;
    for (let m = fi; m <= i; m++) scale = max(scale, abs(load<f64>(at(lower, si + m - fi))));
    for (let m = fi; m < i; m++) scale = max(scale, abs(load<f64>(at(upper, si + m - fi))));
    for (let j = fi; j < i; j++) {
      const sj = i32At(start, j), fj = first(start, j), m0 = max(fi, fj);
      // U[j][i] (column i, row j) and L[i][j] (row i, column j).
      let u = load<f64>(at(upper, si + j - fi)), l = load<f64>(at(lower, si + j - fi));
      for (let m = m0; m < j; m++) {
        u -= load<f64>(at(lower, sj + m - fj)) * load<f64>(at(upper, si + m - fi));
        l -= load<f64>(at(lower, si + m - fi)) * load<f64>(at(upper, sj + m - fj));
      }
      store<f64>(at(upper, si + j - fi), u);
      store<f64>(at(lower, si + j - fi), l / load<f64>(at(lower, sj + j - fj)));
    }
    let d = load<f64>(at(lower, si + i - fi));
    for (let m = fi; m < i; m++) d -= load<f64>(at(lower, si + m - fi)) * load<f64>(at(upper, si + m - fi));
    if (!(abs(d) > 1e-12 * scale) || !isFinite(d)) return false;
    store<f64>(at(lower, si + i - fi), d);
  }
  return true;
}

/** y ← E⁻¹·y with envelopeLU's factors. */
function envelopeLUSolve(lower: usize, upper: usize, start: usize, k: i32, y: usize): void {
  for (let i = 0; i < k; i++) {
    const si = i32At(start, i), fi = first(start, i);
    let s = load<f64>(at(y, i));
    for (let m = fi; m < i; m++) s -= load<f64>(at(lower, si + m - fi)) * load<f64>(at(y, m));
    store<f64>(at(y, i), s);
  }
  for (let i = k - 1; i >= 0; i--) {
    const si = i32At(start, i), fi = first(start, i);
    const xi = load<f64>(at(y, i)) / load<f64>(at(lower, si + i - fi));
    store<f64>(at(y, i), xi);
    for (let m = fi; m < i; m++) store<f64>(at(y, m), load<f64>(at(y, m)) - load<f64>(at(upper, si + m - fi)) * xi);
  }
}

/**
 * z = M⁻¹·v on rows my0..my1 (z may be v). Opens with a barrier (every row
 * of v is in, and every thread has taken the last application's sums), and
 * writes z only after its second one (every thread's reads of v are over).
 */
export function twoLevelApply(
  cv: CoarseView, indptr: usize, indices: usize, data: usize, dinv: usize, v: usize, z: usize,
  my0: i32, my1: i32, team: usize, nthreads: i32,
): void {
  const agg = cv.agg, mu = cv.mu, members = cv.members, memberPtr = cv.memberPtr;
  barrier(team, nthreads);
  for (let c = cv.ag0; c < cv.ag1; c++) {
    let s: f64 = 0;
    const e1 = i32At(memberPtr, c + 1);
    for (let e = i32At(memberPtr, c); e < e1; e++) s += load<f64>(at(v, i32At(members, e)));
    store<f64>(at(cv.sums, c), s);
  }
  barrier(team, nthreads);
  memory.copy(mu, cv.sums, <usize>cv.k << 3);
  envelopeLUSolve(cv.env, at(cv.env, cv.size), cv.envStart, cv.k, mu);
  for (let i = my0; i < my1; i++) {
    // (A·q)_i with q = Z·μ: a gather of μ over row i's columns.
    let aq: f64 = 0;
    const e1 = i32At(indptr, i + 1);
    for (let e = i32At(indptr, i); e < e1; e++) aq += load<f64>(at(data, e)) * load<f64>(at(mu, i32At(agg, i32At(indices, e))));
    store<f64>(at(z, i), load<f64>(at(mu, i32At(agg, i))) + load<f64>(at(dinv, i)) * (load<f64>(at(v, i)) - aq));
  }
}
