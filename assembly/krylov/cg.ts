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
import { aborted, barrier, rangeStart, TEAM_PROGRESS_ITER, TEAM_PROGRESS_VALUE } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { csrRowDot } from "../blas/sparse";

// Result block (f64 slots) written by tid 0; slot STOP is the abort broadcast.
const OUT_ITERATIONS = 0;
const OUT_REASON = 1;
const OUT_RESIDUAL = 2;       // recursively updated ‖r‖ at exit
const OUT_TRUE_RESIDUAL = 3;  // ‖b − A·x‖ recomputed at exit
const OUT_STOP = 4;

// Reasons (src/krylov.ts maps them to names).
const CONVERGED = 0;
const MAX_ITERATIONS = 1;
const BREAKDOWN = 2;
const INDEFINITE = 3;
const ABORTED = 4;

// @ts-ignore: decorator
@inline function at(v: usize, i: i32): usize {
  return v + (<usize>i << 3);
}

/**
 * Solves A·x = b. On entry x holds x0; on exit the last iterate.
 * `work` holds 4·n f64 (r, p, q, z; z unused without preconditioner),
 * `partials` 4·chunkCount(n) f64, `history` historyCap f64 (‖r_k‖ for k < historyCap),
 * `out` 8 f64. `dinv` is the inverse diagonal, or 0 for no preconditioner.
 */
export function cg_f64(
  indptr: usize, indices: usize, data: usize, n: i32,
  b: usize, x: usize, dinv: usize,
  work: usize, partials: usize, history: usize, historyCap: i32,
  maxIter: i32, tol: f64, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const r = work, p = at(work, n), q = at(work, 2 * n);
  const z = dinv != 0 ? at(work, 3 * n) : r;  // without preconditioner z is r
  const chunks = chunkCount(n);
  const pq = partials, rz = at(partials, chunks), rr = at(partials, 2 * chunks);
  // The exit residual gets its own partials: a thread may still be reading
  // the others' sums when a faster one reaches the last phase.
  const tr = at(partials, 3 * chunks);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);

  // r = b − A·x0, z = D⁻¹·r, p = z.
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
    let srr: f64 = 0, srz: f64 = 0;
    for (let i = i0; i < i1; i++) {
      const ri = load<f64>(at(b, i)) - csrRowDot(indptr, indices, data, x, i);
      const zi = dinv != 0 ? load<f64>(at(dinv, i)) * ri : ri;
      store<f64>(at(r, i), ri);
      store<f64>(at(z, i), zi);
      store<f64>(at(p, i), zi);
      srr += ri * ri;
      srz += ri * zi;
    }
    store<f64>(at(rr, c), srr);
    store<f64>(at(rz, c), srz);
  }
  barrier(team, nthreads);
  let rho = sumPartials(rz, chunks);
  let rnorm = Math.sqrt(sumPartials(rr, chunks));
  if (tid == 0) store<f64>(history, rnorm);

  let k = 0;
  let reason = MAX_ITERATIONS;
  if (rnorm <= tol) reason = CONVERGED;
  else if (!isFinite(rnorm) || !(rho > 0)) reason = BREAKDOWN;
  else {
    for (;;) {
      if (k == maxIter) { reason = MAX_ITERATIONS; break; }
      k++;
      // A: q = A·p and p·q.
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
        let s: f64 = 0;
        for (let i = i0; i < i1; i++) {
          const qi = csrRowDot(indptr, indices, data, p, i);
          store<f64>(at(q, i), qi);
          s += load<f64>(at(p, i)) * qi;
        }
        store<f64>(at(pq, c), s);
      }
      barrier(team, nthreads);
      const curvature = sumPartials(pq, chunks);
      if (!(curvature > 0)) {
        // p·Ap ≤ 0: A is not positive definite (NaN/∞: the iteration broke down).
        reason = isFinite(curvature) ? INDEFINITE : BREAKDOWN;
        k--;
        break;
      }
      const alpha = rho / curvature;

      // B: x += α·p, r −= α·q, z = D⁻¹·r, with r·z and r·r.
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
        store<f64>(at(rz, c), dinv != 0 ? srz : srr);
      }
      if (tid == 0) store<f64>(out + (OUT_STOP << 3), aborted(team) ? 1 : 0);
      barrier(team, nthreads);
      const rhoNext = sumPartials(rz, chunks);
      rnorm = Math.sqrt(sumPartials(rr, chunks));
      if (tid == 0) {
        if (k < historyCap) store<f64>(at(history, k), rnorm);
        store<f64>(team + TEAM_PROGRESS_VALUE, rnorm);
        if (ASC_FEATURE_THREADS) atomic.store<i32>(team + TEAM_PROGRESS_ITER, k);
        else store<i32>(team + TEAM_PROGRESS_ITER, k);
      }
      if (rnorm <= tol) { reason = CONVERGED; break; }
      if (!isFinite(rnorm) || !(rhoNext > 0)) { reason = BREAKDOWN; break; }
      if (load<f64>(out + (OUT_STOP << 3)) != 0) { reason = ABORTED; break; }
      const beta = rhoNext / rho;
      rho = rhoNext;

      // C: p = z + β·p.
      const i0 = c0 * CHUNK, i1 = min(n, c1 * CHUNK);
      for (let i = i0; i < i1; i++) store<f64>(at(p, i), load<f64>(at(z, i)) + beta * load<f64>(at(p, i)));
      barrier(team, nthreads);
    }
  }

  // The true residual of the returned x (the recursive one drifts).
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
    let s: f64 = 0;
    for (let i = i0; i < i1; i++) {
      const ri = load<f64>(at(b, i)) - csrRowDot(indptr, indices, data, x, i);
      s += ri * ri;
    }
    store<f64>(at(tr, c), s);
  }
  barrier(team, nthreads);
  if (tid == 0) {
    store<f64>(out + (OUT_ITERATIONS << 3), <f64>k);
    store<f64>(out + (OUT_REASON << 3), <f64>reason);
    store<f64>(out + (OUT_RESIDUAL << 3), rnorm);
    store<f64>(out + (OUT_TRUE_RESIDUAL << 3), Math.sqrt(sumPartials(tr, chunks)));
  }
}
