// The wasm module's exports. Every kernel is a pure function over raw
// pointers into memory the host owns; the host names kernels by these names.
export { dot_f64, nrm2_f64, axpy_f64, scal_f64, copy_f64, triad_f64 } from "./blas/level1";
export { gemv_rows_f64, gemv_cols_f64 } from "./blas/level2";
export { spmv_csr_f64 } from "./blas/sparse";
export { spmd_noop, spmd_barriers } from "./core/probe";

/** End of the module's static data: the host's heap starts above it. */
export function heap_base(): usize {
  return __heap_base;
}
