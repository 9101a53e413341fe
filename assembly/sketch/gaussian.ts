// The Gaussian sketch S·A: S is d×m with independent N(0, 1/d) entries,
// entry (k, i) a pure function of (seed, k, i) (core/rng.ts), so the sketch is
// the same for any thread count. A is row-major m×n; S·A is d×n row-major.
//
// Dense, so it costs d·m·n multiply-adds and d·m normal draws: the most
// expensive sketch, and the one the theory is cleanest for. Threads split
// the output rows. A is walked in panels of PANEL rows that stay in cache;
// for each block of KB output rows, the panel's normals are drawn once into
// the thread's scratch (splatted, ready to load), then every 4-column tile
// of those KB rows is kept in registers across the whole panel, so each A
// load serves KB rows and each output is loaded and stored once per panel.
// Every output still takes its terms in the same order, one pair of A rows at
// a time (out += g0·a0 + g1·a1), so the bits do not depend on the blocking.
import { gaussianPair, streamKey } from "../core/rng";
import { aborted, rangeStart } from "../core/team";
import { clearOwnRows } from "./rows";

const PANEL: i32 = 64; // even: each normal pair covers rows (2p, 2p + 1)
const KB: i32 = 4;     // output rows per register block
/** Scratch bytes per thread: KB·PANEL normals as f64x2 splats (a whole number of 64-byte lines). */
const SCRATCH_PER_THREAD: usize = <usize>(KB * PANEL) << 4;

/** Bytes of sketch_gaussian_f64's workspace: each thread's block of normals. */
export function gaussianWorkspace(nthreads: i32): f64 {
  return <f64>(SCRATCH_PER_THREAD * <usize>nthreads);
}

/** sa (d×n row-major) = S·A. `work`: gaussianWorkspace bytes. */
export function sketch_gaussian_f64(
  a: usize, m: i32, n: i32, d: i32, seed: f64, sa: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const k0 = rangeStart(d, tid, nthreads), k1 = rangeStart(d, tid + 1, nthreads);
  const rowBytes = <usize>n << 3;
  clearOwnRows(sa, d, n, tid, nthreads);
  const key = streamKey(<u64>seed, 1);
  const scale = 1.0 / Math.sqrt(<f64>d);
  const pairsPerRow = <u64>((m + 1) >> 1);
  const g = work + <usize>tid * SCRATCH_PER_THREAD;
  for (let i0 = 0; i0 < m; i0 += PANEL) {
    // No barrier follows: each thread may leave on its own once the host asks (the host discards the output).
    if (aborted(team)) return;
    const i1 = min(m, i0 + PANEL);
    for (let kb = k0; kb < k1; kb += KB) {
      const rows = min(KB, k1 - kb);
      // The block's normals for this panel: g[r·PANEL + (i − i0)], as f64x2 splats.
      for (let r = 0; r < rows; r++) {
        const k = kb + r;
        for (let i = i0; i < i1; i += 2) {
          const pair = gaussianPair(key, <u64>k * pairsPerRow + <u64>(i >> 1), scale);
          const slot = g + (<usize>(r * PANEL + (i - i0)) << 4);
          v128.store(slot, f64x2.splat(f64x2.extract_lane(pair, 0)));
          // m odd: the last pair's second normal has no row.
          v128.store(slot, f64x2.splat(i + 1 < m ? f64x2.extract_lane(pair, 1) : 0.0), 16);
        }
      }
      if (rows == KB) block4(a, m, n, i0, i1, g, sa + <usize>kb * rowBytes, rowBytes);
      else for (let r = 0; r < rows; r++) block1(a, m, n, i0, i1, g + (<usize>(r * PANEL) << 4), sa + <usize>(kb + r) * rowBytes);
    }
  }
}

/** Rows kb..kb+3 of the output, over panel rows i0..i1: 4-column tiles in registers. */
function block4(a: usize, m: i32, n: i32, i0: i32, i1: i32, g: usize, dst: usize, rowBytes: usize): void {
  const gs: usize = <usize>PANEL << 4; // from one output row's normals to the next's
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 3;
    const d0 = dst + o, d1 = d0 + rowBytes, d2 = d1 + rowBytes, d3 = d2 + rowBytes;
    let s0a = v128.load(d0), s0b = v128.load(d0, 16), s1a = v128.load(d1), s1b = v128.load(d1, 16);
    let s2a = v128.load(d2), s2b = v128.load(d2, 16), s3a = v128.load(d3), s3b = v128.load(d3, 16);
    for (let i = i0; i < i1; i += 2) {
      const r0 = a + <usize>i * rowBytes + o, r1 = i + 1 < m ? r0 + rowBytes : r0;
      const a0a = v128.load(r0), a0b = v128.load(r0, 16), a1a = v128.load(r1), a1b = v128.load(r1, 16);
      const p = g + (<usize>(i - i0) << 4);
      let u = v128.load(p), v = v128.load(p, 16);
      s0a = f64x2.add(s0a, f64x2.add(f64x2.mul(u, a0a), f64x2.mul(v, a1a)));
      s0b = f64x2.add(s0b, f64x2.add(f64x2.mul(u, a0b), f64x2.mul(v, a1b)));
      u = v128.load(p + gs); v = v128.load(p + gs, 16);
      s1a = f64x2.add(s1a, f64x2.add(f64x2.mul(u, a0a), f64x2.mul(v, a1a)));
      s1b = f64x2.add(s1b, f64x2.add(f64x2.mul(u, a0b), f64x2.mul(v, a1b)));
      u = v128.load(p + 2 * gs); v = v128.load(p + 2 * gs, 16);
      s2a = f64x2.add(s2a, f64x2.add(f64x2.mul(u, a0a), f64x2.mul(v, a1a)));
      s2b = f64x2.add(s2b, f64x2.add(f64x2.mul(u, a0b), f64x2.mul(v, a1b)));
      u = v128.load(p + 3 * gs); v = v128.load(p + 3 * gs, 16);
      s3a = f64x2.add(s3a, f64x2.add(f64x2.mul(u, a0a), f64x2.mul(v, a1a)));
      s3b = f64x2.add(s3b, f64x2.add(f64x2.mul(u, a0b), f64x2.mul(v, a1b)));
    }
    v128.store(d0, s0a); v128.store(d0, s0b, 16); v128.store(d1, s1a); v128.store(d1, s1b, 16);
    v128.store(d2, s2a); v128.store(d2, s2b, 16); v128.store(d3, s3a); v128.store(d3, s3b, 16);
  }
  // The last 1–3 columns, one output row at a time.
  if (j < n) for (let r = 0; r < KB; r++) tail(a, m, n, j, i0, i1, g + (<usize>(r * PANEL) << 4), dst + <usize>r * rowBytes);
}

/** One output row over panel rows i0..i1 (a block of fewer than KB rows). */
function block1(a: usize, m: i32, n: i32, i0: i32, i1: i32, g: usize, dst: usize): void {
  const rowBytes = <usize>n << 3;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 3;
    let sa = v128.load(dst + o), sb = v128.load(dst + o, 16);
    for (let i = i0; i < i1; i += 2) {
      const r0 = a + <usize>i * rowBytes + o, r1 = i + 1 < m ? r0 + rowBytes : r0;
      const p = g + (<usize>(i - i0) << 4);
      const u = v128.load(p), v = v128.load(p, 16);
      sa = f64x2.add(sa, f64x2.add(f64x2.mul(u, v128.load(r0)), f64x2.mul(v, v128.load(r1))));
      sb = f64x2.add(sb, f64x2.add(f64x2.mul(u, v128.load(r0, 16)), f64x2.mul(v, v128.load(r1, 16))));
    }
    v128.store(dst + o, sa); v128.store(dst + o, sb, 16);
  }
  if (j < n) tail(a, m, n, j, i0, i1, g, dst);
}

/** Columns j..n of one output row over panel rows i0..i1, one scalar at a time. */
function tail(a: usize, m: i32, n: i32, j: i32, i0: i32, i1: i32, g: usize, dst: usize): void {
  const rowBytes = <usize>n << 3;
  for (; j < n; j++) {
    const o = <usize>j << 3;
    let s = load<f64>(dst + o);
    for (let i = i0; i < i1; i += 2) {
      const r0 = a + <usize>i * rowBytes + o, r1 = i + 1 < m ? r0 + rowBytes : r0;
      const p = g + (<usize>(i - i0) << 4);
      s = s + (load<f64>(p) * load<f64>(r0) + load<f64>(p, 16) * load<f64>(r1));
    }
    store<f64>(dst + o, s);
  }
}
