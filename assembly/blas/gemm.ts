// Level-3 BLAS, f64, column-major: C += alpha·op(A)·op(B) the GotoBLAS way.
// op(B) is cut into panels of KC×NC and op(A) into blocks of MC×KC, each
// packed into `work` in the order the micro-kernel reads them (MR-row slivers
// of A, NR-column slivers of B, zero-padded at the edges), and a
// register-blocked MR×NR micro-kernel of f64x2 multiply–adds runs over them.
//
// Every C element is the sum over k in KC blocks, in increasing k within a
// block, added to C block by block: that order depends on nothing but k, so
// the bits are the same whichever tile, panel or thread an element falls in
// (zero padding adds exact zeros to lanes that are never stored). Threads
// take ranges of whole NR-column slivers of C and pack their own copies.
// No fused multiply–add: the threads, single and relaxed builds agree.
import { rangeStart } from "../core/team";

export const GEMM_MR: i32 = 4;
export const GEMM_NR: i32 = 4;
export const GEMM_MC: i32 = 128;
export const GEMM_KC: i32 = 256;
export const GEMM_NC: i32 = 1024;
/** f64 of `work` one thread of gemmAdd needs: packed A, packed B, an edge tile. */
export const GEMM_WORK: i32 = GEMM_MC * GEMM_KC + GEMM_KC * GEMM_NC + GEMM_MR * GEMM_NR;

/** Bytes of gemm_f64's workspace: GEMM_WORK f64 per thread, each packing its own copies. */
export function gemmWorkspace(nthreads: i32): usize {
  return (<usize>nthreads * GEMM_WORK) << 3;
}

/**
 * Packs rows i0..i0+mc of op(A) (A column-major, lda in elements; op = ᵀ if
 * transA) at columns p0..p0+kc into MR-row slivers, each kc×MR, k-major.
 */
function packA(a: usize, lda: i32, transA: bool, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  const ld = <usize>lda << 3;
  for (let r = 0; r < mc; r += GEMM_MR) {
    const rows = min(GEMM_MR, mc - r);
    const sliver = dst + ((<usize>r * kc) << 3);
    if (!transA && rows == GEMM_MR) {
      let src = a + <usize>p0 * ld + (<usize>(i0 + r) << 3);
      for (let p = 0; p < kc; p++) {
        const d = sliver + ((<usize>p * GEMM_MR) << 3);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += ld;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = sliver + ((<usize>p * GEMM_MR) << 3);
        for (let q = 0; q < GEMM_MR; q++) {
          let v: f64 = 0;
          if (q < rows) {
            const i = <usize>(i0 + r + q), k = <usize>(p0 + p);
            v = transA ? load<f64>(a + i * ld + (k << 3)) : load<f64>(a + k * ld + (i << 3));
          }
          store<f64>(d + (<usize>q << 3), v);
        }
      }
    }
  }
}

/**
 * Packs columns j0..j0+nc of op(B) at rows p0..p0+kc into NR-column slivers,
 * each kc×NR, k-major.
 */
function packB(b: usize, ldb: i32, transB: bool, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  const ld = <usize>ldb << 3;
  for (let s = 0; s < nc; s += GEMM_NR) {
    const cols = min(GEMM_NR, nc - s);
    const sliver = dst + ((<usize>s * kc) << 3);
    if (transB && cols == GEMM_NR) {
      // op(B)[k, j] = B[j, k]: the NR values of one k are contiguous.
      let src = b + <usize>p0 * ld + (<usize>(j0 + s) << 3);
      for (let p = 0; p < kc; p++) {
        const d = sliver + ((<usize>p * GEMM_NR) << 3);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += ld;
      }
    } else if (cols == GEMM_NR) {
      const c0 = b + <usize>(j0 + s) * ld + (<usize>p0 << 3);
      const c1 = c0 + ld, c2 = c1 + ld, c3 = c2 + ld;
      for (let p = 0; p < kc; p++) {
        const d = sliver + ((<usize>p * GEMM_NR) << 3), o = <usize>p << 3;
        store<f64>(d, load<f64>(c0 + o)); store<f64>(d, load<f64>(c1 + o), 8);
        store<f64>(d, load<f64>(c2 + o), 16); store<f64>(d, load<f64>(c3 + o), 24);
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = sliver + ((<usize>p * GEMM_NR) << 3);
        for (let q = 0; q < GEMM_NR; q++) {
          let v: f64 = 0;
          if (q < cols) {
            const j = <usize>(j0 + s + q), k = <usize>(p0 + p);
            v = transB ? load<f64>(b + k * ld + (j << 3)) : load<f64>(b + j * ld + (k << 3));
          }
          store<f64>(d + (<usize>q << 3), v);
        }
      }
    }
  }
}

/**
 * C[0:rows, 0:cols] += alpha·(packed A sliver)·(packed B sliver) over kc:
 * the MR×NR register block (8 f64x2 accumulators). `edge` holds MR·NR f64
 * for partial tiles.
 */
export function microKernel(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, rows: i32, cols: i32, alpha: f64, edge: usize): void {
  let c00 = f64x2.splat(0), c10 = f64x2.splat(0), c01 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c02 = f64x2.splat(0), c12 = f64x2.splat(0), c03 = f64x2.splat(0), c13 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const a0 = v128.load(ap), a1 = v128.load(ap, 16);
    let b = v128.load64_splat(bp);
    c00 = f64x2.add(c00, f64x2.mul(a0, b)); c10 = f64x2.add(c10, f64x2.mul(a1, b));
    b = v128.load64_splat(bp, 8);
    c01 = f64x2.add(c01, f64x2.mul(a0, b)); c11 = f64x2.add(c11, f64x2.mul(a1, b));
    b = v128.load64_splat(bp, 16);
    c02 = f64x2.add(c02, f64x2.mul(a0, b)); c12 = f64x2.add(c12, f64x2.mul(a1, b));
    b = v128.load64_splat(bp, 24);
    c03 = f64x2.add(c03, f64x2.mul(a0, b)); c13 = f64x2.add(c13, f64x2.mul(a1, b));
    ap += GEMM_MR << 3;
    bp += GEMM_NR << 3;
  }
  const al = f64x2.splat(alpha);
  if (rows == GEMM_MR && cols == GEMM_NR) {
    let cj = c;
    v128.store(cj, f64x2.add(v128.load(cj), f64x2.mul(al, c00))); v128.store(cj, f64x2.add(v128.load(cj, 16), f64x2.mul(al, c10)), 16);
    cj += ldc;
    v128.store(cj, f64x2.add(v128.load(cj), f64x2.mul(al, c01))); v128.store(cj, f64x2.add(v128.load(cj, 16), f64x2.mul(al, c11)), 16);
    cj += ldc;
    v128.store(cj, f64x2.add(v128.load(cj), f64x2.mul(al, c02))); v128.store(cj, f64x2.add(v128.load(cj, 16), f64x2.mul(al, c12)), 16);
    cj += ldc;
    v128.store(cj, f64x2.add(v128.load(cj), f64x2.mul(al, c03))); v128.store(cj, f64x2.add(v128.load(cj, 16), f64x2.mul(al, c13)), 16);
    return;
  }
  // Partial tile: the same lane arithmetic, element by element.
  v128.store(edge, f64x2.mul(al, c00)); v128.store(edge, f64x2.mul(al, c10), 16);
  v128.store(edge, f64x2.mul(al, c01), 32); v128.store(edge, f64x2.mul(al, c11), 48);
  v128.store(edge, f64x2.mul(al, c02), 64); v128.store(edge, f64x2.mul(al, c12), 80);
  v128.store(edge, f64x2.mul(al, c03), 96); v128.store(edge, f64x2.mul(al, c13), 112);
  for (let j = 0; j < cols; j++) {
    const cj = c + <usize>j * ldc, ej = edge + ((<usize>j * GEMM_MR) << 3);
    for (let i = 0; i < rows; i++) {
      const o = <usize>i << 3;
      store<f64>(cj + o, load<f64>(cj + o) + load<f64>(ej + o));
    }
  }
}

/**
 * One thread's C += alpha·op(A)·op(B): C m×n (ldc), op(A) m×k, op(B) k×n,
 * all column-major with leading dimensions in elements. `work` holds
 * GEMM_WORK f64. `triangle` (syrk): 1 skips the tiles wholly above C's
 * diagonal, −1 those wholly below it, 0 none (a full product); C's local
 * column j has its diagonal at row j + `diagonal`.
 */
export function gemmAdd(
  transA: bool, a: usize, lda: i32, transB: bool, b: usize, ldb: i32,
  c: usize, ldc: i32, m: i32, n: i32, k: i32, alpha: f64, work: usize, triangle: i32 = 0, diagonal: i32 = 0,
): void {
  if (m <= 0 || n <= 0 || k <= 0 || alpha == 0) return;
  const apack = work, bpack = apack + ((<usize>GEMM_MC * GEMM_KC) << 3);
  const edge = bpack + ((<usize>GEMM_KC * GEMM_NC) << 3);
  const cld = <usize>ldc << 3;
  for (let j0 = 0; j0 < n; j0 += GEMM_NC) {
    const nc = min(GEMM_NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += GEMM_KC) {
      const kc = min(GEMM_KC, k - p0);
      packB(b, ldb, transB, p0, kc, j0, nc, bpack);
      for (let i0 = 0; i0 < m; i0 += GEMM_MC) {
        const mc = min(GEMM_MC, m - i0);
        // syrk: a block of rows wholly on the skipped side of the diagonal is not needed.
        if (triangle > 0 && i0 + mc <= j0 + diagonal) continue;
        if (triangle < 0 && i0 >= j0 + nc + diagonal) continue;
        packA(a, lda, transA, i0, mc, p0, kc, apack);
        for (let s = 0; s < nc; s += GEMM_NR) {
          const cols = min(GEMM_NR, nc - s);
          const bs = bpack + ((<usize>s * kc) << 3);
          const cj = c + <usize>(j0 + s) * cld;
          for (let r = 0; r < mc; r += GEMM_MR) {
            const gi = i0 + r, gj = j0 + s + diagonal;
            if (triangle > 0 && gi + GEMM_MR <= gj) continue; // lower: tile above the diagonal
            if (triangle < 0 && gi >= gj + cols) continue; // upper: tile below it
            microKernel(apack + ((<usize>r * kc) << 3), bs, kc, cj + (<usize>gi << 3), cld,
              min(GEMM_MR, mc - r), cols, alpha, edge);
          }
        }
      }
    }
  }
}

/** C[0:m, j0:j1] ← beta·C (beta = 0: C is not read, as BLAS: it may hold NaN). */
export function scaleColumns(c: usize, ldc: i32, m: i32, j0: i32, j1: i32, beta: f64): void {
  if (beta == 1) return;
  for (let j = j0; j < j1; j++) {
    const col = c + ((<usize>j * ldc) << 3);
    if (beta == 0) memory.fill(col, 0, <usize>m << 3);
    else for (let i = 0; i < m; i++) store<f64>(col + (<usize>i << 3), beta * load<f64>(col + (<usize>i << 3)));
  }
}

/** This thread's columns [j0, j1) of n: whole NR slivers. */
// @ts-ignore: decorator
@inline export function sliverStart(n: i32, tid: i32, nthreads: i32): i32 {
  const slivers = (n + GEMM_NR - 1) / GEMM_NR;
  return min(n, rangeStart(slivers, tid, nthreads) * GEMM_NR);
}

/** C ← alpha·op(A)·op(B) + beta·C, column-major (see the file's head). */
export function gemm_f64(
  transA: i32, a: usize, lda: i32, transB: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  m: i32, n: i32, k: i32, alpha: f64, beta: f64, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const j0 = sliverStart(n, tid, nthreads), j1 = sliverStart(n, tid + 1, nthreads);
  if (j0 >= j1) return;
  scaleColumns(c, ldc, m, j0, j1, beta);
  const mine = work + ((<usize>tid * GEMM_WORK) << 3);
  const cols = b + ((transB ? <usize>j0 : <usize>j0 * ldb) << 3);
  gemmAdd(transA != 0, a, lda, transB != 0, cols, ldb, c + ((<usize>j0 * ldc) << 3), ldc, m, j1 - j0, k, alpha, mine);
}
