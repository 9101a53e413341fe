// Coarse-space deflation for CG (Nicolaides; Frank & Vuik, "On the
// construction of deflation-based preconditioners"): Z's columns are the
// indicator vectors of k aggregates (connected groups of unknowns, found by
// the host from A's pattern), so Z·μ is a gather μ[agg(i)], Zᵀ·r a sum per
// aggregate, A·Z a sparse matrix with a few entries a row, and E = ZᵀAZ a
// k×k matrix whose profile follows the aggregates' adjacency. The host maps
// every entry of A to its place in A·Z (stored by aggregate: (AZ)ᵀ in CSR)
// and in E's lower envelope once per pattern; each system's values are then
// assembled in one pass over A's values.
import { at } from "../core/memory";

/** Element i of the i32 array at v. */
// @ts-ignore: decorator
@inline export function i32At(v: usize, i: i32): i32 { return load<i32>(v + (<usize>i << 2)); }

/** Row i of an envelope (E's lower one here; two-level.ts's L and U too) spans columns first(i)..i: first(i) = i + 1 − (start[i+1] − start[i]). */
// @ts-ignore: decorator
@inline export function first(start: usize, i: i32): i32 { return i + 1 - (i32At(start, i + 1) - i32At(start, i)); }

/** (AZ)ᵀ's values (m) and E's lower envelope (size) from A's values, in A's entry order. */
export function coarseAssemble(data: usize, nnz: i32, colPos: usize, envPos: usize, cols: usize, m: i32, env: usize, size: i32): void {
  memory.fill(cols, 0, <usize>m << 3);
  memory.fill(env, 0, <usize>size << 3);
  for (let e = 0; e < nnz; e++) {
    const v = load<f64>(at(data, e)), c = at(cols, i32At(colPos, e));
    store<f64>(c, load<f64>(c) + v);
    const p = i32At(envPos, e);
    if (p >= 0) store<f64>(at(env, p), load<f64>(at(env, p)) + v);
  }
}

/**
 * In place: E = L·Lᵀ within E's envelope (Cholesky keeps the profile). False
 * when a pivot is not positive relative to its diagonal entry (E is then
 * numerically singular or indefinite: the caller deflates nothing).
 */
export function envelopeCholesky(env: usize, start: usize, k: i32): bool {
  for (let i = 0; i < k; i++) {
    const si = i32At(start, i), fi = first(start, i);
    for (let j = fi; j <= i; j++) {
      const sj = i32At(start, j), fj = first(start, j);
      const original = load<f64>(at(env, si + j - fi));
      let s = original;
      for (let m = max(fi, fj); m < j; m++) s -= load<f64>(at(env, si + m - fi)) * load<f64>(at(env, sj + m - fj));
      if (j < i) {
        store<f64>(at(env, si + j - fi), s / load<f64>(at(env, sj + j - fj)));
      } else {
        if (!(s > original * 1e-13) || !isFinite(s)) return false;
        store<f64>(at(env, si + i - fi), Math.sqrt(s));
      }
    }
  }
  return true;
}

/** y ← (L·Lᵀ)⁻¹·y with the factor from envelopeCholesky. */
export function envelopeSolve(env: usize, start: usize, k: i32, y: usize): void {
  for (let i = 0; i < k; i++) {
    const si = i32At(start, i), fi = first(start, i);
    let s = load<f64>(at(y, i));
    for (let m = fi; m < i; m++) s -= load<f64>(at(env, si + m - fi)) * load<f64>(at(y, m));
    store<f64>(at(y, i), s / load<f64>(at(env, si + i - fi)));
  }
  for (let i = k - 1; i >= 0; i--) {
    const si = i32At(start, i), fi = first(start, i);
    const xi = load<f64>(at(y, i)) / load<f64>(at(env, si + i - fi));
    store<f64>(at(y, i), xi);
    for (let m = fi; m < i; m++) store<f64>(at(y, m), load<f64>(at(y, m)) - load<f64>(at(env, si + m - fi)) * xi);
  }
}

/** sums = Zᵀ·r: each aggregate's sum, accumulated in row order (one thread). */
export function coarseRestrict(agg: usize, r: usize, n: i32, sums: usize, k: i32): void {
  memory.fill(sums, 0, <usize>k << 3);
  for (let i = 0; i < n; i++) {
    const s = at(sums, i32At(agg, i));
    store<f64>(s, load<f64>(s) + load<f64>(at(r, i)));
  }
}

/** sums[c] = (AZ)ᵀ_c·z for aggregates c0..c1−1, each over its rows in ascending order. */
export function coarseColumnsDot(colPtr: usize, colRows: usize, cols: usize, z: usize, c0: i32, c1: i32, sums: usize): void {
  for (let c = c0; c < c1; c++) {
    let s: f64 = 0;
    const e1 = i32At(colPtr, c + 1);
    for (let e = i32At(colPtr, c); e < e1; e++) s += load<f64>(at(cols, e)) * load<f64>(at(z, i32At(colRows, e)));
    store<f64>(at(sums, c), s);
  }
}

/** p = z + β·p − μ[agg(i)] over rows i0..i1 (β = 0: p = z − Z·μ). */
export function coarseDirection(p: usize, z: usize, beta: f64, agg: usize, mu: usize, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    store<f64>(at(p, i), load<f64>(at(z, i)) + beta * load<f64>(at(p, i)) - load<f64>(at(mu, i32At(agg, i))));
  }
}

/** x += Z·μ: x_i += μ[agg(i)] over rows i0..i1. */
export function coarseProlong(x: usize, agg: usize, mu: usize, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) store<f64>(at(x, i), load<f64>(at(x, i)) + load<f64>(at(mu, i32At(agg, i))));
}
