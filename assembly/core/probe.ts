// Kernels that measure the machinery itself: the cost of one SPMD launch, of
// one barrier phase, and the arithmetic peak GEMM is measured against.
import { barrier } from "./team";
import { at, padded } from "./memory";
import { GEMM_KC, GEMM_MR, GEMM_NR, microKernel } from "../blas/gemm";
import { SimdPeakF64Out } from "../generated/layouts";

/** Does nothing on every thread: an SPMD launch with no work. */
export function spmd_noop(team: usize, tid: i32, nthreads: i32): void {}

/** `phases` barriers in a row: one barrier phase costs (time / phases). */
export function spmd_barriers(phases: i32, team: usize, tid: i32, nthreads: i32): void {
  for (let i = 0; i < phases; i++) barrier(team, nthreads);
}

/** f64 of one thread's share of simd_peak_f64's workspace: packed A and B slivers, a C tile, an edge tile. */
const PEAK_F64: i32 = GEMM_KC * GEMM_MR + GEMM_KC * GEMM_NR + 2 * GEMM_MR * GEMM_NR;

/** Bytes of simd_peak_f64's workspace: each thread its own operands (16 KiB, in L1). */
export function peakWorkspace(nthreads: i32): usize {
  return <usize>nthreads * padded(<usize>PEAK_F64 << 3);
}

/**
 * The machine's f64x2 multiply–add peak (no FMA) as GEMM sees it: GEMM's own
 * micro-kernel (assembly/blas/gemm.ts) over KC-deep packed slivers that stay
 * in L1, `iters` rank-1 steps (32 flops each: 8 multiplies and 8 adds on 2
 * lanes) on each thread. Flops/s = 32·iters / seconds on each thread. Thread
 * 0 writes its C tile's sum (result "sum") so the work is kept.
 */
export function simd_peak_f64(iters: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32): void {
  const ap = work + <usize>tid * padded(<usize>PEAK_F64 << 3);
  const bp = ap + ((<usize>GEMM_KC * GEMM_MR) << 3), c = bp + ((<usize>GEMM_KC * GEMM_NR) << 3), edge = c + ((<usize>GEMM_MR * GEMM_NR) << 3);
  for (let i = 0; i < PEAK_F64; i++) store<f64>(ap + (<usize>i << 3), i < GEMM_KC * (GEMM_MR + GEMM_NR) ? 1.000001 : 0);
  for (let r = 0; r < iters; r += GEMM_KC) microKernel(ap, bp, min(GEMM_KC, iters - r), c, <usize>GEMM_MR << 3, GEMM_MR, GEMM_NR, 1.0, edge);
  if (tid == 0) {
    let s: f64 = 0;
    for (let i = 0; i < GEMM_MR * GEMM_NR; i++) s += load<f64>(c + (<usize>i << 3));
    store<f64>(at(out, SimdPeakF64Out.sum), s);
  }
}
