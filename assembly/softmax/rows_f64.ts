// Softmax building blocks for f64: the same pieces as rows_f32.ts over f64x2
// (blocks of 4 vectors = 8 elements). See rows_f32.ts for the why.
import {
  expExponent_f64x2, expMantissa_f64x2, expNonPositiveT_f64x2, pow2_f64x2, pow2_f64,
} from "../core/vexp";

/** The two-pass clamps inputs to ±LIM_D so |n| < 2^21 (exact n·LN2_HI_D). */
const LIM_D: f64 = 1.4e6;
const F64_MAX: f64 = 1.7976931348623157e308;

// @ts-ignore: decorator
@inline function loadPad(p: usize, i: i32, len: i32): v128 {
  if (i + 2 <= len) return v128.load(p + (<usize>i << 3));
  let v = f64x2.splat(-Infinity);
  if (i < len) v = f64x2.replace_lane(v, 0, load<f64>(p + (<usize>i << 3)));
  return v;
}

// @ts-ignore: decorator
@inline function storePart(p: usize, i: i32, len: i32, v: v128): void {
  const a = p + (<usize>i << 3);
  if (i + 2 <= len) { v128.store(a, v); return; }
  if (i < len) store<f64>(a, f64x2.extract_lane(v, 0));
}

// @ts-ignore: decorator
@inline function lanesMax(v: v128): f64 {
  return max(f64x2.extract_lane(v, 0), f64x2.extract_lane(v, 1));
}

// @ts-ignore: decorator
@inline function clampTwoPass(v: v128): v128 {
  return f64x2.pmin(f64x2.pmax(v, f64x2.splat(-LIM_D)), f64x2.splat(LIM_D));
}

export function twoPassChunk_f64(x: usize, len: i32, slot: usize): void {
  let accM = f64x2.splat(0), accC = f64x2.splat(0), accE = f64x2.splat(-4194304);
  for (let i = 0; i < len; i += 8) {
    let v0: v128, v1: v128, v2: v128, v3: v128;
    if (i + 8 <= len) {
      const a = x + (<usize>i << 3);
      v0 = v128.load(a); v1 = v128.load(a, 16); v2 = v128.load(a, 32); v3 = v128.load(a, 48);
    } else {
      v0 = loadPad(x, i, len); v1 = loadPad(x, i + 2, len); v2 = loadPad(x, i + 4, len); v3 = loadPad(x, i + 6, len);
    }
    v0 = clampTwoPass(v0); v1 = clampTwoPass(v1); v2 = clampTwoPass(v2); v3 = clampTwoPass(v3);
    const n0 = expExponent_f64x2(v0), n1 = expExponent_f64x2(v1);
    const n2 = expExponent_f64x2(v2), n3 = expExponent_f64x2(v3);
    const eb = f64x2.pmax(f64x2.pmax(n0, n1), f64x2.pmax(n2, n3));
    const s0 = f64x2.mul(expMantissa_f64x2(v0, n0), pow2_f64x2(f64x2.sub(n0, eb)));
    const s1 = f64x2.mul(expMantissa_f64x2(v1, n1), pow2_f64x2(f64x2.sub(n1, eb)));
    const s2 = f64x2.mul(expMantissa_f64x2(v2, n2), pow2_f64x2(f64x2.sub(n2, eb)));
    const s3 = f64x2.mul(expMantissa_f64x2(v3, n3), pow2_f64x2(f64x2.sub(n3, eb)));
    const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
    const e2 = f64x2.pmax(accE, eb);
    const sa = pow2_f64x2(f64x2.sub(accE, e2));
    accM = f64x2.mul(accM, sa); accC = f64x2.mul(accC, sa);
    const t = f64x2.sub(f64x2.mul(s, pow2_f64x2(f64x2.sub(eb, e2))), accC);
    const sum = f64x2.add(accM, t);
    accC = f64x2.sub(f64x2.sub(sum, accM), t);
    accM = sum;
    accE = e2;
  }
  const E = lanesMax(accE);
  let M: f64 = 0;
  M += (f64x2.extract_lane(accM, 0) - f64x2.extract_lane(accC, 0)) * pow2_f64(f64x2.extract_lane(accE, 0) - E);
  M += (f64x2.extract_lane(accM, 1) - f64x2.extract_lane(accC, 1)) * pow2_f64(f64x2.extract_lane(accE, 1) - E);
  store<f64>(slot, M);
  store<f64>(slot, E, 8);
}

export function twoPassOut_f64(x: usize, y: usize, len: i32, K: f64, c: f64): void {
  const kv = f64x2.splat(K), cv = f64x2.splat(c);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 3;
    const v0 = clampTwoPass(v128.load(x + o)), v1 = clampTwoPass(v128.load(x + o, 16));
    const n0 = expExponent_f64x2(v0), n1 = expExponent_f64x2(v1);
    const p0 = f64x2.mul(expMantissa_f64x2(v0, n0), pow2_f64x2(f64x2.sub(n0, kv)));
    const p1 = f64x2.mul(expMantissa_f64x2(v1, n1), pow2_f64x2(f64x2.sub(n1, kv)));
    v128.store(y + o, f64x2.mul(p0, cv));
    v128.store(y + o, f64x2.mul(p1, cv), 16);
  }
  for (; i < len; i += 2) {
    const v = clampTwoPass(loadPad(x, i, len));
    const n = expExponent_f64x2(v);
    storePart(y, i, len, f64x2.mul(f64x2.mul(expMantissa_f64x2(v, n), pow2_f64x2(f64x2.sub(n, kv))), cv));
  }
}

export function shiftOut_f64(x: usize, y: usize, len: i32, a: f64, b: f64): void {
  const av = f64x2.splat(a), bv = f64x2.splat(b);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 3;
    v128.store(y + o, f64x2.sub(f64x2.sub(v128.load(x + o), av), bv));
    v128.store(y + o, f64x2.sub(f64x2.sub(v128.load(x + o, 16), av), bv), 16);
  }
  for (; i < len; i++) {
    const o = <usize>i << 3;
    store<f64>(y + o, (load<f64>(x + o) - a) - b);
  }
}

export function maxChunk_f64(x: usize, len: i32): f64 {
  let m0 = f64x2.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const a = x + (<usize>i << 3);
    m0 = f64x2.pmax(m0, v128.load(a)); m1 = f64x2.pmax(m1, v128.load(a, 16));
    m2 = f64x2.pmax(m2, v128.load(a, 32)); m3 = f64x2.pmax(m3, v128.load(a, 48));
  }
  for (; i < len; i += 2) m0 = f64x2.pmax(m0, loadPad(x, i, len));
  return lanesMax(f64x2.pmax(f64x2.pmax(m0, m1), f64x2.pmax(m2, m3)));
}

// @ts-ignore: decorator
@inline function expSumBody(x: usize, y: usize, len: i32, mx: f64, keep: bool, nx: usize, nlen: i32, nmax: usize, fuse: bool): f64 {
  const mv = f64x2.splat(mx);
  let acc = f64x2.splat(0), comp = f64x2.splat(0);
  let nm = f64x2.splat(-Infinity);
  const nfull = nlen & ~7;
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const a = x + (<usize>i << 3);
    if (fuse && i < nfull) {
      const na = nx + (<usize>i << 3);
      // One accumulator: each more would be one more vector for V8 to spill in this loop.
      nm = f64x2.pmax(nm, f64x2.pmax(f64x2.pmax(v128.load(na), v128.load(na, 16)), f64x2.pmax(v128.load(na, 32), v128.load(na, 48))));
    }
    const e0 = expNonPositiveT_f64x2(f64x2.sub(v128.load(a), mv));
    const e1 = expNonPositiveT_f64x2(f64x2.sub(v128.load(a, 16), mv));
    const e2 = expNonPositiveT_f64x2(f64x2.sub(v128.load(a, 32), mv));
    const e3 = expNonPositiveT_f64x2(f64x2.sub(v128.load(a, 48), mv));
    if (keep) {
      const b = y + (<usize>i << 3);
      v128.store(b, e0); v128.store(b, e1, 16); v128.store(b, e2, 32); v128.store(b, e3, 48);
    }
    const t = f64x2.sub(f64x2.add(f64x2.add(e0, e1), f64x2.add(e2, e3)), comp);
    const s = f64x2.add(acc, t);
    comp = f64x2.sub(f64x2.sub(s, acc), t);
    acc = s;
  }
  if (i < len) {
    // Padded with −∞ (weight 0); a vector wholly past the end is +0, not computed.
    const z = f64x2.splat(0);
    const e0 = expNonPositiveT_f64x2(f64x2.sub(loadPad(x, i, len), mv));
    const e1 = i + 2 >= len ? z : expNonPositiveT_f64x2(f64x2.sub(loadPad(x, i + 2, len), mv));
    const e2 = i + 4 >= len ? z : expNonPositiveT_f64x2(f64x2.sub(loadPad(x, i + 4, len), mv));
    const e3 = i + 6 >= len ? z : expNonPositiveT_f64x2(f64x2.sub(loadPad(x, i + 6, len), mv));
    if (keep) {
      storePart(y, i, len, e0); storePart(y, i + 2, len, e1);
      storePart(y, i + 4, len, e2); storePart(y, i + 6, len, e3);
    }
    const t = f64x2.sub(f64x2.add(f64x2.add(e0, e1), f64x2.add(e2, e3)), comp);
    const s = f64x2.add(acc, t);
    comp = f64x2.sub(f64x2.sub(s, acc), t);
    acc = s;
  }
  if (fuse) {
    for (let j = nfull; j < nlen; j += 2) nm = f64x2.pmax(nm, loadPad(nx, j, nlen));
    store<f64>(nmax, lanesMax(nm));
  }
  const r = f64x2.sub(acc, comp);
  return f64x2.extract_lane(r, 0) + f64x2.extract_lane(r, 1);
}

/** Σ exp(x − mx); also stores the exps in y when `keep` (full blocks branch-free, as for f32). */
export function expSumChunk_f64(x: usize, y: usize, len: i32, mx: f64, keep: bool): f64 {
  return keep ? expSumBody(x, y, len, mx, true, 0, 0, 0, false) : expSumBody(x, y, len, mx, false, 0, 0, 0, false);
}

/** expSumChunk_f64 and the next chunk's max, as expSumMaxNext_f32. */
export function expSumMaxNext_f64(x: usize, y: usize, len: i32, mx: f64, keep: bool, nx: usize, nlen: i32, nmax: usize): f64 {
  return keep ? expSumBody(x, y, len, mx, true, nx, nlen, nmax, true) : expSumBody(x, y, len, mx, false, nx, nlen, nmax, true);
}

export function scaleChunk_f64(y: usize, len: i32, c: f64): void {
  const cv = f64x2.splat(c);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 3;
    v128.store(y + o, f64x2.mul(v128.load(y + o), cv));
    v128.store(y + o, f64x2.mul(v128.load(y + o, 16), cv), 16);
  }
  for (; i < len; i++) store<f64>(y + (<usize>i << 3), load<f64>(y + (<usize>i << 3)) * c);
}

export function onlineChunk_f64(x: usize, len: i32, slot: usize): void {
  let m = f64x2.splat(-F64_MAX), d = f64x2.splat(0), comp = f64x2.splat(0);
  for (let i = 0; i < len; i += 8) {
    let v0: v128, v1: v128, v2: v128, v3: v128;
    if (i + 8 <= len) {
      const a = x + (<usize>i << 3);
      v0 = v128.load(a); v1 = v128.load(a, 16); v2 = v128.load(a, 32); v3 = v128.load(a, 48);
    } else {
      v0 = loadPad(x, i, len); v1 = loadPad(x, i + 2, len); v2 = loadPad(x, i + 4, len); v3 = loadPad(x, i + 6, len);
    }
    const m2 = f64x2.pmax(m, f64x2.pmax(f64x2.pmax(v0, v1), f64x2.pmax(v2, v3)));
    const sa = expNonPositiveT_f64x2(f64x2.sub(m, m2));
    const s = f64x2.add(
      f64x2.add(expNonPositiveT_f64x2(f64x2.sub(v0, m2)), expNonPositiveT_f64x2(f64x2.sub(v1, m2))),
      f64x2.add(expNonPositiveT_f64x2(f64x2.sub(v2, m2)), expNonPositiveT_f64x2(f64x2.sub(v3, m2))));
    d = f64x2.mul(d, sa); comp = f64x2.mul(comp, sa);
    const t = f64x2.sub(s, comp);
    const sum = f64x2.add(d, t);
    comp = f64x2.sub(f64x2.sub(sum, d), t);
    d = sum;
    m = m2;
  }
  const M = lanesMax(m);
  let D: f64 = 0;
  D += (f64x2.extract_lane(d, 0) - f64x2.extract_lane(comp, 0)) * Math.exp(f64x2.extract_lane(m, 0) - M);
  D += (f64x2.extract_lane(d, 1) - f64x2.extract_lane(comp, 1)) * Math.exp(f64x2.extract_lane(m, 1) - M);
  store<f64>(slot, D);
  store<f64>(slot, M, 8);
}

export function expScaleChunk_f64(x: usize, y: usize, len: i32, mx: f64, c: f64): void {
  const mv = f64x2.splat(mx), cv = f64x2.splat(c);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 3;
    v128.store(y + o, f64x2.mul(expNonPositiveT_f64x2(f64x2.sub(v128.load(x + o), mv)), cv));
    v128.store(y + o, f64x2.mul(expNonPositiveT_f64x2(f64x2.sub(v128.load(x + o, 16), mv)), cv), 16);
  }
  for (; i < len; i += 2) storePart(y, i, len, f64x2.mul(expNonPositiveT_f64x2(f64x2.sub(loadPad(x, i, len), mv)), cv));
}
