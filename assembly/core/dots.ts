// Fixed-order SIMD dot products over whole vectors: the lane pattern never
// depends on the thread count, so a dot is the same bits wherever it runs.
import { at } from "./memory";
import { madd_f64x2 } from "./vexp";

/** Σ x[i]·y[i], i < n. */
// @ts-ignore: decorator
@inline export function dot(x: usize, y: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a0 = madd_f64x2(v128.load(at(x, i)), v128.load(at(y, i)), a0);
    a1 = madd_f64x2(v128.load(at(x, i), 16), v128.load(at(y, i), 16), a1);
  }
  const s = f64x2.add(a0, a1);
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) t += load<f64>(at(x, i)) * load<f64>(at(y, i));
  return t;
}

/** Σ x[i]²·d[i], i < n. */
// @ts-ignore: decorator
@inline export function dotSq(x: usize, d: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const v = v128.load(at(x, i));
    a0 = madd_f64x2(f64x2.mul(v, v), v128.load(at(d, i)), a0);
  }
  let t = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; i < n; i++) { const v = load<f64>(at(x, i)); t += v * v * load<f64>(at(d, i)); }
  return t;
}
