// Eigen-decomposition of a small dense symmetric matrix: Householder
// reduction to tridiagonal form, then the implicit QL algorithm (EISPACK's
// tred2 and tql2, as in JAMA). About 9m³ flops against cyclic Jacobi's ~30m³
// per sweep times 8–10 sweeps: the projected problems of recycled CG
// (m ≈ 80) take milliseconds instead of a whole solve's time.
// Sequential and branch-for-branch the same on every runtime: bit-identical.
import { at } from "../core/memory";

/** QL sweeps allowed per eigenvalue before giving up (tql2 needs 1–3 on average). */
const QL_ITERATIONS = 60;

/**
 * On entry `v` (m×m, row-major) holds a symmetric matrix; on exit its columns
 * are orthonormal eigenvectors (`v[i·m + j]`: component i of vector j) and
 * `d` the eigenvalues, ascending. `e` is m f64 of scratch. False when the QL
 * iteration did not converge (then v and d are unusable).
 */
export function symmetricEigen(v: usize, m: i32, d: usize, e: usize): bool {
  for (let i = 0; i < m * m; i++) if (!isFinite(load<f64>(at(v, i)))) return false;
  tridiagonalize(v, m, d, e);
  return tridiagonalQl(v, m, d, e);
}

/** tred2: v ← the orthogonal Q with QᵀAQ tridiagonal (diagonal d, subdiagonal e[1..m)). */
function tridiagonalize(v: usize, m: i32, d: usize, e: usize): void {
  for (let j = 0; j < m; j++) store<f64>(at(d, j), load<f64>(at(v, (m - 1) * m + j)));
  for (let i = m - 1; i > 0; i--) {
    let scale: f64 = 0, h: f64 = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(load<f64>(at(d, k)));
    if (scale == 0) {
      store<f64>(at(e, i), load<f64>(at(d, i - 1)));
      for (let j = 0; j < i; j++) {
        store<f64>(at(d, j), load<f64>(at(v, (i - 1) * m + j)));
        store<f64>(at(v, i * m + j), 0);
        store<f64>(at(v, j * m + i), 0);
      }
    } else {
      for (let k = 0; k < i; k++) {
        const dk = load<f64>(at(d, k)) / scale;
        store<f64>(at(d, k), dk);
        h += dk * dk;
      }
      let f = load<f64>(at(d, i - 1));
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      store<f64>(at(e, i), scale * g);
      h -= f * g;
      store<f64>(at(d, i - 1), f - g);
      for (let j = 0; j < i; j++) store<f64>(at(e, j), 0);
      for (let j = 0; j < i; j++) {
        f = load<f64>(at(d, j));
        store<f64>(at(v, j * m + i), f);
        g = load<f64>(at(e, j)) + load<f64>(at(v, j * m + j)) * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = load<f64>(at(v, k * m + j));
          g += vkj * load<f64>(at(d, k));
          store<f64>(at(e, k), load<f64>(at(e, k)) + vkj * f);
        }
        store<f64>(at(e, j), g);
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        const ej = load<f64>(at(e, j)) / h;
        store<f64>(at(e, j), ej);
        f += ej * load<f64>(at(d, j));
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) store<f64>(at(e, j), load<f64>(at(e, j)) - hh * load<f64>(at(d, j)));
      for (let j = 0; j < i; j++) {
        f = load<f64>(at(d, j));
        g = load<f64>(at(e, j));
        for (let k = j; k <= i - 1; k++) {
          store<f64>(at(v, k * m + j), load<f64>(at(v, k * m + j)) - (f * load<f64>(at(e, k)) + g * load<f64>(at(d, k))));
        }
        store<f64>(at(d, j), load<f64>(at(v, (i - 1) * m + j)));
        store<f64>(at(v, i * m + j), 0);
      }
    }
    store<f64>(at(d, i), h);
  }
  // Accumulate the transformations.
  for (let i = 0; i < m - 1; i++) {
    store<f64>(at(v, (m - 1) * m + i), load<f64>(at(v, i * m + i)));
    store<f64>(at(v, i * m + i), 1);
    const h = load<f64>(at(d, i + 1));
    if (h != 0) {
      for (let k = 0; k <= i; k++) store<f64>(at(d, k), load<f64>(at(v, k * m + i + 1)) / h);
      for (let j = 0; j <= i; j++) {
        let g: f64 = 0;
        for (let k = 0; k <= i; k++) g += load<f64>(at(v, k * m + i + 1)) * load<f64>(at(v, k * m + j));
        for (let k = 0; k <= i; k++) store<f64>(at(v, k * m + j), load<f64>(at(v, k * m + j)) - g * load<f64>(at(d, k)));
      }
    }
    for (let k = 0; k <= i; k++) store<f64>(at(v, k * m + i + 1), 0);
  }
  for (let j = 0; j < m; j++) {
    store<f64>(at(d, j), load<f64>(at(v, (m - 1) * m + j)));
    store<f64>(at(v, (m - 1) * m + j), 0);
  }
  store<f64>(at(v, (m - 1) * m + m - 1), 1);
  store<f64>(at(e, 0), 0);
}

/** tql2: diagonalises the tridiagonal (d, e) by implicit QL shifts, rotating v's columns; sorts ascending. */
function tridiagonalQl(v: usize, m: i32, d: usize, e: usize): bool {
  for (let i = 1; i < m; i++) store<f64>(at(e, i - 1), load<f64>(at(e, i)));
  store<f64>(at(e, m - 1), 0);
  let f: f64 = 0, tst1: f64 = 0;
  const eps: f64 = 2.220446049250313e-16;
  for (let l = 0; l < m; l++) {
    tst1 = Math.max(tst1, Math.abs(load<f64>(at(d, l))) + Math.abs(load<f64>(at(e, l))));
    let n = l;
    while (n < m) {
      if (Math.abs(load<f64>(at(e, n))) <= eps * tst1) break;
      n++;
    }
    if (n > l) {
      let sweeps = 0;
      do {
        if (++sweeps > QL_ITERATIONS) return false;
        let g = load<f64>(at(d, l));
        const el = load<f64>(at(e, l));
        let p = (load<f64>(at(d, l + 1)) - g) / (2 * el);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        store<f64>(at(d, l), el / (p + r));
        store<f64>(at(d, l + 1), el * (p + r));
        const dl1 = load<f64>(at(d, l + 1));
        let h = g - load<f64>(at(d, l));
        for (let i = l + 2; i < m; i++) store<f64>(at(d, i), load<f64>(at(d, i)) - h);
        f += h;
        p = load<f64>(at(d, n));
        let c: f64 = 1, c2: f64 = 1, c3: f64 = 1;
        const el1 = load<f64>(at(e, l + 1));
        let s: f64 = 0, s2: f64 = 0;
        for (let i = n - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = load<f64>(at(e, i)), di = load<f64>(at(d, i));
          g = c * ei;
          h = c * p;
          r = Math.hypot(p, ei);
          store<f64>(at(e, i + 1), s * r);
          s = ei / r;
          c = p / r;
          p = c * di - s * g;
          store<f64>(at(d, i + 1), h + s * (c * g + s * di));
          for (let k = 0; k < m; k++) {
            const a = at(v, k * m + i);
            const vi = load<f64>(a), vi1 = load<f64>(a, 8);
            store<f64>(a, c * vi - s * vi1);
            store<f64>(a, s * vi + c * vi1, 8);
          }
        }
        p = -s * s2 * c3 * el1 * load<f64>(at(e, l)) / dl1;
        store<f64>(at(e, l), s * p);
        store<f64>(at(d, l), c * p);
      } while (Math.abs(load<f64>(at(e, l))) > eps * tst1);
    }
    store<f64>(at(d, l), load<f64>(at(d, l)) + f);
    store<f64>(at(e, l), 0);
  }
  // Selection sort, ascending, columns along.
  for (let i = 0; i < m - 1; i++) {
    let k = i;
    let p = load<f64>(at(d, i));
    for (let j = i + 1; j < m; j++) {
      const dj = load<f64>(at(d, j));
      if (dj < p) { k = j; p = dj; }
    }
    if (k != i) {
      store<f64>(at(d, k), load<f64>(at(d, i)));
      store<f64>(at(d, i), p);
      for (let j = 0; j < m; j++) {
        const t = load<f64>(at(v, j * m + i));
        store<f64>(at(v, j * m + i), load<f64>(at(v, j * m + k)));
        store<f64>(at(v, j * m + k), t);
      }
    }
  }
  return true;
}
