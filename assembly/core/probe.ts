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

/** f64 flops one step of simd_peak_f64's register loop does: 12 chains × (one multiply + one add) × 2 lanes. */
export const PEAK_REGISTER_FLOPS: i32 = 48;
/** f64 flops one step of GEMM's micro-kernel does: MR·NR multiply–adds. */
export const PEAK_KERNEL_FLOPS: i32 = 2 * GEMM_MR * GEMM_NR;

/**
 * The machine's f64x2 multiply–add peak (no FMA), two ways, `iters` steps on
 * each thread; result "flops" is the flops one thread did.
 * variant 0: registers only, no memory: 12 independent chains
 * x ← x·c + d (enough to cover a multiply's and an add's latency; more spill).
 * variant 1: GEMM's own micro-kernel (assembly/blas/gemm.ts) over KC-deep
 * packed slivers that stay in L1. On the machine of bench/results/sketch-notes.md
 * the micro-kernel beats the register loop (its loads issue beside the
 * arithmetic), so the benchmark takes the larger of the two as the peak.
 * Thread 0 writes a sum of its results (result "sum") so the work is kept.
 */
export function simd_peak_f64(iters: i32, variant: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32): void {
  let s: f64 = 0, flops: f64 = 0;
  if (variant == 0) {
    const s0 = <f64>(tid + 1);
    const c = f64x2.splat(0.5), d = f64x2.splat(s0);
    let x0 = f64x2.splat(s0 + 0.0), x1 = f64x2.splat(s0 + 1.0), x2 = f64x2.splat(s0 + 2.0), x3 = f64x2.splat(s0 + 3.0), x4 = f64x2.splat(s0 + 4.0), x5 = f64x2.splat(s0 + 5.0), x6 = f64x2.splat(s0 + 6.0), x7 = f64x2.splat(s0 + 7.0), x8 = f64x2.splat(s0 + 8.0), x9 = f64x2.splat(s0 + 9.0), x10 = f64x2.splat(s0 + 10.0), x11 = f64x2.splat(s0 + 11.0);
    for (let i = 0; i < iters; i++) {
    x0 = f64x2.add(f64x2.mul(x0, c), d);
    x1 = f64x2.add(f64x2.mul(x1, c), d);
    x2 = f64x2.add(f64x2.mul(x2, c), d);
    x3 = f64x2.add(f64x2.mul(x3, c), d);
    x4 = f64x2.add(f64x2.mul(x4, c), d);
    x5 = f64x2.add(f64x2.mul(x5, c), d);
    x6 = f64x2.add(f64x2.mul(x6, c), d);
    x7 = f64x2.add(f64x2.mul(x7, c), d);
    x8 = f64x2.add(f64x2.mul(x8, c), d);
    x9 = f64x2.add(f64x2.mul(x9, c), d);
    x10 = f64x2.add(f64x2.mul(x10, c), d);
    x11 = f64x2.add(f64x2.mul(x11, c), d);
    }
    let t = x0; t = f64x2.add(t, x1); t = f64x2.add(t, x2); t = f64x2.add(t, x3); t = f64x2.add(t, x4); t = f64x2.add(t, x5); t = f64x2.add(t, x6); t = f64x2.add(t, x7); t = f64x2.add(t, x8); t = f64x2.add(t, x9); t = f64x2.add(t, x10); t = f64x2.add(t, x11);
    s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
    flops = <f64>iters * PEAK_REGISTER_FLOPS;
  } else {
    const ap = work + <usize>tid * padded(<usize>PEAK_F64 << 3);
    const bp = ap + ((<usize>GEMM_KC * GEMM_MR) << 3), c = bp + ((<usize>GEMM_KC * GEMM_NR) << 3), edge = c + ((<usize>GEMM_MR * GEMM_NR) << 3);
    for (let i = 0; i < PEAK_F64; i++) store<f64>(ap + (<usize>i << 3), i < GEMM_KC * (GEMM_MR + GEMM_NR) ? 1.000001 : 0);
    for (let r = 0; r < iters; r += GEMM_KC) microKernel(ap, bp, min(GEMM_KC, iters - r), c, <usize>GEMM_MR << 3, GEMM_MR, GEMM_NR, 1.0, edge);
    for (let i = 0; i < GEMM_MR * GEMM_NR; i++) s += load<f64>(c + (<usize>i << 3));
    flops = <f64>iters * PEAK_KERNEL_FLOPS;
  }
  if (tid == 0) {
    store<f64>(at(out, SimdPeakF64Out.sum), s);
    store<f64>(at(out, SimdPeakF64Out.flops), flops);
  }
}
