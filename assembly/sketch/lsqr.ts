// Preconditioned LSQR (Paige & Saunders) for min ‖A·x − b‖, A row-major m×n,
// right-preconditioned by an upper-triangular R (from a QR of a sketch S·A,
// as Blendenpik and LSRN do): LSQR runs on M = A·R⁻¹, whose condition number
// is a small constant, and x = R⁻¹·y. The whole solve is one SPMD launch.
//
// One pass over A per iteration: each thread takes its chunks of rows and,
// row by row, forms ũ_i = (A·t)_i − (α/β)·ũ_i (t = R⁻¹·v) and adds ũ_i·A[i,:]
// to its chunk's partial of Aᵀũ, so A is read once. Partials (of ‖ũ‖² and of
// the n-vector Aᵀũ) are summed in chunk order, so the iterates do not depend
// on the thread count. The O(n²) steps (triangular solves, the Givens
// rotation, the updates of y and w) are tid 0's, between barriers.
import { aborted, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { dotContiguous } from "../blas/level1";
import { backSolve, forwardSolveT } from "../blas/triangular";
import { at, padded } from "../core/memory";
import { ABORTED, CONSISTENT, CONVERGED, LsqrF64Out, MAX_ITERATIONS } from "../generated/layouts";
import { addScaledRow, sumChunkColumns } from "./rows";

// Scalar block (f64 slots), shared by the team.
const S_ALPHA = 0, S_BETA = 1, S_RATIO = 2, S_STOP = 3, S_END = 4;

// Workspace regions: the vectors (ũ: m; v, w, t, y, s, z: n each), the
// per-chunk partials of Aᵀũ (n each) and of ‖ũ‖², the scalar block.
const WORK_VECTORS = 0, WORK_VECS = 1, WORK_NORMS = 2, WORK_SCALARS = 3, WORK_END = 4;

function workRegion(region: i32, m: i32, n: i32): usize {
  const chunks = <usize>chunkCount(m);
  switch (region) {
    case WORK_VECTORS: return <usize>m + 6 * <usize>n;
    case WORK_VECS: return chunks * <usize>n;
    case WORK_NORMS: return chunks;
    case WORK_SCALARS: return S_END;
    default: return 0;
  }
}

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, m: i32, n: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) bytes += padded(workRegion(r, m, n) << 3);
  return bytes;
}

/** Bytes of lsqr_f64's workspace. */
export function lsqrWorkspace(m: i32, n: i32): f64 {
  return <f64>workOffset(WORK_END, m, n);
}

/** ũ over this thread's rows, with partials of ‖ũ‖² and Aᵀũ. */
function sweep(
  a: usize, lda: i32, m: i32, n: i32, u: usize, t: usize, ratio: f64, first: bool, b: usize,
  norms: usize, vecs: usize, c0: i32, c1: i32, team: usize,
): void {
  for (let c = c0; c < c1; c++) {
    // Aborted: the rest of this pass is skipped (a pass over a large A takes
    // tens of ms); tid 0's check after it ends the launch.
    if (aborted(team)) return;
    const i0 = c * CHUNK, i1 = min(m, i0 + CHUNK);
    const part = vecs + ((<usize>c * n) << 3);
    memory.fill(part, 0, <usize>n << 3);
    let nn: f64 = 0;
    for (let i = i0; i < i1; i++) {
      const row = a + ((<usize>i * lda) << 3);
      const ui = first ? load<f64>(at(b, i)) : dotContiguous(row, t, n) - ratio * load<f64>(at(u, i));
      store<f64>(at(u, i), ui);
      nn += ui * ui;
      addScaledRow(part, row, ui, n);
    }
    store<f64>(at(norms, c), nn);
  }
}

/**
 * Solves min ‖A·x − b‖ (row i of A at a + i·lda). `rm` is R (n×n row-major
 * upper triangular); `work`: lsqrWorkspace bytes; `out`: LsqrF64Out; x
 * receives the solution. Stops when ‖Mᵀr‖ ≤ rtol·‖M‖·‖r‖ (converged) or
 * ‖r‖ ≤ rtol·‖b‖ (consistent), M = A·R⁻¹.
 */
export function lsqr_f64(
  a: usize, lda: i32, m: i32, n: i32, b: usize, rm: usize, x: usize,
  maxIter: i32, rtol: f64, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const u = work, v = at(work, m), w = at(v, n), t = at(w, n), y = at(t, n), s = at(y, n), z = at(s, n);
  const vecs = work + workOffset(WORK_VECS, m, n), norms = work + workOffset(WORK_NORMS, m, n);
  const sc = work + workOffset(WORK_SCALARS, m, n);
  const chunks = chunkCount(m);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const j0 = rangeStart(n, tid, nthreads), j1 = rangeStart(n, tid + 1, nthreads);

  // tid 0's running state (only tid 0 uses it).
  let alpha: f64 = 0, rhoBar: f64 = 0, phiBar: f64 = 0, anorm2: f64 = 0, bnorm: f64 = 0, arnorm: f64 = 0;
  let iter = 0;
  let reason = MAX_ITERATIONS;
  let first = true;
  for (;;) {
    // ũ = A·t − (α/β)·ũ (first: ũ = b), with ‖ũ‖² and Aᵀũ partials.
    sweep(a, lda, m, n, u, t, load<f64>(sc + (S_RATIO << 3)), first, b, norms, vecs, c0, c1, team);
    barrier(team, nthreads);
    const beta = Math.sqrt(sumPartials(norms, chunks));
    // s = Aᵀũ / β, each thread summing a slice of the n entries in chunk order.
    sumChunkColumns(vecs, chunks, n, s, tid, nthreads);
    for (let j = j0; j < j1; j++) store<f64>(at(s, j), beta > 0 ? load<f64>(at(s, j)) / beta : 0.0);
    barrier(team, nthreads);
    if (tid == 0) {
      let stop = false;
      if (first) {
        bnorm = beta;
        phiBar = beta;
        // v = R⁻ᵀ·s, α = ‖v‖, v /= α; w = v; y = 0.
        forwardSolveT(rm, n, s, z);
        alpha = Math.sqrt(dotContiguous(z, z, n));
        for (let j = 0; j < n; j++) {
          const vj = alpha > 0 ? load<f64>(at(z, j)) / alpha : 0.0;
          store<f64>(at(v, j), vj);
          store<f64>(at(w, j), vj);
          store<f64>(at(y, j), 0);
        }
        rhoBar = alpha;
        arnorm = alpha * beta;
        if (beta == 0) { reason = CONSISTENT; stop = true; }
        else if (alpha == 0) { reason = CONVERGED; stop = true; }
      } else {
        iter++;
        anorm2 += alpha * alpha + beta * beta;
        // v = R⁻ᵀ·s − β·v, α = ‖v‖.
        forwardSolveT(rm, n, s, z);
        for (let j = 0; j < n; j++) store<f64>(at(z, j), load<f64>(at(z, j)) - beta * load<f64>(at(v, j)));
        alpha = Math.sqrt(dotContiguous(z, z, n));
        for (let j = 0; j < n; j++) store<f64>(at(v, j), alpha > 0 ? load<f64>(at(z, j)) / alpha : 0.0);
        // The Givens rotation that eliminates β from the bidiagonal.
        const rho = Math.sqrt(rhoBar * rhoBar + beta * beta);
        const cs = rhoBar / rho, sn = beta / rho;
        const theta = sn * alpha;
        rhoBar = -cs * alpha;
        const phi = cs * phiBar;
        phiBar = sn * phiBar;
        const f = phi / rho, g = theta / rho;
        for (let j = 0; j < n; j++) {
          const wj = load<f64>(at(w, j));
          store<f64>(at(y, j), load<f64>(at(y, j)) + f * wj);
          store<f64>(at(w, j), load<f64>(at(v, j)) - g * wj);
        }
        // ‖r‖ = φ̄, ‖Mᵀr‖ = φ̄·α·|c|.
        arnorm = phiBar * alpha * Math.abs(cs);
        reportProgress(team, iter, phiBar);
        if (phiBar <= rtol * bnorm) { reason = CONSISTENT; stop = true; }
        else if (arnorm <= rtol * Math.sqrt(anorm2) * phiBar) { reason = CONVERGED; stop = true; }
        else if (iter >= maxIter) { reason = MAX_ITERATIONS; stop = true; }
        else if (aborted(team)) { reason = ABORTED; stop = true; }
      }
      // t = R⁻¹·v for the next sweep; ũ is scaled by α/β there.
      backSolve(rm, n, v, t);
      store<f64>(sc + (S_RATIO << 3), beta > 0 ? alpha / beta : 0.0);
      store<f64>(sc + (S_STOP << 3), stop ? 1 : 0);
      store<f64>(sc + (S_ALPHA << 3), alpha);
      store<f64>(sc + (S_BETA << 3), beta);
      if (stop) {
        backSolve(rm, n, y, x);
        store<f64>(at(out, LsqrF64Out.iterations), <f64>iter);
        store<f64>(at(out, LsqrF64Out.reason), <f64>reason);
        store<f64>(at(out, LsqrF64Out.residual), phiBar);
        store<f64>(at(out, LsqrF64Out.anorm), Math.sqrt(anorm2));
        store<f64>(at(out, LsqrF64Out.arnorm), arnorm);
      }
    }
    barrier(team, nthreads);
    first = false;
    if (load<f64>(sc + (S_STOP << 3)) != 0) break;
  }
}

// Error-free transformations (Dekker; Ogita, Rump & Oishi), two lanes at once, no FMA needed.
const SPLITTER: f64 = 134217729.0; // 2^27 + 1

// @ts-ignore: decorator
@inline function splitHi(a: v128): v128 {
  const t = f64x2.mul(a, f64x2.splat(SPLITTER));
  return f64x2.sub(t, f64x2.sub(t, a));
}

/** a·b − fl(a·b), exactly (p = fl(a·b)). */
// @ts-ignore: decorator
@inline function productError(a: v128, b: v128, p: v128): v128 {
  const ah = splitHi(a), bh = splitHi(b);
  const al = f64x2.sub(a, ah), bl = f64x2.sub(b, bh);
  return f64x2.add(f64x2.add(f64x2.add(f64x2.sub(f64x2.mul(ah, bh), p), f64x2.mul(ah, bl)), f64x2.mul(al, bh)), f64x2.mul(al, bl));
}

/** a + b − fl(a + b), exactly (s = fl(a + b)). */
// @ts-ignore: decorator
@inline function sumError(a: v128, b: v128, s: v128): v128 {
  const bb = f64x2.sub(s, a);
  return f64x2.add(f64x2.sub(a, f64x2.sub(s, bb)), f64x2.sub(b, bb));
}

/**
 * r = b − A·x (row i of A at a + i·lda) with each row's sum carried in twice
 * the working precision (TwoProduct / TwoSum, Ogita, Rump & Oishi's Dot2),
 * then rounded once: iterative refinement with residuals this accurate
 * converges past the κ·ε limit of residuals computed plainly. Threads split
 * the rows; each row's sum is one thread's, in a fixed order.
 */
export function residual_compensated_f64(
  a: usize, lda: i32, m: i32, n: i32, b: usize, x: usize, r: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const i1 = rangeStart(m, tid + 1, nthreads);
  const stride = <usize>lda << 3;
  for (let i = rangeStart(m, tid, nthreads); i < i1; i++) {
    const row = a + <usize>i * stride;
    let s = f64x2.replace_lane(f64x2.splat(0), 0, load<f64>(at(b, i)));
    let c = f64x2.splat(0);
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      const o = <usize>j << 3;
      const av = v128.load(row + o), xv = v128.load(x + o);
      const p = f64x2.mul(av, xv);
      const t = f64x2.sub(s, p);
      c = f64x2.add(c, f64x2.sub(sumError(s, f64x2.neg(p), t), productError(av, xv, p)));
      s = t;
    }
    if (j < n) {
      // The odd last column in lane 0 (lane 1 adds 0·0).
      const av = f64x2.replace_lane(f64x2.splat(0), 0, load<f64>(at(row, j)));
      const xv = f64x2.replace_lane(f64x2.splat(0), 0, load<f64>(at(x, j)));
      const p = f64x2.mul(av, xv);
      const t = f64x2.sub(s, p);
      c = f64x2.add(c, f64x2.sub(sumError(s, f64x2.neg(p), t), productError(av, xv, p)));
      s = t;
    }
    const s0 = f64x2.extract_lane(s, 0), s1 = f64x2.extract_lane(s, 1);
    const hi = s0 + s1;
    const bb = hi - s0;
    const lo = (s0 - (hi - bb)) + (s1 - bb);
    store<f64>(at(r, i), hi + (lo + (f64x2.extract_lane(c, 0) + f64x2.extract_lane(c, 1))));
  }
}
