// Out-of-place transpose of a row-major rows×cols f64 matrix into dst
// (cols×rows row-major, i.e. the source's column-major form), in tiles so
// both sides stay in cache. Threads split the source rows by whole tiles.
import { rangeStart } from "../core/team";

const TILE: i32 = 32;

export function transpose_f64(
  src: usize, rows: i32, cols: i32, dst: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const tiles = (rows + TILE - 1) / TILE;
  const r0 = rangeStart(tiles, tid, nthreads) * TILE;
  const r1 = min(rows, rangeStart(tiles, tid + 1, nthreads) * TILE);
  for (let ib = r0; ib < r1; ib += TILE) {
    const ie = min(r1, ib + TILE);
    for (let jb = 0; jb < cols; jb += TILE) {
      const je = min(cols, jb + TILE);
      for (let i = ib; i < ie; i++) {
        const srow = src + ((<usize>i * cols) << 3);
        for (let j = jb; j < je; j++) {
          store<f64>(dst + ((<usize>j * rows + i) << 3), load<f64>(srow + (<usize>j << 3)));
        }
      }
    }
  }
}
