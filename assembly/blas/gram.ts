// Tall-skinny Gram products: out = Xᵀ·Y for X (mx lines) and Y (my lines),
// lines of length n stored one after another. Used to project onto small
// subspaces (Rayleigh–Ritz for recycled Krylov spaces). Deterministic like
// every reduction here: per-chunk partials summed in chunk order.
import { barrier, rangeStart } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { dotContiguous } from "./level1";

/** out[a·my + b] = Σ_i X_a[i]·Y_b[i]. `partials` holds mx·my·chunkCount(n) f64. */
export function gram_f64(
  x: usize, mx: i32, y: usize, my: i32, n: i32,
  partials: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  const chunks = chunkCount(n);
  const c1 = rangeStart(chunks, tid + 1, nthreads);
  for (let c = rangeStart(chunks, tid, nthreads); c < c1; c++) {
    const i0 = c * CHUNK, len = min(CHUNK, n - i0);
    // The chunk's slices of all lines stay in cache across the mx·my dots.
    for (let a = 0; a < mx; a++) {
      const xa = x + ((<usize>a * n + i0) << 3);
      for (let b = 0; b < my; b++) {
        const s = dotContiguous(xa, y + ((<usize>b * n + i0) << 3), len);
        store<f64>(partials + ((<usize>(a * my + b) * chunks + c) << 3), s);
      }
    }
  }
  barrier(team, nthreads);
  // Threads share out the entries of the result.
  const entries = mx * my;
  const e1 = rangeStart(entries, tid + 1, nthreads);
  for (let e = rangeStart(entries, tid, nthreads); e < e1; e++) {
    store<f64>(out + (<usize>e << 3), sumPartials(partials + ((<usize>e * chunks) << 3), chunks));
  }
}
