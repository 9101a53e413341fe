// Small dense nonsymmetric eigenproblems (sizes up to a few hundred), for the
// harmonic Ritz vectors of GCRO-DR. One thread, plain f64, no allocation.
//
//   hessenbergReduce   M = Q·H·Qᵀ by Householder reflectors, Q accumulated
//   hessenbergEigenvalues   Francis double-shift QR on H (eigenvalues only)
//   hessenbergInverseIteration   an eigenvector of H for a known (complex)
//                      eigenvalue: two solves with H − λI, an O(n²) LU that
//                      pivots between neighbouring rows; M's vector is Q·z
//   harmonicRitz       Ḡᵀ·Ḡ·z = θ·Ḡᵀ·W·z reduced to the standard problem
//                      R⁻¹·(Qᵀ·W)·z = μ·z with Ḡ = Q·R (μ = 1/θ; Ḡᵀ·Ḡ is SPD),
//                      and the real basis of the k vectors of smallest |θ|
//
// Matrices are row-major n×n with leading dimension n unless said otherwise.
import { at } from "../core/memory";

const EPS: f64 = 2.220446049250313e-16;

// @ts-ignore: decorator
@inline function rm(p: usize, n: i32, i: i32, j: i32): usize {
  return p + (<usize>(i * n + j) << 3);
}

/** M (n×n, overwritten by H) = Q·H·Qᵀ, H upper Hessenberg; `v` n f64 scratch. */
export function hessenbergReduce(M: usize, n: i32, Q: usize, v: usize): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) store<f64>(rm(Q, n, i, j), i == j ? 1.0 : 0.0);
  for (let c = 0; c < n - 2; c++) {
    // The reflector I − 2·v·vᵀ/(vᵀv) maps M[c+1.., c] onto alpha·e₁.
    let ss: f64 = 0;
    for (let r = c + 1; r < n; r++) ss += load<f64>(rm(M, n, r, c)) * load<f64>(rm(M, n, r, c));
    if (ss == 0) continue;
    const x0 = load<f64>(rm(M, n, c + 1, c));
    const alpha = x0 > 0 ? -Math.sqrt(ss) : Math.sqrt(ss);
    for (let r = c + 1; r < n; r++) store<f64>(at(v, r), load<f64>(rm(M, n, r, c)));
    store<f64>(at(v, c + 1), x0 - alpha);
    const vv = ss - x0 * x0 + (x0 - alpha) * (x0 - alpha);
    if (vv == 0) continue;
    const beta = 2.0 / vv;
    // Left: rows c+1.. of columns c.. .
    for (let j = c; j < n; j++) {
      let p: f64 = 0;
      for (let r = c + 1; r < n; r++) p += load<f64>(at(v, r)) * load<f64>(rm(M, n, r, j));
      p *= beta;
      for (let r = c + 1; r < n; r++) store<f64>(rm(M, n, r, j), load<f64>(rm(M, n, r, j)) - p * load<f64>(at(v, r)));
    }
    // Right: columns c+1.. of every row, and of Q.
    for (let i = 0; i < n; i++) {
      let p: f64 = 0, q: f64 = 0;
      for (let r = c + 1; r < n; r++) {
        p += load<f64>(rm(M, n, i, r)) * load<f64>(at(v, r));
        q += load<f64>(rm(Q, n, i, r)) * load<f64>(at(v, r));
      }
      p *= beta; q *= beta;
      for (let r = c + 1; r < n; r++) {
        store<f64>(rm(M, n, i, r), load<f64>(rm(M, n, i, r)) - p * load<f64>(at(v, r)));
        store<f64>(rm(Q, n, i, r), load<f64>(rm(Q, n, i, r)) - q * load<f64>(at(v, r)));
      }
    }
    store<f64>(rm(M, n, c + 1, c), alpha);
    for (let r = c + 2; r < n; r++) store<f64>(rm(M, n, r, c), 0);
  }
}

/** Applies the reflector I − β·v·vᵀ (v of length len, 2 or 3) to rows r0.. of columns j0..j1. */
// @ts-ignore: decorator
@inline function reflectRows(H: usize, n: i32, r0: i32, len: i32, j0: i32, j1: i32, v0: f64, v1: f64, v2: f64, beta: f64): void {
  for (let j = j0; j <= j1; j++) {
    let p = v0 * load<f64>(rm(H, n, r0, j)) + v1 * load<f64>(rm(H, n, r0 + 1, j));
    if (len == 3) p += v2 * load<f64>(rm(H, n, r0 + 2, j));
    p *= beta;
    store<f64>(rm(H, n, r0, j), load<f64>(rm(H, n, r0, j)) - p * v0);
    store<f64>(rm(H, n, r0 + 1, j), load<f64>(rm(H, n, r0 + 1, j)) - p * v1);
    if (len == 3) store<f64>(rm(H, n, r0 + 2, j), load<f64>(rm(H, n, r0 + 2, j)) - p * v2);
  }
}

/** Applies the same reflector from the right to columns c0.. of rows i0..i1. */
// @ts-ignore: decorator
@inline function reflectCols(H: usize, n: i32, c0: i32, len: i32, i0: i32, i1: i32, v0: f64, v1: f64, v2: f64, beta: f64): void {
  for (let i = i0; i <= i1; i++) {
    let p = v0 * load<f64>(rm(H, n, i, c0)) + v1 * load<f64>(rm(H, n, i, c0 + 1));
    if (len == 3) p += v2 * load<f64>(rm(H, n, i, c0 + 2));
    p *= beta;
    store<f64>(rm(H, n, i, c0), load<f64>(rm(H, n, i, c0)) - p * v0);
    store<f64>(rm(H, n, i, c0 + 1), load<f64>(rm(H, n, i, c0 + 1)) - p * v1);
    if (len == 3) store<f64>(rm(H, n, i, c0 + 2), load<f64>(rm(H, n, i, c0 + 2)) - p * v2);
  }
}

/**
 * Eigenvalues (wr + i·wi) of the upper Hessenberg H (destroyed) by implicit
 * double-shift (Francis) QR steps on the active window, deflating from the
 * bottom; complex pairs come out adjacent, positive imaginary part first.
 * False if an eigenvalue took more than 60 steps.
 */
export function hessenbergEigenvalues(H: usize, n: i32, wr: usize, wi: usize): bool {
  let norm: f64 = 0;
  for (let i = 0; i < n; i++) for (let j = max(0, i - 1); j < n; j++) norm += Math.abs(load<f64>(rm(H, n, i, j)));
  let hi = n - 1, its = 0;
  while (hi >= 0) {
    // The active window [lo, hi]: H[lo][lo−1] negligible.
    let lo = hi;
    while (lo > 0) {
      let s = Math.abs(load<f64>(rm(H, n, lo - 1, lo - 1))) + Math.abs(load<f64>(rm(H, n, lo, lo)));
      if (s == 0) s = norm;
      if (Math.abs(load<f64>(rm(H, n, lo, lo - 1))) <= EPS * s) { store<f64>(rm(H, n, lo, lo - 1), 0); break; }
      lo--;
    }
    if (lo == hi) {
      store<f64>(at(wr, hi), load<f64>(rm(H, n, hi, hi)));
      store<f64>(at(wi, hi), 0);
      hi--; its = 0;
      continue;
    }
    const a = load<f64>(rm(H, n, hi - 1, hi - 1)), b = load<f64>(rm(H, n, hi - 1, hi));
    const c = load<f64>(rm(H, n, hi, hi - 1)), d = load<f64>(rm(H, n, hi, hi));
    if (lo == hi - 1) {
      // A 2×2 block: λ = (a+d)/2 ± √(((a−d)/2)² + bc).
      const p = 0.5 * (a - d), q = p * p + b * c, mid = 0.5 * (a + d);
      if (q >= 0) {
        const r = Math.sqrt(q);
        // The root of larger magnitude without cancellation; the other from the determinant.
        const big = mid + (mid >= 0 ? r : -r);
        const det = a * d - b * c;
        store<f64>(at(wr, hi - 1), big);
        store<f64>(at(wr, hi), big != 0 ? det / big : mid - r);
        store<f64>(at(wi, hi - 1), 0);
        store<f64>(at(wi, hi), 0);
      } else {
        const r = Math.sqrt(-q);
        store<f64>(at(wr, hi - 1), mid); store<f64>(at(wi, hi - 1), r);
        store<f64>(at(wr, hi), mid); store<f64>(at(wi, hi), -r);
      }
      hi -= 2; its = 0;
      continue;
    }
    its++;
    if (its > 60) return false;
    // The two shifts as their sum s and product t: the trailing 2×2's
    // eigenvalues, or (every tenth step) ad hoc ones that break a cycle.
    let s = a + d, t = a * d - b * c;
    if (its % 10 == 0) {
      const w = Math.abs(c) + Math.abs(load<f64>(rm(H, n, hi - 1, hi - 2)));
      s = 1.5 * w; t = w * w;
    }
    // First column of (H − σ₁)(H − σ₂) at the window's top.
    const h00 = load<f64>(rm(H, n, lo, lo)), h01 = load<f64>(rm(H, n, lo, lo + 1));
    const h10 = load<f64>(rm(H, n, lo + 1, lo)), h11 = load<f64>(rm(H, n, lo + 1, lo + 1));
    let x = h00 * h00 + h01 * h10 - s * h00 + t;
    let y = h10 * (h00 + h11 - s);
    let z = h10 * load<f64>(rm(H, n, lo + 2, lo + 1));
    // Chase the bulge down with 3-element reflectors, then one 2-element one.
    for (let k = lo; k <= hi - 1; k++) {
      const len = k <= hi - 2 ? 3 : 2;
      const zz = len == 3 ? z : 0.0;
      const nrm = Math.sqrt(x * x + y * y + zz * zz);
      if (nrm != 0) {
        const alpha = x > 0 ? -nrm : nrm;
        const v0 = x - alpha, v1 = y, v2 = zz;
        const vv = v0 * v0 + v1 * v1 + v2 * v2;
        if (vv != 0) {
          const beta = 2.0 / vv;
          reflectRows(H, n, k, len, max(lo, k - 1), hi, v0, v1, v2, beta);
          reflectCols(H, n, k, len, lo, min(k + 3, hi), v0, v1, v2, beta);
          if (k > lo) {
            // The reflector maps the bulge column onto alpha·e₁ exactly.
            store<f64>(rm(H, n, k, k - 1), alpha);
            store<f64>(rm(H, n, k + 1, k - 1), 0);
            if (len == 3) store<f64>(rm(H, n, k + 2, k - 1), 0);
          }
        }
      }
      if (k < hi - 1) {
        x = load<f64>(rm(H, n, k + 1, k));
        y = load<f64>(rm(H, n, k + 2, k));
        z = k + 3 <= hi ? load<f64>(rm(H, n, k + 3, k)) : 0.0;
      }
    }
  }
  return true;
}

/**
 * z (zr + i·zi, n each) ← an eigenvector of the Hessenberg H0 for the
 * eigenvalue λ = lr + i·li: two steps of inverse iteration from a fixed start.
 * `work` 2n² + n f64. Pivots that vanish (λ exact) are replaced by ε·‖H‖.
 */
export function hessenbergInverseIteration(H0: usize, n: i32, lr: f64, li: f64, zr: usize, zi: usize, work: usize): void {
  const Ar = work, Ai = at(work, n * n);
  let norm: f64 = 0;
  for (let i = 0; i < n; i++) for (let j = max(0, i - 1); j < n; j++) norm += Math.abs(load<f64>(rm(H0, n, i, j)));
  const tiny = EPS * max(norm, 1e-300);
  // A fixed, unstructured start vector (not orthogonal to any eigenvector in practice).
  for (let i = 0; i < n; i++) {
    store<f64>(at(zr, i), 1.0 + 0.37 * <f64>((i * 7919) % 13) / 13.0);
    store<f64>(at(zi, i), 0);
  }
  for (let step = 0; step < 2; step++) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const h = j >= i - 1 ? load<f64>(rm(H0, n, i, j)) : 0.0;
      store<f64>(rm(Ar, n, i, j), i == j ? h - lr : h);
      store<f64>(rm(Ai, n, i, j), i == j ? -li : 0.0);
    }
    // Eliminate the subdiagonal, pivoting between rows c and c+1.
    for (let c = 0; c < n - 1; c++) {
      const pr = load<f64>(rm(Ar, n, c, c)), pi = load<f64>(rm(Ai, n, c, c));
      const qr = load<f64>(rm(Ar, n, c + 1, c)), qi = load<f64>(rm(Ai, n, c + 1, c));
      if (Math.abs(qr) + Math.abs(qi) > Math.abs(pr) + Math.abs(pi)) {
        for (let j = c; j < n; j++) {
          const tr = load<f64>(rm(Ar, n, c, j)), ti = load<f64>(rm(Ai, n, c, j));
          store<f64>(rm(Ar, n, c, j), load<f64>(rm(Ar, n, c + 1, j))); store<f64>(rm(Ai, n, c, j), load<f64>(rm(Ai, n, c + 1, j)));
          store<f64>(rm(Ar, n, c + 1, j), tr); store<f64>(rm(Ai, n, c + 1, j), ti);
        }
        const tr = load<f64>(at(zr, c)), ti = load<f64>(at(zi, c));
        store<f64>(at(zr, c), load<f64>(at(zr, c + 1))); store<f64>(at(zi, c), load<f64>(at(zi, c + 1)));
        store<f64>(at(zr, c + 1), tr); store<f64>(at(zi, c + 1), ti);
      }
      let ar = load<f64>(rm(Ar, n, c, c)), ai = load<f64>(rm(Ai, n, c, c));
      if (Math.abs(ar) + Math.abs(ai) == 0) { ar = tiny; store<f64>(rm(Ar, n, c, c), tiny); }
      const br = load<f64>(rm(Ar, n, c + 1, c)), bi = load<f64>(rm(Ai, n, c + 1, c));
      // l = b / a (complex)
      const den = ar * ar + ai * ai;
      const lr2 = (br * ar + bi * ai) / den, li2 = (bi * ar - br * ai) / den;
      for (let j = c + 1; j < n; j++) {
        const ur = load<f64>(rm(Ar, n, c, j)), ui = load<f64>(rm(Ai, n, c, j));
        store<f64>(rm(Ar, n, c + 1, j), load<f64>(rm(Ar, n, c + 1, j)) - (lr2 * ur - li2 * ui));
        store<f64>(rm(Ai, n, c + 1, j), load<f64>(rm(Ai, n, c + 1, j)) - (lr2 * ui + li2 * ur));
      }
      store<f64>(rm(Ar, n, c + 1, c), 0); store<f64>(rm(Ai, n, c + 1, c), 0);
      const sr = load<f64>(at(zr, c)), si = load<f64>(at(zi, c));
      store<f64>(at(zr, c + 1), load<f64>(at(zr, c + 1)) - (lr2 * sr - li2 * si));
      store<f64>(at(zi, c + 1), load<f64>(at(zi, c + 1)) - (lr2 * si + li2 * sr));
    }
    // Back substitution, then scale to max-magnitude 1.
    let big: f64 = 0;
    for (let i = n - 1; i >= 0; i--) {
      let sr = load<f64>(at(zr, i)), si = load<f64>(at(zi, i));
      for (let j = i + 1; j < n; j++) {
        const ur = load<f64>(rm(Ar, n, i, j)), ui = load<f64>(rm(Ai, n, i, j));
        const xr = load<f64>(at(zr, j)), xi = load<f64>(at(zi, j));
        sr -= ur * xr - ui * xi;
        si -= ur * xi + ui * xr;
      }
      let ar = load<f64>(rm(Ar, n, i, i)), ai = load<f64>(rm(Ai, n, i, i));
      if (Math.abs(ar) + Math.abs(ai) == 0) ar = tiny;
      const den = ar * ar + ai * ai;
      const xr = (sr * ar + si * ai) / den, xi = (si * ar - sr * ai) / den;
      store<f64>(at(zr, i), xr); store<f64>(at(zi, i), xi);
      big = max(big, Math.abs(xr) + Math.abs(xi));
    }
    if (!(big > 0) || !isFinite(big)) return;
    // Scale by a power of two: exact, and keeps the next solve's numbers moderate.
    let sc: f64 = 1;
    while (big * sc > 2) sc *= 0.5;
    while (big * sc < 0.5) sc *= 2;
    for (let i = 0; i < n; i++) {
      store<f64>(at(zr, i), load<f64>(at(zr, i)) * sc);
      store<f64>(at(zi, i), load<f64>(at(zi, i)) * sc);
    }
  }
}

/** f64 scratch harmonicRitz needs for problems of order up to mm with k vectors. */
// @ts-ignore: decorator
@inline export function harmonicScratch(mm: i32): i32 {
  const N = mm + 1;
  return 7 * N * N + 8 * N;
}

/**
 * Harmonic Ritz vectors: for the Hessenberg Ḡ ((mm+1)×mm) and W ((mm+1)×mm),
 * both column-major with leading dimension ld, solves
 *   Ḡᵀ·Ḡ·z = θ·Ḡᵀ·W·z
 * as the standard problem R⁻¹·(Qᵀ·W)·z = μ·z (Ḡ = Q·R by Givens rotations,
 * μ = 1/θ: infinite θ are μ = 0), and writes a real basis of the eigenvectors
 * of the k smallest |θ| into P (mm×k', column-major, leading dimension mm):
 * a complex pair gives its real and imaginary parts, and is skipped when only
 * one slot is left. Eigenvalues μ in (wr, wi) (mm each). Returns k' (≤ k),
 * or −1 if R is singular or QR failed to converge.
 */
export function harmonicRitz(G: usize, W: usize, ld: i32, mm: i32, k: i32, P: usize, wr: usize, wi: usize, scratch: usize): i32 {
  const N = mm + 1;
  const R = scratch, QW = at(R, N * N), M = at(QW, N * N), Qh = at(M, N * N), H0 = at(Qh, N * N);
  const work = at(H0, N * N);  // 2N² + N
  const zr = at(work, 2 * N * N + N), zi = at(zr, N), used = at(zi, N);
  // R ← Ḡ, QW ← W (column-major, leading dimension N), then Givens rotations.
  for (let j = 0; j < mm; j++) for (let i = 0; i <= mm; i++) {
    store<f64>(at(R, j * N + i), load<f64>(at(G, j * ld + i)));
    store<f64>(at(QW, j * N + i), load<f64>(at(W, j * ld + i)));
  }
  for (let c = 0; c < mm; c++) {
    const a = load<f64>(at(R, c * N + c)), b = load<f64>(at(R, c * N + c + 1));
    const rho = Math.sqrt(a * a + b * b);
    if (rho == 0) return -1;
    const cs = a / rho, sn = b / rho;
    for (let j = c; j < mm; j++) {
      const u = load<f64>(at(R, j * N + c)), v = load<f64>(at(R, j * N + c + 1));
      store<f64>(at(R, j * N + c), cs * u + sn * v);
      store<f64>(at(R, j * N + c + 1), -sn * u + cs * v);
    }
    for (let j = 0; j < mm; j++) {
      const u = load<f64>(at(QW, j * N + c)), v = load<f64>(at(QW, j * N + c + 1));
      store<f64>(at(QW, j * N + c), cs * u + sn * v);
      store<f64>(at(QW, j * N + c + 1), -sn * u + cs * v);
    }
  }
  // M = R⁻¹·(QᵀW)[0:mm] (row-major mm×mm), by back substitution per column.
  for (let j = 0; j < mm; j++) {
    for (let i = mm - 1; i >= 0; i--) {
      let s = load<f64>(at(QW, j * N + i));
      for (let l = i + 1; l < mm; l++) s -= load<f64>(at(R, l * N + i)) * load<f64>(rm(M, mm, l, j));
      store<f64>(rm(M, mm, i, j), s / load<f64>(at(R, i * N + i)));
    }
  }
  hessenbergReduce(M, mm, Qh, zr);
  for (let i = 0; i < mm * mm; i++) store<f64>(at(H0, i), load<f64>(at(M, i)));
  if (!hessenbergEigenvalues(M, mm, wr, wi)) return -1;
  // Pick eigenvalues by decreasing |μ| (the smallest |θ|), ties by index.
  for (let i = 0; i < mm; i++) store<f64>(at(used, i), 0);
  let count = 0;
  const want = min(k, mm);
  while (count < want) {
    let best = -1, bestMag: f64 = -1;
    for (let i = 0; i < mm; i++) {
      if (load<f64>(at(used, i)) != 0) continue;
      const re = load<f64>(at(wr, i)), im = load<f64>(at(wi, i));
      const mag = re * re + im * im;
      if (mag > bestMag) { bestMag = mag; best = i; }
    }
    if (best < 0) break;
    const re = load<f64>(at(wr, best)), im = load<f64>(at(wi, best));
    store<f64>(at(used, best), 1);
    if (im != 0) {
      // Its conjugate is the neighbour; both are consumed together.
      const mate = im > 0 ? best + 1 : best - 1;
      store<f64>(at(used, mate), 1);
      if (count + 2 > want) continue;
    }
    hessenbergInverseIteration(H0, mm, re, Math.abs(im), zr, zi, work);
    // P[:, count] = Qh·zr (and Qh·zi for a complex pair).
    for (let i = 0; i < mm; i++) {
      let a: f64 = 0, b: f64 = 0;
      for (let l = 0; l < mm; l++) {
        const q = load<f64>(rm(Qh, mm, i, l));
        a += q * load<f64>(at(zr, l));
        b += q * load<f64>(at(zi, l));
      }
      store<f64>(at(P, count * mm + i), a);
      if (im != 0) store<f64>(at(P, (count + 1) * mm + i), b);
    }
    count += im != 0 ? 2 : 1;
  }
  return count;
}
