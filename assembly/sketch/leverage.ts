// Leverage-score sampling (Drineas, Magdon-Ismail, Mahoney & Woodruff, "Fast
// approximation of matrix coherence and statistical leverage"): the leverage
// of row i of a full-rank A is ℓᵢ = ‖eᵢᵀ·Q‖² for an orthonormal basis Q of
// range(A). With R from a QR of a fast sketch S₁·A, A·R⁻¹ is nearly
// orthonormal, so ℓᵢ ≈ ‖aᵢ·R⁻¹‖²; a Gaussian Π (n×r, r ≪ n) cuts the cost to
// ℓ̃ᵢ = ‖aᵢ·R⁻¹·Π‖² (Johnson–Lindenstrauss). Rows are then drawn i.i.d. with
// probabilities pᵢ ∝ ℓ̃ᵢ, mixed 9:1 with uniform ("shrinkage leveraging", Ma,
// Mahoney & Yu) so no row's weight 1/√(d·pᵢ) is unbounded where an estimate
// comes out too small, and scaled by 1/√(d·pᵢ), so E[SᵀS] = I.
import { gaussianPair, mix64, streamKey, unit53 } from "../core/rng";
import { aborted, barrier, rangeStart } from "../core/team";
import { dotContiguous } from "../blas/level1";
import { backSolve } from "../blas/triangular";
import { padded } from "../core/memory";

/** β, the uniform part of the sampling probabilities. */
const UNIFORM_SHARE: f64 = 0.1;

/** Bytes of leverage_scores_f64's workspace: Ω (n × (r or n), column-major), then one column of Π. */
export function leverageWorkspace(n: i32, r: i32): f64 {
  const width = r > 0 ? r : n;
  return <f64>(padded(<usize>n * <usize>width << 3) + padded(<usize>n << 3));
}

/**
 * scores[i] = ‖A[i, 0..n)·Ω‖², Ω = R⁻¹·Π (Π Gaussian n×r, entries N(0, 1/r)),
 * or Ω = R⁻¹ itself when r = 0 (exact given R). R: n×n row-major upper
 * triangular. `work`: leverageWorkspace bytes.
 */
export function leverage_scores_f64(
  a: usize, lda: i32, m: i32, n: i32, rm: usize, r: i32, seed: f64, scores: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const width = r > 0 ? r : n;
  const colBytes = <usize>n << 3;
  const omega = work, pi = work + padded(<usize>n * <usize>width << 3);
  if (tid == 0) {
    // Ω's columns by back substitution: R·ω = π (a column of Π, or eⱼ).
    const key = streamKey(<u64>seed, 4), scale = r > 0 ? 1.0 / Math.sqrt(<f64>r) : 1.0;
    for (let c = 0; c < width; c++) {
      for (let i = 0; i < n; i += 2) {
        const g = gaussianPair(key, <u64>c * <u64>((n + 1) >> 1) + <u64>(i >> 1), scale);
        store<f64>(pi + (<usize>i << 3), r > 0 ? f64x2.extract_lane(g, 0) : <f64>(i == c));
        if (i + 1 < n) store<f64>(pi + (<usize>(i + 1) << 3), r > 0 ? f64x2.extract_lane(g, 1) : <f64>(i + 1 == c));
      }
      backSolve(rm, n, pi, omega + <usize>c * colBytes);
    }
  }
  barrier(team, nthreads);
  const i1 = rangeStart(m, tid + 1, nthreads);
  for (let i = rangeStart(m, tid, nthreads); i < i1; i++) {
    // No barrier follows: each thread may leave on its own once the host asks (the host discards the output).
    if ((i & 1023) == 0 && aborted(team)) return;
    const row = a + ((<usize>i * lda) << 3);
    let s: f64 = 0;
    for (let c = 0; c < width; c++) {
      const t = dotContiguous(row, omega + <usize>c * colBytes, n);
      s += t * t;
    }
    store<f64>(scores + (<usize>i << 3), s);
  }
}

/** Bytes of sample_rows_f64's workspace: the cdf (m + 1 entries) and Σscore. */
export function sampleWorkspace(m: i32): f64 {
  return <f64>padded(<usize>(m + 2) << 3);
}

/**
 * sa (d×n row-major) = d rows of A (row stride lda, n columns copied) drawn
 * with probabilities pᵢ = (1 − β)·scoreᵢ/Σscore + β/m, row i scaled by 1/√(d·pᵢ).
 * `work`: sampleWorkspace bytes.
 */
export function sample_rows_f64(
  a: usize, lda: i32, m: i32, n: i32, scores: usize, d: i32, seed: f64, sa: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const cdf = work;
  if (tid == 0) {
    // cdf of the weights qᵢ = (1 − β)·ℓ̃ᵢ + β·Σℓ̃/m, which also sum to Σℓ̃.
    let total: f64 = 0;
    for (let i = 0; i < m; i++) total += load<f64>(scores + (<usize>i << 3));
    const share = UNIFORM_SHARE * total / <f64>m;
    let s: f64 = 0;
    store<f64>(cdf, 0);
    for (let i = 0; i < m; i++) {
      s += (1 - UNIFORM_SHARE) * load<f64>(scores + (<usize>i << 3)) + share;
      store<f64>(cdf + (<usize>(i + 1) << 3), s);
    }
    store<f64>(cdf + (<usize>(m + 1) << 3), total);
  }
  barrier(team, nthreads);
  const top = load<f64>(cdf + (<usize>m << 3)), total = load<f64>(cdf + (<usize>(m + 1) << 3));
  const share = UNIFORM_SHARE * total / <f64>m;
  const key = streamKey(<u64>seed, 5);
  const k1 = rangeStart(d, tid + 1, nthreads);
  for (let k = rangeStart(d, tid, nthreads); k < k1; k++) {
    const u = unit53(mix64(key, <u64>k)) * top;
    // The row i with cdf[i] ≤ u < cdf[i + 1] (rows of zero score are never hit).
    let lo = 0, hi = m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (load<f64>(cdf + (<usize>(mid + 1) << 3)) > u) hi = mid; else lo = mid + 1;
    }
    const p = ((1 - UNIFORM_SHARE) * load<f64>(scores + (<usize>lo << 3)) + share) / total;
    const scale = 1.0 / Math.sqrt(<f64>d * p);
    const src = a + ((<usize>lo * lda) << 3), dst = sa + ((<usize>k * n) << 3);
    const sv = f64x2.splat(scale);
    let j = 0;
    for (; j + 2 <= n; j += 2) v128.store(dst + (<usize>j << 3), f64x2.mul(sv, v128.load(src + (<usize>j << 3))));
    if (j < n) store<f64>(dst + (<usize>j << 3), scale * load<f64>(src + (<usize>j << 3)));
  }
}
