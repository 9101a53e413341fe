// Sparse sketches S·A of a tall row-major m×n matrix A into a d×n row-major
// result: every row i of A is added, with a random sign, to `s` random rows of
// the result (s = 1: CountSketch; s > 1: the sparse sign embedding, scaled by
// 1/√s). Hashes and signs come from core/rng.ts, a pure function of (seed, i):
// the sketch is the same for any thread count. Threads split the rows of the
// result, so each output row is summed by one thread in row order of A.
import { mix64 } from "../core/rng";
import { rangeStart } from "../core/team";

export function sketch_sparse_f64(
  a: usize, m: i32, n: i32, d: i32, s: i32, seed: f64, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const k0 = rangeStart(d, tid, nthreads), k1 = rangeStart(d, tid + 1, nthreads);
  const rowBytes = <usize>n << 3;
  memory.fill(out + <usize>k0 * rowBytes, 0, <usize>(k1 - k0) * rowBytes);
  const scale = 1.0 / Math.sqrt(<f64>s);
  const key = <u64>seed;
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < s; t++) {
      const h = mix64(key, (<u64>i * <u64>s) + <u64>t);
      // Nonzero t of a row lands in block t of d/s rows: never twice in one row of S·A.
      const blk = d / s;
      const k = t * blk + <i32>((h >> 1) % <u64>blk);
      if (k < k0 || k >= k1) continue;
      const v = (h & 1) != 0 ? scale : -scale;
      const src = a + <usize>i * rowBytes, dst = out + <usize>k * rowBytes;
      const vv = f64x2.splat(v);
      let j = 0;
      for (; j + 2 <= n; j += 2) {
        const o = <usize>j << 3;
        v128.store(dst + o, f64x2.add(v128.load(dst + o), f64x2.mul(vv, v128.load(src + o))));
      }
      if (j < n) store<f64>(dst + (<usize>j << 3), load<f64>(dst + (<usize>j << 3)) + v * load<f64>(src + (<usize>j << 3)));
    }
  }
}
