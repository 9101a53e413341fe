// The wasm module's exports. Every kernel is a pure function over raw
// pointers into memory the host owns, declared in assembly/<family>/kernels.json
// and exported by its generated entry, kernel(params, team, tid, nthreads):
// one parameter block, the one calling convention (scripts/kernels.mjs).
export * from "./generated/kernels";
// Not kernels: exported only so that binaryen keeps them out of cg_f64 (see cg.ts).
export { cg_phase_curvature, cg_phase_update, cg_phase_direction } from "./krylov/cg";

/** End of the module's static data: the host's heap starts above it. */
export function heap_base(): usize {
  return __heap_base;
}
