// Sparse sketches S·A of a tall row-major m×n matrix A into a d×n row-major
// result: every row i of A is added, with a random sign, to `s` random rows of
// the result (s = 1: CountSketch; s > 1: the sparse sign embedding, scaled by
// 1/√s). Hashes and signs come from core/rng.ts, a pure function of (seed, i):
// the sketch is the same for any thread count. Threads split the rows of the
// result, so each output row is summed by one thread in row order of A.
import { mix64 } from "../core/rng";
import { rangeStart } from "../core/team";
import { addScaledRow, clearOwnRows } from "./rows";

/** sa (d×n row-major) = S·A, S with s nonzeros ±1/√s per column (s ≤ d). */
export function sketch_sparse_f64(
  a: usize, m: i32, n: i32, d: i32, s: i32, seed: f64, sa: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const k0 = rangeStart(d, tid, nthreads), k1 = rangeStart(d, tid + 1, nthreads);
  const rowBytes = <usize>n << 3;
  clearOwnRows(sa, d, n, tid, nthreads);
  const scale = 1.0 / Math.sqrt(<f64>s);
  const key = <u64>seed;
  const blk = d / s;
  // Rows of A in chunks of about 256 KiB, each chunk added block by block of
  // S·A: the rows written at once lie in one block (d/s rows), not all of
  // S·A. A row of S·A still takes A's rows in increasing order.
  const chunk = max(1, <i32>((<usize>SKETCH_CHUNK_BYTES) / rowBytes));
  for (let i0 = 0; i0 < m; i0 += chunk) {
    const i1 = min(m, i0 + chunk);
    for (let t = 0; t < s; t++) {
      for (let i = i0; i < i1; i++) {
        const h = mix64(key, (<u64>i * <u64>s) + <u64>t);
        // Nonzero t of a row lands in block t of d/s rows: never twice in one row of S·A.
        const k = t * blk + <i32>((h >> 1) % <u64>blk);
        if (k < k0 || k >= k1) continue;
        const v = (h & 1) != 0 ? scale : -scale;
        addScaledRow(sa + <usize>k * rowBytes, a + <usize>i * rowBytes, v, n);
      }
    }
  }
}

/** Bytes of A's rows sketch_sparse_f64 adds block by block: a quarter of a 1 MiB L2. */
const SKETCH_CHUNK_BYTES: i32 = 256 << 10;
