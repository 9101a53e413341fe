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

/** An independent stream of the same seed: a sketch's signs, its row choices, its Gaussians. */
// @ts-ignore: decorator
@inline export function streamKey(seed: u64, stream: u64): u64 {
  return mix64(seed, 0x5bd1e9955bd1e995 ^ stream);
}

/** The top 53 bits of a 64-bit draw as a double in [0, 1). */
// @ts-ignore: decorator
@inline export function unit53(h: u64): f64 {
  return <f64>(h >> 11) * 1.1102230246251565e-16; // 2^-53
}

/**
 * Two independent standard normals from (key, counter), times `scale`, by
 * Marsaglia's polar method: one log and one square root per pair, no
 * trigonometry. A rejected draw is re-hashed, so the pair is still a pure
 * function of (key, counter). Returned packed as an f64x2.
 */
export function gaussianPair(key: u64, counter: u64, scale: f64): v128 {
  let h = mix64(key, counter);
  let u: f64, v: f64, s: f64;
  do {
    // Two 32-bit halves, centred in (−1, 1): never exactly 0 together.
    u = (<f64>(h >> 32) + 0.5) * 4.656612873077393e-10 - 1.0; // 2^-31
    v = (<f64>(h & 0xffffffff) + 0.5) * 4.656612873077393e-10 - 1.0;
    s = u * u + v * v;
    h = mix64(h, counter);
  } while (s >= 1.0);
  const f = Math.sqrt((-2.0 * Math.log(s)) / s) * scale;
  return f64x2.replace_lane(f64x2.splat(u * f), 1, v * f);
}
