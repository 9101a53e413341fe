// The wasm module's exports. Every kernel is a pure function over raw
// pointers into memory the host owns; the host names kernels by these names.
// Kernels declared in assembly/*/kernels.json are exported by their generated
// entries (one parameter block each); the rest still take positional arguments.
export * from "./generated/kernels";
export { cg_phase_curvature, cg_phase_update, cg_phase_direction } from "./krylov/cg";

/** End of the module's static data: the host's heap starts above it. */
export function heap_base(): usize {
  return __heap_base;
}
