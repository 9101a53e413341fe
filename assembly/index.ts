// The wasm module's exports. Every kernel is a pure function over raw
// pointers into memory the host owns; the host names kernels by these names.
// Kernels declared in assembly/*/kernels.json are exported by their generated
// entries (one parameter block each); the rest still take positional arguments.
export * from "./generated/kernels";
export { dot_f64, nrm2_f64, axpy_f64, scal_f64, copy_f64, triad_f64 } from "./blas/level1";
export { gemv_rows_f64, gemv_cols_f64 } from "./blas/level2";
export { gemm_f64, gemm_work_f64 } from "./blas/gemm";
export { syrk_f64 } from "./blas/syrk";
export { trsm_f64 } from "./blas/trsm";
export { spmv_csr_f64 } from "./blas/sparse";
export { cg_phase_curvature, cg_phase_update, cg_phase_direction } from "./krylov/cg";
export { symmetric_eigen_f64 } from "./blas/symmetric-eigen";
export { gmres_f64 } from "./krylov/gmres";
export { gcrodr_f64, gcrodr_sizes } from "./krylov/gcrodr";
export { harmonic_ritz_f64 } from "./blas/eigen";
export { transpose_f64 } from "./blas/transpose";
export { spmd_noop, spmd_barriers, simd_peak_f64 } from "./core/probe";
export {
  softmax_f32_twopass, softmax_f32_threepass, softmax_f32_online, logsoftmax_f32_twopass, logsoftmax_f32_threepass, logsoftmax_f32_online,
  softmax_f64_twopass, softmax_f64_threepass, softmax_f64_online, logsoftmax_f64_twopass, logsoftmax_f64_threepass, logsoftmax_f64_online,
  softmax_f32_blocked, logsoftmax_f32_blocked, softmax_f64_blocked, logsoftmax_f64_blocked,
} from "./softmax/softmax";
export { vexp_f32_ulp, vexp_f64_ulp } from "./core/vexp";

/** End of the module's static data: the host's heap starts above it. */
export function heap_base(): usize {
  return __heap_base;
}
