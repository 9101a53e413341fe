// Sparse kernels over CSR (indptr, indices: i32; data: f64). Threads split the
// rows so each gets about the same number of nonzeros; every row is summed by
// one thread in index order, so the thread count never changes a result.
// Aᵀ·x is this same kernel run on the transpose in CSR form (the host builds
// and caches it), which keeps it parallel and deterministic.

import { CHUNK } from "../core/chunks";

/** First row whose nonzeros start at or after `target` (binary search on indptr). */
function rowAtNnz(indptr: usize, rows: i32, target: i32): i32 {
  let lo = 0, hi = rows;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<i32>(indptr + (<usize>mid << 2)) < target) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Σ_k data[k]·x[indices[k]] over row i: the one summation order every caller uses. */
// @ts-ignore: decorator
@inline export function csrRowDot(indptr: usize, indices: usize, data: usize, x: usize, i: i32): f64 {
  const k1 = load<i32>(indptr + (<usize>(i + 1) << 2));
  let k = load<i32>(indptr + (<usize>i << 2));
  let s0: f64 = 0, s1: f64 = 0;
  for (; k + 2 <= k1; k += 2) {
    s0 += load<f64>(data + (<usize>k << 3)) * load<f64>(x + (<usize>load<i32>(indices + (<usize>k << 2)) << 3));
    s1 += load<f64>(data + (<usize>k << 3), 8) * load<f64>(x + (<usize>load<i32>(indices + (<usize>k << 2), 4) << 3));
  }
  if (k < k1) s0 += load<f64>(data + (<usize>k << 3)) * load<f64>(x + (<usize>load<i32>(indices + (<usize>k << 2)) << 3));
  return s0 + s1;
}

/** y[i] = alpha·Σ_k data[k]·x[indices[k]] + beta·y[i] over the rows of a CSR matrix. */
export function spmv_csr_f64(
  indptr: usize, indices: usize, data: usize, rows: i32,
  x: usize, y: usize, alpha: f64, beta: f64,
  team: usize, tid: i32, nthreads: i32,
): void {
  const nnz = load<i32>(indptr + (<usize>rows << 2));
  const start = tid == 0 ? 0 : rowAtNnz(indptr, rows, <i32>((<i64>nnz * tid) / nthreads));
  const end = tid == nthreads - 1 ? rows : rowAtNnz(indptr, rows, <i32>((<i64>nnz * (tid + 1)) / nthreads));
  for (let i = start; i < end; i++) {
    const p = y + (<usize>i << 3);
    const s = csrRowDot(indptr, indices, data, x, i);
    store<f64>(p, beta == 0 ? alpha * s : alpha * s + beta * load<f64>(p));
  }
}

/**
 * Per-chunk partials of ‖b − A·x‖² over chunks c0..c1−1 (chunks of CHUNK rows):
 * the true residual the iterative solvers report at exit; with r ≠ 0 the
 * residual itself is stored there too (GMRES-type cycle starts).
 */
export function residualPartials(
  indptr: usize, indices: usize, data: usize, n: i32, b: usize, x: usize,
  partials: usize, c0: i32, c1: i32, r: usize = 0,
): void {
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
    let s: f64 = 0;
    for (let i = i0; i < i1; i++) {
      const ri = load<f64>(b + (<usize>i << 3)) - csrRowDot(indptr, indices, data, x, i);
      if (r != 0) store<f64>(r + (<usize>i << 3), ri);
      s += ri * ri;
    }
    store<f64>(partials + (<usize>c << 3), s);
  }
}
