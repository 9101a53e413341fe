// Level-2 BLAS, f64, SIMD. Two shapes cover the four (layout × transpose)
// cases: "rows" (each output is a dot of a contiguous line of A with x) and
// "cols" (the output is a sum of contiguous lines of A scaled by x). Each
// output element is computed in one fixed order, so threads change nothing.
import { rangeStart } from "../core/team";

/** Dot of one contiguous line with x: the exact arithmetic used for every row. */
// @ts-ignore: decorator
@inline function lineDot(a: usize, x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 3;
    s0 = f64x2.add(s0, f64x2.mul(v128.load(a + o), v128.load(x + o)));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(a + o, 16), v128.load(x + o, 16)));
  }
  const s = f64x2.add(s0, s1);
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; j < n; j++) r += load<f64>(a + (<usize>j << 3)) * load<f64>(x + (<usize>j << 3));
  return r;
}

// @ts-ignore: decorator
@inline function finish(y: usize, i: i32, alpha: f64, dot: f64, beta: f64): void {
  const p = y + (<usize>i << 3);
  // BLAS convention: beta = 0 means y is not read (it may hold NaN).
  store<f64>(p, beta == 0 ? alpha * dot : alpha * dot + beta * load<f64>(p));
}

/** y[i] = alpha·(A[i,:]·x) + beta·y[i] for m lines of length n, line stride lda. */
export function gemv_rows_f64(
  a: usize, lda: i32, x: usize, y: usize, m: i32, n: i32, alpha: f64, beta: f64,
  team: usize, tid: i32, nthreads: i32,
): void {
  const i1 = rangeStart(m, tid + 1, nthreads);
  const stride = <usize>lda << 3;
  let i = rangeStart(m, tid, nthreads);
  // Four lines at a time share each load of x.
  for (; i + 4 <= i1; i += 4) {
    const r0 = a + <usize>i * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
    let p0 = f64x2.splat(0), q0 = f64x2.splat(0), p1 = f64x2.splat(0), q1 = f64x2.splat(0);
    let p2 = f64x2.splat(0), q2 = f64x2.splat(0), p3 = f64x2.splat(0), q3 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 3;
      const xa = v128.load(x + o), xb = v128.load(x + o, 16);
      p0 = f64x2.add(p0, f64x2.mul(v128.load(r0 + o), xa)); q0 = f64x2.add(q0, f64x2.mul(v128.load(r0 + o, 16), xb));
      p1 = f64x2.add(p1, f64x2.mul(v128.load(r1 + o), xa)); q1 = f64x2.add(q1, f64x2.mul(v128.load(r1 + o, 16), xb));
      p2 = f64x2.add(p2, f64x2.mul(v128.load(r2 + o), xa)); q2 = f64x2.add(q2, f64x2.mul(v128.load(r2 + o, 16), xb));
      p3 = f64x2.add(p3, f64x2.mul(v128.load(r3 + o), xa)); q3 = f64x2.add(q3, f64x2.mul(v128.load(r3 + o, 16), xb));
    }
    const s0 = f64x2.add(p0, q0), s1 = f64x2.add(p1, q1), s2 = f64x2.add(p2, q2), s3 = f64x2.add(p3, q3);
    let d0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    let d1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    let d2 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
    let d3 = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
    for (; j < n; j++) {
      const o = <usize>j << 3;
      const xj = load<f64>(x + o);
      d0 += load<f64>(r0 + o) * xj; d1 += load<f64>(r1 + o) * xj;
      d2 += load<f64>(r2 + o) * xj; d3 += load<f64>(r3 + o) * xj;
    }
    finish(y, i, alpha, d0, beta); finish(y, i + 1, alpha, d1, beta);
    finish(y, i + 2, alpha, d2, beta); finish(y, i + 3, alpha, d3, beta);
  }
  for (; i < i1; i++) finish(y, i, alpha, lineDot(a + <usize>i * stride, x, n), beta);
}

// Rows of y handled per pass over the lines: 8 KiB of y stays in L1 while
// the lines stream through in contiguous 8 KiB runs.
const BLOCK: i32 = 1024;

/** y = alpha·Σ_j x[j]·A[:,j] + beta·y, A given as n contiguous lines of length m, stride lda. */
export function gemv_cols_f64(
  a: usize, lda: i32, x: usize, y: usize, m: i32, n: i32, alpha: f64, beta: f64,
  team: usize, tid: i32, nthreads: i32,
): void {
  // Split y into pieces of whole pairs so SIMD lanes never straddle threads.
  const pairs = (m + 1) >> 1;
  const r0 = rangeStart(pairs, tid, nthreads) << 1;
  const r1 = min(m, rangeStart(pairs, tid + 1, nthreads) << 1);
  const stride = <usize>lda << 3;
  for (let b0 = r0; b0 < r1; b0 += BLOCK) {
    const b1 = min(r1, b0 + BLOCK);
    const yb = y + (<usize>b0 << 3);
    const len = b1 - b0;
    const vend = len & ~1;
    if (beta == 0) memory.fill(yb, 0, <usize>len << 3);
    else if (beta != 1) {
      for (let i = 0; i < len; i++) store<f64>(yb + (<usize>i << 3), beta * load<f64>(yb + (<usize>i << 3)));
    }
    // Four lines per sweep of y: one load and store of y per four updates.
    // Each y element still takes the updates one line at a time, in line
    // order, so the rounding is that of the one-line loop below.
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const c0 = alpha * load<f64>(x + (<usize>j << 3)), c1 = alpha * load<f64>(x + (<usize>j << 3), 8);
      const c2 = alpha * load<f64>(x + (<usize>j << 3), 16), c3 = alpha * load<f64>(x + (<usize>j << 3), 24);
      const v0 = f64x2.splat(c0), v1 = f64x2.splat(c1), v2 = f64x2.splat(c2), v3 = f64x2.splat(c3);
      const l0 = a + <usize>j * stride + (<usize>b0 << 3), l1 = l0 + stride, l2 = l1 + stride, l3 = l2 + stride;
      let i = 0;
      for (; i < vend; i += 2) {
        const o = <usize>i << 3;
        let t = f64x2.add(v128.load(yb + o), f64x2.mul(v0, v128.load(l0 + o)));
        t = f64x2.add(t, f64x2.mul(v1, v128.load(l1 + o)));
        t = f64x2.add(t, f64x2.mul(v2, v128.load(l2 + o)));
        v128.store(yb + o, f64x2.add(t, f64x2.mul(v3, v128.load(l3 + o))));
      }
      if (i < len) {
        const o = <usize>i << 3;
        let t = load<f64>(yb + o) + c0 * load<f64>(l0 + o);
        t = t + c1 * load<f64>(l1 + o);
        t = t + c2 * load<f64>(l2 + o);
        store<f64>(yb + o, t + c3 * load<f64>(l3 + o));
      }
    }
    for (; j < n; j++) {
      const c = alpha * load<f64>(x + (<usize>j << 3));
      const cv = f64x2.splat(c);
      const col = a + <usize>j * stride + (<usize>b0 << 3);
      let i = 0;
      for (; i < vend; i += 2) {
        const o = <usize>i << 3;
        v128.store(yb + o, f64x2.add(v128.load(yb + o), f64x2.mul(cv, v128.load(col + o))));
      }
      if (i < len) {
        const o = <usize>i << 3;
        store<f64>(yb + o, load<f64>(yb + o) + c * load<f64>(col + o));
      }
    }
  }
}
