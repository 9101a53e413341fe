// Small dense linear algebra every family shares: Cholesky factors of
// symmetric matrices of a few hundred rows at most, their triangular solves,
// and a bound on the largest eigenvalue. Plain sequential code, meant to be
// run by every thread that needs the result in its own scratch (identical
// inputs, identical bits, no reduction).
//
// Layouts: a full matrix is row-major t×t (only its lower triangle is read);
// a packed one is the upper triangle row by row, t(t+1)/2 entries (row j
// holds A[j][j..t−1]). Factors L are lower triangular, row-major t×t.
import { at } from "./memory";

/** A[i][j] (j ≤ i) of a symmetric matrix, full or packed upper. */
// @ts-ignore: decorator
@inline function lowerEntry(a: usize, t: i32, i: i32, j: i32, packed: bool): f64 {
  // Packed: A[j][i] from row j of the upper triangle.
  return packed ? load<f64>(at(a, j * t - ((j * (j - 1)) >> 1) + (i - j))) : load<f64>(at(a, i * t + j));
}

// @ts-ignore: decorator
@inline function factor(a: usize, l: usize, t: i32, packed: bool): bool {
  for (let i = 0; i < t; i++) {
    for (let j = 0; j <= i; j++) {
      let s = lowerEntry(a, t, i, j, packed);
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

/** Lower Cholesky factor of the full t×t matrix A into l; false if a pivot is not positive. */
export function cholesky(a: usize, l: usize, t: i32): bool {
  return factor(a, l, t, false);
}

/** Lower Cholesky factor of the packed-upper t×t matrix A into l; false if a pivot is not positive. */
export function choleskyPacked(a: usize, l: usize, t: i32): bool {
  return factor(a, l, t, true);
}

/** Cholesky of A + δ·I (full A, PSD) with the smallest δ ∈ {0, ε·max diag·10^k} that works; `work` holds t². */
export function choleskyShifted(a: usize, l: usize, t: i32, work: usize): void {
  let dmax: f64 = 0;
  for (let i = 0; i < t; i++) dmax = max(dmax, load<f64>(at(a, i * t + i)));
  if (cholesky(a, l, t)) return;
  let shift = max(dmax, 1e-300) * 1e-13;
  for (let attempt = 0; attempt < 40; attempt++) {
    for (let i = 0; i < t * t; i++) store<f64>(at(work, i), load<f64>(at(a, i)));
    for (let i = 0; i < t; i++) store<f64>(at(work, i * t + i), load<f64>(at(a, i * t + i)) + shift);
    if (cholesky(work, l, t)) return;
    shift *= 10;
  }
}

/** y = L⁻¹·b (y may be b). */
export function forwardSolve(l: usize, t: i32, b: usize, y: usize): void {
  for (let i = 0; i < t; i++) {
    let s = load<f64>(at(b, i));
    for (let k = 0; k < i; k++) s -= load<f64>(at(l, i * t + k)) * load<f64>(at(y, k));
    store<f64>(at(y, i), s / load<f64>(at(l, i * t + i)));
  }
}

/** x = L⁻ᵀ·y (x may be y). */
export function backSolve(l: usize, t: i32, y: usize, x: usize): void {
  for (let i = t - 1; i >= 0; i--) {
    let s = load<f64>(at(y, i));
    for (let k = i + 1; k < t; k++) s -= load<f64>(at(l, k * t + i)) * load<f64>(at(x, k));
    store<f64>(at(x, i), s / load<f64>(at(l, i * t + i)));
  }
}

/** x = (L·Lᵀ)⁻¹·b; b is overwritten (by L⁻¹·b); x may be b. */
export function cholSolve(l: usize, t: i32, b: usize, x: usize): void {
  forwardSolve(l, t, b, b);
  backSolve(l, t, b, x);
}

/** bᵀ(L·Lᵀ)⁻¹b = ‖L⁻¹·b‖², with `work` (t) for L⁻¹·b. */
export function cholQuadInverse(l: usize, t: i32, b: usize, work: usize): f64 {
  forwardSolve(l, t, b, work);
  let q: f64 = 0;
  for (let i = 0; i < t; i++) { const s = load<f64>(at(work, i)); q += s * s; }
  return q;
}

/**
 * An upper bound on λ_max(A) for A (full) symmetric PSD, within 0.1% of it:
 * bisection on μ with the test "μ·I − A is positive definite" (Cholesky),
 * between the largest diagonal entry and min(Gershgorin, Frobenius). The
 * value returned always passed the test (or is the starting bound), so a
 * step 1/L with it never overshoots. `work` and `l` hold t² each.
 */
export function lambdaMaxUpper(a: usize, t: i32, work: usize, l: usize): f64 {
  let lo: f64 = 0, gersh: f64 = 0, frob: f64 = 0;
  for (let i = 0; i < t; i++) {
    lo = max(lo, load<f64>(at(a, i * t + i)));
    let row: f64 = 0;
    for (let j = 0; j < t; j++) {
      const v = load<f64>(at(a, i * t + j));
      row += Math.abs(v);
      frob += v * v;
    }
    gersh = max(gersh, row);
  }
  let hi = min(gersh, Math.sqrt(frob));
  if (t == 1 || hi <= lo) return max(hi, lo);
  for (let it = 0; it < 60 && hi - lo > 1e-3 * hi; it++) {
    const mu = 0.5 * (lo + hi);
    for (let i = 0; i < t * t; i++) store<f64>(at(work, i), -load<f64>(at(a, i)));
    for (let i = 0; i < t; i++) store<f64>(at(work, i * t + i), mu - load<f64>(at(a, i * t + i)));
    if (cholesky(work, l, t)) hi = mu; else lo = mu;
  }
  return hi;
}
