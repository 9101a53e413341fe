// Triangular solve with many right-hand sides, f64, column-major:
// B ← alpha·op(T)⁻¹·B, T n×n triangular, B n×r. Blocked: each diagonal block
// of TRSM_BLOCK rows is solved by substitution (n·TRSM_BLOCK of the n² flops
// per right-hand side run outside GEMM, so the block is small), then the rest of B is updated
// through the GEMM kernel (B₂ −= op(T)₂₁·X₁). Threads take whole 4-column
// slivers of B; a column's arithmetic does not depend on its neighbours, so
// the bits do not depend on the thread count.
import { GEMM_WORK, gemmAdd, gemmWorkspace, scaleColumns, sliverStart } from "./gemm";

const TRSM_BLOCK: i32 = 64;

/** Address of op(T)[i, p]: T[i, p], or T[p, i] when transposed. */
// @ts-ignore: decorator
@inline function opAt(t: usize, ld: usize, trans: bool, i: i32, p: i32): usize {
  return trans ? t + <usize>i * ld + (<usize>p << 3) : t + <usize>p * ld + (<usize>i << 3);
}

/**
 * x[i0:i1] ← op(T)[i0:i1, i0:i1]⁻¹·x[i0:i1] by substitution, reading T along
 * its contiguous columns: column-oriented (axpy) for op(T) = T, row-oriented
 * (dot) for op(T) = Tᵀ, whose rows are T's columns.
 */
function solveBlock(t: usize, tl: usize, trans: bool, unit: bool, lower: bool, i0: i32, i1: i32, x: usize): void {
  if (!trans) {
    for (let q = i0; q < i1; q++) {
      const p = lower ? q : i0 + i1 - 1 - q;
      const col = t + <usize>p * tl;
      const xp = unit ? load<f64>(x + (<usize>p << 3)) : load<f64>(x + (<usize>p << 3)) / load<f64>(col + (<usize>p << 3));
      store<f64>(x + (<usize>p << 3), xp);
      const r0 = lower ? p + 1 : i0, r1 = lower ? i1 : p;
      for (let i = r0; i < r1; i++) {
        const o = <usize>i << 3;
        store<f64>(x + o, load<f64>(x + o) - load<f64>(col + o) * xp);
      }
    }
    return;
  }
  for (let q = i0; q < i1; q++) {
    const i = lower ? q : i0 + i1 - 1 - q;
    const row = t + <usize>i * tl; // op(T)[i, p] = T[p, i]
    const p0 = lower ? i0 : i + 1, p1 = lower ? i : i1;
    let s = load<f64>(x + (<usize>i << 3));
    for (let p = p0; p < p1; p++) s -= load<f64>(row + (<usize>p << 3)) * load<f64>(x + (<usize>p << 3));
    store<f64>(x + (<usize>i << 3), unit ? s : s / load<f64>(row + (<usize>i << 3)));
  }
}

/** Bytes of trsm_f64's workspace: each thread's GEMM packing space. */
export function trsmWorkspace(nthreads: i32): usize {
  return gemmWorkspace(nthreads);
}

/**
 * `lower`: op(T) is lower triangular (forward substitution), else upper.
 * `unit`: T's diagonal is taken as ones (not read).
 */
export function trsm_f64(
  lower: i32, transT: i32, unit: i32, t: usize, ldt: i32, b: usize, ldb: i32, n: i32, r: i32,
  alpha: f64, work: usize, team: usize, tid: i32, nthreads: i32,
): void {
  const j0 = sliverStart(r, tid, nthreads), j1 = sliverStart(r, tid + 1, nthreads);
  if (j0 >= j1) return;
  scaleColumns(b, ldb, n, j0, j1, alpha);
  const mine = work + ((<usize>tid * GEMM_WORK) << 3);
  const tl = <usize>ldt << 3, bl = <usize>ldb << 3, trans = transT != 0;
  const bj = b + <usize>j0 * bl, cols = j1 - j0;
  const blocks = (n + TRSM_BLOCK - 1) / TRSM_BLOCK;
  for (let q = 0; q < blocks; q++) {
    // Forward: blocks top down; backward: bottom up.
    const blk = lower ? q : blocks - 1 - q;
    const i0 = blk * TRSM_BLOCK, i1 = min(n, i0 + TRSM_BLOCK);
    for (let j = 0; j < cols; j++) solveBlock(t, tl, trans, unit != 0, lower != 0, i0, i1, bj + <usize>j * bl);
    // The rows not solved yet take the block's contribution: B[rest] −= op(T)[rest, i0:i1]·X[i0:i1].
    const r0 = lower ? i1 : 0, r1 = lower ? n : i0;
    if (r1 > r0) {
      gemmAdd(trans, opAt(t, tl, trans, r0, i0), ldt, false, bj + (<usize>i0 << 3), ldb,
        bj + (<usize>r0 << 3), ldb, r1 - r0, cols, i1 - i0, -1.0, mine);
    }
  }
}
