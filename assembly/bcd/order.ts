// The block order of the non-greedy rules (BcdRuleCode, assembly/bcd/codes.json),
// shared by bcd_f64 and labelprop_f64, and the i32 twin of core/memory.ts's
// `at` for their index arrays. The greedy rules' scores are bcd_f64's own
// (block.ts, scoreCurvature and blockScore).
import { barrier } from "../core/team";
import { mix64, unit53 } from "../core/rng";
import { at } from "../core/memory";
import { BcdRuleCode } from "../generated/layouts";

/** Address of i32 element i of the array at v. */
// @ts-ignore: decorator
@inline export function ati(v: usize, i: i32): usize {
  return v + (<usize>i << 2);
}

/** perm (nb i32) = a uniform shuffle of 0..nb−1, a pure function of (seed, epoch): Fisher–Yates on counter-based draws. */
function shuffleBlocks(perm: usize, nb: i32, seed: u64, epoch: u64): void {
  for (let b = 0; b < nb; b++) store<i32>(ati(perm, b), b);
  for (let b = nb - 1; b > 0; b--) {
    const r = <i32>(mix64(seed ^ 0x5bd1e995, epoch * <u64>nb + <u64>b) % <u64>(b + 1));
    const tmp = load<i32>(ati(perm, b));
    store<i32>(ati(perm, b), load<i32>(ati(perm, r)));
    store<i32>(ati(perm, r), tmp);
  }
}

/**
 * The block a non-greedy rule updates at iteration `iter` (nb blocks), the
 * same on every thread: cyclic; random, a pure function of (seed, iter);
 * lipschitz, drawn with probability ∝ L_b (cumL: the cumulative bounds, lsum
 * their total); permutation, a fresh shuffle in `perm` (nb i32) each epoch,
 * written by tid 0 behind a barrier.
 */
export function nextBlock(rule: i32, iter: i32, nb: i32, seed: u64, perm: usize, cumL: usize, lsum: f64, team: usize, tid: i32, nthreads: i32): i32 {
  switch (rule) {
    case BcdRuleCode.cyclic: return iter % nb;
    case BcdRuleCode.random: return <i32>(mix64(seed, <u64>iter) % <u64>nb);
    case BcdRuleCode.lipschitz: {
      const u = unit53(mix64(seed, <u64>iter)) * lsum;
      let lo = 0, hi = nb - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (load<f64>(at(cumL, mid)) > u) hi = mid; else lo = mid + 1; }
      return lo;
    }
    default: {
      if (iter % nb == 0) {
        if (tid == 0) shuffleBlocks(perm, nb, seed, <u64>(iter / nb));
        barrier(team, nthreads);
      }
      return load<i32>(ati(perm, iter % nb));
    }
  }
}
