// Lasso and elastic net by cyclic coordinate descent, scikit-learn's
// ElasticNet objective scaled by n:
//   ½‖b − A·x‖² + l1·‖x‖₁ + ½·l2·‖x‖²   (A column-major n×p, columns contiguous;
//   l1 = λρn, l2 = λ(1 − ρ)n; `positive` keeps x ≥ 0)
// with its duality-gap stopping rule, the whole fit in one SPMD launch.
//
// Threads split the rows (fixed chunks). Each coordinate step needs one
// reduction, a_jᵀr: per-chunk partials, one barrier, every thread sums them
// in chunk order and takes the same step; each thread then updates only its
// own rows of r, so the next step needs no barrier before its own partials.
// Partials are double-buffered (alternating by step taken, so skipped zero
// columns do not break the alternation): a buffer is written again two steps
// later, after every thread has read it and passed the next barrier. x[j] is read before the step's barrier and written (by tid 0) after.
import { abortAgreed, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { at, padded } from "../core/memory";
import { dotContiguous } from "../blas/level1";
import { ABORTED, CONVERGED, LassoCdF64Out, MAX_ITERATIONS } from "../generated/layouts";

// The workspace ("work"), carved in this order, each region padded to 64 bytes.
const WORK_COLSQ = 0;    // ‖a_j‖² (p)
const WORK_PARTIALS = 1; // per-chunk partials: two step buffers, a_jᵀr for the gap (p arrays), rᵀr, rᵀb
const WORK_END = 2;

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, n: i32, p: i32): usize {
  let bytes: usize = 0;
  if (region > WORK_COLSQ) bytes += padded(<usize>p << 3);
  if (region > WORK_PARTIALS) bytes += padded((<usize>(4 + p) * <usize>chunkCount(n)) << 3);
  return bytes;
}

/** Bytes of lasso_cd_f64's workspace. */
export function lassoWorkspace(n: i32, p: i32): usize {
  return workOffset(WORK_END, n, p);
}

/**
 * The duality gap of ½‖r‖² + l1·‖x‖₁ + ½·l2·‖x‖² (scikit-learn's
 * enet_coordinate_descent): r scaled into the dual feasible set, primal minus
 * dual. rr = ‖r‖², rb = rᵀb, dualNorm = max_j |ã_jᵀr − l2·x_j| (without the
 * absolute value when x ≥ 0 is imposed), l1 = ‖x‖₁, w2 = ‖x‖².
 */
export function enetGap(rr: f64, rb: f64, dualNorm: f64, lambdaN: f64, l1: f64, l2N: f64, w2: f64): f64 {
  let scale: f64 = 1, gap: f64;
  if (dualNorm > lambdaN) {
    scale = lambdaN / dualNorm;
    gap = 0.5 * (rr + rr * scale * scale);
  } else {
    gap = rr;
  }
  gap += lambdaN * l1 - scale * rb;
  if (l2N != 0) gap += 0.5 * l2N * (1 + scale * scale) * w2;
  return gap;
}

/** The gap-safe sphere's radius in θ's units: √(2·gap)/λ. */
export function safeRadius(gap: f64, lambdaN: f64): f64 {
  return Math.sqrt(2 * max(gap, 0)) / lambdaN;
}

/**
 * The gap-safe rule (Fercoq, Gramfort & Salmon 2015): with θ = r/scale the
 * dual point (scale = max(λ, the dual norm)) and radius = √(2·gap)/λ, the
 * optimum's x_j is 0 when |ã_jᵀθ| + radius·‖ã_j‖ < 1 (ã_jᵀθ for x ≥ 0).
 * g = ã_jᵀr − l2·x_j; norm2 = ‖ã_j‖² + l2 (the elastic net as a lasso on
 * [Ã; √l2·I]).
 */
export function safeToDrop(g: f64, scale: f64, radius: f64, norm2: f64, positive: bool): bool {
  // The margin keeps columns on the boundary (|ã_jᵀθ| = 1 up to rounding, radius ~0) in.
  return (positive ? g : Math.abs(g)) / scale + radius * Math.sqrt(norm2) < 1 - 1e-9;
}

/** The first column from j on with a positive entry in colSq (p if none): 0 for a zero column, −‖a_j‖² once screened. */
function nextColumn(colSq: usize, p: i32, j: i32): i32 {
  while (j < p && !(load<f64>(at(colSq, j)) > 0)) j++;
  return j;
}

/** buf[c] = col·r over each of this thread's chunks. */
function partialDots(col: usize, r: usize, buf: usize, c0: i32, c1: i32, n: i32): void {
  for (let c = c0; c < c1; c++) {
    const s = c * CHUNK;
    store<f64>(at(buf, c), dotContiguous(at(col, s), at(r, s), min(CHUNK, n - s)));
  }
}

/** r −= d·col, then Σ next·r over the updated r, in one pass over len rows. */
function updateDot(col: usize, next: usize, r: usize, d: f64, len: i32): f64 {
  const dv = f64x2.splat(d);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 3;
    const r0 = f64x2.sub(v128.load(r + o), f64x2.mul(dv, v128.load(col + o)));
    const r1 = f64x2.sub(v128.load(r + o, 16), f64x2.mul(dv, v128.load(col + o, 16)));
    const r2 = f64x2.sub(v128.load(r + o, 32), f64x2.mul(dv, v128.load(col + o, 32)));
    const r3 = f64x2.sub(v128.load(r + o, 48), f64x2.mul(dv, v128.load(col + o, 48)));
    v128.store(r + o, r0); v128.store(r + o, r1, 16); v128.store(r + o, r2, 32); v128.store(r + o, r3, 48);
    a0 = f64x2.add(a0, f64x2.mul(v128.load(next + o), r0));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(next + o, 16), r1));
    a2 = f64x2.add(a2, f64x2.mul(v128.load(next + o, 32), r2));
    a3 = f64x2.add(a3, f64x2.mul(v128.load(next + o, 48), r3));
  }
  const acc = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) {
    const o = <usize>i << 3;
    const ri = load<f64>(r + o) - d * load<f64>(col + o);
    store<f64>(r + o, ri);
    sum += load<f64>(next + o) * ri;
  }
  return sum;
}

/**
 * On entry x holds x0; on exit x and r = b − A·x hold the fit; `history`
 * historyCap f64 (the gap after each checked sweep, else NaN); out's gap is
 * in objective units (× n).
 * Stops when gap ≤ tol (absolute, objective units), checked as scikit-learn
 * does: after a sweep whose largest step is small next to the largest |x_j|.
 */
export function lasso_cd_f64(
  a: usize, n: i32, p: i32, b: usize, x: usize, r: usize,
  lambdaN: f64, l2N: f64, positive: bool, screen: bool, maxIter: i32, tol: f64, stepTol: f64,
  history: usize, historyCap: i32, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const colSq = work + workOffset(WORK_COLSQ, n, p), partials = work + workOffset(WORK_PARTIALS, n, p);
  const chunks = chunkCount(n);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const i0 = c0 * CHUNK, i1 = min(n, c1 * CHUNK);
  const steps = partials;                      // 2 buffers
  const grad = at(partials, 2 * chunks);       // p arrays: a_jᵀr for the gap
  const rrP = at(grad, p * chunks), rbP = at(rrP, chunks);
  // r = b − A·x0 and ‖a_j‖² (summed in chunk order, stored by tid 0).
  for (let i = i0; i < i1; i++) store<f64>(at(r, i), load<f64>(at(b, i)));
  for (let j = 0; j < p; j++) {
    const xj = load<f64>(at(x, j)), col = a + ((<usize>j * n) << 3);
    if (xj != 0) for (let i = i0; i < i1; i++) store<f64>(at(r, i), load<f64>(at(r, i)) - xj * load<f64>(at(col, i)));
    for (let c = c0; c < c1; c++) {
      const s = c * CHUNK;
      store<f64>(at(grad, j * chunks + c), dotContiguous(at(col, s), at(col, s), min(CHUNK, n - s)));
    }
  }
  barrier(team, nthreads);
  if (tid == 0) for (let j = 0; j < p; j++) store<f64>(at(colSq, j), sumPartials(at(grad, j * chunks), chunks));
  barrier(team, nthreads);

  let reason = MAX_ITERATIONS;
  let iter = 0;
  let gap: f64 = Infinity;
  let step = 0, checks = 0, abort = false;
  while (iter < maxIter) {
    iter++;
    let stepMax: f64 = 0, xMax: f64 = 0;
    // Each pass over this thread's rows applies step j to r and, in the same
    // pass, forms the partials of the next column's a_jᵀr: r is read once.
    let j = nextColumn(colSq, p, 0);
    if (j < p) partialDots(a + ((<usize>j * n) << 3), r, at(steps, (step & 1) * chunks), c0, c1, n);
    while (j < p) {
      const nj = load<f64>(at(colSq, j));
      const col = a + ((<usize>j * n) << 3);
      const buf = at(steps, (step & 1) * chunks);
      const old = load<f64>(at(x, j));
      if (abortAgreed(team, checks++, tid, nthreads)) { abort = true; break; }
      step++;
      const t = sumPartials(buf, chunks) + old * nj;
      // Soft threshold (clipped at 0 when positive), shrunk by the L2 term.
      const mag = Math.abs(t) - lambdaN;
      const next = mag > 0 && (!positive || t > 0) ? (t > 0 ? mag : -mag) / (nj + l2N) : 0.0;
      const d = next - old;
      const jn = nextColumn(colSq, p, j + 1);
      if (jn < p) {
        const ncol = a + ((<usize>jn * n) << 3), nbuf = at(steps, (step & 1) * chunks);
        if (d == 0) partialDots(ncol, r, nbuf, c0, c1, n);
        else {
          for (let c = c0; c < c1; c++) {
            const s = c * CHUNK;
            store<f64>(at(nbuf, c), updateDot(at(col, s), at(ncol, s), at(r, s), d, min(CHUNK, n - s)));
          }
        }
      } else if (d != 0) {
        const dv = f64x2.splat(d);
        let i = i0;
        for (; i + 2 <= i1; i += 2) {
          v128.store(at(r, i), f64x2.sub(v128.load(at(r, i)), f64x2.mul(dv, v128.load(at(col, i)))));
        }
        if (i < i1) store<f64>(at(r, i), load<f64>(at(r, i)) - d * load<f64>(at(col, i)));
      }
      if (d != 0 && tid == 0) store<f64>(at(x, j), next);
      stepMax = max(stepMax, Math.abs(d));
      xMax = max(xMax, Math.abs(next));
      j = jn;
    }
    if (abort) { reason = ABORTED; break; }
    if (tid == 0 && iter <= historyCap) store<f64>(at(history, iter - 1), NaN);
    if (xMax == 0 || stepMax / xMax < stepTol || iter == maxIter) {
      // Duality gap (as scikit-learn's enet_coordinate_descent): scale r into
      // the dual feasible set, compare primal and dual objectives.
      for (let c = c0; c < c1; c++) {
        const s = c * CHUNK, len = min(CHUNK, n - s);
        for (let j = 0; j < p; j++) store<f64>(at(grad, j * chunks + c), dotContiguous(a + ((<usize>j * n + s) << 3), at(r, s), len));
        store<f64>(at(rrP, c), dotContiguous(at(r, s), at(r, s), len));
        store<f64>(at(rbP, c), dotContiguous(at(r, s), at(b, s), len));
      }
      barrier(team, nthreads);
      let dualNorm: f64 = 0, l1: f64 = 0, w2: f64 = 0;
      for (let j = 0; j < p; j++) {
        const xj = load<f64>(at(x, j));
        const g = sumPartials(at(grad, j * chunks), chunks) - l2N * xj;
        dualNorm = max(dualNorm, positive ? g : Math.abs(g));
        l1 += Math.abs(xj);
        w2 += xj * xj;
      }
      gap = enetGap(sumPartials(rrP, chunks), sumPartials(rbP, chunks), dualNorm, lambdaN, l1, l2N, w2);
      if (tid == 0) {
        if (iter <= historyCap) store<f64>(at(history, iter - 1), gap);
        reportProgress(team, iter, gap);
      }
      if (gap <= tol) { reason = CONVERGED; break; }
      if (screen && lambdaN > 0 && iter < maxIter) {
        // Gap-safe rule (safeToDrop), decided alike by every thread from the summed partials:
        // each takes a dropped nonzero x_j off its own rows of r, then tid 0 zeroes x_j and
        // flags the column (−‖a_j‖²: nextColumn skips it) once everyone has read both.
        const scale = max(lambdaN, dualNorm), radius = safeRadius(gap, lambdaN);
        for (let pass = 0; pass < 2 && (pass == 0 || tid == 0); pass++) {
          for (let j = 0; j < p; j++) {
            const nj = load<f64>(at(colSq, j));
            if (!(nj > 0)) continue;
            const xj = load<f64>(at(x, j));
            if (!safeToDrop(sumPartials(at(grad, j * chunks), chunks) - l2N * xj, scale, radius, nj + l2N, positive)) continue;
            if (pass == 0) {
              if (xj != 0) {
                const col = a + ((<usize>j * n) << 3);
                for (let i = i0; i < i1; i++) store<f64>(at(r, i), load<f64>(at(r, i)) + xj * load<f64>(at(col, i)));
              }
            } else if (tid == 0) {
              store<f64>(at(x, j), 0);
              store<f64>(at(colSq, j), -nj);
            }
          }
          if (pass == 0) barrier(team, nthreads);
        }
      }
      // Keep the next sweep's writes of `grad`/`rrP` behind everyone's reads.
      barrier(team, nthreads);
    } else if (tid == 0) {
      reportProgress(team, iter, NaN);
    }
  }
  if (tid == 0) {
    store<f64>(at(out, LassoCdF64Out.iterations), <f64>iter);
    store<f64>(at(out, LassoCdF64Out.reason), <f64>reason);
    store<f64>(at(out, LassoCdF64Out.gap), gap);
  }
}
