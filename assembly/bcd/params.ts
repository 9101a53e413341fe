// Shared by the BCD kernels: addressing into f64 / i32 arrays, reading the
// host's parameter block (f64 slots, pointers stored as f64), the per-epoch
// block permutation of the "permutation" rule, and the abort broadcast.
import { mix64 } from "../core/rng";
import { aborted } from "../core/team";

// @ts-ignore: decorator
@inline export function at(v: usize, i: i32): usize {
  return v + (<usize>i << 3);
}
// @ts-ignore: decorator
@inline export function ati(v: usize, i: i32): usize {
  return v + (<usize>i << 2);
}
// @ts-ignore: decorator
@inline export function param(p: usize, i: i32): f64 {
  return load<f64>(at(p, i));
}
// @ts-ignore: decorator
@inline export function ptr(p: usize, i: i32): usize {
  return <usize>load<f64>(at(p, i));
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

// The abort flag, broadcast so that every thread leaves at the same step (a
// thread that left alone would strand the others at a barrier): tid 0 posts
// it to slots[k & 1] before a barrier, everyone reads it after. Slot k & 1 is
// rewritten at check k + 2, past the barrier of check k + 1: all have read it.
// lasso and logistic check per coordinate; bcd at its checks, its long passes
// skipping their work once the flag is set.

// @ts-ignore: decorator
@inline export function postAbort(team: usize, slots: usize, k: i32, tid: i32): void {
  if (tid == 0) store<f64>(at(slots, k & 1), aborted(team) ? 1 : 0);
}
// @ts-ignore: decorator
@inline export function abortPosted(slots: usize, k: i32): bool {
  return load<f64>(at(slots, k & 1)) != 0;
}
