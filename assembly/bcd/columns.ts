// A GLM design's columns, dense or sparse, as the newGLMNET kernels read
// them (glmnet.ts: binary; multinomial_l1.ts: one class at a time): column
// dots, column updates and the quadratic model's step, each summed in one
// fixed order so a column gives the same bits whichever kernel reads it.
import { at } from "../core/memory";
import { madd_f64x2 } from "../core/vexp";
import { dot, dotSq } from "../core/dots";

// A sparse design (CSC): column j's nonzeros are a[k], rows[k] for k in colptr[j]..colptr[j+1].
// gColptr = 0: a dense column-major design.
let gColptr: usize = 0, gRows: usize = 0;

/** The design of this launch: CSC (colptr, rows; a holds the nonzeros) or dense (colptr = 0). */
export function useColumns(colptr: usize, rows: usize): void {
  gColptr = colptr; gRows = rows;
}

// @ts-ignore: decorator
@inline export function sparseColumns(): bool {
  return gColptr != 0;
}

// @ts-ignore: decorator
@inline function nz(j: i32): i32 {
  return load<i32>(gColptr + (<usize>j << 2));
}
// @ts-ignore: decorator
@inline function row(k: i32): i32 {
  return load<i32>(gRows + (<usize>k << 2));
}

/** a_jᵀv. */
// @ts-ignore: decorator
@inline export function colDot(a: usize, j: i32, v: usize, n: i32): f64 {
  if (gColptr == 0) return dot(a + ((<usize>j * n) << 3), v, n);
  let t: f64 = 0;
  for (let k = nz(j), k1 = nz(j + 1); k < k1; k++) t += load<f64>(at(a, k)) * load<f64>(at(v, row(k)));
  return t;
}

/** Σ_i a_ij²·d_i. */
// @ts-ignore: decorator
@inline export function colDotSq(a: usize, j: i32, d: usize, n: i32): f64 {
  if (gColptr == 0) return dotSq(a + ((<usize>j * n) << 3), d, n);
  let t: f64 = 0;
  for (let k = nz(j), k1 = nz(j + 1); k < k1; k++) { const v = load<f64>(at(a, k)); t += v * v * load<f64>(at(d, row(k))); }
  return t;
}

/** y += δ·a_j. */
export function colAxpy(delta: f64, a: usize, j: i32, y: usize, n: i32): void {
  if (gColptr == 0) { axpy(delta, a + ((<usize>j * n) << 3), y, n); return; }
  for (let k = nz(j), k1 = nz(j + 1); k < k1; k++) { const i = row(k); store<f64>(at(y, i), load<f64>(at(y, i)) + delta * load<f64>(at(a, k))); }
}

/** modelStep on sparse column j. */
// @ts-ignore: decorator
@inline export function modelStepSparse(delta: f64, a: usize, j: i32, dd: usize, xd: usize, dxd: usize): void {
  for (let k = nz(j), k1 = nz(j + 1); k < k1; k++) {
    const i = row(k), v = delta * load<f64>(at(a, k));
    store<f64>(at(xd, i), load<f64>(at(xd, i)) + v);
    store<f64>(at(dxd, i), load<f64>(at(dxd, i)) + v * load<f64>(at(dd, i)));
  }
}

export function sum(v: usize, n: i32): f64 {
  let t: f64 = 0;
  for (let i = 0; i < n; i++) t += load<f64>(at(v, i));
  return t;
}

/** y += δ·x. */
export function axpy(delta: f64, x: usize, y: usize, n: i32): void {
  const dv = f64x2.splat(delta);
  let i = 0;
  for (; i + 1 < n; i += 2) v128.store(at(y, i), madd_f64x2(dv, v128.load(at(x, i)), v128.load(at(y, i))));
  for (; i < n; i++) store<f64>(at(y, i), load<f64>(at(y, i)) + delta * load<f64>(at(x, i)));
}

/** xd += δ·a_j and dxd += δ·D·a_j in one read of the column (col 0: the intercept's ones). */
export function modelStep(delta: f64, col: usize, dd: usize, xd: usize, dxd: usize, n: i32): void {
  const dv = f64x2.splat(delta);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const v = col == 0 ? dv : f64x2.mul(dv, v128.load(at(col, i)));
    v128.store(at(xd, i), f64x2.add(v128.load(at(xd, i)), v));
    v128.store(at(dxd, i), madd_f64x2(v, v128.load(at(dd, i)), v128.load(at(dxd, i))));
  }
  for (; i < n; i++) {
    const v = col == 0 ? delta : delta * load<f64>(at(col, i));
    store<f64>(at(xd, i), load<f64>(at(xd, i)) + v);
    store<f64>(at(dxd, i), load<f64>(at(dxd, i)) + v * load<f64>(at(dd, i)));
  }
}
