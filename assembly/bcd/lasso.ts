// Lasso by cyclic coordinate descent, scikit-learn's objective scaled by n:
//   ½‖b − A·x‖² + λn·‖x‖₁        (A column-major n×p, columns contiguous)
// with its duality-gap stopping rule, the whole fit in one SPMD launch.
//
// Threads split the rows (fixed chunks). Each coordinate step needs one
// reduction, a_jᵀr: per-chunk partials, one barrier, every thread sums them
// in chunk order and takes the same step; each thread then updates only its
// own rows of r, so the next step needs no barrier before its own partials.
// Partials are double-buffered (alternating by step taken, so skipped zero
// columns do not break the alternation): a buffer is written again two steps
// later, after every thread has read it and passed the next barrier. x[j] is read before the step's barrier and written (by tid 0) after.
import { aborted, barrier, rangeStart, TEAM_PROGRESS_ITER, TEAM_PROGRESS_VALUE } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { dotContiguous } from "../blas/level1";

// Result block (f64 slots).
const OUT_ITERATIONS = 0;
const OUT_REASON = 1;   // 0 converged, 1 max-iterations, 4 aborted
const OUT_GAP = 2;      // duality gap, objective units (× n)
const OUT_STOP = 3;     // abort broadcast, two slots (by sweep parity)

// @ts-ignore: decorator
@inline function at(v: usize, i: i32): usize {
  return v + (<usize>i << 3);
}

/**
 * On entry x holds x0 and r = b − A·x0; on exit both are updated.
 * `colSq` holds ‖a_j‖²; `partials` (2 + p + 2)·chunkCount(n) f64;
 * `history` historyCap f64 (the gap after each checked sweep, else NaN).
 * Stops when gap ≤ tol (absolute, objective units), checked as scikit-learn
 * does: after a sweep whose largest step is small next to the largest |x_j|.
 */
export function lasso_cd_f64(
  a: usize, n: i32, p: i32, b: usize, x: usize, r: usize, colSq: usize,
  lambdaN: f64, maxIter: i32, tol: f64, stepTol: f64,
  partials: usize, history: usize, historyCap: i32, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const chunks = chunkCount(n);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const i0 = c0 * CHUNK, i1 = min(n, c1 * CHUNK);
  const steps = partials;                      // 2 buffers
  const grad = at(partials, 2 * chunks);       // p arrays: a_jᵀr for the gap
  const rrP = at(grad, p * chunks), rbP = at(rrP, chunks);
  let reason = 1;
  let iter = 0;
  let gap: f64 = Infinity;
  let step = 0;
  while (iter < maxIter) {
    iter++;
    // The abort flag, read by tid 0 and broadcast through a slot per sweep
    // parity: written before this sweep's first barrier, read after its last,
    // written again only after the next sweep's barriers.
    const stop = out + ((OUT_STOP + (iter & 1)) << 3);
    if (tid == 0) store<f64>(stop, aborted(team) ? 1 : 0);
    let stepMax: f64 = 0, xMax: f64 = 0;
    for (let j = 0; j < p; j++) {
      const nj = load<f64>(at(colSq, j));
      if (nj == 0) continue;
      const col = a + ((<usize>j * n) << 3);
      const buf = at(steps, (step & 1) * chunks);
      step++;
      for (let c = c0; c < c1; c++) {
        const s = c * CHUNK;
        store<f64>(at(buf, c), dotContiguous(at(col, s), at(r, s), min(CHUNK, n - s)));
      }
      const old = load<f64>(at(x, j));
      barrier(team, nthreads);
      const t = sumPartials(buf, chunks) + old * nj;
      // Soft threshold.
      const mag = Math.abs(t) - lambdaN;
      const next = mag > 0 ? (t > 0 ? mag : -mag) / nj : 0.0;
      const d = next - old;
      if (d != 0) {
        const dv = f64x2.splat(d);
        let i = i0;
        for (; i + 2 <= i1; i += 2) {
          v128.store(at(r, i), f64x2.sub(v128.load(at(r, i)), f64x2.mul(dv, v128.load(at(col, i)))));
        }
        if (i < i1) store<f64>(at(r, i), load<f64>(at(r, i)) - d * load<f64>(at(col, i)));
        if (tid == 0) store<f64>(at(x, j), next);
      }
      stepMax = max(stepMax, Math.abs(d));
      xMax = max(xMax, Math.abs(next));
    }
    if (tid == 0 && iter <= historyCap) store<f64>(at(history, iter - 1), NaN);
    if (xMax == 0 || stepMax / xMax < stepTol || iter == maxIter) {
      // Duality gap (as scikit-learn's enet_coordinate_descent, no L2 term):
      // scale r into the dual feasible set, compare primal and dual objectives.
      for (let c = c0; c < c1; c++) {
        const s = c * CHUNK, len = min(CHUNK, n - s);
        for (let j = 0; j < p; j++) store<f64>(at(grad, j * chunks + c), dotContiguous(a + ((<usize>j * n + s) << 3), at(r, s), len));
        store<f64>(at(rrP, c), dotContiguous(at(r, s), at(r, s), len));
        store<f64>(at(rbP, c), dotContiguous(at(r, s), at(b, s), len));
      }
      barrier(team, nthreads);
      let dualNorm: f64 = 0, l1: f64 = 0;
      for (let j = 0; j < p; j++) {
        dualNorm = max(dualNorm, Math.abs(sumPartials(at(grad, j * chunks), chunks)));
        l1 += Math.abs(load<f64>(at(x, j)));
      }
      const rr = sumPartials(rrP, chunks), rb = sumPartials(rbP, chunks);
      let scale: f64 = 1;
      if (dualNorm > lambdaN) {
        scale = lambdaN / dualNorm;
        gap = 0.5 * (rr + rr * scale * scale);
      } else {
        gap = rr;
      }
      gap += lambdaN * l1 - scale * rb;
      if (tid == 0) {
        if (iter <= historyCap) store<f64>(at(history, iter - 1), gap);
        store<f64>(team + TEAM_PROGRESS_VALUE, gap);
        if (ASC_FEATURE_THREADS) atomic.store<i32>(team + TEAM_PROGRESS_ITER, iter);
        else store<i32>(team + TEAM_PROGRESS_ITER, iter);
      }
      if (gap <= tol) { reason = 0; break; }
      // Keep the next sweep's writes of `grad`/`rrP` behind everyone's reads.
      barrier(team, nthreads);
    } else if (tid == 0) {
      store<f64>(team + TEAM_PROGRESS_VALUE, NaN);
      if (ASC_FEATURE_THREADS) atomic.store<i32>(team + TEAM_PROGRESS_ITER, iter);
      else store<i32>(team + TEAM_PROGRESS_ITER, iter);
    }
    if (load<f64>(stop) != 0) { reason = 4; break; }
  }
  if (tid == 0) {
    store<f64>(out + (OUT_ITERATIONS << 3), <f64>iter);
    store<f64>(out + (OUT_REASON << 3), <f64>reason);
    store<f64>(out + (OUT_GAP << 3), gap);
  }
}
