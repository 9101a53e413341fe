// Softmax and log-softmax over rows × cols row-major data, f32 and f64, four
// algorithms:
//   two-pass   (Dukhan & Ablavatski): pass 1 sums exp(x) as (mantissa, exponent)
//              pairs, no max pass, nothing overflows; pass 2 writes outputs.
//   three-pass max; exp + store + sum; scale (reloading the stored exps).
//   online     (Milakov & Gimelshein): running max and rescaled sum; then outputs.
//   blocked    the three-pass within each cache-resident chunk (chunk max, then
//              exp + store + sum), chunks combined online; then one scaling
//              pass: x is read from memory once, each exp evaluated once.
// Determinism: every row is cut into fixed CHUNK-element chunks whatever the
// thread count; each chunk's partial lands in a 32-byte slot and partials are
// folded in chunk order by the same code, so the bits never depend on how
// rows or chunks were shared out. Rows are shared out whole when there are
// enough of them (claimed in blocks from a counter, so a late thread does
// fewer); otherwise each row's chunks are shared and threads meet at a
// barrier per pass (slots double-buffered by row parity).
//
// Slot (f64 ×4): [0] two-pass M / online d, [1] two-pass E / online m,
//                [2] three-pass / blocked max, [3] three-pass / blocked sum.
// Workspace: (nthreads + 2) regions of chunkCount(cols) slots, each region
// padded to 128 bytes: threads that share out short rows write their slots
// every row, and slots of two threads on one cache line (or an adjacent-line
// prefetch pair) cost 1000 × 1000 a third of its 2-thread speed-up. The
// row-claim counter is the result slot "claims" (an i32 in its first word),
// which the launch zeroes.
import { barrier, rangeStart } from "../core/team";
import { CHUNK, chunkCount } from "../core/chunks";
import { at } from "../core/memory";
import {
  SoftmaxF32TwopassOut, SoftmaxF32ThreepassOut, SoftmaxF32OnlineOut, SoftmaxF32BlockedOut, SoftmaxF64TwopassOut, SoftmaxF64ThreepassOut, SoftmaxF64OnlineOut, SoftmaxF64BlockedOut, LogsoftmaxF32TwopassOut, LogsoftmaxF32ThreepassOut, LogsoftmaxF32OnlineOut, LogsoftmaxF32BlockedOut, LogsoftmaxF64TwopassOut, LogsoftmaxF64ThreepassOut, LogsoftmaxF64OnlineOut, LogsoftmaxF64BlockedOut,
} from "../generated/layouts";
import { LN2_HI_F, LN2_HI_D, LN2_LO_D, pow2_f64 } from "../core/vexp";
import {
  isF32, twoPassChunk, twoPassOut, shiftOut, maxChunk, expSumChunk, expSumMaxNext, scaleChunk, onlineChunk, expScaleChunk,
} from "./rows";

const TWO_PASS: i32 = 0;
const THREE_PASS: i32 = 1;
const ONLINE: i32 = 2;
const BLOCKED: i32 = 3;
const SLOT: usize = 32;
const LN2: f64 = 0.6931471805599453;
/** Largest |E| for which the two-pass pairs are exact (else the row falls back to three-pass). */
const NLIM_F: f64 = 16384;
const NLIM_D: f64 = 1048576;

/** Slot regions are padded to this (two cache lines: see the workspace layout above). */
const REGION_ALIGN: usize = 128;
/** Elements per row claim when rows are shared out (at least one row). */
const ROWS_CLAIM_ELEMS: i32 = 16384;

/** Bytes of a softmax kernel's workspace: (nthreads + 2) slot regions. */
export function softmaxWorkspace(cols: i32, nthreads: i32): usize {
  return <usize>(nthreads + 2) * slotRegion(chunkCount(cols));
}

// @ts-ignore: decorator
@inline function slotRegion(chunks: i32): usize {
  return (<usize>chunks * SLOT + REGION_ALIGN - 1) & ~(REGION_ALIGN - 1);
}

/** Log-softmax outputs of chunks c0..c1 of a row: y = (x − a) − b, a and b rounded to T. */
// @ts-ignore: decorator
@inline function logOut<T>(x: usize, y: usize, n: i32, c0: i32, c1: i32, a: f64, b: f64): void {
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK, len = min(CHUNK, n - i0), o = <usize>i0 << (isF32<T>() ? 2 : 3);
    shiftOut<T>(x + o, y + o, len, <T>a, <T>b);
  }
}

function row<T>(
  alg: i32, log: bool, x: usize, y: usize, n: i32, chunks: i32, slots: usize,
  team: usize, tid: i32, nth: i32,
): void {
  const shift: usize = isF32<T>() ? 2 : 3;
  const c0 = rangeStart(chunks, tid, nth), c1 = rangeStart(chunks, tid + 1, nth);
  // One entry: three-pass is exact there (exp(0) = 1; log: (x − x) − log 1 = 0).
  if (n == 1) alg = THREE_PASS;
  if (alg == TWO_PASS) {
    for (let c = c0; c < c1; c++) {
      const i0 = c * CHUNK, len = min(CHUNK, n - i0);
      twoPassChunk<T>(x + (<usize>i0 << shift), len, slots + <usize>c * SLOT);
    }
    barrier(team, nth);
    // Fold (M, E) pairs in chunk order: Σ = M·2^E.
    let M: f64 = 0, E: f64 = -Infinity;
    for (let c = 0; c < chunks; c++) {
      const s = slots + <usize>c * SLOT;
      const mc = load<f64>(s), ec = load<f64>(s, 8);
      const e2 = max(E, ec);
      M = M * pow2_f64(E - e2) + mc * pow2_f64(ec - e2);
      E = e2;
    }
    const lim = isF32<T>() ? NLIM_F : NLIM_D;
    // Valid unless NaN/±∞ inputs or |max x| beyond the exact range: then fall back.
    if (M > 0 && M < Infinity && E >= -lim && E <= lim) {
      if (log) {
        // log Σ = E·ln2 + log M; y = (x − E·ln2_hi) − (E·ln2_lo + log M), exact first step.
        const hi = isF32<T>() ? <f64>LN2_HI_F : LN2_HI_D;
        const b = E * (isF32<T>() ? LN2 - hi : LN2_LO_D) + Math.log(M);
        logOut<T>(x, y, n, c0, c1, E * hi, b);
      } else {
        // M = Mm·2^Me with Mm ∈ [1, 2): y = p·2^(n − E − Me)·(1/Mm).
        const Me = <f64>(<i32>((reinterpret<u64>(M) >> 52) & 0x7ff) - 1023);
        const inv = 1.0 / (M * pow2_f64(-Me));
        for (let c = c0; c < c1; c++) {
          const i0 = c * CHUNK, len = min(CHUNK, n - i0), o = <usize>i0 << shift;
          twoPassOut<T>(x + o, y + o, len, <T>(E + Me), <T>inv);
        }
      }
      return;
    }
    alg = THREE_PASS;
  }
  if (alg == ONLINE) {
    for (let c = c0; c < c1; c++) {
      const i0 = c * CHUNK, len = min(CHUNK, n - i0);
      onlineChunk<T>(x + (<usize>i0 << shift), len, slots + <usize>c * SLOT);
    }
    barrier(team, nth);
    let d: f64 = 0, m: f64 = -Infinity;
    for (let c = 0; c < chunks; c++) {
      const s = slots + <usize>c * SLOT;
      const dc = load<f64>(s), mc = load<f64>(s, 8);
      const m2 = max(m, mc);
      d = (m == -Infinity ? 0 : d * Math.exp(m - m2)) + dc * Math.exp(mc - m2);
      m = m2;
    }
    if (log) logOut<T>(x, y, n, c0, c1, m, Math.log(d));
    else {
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, len = min(CHUNK, n - i0), o = <usize>i0 << shift;
        expScaleChunk<T>(x + o, y + o, len, <T>m, <T>(1.0 / d));
      }
    }
    return;
  }
  if (alg == BLOCKED) {
    // Per chunk (in L1 once loaded): its max m_c, then exp(x − m_c) kept in y
    // (softmax) and summed. Then Σ = Σ_c s_c·e^(m_c − M), and one pass scales
    // each chunk by e^(m_c − M)/Σ (softmax) or shifts x (log-softmax). Memory
    // sees x read once for softmax (the three-pass reads it twice); the exp
    // is evaluated once per element (the two-pass evaluates it twice).
    // Each chunk's exp loop also reads the next chunk's max (from memory, while
    // computing from cache); a thread's first chunk gets its max on its own.
    if (c0 < c1) {
      const i0 = c0 * CHUNK, o = <usize>i0 << shift, len = min(CHUNK, n - i0);
      store<f64>(slots + <usize>c0 * SLOT, maxChunk<T>(x + o, len), 16);
    }
    for (let c = c0; c < c1; c++) {
      const i0 = c * CHUNK, len = min(CHUNK, n - i0), o = <usize>i0 << shift;
      const s = slots + <usize>c * SLOT;
      let mc = load<f64>(s, 16);
      // An all −∞ chunk weighs 0: exponentiate against 0 (giving zeros), not −∞ (NaN).
      if (mc == -Infinity) mc = 0;
      let sum: f64;
      if (c + 1 < c1) {
        const no = <usize>(i0 + CHUNK) << shift, nlen = min(CHUNK, n - i0 - CHUNK), nmax = s + SLOT + 16;
        sum = expSumMaxNext<T>(x + o, y + o, len, <T>mc, !log, x + no, nlen, nmax);
      } else {
        sum = expSumChunk<T>(x + o, y + o, len, <T>mc, !log);
      }
      store<f64>(s, sum, 24);
    }
    barrier(team, nth);
    let mx: f64 = -Infinity;
    for (let c = 0; c < chunks; c++) mx = max(mx, load<f64>(slots + <usize>c * SLOT, 16));
    let sum: f64 = 0;
    for (let c = 0; c < chunks; c++) {
      const s = slots + <usize>c * SLOT;
      const mc = load<f64>(s, 16);
      // (0 weight, not a skip, for an all −∞ chunk: one of all NaN also has mc = −∞, and its NaN sum must spread.)
      sum += load<f64>(s, 24) * (mc == -Infinity ? 0 : Math.exp(mc - mx));
    }
    // A row of all −∞ (mx = −∞), like the three-pass, gives NaN.
    if (mx == -Infinity) sum = NaN;
    if (log) logOut<T>(x, y, n, c0, c1, mx, Math.log(sum));
    else {
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, len = min(CHUNK, n - i0), o = <usize>i0 << shift;
        const mc = load<f64>(slots + <usize>c * SLOT, 16);
        const f = (mc == -Infinity ? 0 : Math.exp(mc - mx)) / sum;
        scaleChunk<T>(y + o, len, <T>f);
      }
    }
    return;
  }
  // Three-pass.
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK, len = min(CHUNK, n - i0);
    store<f64>(slots + <usize>c * SLOT, maxChunk<T>(x + (<usize>i0 << shift), len), 16);
  }
  barrier(team, nth);
  let mx: f64 = -Infinity;
  for (let c = 0; c < chunks; c++) mx = max(mx, load<f64>(slots + <usize>c * SLOT, 16));
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK, len = min(CHUNK, n - i0), o = <usize>i0 << shift;
    store<f64>(slots + <usize>c * SLOT, expSumChunk<T>(x + o, y + o, len, <T>mx, !log), 24);
  }
  barrier(team, nth);
  let sum: f64 = 0;
  for (let c = 0; c < chunks; c++) sum += load<f64>(slots + <usize>c * SLOT, 24);
  if (log) logOut<T>(x, y, n, c0, c1, mx, Math.log(sum));
  else {
    for (let c = c0; c < c1; c++) {
      const i0 = c * CHUNK, len = min(CHUNK, n - i0), o = <usize>i0 << shift;
      scaleChunk<T>(y + o, len, <T>(1.0 / sum));
    }
  }
}

/**
 * A whole row of one chunk on one thread, three-pass (which is what blocked
 * is for one chunk): row()'s arithmetic, in its order, without its per-row
 * bookkeeping (ranges, barriers, slots), which costs ~60 ns a row, as much as
 * the softmax of 50 entries. Same bits as row().
 */
function rowOneChunk<T>(log: bool, x: usize, y: usize, n: i32): void {
  const mx: f64 = max(-Infinity, maxChunk<T>(x, n));
  let sum: f64 = 0;
  sum += expSumChunk<T>(x, y, n, <T>mx, !log);
  if (log) logOut<T>(x, y, n, 0, 1, mx, Math.log(sum));
  else scaleChunk<T>(y, n, <T>(1.0 / sum));
}

/** One row computed by one thread: rowOneChunk where it applies, else row(). */
// @ts-ignore: decorator
@inline function wholeRow<T>(oneChunk: bool, alg: i32, log: bool, x: usize, y: usize, cols: i32, chunks: i32, slots: usize, team: usize): void {
  if (oneChunk) rowOneChunk<T>(log, x, y, cols);
  else row<T>(alg, log, x, y, cols, chunks, slots, team, 0, 1);
}

function softmaxRows<T>(
  alg: i32, log: bool, x: usize, y: usize, nrows: i32, cols: i32, work: usize, claims: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const chunks = chunkCount(cols);
  const rowBytes = <usize>cols << (isF32<T>() ? 2 : 3);
  const region = slotRegion(chunks);
  const byRows = chunks == 1 || nrows >= 4 * nthreads || (nrows >= nthreads && nrows % nthreads == 0);
  const slotBase = work;
  if (byRows) {
    const slots = slotBase + <usize>(tid + 2) * region;
    const oneChunk = chunks == 1 && (alg == THREE_PASS || alg == BLOCKED);
    if (ASC_FEATURE_THREADS && nthreads > 1) {
      // Rows are claimed in blocks from a counter (zeroed by the launch), so a
      // thread that starts late or is descheduled just does fewer rows; each
      // row is still computed whole by one thread, so the bits do not change.
      const block = max(1, ROWS_CLAIM_ELEMS / cols);
      for (;;) {
        const r0 = atomic.add<i32>(claims, block);
        if (r0 >= nrows) break;
        const r1 = min(nrows, r0 + block);
        for (let r = r0; r < r1; r++) wholeRow<T>(oneChunk, alg, log, x + <usize>r * rowBytes, y + <usize>r * rowBytes, cols, chunks, slots, team);
      }
      return;
    }
    for (let r = 0; r < nrows; r++) wholeRow<T>(oneChunk, alg, log, x + <usize>r * rowBytes, y + <usize>r * rowBytes, cols, chunks, slots, team);
    return;
  }
  for (let r = 0; r < nrows; r++) {
    row<T>(alg, log, x + <usize>r * rowBytes, y + <usize>r * rowBytes, cols, chunks,
      slotBase + <usize>(r & 1) * region, team, tid, nthreads);
  }
}

// ---- kernels (assembly/softmax/kernels.json): one per (log, dtype, algorithm) ---

export function softmax_f32_twopass(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f32>(TWO_PASS, false, x, y, rows, cols, work, at(out, SoftmaxF32TwopassOut.claims), team, tid, nthreads);
}

export function softmax_f32_threepass(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f32>(THREE_PASS, false, x, y, rows, cols, work, at(out, SoftmaxF32ThreepassOut.claims), team, tid, nthreads);
}

export function softmax_f32_online(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f32>(ONLINE, false, x, y, rows, cols, work, at(out, SoftmaxF32OnlineOut.claims), team, tid, nthreads);
}

export function softmax_f32_blocked(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f32>(BLOCKED, false, x, y, rows, cols, work, at(out, SoftmaxF32BlockedOut.claims), team, tid, nthreads);
}

export function softmax_f64_twopass(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f64>(TWO_PASS, false, x, y, rows, cols, work, at(out, SoftmaxF64TwopassOut.claims), team, tid, nthreads);
}

export function softmax_f64_threepass(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f64>(THREE_PASS, false, x, y, rows, cols, work, at(out, SoftmaxF64ThreepassOut.claims), team, tid, nthreads);
}

export function softmax_f64_online(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f64>(ONLINE, false, x, y, rows, cols, work, at(out, SoftmaxF64OnlineOut.claims), team, tid, nthreads);
}

export function softmax_f64_blocked(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f64>(BLOCKED, false, x, y, rows, cols, work, at(out, SoftmaxF64BlockedOut.claims), team, tid, nthreads);
}

export function logsoftmax_f32_twopass(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f32>(TWO_PASS, true, x, y, rows, cols, work, at(out, LogsoftmaxF32TwopassOut.claims), team, tid, nthreads);
}

export function logsoftmax_f32_threepass(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f32>(THREE_PASS, true, x, y, rows, cols, work, at(out, LogsoftmaxF32ThreepassOut.claims), team, tid, nthreads);
}

export function logsoftmax_f32_online(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f32>(ONLINE, true, x, y, rows, cols, work, at(out, LogsoftmaxF32OnlineOut.claims), team, tid, nthreads);
}

export function logsoftmax_f32_blocked(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f32>(BLOCKED, true, x, y, rows, cols, work, at(out, LogsoftmaxF32BlockedOut.claims), team, tid, nthreads);
}

export function logsoftmax_f64_twopass(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f64>(TWO_PASS, true, x, y, rows, cols, work, at(out, LogsoftmaxF64TwopassOut.claims), team, tid, nthreads);
}

export function logsoftmax_f64_threepass(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f64>(THREE_PASS, true, x, y, rows, cols, work, at(out, LogsoftmaxF64ThreepassOut.claims), team, tid, nthreads);
}

export function logsoftmax_f64_online(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f64>(ONLINE, true, x, y, rows, cols, work, at(out, LogsoftmaxF64OnlineOut.claims), team, tid, nthreads);
}

export function logsoftmax_f64_blocked(
  x: usize, y: usize, rows: i32, cols: i32, work: usize, out: usize, team: usize, tid: i32, nthreads: i32,
): void {
  softmaxRows<f64>(BLOCKED, true, x, y, rows, cols, work, at(out, LogsoftmaxF64BlockedOut.claims), team, tid, nthreads);
}
