// Softmax building blocks for f32, each over one contiguous piece (a chunk)
// of one row. Loops take blocks of 4 vectors: a block's partial sum is a
// balanced tree (exact for equal terms), and blocks are added into per-lane
// accumulators with Kahan compensation, so chunk sums are accurate to a few
// ulps even for long rows. Lanes past the end are padded with −∞ (weight 0).
// Chunk results go to f64 "slots" that softmax.ts folds in chunk order.
import {
  EXPK_F, EXPK_LOG2E, EXPK_MAGIC, EXPK_MAGIC_BIASED, EXPK_M127, EXPK_LIM, EXPK_CLAMP,
  expClampedK_f32x4, expMantissaK_f32x4, madd_f32x4, pow2_f64,
} from "../core/vexp";

// The two-pass clamps inputs below at −22000 (EXPK_LIM) so |n| < 2^15: exact
// n·LN2_HI_F and magic rounding.
const F32_MAX: f32 = 3.4028234663852886e38;

// @ts-ignore: decorator
@inline function loadPad(p: usize, i: i32, len: i32): v128 {
  if (i + 4 <= len) return v128.load(p + (<usize>i << 2));
  let v = f32x4.splat(-Infinity);
  const a = p + (<usize>i << 2);
  if (i < len) v = f32x4.replace_lane(v, 0, load<f32>(a));
  if (i + 1 < len) v = f32x4.replace_lane(v, 1, load<f32>(a, 4));
  if (i + 2 < len) v = f32x4.replace_lane(v, 2, load<f32>(a, 8));
  return v;
}

// @ts-ignore: decorator
@inline function storePart(p: usize, i: i32, len: i32, v: v128): void {
  const a = p + (<usize>i << 2);
  if (i + 4 <= len) { v128.store(a, v); return; }
  if (i < len) store<f32>(a, f32x4.extract_lane(v, 0));
  if (i + 1 < len) store<f32>(a, f32x4.extract_lane(v, 1), 4);
  if (i + 2 < len) store<f32>(a, f32x4.extract_lane(v, 2), 8);
}

// @ts-ignore: decorator
@inline function lanesMax(v: v128): f32 {
  const a = max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1));
  const b = max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3));
  return max(a, b);
}

/**
 * Two-pass, pass 1: Σ exp(x) as (M, E) with Σ = M·2^E, never overflowing.
 * Per block of 4 vectors, each exp is kept as p·2^n, scaled to the block's
 * max exponent, and the block sum is merged into per-lane (M, E)
 * accumulators. slot[0] = M, slot[1] = E (f64).
 *
 * Exponents stay in "magic" form vn = x·log2e + 1.5·2^23 (n in the low
 * mantissa bits), so 2^(n − eb) is vn − (eb − 127) then a shift: no
 * conversions. Inputs are clamped below only (−∞ → −22000: weight exactly
 * 0); a large positive, +∞ or NaN input makes E out of range or M non-finite,
 * and softmax.ts then falls back to the three-pass, so no clamp is needed there.
 */
export function twoPassChunk_f32(x: usize, len: i32, slot: usize): void {
  // Constants are loaded once, before the loop (see expClampedK_f32x4).
  const k = EXPK_F;
  const lim = v128.load(k, EXPK_LIM), l2e = v128.load(k, EXPK_LOG2E), magic = v128.load(k, EXPK_MAGIC);
  const mb = v128.load(k, EXPK_MAGIC_BIASED), m127 = v128.load(k, EXPK_M127);
  const hi = v128.load(k, 0), lo = v128.load(k, 16), q4 = v128.load(k, 32), q3 = v128.load(k, 48);
  const q2 = v128.load(k, 64), q1 = v128.load(k, 80), q0 = v128.load(k, 96), one = v128.load(k, 112);
  let accM = f32x4.splat(0), accC = f32x4.splat(0), accE = f32x4.splat(-65536);
  for (let i = 0; i < len; i += 16) {
    let v0: v128, v1: v128, v2: v128, v3: v128;
    if (i + 16 <= len) {
      const a = x + (<usize>i << 2);
      v0 = v128.load(a); v1 = v128.load(a, 16); v2 = v128.load(a, 32); v3 = v128.load(a, 48);
    } else {
      v0 = loadPad(x, i, len); v1 = loadPad(x, i + 4, len); v2 = loadPad(x, i + 8, len); v3 = loadPad(x, i + 12, len);
    }
    v0 = f32x4.pmax(v0, lim); v1 = f32x4.pmax(v1, lim); v2 = f32x4.pmax(v2, lim); v3 = f32x4.pmax(v3, lim);
    const vn0 = madd_f32x4(v0, l2e, magic), vn1 = madd_f32x4(v1, l2e, magic);
    const vn2 = madd_f32x4(v2, l2e, magic), vn3 = madd_f32x4(v3, l2e, magic);
    const p0 = expMantissaK_f32x4(v0, f32x4.sub(vn0, magic), hi, lo, q4, q3, q2, q1, q0, one);
    const p1 = expMantissaK_f32x4(v1, f32x4.sub(vn1, magic), hi, lo, q4, q3, q2, q1, q0, one);
    const p2 = expMantissaK_f32x4(v2, f32x4.sub(vn2, magic), hi, lo, q4, q3, q2, q1, q0, one);
    const p3 = expMantissaK_f32x4(v3, f32x4.sub(vn3, magic), hi, lo, q4, q3, q2, q1, q0, one);
    const ebv = f32x4.pmax(f32x4.pmax(vn0, vn1), f32x4.pmax(vn2, vn3));
    const eb = f32x4.sub(ebv, magic);          // the block's max n per lane
    const ebb = f32x4.sub(ebv, mb);            // eb − 127: vn − ebb = magic + 127 + n − eb
    const s0 = f32x4.mul(p0, i32x4.shl(f32x4.pmax(f32x4.sub(vn0, ebb), magic), 23));
    const s1 = f32x4.mul(p1, i32x4.shl(f32x4.pmax(f32x4.sub(vn1, ebb), magic), 23));
    const s2 = f32x4.mul(p2, i32x4.shl(f32x4.pmax(f32x4.sub(vn2, ebb), magic), 23));
    const s3 = f32x4.mul(p3, i32x4.shl(f32x4.pmax(f32x4.sub(vn3, ebb), magic), 23));
    const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
    // Merge into the lane accumulators at exponent e2 = max(accE, eb); both
    // scale factors are ≤ 1 (2^(d) with d ≤ 0, flushed to 0 below 2^−127).
    const e2 = f32x4.pmax(accE, eb);
    const sa = i32x4.shl(f32x4.add(f32x4.pmax(f32x4.sub(accE, e2), m127), mb), 23);
    const sb = i32x4.shl(f32x4.add(f32x4.pmax(f32x4.sub(eb, e2), m127), mb), 23);
    accM = f32x4.mul(accM, sa); accC = f32x4.mul(accC, sa);
    const t = f32x4.sub(f32x4.mul(s, sb), accC);
    const sum = f32x4.add(accM, t);
    accC = f32x4.sub(f32x4.sub(sum, accM), t);
    accM = sum;
    accE = e2;
  }
  const E = <f64>lanesMax(accE);
  let M: f64 = 0;
  M += (<f64>f32x4.extract_lane(accM, 0) - <f64>f32x4.extract_lane(accC, 0)) * pow2_f64(<f64>f32x4.extract_lane(accE, 0) - E);
  M += (<f64>f32x4.extract_lane(accM, 1) - <f64>f32x4.extract_lane(accC, 1)) * pow2_f64(<f64>f32x4.extract_lane(accE, 1) - E);
  M += (<f64>f32x4.extract_lane(accM, 2) - <f64>f32x4.extract_lane(accC, 2)) * pow2_f64(<f64>f32x4.extract_lane(accE, 2) - E);
  M += (<f64>f32x4.extract_lane(accM, 3) - <f64>f32x4.extract_lane(accC, 3)) * pow2_f64(<f64>f32x4.extract_lane(accE, 3) - E);
  store<f64>(slot, M);
  store<f64>(slot, E, 8);
}

/**
 * Two-pass, pass 2: y = p·2^(n − K)·c, where K and c come from the row's
 * (M, E) and n − K ≤ 1. 2^(n − K) is max(vn + (127 − K), magic) shifted:
 * below 2^−126 it is exactly 0. Only called when pass 1 found every input
 * below the exact range's top, so only the −∞ clamp is needed.
 */
export function twoPassOut_f32(x: usize, y: usize, len: i32, K: f32, c: f32): void {
  const kb = f32x4.splat(127 - K), cv = f32x4.splat(c);
  const k = EXPK_F;
  const lim = v128.load(k, EXPK_LIM), l2e = v128.load(k, EXPK_LOG2E), magic = v128.load(k, EXPK_MAGIC);
  const hi = v128.load(k, 0), lo = v128.load(k, 16), q4 = v128.load(k, 32), q3 = v128.load(k, 48);
  const q2 = v128.load(k, 64), q1 = v128.load(k, 80), q0 = v128.load(k, 96), one = v128.load(k, 112);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 2;
    const v0 = f32x4.pmax(v128.load(x + o), lim);
    const v1 = f32x4.pmax(v128.load(x + o, 16), lim);
    const vn0 = madd_f32x4(v0, l2e, magic);
    const vn1 = madd_f32x4(v1, l2e, magic);
    const p0 = expMantissaK_f32x4(v0, f32x4.sub(vn0, magic), hi, lo, q4, q3, q2, q1, q0, one);
    const p1 = expMantissaK_f32x4(v1, f32x4.sub(vn1, magic), hi, lo, q4, q3, q2, q1, q0, one);
    const s0 = i32x4.shl(f32x4.pmax(f32x4.add(vn0, kb), magic), 23);
    const s1 = i32x4.shl(f32x4.pmax(f32x4.add(vn1, kb), magic), 23);
    v128.store(y + o, f32x4.mul(f32x4.mul(p0, s0), cv));
    v128.store(y + o, f32x4.mul(f32x4.mul(p1, s1), cv), 16);
  }
  for (; i < len; i += 4) {
    const v = f32x4.pmax(loadPad(x, i, len), lim);
    const vn = madd_f32x4(v, l2e, magic);
    const p = expMantissaK_f32x4(v, f32x4.sub(vn, magic), hi, lo, q4, q3, q2, q1, q0, one);
    const sc = i32x4.shl(f32x4.pmax(f32x4.add(vn, kb), magic), 23);
    storePart(y, i, len, f32x4.mul(f32x4.mul(p, sc), cv));
  }
}

/** y = (x − a) − b: log-softmax outputs once the row's shift a + b is known. */
export function shiftOut_f32(x: usize, y: usize, len: i32, a: f32, b: f32): void {
  const av = f32x4.splat(a), bv = f32x4.splat(b);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o), av), bv));
    v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o, 16), av), bv), 16);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, (load<f32>(x + o) - a) - b);
  }
}

/** max(x) over the piece (NaN may be lost here; the sum pass catches it). */
export function maxChunk_f32(x: usize, len: i32): f64 {
  let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const a = x + (<usize>i << 2);
    m0 = f32x4.pmax(m0, v128.load(a)); m1 = f32x4.pmax(m1, v128.load(a, 16));
    m2 = f32x4.pmax(m2, v128.load(a, 32)); m3 = f32x4.pmax(m3, v128.load(a, 48));
  }
  for (; i < len; i += 4) m0 = f32x4.pmax(m0, loadPad(x, i, len));
  return <f64>lanesMax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));
}

// @ts-ignore: decorator
@inline function expSumBody(x: usize, y: usize, len: i32, mx: f32, keep: bool, nx: usize, nlen: i32, nmax: usize, fuse: bool): f64 {
  const k = EXPK_F;
  const l2e = v128.load(k, EXPK_LOG2E), mb = v128.load(k, EXPK_MAGIC_BIASED), hi = v128.load(k, 0), lo = v128.load(k, 16);
  const q4 = v128.load(k, 32), q3 = v128.load(k, 48), q2 = v128.load(k, 64), q1 = v128.load(k, 80), q0 = v128.load(k, 96);
  const one = v128.load(k, 112), clamp = v128.load(k, EXPK_CLAMP);
  const mv = f32x4.splat(mx);
  let acc = f32x4.splat(0), comp = f32x4.splat(0);
  let nm = f32x4.splat(-Infinity);
  const nfull = nlen & ~15;
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const a = x + (<usize>i << 2);
    if (fuse && i < nfull) {
      // The next chunk's max, read from memory while this block computes.
      const na = nx + (<usize>i << 2);
      // One accumulator: each more would be one more vector for V8 to spill in this loop.
      nm = f32x4.pmax(nm, f32x4.pmax(f32x4.pmax(v128.load(na), v128.load(na, 16)), f32x4.pmax(v128.load(na, 32), v128.load(na, 48))));
    }
    const e0 = expClampedK_f32x4(f32x4.pmax(f32x4.sub(v128.load(a), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e1 = expClampedK_f32x4(f32x4.pmax(f32x4.sub(v128.load(a, 16), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e2 = expClampedK_f32x4(f32x4.pmax(f32x4.sub(v128.load(a, 32), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e3 = expClampedK_f32x4(f32x4.pmax(f32x4.sub(v128.load(a, 48), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    if (keep) {
      const b = y + (<usize>i << 2);
      v128.store(b, e0); v128.store(b, e1, 16); v128.store(b, e2, 32); v128.store(b, e3, 48);
    }
    const t = f32x4.sub(f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)), comp);
    const s = f32x4.add(acc, t);
    comp = f32x4.sub(f32x4.sub(s, acc), t);
    acc = s;
  }
  if (i < len) {
    // The last partial block, padded with −∞ (weight 0), summed the same way.
    // A vector wholly past the end is all padding: its exps are +0, not computed.
    const z = f32x4.splat(0);
    const e0 = expClampedK_f32x4(f32x4.pmax(f32x4.sub(loadPad(x, i, len), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e1 = i + 4 >= len ? z : expClampedK_f32x4(f32x4.pmax(f32x4.sub(loadPad(x, i + 4, len), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e2 = i + 8 >= len ? z : expClampedK_f32x4(f32x4.pmax(f32x4.sub(loadPad(x, i + 8, len), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e3 = i + 12 >= len ? z : expClampedK_f32x4(f32x4.pmax(f32x4.sub(loadPad(x, i + 12, len), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    if (keep) {
      storePart(y, i, len, e0); storePart(y, i + 4, len, e1);
      storePart(y, i + 8, len, e2); storePart(y, i + 12, len, e3);
    }
    const t = f32x4.sub(f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)), comp);
    const s = f32x4.add(acc, t);
    comp = f32x4.sub(f32x4.sub(s, acc), t);
    acc = s;
  }
  if (fuse) {
    for (let j = nfull; j < nlen; j += 4) nm = f32x4.pmax(nm, loadPad(nx, j, nlen));
    store<f64>(nmax, <f64>lanesMax(nm));
  }
  const r = f32x4.sub(acc, comp);
  return (<f64>f32x4.extract_lane(r, 0) + <f64>f32x4.extract_lane(r, 1)) + (<f64>f32x4.extract_lane(r, 2) + <f64>f32x4.extract_lane(r, 3));
}

/**
 * Σ exp(x − mx); also stores the exps in y when `keep`. Full blocks of 16 run
 * in a branch-free loop (one per value of `keep`), the padded rest after it.
 */
export function expSumChunk_f32(x: usize, y: usize, len: i32, mx: f32, keep: bool): f64 {
  return keep ? expSumBody(x, y, len, mx, true, 0, 0, 0, false) : expSumBody(x, y, len, mx, false, 0, 0, 0, false);
}

/**
 * expSumChunk_f32, and max(nx[0..nlen)) of the next chunk (nlen ≤ len) stored
 * at nmax (f64), read in the same loop: the next chunk streams in from memory
 * while this one computes from cache, so the max costs almost nothing.
 */
export function expSumMaxNext_f32(x: usize, y: usize, len: i32, mx: f32, keep: bool, nx: usize, nlen: i32, nmax: usize): f64 {
  return keep ? expSumBody(x, y, len, mx, true, nx, nlen, nmax, true) : expSumBody(x, y, len, mx, false, nx, nlen, nmax, true);
}

/** y = y·c */
export function scaleChunk_f32(y: usize, len: i32, c: f32): void {
  const cv = f32x4.splat(c);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(y + o), cv));
    v128.store(y + o, f32x4.mul(v128.load(y + o, 16), cv), 16);
  }
  for (; i < len; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) * c);
}

/**
 * Online (Milakov & Gimelshein), pass 1: running per-lane max m and sum d of
 * exp(x − m), rescaled once per block when the max grows.
 * slot[0] = d, slot[1] = m (f64).
 */
export function onlineChunk_f32(x: usize, len: i32, slot: usize): void {
  const k = EXPK_F;
  const l2e = v128.load(k, EXPK_LOG2E), mb = v128.load(k, EXPK_MAGIC_BIASED), hi = v128.load(k, 0), lo = v128.load(k, 16);
  const q4 = v128.load(k, 32), q3 = v128.load(k, 48), q2 = v128.load(k, 64), q1 = v128.load(k, 80), q0 = v128.load(k, 96);
  const one = v128.load(k, 112), clamp = v128.load(k, EXPK_CLAMP);
  let m = f32x4.splat(-F32_MAX), d = f32x4.splat(0), comp = f32x4.splat(0);
  for (let i = 0; i < len; i += 16) {
    let v0: v128, v1: v128, v2: v128, v3: v128;
    if (i + 16 <= len) {
      const a = x + (<usize>i << 2);
      v0 = v128.load(a); v1 = v128.load(a, 16); v2 = v128.load(a, 32); v3 = v128.load(a, 48);
    } else {
      v0 = loadPad(x, i, len); v1 = loadPad(x, i + 4, len); v2 = loadPad(x, i + 8, len); v3 = loadPad(x, i + 12, len);
    }
    const m2 = f32x4.pmax(m, f32x4.pmax(f32x4.pmax(v0, v1), f32x4.pmax(v2, v3)));
    const sa = expClampedK_f32x4(f32x4.pmax(f32x4.sub(m, m2), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const s = f32x4.add(
      f32x4.add(expClampedK_f32x4(f32x4.pmax(f32x4.sub(v0, m2), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), expClampedK_f32x4(f32x4.pmax(f32x4.sub(v1, m2), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one)),
      f32x4.add(expClampedK_f32x4(f32x4.pmax(f32x4.sub(v2, m2), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), expClampedK_f32x4(f32x4.pmax(f32x4.sub(v3, m2), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one)));
    d = f32x4.mul(d, sa); comp = f32x4.mul(comp, sa);
    const t = f32x4.sub(s, comp);
    const sum = f32x4.add(d, t);
    comp = f32x4.sub(f32x4.sub(sum, d), t);
    d = sum;
    m = m2;
  }
  const M = <f64>lanesMax(m);
  let D: f64 = 0;
  D += (<f64>f32x4.extract_lane(d, 0) - <f64>f32x4.extract_lane(comp, 0)) * Math.exp(<f64>f32x4.extract_lane(m, 0) - M);
  D += (<f64>f32x4.extract_lane(d, 1) - <f64>f32x4.extract_lane(comp, 1)) * Math.exp(<f64>f32x4.extract_lane(m, 1) - M);
  D += (<f64>f32x4.extract_lane(d, 2) - <f64>f32x4.extract_lane(comp, 2)) * Math.exp(<f64>f32x4.extract_lane(m, 2) - M);
  D += (<f64>f32x4.extract_lane(d, 3) - <f64>f32x4.extract_lane(comp, 3)) * Math.exp(<f64>f32x4.extract_lane(m, 3) - M);
  store<f64>(slot, D);
  store<f64>(slot, M, 8);
}

/** y = exp(x − mx)·c (online pass 2). */
export function expScaleChunk_f32(x: usize, y: usize, len: i32, mx: f32, c: f32): void {
  const k = EXPK_F;
  const l2e = v128.load(k, EXPK_LOG2E), mb = v128.load(k, EXPK_MAGIC_BIASED), hi = v128.load(k, 0), lo = v128.load(k, 16);
  const q4 = v128.load(k, 32), q3 = v128.load(k, 48), q2 = v128.load(k, 64), q1 = v128.load(k, 80), q0 = v128.load(k, 96);
  const one = v128.load(k, 112), clamp = v128.load(k, EXPK_CLAMP);
  const mv = f32x4.splat(mx), cv = f32x4.splat(c);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(expClampedK_f32x4(f32x4.pmax(f32x4.sub(v128.load(x + o), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), cv));
    v128.store(y + o, f32x4.mul(expClampedK_f32x4(f32x4.pmax(f32x4.sub(v128.load(x + o, 16), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), cv), 16);
  }
  for (; i < len; i += 4) storePart(y, i, len, f32x4.mul(expClampedK_f32x4(f32x4.pmax(f32x4.sub(loadPad(x, i, len), mv), clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), cv));
}
