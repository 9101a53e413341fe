// The subsampled randomized Hadamard transform S = √(p/d)·P·H·D over the rows
// of a tall row-major m×n A, zero-padded to p = 2^⌈log₂ m⌉ rows: D flips the
// sign of each row at random, H is the orthonormal Walsh–Hadamard transform
// (1/√p times the ±1 Sylvester matrix), P keeps d of the p rows, drawn
// uniformly without replacement. The scales combine to 1/√d on the ±1 FWHT.
//
// Each column of D·A is copied into a column-major p×n buffer and
// transformed there on its own (a column of 2^17 f64 stays in L2), so threads
// split the columns and no sum depends on the thread count. Signs and the
// sample are pure functions of the seed (core/rng.ts).
import { mix64, streamKey } from "../core/rng";
import { barrier, rangeStart } from "../core/team";
import { padded } from "../core/memory";

/**
 * In-place unnormalised Walsh–Hadamard transform of x[0..len), len a power
 * of two: butterflies (u, v) → (u + v, u − v) at strides 1, 2, 4, …, two
 * strides per pass (radix 4) so the column is read half as often. The sums
 * are the same, in the same order, as the textbook radix-2 loop.
 */
function fwht(x: usize, len: i32): void {
  if (len < 2) return;
  if (len == 2) {
    const u = load<f64>(x), v = load<f64>(x, 8);
    store<f64>(x, u + v);
    store<f64>(x, u - v, 8);
    return;
  }
  // Strides 1 and 2 inside each group of four.
  for (let g = 0; g < len; g += 4) {
    const p = x + (<usize>g << 3);
    const a = v128.load(p), b = v128.load(p, 16);
    // (x0, x1) → (x0 + x1, x0 − x1), likewise (x2, x3).
    const as = v128.shuffle<f64>(a, a, 1, 0), bs = v128.shuffle<f64>(b, b, 1, 0);
    const a1 = v128.shuffle<f64>(f64x2.add(a, as), f64x2.sub(a, as), 0, 2);
    const b1 = v128.shuffle<f64>(f64x2.add(b, bs), f64x2.sub(b, bs), 0, 2);
    v128.store(p, f64x2.add(a1, b1));
    v128.store(p, f64x2.sub(a1, b1), 16);
  }
  let h = 4;
  // Two strides (h, 2h) per pass while both fit.
  for (; h * 4 <= len; h <<= 2) {
    const hb = <usize>h << 3;
    for (let base = 0; base < len; base += 4 * h) {
      const p = x + (<usize>base << 3);
      for (let j = 0; j < h; j += 2) {
        const q0 = p + (<usize>j << 3), q1 = q0 + hb, q2 = q1 + hb, q3 = q2 + hb;
        const x0 = v128.load(q0), x1 = v128.load(q1), x2 = v128.load(q2), x3 = v128.load(q3);
        const t0 = f64x2.add(x0, x1), t1 = f64x2.sub(x0, x1), t2 = f64x2.add(x2, x3), t3 = f64x2.sub(x2, x3);
        v128.store(q0, f64x2.add(t0, t2));
        v128.store(q1, f64x2.add(t1, t3));
        v128.store(q2, f64x2.sub(t0, t2));
        v128.store(q3, f64x2.sub(t1, t3));
      }
    }
  }
  // One stride left over (log₂ len odd).
  if (h < len) {
    const hb = <usize>h << 3;
    for (let j = 0; j < h; j += 2) {
      const q0 = x + (<usize>j << 3), q1 = q0 + hb;
      const u = v128.load(q0), v = v128.load(q1);
      v128.store(q0, f64x2.add(u, v));
      v128.store(q1, f64x2.sub(u, v));
    }
  }
}

/** Rows of A zero-padded to a power of two: 2^⌈log₂ m⌉ (1 for m ≤ 1). */
function paddedRows(m: i32): i32 {
  return m <= 1 ? 1 : 1 << (32 - clz(m - 1));
}

/** Bytes of sketch_srht_f64's workspace: the transformed p×n columns, then the p-entry permutation. */
export function srhtWorkspace(m: i32, n: i32): f64 {
  const p = <usize>paddedRows(m);
  return <f64>(padded((p * <usize>n) << 3) + padded(p << 2));
}

/** The first d steps of a Fisher–Yates shuffle of 0..p−1 into perm (thread 0): d distinct rows. */
function drawSample(perm: usize, p: i32, d: i32, seed: f64): void {
  const rows = streamKey(<u64>seed, 3);
  for (let i = 0; i < p; i++) store<i32>(perm + (<usize>i << 2), i);
  for (let k = 0; k < d; k++) {
    const j = k + <i32>(mix64(rows, <u64>k) % <u64>(p - k));
    const pk = perm + (<usize>k << 2), pj = perm + (<usize>j << 2);
    const t = load<i32>(pk);
    store<i32>(pk, load<i32>(pj));
    store<i32>(pj, t);
  }
}

/**
 * Zero padding below row m and H on this thread's columns j0..j1 of the p×w
 * buffer, then (all threads) the sampled rows, scaled, into sa (d×w row-major).
 */
function transformAndGather(buf: usize, perm: usize, m: i32, p: i32, w: i32, d: i32, j0: i32, j1: i32, sa: usize, team: usize, tid: i32, nthreads: i32): void {
  const colBytes = <usize>p << 3, rowBytes = <usize>w << 3;
  for (let j = j0; j < j1; j++) {
    const col = buf + <usize>j * colBytes;
    memory.fill(col + (<usize>m << 3), 0, <usize>(p - m) << 3);
    fwht(col, p);
  }
  barrier(team, nthreads);
  // Gather the sampled rows, scaled: threads split the output rows.
  const scale = 1.0 / Math.sqrt(<f64>d);
  const k1 = rangeStart(d, tid + 1, nthreads);
  for (let k = rangeStart(d, tid, nthreads); k < k1; k++) {
    const src = buf + (<usize>load<i32>(perm + (<usize>k << 2)) << 3), dst = sa + <usize>k * rowBytes;
    for (let j = 0; j < w; j++) store<f64>(dst + (<usize>j << 3), scale * load<f64>(src + <usize>j * colBytes));
  }
}

/**
 * S·A into sa (d×n row-major, d ≤ the padded row count p). `work`:
 * srhtWorkspace bytes, the p×n column-major buffer and p i32 whose first d
 * entries are the sample.
 */
export function sketch_srht_f64(
  a: usize, m: i32, n: i32, d: i32, seed: f64, sa: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const p = paddedRows(m);
  const buf = work, perm = work + padded((<usize>p * <usize>n) << 3);
  const signs = streamKey(<u64>seed, 2);
  if (tid == 0) drawSample(perm, p, d, seed);
  // This thread's columns: D·A into the buffer (zero padding below), then H.
  const j0 = rangeStart(n, tid, nthreads), j1 = rangeStart(n, tid + 1, nthreads);
  const rowBytes = <usize>n << 3, colBytes = <usize>p << 3;
  // Eight rows at a time: each column receives 64 contiguous bytes (columns
  // lie a power of two apart, so row-by-row stores would collide in cache).
  for (let i0 = 0; i0 < m; i0 += 8) {
    const i1 = min(m, i0 + 8);
    let negative: u32 = 0;
    for (let i = i0; i < i1; i++) negative |= <u32>(mix64(signs, <u64>i) & 1) << <u32>(i - i0);
    for (let j = j0; j < j1; j++) {
      const dst = buf + <usize>j * colBytes, src = a + (<usize>j << 3);
      for (let i = i0; i < i1; i++) {
        const s: f64 = (negative >> <u32>(i - i0)) & 1 ? -1.0 : 1.0;
        store<f64>(dst + (<usize>i << 3), s * load<f64>(src + <usize>i * rowBytes));
      }
    }
  }
  transformAndGather(buf, perm, m, p, n, d, j0, j1, sa, team, tid, nthreads);
}

/** Bytes of sketch_srht_csr_f64's workspace: srhtWorkspace's for the n (+1 with b) columns, and a column of D's signed zeros. */
export function srhtCsrWorkspace(m: i32, n: i32, b: usize): f64 {
  return srhtWorkspace(m, b != 0 ? n + 1 : n) + <f64>padded(<usize>m << 3);
}

/**
 * S·[A b] (b optional, 0 for none) of a CSR A into sa (d×w row-major, w = n
 * or n + 1), one pass over its nonzeros: the same S and the same bits as
 * sketch_srht_f64 on [A b] made dense. Each of this thread's columns starts as
 * D·0 (signed zeros, as the dense kernel's ±1·0), then takes D·A's nonzeros.
 */
export function sketch_srht_csr_f64(
  indptr: usize, indices: usize, data: usize, m: i32, n: i32, b: usize,
  d: i32, seed: f64, sa: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const w = b != 0 ? n + 1 : n;
  const p = paddedRows(m);
  const buf = work, perm = buf + padded((<usize>p * <usize>w) << 3), zeros = perm + padded(<usize>p << 2);
  const signs = streamKey(<u64>seed, 2);
  if (tid == 0) drawSample(perm, p, d, seed);
  const j0 = rangeStart(w, tid, nthreads), j1 = rangeStart(w, tid + 1, nthreads);
  if (j0 < j1) {
    const colBytes = <usize>p << 3;
    // D's signs as signed zeros; a nonzero v of row i is then copysign(1, zero)·v.
    for (let i = 0; i < m; i++) store<f64>(zeros + (<usize>i << 3), (mix64(signs, <u64>i) & 1) != 0 ? -0.0 : 0.0);
    for (let j = j0; j < j1; j++) memory.copy(buf + <usize>j * colBytes, zeros, <usize>m << 3);
    for (let i = 0; i < m; i++) {
      const s = copysign<f64>(1.0, load<f64>(zeros + (<usize>i << 3)));
      const q0 = load<i32>(indptr + (<usize>i << 2)), q1 = load<i32>(indptr + (<usize>(i + 1) << 2));
      for (let q = q0; q < q1; q++) {
        const j = load<i32>(indices + (<usize>q << 2));
        if (j < j0 || j >= j1) continue;
        store<f64>(buf + <usize>j * colBytes + (<usize>i << 3), s * load<f64>(data + (<usize>q << 3)));
      }
      if (b != 0 && n >= j0 && n < j1) store<f64>(buf + <usize>n * colBytes + (<usize>i << 3), s * load<f64>(b + (<usize>i << 3)));
    }
  }
  transformAndGather(buf, perm, m, p, w, d, j0, j1, sa, team, tid, nthreads);
}
