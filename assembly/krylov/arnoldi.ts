// One Arnoldi orthogonalisation, shared by GMRES (gmres.ts) and GCRO-DR
// (gcrodr.ts): w against the vectors [C_0..C_{s−1}, v_0..v_{nv−s−1}] by
// classical Gram–Schmidt, blocked by chunk (every coefficient's partial from
// one read of w's chunk, then w −= V·h and ‖w‖² with the chunk in cache).
// A second pass runs only when the first cancelled nearly all of w (‖w‖
// fell below REORTHOGONALISE_BELOW times its norm before): then w has lost
// digits and its remainder need not be orthogonal to V. (The classical
// η = 1/√2 runs the second pass on almost every step, at twice the cost, for
// the same steps and residuals: bench/results/krylov-notes.md.)
// Deterministic: chunk-ordered partial sums, any thread count.
import { barrier } from "../core/team";
import { csrRowDot } from "../blas/sparse";
import { CHUNK, sumPartials } from "../core/chunks";
import { dotContiguous, dotPair, subtractScaled, subtractScaled4 } from "../blas/level1";
import { at } from "../core/memory";
import { CoarseView, twoLevelApply } from "./two-level";

const REORTHOGONALISE_BELOW: f64 = 0.0009765625;

/** Vector a of [C (s lines), V]. */
// @ts-ignore: decorator
@inline function line(c: usize, s: i32, basis: usize, a: i32, n: i32): usize {
  return a < s ? at(c, a * n) : at(basis, (a - s) * n);
}

/** Partials of every coefficient (into `coef`) and, if normPartials ≠ 0, of ‖w‖², chunks c0..c1−1. */
function projections(c: usize, s: i32, basis: usize, nv: i32, w: usize, n: i32, chunks: i32, coef: usize, normPartials: usize, c0: i32, c1: i32): void {
  for (let ch = c0; ch < c1; ch++) {
    const i0 = ch * CHUNK, len = min(n, i0 + CHUNK) - i0;
    let a = 0;
    for (; a + 2 <= nv; a += 2) {
      dotPair(at(line(c, s, basis, a, n), i0), at(line(c, s, basis, a + 1, n), i0), at(w, i0), len,
        at(coef, a * chunks + ch), at(coef, (a + 1) * chunks + ch));
    }
    if (a < nv) store<f64>(at(coef, a * chunks + ch), dotContiguous(at(line(c, s, basis, a, n), i0), at(w, i0), len));
    if (normPartials != 0) store<f64>(at(normPartials, ch), dotContiguous(at(w, i0), at(w, i0), len));
  }
}

/** w −= Σ_a h[a]·line_a (in order: each entry as nv scalar updates leave it), then ‖w‖² per chunk. */
function projectOut(c: usize, s: i32, basis: usize, nv: i32, w: usize, n: i32, chunks: i32, h: usize, normPartials: usize, c0: i32, c1: i32): void {
  for (let ch = c0; ch < c1; ch++) {
    const i0 = ch * CHUNK, len = min(n, i0 + CHUNK) - i0;
    const wc = at(w, i0);
    let a = 0;
    for (; a + 4 <= nv; a += 4) {
      subtractScaled4(wc, at(line(c, s, basis, a, n), i0), at(line(c, s, basis, a + 1, n), i0),
        at(line(c, s, basis, a + 2, n), i0), at(line(c, s, basis, a + 3, n), i0),
        load<f64>(at(h, a)), load<f64>(at(h, a + 1)), load<f64>(at(h, a + 2)), load<f64>(at(h, a + 3)), len);
    }
    for (; a < nv; a++) subtractScaled(wc, at(line(c, s, basis, a, n), i0), load<f64>(at(h, a)), len);
    store<f64>(at(normPartials, ch), dotContiguous(wc, wc, len));
  }
}

/**
 * Orthogonalises w (complete: every thread's rows written before the call's
 * first barrier reads them) against nv vectors; h[a] gets the coefficients
 * (summed over both passes), `r` nv f64 of this thread's scratch. `p1`, `p2`
 * nv·chunks and `pn` chunks f64 of partials. Before its last barrier tid 0
 * stores the abort flag at `stop`. Returns ‖w‖ after (w not yet scaled).
 */
export function orthogonalise(
  c: usize, s: i32, basis: usize, nv: i32, w: usize, n: i32, h: usize, r: usize,
  p1: usize, p2: usize, pn: usize, chunks: i32, c0: i32, c1: i32,
  team: usize, tid: i32, nthreads: i32, stop: usize, stopValue: f64,
): f64 {
  projections(c, s, basis, nv, w, n, chunks, p1, pn, c0, c1);
  barrier(team, nthreads);
  const before = Math.sqrt(sumPartials(pn, chunks));
  for (let a = 0; a < nv; a++) store<f64>(at(h, a), sumPartials(at(p1, a * chunks), chunks));
  if (tid == 0) store<f64>(stop, stopValue);
  projectOut(c, s, basis, nv, w, n, chunks, h, p2, c0, c1);
  barrier(team, nthreads);
  const after = Math.sqrt(sumPartials(p2, chunks));
  if (after >= REORTHOGONALISE_BELOW * before) return after;
  // Second pass (also when a norm is not finite: the caller's stop rule sees it).
  projections(c, s, basis, nv, w, n, chunks, p1, 0, c0, c1);
  barrier(team, nthreads);
  for (let a = 0; a < nv; a++) {
    const extra = sumPartials(at(p1, a * chunks), chunks);
    store<f64>(at(r, a), extra);
    store<f64>(at(h, a), load<f64>(at(h, a)) + extra);
  }
  projectOut(c, s, basis, nv, w, n, chunks, r, pn, c0, c1);
  barrier(team, nthreads);
  return Math.sqrt(sumPartials(pn, chunks));
}

/**
 * w = A·M⁻¹·v on rows my0..my1 (M⁻¹ = diag(dinv), or none when dinv = 0, or
 * the two-level preconditioner when `coarse` is a CoarseView; `t` holds
 * M⁻¹·v). Every row of v must be in before the SpMV reads it: one barrier
 * before the scaling, one before the product. Inlined: as a call of its
 * own, GMRES(30) steps on 32²–64² grids took 7 % longer.
 */
// @ts-ignore: decorator
@inline export function arnoldiProduct(
  indptr: usize, indices: usize, data: usize, dinv: usize, coarse: usize, v: usize, t: usize, w: usize,
  my0: i32, my1: i32, team: usize, nthreads: i32,
): void {
  let src = v;
  if (coarse != 0) {
    twoLevelApply(changetype<CoarseView>(coarse), indptr, indices, data, dinv, v, t, my0, my1, team, nthreads);
    src = t;
  } else if (dinv != 0) {
    barrier(team, nthreads);
    for (let i = my0; i < my1; i++) store<f64>(at(t, i), load<f64>(at(dinv, i)) * load<f64>(at(v, i)));
    src = t;
  }
  barrier(team, nthreads);
  for (let i = my0; i < my1; i++) store<f64>(at(w, i), csrRowDot(indptr, indices, data, src, i));
}

