// Softmax building blocks, each over one contiguous piece (a chunk) of one
// row, generic over the element type T (f32: f32x4, f64: f64x2; every branch
// on isF32<T>() is decided at compile time). Loops take blocks of 4 vectors:
// a block's partial sum is a balanced tree (exact for equal terms), and
// blocks are added into per-lane accumulators with Kahan compensation, so
// chunk sums are accurate to a few ulps even for long rows. Lanes past the
// end are padded with −∞ (weight 0). Chunk results go to f64 "slots" that
// softmax.ts folds in chunk order.
//
// The exps: f32 takes expClampedK_f32x4 with its constants loaded once,
// before each loop (see there: V8 then keeps them in registers); f64 takes
// expNonPositiveT_f64x2. The two-pass's first pass differs in kind between
// the two (f32 keeps exponents in "magic" form, f64 as values), so it is
// written once per type.
import {
  EXPK_F, EXPK_LOG2E, EXPK_MAGIC, EXPK_MAGIC_BIASED, EXPK_M127, EXPK_LIM, EXPK_CLAMP,
  expClampedK_f32x4, expMantissaK_f32x4, madd_f32x4, pow2_f64,
  expExponent_f64x2, expMantissa_f64x2, expNonPositiveT_f64x2, pow2_f64x2,
} from "../core/vexp";

// @ts-ignore: decorator
@inline export function isF32<T>(): bool { return sizeof<T>() == 4; }

/** log2 of T's bytes: element i is at p + (i << shift). */
// @ts-ignore: decorator
@inline function shift<T>(): usize { return isF32<T>() ? 2 : 3; }

/** Lanes of a v128 of T. */
// @ts-ignore: decorator
@inline function lanes<T>(): i32 { return isF32<T>() ? 4 : 2; }

// @ts-ignore: decorator
@inline function splat<T>(v: f64): v128 { return isF32<T>() ? f32x4.splat(<f32>v) : f64x2.splat(v); }
// @ts-ignore: decorator
@inline function vadd<T>(a: v128, b: v128): v128 { return isF32<T>() ? f32x4.add(a, b) : f64x2.add(a, b); }
// @ts-ignore: decorator
@inline function vsub<T>(a: v128, b: v128): v128 { return isF32<T>() ? f32x4.sub(a, b) : f64x2.sub(a, b); }
// @ts-ignore: decorator
@inline function vmul<T>(a: v128, b: v128): v128 { return isF32<T>() ? f32x4.mul(a, b) : f64x2.mul(a, b); }
// @ts-ignore: decorator
@inline function vmax<T>(a: v128, b: v128): v128 { return isF32<T>() ? f32x4.pmax(a, b) : f64x2.pmax(a, b); }

/** The f32 exp's constants, loaded once per loop (unused, and so dropped, for f64). */
// @ts-ignore: decorator
@inline function expK<T>(offset: usize): v128 { return isF32<T>() ? v128.load(EXPK_F + offset) : f64x2.splat(0); }

/** exp(t) for t ≤ 0 (f32: clamped at EXPK_CLAMP, NaN kept). */
// @ts-ignore: decorator
@inline function expNeg<T>(
  t: v128, clamp: v128, l2e: v128, mb: v128, hi: v128, lo: v128, q4: v128, q3: v128, q2: v128, q1: v128, q0: v128, one: v128,
): v128 {
  return isF32<T>() ? expClampedK_f32x4(f32x4.pmax(t, clamp), l2e, mb, hi, lo, q4, q3, q2, q1, q0, one) : expNonPositiveT_f64x2(t);
}

// @ts-ignore: decorator
@inline function loadPad<T>(p: usize, i: i32, len: i32): v128 {
  const a = p + (<usize>i << shift<T>());
  if (i + lanes<T>() <= len) return v128.load(a);
  if (isF32<T>()) {
    let v = f32x4.splat(-Infinity);
    if (i < len) v = f32x4.replace_lane(v, 0, load<f32>(a));
    if (i + 1 < len) v = f32x4.replace_lane(v, 1, load<f32>(a, 4));
    if (i + 2 < len) v = f32x4.replace_lane(v, 2, load<f32>(a, 8));
    return v;
  }
  let v = f64x2.splat(-Infinity);
  if (i < len) v = f64x2.replace_lane(v, 0, load<f64>(a));
  return v;
}

// @ts-ignore: decorator
@inline function storePart<T>(p: usize, i: i32, len: i32, v: v128): void {
  const a = p + (<usize>i << shift<T>());
  if (i + lanes<T>() <= len) { v128.store(a, v); return; }
  if (isF32<T>()) {
    if (i < len) store<f32>(a, f32x4.extract_lane(v, 0));
    if (i + 1 < len) store<f32>(a, f32x4.extract_lane(v, 1), 4);
    if (i + 2 < len) store<f32>(a, f32x4.extract_lane(v, 2), 8);
  } else if (i < len) store<f64>(a, f64x2.extract_lane(v, 0));
}

// @ts-ignore: decorator
@inline function lanesMax<T>(v: v128): f64 {
  if (isF32<T>()) {
    const a = max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1));
    const b = max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3));
    return <f64>max(a, b);
  }
  return max(f64x2.extract_lane(v, 0), f64x2.extract_lane(v, 1));
}

/** Σ (a − c)·w(lane) over the lanes in lane order, in f64: how per-lane compensated accumulators become one chunk result. */
// @ts-ignore: decorator
@inline function lanesFold<T>(a: v128, c: v128, m: v128, top: f64, online: bool): f64 {
  let s: f64 = 0;
  if (isF32<T>()) {
    s += (<f64>f32x4.extract_lane(a, 0) - <f64>f32x4.extract_lane(c, 0)) * weight(<f64>f32x4.extract_lane(m, 0) - top, online);
    s += (<f64>f32x4.extract_lane(a, 1) - <f64>f32x4.extract_lane(c, 1)) * weight(<f64>f32x4.extract_lane(m, 1) - top, online);
    s += (<f64>f32x4.extract_lane(a, 2) - <f64>f32x4.extract_lane(c, 2)) * weight(<f64>f32x4.extract_lane(m, 2) - top, online);
    s += (<f64>f32x4.extract_lane(a, 3) - <f64>f32x4.extract_lane(c, 3)) * weight(<f64>f32x4.extract_lane(m, 3) - top, online);
  } else {
    s += (f64x2.extract_lane(a, 0) - f64x2.extract_lane(c, 0)) * weight(f64x2.extract_lane(m, 0) - top, online);
    s += (f64x2.extract_lane(a, 1) - f64x2.extract_lane(c, 1)) * weight(f64x2.extract_lane(m, 1) - top, online);
  }
  return s;
}

/** A lane's weight against the chunk's top: e^d (online, m in value form) or 2^d (two-pass, exponents). */
// @ts-ignore: decorator
@inline function weight(d: f64, online: bool): f64 {
  return online ? Math.exp(d) : pow2_f64(d);
}

// ---- two-pass: one per type ---------------------------------------------------

// f32: inputs clamped below at −22000 (EXPK_LIM) so |n| < 2^15: exact n·LN2_HI_F and magic rounding.
// f64: inputs clamped to ±LIM_D so |n| < 2^21 (exact n·LN2_HI_D).
const LIM_D: f64 = 1.4e6;

// @ts-ignore: decorator
@inline function clampTwoPass_f64(v: v128): v128 {
  return f64x2.pmin(f64x2.pmax(v, f64x2.splat(-LIM_D)), f64x2.splat(LIM_D));
}

/**
 * Two-pass, pass 1: Σ exp(x) as (M, E) with Σ = M·2^E, never overflowing.
 * Per block of 4 vectors, each exp is kept as p·2^n, scaled to the block's
 * max exponent, and the block sum is merged into per-lane (M, E)
 * accumulators. slot[0] = M, slot[1] = E (f64).
 */
export function twoPassChunk<T>(x: usize, len: i32, slot: usize): void {
  if (isF32<T>()) twoPassChunk_f32(x, len, slot);
  else twoPassChunk_f64(x, len, slot);
}

/**
 * f32: exponents stay in "magic" form vn = x·log2e + 1.5·2^23 (n in the low
 * mantissa bits), so 2^(n − eb) is vn − (eb − 127) then a shift: no
 * conversions. Inputs are clamped below only (−∞ → −22000: weight exactly
 * 0); a large positive, +∞ or NaN input makes E out of range or M non-finite,
 * and softmax.ts then falls back to the three-pass, so no clamp is needed there.
 */
function twoPassChunk_f32(x: usize, len: i32, slot: usize): void {
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
      v0 = loadPad<f32>(x, i, len); v1 = loadPad<f32>(x, i + 4, len); v2 = loadPad<f32>(x, i + 8, len); v3 = loadPad<f32>(x, i + 12, len);
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
  const E = lanesMax<f32>(accE);
  store<f64>(slot, lanesFold<f32>(accM, accC, accE, E, false));
  store<f64>(slot, E, 8);
}

/** f64: exponents as values, inputs clamped to ±LIM_D. */
function twoPassChunk_f64(x: usize, len: i32, slot: usize): void {
  let accM = f64x2.splat(0), accC = f64x2.splat(0), accE = f64x2.splat(-4194304);
  for (let i = 0; i < len; i += 8) {
    let v0: v128, v1: v128, v2: v128, v3: v128;
    if (i + 8 <= len) {
      const a = x + (<usize>i << 3);
      v0 = v128.load(a); v1 = v128.load(a, 16); v2 = v128.load(a, 32); v3 = v128.load(a, 48);
    } else {
      v0 = loadPad<f64>(x, i, len); v1 = loadPad<f64>(x, i + 2, len); v2 = loadPad<f64>(x, i + 4, len); v3 = loadPad<f64>(x, i + 6, len);
    }
    v0 = clampTwoPass_f64(v0); v1 = clampTwoPass_f64(v1); v2 = clampTwoPass_f64(v2); v3 = clampTwoPass_f64(v3);
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
  const E = lanesMax<f64>(accE);
  store<f64>(slot, lanesFold<f64>(accM, accC, accE, E, false));
  store<f64>(slot, E, 8);
}

/**
 * Two-pass, pass 2: y = p·2^(n − K)·c, where K and c come from the row's
 * (M, E). f32: n − K ≤ 1, and 2^(n − K) is max(vn + (127 − K), magic)
 * shifted: below 2^−126 it is exactly 0. Only called when pass 1 found every
 * input below the exact range's top, so (f32) only the −∞ clamp is needed.
 */
export function twoPassOut<T>(x: usize, y: usize, len: i32, K: T, c: T): void {
  if (isF32<T>()) twoPassOut_f32(x, y, len, <f32>K, <f32>c);
  else twoPassOut_f64(x, y, len, <f64>K, <f64>c);
}

function twoPassOut_f32(x: usize, y: usize, len: i32, K: f32, c: f32): void {
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
    const v = f32x4.pmax(loadPad<f32>(x, i, len), lim);
    const vn = madd_f32x4(v, l2e, magic);
    const p = expMantissaK_f32x4(v, f32x4.sub(vn, magic), hi, lo, q4, q3, q2, q1, q0, one);
    const sc = i32x4.shl(f32x4.pmax(f32x4.add(vn, kb), magic), 23);
    storePart<f32>(y, i, len, f32x4.mul(f32x4.mul(p, sc), cv));
  }
}

function twoPassOut_f64(x: usize, y: usize, len: i32, K: f64, c: f64): void {
  const kv = f64x2.splat(K), cv = f64x2.splat(c);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 3;
    const v0 = clampTwoPass_f64(v128.load(x + o)), v1 = clampTwoPass_f64(v128.load(x + o, 16));
    const n0 = expExponent_f64x2(v0), n1 = expExponent_f64x2(v1);
    const p0 = f64x2.mul(expMantissa_f64x2(v0, n0), pow2_f64x2(f64x2.sub(n0, kv)));
    const p1 = f64x2.mul(expMantissa_f64x2(v1, n1), pow2_f64x2(f64x2.sub(n1, kv)));
    v128.store(y + o, f64x2.mul(p0, cv));
    v128.store(y + o, f64x2.mul(p1, cv), 16);
  }
  for (; i < len; i += 2) {
    const v = clampTwoPass_f64(loadPad<f64>(x, i, len));
    const n = expExponent_f64x2(v);
    storePart<f64>(y, i, len, f64x2.mul(f64x2.mul(expMantissa_f64x2(v, n), pow2_f64x2(f64x2.sub(n, kv))), cv));
  }
}

// ---- generic ------------------------------------------------------------------

/** y = (x − a) − b: log-softmax outputs once the row's shift a + b is known. */
export function shiftOut<T>(x: usize, y: usize, len: i32, a: T, b: T): void {
  const av = splat<T>(<f64>a), bv = splat<T>(<f64>b), L = lanes<T>();
  let i = 0;
  for (; i + 2 * L <= len; i += 2 * L) {
    const o = <usize>i << shift<T>();
    v128.store(y + o, vsub<T>(vsub<T>(v128.load(x + o), av), bv));
    v128.store(y + o, vsub<T>(vsub<T>(v128.load(x + o, 16), av), bv), 16);
  }
  for (; i < len; i++) {
    const o = <usize>i << shift<T>();
    store<T>(y + o, (load<T>(x + o) - a) - b);
  }
}

/** max(x) over the piece (NaN may be lost here; the sum pass catches it). */
export function maxChunk<T>(x: usize, len: i32): f64 {
  const L = lanes<T>();
  let m0 = splat<T>(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  let i = 0;
  for (; i + 4 * L <= len; i += 4 * L) {
    const a = x + (<usize>i << shift<T>());
    m0 = vmax<T>(m0, v128.load(a)); m1 = vmax<T>(m1, v128.load(a, 16));
    m2 = vmax<T>(m2, v128.load(a, 32)); m3 = vmax<T>(m3, v128.load(a, 48));
  }
  for (; i < len; i += L) m0 = vmax<T>(m0, loadPad<T>(x, i, len));
  return lanesMax<T>(vmax<T>(vmax<T>(m0, m1), vmax<T>(m2, m3)));
}

// @ts-ignore: decorator
@inline function expSumBody<T>(x: usize, y: usize, len: i32, mx: T, keep: bool, nx: usize, nlen: i32, nmax: usize, fuse: bool): f64 {
  const l2e = expK<T>(EXPK_LOG2E), mb = expK<T>(EXPK_MAGIC_BIASED), hi = expK<T>(0), lo = expK<T>(16);
  const q4 = expK<T>(32), q3 = expK<T>(48), q2 = expK<T>(64), q1 = expK<T>(80), q0 = expK<T>(96);
  const one = expK<T>(112), clamp = expK<T>(EXPK_CLAMP);
  const mv = splat<T>(<f64>mx), L = lanes<T>();
  let acc = splat<T>(0), comp = splat<T>(0);
  let nm = splat<T>(-Infinity);
  const nfull = nlen & ~(4 * L - 1);
  let i = 0;
  for (; i + 4 * L <= len; i += 4 * L) {
    const a = x + (<usize>i << shift<T>());
    if (fuse && i < nfull) {
      // The next chunk's max, read from memory while this block computes.
      const na = nx + (<usize>i << shift<T>());
      // One accumulator: each more would be one more vector for V8 to spill in this loop.
      nm = vmax<T>(nm, vmax<T>(vmax<T>(v128.load(na), v128.load(na, 16)), vmax<T>(v128.load(na, 32), v128.load(na, 48))));
    }
    const e0 = expNeg<T>(vsub<T>(v128.load(a), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e1 = expNeg<T>(vsub<T>(v128.load(a, 16), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e2 = expNeg<T>(vsub<T>(v128.load(a, 32), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e3 = expNeg<T>(vsub<T>(v128.load(a, 48), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    if (keep) {
      const b = y + (<usize>i << shift<T>());
      v128.store(b, e0); v128.store(b, e1, 16); v128.store(b, e2, 32); v128.store(b, e3, 48);
    }
    const t = vsub<T>(vadd<T>(vadd<T>(e0, e1), vadd<T>(e2, e3)), comp);
    const s = vadd<T>(acc, t);
    comp = vsub<T>(vsub<T>(s, acc), t);
    acc = s;
  }
  if (i < len) {
    // The last partial block, padded with −∞ (weight 0), summed the same way.
    // A vector wholly past the end is all padding: its exps are +0, not computed.
    const z = splat<T>(0);
    const e0 = expNeg<T>(vsub<T>(loadPad<T>(x, i, len), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e1 = i + L >= len ? z : expNeg<T>(vsub<T>(loadPad<T>(x, i + L, len), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e2 = i + 2 * L >= len ? z : expNeg<T>(vsub<T>(loadPad<T>(x, i + 2 * L, len), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const e3 = i + 3 * L >= len ? z : expNeg<T>(vsub<T>(loadPad<T>(x, i + 3 * L, len), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    if (keep) {
      storePart<T>(y, i, len, e0); storePart<T>(y, i + L, len, e1);
      storePart<T>(y, i + 2 * L, len, e2); storePart<T>(y, i + 3 * L, len, e3);
    }
    const t = vsub<T>(vadd<T>(vadd<T>(e0, e1), vadd<T>(e2, e3)), comp);
    const s = vadd<T>(acc, t);
    comp = vsub<T>(vsub<T>(s, acc), t);
    acc = s;
  }
  if (fuse) {
    for (let j = nfull; j < nlen; j += L) nm = vmax<T>(nm, loadPad<T>(nx, j, nlen));
    store<f64>(nmax, lanesMax<T>(nm));
  }
  const r = vsub<T>(acc, comp);
  if (isF32<T>()) {
    return (<f64>f32x4.extract_lane(r, 0) + <f64>f32x4.extract_lane(r, 1)) + (<f64>f32x4.extract_lane(r, 2) + <f64>f32x4.extract_lane(r, 3));
  }
  return f64x2.extract_lane(r, 0) + f64x2.extract_lane(r, 1);
}

/**
 * Σ exp(x − mx); also stores the exps in y when `keep`. Full blocks of 4
 * vectors run in a branch-free loop (one per value of `keep`), the padded
 * rest after it.
 */
export function expSumChunk<T>(x: usize, y: usize, len: i32, mx: T, keep: bool): f64 {
  return keep ? expSumBody<T>(x, y, len, mx, true, 0, 0, 0, false) : expSumBody<T>(x, y, len, mx, false, 0, 0, 0, false);
}

/**
 * expSumChunk, and max(nx[0..nlen)) of the next chunk (nlen ≤ len) stored
 * at nmax (f64), read in the same loop: the next chunk streams in from memory
 * while this one computes from cache, so the max costs almost nothing.
 */
export function expSumMaxNext<T>(x: usize, y: usize, len: i32, mx: T, keep: bool, nx: usize, nlen: i32, nmax: usize): f64 {
  return keep ? expSumBody<T>(x, y, len, mx, true, nx, nlen, nmax, true) : expSumBody<T>(x, y, len, mx, false, nx, nlen, nmax, true);
}

/** y = y·c */
export function scaleChunk<T>(y: usize, len: i32, c: T): void {
  const cv = splat<T>(<f64>c), L = lanes<T>();
  let i = 0;
  for (; i + 2 * L <= len; i += 2 * L) {
    const o = <usize>i << shift<T>();
    v128.store(y + o, vmul<T>(v128.load(y + o), cv));
    v128.store(y + o, vmul<T>(v128.load(y + o, 16), cv), 16);
  }
  for (; i < len; i++) store<T>(y + (<usize>i << shift<T>()), load<T>(y + (<usize>i << shift<T>())) * c);
}

/**
 * Online (Milakov & Gimelshein), pass 1: running per-lane max m and sum d of
 * exp(x − m), rescaled once per block when the max grows.
 * slot[0] = d, slot[1] = m (f64).
 */
export function onlineChunk<T>(x: usize, len: i32, slot: usize): void {
  const l2e = expK<T>(EXPK_LOG2E), mb = expK<T>(EXPK_MAGIC_BIASED), hi = expK<T>(0), lo = expK<T>(16);
  const q4 = expK<T>(32), q3 = expK<T>(48), q2 = expK<T>(64), q1 = expK<T>(80), q0 = expK<T>(96);
  const one = expK<T>(112), clamp = expK<T>(EXPK_CLAMP);
  const L = lanes<T>();
  // The most negative finite T: −∞ would make the first rescale NaN.
  let m = splat<T>(isF32<T>() ? -3.4028234663852886e38 : -1.7976931348623157e308), d = splat<T>(0), comp = splat<T>(0);
  for (let i = 0; i < len; i += 4 * L) {
    let v0: v128, v1: v128, v2: v128, v3: v128;
    if (i + 4 * L <= len) {
      const a = x + (<usize>i << shift<T>());
      v0 = v128.load(a); v1 = v128.load(a, 16); v2 = v128.load(a, 32); v3 = v128.load(a, 48);
    } else {
      v0 = loadPad<T>(x, i, len); v1 = loadPad<T>(x, i + L, len); v2 = loadPad<T>(x, i + 2 * L, len); v3 = loadPad<T>(x, i + 3 * L, len);
    }
    const m2 = vmax<T>(m, vmax<T>(vmax<T>(v0, v1), vmax<T>(v2, v3)));
    const sa = expNeg<T>(vsub<T>(m, m2), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one);
    const s = vadd<T>(
      vadd<T>(expNeg<T>(vsub<T>(v0, m2), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), expNeg<T>(vsub<T>(v1, m2), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one)),
      vadd<T>(expNeg<T>(vsub<T>(v2, m2), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), expNeg<T>(vsub<T>(v3, m2), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one)));
    d = vmul<T>(d, sa); comp = vmul<T>(comp, sa);
    const t = vsub<T>(s, comp);
    const sum = vadd<T>(d, t);
    comp = vsub<T>(vsub<T>(sum, d), t);
    d = sum;
    m = m2;
  }
  const M = lanesMax<T>(m);
  store<f64>(slot, lanesFold<T>(d, comp, m, M, true));
  store<f64>(slot, M, 8);
}

/** y = exp(x − mx)·c (online pass 2). */
export function expScaleChunk<T>(x: usize, y: usize, len: i32, mx: T, c: T): void {
  const l2e = expK<T>(EXPK_LOG2E), mb = expK<T>(EXPK_MAGIC_BIASED), hi = expK<T>(0), lo = expK<T>(16);
  const q4 = expK<T>(32), q3 = expK<T>(48), q2 = expK<T>(64), q1 = expK<T>(80), q0 = expK<T>(96);
  const one = expK<T>(112), clamp = expK<T>(EXPK_CLAMP);
  const mv = splat<T>(<f64>mx), cv = splat<T>(<f64>c), L = lanes<T>();
  let i = 0;
  for (; i + 2 * L <= len; i += 2 * L) {
    const o = <usize>i << shift<T>();
    v128.store(y + o, vmul<T>(expNeg<T>(vsub<T>(v128.load(x + o), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), cv));
    v128.store(y + o, vmul<T>(expNeg<T>(vsub<T>(v128.load(x + o, 16), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), cv), 16);
  }
  for (; i < len; i += L) storePart<T>(y, i, len, vmul<T>(expNeg<T>(vsub<T>(loadPad<T>(x, i, len), mv), clamp, l2e, mb, hi, lo, q4, q3, q2, q1, q0, one), cv));
}
