// Deterministic reductions: a reduction over n elements is cut into fixed
// chunks of CHUNK elements whatever the thread count; each chunk's partial is
// computed the same way by whichever thread owns it, and the partials are
// combined in chunk order. So results are bit-identical for any thread count
// and for both builds.
export const CHUNK: i32 = 2048;

// @ts-ignore: decorator
@inline export function chunkCount(n: i32): i32 {
  return (n + CHUNK - 1) / CHUNK;
}

/** Sum of `count` f64 partials in order: the fixed combine step. */
export function sumPartials(partials: usize, count: i32): f64 {
  let s: f64 = 0;
  for (let c = 0; c < count; c++) s += load<f64>(partials + (<usize>c << 3));
  return s;
}
