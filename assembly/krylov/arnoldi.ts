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
import { dotContiguous, subtractScaled } from "../blas/level1";
import { at } from "../core/memory";
import { CoarseView, twoLevelApply } from "./two-level";

const REORTHOGONALISE_BELOW: f64 = 0.0009765625;

/** Vector a of [C (s lines), V]. */
// @ts-ignore: decorator
@inline function line(c: usize, s: i32, basis: usize, a: i32, n: i32): usize {
  return a < s ? at(c, a * n) : at(basis, (a - s) * n);
}

/**
 * x0·y and x1·y into out0, out1, each summed exactly as dotContiguous sums it
 * (same accumulators, same order: the same bits), y read once for both.
 */
function dotPair(x0: usize, x1: usize, y: usize, len: i32, out0: usize, out1: usize): void {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 3;
    const y0 = v128.load(y + o), y1 = v128.load(y + o, 16), y2 = v128.load(y + o, 32), y3 = v128.load(y + o, 48);
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x0 + o), y0));
    b0 = f64x2.add(b0, f64x2.mul(v128.load(x1 + o), y0));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(x0 + o, 16), y1));
    b1 = f64x2.add(b1, f64x2.mul(v128.load(x1 + o, 16), y1));
    a2 = f64x2.add(a2, f64x2.mul(v128.load(x0 + o, 32), y2));
    b2 = f64x2.add(b2, f64x2.mul(v128.load(x1 + o, 32), y2));
    a3 = f64x2.add(a3, f64x2.mul(v128.load(x0 + o, 48), y3));
    b3 = f64x2.add(b3, f64x2.mul(v128.load(x1 + o, 48), y3));
  }
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    const y0 = v128.load(y + o);
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x0 + o), y0));
    b0 = f64x2.add(b0, f64x2.mul(v128.load(x1 + o), y0));
  }
  const a = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  const b = f64x2.add(f64x2.add(b0, b1), f64x2.add(b2, b3));
  let sa = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  let sb = f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1);
  if (i < len) {
    const yi = load<f64>(y + (<usize>i << 3));
    sa += load<f64>(x0 + (<usize>i << 3)) * yi;
    sb += load<f64>(x1 + (<usize>i << 3)) * yi;
  }
  store<f64>(out0, sa);
  store<f64>(out1, sb);
}

/**
 * y −= h0·x0, h1·x1, h2·x2, h3·x3 in that order, element by element as four
 * subtractScaled calls would leave it (the same bits), y loaded and stored once.
 */
function subtractScaled4(y: usize, x0: usize, x1: usize, x2: usize, x3: usize, h0: f64, h1: f64, h2: f64, h3: f64, len: i32): void {
  const v0 = f64x2.splat(h0), v1 = f64x2.splat(h1), v2 = f64x2.splat(h2), v3 = f64x2.splat(h3);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    let t = v128.load(y + o);
    t = f64x2.sub(t, f64x2.mul(v0, v128.load(x0 + o)));
    t = f64x2.sub(t, f64x2.mul(v1, v128.load(x1 + o)));
    t = f64x2.sub(t, f64x2.mul(v2, v128.load(x2 + o)));
    t = f64x2.sub(t, f64x2.mul(v3, v128.load(x3 + o)));
    v128.store(y + o, t);
  }
  if (i < len) {
    const o = <usize>i << 3;
    store<f64>(y + o, load<f64>(y + o) - h0 * load<f64>(x0 + o) - h1 * load<f64>(x1 + o) - h2 * load<f64>(x2 + o) - h3 * load<f64>(x3 + o));
  }
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

/** v[i0..i1) /= d, two lanes at a time (each element as the scalar division gives it). */
export function divideRows(v: usize, i0: i32, i1: i32, d: f64): void {
  const dv = f64x2.splat(d);
  let i = i0;
  for (; i + 2 <= i1; i += 2) v128.store(at(v, i), f64x2.div(v128.load(at(v, i)), dv));
  if (i < i1) store<f64>(at(v, i), load<f64>(at(v, i)) / d);
}
