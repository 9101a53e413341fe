// The "permutation" rule's per-epoch block order, shared by bcd_f64 and
// labelprop_f64, and the i32 twin of core/memory.ts's `at` for their index arrays.
import { mix64 } from "../core/rng";

/** Address of i32 element i of the array at v. */
// @ts-ignore: decorator
@inline export function ati(v: usize, i: i32): usize {
  return v + (<usize>i << 2);
}

/** perm (nb i32) = a uniform shuffle of 0..nb−1, a pure function of (seed, epoch): Fisher–Yates on counter-based draws. */
export function shuffleBlocks(perm: usize, nb: i32, seed: u64, epoch: u64): void {
  for (let b = 0; b < nb; b++) store<i32>(ati(perm, b), b);
  for (let b = nb - 1; b > 0; b--) {
    const r = <i32>(mix64(seed ^ 0x5bd1e995, epoch * <u64>nb + <u64>b) % <u64>(b + 1));
    const tmp = load<i32>(ati(perm, b));
    store<i32>(ati(perm, b), load<i32>(ati(perm, r)));
    store<i32>(ati(perm, r), tmp);
  }
}
