// Binary logistic regression by coordinate descent with a Newton step per
// coordinate (LIBLINEAR's primal CDN): minimise
//   P(w) + C·Σ_i log(1 + exp(−y_i·a_iᵀw)),  P = ½‖w‖² (L2) or ‖w‖₁ (L1),
// A column-major n×p, y_i ∈ {−1, 1}; z = A·w is kept and updated per step.
// Threads split the rows (fixed chunks); each step's reductions (gradient and
// curvature, then the line search's loss change) are per-chunk partials summed
// in chunk order by every thread, so every thread takes the same step.
import { abortAgreed, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { at, padded } from "../core/memory";
import { ABORTED, CONVERGED, LogisticCdnF64Out, MAX_ITERATIONS } from "../generated/layouts";

// The workspace ("work"), carved in this order, each region padded to 64 bytes.
const WORK_Z = 0;        // z = A·w (n)
const WORK_PARTIALS = 1; // per-chunk partials: gradient and curvature, two buffers each; the line search's loss change, two
const WORK_END = 2;

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, n: i32): usize {
  let bytes: usize = 0;
  if (region > WORK_Z) bytes += padded(<usize>n << 3);
  if (region > WORK_PARTIALS) bytes += padded((6 * <usize>chunkCount(n)) << 3);
  return bytes;
}

/** Bytes of logistic_cdn_f64's workspace. */
export function logisticWorkspace(n: i32): usize {
  return workOffset(WORK_END, n);
}

const SIGMA: f64 = 0.01;   // Armijo sufficient-decrease fraction
const MAX_HALVINGS = 20;

/** The L1 step: argmin_d g·d + ½h·d² + |w + d|. */
// @ts-ignore: decorator
@inline function l1Step(w: f64, g: f64, h: f64): f64 {
  if (g + 1 <= h * w) return -(g + 1) / h;
  if (g - 1 >= h * w) return -(g - 1) / h;
  return -w;
}

/**
 * On entry w holds zeros (z = A·w starts at 0).
 * Stops when the largest optimality violation of a sweep is ≤ tol times that
 * of the first sweep (LIBLINEAR's rule), when a whole sweep finds no step that
 * lowers the objective (the optimum to rounding), or after maxIter sweeps.
 */
export function logistic_cdn_f64(
  a: usize, n: i32, p: i32, y: usize, w: usize, c: f64, l1: i32,
  maxIter: i32, tol: f64, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const chunks = chunkCount(n);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const i0 = c0 * CHUNK, i1 = min(n, c1 * CHUNK);
  const z = work + workOffset(WORK_Z, n), partials = work + workOffset(WORK_PARTIALS, n);
  // Each thread reads and writes only its own rows of z.
  for (let i = i0; i < i1; i++) store<f64>(at(z, i), 0);
  // Two buffers per reduction, alternating by step: one is rewritten only two
  // steps later, after every thread has read it and passed another barrier.
  let step = 0;
  let first: f64 = -1, viol: f64 = 0;
  let iter = 0, reason = MAX_ITERATIONS;
  let abort = false, checks = 0;
  while (iter < maxIter) {
    iter++;
    viol = 0;
    let moved = false;
    for (let j = 0; j < p; j++) {
      const col = a + ((<usize>j * n) << 3);
      const gp = at(partials, (step & 1) * 2 * chunks), hp = at(gp, chunks);
      step++;
      // Gradient and curvature of the loss along coordinate j.
      for (let cc = c0; cc < c1; cc++) {
        const s0 = cc * CHUNK, s1 = min(n, s0 + CHUNK);
        let gs: f64 = 0, hs: f64 = 0;
        for (let i = s0; i < s1; i++) {
          const aij = load<f64>(at(col, i));
          if (aij == 0) continue;
          const yi = load<f64>(at(y, i));
          const s = 1.0 / (1.0 + Math.exp(-yi * load<f64>(at(z, i))));  // σ(y·z)
          gs += (s - 1.0) * yi * aij;
          hs += s * (1.0 - s) * aij * aij;
        }
        store<f64>(at(gp, cc), gs);
        store<f64>(at(hp, cc), hs);
      }
      const wj = load<f64>(at(w, j));
      if (abortAgreed(team, checks++, tid, nthreads)) { abort = true; break; }
      let g = c * sumPartials(gp, chunks), h = c * sumPartials(hp, chunks);
      let d: f64;
      if (l1 != 0) {
        h = max(h, 1e-12);
        d = l1Step(wj, g, h);
        viol = max(viol, wj > 0 ? Math.abs(g + 1) : wj < 0 ? Math.abs(g - 1) : max(Math.abs(g) - 1, 0));
      } else {
        g += wj;
        h += 1;
        d = -g / h;
        viol = max(viol, Math.abs(g));
      }
      if (d == 0) continue;
      // Armijo backtracking on the true objective change along the step.
      const lin = l1 != 0 ? (g * d + Math.abs(wj + d) - Math.abs(wj)) : (g * d);
      let accepted = false;
      for (let t = 0; t < MAX_HALVINGS; t++) {
        const lp = at(partials, 4 * chunks + (step & 1) * chunks);
        step++;
        for (let cc = c0; cc < c1; cc++) {
          const s0 = cc * CHUNK, s1 = min(n, s0 + CHUNK);
          let ls: f64 = 0;
          for (let i = s0; i < s1; i++) {
            const aij = load<f64>(at(col, i));
            if (aij == 0) continue;
            // softplus(u + δ) − softplus(u) = log1p(σ(u)·expm1(δ)), u = −y·z, δ = −y·d·a:
            // accurate however small the step (no difference of near-equal logs).
            const yi = load<f64>(at(y, i));
            const su = 1.0 / (1.0 + Math.exp(yi * load<f64>(at(z, i))));
            ls += Math.log1p(su * Math.expm1(-yi * d * aij));
          }
          store<f64>(at(lp, cc), ls);
        }
        barrier(team, nthreads);
        const pen = l1 != 0 ? Math.abs(wj + d) - Math.abs(wj) : wj * d + 0.5 * d * d;
        const change = pen + c * sumPartials(lp, chunks);
        if (change <= SIGMA * (l1 != 0 ? lin : g * d)) { accepted = true; break; }
        d *= 0.5;
      }
      if (!accepted) continue;
      moved = true;
      for (let i = i0; i < i1; i++) store<f64>(at(z, i), load<f64>(at(z, i)) + d * load<f64>(at(col, i)));
      // Read before this step's barriers by everyone; written after them.
      if (tid == 0) store<f64>(at(w, j), wj + d);
      // Keep the next step's reads of w behind this write.
      barrier(team, nthreads);
    }
    if (abort) { reason = ABORTED; break; }
    if (first < 0) first = viol;
    if (tid == 0) {
      reportProgress(team, iter, viol);
    }
    // Converged, or no step could lower the objective in floating point.
    if (viol <= tol * first || !moved) { reason = CONVERGED; break; }
  }
  // Σ log(1 + exp(−y·z)) at the end, here so the reported objective is the
  // same in every runtime (JavaScript's exp/log1p differ between engines).
  const lossP = at(partials, 4 * chunks + (step & 1) * chunks);
  for (let cc = c0; cc < c1; cc++) {
    const s0 = cc * CHUNK, s1 = min(n, s0 + CHUNK);
    let ls: f64 = 0;
    for (let i = s0; i < s1; i++) {
      const t = -load<f64>(at(y, i)) * load<f64>(at(z, i));
      ls += t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
    }
    store<f64>(at(lossP, cc), ls);
  }
  barrier(team, nthreads);
  if (tid == 0) {
    store<f64>(at(out, LogisticCdnF64Out.loss), sumPartials(lossP, chunks));
    store<f64>(at(out, LogisticCdnF64Out.iterations), <f64>iter);
    store<f64>(at(out, LogisticCdnF64Out.reason), <f64>reason);
    store<f64>(at(out, LogisticCdnF64Out.violation), viol);
  }
}
