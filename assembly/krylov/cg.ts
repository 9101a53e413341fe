// Conjugate gradients (optionally Jacobi-preconditioned) on a CSR matrix, the
// whole solve in one SPMD launch: threads own fixed chunks of rows, phases are
// separated by team barriers, and no iteration returns to JavaScript.
//
// Determinism: every dot product is a sum of per-chunk partials (CHUNK rows,
// whatever the thread count) combined in chunk order by every thread itself,
// so all threads take the same decisions and the iterates are bit-identical
// for any thread count and both builds.
//
// Per iteration, three phases and three barriers:
//   A  q = A·p, partial p·q                      | barrier | α = ρ / p·q
//   B  x += α·p, r −= α·q, z = D⁻¹·r, partials   | barrier | ρ' = r·z, ‖r‖
//   C  p = z + β·p                               | barrier
// The abort flag is read by tid 0 only and broadcast through `out` before
// barrier B, so every thread leaves the loop at the same iteration.
// Convergence is judged on the true residual ‖b − A·x‖: when the recursive
// one meets the tolerance and the true one does not, CG restarts from the
// true residual (residual replacement) a bounded number of times, then
// reports STAGNATED.
//
// Deflation (Saad, Yeung, Erhel & Guyomarc'h, "A deflated version of the
// conjugate gradient algorithm"): given k recycled vectors W, the start is
// corrected so that Wᵀr₀ = 0, and every direction is made A-conjugate to W
// (p = z + β·p − W·μ with WᵀAW·μ = (AW)ᵀz), so the eigencomponents W
// captures no longer slow the iteration down. The pairs (p, A·p) of the first
// ℓ iterations are kept for the host to build the next recycle space from.
import { aborted, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { csrRowDot, residualPartials } from "../blas/sparse";
import { ABORTED, BREAKDOWN, CONVERGED, INDEFINITE, MAX_ITERATIONS, STAGNATED, TRUE_RESIDUAL_RESTARTS } from "./reasons";

// Result block (f64 slots) written by tid 0; slot STOP is the abort broadcast.
const OUT_ITERATIONS = 0;
const OUT_REASON = 1;
const OUT_RESIDUAL = 2;       // recursively updated ‖r‖ at exit
const OUT_TRUE_RESIDUAL = 3;  // ‖b − A·x‖ recomputed at exit
const OUT_STOP = 4;
const OUT_STORED = 5;         // (p, A·p) pairs kept


// @ts-ignore: decorator
@inline function at(v: usize, i: i32): usize {
  return v + (<usize>i << 3);
}

/** dst[j] = the chunk-ordered sum of partial array j, for j < count. */
function sumEach(partials: usize, chunks: i32, count: i32, dst: usize): void {
  for (let j = 0; j < count; j++) store<f64>(at(dst, j), sumPartials(at(partials, j * chunks), chunks));
}

/** In place: packed upper triangle G (k(k+1)/2, row by row) → lower Cholesky factor L (k×k). */
function cholesky(g: usize, l: usize, k: i32): bool {
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      // G[j][i] from the packed upper triangle, row j.
      let s = load<f64>(at(g, j * k - ((j * (j - 1)) >> 1) + (i - j)));
      for (let t = 0; t < j; t++) s -= load<f64>(at(l, i * k + t)) * load<f64>(at(l, j * k + t));
      if (i == j) {
        if (!(s > 0)) return false;
        store<f64>(at(l, i * k + i), Math.sqrt(s));
      } else {
        store<f64>(at(l, i * k + j), s / load<f64>(at(l, j * k + j)));
      }
    }
  }
  return true;
}

/** mu = (L·Lᵀ)⁻¹·rhs (rhs is overwritten). */
function cholSolve(l: usize, k: i32, rhs: usize, mu: usize): void {
  for (let i = 0; i < k; i++) {
    let s = load<f64>(at(rhs, i));
    for (let t = 0; t < i; t++) s -= load<f64>(at(l, i * k + t)) * load<f64>(at(rhs, t));
    store<f64>(at(rhs, i), s / load<f64>(at(l, i * k + i)));
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = load<f64>(at(rhs, i));
    for (let t = i + 1; t < k; t++) s -= load<f64>(at(l, t * k + i)) * load<f64>(at(mu, t));
    store<f64>(at(mu, i), s / load<f64>(at(l, i * k + i)));
  }
}

/** Σ_j line_j[i]·mu[j] over k lines of length n. */
// @ts-ignore: decorator
@inline function combine(lines: usize, n: i32, k: i32, mu: usize, i: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < k; j++) s += load<f64>(at(lines, j * n + i)) * load<f64>(at(mu, j));
  return s;
}

/** Partials of (AW)ᵀz over chunks cFirst..cLast. */
function deflationPartials(aw: usize, z: usize, azp: usize, n: i32, k: i32, chunks: i32, cFirst: i32, cLast: i32): void {
  for (let c = cFirst; c <= cLast; c++) {
    const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
    for (let j = 0; j < k; j++) {
      let s: f64 = 0;
      for (let i = i0; i < i1; i++) s += load<f64>(at(aw, j * n + i)) * load<f64>(at(z, i));
      store<f64>(at(azp, j * chunks + c), s);
    }
  }
}

/**
 * z = (L·Lᵀ)⁻¹·r for a factored preconditioner (IC(0), SSOR). `tri` holds
 * seven addresses (as f64): the strictly lower part of L in CSR (indptr,
 * indices, values), the strictly upper part of Lᵀ likewise, and L's diagonal.
 */
function triSolve(tri: usize, n: i32, r: usize, z: usize): void {
  const lp = <usize>load<f64>(tri), li = <usize>load<f64>(tri, 8), lv = <usize>load<f64>(tri, 16);
  const up = <usize>load<f64>(tri, 24), ui = <usize>load<f64>(tri, 32), uv = <usize>load<f64>(tri, 40);
  const d = <usize>load<f64>(tri, 48);
  for (let i = 0; i < n; i++) {
    let s = load<f64>(at(r, i));
    const k1 = load<i32>(lp + (<usize>(i + 1) << 2));
    for (let k = load<i32>(lp + (<usize>i << 2)); k < k1; k++) s -= load<f64>(at(lv, k)) * load<f64>(at(z, load<i32>(li + (<usize>k << 2))));
    store<f64>(at(z, i), s / load<f64>(at(d, i)));
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = load<f64>(at(z, i));
    const k1 = load<i32>(up + (<usize>(i + 1) << 2));
    for (let k = load<i32>(up + (<usize>i << 2)); k < k1; k++) s -= load<f64>(at(uv, k)) * load<f64>(at(z, load<i32>(ui + (<usize>k << 2))));
    store<f64>(at(z, i), s / load<f64>(at(d, i)));
  }
}

/**
 * The triangular solves are sequential: once every thread's rows of r are in
 * (barrier), tid 0 solves and forms the r·z partials of every chunk; a second
 * barrier publishes z.
 */
function applyTri(tri: usize, n: i32, r: usize, z: usize, rz: usize, chunks: i32, team: usize, tid: i32, nthreads: i32): void {
  barrier(team, nthreads);
  if (tid == 0) {
    triSolve(tri, n, r, z);
    for (let c = 0; c < chunks; c++) {
      const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
      let s: f64 = 0;
      for (let i = i0; i < i1; i++) s += load<f64>(at(r, i)) * load<f64>(at(z, i));
      store<f64>(at(rz, c), s);
    }
  }
  barrier(team, nthreads);
}

/**
 * Solves A·x = b. On entry x holds x0; on exit the last iterate.
 * `work` holds 4·n f64 (r, p, q, z; z unused without preconditioner);
 * `partials` (4 + k(k+1)/2 + 2k)·chunkCount(n) f64; `history` historyCap
 * f64 (‖r_k‖ for k < historyCap); `out` 8 f64; `dinv` the inverse diagonal
 * (Jacobi), or 0; `tri` a factored preconditioner M = L·Lᵀ (see triSolve),
 * or 0; both 0: none.
 * Deflation: `w` holds W (k lines of length n), `aw` room for A·W (k lines);
 * `keepP`, `keepQ` room for ℓ lines each (the first p's and A·p's);
 * `scratch` (k² + k(k+1)/2 + 2k)·64 f64.
 */
export function cg_f64(
  indptr: usize, indices: usize, data: usize, n: i32,
  b: usize, x: usize, dinv: usize, tri: usize,
  work: usize, partials: usize, history: usize, historyCap: i32,
  maxIter: i32, tol: f64, out: usize,
  w: usize, aw: usize, k: i32, keepP: usize, keepQ: usize, ell: i32, scratch: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const r = work, p = at(work, n), q = at(work, 2 * n);
  const z = dinv != 0 || tri != 0 ? at(work, 3 * n) : r;  // without preconditioner z is r
  const local = tri == 0;  // z_i from r_i alone (none, Jacobi): no barrier before z
  const chunks = chunkCount(n);
  const pq = partials, rz = at(partials, chunks), rr = at(partials, 2 * chunks);
  // The exit residual gets its own partials: a thread may still be reading
  // the others' sums when a faster one reaches the last phase. Likewise each
  // deflation reduction has its own arrays.
  const tr = at(partials, 3 * chunks);
  const kk = (k * (k + 1)) >> 1;
  const gp = at(partials, 4 * chunks);              // WᵀAW, packed upper
  const wrp = at(gp, kk * chunks);                  // Wᵀr₋₁
  const azp = at(wrp, k * chunks);                  // (AW)ᵀz
  // This thread's own small workspace: L (k×k), WᵀAW packed, a right-hand side, μ.
  const lf = at(scratch, tid * (k * k + kk + 2 * k)), gk = at(lf, k * k), rhs = at(gk, kk), mu = at(rhs, k);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const my0 = c0 * CHUNK, my1 = min(n, c1 * CHUNK);

  let reason = MAX_ITERATIONS;
  let iter = 0;
  let rho: f64 = 0, rnorm: f64 = 0;
  let trueNorm: f64 = 0;
  // Each pass starts from the true residual of x; a pass whose recursive
  // residual met the tolerance while the true one does not is followed by
  // another (residual replacement), at most TRUE_RESIDUAL_RESTARTS times.
  for (let restart = 0; ; restart++) {
    let deflOk = true;
    if (k > 0) {
      // A·W, WᵀAW and r₋₁ = b − A·x₋₁ with Wᵀr₋₁.
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
        for (let j = 0; j < k; j++) {
          for (let i = i0; i < i1; i++) store<f64>(at(aw, j * n + i), csrRowDot(indptr, indices, data, at(w, j * n), i));
        }
        let g = 0;
        for (let a = 0; a < k; a++) {
          for (let bb = a; bb < k; bb++) {
            let s: f64 = 0;
            for (let i = i0; i < i1; i++) s += load<f64>(at(w, a * n + i)) * load<f64>(at(aw, bb * n + i));
            store<f64>(at(gp, g * chunks + c), s);
            g++;
          }
        }
        for (let i = i0; i < i1; i++) store<f64>(at(r, i), load<f64>(at(b, i)) - csrRowDot(indptr, indices, data, x, i));
        for (let j = 0; j < k; j++) {
          let s: f64 = 0;
          for (let i = i0; i < i1; i++) s += load<f64>(at(w, j * n + i)) * load<f64>(at(r, i));
          store<f64>(at(wrp, j * chunks + c), s);
        }
      }
      barrier(team, nthreads);
      // Every thread factors WᵀAW itself (same sums, same factor, same decision).
      sumEach(gp, chunks, kk, gk);
      deflOk = cholesky(gk, lf, k);
    }
    if (!deflOk) {
      // WᵀAW is not positive definite, so neither is A (W has full rank).
      reason = INDEFINITE;
      rnorm = NaN;
      if (tid == 0 && iter < historyCap) store<f64>(at(history, iter), NaN);
    } else {
      if (k > 0) {
        sumEach(wrp, chunks, k, rhs);
        cholSolve(lf, k, rhs, mu);
      }
      // x₀ = x₋₁ + W·μ, r₀ = r₋₁ − AW·μ (so Wᵀr₀ = 0); z = D⁻¹·r; p = z (deflated below).
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
        let srr: f64 = 0, srz: f64 = 0;
        for (let i = i0; i < i1; i++) {
          let ri: f64;
          if (k > 0) {
            store<f64>(at(x, i), load<f64>(at(x, i)) + combine(w, n, k, mu, i));
            ri = load<f64>(at(r, i)) - combine(aw, n, k, mu, i);
          } else {
            ri = load<f64>(at(b, i)) - csrRowDot(indptr, indices, data, x, i);
          }
          store<f64>(at(r, i), ri);
          srr += ri * ri;
          if (local) {
            const zi = dinv != 0 ? load<f64>(at(dinv, i)) * ri : ri;
            store<f64>(at(z, i), zi);
            store<f64>(at(p, i), zi);
            srz += ri * zi;
          }
        }
        store<f64>(at(rr, c), srr);
        if (local) {
          store<f64>(at(rz, c), srz);
          deflationPartials(aw, z, azp, n, k, chunks, c, c);
        }
      }
      if (!local) {
        applyTri(tri, n, r, z, rz, chunks, team, tid, nthreads);
        for (let i = my0; i < my1; i++) store<f64>(at(p, i), load<f64>(at(z, i)));
        deflationPartials(aw, z, azp, n, k, chunks, c0, c1 - 1);
      }
      barrier(team, nthreads);
      rho = sumPartials(rz, chunks);
      rnorm = Math.sqrt(sumPartials(rr, chunks));
      if (tid == 0 && iter < historyCap) store<f64>(at(history, iter), rnorm);
      if (k > 0) {
        // p₀ = z₀ − W·μ with WᵀAW·μ = (AW)ᵀz₀.
        sumEach(azp, chunks, k, rhs);
        cholSolve(lf, k, rhs, mu);
        for (let i = my0; i < my1; i++) store<f64>(at(p, i), load<f64>(at(z, i)) - combine(w, n, k, mu, i));
        barrier(team, nthreads);
      }

      if (rnorm <= tol) reason = CONVERGED;
      else if (!isFinite(rnorm) || !(rho > 0)) reason = BREAKDOWN;
      else {
        for (;;) {
          if (iter == maxIter) { reason = MAX_ITERATIONS; break; }
          iter++;
          // A: q = A·p and p·q; keep the first ℓ pairs. (Keeping the last ℓ
          // instead was measured: no better Ritz vectors, and a copy every iteration.)
          const kept = iter <= ell;
          const slot = iter - 1;
          for (let c = c0; c < c1; c++) {
            const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
            let s: f64 = 0;
            for (let i = i0; i < i1; i++) {
              const qi = csrRowDot(indptr, indices, data, p, i);
              store<f64>(at(q, i), qi);
              const pi = load<f64>(at(p, i));
              s += pi * qi;
              if (kept) {
                store<f64>(at(keepP, slot * n + i), pi);
                store<f64>(at(keepQ, slot * n + i), qi);
              }
            }
            store<f64>(at(pq, c), s);
          }
          barrier(team, nthreads);
          const curvature = sumPartials(pq, chunks);
          if (!(curvature > 0)) {
            // p·Ap ≤ 0: A is not positive definite (NaN/∞: the iteration broke down).
            reason = isFinite(curvature) ? INDEFINITE : BREAKDOWN;
            iter--;
            break;
          }
          const alpha = rho / curvature;

          // B: x += α·p, r −= α·q, z = M⁻¹·r, with r·z, r·r and (AW)ᵀz.
          for (let c = c0; c < c1; c++) {
            const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
            let srr: f64 = 0, srz: f64 = 0;
            for (let i = i0; i < i1; i++) {
              store<f64>(at(x, i), load<f64>(at(x, i)) + alpha * load<f64>(at(p, i)));
              const ri = load<f64>(at(r, i)) - alpha * load<f64>(at(q, i));
              store<f64>(at(r, i), ri);
              srr += ri * ri;
              if (dinv != 0) {
                const zi = load<f64>(at(dinv, i)) * ri;
                store<f64>(at(z, i), zi);
                srz += ri * zi;
              }
            }
            store<f64>(at(rr, c), srr);
            if (local) {
              store<f64>(at(rz, c), dinv != 0 ? srz : srr);
              deflationPartials(aw, z, azp, n, k, chunks, c, c);
            }
          }
          if (!local) {
            applyTri(tri, n, r, z, rz, chunks, team, tid, nthreads);
            deflationPartials(aw, z, azp, n, k, chunks, c0, c1 - 1);
          }
          if (tid == 0) store<f64>(out + (OUT_STOP << 3), aborted(team) ? 1 : 0);
          barrier(team, nthreads);
          const rhoNext = sumPartials(rz, chunks);
          rnorm = Math.sqrt(sumPartials(rr, chunks));
          if (tid == 0) {
            if (iter < historyCap) store<f64>(at(history, iter), rnorm);
            reportProgress(team, iter, rnorm);
          }
          if (rnorm <= tol) { reason = CONVERGED; break; }
          if (!isFinite(rnorm) || !(rhoNext > 0)) { reason = BREAKDOWN; break; }
          if (load<f64>(out + (OUT_STOP << 3)) != 0) { reason = ABORTED; break; }
          const beta = rhoNext / rho;
          rho = rhoNext;

          // C: p = z + β·p (− W·μ with WᵀAW·μ = (AW)ᵀz).
          if (k > 0) {
            sumEach(azp, chunks, k, rhs);
            cholSolve(lf, k, rhs, mu);
            for (let i = my0; i < my1; i++) {
              store<f64>(at(p, i), load<f64>(at(z, i)) + beta * load<f64>(at(p, i)) - combine(w, n, k, mu, i));
            }
          } else {
            for (let i = my0; i < my1; i++) store<f64>(at(p, i), load<f64>(at(z, i)) + beta * load<f64>(at(p, i)));
          }
          barrier(team, nthreads);
        }
      }
    }

    // The true residual of x (the recursive one drifts).
    residualPartials(indptr, indices, data, n, b, x, tr, c0, c1);
    barrier(team, nthreads);
    trueNorm = Math.sqrt(sumPartials(tr, chunks));
    if (reason != CONVERGED || trueNorm <= tol) break;
    // x overflowed although the recursion did not notice: no restart helps.
    if (!isFinite(trueNorm)) { reason = BREAKDOWN; break; }
    if (restart == TRUE_RESIDUAL_RESTARTS) { reason = STAGNATED; break; }
  }
  if (tid == 0) {
    store<f64>(out + (OUT_ITERATIONS << 3), <f64>iter);
    store<f64>(out + (OUT_REASON << 3), <f64>reason);
    store<f64>(out + (OUT_RESIDUAL << 3), rnorm);
    store<f64>(out + (OUT_TRUE_RESIDUAL << 3), trueNorm);
    store<f64>(out + (OUT_STORED << 3), <f64>min(iter, ell));
  }
}
