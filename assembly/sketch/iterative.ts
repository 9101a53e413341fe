// Iterative sketching with momentum for min ‖A·x − b‖ (Epperly, "Fast and
// forward stable randomized algorithms for linear least-squares problems";
// heavy-ball parameters of Lacotte & Pilanci): one sketch S·A, fixed, gives
// R; from the sketch-and-solve start x₀ the iteration
//   x ← x + α·R⁻¹R⁻ᵀAᵀ(b − A·x) + β·(x − x_prev),  α = (1 − ρ)², β = ρ,
// with ρ = n/d converges like √ρ per step whatever cond(A), for a sketch
// whose distortion is that of a d-row Gaussian. It differs from Pilanci &
// Wainwright's iterative Hessian sketch in keeping one sketch (one QR).
//
// One pass over A per iteration: each thread takes its chunks of rows and,
// row by row, forms rᵢ = bᵢ − aᵢ·x and adds rᵢ·aᵢ to its chunk's partial of
// Aᵀr; partials are summed in chunk order, so iterates do not depend on the
// thread count. The O(n²) steps are tid 0's, between barriers.
import { aborted, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { dotContiguous } from "../blas/level1";
import { backSolve, forwardSolveT } from "../blas/triangular";
import { at, padded } from "../core/memory";
import { ABORTED, CONSISTENT, CONVERGED, IterativeSketchF64Out, LstsqResidualF64Out, MAX_ITERATIONS } from "../generated/layouts";
import { addScaledRow, sumChunkColumns } from "./rows";

const HI_MARGIN: f64 = 1.5;

// Workspace regions: `vectors` n-vectors of the kernel's own, the per-chunk
// partials of Aᵀr (n each), of ‖r‖² and of ‖A‖_F².
const WORK_VECTORS = 0, WORK_VECS = 1, WORK_NORMS = 2, WORK_END = 3;

function workRegion(region: i32, m: i32, n: i32, vectors: i32): usize {
  const chunks = <usize>chunkCount(m);
  switch (region) {
    case WORK_VECTORS: return <usize>vectors * <usize>n;
    case WORK_VECS: return chunks * <usize>n;
    case WORK_NORMS: return 2 * chunks;
    default: return 0;
  }
}

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, m: i32, n: i32, vectors: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) bytes += padded(workRegion(r, m, n, vectors) << 3);
  return bytes;
}

/** iterative_sketch_f64's n-vectors: x_prev, Aᵀr, R⁻ᵀAᵀr, the step, the best x. */
const ITERATIVE_VECTORS = 5;

/** Bytes of iterative_sketch_f64's workspace. */
export function iterativeWorkspace(m: i32, n: i32): f64 {
  return <f64>workOffset(WORK_END, m, n, ITERATIVE_VECTORS);
}

/** Bytes of lstsq_residual_f64's workspace. */
export function residualWorkspace(m: i32, n: i32): f64 {
  return <f64>workOffset(WORK_END, m, n, 0);
}

/** rᵢ = bᵢ − aᵢ·x over this thread's chunks, with partials of ‖r‖² and Aᵀr. */
function residualSweep(a: usize, lda: i32, m: i32, n: i32, b: usize, x: usize, norms: usize, vecs: usize, c0: i32, c1: i32, frobenius: usize, team: usize): void {
  const rowBytes = <usize>lda << 3;
  for (let c = c0; c < c1; c++) {
    if (aborted(team)) return; // as lsqr_f64's sweep
    const i0 = c * CHUNK, i1 = min(m, i0 + CHUNK);
    const part = vecs + ((<usize>c * n) << 3);
    memory.fill(part, 0, <usize>n << 3);
    let nn: f64 = 0;
    let ff: f64 = 0;
    for (let i = i0; i < i1; i++) {
      const row = a + <usize>i * rowBytes;
      if (frobenius) ff += dotContiguous(row, row, n);
      const ri = load<f64>(b + (<usize>i << 3)) - dotContiguous(row, x, n);
      nn += ri * ri;
      addScaledRow(part, row, ri, n);
    }
    store<f64>(norms + (<usize>c << 3), nn);
    if (frobenius) store<f64>(frobenius + (<usize>c << 3), ff);
  }
}

/**
 * Solves min ‖A·x − b‖ (row i of A at a + i·lda) from the start in x.
 * `rm` is R (n×n row-major upper triangular) from the sketch; rho = n/d;
 * `work`: iterativeWorkspace bytes; `out`: IterativeSketchF64Out (slot stop
 * also tells the team to stop). Reasons: converged (‖R⁻ᵀAᵀr‖ ≤ rtol·‖r‖ or at
 * the rounding floor), consistent (‖r‖ ≤ rtol·‖b‖), max-iterations, aborted.
 */
export function iterative_sketch_f64(
  a: usize, lda: i32, m: i32, n: i32, b: usize, bnorm: f64, rm: usize, x: usize,
  maxIter: i32, rtol: f64, rho: f64, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const nb = <usize>n << 3;
  const xPrev = work, g = work + nb, z = g + nb, dx = z + nb, xBest = dx + nb;
  const vecs = work + workOffset(WORK_VECS, m, n, ITERATIVE_VECTORS), norms = work + workOffset(WORK_NORMS, m, n, ITERATIVE_VECTORS);
  const chunks = chunkCount(m);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  // tid 0's state: the assumed spectrum [lo, hi] of M = A·R⁻¹'s Gram matrix
  // (a d-row Gaussian sketch's: (1 ± √ρ)⁻²) and the heavy-ball step it gives.
  let iter = 0, sinceBest = 0, best = Infinity, last = Infinity, normA: f64 = 0;
  const sq = Math.sqrt(rho);
  // hi gets a margin: it is the sensitive end (1/σ_min(S·Q)²), and a mode
  // just past the stability bound converges at a crawl.
  let lo = 1 / ((1 + sq) * (1 + sq)), hi = HI_MARGIN / ((1 - sq) * (1 - sq));
  let mark = Infinity, markIter = 0;
  let alpha = heavyBallAlpha(lo, hi), beta = heavyBallBeta(lo, hi);
  if (tid == 0) {
    memory.copy(xPrev, x, nb);
    memory.copy(xBest, x, nb);
    store<f64>(at(out, IterativeSketchF64Out.stop), 0);
  }
  barrier(team, nthreads);
  for (;;) {
    // The first sweep also sums ‖A‖_F² (for the rounding floor of ‖Mᵀr‖).
    const frobenius = iter == 0 && normA == 0 ? norms + (<usize>chunks << 3) : 0;
    residualSweep(a, lda, m, n, b, x, norms, vecs, c0, c1, frobenius, team);
    barrier(team, nthreads);
    sumChunkColumns(vecs, chunks, n, g, tid, nthreads);
    barrier(team, nthreads);
    if (tid == 0) {
      const rnorm = Math.sqrt(sumPartials(norms, chunks));
      // z = R⁻ᵀ·Aᵀr: the gradient in the preconditioned variables (‖Mᵀr‖).
      forwardSolveT(rm, n, g, z);
      const gnorm = Math.sqrt(dotContiguous(z, z, n));
      reportProgress(team, iter, rnorm);
      if (frobenius) normA = Math.sqrt(sumPartials(frobenius, chunks));
      // Converged: the preconditioned gradient (≈ ‖R·(x − x*)‖, as M is near
      // orthonormal) is rtol-small next to ‖r‖ or ‖R·x‖ (≈ ‖A·x‖), or down to
      // what rounding in r = b − A·x allows (ε·(‖b‖ + ‖A‖_F·‖x‖)).
      const ry = rNorm(rm, n, x, dx);
      const xn = Math.sqrt(dotContiguous(x, x, n));
      const floor = 4 * F64.EPSILON * (bnorm + normA * xn);
      let reason = -1;
      if (rnorm <= rtol * bnorm) reason = CONSISTENT;
      else if (gnorm <= rtol * max(rnorm, ry) || gnorm <= floor) reason = CONVERGED;
      else if (iter >= maxIter) reason = MAX_ITERATIONS;
      else if (aborted(team)) reason = ABORTED;
      if (gnorm < best) { best = gnorm; sinceBest = 0; memory.copy(xBest, x, nb); } else sinceBest++;
      if (iter - markIter >= 16 && best <= 0.01 * mark) { mark = best; markIter = iter; }
      if (mark == Infinity) mark = best;
      if (reason >= 0) {
        store<f64>(at(out, IterativeSketchF64Out.iterations), <f64>iter);
        store<f64>(at(out, IterativeSketchF64Out.reason), <f64>reason);
        store<f64>(at(out, IterativeSketchF64Out.residual), rnorm);
        store<f64>(at(out, IterativeSketchF64Out.gradient), gnorm);
        store<f64>(at(out, IterativeSketchF64Out.spectrumHi), hi);
        store<f64>(at(out, IterativeSketchF64Out.stop), 1);
      } else if (gnorm > 4 * best || sinceBest >= 12 || (iter - markIter >= 16 && best > 0.01 * mark)) {
        // The sketch is more distorted than assumed. Growth: an eigenvalue λ
        // of MᵀM exceeds the step's stability bound and its mode grows by a
        // factor γ per step (a negative root of t² − (1 + β − αλ)·t + β), so
        // αλ = γ + β/γ + 1 + β: widen hi past that λ. Stalling without
        // growth: eigenvalues below lo converge slowly: lower lo. Either way,
        // restart from the best iterate without momentum.
        // Progress far slower than √β per step: both ends, moderately.
        if (gnorm > 4 * best) {
          const growth = last > 0 ? gnorm / last : 2.0;
          const lambda = growth > 1 ? (growth + beta / growth + 1 + beta) / alpha : 2 * hi;
          hi = max(2 * hi, 1.25 * lambda);
        } else if (sinceBest >= 12) {
          lo *= 0.25;
        } else {
          hi *= 1.5;
          lo *= 0.5;
        }
        mark = Infinity;
        markIter = iter + 1;
        alpha = heavyBallAlpha(lo, hi);
        beta = heavyBallBeta(lo, hi);
        memory.copy(x, xBest, nb);
        memory.copy(xPrev, xBest, nb);
        sinceBest = 0;
        best = Infinity; // re-measured at xBest on the next sweep
        iter++;
      } else {
        backSolve(rm, n, z, dx);
        for (let j = 0; j < n; j++) {
          const p = <usize>j << 3;
          const xj = load<f64>(x + p);
          store<f64>(x + p, xj + alpha * load<f64>(dx + p) + beta * (xj - load<f64>(xPrev + p)));
          store<f64>(xPrev + p, xj);
        }
        iter++;
      }
      last = gnorm;
    }
    barrier(team, nthreads);
    if (load<f64>(at(out, IterativeSketchF64Out.stop)) != 0) break;
  }
}

/** ‖R·x‖ (t: n f64 of scratch). */
function rNorm(rm: usize, n: i32, x: usize, t: usize): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const row = rm + ((<usize>i * n + i) << 3);
    const v = dotContiguous(row, x + (<usize>i << 3), n - i);
    s += v * v;
  }
  return Math.sqrt(s);
}

/** Polyak's heavy-ball step for a quadratic with Hessian spectrum in [lo, hi]: 4/(√hi + √lo)². */
function heavyBallAlpha(lo: f64, hi: f64): f64 {
  const s = Math.sqrt(hi) + Math.sqrt(lo);
  return 4 / (s * s);
}

/** … and its momentum ((√hi − √lo)/(√hi + √lo))²: ((1−√ρ)⁻¹ ± (1+√ρ)⁻¹ gives α = (1 − ρ)², β = ρ). */
function heavyBallBeta(lo: f64, hi: f64): f64 {
  const r = (Math.sqrt(hi) - Math.sqrt(lo)) / (Math.sqrt(hi) + Math.sqrt(lo));
  return r * r;
}

/**
 * What a least-squares stopping criterion needs at x, recomputed: r = b − A·x
 * (row i of A at a + i·lda); ‖r‖ and ‖A‖_F (LstsqResidualF64Out), and
 * g = Aᵀr (n f64). `work`: residualWorkspace bytes. Summed in chunk order.
 */
export function lstsq_residual_f64(
  a: usize, lda: i32, m: i32, n: i32, b: usize, x: usize, g: usize, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const vecs = work + workOffset(WORK_VECS, m, n, 0), norms = work + workOffset(WORK_NORMS, m, n, 0);
  const chunks = chunkCount(m);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const frobenius = norms + (<usize>chunks << 3);
  residualSweep(a, lda, m, n, b, x, norms, vecs, c0, c1, frobenius, team);
  barrier(team, nthreads);
  sumChunkColumns(vecs, chunks, n, g, tid, nthreads);
  if (tid == 0) {
    store<f64>(at(out, LstsqResidualF64Out.residual), Math.sqrt(sumPartials(norms, chunks)));
    store<f64>(at(out, LstsqResidualF64Out.frobenius), Math.sqrt(sumPartials(frobenius, chunks)));
  }
}
