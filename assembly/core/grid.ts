// Number sequences the host needs bit-identical in every runtime: JavaScript
// engines' Math.pow/exp/log differ in the last bit from one engine (version)
// to the next, AssemblyScript's own implementations compiled to wasm do not.

/** grid[k] = hi·ratio^(k/(count−1)), k = 0..count−1: a log-spaced grid from hi down (ratio < 1) to hi·ratio. */
export function logspace_f64(hi: f64, ratio: f64, count: i32, grid: usize, team: usize, tid: i32, nthreads: i32): void {
  if (tid != 0) return;
  for (let k = 0; k < count; k++) {
    const v = count == 1 ? hi : hi * Math.pow(ratio, <f64>k / <f64>(count - 1));
    store<f64>(grid + (<usize>k << 3), v);
  }
}
