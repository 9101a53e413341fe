// Counter-based random numbers: the value for (seed, counter) is a pure
// function of both, so any thread can draw any element of a random object
// (a sketch's hash, a sign) and every thread count gives the same object.

/** SplitMix64's finaliser of seed + counter·golden-ratio: 64 well-mixed bits. */
// @ts-ignore: decorator
@inline export function mix64(seed: u64, counter: u64): u64 {
  let z = seed + counter * 0x9e3779b97f4a7c15;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}
