// Least squares over a CSR A (m×n; indptr, indices: i32; data: f64) or a dense
// row-major one, without densifying: one Golub–Kahan half step per launch
// (LSQR's and LSMR's only O(nnz) work, the host doing the O(n) rest) and the
// sparse sign sketch of [A b] read once, row by row.
//
// The step reads A once: each thread takes its groups of rows and, row by
// row, forms ũ_i = α·(A·t)_i − ρ·ũ_i and adds ũ_i·A[i,:] to its group's
// partial of Aᵀũ. Groups are whole chunks (CHUNK rows), as many as fit
// PARTIAL_ENTRIES n-vectors, fixed by m and n alone; partials are summed in
// group order, so results do not depend on the thread count.
import { barrier, rangeStart } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { at, padded } from "../core/memory";
import { mix64 } from "../core/rng";
import { dotContiguous } from "../blas/level1";
import { csrRowDot } from "../blas/sparse";
import { GkStepCsrF64Out, GkStepDenseF64Out } from "../generated/layouts";
import { addScaledRow, clearOwnRows, sumChunkColumns } from "./rows";

/** Entries of Aᵀũ partials at most (groups × n), whatever m: 16 MiB. */
const PARTIAL_ENTRIES: i32 = 1 << 21;

/** Rows of a partial group: whole chunks, so that groups × n ≤ PARTIAL_ENTRIES where possible. */
function groupRows(m: i32, n: i32): i32 {
  const chunks = chunkCount(m);
  const groups = max(1, min(chunks, PARTIAL_ENTRIES / max(1, n)));
  return ((chunks + groups - 1) / groups) * CHUNK;
}

function groupCount(m: i32, n: i32): i32 {
  const rows = groupRows(m, n);
  return (m + rows - 1) / rows;
}

/** Bytes of a step's workspace: the groups' n-vector partials, then their ‖ũ‖² partials. */
export function gkStepWorkspace(m: i32, n: i32): f64 {
  // In f64: the host sizes calls too large for wasm memory with it (before refusing them).
  const g = <f64>groupCount(m, n);
  return Math.ceil(g * <f64>n / 8) * 64 + Math.ceil(g / 8) * 64;
}

/** ũ_i ← α·dot − ρ·ũ_i; ρ = 0 never reads ũ (it may hold anything). */
// @ts-ignore: decorator
@inline function nextU(u: usize, i: i32, alpha: f64, dot: f64, ratio: f64): f64 {
  const ui = (alpha != 0 ? alpha * dot : 0.0) - (ratio != 0 ? ratio * load<f64>(at(u, i)) : 0.0);
  store<f64>(at(u, i), ui);
  return ui;
}

/**
 * The step over A in CSR (csr: a = indptr) or dense rows (a + i·lda): each
 * thread's groups, then Aᵀũ summed in group order. `csr` is a constant in
 * each kernel below, so each compiles to its own loop.
 */
// @ts-ignore: decorator
@inline function step(
  csr: bool, a: usize, lda: i32, indices: usize, data: usize, m: i32, n: i32,
  t: usize, alpha: f64, u: usize, ratio: f64, s: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): f64 {
  const groups = groupCount(m, n), rows = groupRows(m, n);
  const norms = work + padded((<usize>groups * <usize>n) << 3);
  const g1 = rangeStart(groups, tid + 1, nthreads);
  for (let g = rangeStart(groups, tid, nthreads); g < g1; g++) {
    const part = work + ((<usize>g * n) << 3);
    memory.fill(part, 0, <usize>n << 3);
    let nn: f64 = 0;
    const i1 = min(m, (g + 1) * rows);
    for (let i = g * rows; i < i1; i++) {
      const row = a + ((<usize>i * lda) << 3);
      const dot = alpha == 0 ? 0.0 : csr ? csrRowDot(a, indices, data, t, i) : dotContiguous(row, t, n);
      const ui = nextU(u, i, alpha, dot, ratio);
      nn += ui * ui;
      if (csr) {
        const k1 = load<i32>(a + (<usize>(i + 1) << 2));
        for (let k = load<i32>(a + (<usize>i << 2)); k < k1; k++) {
          const p = at(part, load<i32>(indices + (<usize>k << 2)));
          store<f64>(p, load<f64>(p) + ui * load<f64>(at(data, k)));
        }
      } else {
        addScaledRow(part, row, ui, n);
      }
    }
    store<f64>(at(norms, g), nn);
  }
  barrier(team, nthreads);
  sumChunkColumns(work, groups, n, s, tid, nthreads);
  return tid == 0 ? sumPartials(norms, groups) : 0.0;
}

/**
 * ũ ← α·A·t − ρ·ũ (m-vector, in place), s ← Aᵀũ (n-vector), out.normsq ← ‖ũ‖²,
 * A in CSR. α = 0 skips the product (ũ ← −ρ·ũ: the first step takes ũ = b).
 */
export function gk_step_csr_f64(
  indptr: usize, indices: usize, data: usize, m: i32, n: i32,
  t: usize, alpha: f64, u: usize, ratio: f64, s: usize, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const normsq = step(true, indptr, 0, indices, data, m, n, t, alpha, u, ratio, s, work, team, tid, nthreads);
  if (tid == 0) store<f64>(at(out, GkStepCsrF64Out.normsq), normsq);
}

/** gk_step_csr_f64 for a dense row-major A (row i at a + i·lda). */
export function gk_step_dense_f64(
  a: usize, lda: i32, m: i32, n: i32,
  t: usize, alpha: f64, u: usize, ratio: f64, s: usize, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const normsq = step(false, a, lda, 0, 0, m, n, t, alpha, u, ratio, s, work, team, tid, nthreads);
  if (tid == 0) store<f64>(at(out, GkStepDenseF64Out.normsq), normsq);
}

/**
 * sa (d×w row-major, w = n + 1 when b ≠ 0 else n) = S·[A b] for a CSR A: the
 * sparse sign sketch of sketch_sparse_f64 (same hashes, so the same S, and the
 * same sums: a zero of A adds ±0), reading each row's nonzeros only.
 */
export function sketch_sparse_csr_f64(
  indptr: usize, indices: usize, data: usize, m: i32, n: i32, b: usize,
  d: i32, s: i32, seed: f64, sa: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const w = b != 0 ? n + 1 : n;
  const k0 = rangeStart(d, tid, nthreads), k1 = rangeStart(d, tid + 1, nthreads);
  const rowBytes = <usize>w << 3;
  clearOwnRows(sa, d, w, tid, nthreads);
  const scale = 1.0 / Math.sqrt(<f64>s);
  const key = <u64>seed;
  const blk = d / s;
  for (let i = 0; i < m; i++) {
    const p0 = load<i32>(indptr + (<usize>i << 2)), p1 = load<i32>(indptr + (<usize>(i + 1) << 2));
    for (let r = 0; r < s; r++) {
      const h = mix64(key, (<u64>i * <u64>s) + <u64>r);
      // Nonzero r of a column of S lands in block r of d/s rows (as sketch_sparse_f64).
      const k = r * blk + <i32>((h >> 1) % <u64>blk);
      if (k < k0 || k >= k1) continue;
      const v = (h & 1) != 0 ? scale : -scale;
      const row = sa + <usize>k * rowBytes;
      for (let p = p0; p < p1; p++) {
        const q = at(row, load<i32>(indices + (<usize>p << 2)));
        store<f64>(q, load<f64>(q) + v * load<f64>(at(data, p)));
      }
      if (b != 0) store<f64>(at(row, n), load<f64>(at(row, n)) + v * load<f64>(at(b, i)));
    }
  }
}
