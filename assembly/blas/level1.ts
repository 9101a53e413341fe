// Level-1 BLAS, f64, SIMD (f64x2). Every kernel is SPMD: it takes
// (team, tid, nthreads) and does its own share; elementwise kernels split by
// fixed chunks, reductions combine per-chunk partials in chunk order
// (core/chunks.ts) so results do not depend on the thread count.
import { barrier, rangeStart } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { at } from "../core/memory";
import { DotF64Out, Nrm2F64Out } from "../generated/layouts";

/** Element where thread t's share of n elements starts, in whole chunks (its end: t + 1's start). */
// @ts-ignore: decorator
@inline function chunkedStart(n: i32, t: i32, nthreads: i32): i32 {
  return min(n, rangeStart(chunkCount(n), t, nthreads) * CHUNK);
}

// ---- per-chunk building blocks --------------------------------------------

export function dotContiguous(x: usize, y: usize, len: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 3;
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
    a2 = f64x2.add(a2, f64x2.mul(v128.load(x + o, 32), v128.load(y + o, 32)));
    a3 = f64x2.add(a3, f64x2.mul(v128.load(x + o, 48), v128.load(y + o, 48)));
  }
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  }
  const a = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  if (i < len) s += load<f64>(x + (<usize>i << 3)) * load<f64>(y + (<usize>i << 3));
  return s;
}

/** y[0..len) −= alpha·x[0..len): each element as the scalar y − alpha·x would give. */
export function subtractScaled(y: usize, x: usize, alpha: f64, len: i32): void {
  const av = f64x2.splat(alpha);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 3;
    v128.store(y + o, f64x2.sub(v128.load(y + o), f64x2.mul(av, v128.load(x + o))));
    v128.store(y + o, f64x2.sub(v128.load(y + o, 16), f64x2.mul(av, v128.load(x + o, 16))), 16);
  }
  for (; i < len; i++) {
    const o = <usize>i << 3;
    store<f64>(y + o, load<f64>(y + o) - alpha * load<f64>(x + o));
  }
}

/**
 * x0·y and x1·y into out0, out1, each summed exactly as dotContiguous sums it
 * (same accumulators, same order: the same bits), y read once for both.
 */
export function dotPair(x0: usize, x1: usize, y: usize, len: i32, out0: usize, out1: usize): void {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 3;
    const y0 = v128.load(y + o), y1 = v128.load(y + o, 16), y2 = v128.load(y + o, 32), y3 = v128.load(y + o, 48);
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x0 + o), y0));
    b0 = f64x2.add(b0, f64x2.mul(v128.load(x1 + o), y0));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(x0 + o, 16), y1));
    b1 = f64x2.add(b1, f64x2.mul(v128.load(x1 + o, 16), y1));
    a2 = f64x2.add(a2, f64x2.mul(v128.load(x0 + o, 32), y2));
    b2 = f64x2.add(b2, f64x2.mul(v128.load(x1 + o, 32), y2));
    a3 = f64x2.add(a3, f64x2.mul(v128.load(x0 + o, 48), y3));
    b3 = f64x2.add(b3, f64x2.mul(v128.load(x1 + o, 48), y3));
  }
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    const y0 = v128.load(y + o);
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x0 + o), y0));
    b0 = f64x2.add(b0, f64x2.mul(v128.load(x1 + o), y0));
  }
  const a = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  const b = f64x2.add(f64x2.add(b0, b1), f64x2.add(b2, b3));
  let sa = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  let sb = f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1);
  if (i < len) {
    const yi = load<f64>(y + (<usize>i << 3));
    sa += load<f64>(x0 + (<usize>i << 3)) * yi;
    sb += load<f64>(x1 + (<usize>i << 3)) * yi;
  }
  store<f64>(out0, sa);
  store<f64>(out1, sb);
}

/**
 * y −= h0·x0, h1·x1, h2·x2, h3·x3 in that order, element by element as four
 * subtractScaled calls would leave it (the same bits), y loaded and stored once.
 */
export function subtractScaled4(y: usize, x0: usize, x1: usize, x2: usize, x3: usize, h0: f64, h1: f64, h2: f64, h3: f64, len: i32): void {
  const v0 = f64x2.splat(h0), v1 = f64x2.splat(h1), v2 = f64x2.splat(h2), v3 = f64x2.splat(h3);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    let t = v128.load(y + o);
    t = f64x2.sub(t, f64x2.mul(v0, v128.load(x0 + o)));
    t = f64x2.sub(t, f64x2.mul(v1, v128.load(x1 + o)));
    t = f64x2.sub(t, f64x2.mul(v2, v128.load(x2 + o)));
    t = f64x2.sub(t, f64x2.mul(v3, v128.load(x3 + o)));
    v128.store(y + o, t);
  }
  if (i < len) {
    const o = <usize>i << 3;
    store<f64>(y + o, load<f64>(y + o) - h0 * load<f64>(x0 + o) - h1 * load<f64>(x1 + o) - h2 * load<f64>(x2 + o) - h3 * load<f64>(x3 + o));
  }
}

/** v[i0..i1) /= d, two lanes at a time (each element as the scalar division gives it). */
export function divideRows(v: usize, i0: i32, i1: i32, d: f64): void {
  const dv = f64x2.splat(d);
  let i = i0;
  for (; i + 2 <= i1; i += 2) v128.store(at(v, i), f64x2.div(v128.load(at(v, i)), dv));
  if (i < i1) store<f64>(at(v, i), load<f64>(at(v, i)) / d);
}

function dotStrided(x: usize, incx: i32, y: usize, incy: i32, len: i32): f64 {
  const sx = <usize>incx << 3, sy = <usize>incy << 3;
  let s0: f64 = 0, s1: f64 = 0;
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    s0 += load<f64>(x) * load<f64>(y);
    s1 += load<f64>(x + sx) * load<f64>(y + sy);
    x += sx << 1; y += sy << 1;
  }
  if (i < len) s0 += load<f64>(x) * load<f64>(y);
  return s0 + s1;
}

function sumSquaresScaled(x: usize, incx: i32, len: i32, scale: f64): f64 {
  if (incx == 1) {
    const sv = f64x2.splat(scale);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 3;
      const u = f64x2.mul(v128.load(x + o), sv), w = f64x2.mul(v128.load(x + o, 16), sv);
      a0 = f64x2.add(a0, f64x2.mul(u, u));
      a1 = f64x2.add(a1, f64x2.mul(w, w));
    }
    const a = f64x2.add(a0, a1);
    let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
    for (; i < len; i++) { const v = load<f64>(x + (<usize>i << 3)) * scale; s += v * v; }
    return s;
  }
  const sx = <usize>incx << 3;
  let s: f64 = 0;
  for (let i = 0; i < len; i++) { const v = load<f64>(x) * scale; s += v * v; x += sx; }
  return s;
}

function maxAbs(x: usize, incx: i32, len: i32): f64 {
  // NaN must win so that nrm2 of a vector with a NaN is NaN.
  let m: f64 = 0;
  const sx = <usize>incx << 3;
  for (let i = 0; i < len; i++) {
    const v = Math.abs(load<f64>(x));
    if (!(v <= m)) m = v;
    x += sx;
  }
  return m;
}

// ---- exported kernels --------------------------------------------------------

/** Bytes of dot_f64's workspace: one partial per chunk. */
export function dotWorkspace(n: i32): usize {
  return <usize>chunkCount(n) << 3;
}

/** Σ x[i·incx]·y[i·incy], summed per chunk then over chunks in order. */
export function dot_f64(
  x: usize, incx: i32, y: usize, incy: i32, n: i32,
  work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  const partials = work;
  const chunks = chunkCount(n);
  const c1 = rangeStart(chunks, tid + 1, nthreads);
  for (let c = rangeStart(chunks, tid, nthreads); c < c1; c++) {
    const i0 = c * CHUNK;
    const len = min(CHUNK, n - i0);
    const s = incx == 1 && incy == 1
      ? dotContiguous(x + (<usize>i0 << 3), y + (<usize>i0 << 3), len)
      : dotStrided(x + (<usize>i0 * incx << 3), incx, y + (<usize>i0 * incy << 3), incy, len);
    store<f64>(partials + (<usize>c << 3), s);
  }
  barrier(team, nthreads);
  if (tid == 0) store<f64>(at(out, DotF64Out.value), sumPartials(partials, chunks));
}

/** Bytes of nrm2_f64's workspace: two partials per chunk (sums, then maxima). */
export function nrm2Workspace(n: i32): usize {
  return <usize>chunkCount(n) << 4;
}

/** ‖x‖₂ without overflow or harmful underflow. */
export function nrm2_f64(
  x: usize, incx: i32, n: i32,
  work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  const partials = work;
  const chunks = chunkCount(n);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  // Fast path: plain sum of squares. It is exact enough unless it overflowed
  // or sank to where squares of the entries may have underflowed.
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK;
    store<f64>(partials + (<usize>c << 3), sumSquaresScaled(x + (<usize>i0 * incx << 3), incx, min(CHUNK, n - i0), 1.0));
  }
  barrier(team, nthreads);
  // Every thread combines the partials itself (same order, same result), so
  // the decision below needs no broadcast.
  const plain = sumPartials(partials, chunks);
  if (plain >= 4.0e-292 && plain < Infinity) {
    if (tid == 0) store<f64>(at(out, Nrm2F64Out.value), Math.sqrt(plain));
    return;
  }
  // Slow path: find max |x|, scale by an exact power of two, sum again.
  const maxes = partials + (<usize>chunks << 3);
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK;
    store<f64>(maxes + (<usize>c << 3), maxAbs(x + (<usize>i0 * incx << 3), incx, min(CHUNK, n - i0)));
  }
  barrier(team, nthreads);
  let amax: f64 = 0;
  for (let c = 0; c < chunks; c++) {
    const v = load<f64>(maxes + (<usize>c << 3));
    if (!(v <= amax)) amax = v;
  }
  if (isNaN(amax) || amax == Infinity || amax == 0) {
    if (tid == 0) store<f64>(at(out, Nrm2F64Out.value), amax);
    return;
  }
  const biased = <i32>((reinterpret<u64>(amax) >> 52) & 0x7ff);
  // scale ≈ 1/amax as a power of two (exact multiplications).
  const scaleBiased = biased >= 2045 ? 1 : 2046 - biased;
  const scale = reinterpret<f64>(<u64>scaleBiased << 52);
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK;
    store<f64>(partials + (<usize>c << 3), sumSquaresScaled(x + (<usize>i0 * incx << 3), incx, min(CHUNK, n - i0), scale));
  }
  barrier(team, nthreads);
  if (tid == 0) store<f64>(at(out, Nrm2F64Out.value), Math.sqrt(sumPartials(partials, chunks)) * (1.0 / scale));
}

/** z = alpha·x + y (elementwise over n strided elements; z may be y). */
export function axpy_f64(
  alpha: f64, x: usize, incx: i32, y: usize, incy: i32, z: usize, incz: i32, n: i32,
  team: usize, tid: i32, nthreads: i32,
): void {
  const i0 = chunkedStart(n, tid, nthreads), i1 = chunkedStart(n, tid + 1, nthreads);
  if (incx == 1 && incy == 1 && incz == 1) {
    const av = f64x2.splat(alpha);
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 3;
      const r0 = f64x2.add(f64x2.mul(av, v128.load(x + o)), v128.load(y + o));
      const r1 = f64x2.add(f64x2.mul(av, v128.load(x + o, 16)), v128.load(y + o, 16));
      v128.store(z + o, r0);
      v128.store(z + o, r1, 16);
    }
    for (; i < i1; i++) {
      const o = <usize>i << 3;
      store<f64>(z + o, alpha * load<f64>(x + o) + load<f64>(y + o));
    }
    return;
  }
  for (let i = i0; i < i1; i++) {
    store<f64>(z + (<usize>i * incz << 3), alpha * load<f64>(x + (<usize>i * incx << 3)) + load<f64>(y + (<usize>i * incy << 3)));
  }
}

/** z = alpha·x (z may be x). */
export function scal_f64(
  alpha: f64, x: usize, incx: i32, z: usize, incz: i32, n: i32,
  team: usize, tid: i32, nthreads: i32,
): void {
  const i0 = chunkedStart(n, tid, nthreads), i1 = chunkedStart(n, tid + 1, nthreads);
  if (incx == 1 && incz == 1) {
    const av = f64x2.splat(alpha);
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 3;
      v128.store(z + o, f64x2.mul(av, v128.load(x + o)));
      v128.store(z + o, f64x2.mul(av, v128.load(x + o, 16)), 16);
    }
    for (; i < i1; i++) store<f64>(z + (<usize>i << 3), alpha * load<f64>(x + (<usize>i << 3)));
    return;
  }
  for (let i = i0; i < i1; i++) {
    store<f64>(z + (<usize>i * incz << 3), alpha * load<f64>(x + (<usize>i * incx << 3)));
  }
}

/** y = x, element by element over strided views. */
export function copy_f64(
  x: usize, incx: i32, y: usize, incy: i32, n: i32,
  team: usize, tid: i32, nthreads: i32,
): void {
  const i0 = chunkedStart(n, tid, nthreads), i1 = chunkedStart(n, tid + 1, nthreads);
  if (incx == 1 && incy == 1) {
    memory.copy(y + (<usize>i0 << 3), x + (<usize>i0 << 3), <usize>(i1 - i0) << 3);
    return;
  }
  for (let i = i0; i < i1; i++) {
    store<f64>(y + (<usize>i * incy << 3), load<f64>(x + (<usize>i * incx << 3)));
  }
}

/** STREAM triad a = b + s·c: the benchmarks' yardstick for memory bandwidth. */
export function triad_f64(
  a: usize, b: usize, c: usize, s: f64, n: i32,
  team: usize, tid: i32, nthreads: i32,
): void {
  axpy_f64(s, c, 1, b, 1, a, 1, n, team, tid, nthreads);
}
