// Small dense helpers for block coordinate descent: one block's τ×τ
// curvature matrix M (row-major, τ ≤ a few hundred) and its subproblems.
// Plain sequential code: every thread that needs a result computes it itself
// in its own scratch, so no reduction is involved and the bits are the same
// on any thread count.

// @ts-ignore: decorator
@inline function at(v: usize, i: i32): usize {
  return v + (<usize>i << 3);
}

/** Lower Cholesky factor of M (τ×τ) into l; false if a pivot is not positive. */
export function cholesky(m: usize, l: usize, t: i32): bool {
  for (let i = 0; i < t; i++) {
    for (let j = 0; j <= i; j++) {
      let s = load<f64>(at(m, i * t + j));
      for (let k = 0; k < j; k++) s -= load<f64>(at(l, i * t + k)) * load<f64>(at(l, j * t + k));
      if (i == j) {
        if (!(s > 0)) return false;
        store<f64>(at(l, i * t + i), Math.sqrt(s));
      } else {
        store<f64>(at(l, i * t + j), s / load<f64>(at(l, j * t + j)));
      }
    }
  }
  return true;
}

/** Cholesky of M + δ·I with the smallest δ ∈ {0, ε·max diag·10^k} that works (M PSD). */
export function choleskyShifted(m: usize, l: usize, t: i32, work: usize): void {
  let dmax: f64 = 0;
  for (let i = 0; i < t; i++) dmax = max(dmax, load<f64>(at(m, i * t + i)));
  if (cholesky(m, l, t)) return;
  let shift = max(dmax, 1e-300) * 1e-13;
  for (let attempt = 0; attempt < 40; attempt++) {
    for (let i = 0; i < t * t; i++) store<f64>(at(work, i), load<f64>(at(m, i)));
    for (let i = 0; i < t; i++) store<f64>(at(work, i * t + i), load<f64>(at(m, i * t + i)) + shift);
    if (cholesky(work, l, t)) return;
    shift *= 10;
  }
}

/** Solves L·Lᵀ·v = v in place. */
export function cholSolve(l: usize, t: i32, v: usize): void {
  for (let i = 0; i < t; i++) {
    let s = load<f64>(at(v, i));
    for (let k = 0; k < i; k++) s -= load<f64>(at(l, i * t + k)) * load<f64>(at(v, k));
    store<f64>(at(v, i), s / load<f64>(at(l, i * t + i)));
  }
  for (let i = t - 1; i >= 0; i--) {
    let s = load<f64>(at(v, i));
    for (let k = i + 1; k < t; k++) s -= load<f64>(at(l, k * t + i)) * load<f64>(at(v, k));
    store<f64>(at(v, i), s / load<f64>(at(l, i * t + i)));
  }
}

/** ‖L⁻¹·g‖² = gᵀ(LLᵀ)⁻¹g, with `work` (τ) for the forward solve. */
export function cholQuadInverse(l: usize, t: i32, g: usize, work: usize): f64 {
  let q: f64 = 0;
  for (let i = 0; i < t; i++) {
    let s = load<f64>(at(g, i));
    for (let k = 0; k < i; k++) s -= load<f64>(at(l, i * t + k)) * load<f64>(at(work, k));
    s /= load<f64>(at(l, i * t + i));
    store<f64>(at(work, i), s);
    q += s * s;
  }
  return q;
}

/**
 * An upper bound on λ_max(M) for M symmetric PSD, within 0.1% of it:
 * bisection on μ with the test "μ·I − M is positive definite" (Cholesky),
 * between the largest diagonal entry and min(Gershgorin, Frobenius). The
 * value returned always passed the test (or is the starting bound), so a
 * step 1/L with it never overshoots.
 */
export function lambdaMaxUpper(m: usize, t: i32, work: usize, l: usize): f64 {
  let lo: f64 = 0, gersh: f64 = 0, frob: f64 = 0;
  for (let i = 0; i < t; i++) {
    lo = max(lo, load<f64>(at(m, i * t + i)));
    let row: f64 = 0;
    for (let j = 0; j < t; j++) {
      const v = load<f64>(at(m, i * t + j));
      row += Math.abs(v);
      frob += v * v;
    }
    gersh = max(gersh, row);
  }
  let hi = min(gersh, Math.sqrt(frob));
  if (t == 1 || hi <= lo) return max(hi, lo);
  for (let it = 0; it < 60 && hi - lo > 1e-3 * hi; it++) {
    const mu = 0.5 * (lo + hi);
    for (let i = 0; i < t * t; i++) store<f64>(at(work, i), -load<f64>(at(m, i)));
    for (let i = 0; i < t; i++) store<f64>(at(work, i * t + i), mu - load<f64>(at(m, i * t + i)));
    if (cholesky(work, l, t)) hi = mu; else lo = mu;
  }
  return hi;
}

/**
 * prox of r(v) = l1·|v| (+ the indicator of v ≥ 0 when nonneg) with step 1/q:
 * argmin_v ½q(v − u)² + r(v).
 */
// @ts-ignore: decorator
@inline export function proxScalar(u: f64, q: f64, l1: f64, nonneg: bool): f64 {
  const k = l1 / q;
  let v: f64 = u > k ? u - k : u < -k ? u + k : 0.0;
  if (nonneg && v < 0) v = 0;
  return v;
}

/**
 * r(x + d) − r(x) for r = l1·|·| (the nonnegativity indicator is 0 on the
 * feasible values used here), as l1·sign·d where x + d keeps x's sign: no
 * cancellation between |x + d| and |x| when d is far below x, which would
 * otherwise drown the tiny model decreases greedy rules compare.
 */
// @ts-ignore: decorator
@inline export function penaltyChange(x: f64, d: f64, l1: f64): f64 {
  const v = x + d;
  if (x > 0 && v >= 0) return l1 * d;
  if (x < 0 && v <= 0) return -l1 * d;
  return l1 * (Math.abs(v) - Math.abs(x));
}

/**
 * The block subproblem min_d gᵀd + ½dᵀMd + r(x + d) − r(x) by coordinate
 * descent (exact per coordinate), d in `d` (starting from 0), M·d kept in
 * `md`. Returns the model value at d (≤ 0). Used for proximal Newton / matrix
 * steps and the GS-q score with a matrix.
 */
export function blockQP(m: usize, g: usize, x: usize, t: i32, l1: f64, nonneg: bool, d: usize, md: usize): f64 {
  for (let i = 0; i < t; i++) { store<f64>(at(d, i), 0); store<f64>(at(md, i), 0); }
  let scale: f64 = 1e-300;
  for (let i = 0; i < t; i++) scale = max(scale, Math.abs(load<f64>(at(x, i))));
  for (let sweep = 0; sweep < 500; sweep++) {
    let change: f64 = 0;
    for (let i = 0; i < t; i++) {
      const mii = load<f64>(at(m, i * t + i));
      if (!(mii > 0)) continue;
      const xi = load<f64>(at(x, i)), di = load<f64>(at(d, i));
      const grad = load<f64>(at(g, i)) + load<f64>(at(md, i));
      const v = proxScalar(xi + di - grad / mii, mii, l1, nonneg);
      const delta = v - xi - di;
      if (delta == 0) continue;
      store<f64>(at(d, i), di + delta);
      for (let k = 0; k < t; k++) store<f64>(at(md, k), load<f64>(at(md, k)) + load<f64>(at(m, k * t + i)) * delta);
      change = max(change, Math.abs(delta));
      scale = max(scale, Math.abs(v));
    }
    if (change <= 1e-15 * scale) break;
  }
  let value: f64 = 0;
  for (let i = 0; i < t; i++) {
    const di = load<f64>(at(d, i)), xi = load<f64>(at(x, i));
    value += di * (load<f64>(at(g, i)) + 0.5 * load<f64>(at(md, i))) + penaltyChange(xi, di, l1);
  }
  return value;
}
