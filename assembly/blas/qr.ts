// Householder QR of a column-major rows×cols matrix, in place: the first
// `reflect` columns are reduced (their reflectors overwrite them below the
// diagonal, R's strict upper triangle stays above it, R's diagonal goes to
// `diag`), and every later column (e.g. a right-hand side) is transformed by
// the same reflectors, giving Qᵀ·b. Reflector k is H = I − τ·v·vᵀ with
// τ = 2/‖v‖² (‖v‖² in `vnorm`).
//
// Two forms with one output layout: unblocked (qr_householder_f64: each
// reflector applied to every later column, BLAS-2, reads the trailing matrix
// once per column) and blocked (qr_blocked_f64: panels of QR_PANEL columns
// factored unblocked, then the panel's reflectors applied to the trailing
// columns at once in compact WY form Qᵀ = I − V·Tᵀ·Vᵀ, which reads the
// trailing matrix once per panel and runs from cache in register blocks).
// Threads share trailing columns; each column's update is one thread's and
// its arithmetic does not depend on which thread or with which neighbour it
// runs, so results do not depend on the thread count.
import { abortAgreed, aborted, barrier, rangeStart } from "../core/team";
import { dotContiguous } from "./level1";

export const QR_PANEL: i32 = 32;

/**
 * Reduces columns k0..k1−1 (rows k..rows−1 of column k) and applies each
 * reflector to the later columns up to colEnd−1, cyclically over threads.
 */
function householderColumns(
  a: usize, rows: i32, k0: i32, k1: i32, colEnd: i32, diag: usize, vnorm: usize,
  team: usize, tid: i32, nthreads: i32,
): bool {
  const ld = <usize>rows << 3;
  for (let k = k0; k < k1; k++) {
    // A tall A's column takes milliseconds: stop there once the host asks (it discards the output).
    if (abortAgreed(team, k, tid, nthreads)) return false;
    const col = a + <usize>k * ld + (<usize>k << 3);
    const len = rows - k;
    if (tid == 0) {
      // v = x − α·e₁ with α = −sign(x₀)·‖x‖ (no cancellation in v₀).
      const xx = dotContiguous(col, col, len);
      const x0 = load<f64>(col);
      const alpha = xx == 0 ? 0.0 : (x0 >= 0 ? -Math.sqrt(xx) : Math.sqrt(xx));
      store<f64>(col, x0 - alpha);
      store<f64>(diag + (<usize>k << 3), alpha);
      // ‖v‖² = ‖x‖² − 2α·x₀ + α²
      store<f64>(vnorm + (<usize>k << 3), xx - 2 * alpha * x0 + alpha * alpha);
    }
    barrier(team, nthreads);
    const vv = load<f64>(vnorm + (<usize>k << 3));
    if (vv != 0) {
      for (let j = k + 1 + tid; j < colEnd; j += nthreads) {
        const cj = a + <usize>j * ld + (<usize>k << 3);
        const f = (2 * dotContiguous(col, cj, len)) / vv;
        const fv = f64x2.splat(f);
        let i = 0;
        for (; i + 2 <= len; i += 2) {
          const o = <usize>i << 3;
          v128.store(cj + o, f64x2.sub(v128.load(cj + o), f64x2.mul(fv, v128.load(col + o))));
        }
        if (i < len) store<f64>(cj + (<usize>i << 3), load<f64>(cj + (<usize>i << 3)) - f * load<f64>(col + (<usize>i << 3)));
      }
    }
    barrier(team, nthreads);
  }
  return true;
}

export function qr_householder_f64(
  a: usize, rows: i32, cols: i32, reflect: i32, diag: usize, vnorm: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  householderColumns(a, rows, 0, reflect, cols, diag, vnorm, team, tid, nthreads);
}

/**
 * Bytes of qr_blocked_f64's workspace: the panel's V (explicit, zeros above
 * its diagonal), VᵀV and T, and per thread a spare column and two columns of W.
 */
export function qrBlockedWorkspace(rows: i32, nthreads: i32): f64 {
  const NB = <usize>QR_PANEL;
  return <f64>((<usize>rows * NB + 2 * NB * NB + <usize>nthreads * (<usize>rows + 2 * NB)) << 3);
}

/** Blocked form. `work`: qrBlockedWorkspace bytes. */
export function qr_blocked_f64(
  a: usize, rows: i32, cols: i32, reflect: i32, diag: usize, vnorm: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const ld = <usize>rows << 3;
  const NB = QR_PANEL;
  const vbuf = work, gram = vbuf + ((<usize>rows * NB) << 3), tmat = gram + ((<usize>NB * NB) << 3);
  const mine = tmat + ((<usize>NB * NB) << 3) + <usize>tid * ((<usize>rows + 2 * NB) << 3);
  const spare = mine, w = spare + ld; // w: two columns of NB
  for (let k0 = 0; k0 < reflect; k0 += NB) {
    const nb = min(NB, reflect - k0);
    if (!householderColumns(a, rows, k0, k0 + nb, k0 + nb, diag, vnorm, team, tid, nthreads)) return;
    const next = k0 + nb;
    if (next >= cols) break;
    const mv = rows - k0; // rows the panel's reflectors touch
    const vld = <usize>mv << 3;
    // V explicit: column t is v_t from row t of the panel down, zero above.
    const t0 = rangeStart(nb, tid, nthreads), t1 = rangeStart(nb, tid + 1, nthreads);
    for (let t = t0; t < t1; t++) {
      const dst = vbuf + <usize>t * vld;
      memory.fill(dst, 0, <usize>t << 3);
      memory.copy(dst + (<usize>t << 3), a + <usize>(k0 + t) * ld + (<usize>(k0 + t) << 3), <usize>(mv - t) << 3);
    }
    barrier(team, nthreads);
    // gram[s, t] = v_sᵀ·v_t for s < t (the rows both touch: t..mv−1).
    for (let t = t0; t < t1; t++) {
      const vt = vbuf + <usize>t * vld + (<usize>t << 3);
      for (let s = 0; s < t; s++) {
        store<f64>(gram + ((<usize>t * NB + s) << 3), dotContiguous(vbuf + <usize>s * vld + (<usize>t << 3), vt, mv - t));
      }
    }
    barrier(team, nthreads);
    if (tid == 0) {
      // T upper triangular (column-major, NB×NB): T[t,t] = τ_t,
      // T[0:t, t] = −τ_t·T[0:t, 0:t]·(V[:, 0:t]ᵀ·v_t)  (LAPACK's dlarft, forward).
      for (let t = 0; t < nb; t++) {
        const vv = load<f64>(vnorm + (<usize>(k0 + t) << 3));
        const tau = vv == 0 ? 0.0 : 2 / vv;
        const tc = tmat + ((<usize>t * NB) << 3);
        for (let s = 0; s < t; s++) {
          let acc: f64 = 0;
          for (let q = s; q < t; q++) acc += load<f64>(tmat + ((<usize>q * NB + s) << 3)) * load<f64>(gram + ((<usize>t * NB + q) << 3));
          store<f64>(tc + (<usize>s << 3), -tau * acc);
        }
        store<f64>(tc + (<usize>t << 3), tau);
      }
    }
    barrier(team, nthreads);
    // Trailing columns next..cols−1, a contiguous range per thread, in pairs.
    const nc = cols - next;
    const j1 = next + rangeStart(nc, tid + 1, nthreads);
    for (let j = next + rangeStart(nc, tid, nthreads); j < j1; j += 2) {
      // Each thread may stop its own share (the barrier below is still met); the next panel's check agrees.
      if (aborted(team)) break;
      const c0 = a + <usize>j * ld + (<usize>k0 << 3);
      // An odd one out is paired with a spare copy of itself (discarded):
      // each column's arithmetic is the same whether paired or not.
      let c1 = spare;
      if (j + 1 < j1) c1 = c0 + ld;
      else memory.copy(spare, c0, vld);
      applyBlockT(vbuf, mv, nb, tmat, c0, c1, w);
    }
    barrier(team, nthreads);
  }
}

/** (c0, c1) ← (I − V·Tᵀ·Vᵀ)·(c0, c1): V mv×nb column-major (ld mv), T NB×NB, w 2·NB scratch. */
function applyBlockT(v: usize, mv: i32, nb: i32, tmat: usize, c0: usize, c1: usize, w: usize): void {
  const vld = <usize>mv << 3;
  const NB = QR_PANEL;
  const w0 = w, w1 = w + (<usize>NB << 3);
  // W = Vᵀ·C, four reflectors × two columns per sweep (8 accumulators).
  let t = 0;
  for (; t + 4 <= nb; t += 4) {
    const v0 = v + <usize>t * vld, v1 = v0 + vld, v2 = v1 + vld, v3 = v2 + vld;
    let a00 = f64x2.splat(0), a01 = f64x2.splat(0), a02 = f64x2.splat(0), a03 = f64x2.splat(0);
    let a10 = f64x2.splat(0), a11 = f64x2.splat(0), a12 = f64x2.splat(0), a13 = f64x2.splat(0);
    // Rows above t are zero in all four: start at t (even-aligned so lanes pair the same way).
    let i = t & ~1;
    for (; i + 2 <= mv; i += 2) {
      const o = <usize>i << 3;
      const x = v128.load(c0 + o), y = v128.load(c1 + o);
      const p0 = v128.load(v0 + o), p1 = v128.load(v1 + o), p2 = v128.load(v2 + o), p3 = v128.load(v3 + o);
      a00 = f64x2.add(a00, f64x2.mul(p0, x)); a10 = f64x2.add(a10, f64x2.mul(p0, y));
      a01 = f64x2.add(a01, f64x2.mul(p1, x)); a11 = f64x2.add(a11, f64x2.mul(p1, y));
      a02 = f64x2.add(a02, f64x2.mul(p2, x)); a12 = f64x2.add(a12, f64x2.mul(p2, y));
      a03 = f64x2.add(a03, f64x2.mul(p3, x)); a13 = f64x2.add(a13, f64x2.mul(p3, y));
    }
    let s00 = hsum(a00), s01 = hsum(a01), s02 = hsum(a02), s03 = hsum(a03);
    let s10 = hsum(a10), s11 = hsum(a11), s12 = hsum(a12), s13 = hsum(a13);
    if (i < mv) {
      const o = <usize>i << 3;
      const x = load<f64>(c0 + o), y = load<f64>(c1 + o);
      s00 += load<f64>(v0 + o) * x; s10 += load<f64>(v0 + o) * y;
      s01 += load<f64>(v1 + o) * x; s11 += load<f64>(v1 + o) * y;
      s02 += load<f64>(v2 + o) * x; s12 += load<f64>(v2 + o) * y;
      s03 += load<f64>(v3 + o) * x; s13 += load<f64>(v3 + o) * y;
    }
    const q = <usize>t << 3;
    store<f64>(w0 + q, s00); store<f64>(w0 + q, s01, 8); store<f64>(w0 + q, s02, 16); store<f64>(w0 + q, s03, 24);
    store<f64>(w1 + q, s10); store<f64>(w1 + q, s11, 8); store<f64>(w1 + q, s12, 16); store<f64>(w1 + q, s13, 24);
  }
  for (; t < nb; t++) {
    const vt = v + <usize>t * vld;
    const q = <usize>t << 3;
    store<f64>(w0 + q, dotContiguous(vt, c0, mv));
    store<f64>(w1 + q, dotContiguous(vt, c1, mv));
  }
  // W ← Tᵀ·W (T upper triangular: row t of Tᵀ is T[0..t, t]), bottom up in place.
  for (let r = nb - 1; r >= 0; r--) {
    const tc = tmat + ((<usize>r * NB) << 3);
    let s0: f64 = 0, s1: f64 = 0;
    for (let s = 0; s <= r; s++) {
      const tv = load<f64>(tc + (<usize>s << 3));
      s0 += tv * load<f64>(w0 + (<usize>s << 3));
      s1 += tv * load<f64>(w1 + (<usize>s << 3));
    }
    store<f64>(w0 + (<usize>r << 3), s0);
    store<f64>(w1 + (<usize>r << 3), s1);
  }
  // C −= V·W, four reflectors per pass over the column pair.
  t = 0;
  for (; t + 4 <= nb; t += 4) {
    const v0 = v + <usize>t * vld, v1 = v0 + vld, v2 = v1 + vld, v3 = v2 + vld;
    const q = <usize>t << 3;
    const x0 = f64x2.splat(load<f64>(w0 + q)), x1 = f64x2.splat(load<f64>(w0 + q, 8));
    const x2 = f64x2.splat(load<f64>(w0 + q, 16)), x3 = f64x2.splat(load<f64>(w0 + q, 24));
    const y0 = f64x2.splat(load<f64>(w1 + q)), y1 = f64x2.splat(load<f64>(w1 + q, 8));
    const y2 = f64x2.splat(load<f64>(w1 + q, 16)), y3 = f64x2.splat(load<f64>(w1 + q, 24));
    let i = t & ~1;
    for (; i + 2 <= mv; i += 2) {
      const o = <usize>i << 3;
      const p0 = v128.load(v0 + o), p1 = v128.load(v1 + o), p2 = v128.load(v2 + o), p3 = v128.load(v3 + o);
      const dx = f64x2.add(f64x2.add(f64x2.mul(p0, x0), f64x2.mul(p1, x1)), f64x2.add(f64x2.mul(p2, x2), f64x2.mul(p3, x3)));
      const dy = f64x2.add(f64x2.add(f64x2.mul(p0, y0), f64x2.mul(p1, y1)), f64x2.add(f64x2.mul(p2, y2), f64x2.mul(p3, y3)));
      v128.store(c0 + o, f64x2.sub(v128.load(c0 + o), dx));
      v128.store(c1 + o, f64x2.sub(v128.load(c1 + o), dy));
    }
    if (i < mv) {
      const o = <usize>i << 3;
      const p0 = load<f64>(v0 + o), p1 = load<f64>(v1 + o), p2 = load<f64>(v2 + o), p3 = load<f64>(v3 + o);
      const q0 = <usize>t << 3;
      store<f64>(c0 + o, load<f64>(c0 + o) - ((p0 * load<f64>(w0 + q0) + p1 * load<f64>(w0 + q0, 8)) + (p2 * load<f64>(w0 + q0, 16) + p3 * load<f64>(w0 + q0, 24))));
      store<f64>(c1 + o, load<f64>(c1 + o) - ((p0 * load<f64>(w1 + q0) + p1 * load<f64>(w1 + q0, 8)) + (p2 * load<f64>(w1 + q0, 16) + p3 * load<f64>(w1 + q0, 24))));
    }
  }
  for (; t < nb; t++) {
    const vt = v + <usize>t * vld;
    const f0 = load<f64>(w0 + (<usize>t << 3)), f1 = load<f64>(w1 + (<usize>t << 3));
    for (let i = t; i < mv; i++) {
      const o = <usize>i << 3;
      const p = load<f64>(vt + o);
      store<f64>(c0 + o, load<f64>(c0 + o) - p * f0);
      store<f64>(c1 + o, load<f64>(c1 + o) - p * f1);
    }
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
