// Row-wise pieces the sketch and least-squares kernels share.
import { rangeStart } from "../core/team";

/** dst[0..n) += v·src[0..n), two lanes at a time. */
// @ts-ignore: decorator
@inline export function addScaledRow(dst: usize, src: usize, v: f64, n: i32): void {
  const vv = f64x2.splat(v);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    v128.store(dst + o, f64x2.add(v128.load(dst + o), f64x2.mul(vv, v128.load(src + o))));
  }
  if (j < n) store<f64>(dst + (<usize>j << 3), load<f64>(dst + (<usize>j << 3)) + v * load<f64>(src + (<usize>j << 3)));
}

/** Zeroes this thread's share of the d×n output's rows: each output row is summed by one thread. */
export function clearOwnRows(out: usize, d: i32, n: i32, tid: i32, nthreads: i32): void {
  const k0 = rangeStart(d, tid, nthreads), k1 = rangeStart(d, tid + 1, nthreads);
  const rowBytes = <usize>n << 3;
  memory.fill(out + <usize>k0 * rowBytes, 0, <usize>(k1 - k0) * rowBytes);
}

/**
 * dst[j] = Σ_c vecs[c·n + j] over the chunks in chunk order, for this
 * thread's share of j: the n-vector of chunk partials, combined.
 */
export function sumChunkColumns(vecs: usize, chunks: i32, n: i32, dst: usize, tid: i32, nthreads: i32): void {
  const j1 = rangeStart(n, tid + 1, nthreads);
  for (let j = rangeStart(n, tid, nthreads); j < j1; j++) {
    let acc: f64 = 0;
    for (let c = 0; c < chunks; c++) acc += load<f64>(vecs + ((<usize>c * n + j) << 3));
    store<f64>(dst + (<usize>j << 3), acc);
  }
}
