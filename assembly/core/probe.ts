// Kernels that measure the machinery itself: the cost of one SPMD launch and
// of one barrier phase.
import { barrier } from "./team";
import { at } from "./memory";
import { SimdPeakF64Out } from "../generated/layouts";

/** Does nothing on every thread: an SPMD launch with no work. */
export function spmd_noop(team: usize, tid: i32, nthreads: i32): void {}

/** `phases` barriers in a row: one barrier phase costs (time / phases). */
export function spmd_barriers(phases: i32, team: usize, tid: i32, nthreads: i32): void {
  for (let i = 0; i < phases; i++) barrier(team, nthreads);
}

/**
 * The machine's f64x2 multiply–add peak (no FMA), as a GEMM micro-kernel
 * sees it: 8 independent accumulators (more would spill registers in V8),
 * acc += a·b with the operands loaded
 * from `buf` (256 bytes, stays in L1; the address cycles so no load can be
 * hoisted out of the loop): 8 multiplies and 8 adds on 2 lanes, 32 flops a
 * round. Flops/s = 32·iters / seconds on each thread. Thread 0 writes the
 * accumulators' sum (result "sum") so the work is kept.
 */
export function simd_peak_f64(iters: i32, buf: usize, out: usize, team: usize, tid: i32, nthreads: i32): void {
  let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let i = 0; i < iters; i++) {
    const p = buf + (<usize>(i & 3) << 6);
    const x = v128.load(p), y = v128.load(p, 16);
    let b = v128.load64_splat(p, 32);
    a0 = f64x2.add(a0, f64x2.mul(x, b)); a1 = f64x2.add(a1, f64x2.mul(y, b));
    b = v128.load64_splat(p, 40);
    a2 = f64x2.add(a2, f64x2.mul(x, b)); a3 = f64x2.add(a3, f64x2.mul(y, b));
    b = v128.load64_splat(p, 48);
    a4 = f64x2.add(a4, f64x2.mul(x, b)); a5 = f64x2.add(a5, f64x2.mul(y, b));
    b = v128.load64_splat(p, 56);
    a6 = f64x2.add(a6, f64x2.mul(x, b)); a7 = f64x2.add(a7, f64x2.mul(y, b));
  }
  const s = f64x2.add(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)), f64x2.add(f64x2.add(a4, a5), f64x2.add(a6, a7)));
  if (tid == 0) store<f64>(at(out, SimdPeakF64Out.sum), f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1));
}
