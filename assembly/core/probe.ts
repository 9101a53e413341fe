// Kernels that measure the machinery itself: the cost of one SPMD launch and
// of one barrier phase.
import { barrier } from "./team";

/** Does nothing on every thread: an SPMD launch with no work. */
export function spmd_noop(team: usize, tid: i32, nthreads: i32): void {}

/** `phases` barriers in a row: one barrier phase costs (time / phases). */
export function spmd_barriers(phases: i32, team: usize, tid: i32, nthreads: i32): void {
  for (let i = 0; i < phases; i++) barrier(team, nthreads);
}
