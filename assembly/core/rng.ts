import { ZIG_F, ZIG_K, ZIG_R, ZIG_W } from "./ziggurat_tables";

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
  return <f64><i64>(h >> 11) * 1.1102230246251565e-16; // 2^-53 (signed convert: h >> 11 < 2^53)
}

/**
 * A standard normal from the hash chain that starts at h (re-hashed with
 * `counter` whenever a draw is rejected), by the 256-layer Ziggurat
 * (Marsaglia & Tsang 2000; tables in core/ziggurat_tables.ts): 8 bits pick
 * a layer, 1 the sign, 52 the magnitude, and 99% of draws are accepted with
 * one table compare; the wedges need one exp, the tail (beyond ZIG_R) two logs.
 * Every step is wasm arithmetic, so each runtime draws the same numbers.
 */
// @ts-ignore: decorator
@inline function zigguratNormal(h: u64, counter: u64): f64 {
  for (;;) {
    const layer = <usize>(h & 0xff);
    const sign = (h & 0x100) << 55; // bit 8 → the sign bit: applied by an OR, no branch
    const m = h >> 12; // 52 bits
    // m < 2^52: a signed conversion (one instruction; the unsigned one is a branchy sequence on x86).
    const x = <f64><i64>m * load<f64>(ZIG_W + (layer << 3));
    if (m < load<u64>(ZIG_K + (layer << 3))) return reinterpret<f64>(reinterpret<u64>(x) | sign);
    h = mix64(h, counter);
    if (layer == 0) {
      // The tail beyond R (Marsaglia 1964): x = R + e₁/R, kept when 2e₂ > (e₁/R)².
      for (;;) {
        const t = -Math.log(1.0 - unit53(h)) / ZIG_R;
        h = mix64(h, counter);
        const e = -Math.log(1.0 - unit53(h));
        h = mix64(h, counter);
        if (e + e > t * t) return reinterpret<f64>(reinterpret<u64>(ZIG_R + t) | sign);
      }
    }
    // A wedge: the point (x, y), y uniform between the layer's heights, is under the curve.
    const f0 = load<f64>(ZIG_F + (layer << 3)), f1 = load<f64>(ZIG_F + ((layer + 1) << 3));
    if (f0 + unit53(h) * (f1 - f0) < Math.exp(-0.5 * x * x)) return reinterpret<f64>(reinterpret<u64>(x) | sign);
    h = mix64(h, counter);
  }
  return unreachable();
}

/**
 * Two independent standard normals from (key, counter), times `scale`: the
 * Ziggurat on the hash chains of counters 2·counter and 2·counter + 1.
 * Returned packed as an f64x2.
 */
export function gaussianPair(key: u64, counter: u64, scale: f64): v128 {
  const c0 = counter << 1, c1 = c0 | 1;
  const a = zigguratNormal(mix64(key, c0), c0) * scale;
  const b = zigguratNormal(mix64(key, c1), c1) * scale;
  return f64x2.replace_lane(f64x2.splat(a), 1, b);
}
