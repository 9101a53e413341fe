// Raw memory helpers every kernel shares: kernels take addresses into memory
// the host owns and index f64 arrays by element.

/** Address of f64 element i of the array at v. */
// @ts-ignore: decorator
@inline export function at(v: usize, i: i32): usize {
  return v + (<usize>i << 3);
}

/** `bytes` rounded up to a 64-byte line: workspace regions start on one. */
// @ts-ignore: decorator
@inline export function padded(bytes: usize): usize {
  return (bytes + 63) & ~<usize>63;
}
