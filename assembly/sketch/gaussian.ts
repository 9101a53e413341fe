// The Gaussian sketch S·A: S is d×m with independent N(0, 1/d) entries,
// entry (k, i) a pure function of (seed, k, i) (core/rng.ts), so the sketch is
// the same for any thread count. A is row-major m×n; S·A is d×n row-major.
//
// Dense, so it costs d·m·n multiply-adds and d·m normal draws: the most
// expensive sketch, and the one the theory is cleanest for. Threads split
// the output rows; A is walked in panels of PANEL rows that stay in cache
// while every output row of the thread takes its share from them.
import { gaussianPair, streamKey } from "../core/rng";
import { rangeStart } from "../core/team";

const PANEL: i32 = 64; // even: each normal pair covers rows (2p, 2p + 1)

export function sketch_gaussian_f64(
  a: usize, m: i32, n: i32, d: i32, seed: f64, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const k0 = rangeStart(d, tid, nthreads), k1 = rangeStart(d, tid + 1, nthreads);
  const rowBytes = <usize>n << 3;
  memory.fill(out + <usize>k0 * rowBytes, 0, <usize>(k1 - k0) * rowBytes);
  const key = streamKey(<u64>seed, 1);
  const scale = 1.0 / Math.sqrt(<f64>d);
  const pairsPerRow = <u64>((m + 1) >> 1);
  for (let i0 = 0; i0 < m; i0 += PANEL) {
    const i1 = min(m, i0 + PANEL);
    for (let k = k0; k < k1; k++) {
      const dst = out + <usize>k * rowBytes;
      for (let i = i0; i < i1; i += 2) {
        const g = gaussianPair(key, <u64>k * pairsPerRow + <u64>(i >> 1), scale);
        const g0 = f64x2.extract_lane(g, 0);
        // m odd: the last pair's second normal has no row.
        const g1 = i + 1 < m ? f64x2.extract_lane(g, 1) : 0.0;
        const r0 = a + <usize>i * rowBytes, r1 = i + 1 < m ? r0 + rowBytes : r0;
        const v0 = f64x2.splat(g0), v1 = f64x2.splat(g1);
        let j = 0;
        for (; j + 2 <= n; j += 2) {
          const o = <usize>j << 3;
          v128.store(dst + o, f64x2.add(v128.load(dst + o), f64x2.add(f64x2.mul(v0, v128.load(r0 + o)), f64x2.mul(v1, v128.load(r1 + o)))));
        }
        if (j < n) {
          const o = <usize>j << 3;
          store<f64>(dst + o, load<f64>(dst + o) + (g0 * load<f64>(r0 + o) + g1 * load<f64>(r1 + o)));
        }
      }
    }
  }
}
