// Block coordinate descent's own small subproblems on one block's τ×τ
// curvature matrix M (row-major): the proximal steps of its penalties and the
// penalised block QP. Generic small dense routines (Cholesky, solves, λ_max)
// are in core/small-dense.ts. Plain sequential code: every thread that needs a
// result computes it itself in its own scratch, so the bits are the same on
// any thread count.

import { at } from "../core/memory";
import { cholesky, cholSolve } from "../core/small-dense";

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
 * Tries to finish blockQP exactly from its iterate d: with the signs of x + d
 * (its zeros held at zero) the subproblem is a linear system on the nonzero
 * coordinates, M_FF·d_F = −(g_F + l1·sign_F) − M_FZ·d_Z, solved by Cholesky.
 * The answer is taken (d and md replaced) only when it keeps those signs and
 * every zero coordinate meets its optimality condition there. sub, fac: t²
 * each; aux: 3t.
 */
function finishBySigns(m: usize, g: usize, x: usize, t: i32, l1: f64, nonneg: bool, d: usize, md: usize, sub: usize, fac: usize, aux: usize): bool {
  const idx = aux, nd = at(aux, t), mnd = at(aux, 2 * t);
  let k = 0;
  for (let i = 0; i < t; i++) {
    const xi = load<f64>(at(x, i)), v = xi + load<f64>(at(d, i));
    if (v != 0) store<f64>(at(idx, k++), <f64>i);
    store<f64>(at(nd, i), v != 0 ? 0 : -xi);
  }
  if (k == 0) return false;
  for (let a = 0; a < k; a++) {
    const i = <i32>load<f64>(at(idx, a));
    const v = load<f64>(at(x, i)) + load<f64>(at(d, i));
    let r = -(load<f64>(at(g, i)) + (v > 0 ? l1 : -l1));
    for (let j = 0; j < t; j++) r -= load<f64>(at(m, i * t + j)) * load<f64>(at(nd, j));  // the zeros' part (nd_F is 0 here)
    store<f64>(at(mnd, a), r);
    for (let b = 0; b < k; b++) store<f64>(at(sub, a * k + b), load<f64>(at(m, i * t + <i32>load<f64>(at(idx, b)))));
  }
  if (!cholesky(sub, fac, k)) return false;
  cholSolve(fac, k, mnd, mnd);
  for (let a = 0; a < k; a++) {
    const i = <i32>load<f64>(at(idx, a)), xi = load<f64>(at(x, i));
    const was = xi + load<f64>(at(d, i)), v = xi + load<f64>(at(mnd, a));
    if (!(v * was > 0)) return false;  // a sign changed (or NaN): not this pattern
    store<f64>(at(nd, i), load<f64>(at(mnd, a)));
  }
  // M·nd, and the zeros' optimality: |g + M·nd| ≤ l1 (≥ −l1 under x ≥ 0).
  for (let i = 0; i < t; i++) {
    let r: f64 = 0;
    for (let j = 0; j < t; j++) r += load<f64>(at(m, i * t + j)) * load<f64>(at(nd, j));
    store<f64>(at(mnd, i), r);
  }
  for (let i = 0; i < t; i++) {
    if (load<f64>(at(x, i)) + load<f64>(at(nd, i)) != 0) continue;
    const gi = load<f64>(at(g, i)) + load<f64>(at(mnd, i));
    if (nonneg ? gi < -l1 : Math.abs(gi) > l1) return false;
  }
  for (let i = 0; i < t; i++) { store<f64>(at(d, i), load<f64>(at(nd, i))); store<f64>(at(md, i), load<f64>(at(mnd, i))); }
  return true;
}

/**
 * The block subproblem min_d gᵀd + ½dᵀMd + r(x + d) − r(x) by coordinate
 * descent (exact per coordinate), d in `d` (starting from 0), M·d kept in
 * `md`, finished exactly by finishBySigns once the signs settle (tried after
 * sweeps 1, 2, 4, 8, …; sub, fac: t² each, aux: 3t of scratch). Returns the
 * model value at d (≤ 0). Used for proximal Newton / matrix steps and the
 * GS-q score with a matrix.
 */
export function blockQP(m: usize, g: usize, x: usize, t: i32, l1: f64, nonneg: bool, d: usize, md: usize, sub: usize, fac: usize, aux: usize): f64 {
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
    if ((sweep & (sweep + 1)) == 0 && finishBySigns(m, g, x, t, l1, nonneg, d, md, sub, fac, aux)) break;
  }
  let value: f64 = 0;
  for (let i = 0; i < t; i++) {
    const di = load<f64>(at(d, i)), xi = load<f64>(at(x, i));
    value += di * (load<f64>(at(g, i)) + 0.5 * load<f64>(at(md, i))) + penaltyChange(xi, di, l1);
  }
  return value;
}
