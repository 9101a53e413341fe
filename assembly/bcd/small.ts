// Block coordinate descent's own small subproblems on one block's τ×τ
// curvature matrix M (row-major): the proximal steps of its penalties and the
// penalised block QP. Generic small dense routines (Cholesky, solves, λ_max)
// are in core/small-dense.ts. Plain sequential code: every thread that needs a
// result computes it itself in its own scratch, so the bits are the same on
// any thread count.

import { at } from "../core/memory";

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
