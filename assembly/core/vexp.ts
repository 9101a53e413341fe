// Vector exp for f32x4 and f64x2: exp(x) = p(r)·2^n with n = round(x·log2 e),
// r = x − n·ln2 (Cody–Waite split, so r is exact-ish), p a near-minimax
// polynomial on [−ln2/2, ln2/2] with p(0) = 1 exactly (so exp(0) = 1 and
// all-equal softmax rows sum exactly). The pieces are exposed separately
// because the two-pass softmax wants the (mantissa p, exponent n) pair itself.
//
// Rounding to an integer uses the "magic number" trick: adding 1.5·2^23
// (1.5·2^52 for f64) leaves round(v) in the low mantissa bits, and a power of
// two is built by shifting biased bits into the exponent field. Both are one
// or two SIMD ops where wasm's nearest / trunc_sat are several on x86.
//
// Coefficients: Lawson (iteratively reweighted least squares) fit for relative
// error of 1 + r·q(r), f32, degree 5: 9.1e-8 relative before rounding;
// Chebyshev fit of (e^r − 1)/r, f64, degree 11: 6e-18. Measured errors are in
// the sweep tests (vexp_f32_ulp / vexp_f64_ulp below).

import { at } from "./memory";
import { VexpF32UlpOut, VexpF64UlpOut } from "../generated/layouts";

// ---- a·b + c ----------------------------------------------------------------
// Fused (one rounding) in the relaxed-SIMD build, where relaxed_madd is an FMA
// on hardware that has one; a multiply and an add in the other builds. So the
// threads and single builds stay bit-identical, and the relaxed build (opt-in:
// init({ build: "relaxed" })) is faster and at least as accurate.

// @ts-ignore: decorator
@inline export function madd_f32x4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b */
// @ts-ignore: decorator
@inline export function nmadd_f32x4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline export function madd_f64x2(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** c − a·b */
// @ts-ignore: decorator
@inline export function nmadd_f64x2(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_nmadd(a, b, c);
  return f64x2.sub(c, f64x2.mul(a, b));
}

// ---- f32 -------------------------------------------------------------------
export const LOG2E_F: f32 = 1.44269504088896341;
export const MAGIC_F: f32 = 12582912.0;        // 1.5·2^23
export const MAGIC_BIASED_F: f32 = 12583039.0;        // 1.5·2^23 + 127
// Cephes split: LN2_HI_F has 9 significant bits, so n·LN2_HI_F is exact for |n| < 2^15.
export const LN2_HI_F: f32 = 0.693359375;
export const LN2_LO_F: f32 = -2.12194440e-4;
const Q0_F: f32 = 0.99999970197677610;
const Q1_F: f32 = 0.49999150633811950;
const Q2_F: f32 = 0.16667635738849640;
const Q3_F: f32 = 0.04189793020486832;
const Q4_F: f32 = 0.008290315046906471;
/**
 * expClampedK_f32x4's lower clamp: −88·log2 e rounds to n = −127, whose
 * biased exponent 0 makes 2^n exactly +0, so clamped inputs (and −∞) give 0.
 */
export const EXP_CLAMP_F: f32 = -88.0;

/** round(x·log2 e) as integer-valued floats; valid for |x·log2 e| < 2^22. */
// @ts-ignore: decorator
@inline export function expExponent_f32x4(x: v128): v128 {
  const m = f32x4.splat(MAGIC_F);
  return f32x4.sub(madd_f32x4(x, f32x4.splat(LOG2E_F), m), m);
}

/** p(x − n·ln2) ∈ [0.70, 1.42]: the mantissa of exp(x) given n from expExponent. */
// @ts-ignore: decorator
@inline export function expMantissa_f32x4(x: v128, n: v128): v128 {
  let r = nmadd_f32x4(n, f32x4.splat(LN2_HI_F), x);
  r = nmadd_f32x4(n, f32x4.splat(LN2_LO_F), r);
  let q = madd_f32x4(r, f32x4.splat(Q4_F), f32x4.splat(Q3_F));
  q = madd_f32x4(q, r, f32x4.splat(Q2_F));
  q = madd_f32x4(q, r, f32x4.splat(Q1_F));
  q = madd_f32x4(q, r, f32x4.splat(Q0_F));
  return madd_f32x4(q, r, f32x4.splat(1.0));
}

/**
 * The same constants as a table in memory. Softmax kernels read it with
 * v128.load once, before their loops: in loops that keep many vectors live,
 * V8 (TurboFan) re-materialises a v128.const at every use (3 instructions
 * each), while a loaded value is kept in a register or spilled once.
 * Layout: 16 bytes per constant, in EXPK_* order.
 */
export const EXPK_F: usize = memory.data<f32>([
  LN2_HI_F, LN2_HI_F, LN2_HI_F, LN2_HI_F,
  LN2_LO_F, LN2_LO_F, LN2_LO_F, LN2_LO_F,
  Q4_F, Q4_F, Q4_F, Q4_F,
  Q3_F, Q3_F, Q3_F, Q3_F,
  Q2_F, Q2_F, Q2_F, Q2_F,
  Q1_F, Q1_F, Q1_F, Q1_F,
  Q0_F, Q0_F, Q0_F, Q0_F,
  1, 1, 1, 1,
  LOG2E_F, LOG2E_F, LOG2E_F, LOG2E_F,
  MAGIC_F, MAGIC_F, MAGIC_F, MAGIC_F,
  MAGIC_BIASED_F, MAGIC_BIASED_F, MAGIC_BIASED_F, MAGIC_BIASED_F,
  -127, -127, -127, -127,
  -22000, -22000, -22000, -22000,
  EXP_CLAMP_F, EXP_CLAMP_F, EXP_CLAMP_F, EXP_CLAMP_F,
], 16);
export const EXPK_LOG2E: usize = 128;
export const EXPK_MAGIC: usize = 144;
export const EXPK_MAGIC_BIASED: usize = 160;
export const EXPK_M127: usize = 176;
/** −22000: the two-pass softmax clamps inputs below here (|n| < 2^15). */
export const EXPK_LIM: usize = 192;
export const EXPK_CLAMP: usize = 208;

/**
 * exp(t) for EXP_CLAMP_F ≤ t ≤ 0 (callers clamp with f32x4.pmax(t, clamp),
 * which keeps NaN): results below 2^−126 come out subnormal or +0, exp(0) = 1.
 * The constants (EXPK_F entries) come in as values the caller loads once
 * before its loop: V8 then keeps them in registers, or spills each once and
 * reloads it at its use, instead of re-reading the table and spilling the
 * copies on every iteration (measured 7–9% faster on the three-pass exp pass).
 * 19 operations.
 */
// @ts-ignore: decorator
@inline export function expClampedK_f32x4(
  t: v128, log2e: v128, magicBiased: v128, ln2hi: v128, ln2lo: v128,
  q4: v128, q3: v128, q2: v128, q1: v128, q0: v128, one: v128,
): v128 {
  const vn = madd_f32x4(t, log2e, magicBiased);
  const s = i32x4.shl(vn, 23);
  return f32x4.mul(expMantissaK_f32x4(t, f32x4.sub(vn, magicBiased), ln2hi, ln2lo, q4, q3, q2, q1, q0, one), s);
}

/** expMantissa_f32x4 with its constants passed in (see expClampedK_f32x4). */
// @ts-ignore: decorator
@inline export function expMantissaK_f32x4(
  x: v128, n: v128, ln2hi: v128, ln2lo: v128, q4: v128, q3: v128, q2: v128, q1: v128, q0: v128, one: v128,
): v128 {
  let r = nmadd_f32x4(n, ln2hi, x);
  r = nmadd_f32x4(n, ln2lo, r);
  let q = madd_f32x4(r, q4, q3);
  q = madd_f32x4(q, r, q2);
  q = madd_f32x4(q, r, q1);
  q = madd_f32x4(q, r, q0);
  return madd_f32x4(q, r, one);
}

/** exp(x) over the whole f32 range: overflow to +∞, gradual underflow, exp(−∞) = 0. */
// @ts-ignore: decorator
@inline export function exp_f32x4(x: v128): v128 {
  // pmax/pmin keep NaN (they return the first operand when a compare is false).
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(89.0));
  const n = expExponent_f32x4(xc);
  const p = expMantissa_f32x4(xc, n);
  // Two factors so 2^n never leaves the normal range: n ∈ [−150, 129].
  const m = f32x4.splat(MAGIC_F);
  const n1 = f32x4.sub(madd_f32x4(n, f32x4.splat(0.5), m), m);
  const n2 = f32x4.sub(n, n1);
  const b = f32x4.splat(MAGIC_BIASED_F);
  const s1 = i32x4.shl(f32x4.add(n1, b), 23), s2 = i32x4.shl(f32x4.add(n2, b), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

// ---- f64 -------------------------------------------------------------------
export const LOG2E_D: f64 = 1.4426950408889634;
export const MAGIC_D: f64 = 6755399441055744.0;     // 1.5·2^52
export const MAGIC_BIASED_D: f64 = 6755399441056767.0;     // 1.5·2^52 + 1023
// fdlibm split: LN2_HI_D has 32 significant bits, so n·LN2_HI_D is exact for |n| < 2^21.
export const LN2_HI_D: f64 = 6.93147180369123816490e-01;
export const LN2_LO_D: f64 = 1.90821492927058770002e-10;
const P1_D: f64 = 0.5000000000000006;
const P2_D: f64 = 0.1666666666666667;
const P3_D: f64 = 0.04166666666657314;
const P4_D: f64 = 0.008333333333326141;
const P5_D: f64 = 0.0013888888932488599;
const P6_D: f64 = 0.00019841269874800493;
const P7_D: f64 = 2.4801504346997686e-05;
const P8_D: f64 = 2.7557255425746435e-06;
const P9_D: f64 = 2.7626357241447223e-07;
const P10_D: f64 = 2.510520637395701e-08;
export const EXP_CUTOFF_D: f64 = -708.3;

// @ts-ignore: decorator
@inline export function expExponent_f64x2(x: v128): v128 {
  const m = f64x2.splat(MAGIC_D);
  return f64x2.sub(madd_f64x2(x, f64x2.splat(LOG2E_D), m), m);
}

// @ts-ignore: decorator
@inline export function expMantissa_f64x2(x: v128, n: v128): v128 {
  let r = nmadd_f64x2(n, f64x2.splat(LN2_HI_D), x);
  r = nmadd_f64x2(n, f64x2.splat(LN2_LO_D), r);
  let q = madd_f64x2(r, f64x2.splat(P10_D), f64x2.splat(P9_D));
  q = madd_f64x2(q, r, f64x2.splat(P8_D));
  q = madd_f64x2(q, r, f64x2.splat(P7_D));
  q = madd_f64x2(q, r, f64x2.splat(P6_D));
  q = madd_f64x2(q, r, f64x2.splat(P5_D));
  q = madd_f64x2(q, r, f64x2.splat(P4_D));
  q = madd_f64x2(q, r, f64x2.splat(P3_D));
  q = madd_f64x2(q, r, f64x2.splat(P2_D));
  q = madd_f64x2(q, r, f64x2.splat(P1_D));
  q = madd_f64x2(q, r, f64x2.splat(1.0));
  return madd_f64x2(q, r, f64x2.splat(1.0));
}

/** The f64 exp's constants as a table read with v128.load (see EXPK_F). */
export const EXPK_D: usize = memory.data<f64>([
  LN2_HI_D, LN2_HI_D, LN2_LO_D, LN2_LO_D,
  P10_D, P10_D, P9_D, P9_D, P8_D, P8_D, P7_D, P7_D, P6_D, P6_D,
  P5_D, P5_D, P4_D, P4_D, P3_D, P3_D, P2_D, P2_D, P1_D, P1_D,
  1, 1,
  LOG2E_D, LOG2E_D, MAGIC_BIASED_D, MAGIC_BIASED_D, EXP_CUTOFF_D, EXP_CUTOFF_D,
], 16);

/** expMantissa_f64x2 with its constants read from EXPK_D (same results). */
// @ts-ignore: decorator
@inline export function expMantissaT_f64x2(x: v128, n: v128): v128 {
  const k = EXPK_D;
  let r = nmadd_f64x2(n, v128.load(k, 0), x);
  r = nmadd_f64x2(n, v128.load(k, 16), r);
  let q = madd_f64x2(r, v128.load(k, 32), v128.load(k, 48));
  q = madd_f64x2(q, r, v128.load(k, 64));
  q = madd_f64x2(q, r, v128.load(k, 80));
  q = madd_f64x2(q, r, v128.load(k, 96));
  q = madd_f64x2(q, r, v128.load(k, 112));
  q = madd_f64x2(q, r, v128.load(k, 128));
  q = madd_f64x2(q, r, v128.load(k, 144));
  q = madd_f64x2(q, r, v128.load(k, 160));
  q = madd_f64x2(q, r, v128.load(k, 176));
  q = madd_f64x2(q, r, v128.load(k, 192));
  return madd_f64x2(q, r, v128.load(k, 192));
}

/** expNonPositive_f64x2 with its constants read from EXPK_D (same results). */
// @ts-ignore: decorator
@inline export function expNonPositiveT_f64x2(t: v128): v128 {
  const k = EXPK_D;
  const vn = madd_f64x2(t, v128.load(k, 208), v128.load(k, 224));
  const s = i64x2.shl(vn, 52);
  const p = expMantissaT_f64x2(t, f64x2.sub(vn, v128.load(k, 224)));
  return v128.andnot(f64x2.mul(p, s), f64x2.lt(t, v128.load(k, 240)));
}

/** 2^k for integer-valued k ≤ 1023; k ≤ −1023 gives exactly +0. */
// @ts-ignore: decorator
@inline export function pow2_f64x2(k: v128): v128 {
  return i64x2.shl(f64x2.add(f64x2.pmax(k, f64x2.splat(-1023)), f64x2.splat(MAGIC_BIASED_D)), 52);
}

// @ts-ignore: decorator
@inline export function expNonPositive_f64x2(t: v128): v128 {
  const b = f64x2.splat(MAGIC_BIASED_D);
  const vn = madd_f64x2(t, f64x2.splat(LOG2E_D), b);
  const s = i64x2.shl(vn, 52);
  const p = expMantissa_f64x2(t, f64x2.sub(vn, b));
  return v128.andnot(f64x2.mul(p, s), f64x2.lt(t, f64x2.splat(EXP_CUTOFF_D)));
}

// @ts-ignore: decorator
@inline export function exp_f64x2(x: v128): v128 {
  const xc = f64x2.pmin(f64x2.pmax(x, f64x2.splat(-746.0)), f64x2.splat(710.0));
  const n = expExponent_f64x2(xc);
  const p = expMantissa_f64x2(xc, n);
  const m = f64x2.splat(MAGIC_D);
  const n1 = f64x2.sub(madd_f64x2(n, f64x2.splat(0.5), m), m);
  const n2 = f64x2.sub(n, n1);
  const b = f64x2.splat(MAGIC_BIASED_D);
  const s1 = i64x2.shl(f64x2.add(n1, b), 52), s2 = i64x2.shl(f64x2.add(n2, b), 52);
  return f64x2.mul(f64x2.mul(p, s1), s2);
}

/** 2^k for an integer k as a scalar f64; 0 below the normal range (also for −∞). */
export function pow2_f64(k: f64): f64 {
  if (!(k >= -1022)) return k != k ? k : 0;
  if (k > 1023) return Infinity;
  return reinterpret<f64>(<u64>(<i64>k + 1023) << 52);
}

// ---- accuracy probes (exported kernels; the sweep tests call them) ---------

/**
 * Max error in ULPs of the correctly rounded f32 result, over every
 * `step`-th f32 in [lo, hi] (by bit pattern, both signs), of
 * variant 0: exp_f32x4 (whole range); 1: expClampedK_f32x4, the
 * three-pass/online/blocked softmax exp (use hi ≤ 0); 2: the two-pass
 * softmax's p·2^n (expMantissaK_f32x4 and a shifted exponent, as in twoPassOut_f32).
 * Results: maxUlp, the x where it occurs (at), values tested.
 */
export function vexp_f32_ulp(lo: f32, hi: f32, step: i32, variant: i32, out: usize, team: usize, tid: i32, nthreads: i32): void {
  let worst: f64 = 0, worstX: f64 = 0, count: f64 = 0;
  for (let side = 0; side < 2; side++) {
    const end = side == 0 ? hi : -lo;          // magnitudes on each side
    if (end < 0) continue;
    const last = reinterpret<u32>(end);
    for (let b: u32 = 0; b <= last; b += <u32>step * 4) {
      let v = f32x4.splat(0);
      v = f32x4.replace_lane(v, 0, reinterpret<f32>(min(b, last)));
      v = f32x4.replace_lane(v, 1, reinterpret<f32>(min(b + <u32>step, last)));
      v = f32x4.replace_lane(v, 2, reinterpret<f32>(min(b + <u32>step * 2, last)));
      v = f32x4.replace_lane(v, 3, reinterpret<f32>(min(b + <u32>step * 3, last)));
      if (side == 1) v = f32x4.neg(v);
      let y: v128;
      const k = EXPK_F;
      const hi = v128.load(k, 0), lo = v128.load(k, 16), q4 = v128.load(k, 32), q3 = v128.load(k, 48), q2 = v128.load(k, 64);
      const q1 = v128.load(k, 80), q0 = v128.load(k, 96), one = v128.load(k, 112);
      if (variant == 1) {
        y = expClampedK_f32x4(f32x4.pmax(v, v128.load(k, EXPK_CLAMP)), v128.load(k, EXPK_LOG2E), v128.load(k, EXPK_MAGIC_BIASED),
          hi, lo, q4, q3, q2, q1, q0, one);
      } else if (variant == 2) {
        const m = f32x4.splat(MAGIC_F);
        const vn = madd_f32x4(v, f32x4.splat(LOG2E_F), m);
        // As in the kernel, n − K ≤ 1 keeps 2^(n−K) finite: K = 1 (then ×2, exact) for x > 0.
        const K: f32 = side == 0 ? 1 : 0;
        const sc = i32x4.shl(f32x4.pmax(f32x4.add(vn, f32x4.splat(127 - K)), m), 23);
        y = f32x4.mul(f32x4.mul(expMantissaK_f32x4(v, f32x4.sub(vn, m), hi, lo, q4, q3, q2, q1, q0, one), sc), f32x4.splat(side == 0 ? 2 : 1));
      } else y = exp_f32x4(v);
      for (let l = 0; l < 4; l++) {
        const xv = l == 0 ? f32x4.extract_lane(v, 0) : l == 1 ? f32x4.extract_lane(v, 1) : l == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
        const yv = l == 0 ? f32x4.extract_lane(y, 0) : l == 1 ? f32x4.extract_lane(y, 1) : l == 2 ? f32x4.extract_lane(y, 2) : f32x4.extract_lane(y, 3);
        const ref = Math.exp(<f64>xv);
        const e = <i32>((reinterpret<u32>(<f32>ref) >> 23) & 0xff);
        const ulp = pow2_f64(<f64>(max(e, 1) - 150));
        const err = Math.abs(<f64>yv - ref) / ulp;
        count++;
        if (!(err <= worst)) { worst = err; worstX = xv; }
      }
      if (last - b < <u32>step * 4) break;
    }
  }
  store<f64>(at(out, VexpF32UlpOut.maxUlp), worst); store<f64>(at(out, VexpF32UlpOut.at), worstX); store<f64>(at(out, VexpF32UlpOut.tested), count);
}

/**
 * Max error of exp_f64x2 against Math.exp (musl, < 1 ULP) in f64 ULPs of the
 * reference (normal results only: keep lo ≥ −708), at `count` evenly spaced points of [lo, hi] plus their
 * neighbours. Results as for vexp_f32_ulp.
 */
export function vexp_f64_ulp(lo: f64, hi: f64, count: i32, out: usize, team: usize, tid: i32, nthreads: i32): void {
  let worst: f64 = 0, worstX: f64 = 0;
  const h = (hi - lo) / <f64>count;
  for (let i = 0; i < count; i++) {
    const a = lo + h * <f64>i;
    const v = f64x2.replace_lane(f64x2.splat(a), 1, reinterpret<f64>(reinterpret<u64>(a) + 1));
    const y = exp_f64x2(v);
    for (let l = 0; l < 2; l++) {
      const xv = l == 0 ? f64x2.extract_lane(v, 0) : f64x2.extract_lane(v, 1);
      const yv = l == 0 ? f64x2.extract_lane(y, 0) : f64x2.extract_lane(y, 1);
      const ref = Math.exp(xv);
      // ulp of a normal f64: its exponent bits alone, times 2^-52.
      const ulp = reinterpret<f64>(reinterpret<u64>(ref) & 0x7ff0000000000000) * 2.220446049250313e-16;
      const err = Math.abs(yv - ref) / ulp;
      if (!(err <= worst)) { worst = err; worstX = xv; }
    }
  }
  store<f64>(at(out, VexpF64UlpOut.maxUlp), worst); store<f64>(at(out, VexpF64UlpOut.at), worstX); store<f64>(at(out, VexpF64UlpOut.tested), <f64>count * 2);
}
