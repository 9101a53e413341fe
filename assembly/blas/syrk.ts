// Symmetric rank-k update, f64, column-major: one triangle of
// C ← alpha·op(A)·op(A)ᵀ + beta·C (op(A) = A, n×k, or Aᵀ), through the GEMM
// kernel with the tiles off the triangle skipped. Threads take whole
// 4-column slivers (balanced by the triangle's area); each entry is summed as
// gemm sums it, so the bits do not depend on the thread count.
import { rangeStart } from "../core/team";
import { padded } from "../core/memory";
import { GEMM_MR, GEMM_NR, GEMM_WORK, gemmAdd, gemmWorkspace } from "./gemm";

/** First column of thread `tid`'s share of a triangle of n columns, balanced by area, in whole slivers. */
function triangleStart(n: i32, lower: bool, tid: i32, nthreads: i32): i32 {
  if (tid <= 0) return 0;
  if (tid >= nthreads) return n;
  // Columns j..n−1 of the lower triangle hold (n−j)(n−j+1)/2 entries; columns 0..j−1 of the upper j(j+1)/2.
  const total = <f64>n * <f64>(n + 1) / 2, share = total * <f64>tid / <f64>nthreads;
  let j = lower ? <i32>Math.round(<f64>n + 0.5 - Math.sqrt(2 * (total - share) + 0.25)) : <i32>Math.round(Math.sqrt(2 * share + 0.25) - 0.5);
  j = (j + GEMM_NR / 2) / GEMM_NR * GEMM_NR;
  return min(n, max(0, j));
}

/** Bytes of the band (see syrk_f64), on whole cache lines. */
// @ts-ignore: decorator
@inline function bandBytes(n: i32): usize {
  return padded((<usize>n * GEMM_MR) << 3);
}

/** Bytes of syrk_f64's workspace: the band, then the GEMM packing space of every thread. */
export function syrkWorkspace(n: i32, nthreads: i32): usize {
  return bandBytes(n) + gemmWorkspace(nthreads);
}

/**
 * `work` starts with the band, 4·n f64: the entries of C's other triangle
 * inside the 4×4 diagonal tiles the micro-kernel writes whole, kept and put
 * back; then each thread's GEMM packing space.
 */
export function syrk_f64(
  transA: i32, lower: i32, a: usize, lda: i32, c: usize, ldc: i32, n: i32, k: i32,
  alpha: f64, beta: f64, work: usize, team: usize, tid: i32, nthreads: i32,
): void {
  const band = work, packs = work + bandBytes(n);
  const j0 = triangleStart(n, lower != 0, tid, nthreads), j1 = triangleStart(n, lower != 0, tid + 1, nthreads);
  if (j0 >= j1) return;
  const cld = <usize>ldc << 3;
  // beta·C on the triangle only; the other triangle's diagonal-tile entries saved.
  for (let j = j0; j < j1; j++) {
    const col = c + <usize>j * cld;
    const i0 = lower ? j : 0, i1 = lower ? n : j + 1;
    for (let i = i0; i < i1; i++) {
      const p = col + (<usize>i << 3);
      store<f64>(p, beta == 0 ? 0 : beta * load<f64>(p));
    }
    const tile = j / GEMM_MR * GEMM_MR;
    for (let q = 0; q < GEMM_MR; q++) {
      const i = lower ? tile + q : j + 1 + q;
      const keep = lower ? i < j : i < min(n, tile + GEMM_MR);
      if (keep) store<f64>(band + ((<usize>j * GEMM_MR + q) << 3), load<f64>(col + (<usize>i << 3)));
    }
  }
  const mine = packs + ((<usize>tid * GEMM_WORK) << 3);
  // op(A) is n×k: column-major A (n×k) as is, or Aᵀ of a k×n A. op(A)ᵀ is the B operand.
  const cols = a + ((transA ? <usize>j0 * lda : <usize>j0) << 3);
  gemmAdd(transA != 0, a, lda, transA == 0, cols, lda, c + <usize>j0 * cld, ldc, n, j1 - j0, k, alpha, mine, lower ? 1 : -1, j0);
  for (let j = j0; j < j1; j++) {
    const col = c + <usize>j * cld;
    const tile = j / GEMM_MR * GEMM_MR;
    for (let q = 0; q < GEMM_MR; q++) {
      const i = lower ? tile + q : j + 1 + q;
      const keep = lower ? i < j : i < min(n, tile + GEMM_MR);
      if (keep) store<f64>(col + (<usize>i << 3), load<f64>(band + ((<usize>j * GEMM_MR + q) << 3)));
    }
  }
}
