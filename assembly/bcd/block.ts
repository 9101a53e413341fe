// Generic block coordinate descent (Nutini, Laradji & Schmidt, "Let's Make
// Block Coordinate Descent Converge Faster"), the whole solve in one SPMD
// launch:
//   min_x  f(x) + l1·‖x‖₁ (+ x ≥ 0),  f = mean loss + ½·l2·‖x‖²
// over m = p·K coordinates (K classes for the softmax loss, else 1;
// coordinate c = k·p + j is feature j of class k).
//
// Two ways to keep the gradient:
//  - least squares: the full gradient g = Aᵀ(A·x − b)/n + l2·x is computed
//    once from the residual and then updated incrementally after each block
//    step (g += M[:, b]·d_b, one contiguous SIMD axpy per moved coordinate),
//    so greedy rules see every coordinate's gradient each iteration without
//    touching A again. G = AᵀA is never formed whole: the columns of moved
//    coordinates are computed on first use (dense: p dots; sparse A, kept as
//    CSR by rows and columns: its column's rows scattered, nonzeros only) and
//    kept in a cache of cacheCols columns;
//  - logistic / softmax: z = A·X is kept and updated per step (row-parallel);
//    a block's gradient (and Hessian for Newton steps) is a row reduction
//    (per-chunk partials), and the full gradient, when a greedy rule or a
//    convergence check needs it, is Aᵀψ(z)/n, each coordinate's dot owned by
//    one thread.
// Greedy selection scans blocks (or coordinates, for variable blocks) split
// across threads; each thread's best (score, index) is combined with ties to
// the smaller index, so the choice is the same for any thread count. Small
// block computations (steps, factorizations) are repeated by every thread in
// its own scratch: identical inputs, identical bits, no extra reduction.
import { abortAgreed, aborted, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { at, padded } from "../core/memory";
import { ati, nextBlock } from "./order";
import { ABORTED, BcdF64Out, BcdLossCode, BcdRuleCode, BcdUpdateCode, CONVERGED, MAX_ITERATIONS } from "../generated/layouts";
import { dotContiguous, subtractScaled } from "../blas/level1";
import { blockQP, penaltyChange, proxScalar } from "./small";
import { choleskyShifted, cholQuadInverse, cholSolve, lambdaMaxUpper } from "../core/small-dense";

// Losses, rules and updates by their codes (assembly/bcd/codes.json; the host's
// table of them is in src/bcd/generic.ts). A rule is a greedy one (a score per
// block, the GS family) or picks by nextBlock (order.ts).

/** The greedy rules: they pick the block with the best score, after a scan of every block. */
// @ts-ignore: decorator
@inline function isGreedy(rule: i32): bool {
  return rule == BcdRuleCode.gs || rule == BcdRuleCode.gsl || rule == BcdRuleCode.gsd || rule == BcdRuleCode.gsq;
}

/** Rules whose epoch visits every block once: an epoch that moved nothing is a fixed point. */
// @ts-ignore: decorator
@inline function isSweep(rule: i32): bool {
  return rule == BcdRuleCode.cyclic || rule == BcdRuleCode.permutation;
}

/**
 * The curvature a greedy rule's score divides by, for one coordinate: GS one
 * bound for all (the largest), GSL its block's bound (the coordinate's own for
 * variable blocks), GSD its own. (GS-q scores the block with its matrix.)
 */
// @ts-ignore: decorator
@inline function scoreCurvature(rule: i32, lmax: f64, blockL: f64, coordL: f64): f64 {
  return rule == BcdRuleCode.gs ? lmax : rule == BcdRuleCode.gsl ? blockL : coordL;
}

/** The problem and the shared arrays the helpers read: each thread fills its own copy at entry. */
@unmanaged class Bcd {
  loss: i32; n: i32; p: i32; kk: i32; nb: i32; rule: i32; tau: i32; nthreads: i32; tid: i32; work: usize;
  nonneg: bool; activeSet: bool;
  l1: f64; l2: f64; hscale: f64;
  a: usize; target: usize; x: usize;
  sparse: bool; rowPtr: usize; rowIdx: usize; rowVal: usize; colPtr: usize; colIdx: usize; colVal: usize;
  blockPtr: usize; blockIdx: usize;
  cache: usize; cacheCols: i32; slotOf: usize; colOf: usize; stamp: usize; hand: i32;
  grad: usize; z: usize; psi: usize; score: usize; scoreQ: usize; blockM: usize; list: usize;
  blockL: usize; blockLhat: usize; cumL: usize; coordL: usize; active: usize; factors: usize;
  partials: usize; perm: usize;

  /** Address of workspace region `r` (WORK_*). */
  region(r: i32): usize {
    return this.work + <usize>workOffset(r, this.loss, this.n, this.p, this.kk, this.nb, this.rule, this.tau, this.cacheCols, this.nthreads);
  }
}

// The workspace ("work"), carved in this order, each region padded to 64 bytes.
const WORK_CACHE = 0;      // least squares: cached columns of G = AᵀA, p each (cacheCols·p)
const WORK_SCORE = 1;      // greedy rules: each coordinate's score this iteration (m)
const WORK_GRAD = 2;       // the gradient (m)
const WORK_Z = 3;          // z = A·X (K·n; least squares: the residual A·x − b, n)
const WORK_PSI = 4;        // ψ (K·n; logistic and softmax)
const WORK_BLOCK_L = 5;    // each block's curvature bound (nb, at least 1)
const WORK_BLOCK_LHAT = 6; // the line search's last accepted L (nb, at least 1)
const WORK_CUM_L = 7;      // the Lipschitz rule's cumulative bounds (nb, at least 1)
const WORK_COORD_L = 8;    // each coordinate's curvature (m)
const WORK_ACTIVE = 9;     // the active set (m)
const WORK_FACTORS = 10;   // GS-q: block b's Cholesky factor at b·τ² (nb·τ²)
const WORK_PARTIALS = 11;  // per-chunk partials: block gradient (τ), Hessian (τ²), two line-search buffers
const WORK_SLOTS = 12;     // per thread: slotStride(τ) shared slots
const WORK_PERM = 13;      // the permutation rule's order (nb i32)
const WORK_SCRATCH = 14;   // per thread: scratchStride(τ, K) private f64
const WORK_CONTEXT = 15;   // per thread: its Bcd
const WORK_SCORE_Q = 16;   // the curvature each coordinate's greedy score divides by (m)
const WORK_BLOCK_M = 17;   // fixed block b's curvature matrix at b·τ² (nb·τ²)
const WORK_SLOT_MAP = 18;  // per thread, its own copy of the cache's map: slotOf (p), colOf and stamp (cacheCols) i32
const WORK_LIST = 19;      // the active coordinates in increasing order, their count at [m] (m + 1 i32)
const WORK_END = 20;

/** Shared slots per thread: [best score, best index, max violation, list length, list (2τ)]. */
// @ts-ignore: decorator
@inline function slotStride(tau: i32): i32 {
  return 4 + 2 * tau;
}

/** Private scratch per thread (see bcd_f64's carving). */
function scratchStride(tau: i32, kk: i32): u64 {
  return <u64>(3 * tau * tau + 9 * tau + 2 * kk + 8) + <u64>CHUNK * <u64>(1 + 2 * kk);
}

/** blockQP's 3τ of private scratch: the last of the thread's scratch (bcd_f64's carving ends before it). */
function qpAux(ctx: Bcd): usize {
  return ctx.region(WORK_SCRATCH) + ((<usize>(ctx.tid + 1) * <usize>scratchStride(ctx.tau, ctx.kk) - <usize>(3 * ctx.tau)) << 3);
}

/** i32s of one thread's cache map. */
function slotMapStride(p: i32, cacheCols: i32): u64 {
  return cacheCols > 0 ? <u64>p + 2 * <u64>cacheCols + 16 : 0;
}

/** Bytes of workspace region `region` (WORK_*); u64, so that no size wraps before the host checks it. */
function workRegion(region: i32, loss: i32, n: i32, p: i32, kk: i32, nb: i32, rule: i32, tau: i32, cacheCols: i32, nthreads: i32): u64 {
  const m = <u64>p * <u64>kk, rows = loss == BcdLossCode.least_squares ? <u64>n : <u64>kk * <u64>n, blocks = <u64>max(nb, 1), chunks = <u64>chunkCount(n);
  const t = <u64>tau, threads = <u64>nthreads;
  let f64s: u64 = 0;
  switch (region) {
    case WORK_CACHE: f64s = <u64>cacheCols * <u64>p; break;
    case WORK_GRAD: case WORK_COORD_L: case WORK_ACTIVE: case WORK_SCORE: case WORK_SCORE_Q: f64s = m; break;
    case WORK_Z: f64s = rows; break;
    case WORK_PSI: f64s = loss == BcdLossCode.least_squares ? 0 : rows; break;
    case WORK_BLOCK_L: case WORK_BLOCK_LHAT: case WORK_CUM_L: f64s = blocks; break;
    case WORK_FACTORS: f64s = rule == BcdRuleCode.gsq ? <u64>nb * t * t : 0; break;
    case WORK_BLOCK_M: f64s = <u64>nb * t * t; break;
    case WORK_PARTIALS: f64s = (t + t * t + 4) * chunks; break;
    case WORK_SLOTS: f64s = threads * <u64>slotStride(tau); break;
    case WORK_PERM: return <u64>nb << 2;
    case WORK_SLOT_MAP: return (threads * slotMapStride(p, cacheCols)) << 2;
    case WORK_LIST: return (m + 1) << 2;
    case WORK_SCRATCH: f64s = threads * scratchStride(tau, kk); break;
    case WORK_CONTEXT: return threads * <u64>padded(offsetof<Bcd>());
  }
  return f64s << 3;
}

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, loss: i32, n: i32, p: i32, kk: i32, nb: i32, rule: i32, tau: i32, cacheCols: i32, nthreads: i32): u64 {
  let bytes: u64 = 0;
  for (let r = 0; r < region; r++) bytes += (workRegion(r, loss, n, p, kk, nb, rule, tau, cacheCols, nthreads) + 63) & ~<u64>63;
  return bytes;
}

/** Bytes of bcd_f64's workspace. */
export function bcdWorkspace(loss: i32, n: i32, p: i32, kk: i32, nb: i32, rule: i32, tau: i32, cacheCols: i32, nthreads: i32): f64 {
  return <f64>workOffset(WORK_END, loss, n, p, kk, nb, rule, tau, cacheCols, nthreads);
}

/** Block b's Cholesky factor (GS-q without a penalty). */
// @ts-ignore: decorator
@inline function factorOf(ctx: Bcd, b: i32): usize {
  return ctx.factors + ((<usize>b * <usize>(ctx.tau * ctx.tau)) << 3);
}

const ARMIJO: f64 = 0.01;
const ABORT_EVERY = 8;
const MAX_BACKTRACKS = 50;


/** How far coordinate value x with gradient g is from optimal (min-norm subgradient). */
// @ts-ignore: decorator
@inline function violation(x: f64, g: f64, l1: f64, nonneg: bool): f64 {
  if (x > 0) return Math.abs(g + l1);
  if (x < 0) return Math.abs(g - l1);
  return nonneg ? max(-(g + l1), 0) : max(Math.abs(g) - l1, 0);
}

/** −(best model decrease) of one coordinate with curvature q: the GS-q score (g²/2q without a penalty). */
// @ts-ignore: decorator
@inline function coordScore(x: f64, g: f64, q: f64, l1: f64, nonneg: bool): f64 {
  if (!(q > 0)) return 0;  // an all-zero column without l2: nothing to move
  const d = proxScalar(x - g / q, q, l1, nonneg) - x;
  return -(g * d + 0.5 * q * d * d + penaltyChange(x, d, l1));
}

/**
 * The greedy scan of coordinates [c0, c1), two at a time: each one's score
 * (coordScore with q = scoreQ, 0 when it sits out) into ctx.score, the same
 * bits as coordScore gives; returns their largest violation.
 */
function scanScores(ctx: Bcd, c0: i32, c1: i32): f64 {
  const x = ctx.x, g = ctx.grad, qs = ctx.scoreQ, act = ctx.active, out = ctx.score;
  const l1 = ctx.l1, nonneg = ctx.nonneg;
  const L1 = f64x2.splat(l1), NL1 = f64x2.splat(-l1), ZERO = f64x2.splat(0), HALF = f64x2.splat(0.5);
  let vmax = ZERO;
  let c = c0;
  for (; c + 2 <= c1; c += 2) {
    const o = <usize>c << 3;
    const xv = v128.load(x + o), gv = v128.load(g + o), qv = v128.load(qs + o);
    // proxScalar(x − g/q, q, l1, nonneg) − x, as u − clamp(u, −k, k).
    const u = f64x2.sub(xv, f64x2.div(gv, qv)), k = f64x2.div(L1, qv);
    let v = f64x2.sub(u, f64x2.min(f64x2.max(u, f64x2.neg(k)), k));
    if (nonneg) v = v128.bitselect(ZERO, v, f64x2.lt(v, ZERO));
    const d = f64x2.sub(v, xv), y = f64x2.add(xv, d);
    // penaltyChange(x, d, l1)
    const same = f64x2.mul(L1, d), flip = f64x2.mul(NL1, d);
    const cross = f64x2.mul(L1, f64x2.sub(f64x2.abs(y), f64x2.abs(xv)));
    const pos = v128.and(f64x2.gt(xv, ZERO), f64x2.ge(y, ZERO)), neg = v128.and(f64x2.lt(xv, ZERO), f64x2.le(y, ZERO));
    const pc = v128.bitselect(same, v128.bitselect(flip, cross, neg), pos);
    const model = f64x2.add(f64x2.add(f64x2.mul(gv, d), f64x2.mul(f64x2.mul(f64x2.mul(HALF, qv), d), d)), pc);
    const keep = v128.and(f64x2.gt(qv, ZERO), f64x2.ne(v128.load(act + o), ZERO));
    v128.store(out + o, v128.bitselect(f64x2.neg(model), ZERO, keep));
    // violation(x, g, l1, nonneg)
    const atZero = nonneg ? f64x2.max(f64x2.neg(f64x2.add(gv, L1)), ZERO) : f64x2.max(f64x2.sub(f64x2.abs(gv), L1), ZERO);
    const vio = v128.bitselect(f64x2.abs(f64x2.add(gv, L1)), v128.bitselect(f64x2.abs(f64x2.sub(gv, L1)), atZero, f64x2.lt(xv, ZERO)), f64x2.gt(xv, ZERO));
    vmax = f64x2.max(vmax, vio);
  }
  let vm = max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1));
  for (; c < c1; c++) {
    const xc = load<f64>(at(x, c)), gc = load<f64>(at(g, c));
    store<f64>(at(out, c), load<f64>(at(act, c)) != 0 ? coordScore(xc, gc, load<f64>(at(qs, c)), l1, nonneg) : 0);
    vm = max(vm, violation(xc, gc, l1, nonneg));
  }
  return vm;
}

/** Active set: coordinates [c0, c1) at zero strictly inside their optimality interval sit out (0), the rest take part (1). */
function markActive(ctx: Bcd, c0: i32, c1: i32): void {
  const x = ctx.x, g = ctx.grad, active = ctx.active, l1 = ctx.l1, nonneg = ctx.nonneg;
  for (let c = c0; c < c1; c++) {
    const gc = load<f64>(at(g, c));
    const inside = load<f64>(at(x, c)) == 0 && (nonneg ? gc + l1 > 0 : Math.abs(gc) < l1);
    store<f64>(at(active, c), inside ? 0 : 1);
  }
}

/** The working-set form (see bcd_f64): marks the active set from an exact gradient and lists it, in increasing order. */
function listActive(ctx: Bcd, c0: i32, c1: i32, team: usize, tid: i32, nthreads: i32): void {
  markActive(ctx, c0, c1);
  barrier(team, nthreads);
  const m = ctx.p * ctx.kk, list = ctx.list, active = ctx.active;
  if (tid == 0) {
    let len = 0;
    for (let c = 0; c < m; c++) if (load<f64>(at(active, c)) != 0) store<i32>(ati(list, len++), c);
    store<i32>(ati(list, m), len);
  }
  barrier(team, nthreads);
}

/**
 * The working-set form's scan of list positions [q0, q1): the violation of
 * each listed coordinate (returned, the largest) and the τ best scores into
 * the thread's slot list (its length at slot 3).
 */
function scanActiveList(ctx: Bcd, q0: i32, q1: i32, tau: i32, mySlot: usize): f64 {
  const x = ctx.x, g = ctx.grad, qs = ctx.scoreQ, list = ctx.list, l1 = ctx.l1, nonneg = ctx.nonneg;
  const top = at(mySlot, 4);
  let v: f64 = 0, len = 0, floor: f64 = 0;
  for (let q = q0; q < q1; q++) {
    const c = load<i32>(ati(list, q)), xc = load<f64>(at(x, c)), gc = load<f64>(at(g, c));
    v = max(v, violation(xc, gc, l1, nonneg));
    const sc = coordScore(xc, gc, load<f64>(at(qs, c)), l1, nonneg);
    if (sc <= floor) continue;
    len = topInsert(top, len, tau, sc, <f64>c);
    if (len == tau) floor = load<f64>(at(top, 2 * (tau - 1)));
  }
  store<f64>(at(mySlot, 3), <f64>len);
  return v;
}

// ---- the model: f's pieces for each loss --------------------------------

/** Coordinate c's feature column of A (column-major n×p). */
// @ts-ignore: decorator
@inline function column(ctx: Bcd, c: i32): usize {
  const n = ctx.n, p = ctx.p;
  return ctx.a + ((<usize>(c % p) * n) << 3);
}

/** Address of cache slot s: one column of G = AᵀA (p entries). */
// @ts-ignore: decorator
@inline function cacheColumn(ctx: Bcd, s: i32): usize {
  return ctx.cache + ((<usize>s * <usize>ctx.p) << 3);
}

/** a_jᵀv for feature j, v of n entries (dense or sparse A). */
function colDot(ctx: Bcd, j: i32, v: usize): f64 {
  if (!ctx.sparse) return dotContiguous(ctx.a + ((<usize>j * <usize>ctx.n) << 3), v, ctx.n);
  const cp = ctx.colPtr, ci = ctx.colIdx, cv = ctx.colVal;
  const e = load<i32>(ati(cp, j + 1));
  let s: f64 = 0;
  for (let q = load<i32>(ati(cp, j)); q < e; q++) s += load<f64>(at(cv, q)) * load<f64>(at(v, load<i32>(ati(ci, q))));
  return s;
}

/** a_jᵀa_k computed from A: dense, a SIMD dot; sparse, a merge of the two columns' rows (ascending, as fillGramColumn sums). */
function pairDot(ctx: Bcd, j: i32, k: i32): f64 {
  if (!ctx.sparse) return colDot(ctx, j, ctx.a + ((<usize>k * <usize>ctx.n) << 3));
  const cp = ctx.colPtr, ci = ctx.colIdx, cv = ctx.colVal;
  let q = load<i32>(ati(cp, j)), r = load<i32>(ati(cp, k));
  const qe = load<i32>(ati(cp, j + 1)), re = load<i32>(ati(cp, k + 1));
  let s: f64 = 0;
  while (q < qe && r < re) {
    const iq = load<i32>(ati(ci, q)), ir = load<i32>(ati(ci, r));
    if (iq < ir) q++;
    else if (ir < iq) r++;
    else { s += load<f64>(at(cv, r)) * load<f64>(at(cv, q)); q++; r++; }
  }
  return s;
}

/** G_jk = a_jᵀa_k: read from the cache when either column is in it, else computed (the same bits either way). */
function gramEntry(ctx: Bcd, j: i32, k: i32): f64 {
  if (ctx.cacheCols > 0) {
    let s = load<i32>(ati(ctx.slotOf, k));
    if (s >= 0) return load<f64>(at(cacheColumn(ctx, s), j));
    s = load<i32>(ati(ctx.slotOf, j));
    if (s >= 0) return load<f64>(at(cacheColumn(ctx, s), k));
  }
  return pairDot(ctx, j, k);
}

/** Entries [k0, k1) of G's column c into dst (contiguous): dense, one dot each; sparse, a_c's rows scattered. */
function fillGramColumn(ctx: Bcd, c: i32, dst: usize, k0: i32, k1: i32): void {
  if (!ctx.sparse) {
    const n = ctx.n, ac = ctx.a + ((<usize>c * <usize>n) << 3);
    for (let k = k0; k < k1; k++) store<f64>(at(dst, k), dotContiguous(ctx.a + ((<usize>k * <usize>n) << 3), ac, n));
    return;
  }
  for (let k = k0; k < k1; k++) store<f64>(at(dst, k), 0);
  const cp = ctx.colPtr, ci = ctx.colIdx, cv = ctx.colVal, rp = ctx.rowPtr, ri = ctx.rowIdx, rv = ctx.rowVal;
  const whole = k0 == 0 && k1 == ctx.p;
  const e = load<i32>(ati(cp, c + 1));
  for (let q = load<i32>(ati(cp, c)); q < e; q++) {
    const i = load<i32>(ati(ci, q)), v = load<f64>(at(cv, q));
    let r = load<i32>(ati(rp, i));
    const re = load<i32>(ati(rp, i + 1));
    if (!whole) {
      // This thread's share of the row: the first entry at or after k0.
      let hi = re;
      while (r < hi) { const mid = (r + hi) >>> 1; if (load<i32>(ati(ri, mid)) < k0) r = mid + 1; else hi = mid; }
    }
    for (; r < re; r++) {
      const k = load<i32>(ati(ri, r));
      if (k >= k1) break;
      const o = at(dst, k);
      store<f64>(o, load<f64>(o) + v * load<f64>(at(rv, r)));
    }
  }
}

/**
 * Puts the block's G columns in the cache (least squares), each thread
 * filling its own share [k0, k1) of a new column. Every thread keeps the same
 * map, so all make the same choices: a miss takes the clock hand's next slot
 * not used at `now` (cacheCols > τ, so there is one).
 */
function ensureColumns(ctx: Bcd, cur: usize, t: i32, now: i32, k0: i32, k1: i32, team: usize, nthreads: i32): void {
  const slotOf = ctx.slotOf, colOf = ctx.colOf, stamp = ctx.stamp, cap = ctx.cacheCols;
  let missing = false;
  for (let e = 0; e < t; e++) {
    const s = load<i32>(ati(slotOf, <i32>load<f64>(at(cur, e))));
    if (s >= 0) store<i32>(ati(stamp, s), now); else missing = true;
  }
  if (!missing) return;
  barrier(team, nthreads);  // nobody still reads a slot about to be refilled
  for (let e = 0; e < t; e++) {
    const c = <i32>load<f64>(at(cur, e));
    if (load<i32>(ati(slotOf, c)) >= 0) continue;
    let s = ctx.hand;
    while (load<i32>(ati(stamp, s)) == now) s = s + 1 == cap ? 0 : s + 1;
    ctx.hand = s + 1 == cap ? 0 : s + 1;
    const old = load<i32>(ati(colOf, s));
    if (old >= 0) store<i32>(ati(slotOf, old), -1);
    store<i32>(ati(colOf, s), c);
    store<i32>(ati(slotOf, c), s);
    store<i32>(ati(stamp, s), now);
    fillGramColumn(ctx, c, cacheColumn(ctx, s), k0, k1);
  }
  barrier(team, nthreads);
}

/** M_ab: the block curvature bound hscale·[same class]·G_jj'/n + l2·[a = b]. */
function curvature(ctx: Bcd, c: i32, e: i32): f64 {
  const p = ctx.p, n = <f64>ctx.n;
  let v: f64 = 0;
  if (c / p == e / p) v = ctx.hscale * gramEntry(ctx, c % p, e % p) / n;
  if (c == e) v += ctx.l2;
  return v;
}

function buildM(ctx: Bcd, cur: usize, t: i32, mb: usize): void {
  for (let a = 0; a < t; a++) {
    const ca = <i32>load<f64>(at(cur, a));
    for (let b = 0; b < t; b++) store<f64>(at(mb, a * t + b), curvature(ctx, ca, <i32>load<f64>(at(cur, b))));
  }
}

/** Fixed block b's curvature matrix for its coordinates in cur (t of them): the stored one when none sits out, else built. */
function blockMatrix(ctx: Bcd, b: i32, cur: usize, t: i32, mb: usize): void {
  const full = load<i32>(ati(ctx.blockPtr, b + 1)) - load<i32>(ati(ctx.blockPtr, b));
  if (t != full) { buildM(ctx, cur, t, mb); return; }
  const src = ctx.blockM + ((<usize>b * <usize>(ctx.tau * ctx.tau)) << 3);
  for (let q = 0; q < t * t; q++) store<f64>(at(mb, q), load<f64>(at(src, q)));
}

/** Class probabilities (softmax) or σ for row i into probs; returns the row's loss. */
function rowModel(ctx: Bcd, i: i32, probs: usize): f64 {
  const loss = ctx.loss, n = ctx.n, z = ctx.z;
  const yi = load<f64>(at(ctx.target, i));
  if (loss == BcdLossCode.logistic) {
    const u = yi * load<f64>(at(z, i));
    store<f64>(probs, 1.0 / (1.0 + Math.exp(u)));  // σ(−u)
    return u < 0 ? -u + Math.log1p(Math.exp(u)) : Math.log1p(Math.exp(-u));
  }
  const kk = ctx.kk;
  let zmax = -Infinity;
  for (let k = 0; k < kk; k++) zmax = max(zmax, load<f64>(at(z, k * n + i)));
  let sum: f64 = 0;
  for (let k = 0; k < kk; k++) {
    const e = Math.exp(load<f64>(at(z, k * n + i)) - zmax);
    store<f64>(at(probs, k), e);
    sum += e;
  }
  for (let k = 0; k < kk; k++) store<f64>(at(probs, k), load<f64>(at(probs, k)) / sum);
  return zmax + Math.log(sum) - load<f64>(at(z, <i32>yi * n + i));
}

/** ψ for rows [r0, r1) into psi (K×n): ∂loss_i/∂z_ik. */
function psiRows(ctx: Bcd, r0: i32, r1: i32, probs: usize): void {
  const n = ctx.n, kk = ctx.kk, psi = ctx.psi, target = ctx.target;
  const logistic = ctx.loss == BcdLossCode.logistic;
  for (let i = r0; i < r1; i++) {
    rowModel(ctx, i, probs);
    const yi = load<f64>(at(target, i));
    if (logistic) { store<f64>(at(psi, i), -yi * load<f64>(probs)); continue; }
    for (let k = 0; k < kk; k++) store<f64>(at(psi, k * n + i), load<f64>(at(probs, k)) - (<i32>yi == k ? 1.0 : 0.0));
  }
}

/** g_c = a_jᵀψ_k/n + l2·x_c for c in [c0, c1). */
function gradientFromPsi(ctx: Bcd, c0: i32, c1: i32, team: usize): void {
  const n = ctx.n, p = ctx.p, l2 = ctx.l2;
  const psi = ctx.psi, x = ctx.x, g = ctx.grad;
  for (let c = c0; c < c1; c++) {
    if (aborted(team)) return; // the rest is skipped; the next broadcast check ends the launch
    const s = dotContiguous(column(ctx, c), psi + ((<usize>(c / p) * n) << 3), n);
    store<f64>(at(g, c), s / <f64>n + l2 * load<f64>(at(x, c)));
  }
}

/** Least squares: the residual z = A·x − b for rows [r0, r1). */
function residualRows(ctx: Bcd, r0: i32, r1: i32): void {
  const n = ctx.n, p = ctx.p, z = ctx.z, b = ctx.target, x = ctx.x;
  if (ctx.sparse) {
    const rp = ctx.rowPtr, ri = ctx.rowIdx, rv = ctx.rowVal;
    for (let i = r0; i < r1; i++) {
      let s = -load<f64>(at(b, i));
      const e = load<i32>(ati(rp, i + 1));
      for (let q = load<i32>(ati(rp, i)); q < e; q++) s += load<f64>(at(rv, q)) * load<f64>(at(x, load<i32>(ati(ri, q))));
      store<f64>(at(z, i), s);
    }
    return;
  }
  for (let i = r0; i < r1; i++) store<f64>(at(z, i), -load<f64>(at(b, i)));
  for (let j = 0; j < p; j++) {
    const xv = load<f64>(at(x, j));
    if (xv != 0) subtractScaled(at(z, r0), at(ctx.a + ((<usize>j * <usize>n) << 3), r0), -xv, r1 - r0);
  }
}

/** Least squares: g_c = a_cᵀ(A·x − b)/n + l2·x_c for c in [c0, c1), from the residual (rows [r0, r1) this thread's). */
function gradientFromResidual(ctx: Bcd, r0: i32, r1: i32, c0: i32, c1: i32, team: usize, nthreads: i32): void {
  residualRows(ctx, r0, r1);
  barrier(team, nthreads);
  const n = <f64>ctx.n, l2 = ctx.l2, x = ctx.x, g = ctx.grad, z = ctx.z;
  for (let c = c0; c < c1; c++) {
    if (aborted(team)) return; // as in gradientFromPsi
    store<f64>(at(g, c), colDot(ctx, c, z) / n + l2 * load<f64>(at(x, c)));
  }
}

/**
 * The model's probabilities for rows [s0, s0 + len) into pb (K×len), read
 * back from ψ (current for this iteration): σ(−y·z) for the logistic loss,
 * the class probabilities for softmax.
 */
function chunkProbs(ctx: Bcd, s0: i32, len: i32, pb: usize): void {
  const n = ctx.n, kk = ctx.kk, psi = ctx.psi, target = ctx.target;
  if (ctx.loss == BcdLossCode.logistic) {
    for (let i = 0; i < len; i++) store<f64>(at(pb, i), -load<f64>(at(target, s0 + i)) * load<f64>(at(psi, s0 + i)));
    return;
  }
  for (let k = 0; k < kk; k++) {
    const src = psi + ((<usize>k * n + s0) << 3), dst = at(pb, k * len);
    for (let i = 0; i < len; i++) store<f64>(at(dst, i), load<f64>(at(src, i)));
  }
  for (let i = 0; i < len; i++) {
    const y = <i32>load<f64>(at(target, s0 + i));
    const q = at(pb, y * len + i);
    store<f64>(q, load<f64>(q) + 1.0);
  }
}

/** Σ_i u_i·v_i·w_i·(δ − r_i): one Hessian entry's partial (w = r = σ and δ = 1 for the logistic loss). */
function curvDot(u: usize, v: usize, w: usize, r: usize, delta: f64, len: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < len; i++) {
    const o = <usize>i << 3;
    s += load<f64>(u + o) * load<f64>(v + o) * load<f64>(w + o) * (delta - load<f64>(r + o));
  }
  return s;
}

/**
 * Partials over this thread's chunks of the block's gradient (τ values) and,
 * with `hessian`, its Hessian (τ² values): quantity q of chunk cc at
 * partials[q·chunks + cc]. Column-wise over each chunk, from ψ.
 */
function blockRowPass(ctx: Bcd, cur: usize, t: i32, hessian: bool, cc0: i32, cc1: i32, pb: usize, team: usize): void {
  const n = ctx.n, p = ctx.p, chunks = chunkCount(n), part = ctx.partials, psi = ctx.psi;
  const logistic = ctx.loss == BcdLossCode.logistic;
  for (let cc = cc0; cc < cc1; cc++) {
    if (aborted(team)) return; // as in gradientFromPsi
    const s0 = cc * CHUNK, len = min(n, s0 + CHUNK) - s0;
    if (hessian) chunkProbs(ctx, s0, len, pb);
    for (let a = 0; a < t; a++) {
      const ca = <i32>load<f64>(at(cur, a)), ka = ca / p;
      const colA = at(column(ctx, ca), s0);
      store<f64>(at(part, a * chunks + cc), dotContiguous(colA, psi + ((<usize>ka * n + s0) << 3), len));
      if (!hessian) continue;
      for (let b = 0; b <= a; b++) {
        const cb = <i32>load<f64>(at(cur, b)), kb = cb / p;
        const colB = at(column(ctx, cb), s0);
        const h = logistic ? curvDot(colA, colB, pb, pb, 1.0, len) : curvDot(colA, colB, at(pb, ka * len), at(pb, kb * len), ka == kb ? 1.0 : 0.0, len);
        store<f64>(at(part, (t + a * t + b) * chunks + cc), h);
      }
    }
  }
}

/** After blockRowPass and a barrier: gb = block gradient, and mb = block Hessian (+ l2·I) with `hessian`. */
function blockRowSum(ctx: Bcd, cur: usize, t: i32, hessian: bool, gb: usize, mb: usize): void {
  const n = ctx.n, chunks = chunkCount(n), part = ctx.partials, l2 = ctx.l2, x = ctx.x;
  const invN = 1.0 / <f64>n;
  for (let a = 0; a < t; a++) {
    const ca = <i32>load<f64>(at(cur, a));
    store<f64>(at(gb, a), sumPartials(at(part, a * chunks), chunks) * invN + l2 * load<f64>(at(x, ca)));
    if (!hessian) continue;
    for (let b = 0; b <= a; b++) {
      const h = sumPartials(at(part, (t + a * t + b) * chunks), chunks) * invN + (a == b ? l2 : 0.0);
      store<f64>(at(mb, a * t + b), h);
      store<f64>(at(mb, b * t + a), h);
    }
  }
}

/** Partials of Σ_i [loss_i(z_i + δz_i) − loss_i(z_i)] for the block step d, into buf[cc]; pb, dzb hold K×CHUNK. */
function lossChangePass(ctx: Bcd, cur: usize, t: i32, d: usize, buf: usize, cc0: i32, cc1: i32, pb: usize, dzb: usize, team: usize): void {
  const n = ctx.n, p = ctx.p, kk = ctx.kk;
  const logistic = ctx.loss == BcdLossCode.logistic, target = ctx.target;
  for (let cc = cc0; cc < cc1; cc++) {
    if (aborted(team)) return; // as in gradientFromPsi
    const s0 = cc * CHUNK, len = min(n, s0 + CHUNK) - s0;
    chunkProbs(ctx, s0, len, pb);
    for (let i = 0; i < kk * len; i++) store<f64>(at(dzb, i), 0);
    for (let a = 0; a < t; a++) {
      const ca = <i32>load<f64>(at(cur, a)), da = load<f64>(at(d, a));
      if (da == 0) continue;
      const col = at(column(ctx, ca), s0), dz = at(dzb, (ca / p) * len);
      for (let i = 0; i < len; i++) store<f64>(at(dz, i), load<f64>(at(dz, i)) + da * load<f64>(at(col, i)));
    }
    let sum: f64 = 0;
    for (let i = 0; i < len; i++) {
      const yi = load<f64>(at(target, s0 + i));
      if (logistic) {
        // softplus(u + δ) − softplus(u) = log1p(σ(u)·expm1(δ)), u = −y·z, δ = −y·δz: exact for tiny steps.
        const dzi = load<f64>(at(dzb, i));
        if (dzi != 0) sum += Math.log1p(load<f64>(at(pb, i)) * Math.expm1(-yi * dzi));
        continue;
      }
      // logsumexp(z + δ) − logsumexp(z) − δ_y = log1p(Σ p_k·expm1(δ_k)) − δ_y.
      let s2: f64 = 0;
      for (let k = 0; k < kk; k++) {
        const dk = load<f64>(at(dzb, k * len + i));
        if (dk != 0) s2 += load<f64>(at(pb, k * len + i)) * Math.expm1(dk);
      }
      sum += Math.log1p(s2) - load<f64>(at(dzb, <i32>yi * len + i));
    }
    store<f64>(at(buf, cc), sum);
  }
}

/** l1·Σ|x| change and ½l2 change of the block step d (l2 is part of f). */
function smoothPenaltyChange(l2: f64, xb: usize, d: usize, t: i32): f64 {
  let s: f64 = 0;
  for (let a = 0; a < t; a++) { const xa = load<f64>(at(xb, a)), da = load<f64>(at(d, a)); s += l2 * (xa * da + 0.5 * da * da); }
  return s;
}

function l1Change(l1: f64, xb: usize, d: usize, t: i32): f64 {
  let s: f64 = 0;
  for (let a = 0; a < t; a++) s += penaltyChange(load<f64>(at(xb, a)), load<f64>(at(d, a)), l1);
  return s;
}

/** d = prox(x_b − g_b/L) − x_b. */
function proxStep(xb: usize, gb: usize, t: i32, lip: f64, l1: f64, nonneg: bool, d: usize): void {
  if (!(lip > 0)) { for (let a = 0; a < t; a++) store<f64>(at(d, a), 0); return; }
  for (let a = 0; a < t; a++) {
    const xa = load<f64>(at(xb, a));
    store<f64>(at(d, a), proxScalar(xa - load<f64>(at(gb, a)) / lip, lip, l1, nonneg) - xa);
  }
}

// ---- selection -------------------------------------------------------------

/** Fixed block b's coordinates into cur (skipping inactive ones with activeSet); returns how many. */
function loadBlock(ctx: Bcd, b: i32, cur: usize): i32 {
  const bp = ctx.blockPtr, bi = ctx.blockIdx, active = ctx.active;
  const useActive = ctx.activeSet;
  const e = load<i32>(ati(bp, b + 1));
  let t = 0;
  for (let q = load<i32>(ati(bp, b)); q < e; q++) {
    const c = load<i32>(ati(bi, q));
    if (useActive && load<f64>(at(active, c)) == 0) continue;
    store<f64>(at(cur, t++), <f64>c);
  }
  return t;
}

function gatherBlock(ctx: Bcd, cur: usize, t: i32, gb: usize, xb: usize): void {
  const g = ctx.grad, x = ctx.x;
  for (let a = 0; a < t; a++) {
    const c = <i32>load<f64>(at(cur, a));
    if (gb) store<f64>(at(gb, a), load<f64>(at(g, c)));
    store<f64>(at(xb, a), load<f64>(at(x, c)));
  }
}

/** The greedy score of fixed block b: GS, GSL and GSD sum its coordinates' scores (after scanScores), GS-q minimises its model. */
function blockScore(ctx: Bcd, b: i32, cur: usize, gb: usize, xb: usize, mb: usize, lf: usize, d: usize, md: usize): f64 {
  const rule = ctx.rule, l1 = ctx.l1, nonneg = ctx.nonneg;
  if (rule != BcdRuleCode.gsq) {
    const bp = ctx.blockPtr, bi = ctx.blockIdx, score = ctx.score;
    const e = load<i32>(ati(bp, b + 1));
    let s: f64 = 0;
    for (let q = load<i32>(ati(bp, b)); q < e; q++) s += load<f64>(at(score, load<i32>(ati(bi, q))));
    return s;
  }
  const t = loadBlock(ctx, b, cur);
  if (t == 0) return 0;
  gatherBlock(ctx, cur, t, gb, xb);
  if (l1 == 0 && !nonneg && !ctx.activeSet) {
    const fp = factorOf(ctx, b);
    return 0.5 * cholQuadInverse(fp, t, gb, d);
  }
  blockMatrix(ctx, b, cur, t, mb);
  return -blockQP(mb, gb, xb, t, l1, nonneg, d, md, lf, at(lf, ctx.tau * ctx.tau), qpAux(ctx));
}

/** Inserts (score, c) into a list of at most tau entries sorted by score desc, index asc. */
function topInsert(list: usize, len: i32, tau: i32, score: f64, c: f64): i32 {
  // list: [score0, idx0, score1, idx1, ...]
  let pos = len;
  while (pos > 0) {
    const ps = load<f64>(at(list, 2 * (pos - 1))), pi = load<f64>(at(list, 2 * (pos - 1) + 1));
    if (ps > score || (ps == score && pi < c)) break;
    pos--;
  }
  if (pos >= tau) return len;
  const newLen = min(len + 1, tau);
  for (let q = newLen - 1; q > pos; q--) {
    store<f64>(at(list, 2 * q), load<f64>(at(list, 2 * (q - 1))));
    store<f64>(at(list, 2 * q + 1), load<f64>(at(list, 2 * (q - 1) + 1)));
  }
  store<f64>(at(list, 2 * pos), score);
  store<f64>(at(list, 2 * pos + 1), c);
  return newLen;
}

// ---- the solve -------------------------------------------------------------

/**
 * The whole solve over m = p·K coordinates. A column-major n×p; target b, the
 * labels ±1 or the class indices; nb fixed blocks (blockPtr, blockIdx: CSR
 * over the coordinates), or none for variable blocks of τ chosen by a greedy
 * rule. x holds x0 on entry and the solution on exit; history receives the
 * violation after each epoch (at most historyCap).
 */
export function bcd_f64(
  loss: i32, n: i32, p: i32, kk: i32, a: usize, target: usize, x: usize,
  sparse: bool, rowPtr: usize, rowIdx: usize, rowVal: usize, colPtr: usize, colIdx: usize, colVal: usize, cacheCols: i32,
  nb: i32, blockPtr: usize, blockIdx: usize, rule: i32, update: i32, tau: i32,
  l1: f64, l2: f64, nonneg: bool, activeSet: bool, hscale: f64, tol: f64, maxIter: i32, seed: f64,
  history: usize, historyCap: i32, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const ctx = changetype<Bcd>(work + <usize>workOffset(WORK_CONTEXT, loss, n, p, kk, nb, rule, tau, cacheCols, nthreads) + <usize>tid * padded(offsetof<Bcd>()));
  ctx.loss = loss; ctx.n = n; ctx.p = p; ctx.kk = kk; ctx.nb = nb; ctx.rule = rule; ctx.tau = tau; ctx.nthreads = nthreads; ctx.tid = tid; ctx.work = work;
  ctx.nonneg = nonneg; ctx.activeSet = activeSet; ctx.l1 = l1; ctx.l2 = l2; ctx.hscale = hscale;
  ctx.a = a; ctx.target = target; ctx.x = x; ctx.blockPtr = blockPtr; ctx.blockIdx = blockIdx;
  ctx.sparse = sparse; ctx.rowPtr = rowPtr; ctx.rowIdx = rowIdx; ctx.rowVal = rowVal; ctx.colPtr = colPtr; ctx.colIdx = colIdx; ctx.colVal = colVal;
  ctx.cache = ctx.region(WORK_CACHE); ctx.cacheCols = cacheCols; ctx.hand = 0;
  const mapStride = slotMapStride(p, cacheCols);
  ctx.slotOf = ctx.region(WORK_SLOT_MAP) + ((<usize>tid * <usize>mapStride) << 2);
  ctx.colOf = ati(ctx.slotOf, p); ctx.stamp = ati(ctx.colOf, cacheCols);
  ctx.grad = ctx.region(WORK_GRAD); ctx.z = ctx.region(WORK_Z); ctx.psi = ctx.region(WORK_PSI);
  ctx.list = ctx.region(WORK_LIST); ctx.score = ctx.region(WORK_SCORE); ctx.scoreQ = ctx.region(WORK_SCORE_Q); ctx.blockM = ctx.region(WORK_BLOCK_M);
  ctx.blockL = ctx.region(WORK_BLOCK_L); ctx.blockLhat = ctx.region(WORK_BLOCK_LHAT); ctx.cumL = ctx.region(WORK_CUM_L);
  ctx.coordL = ctx.region(WORK_COORD_L); ctx.active = ctx.region(WORK_ACTIVE); ctx.factors = ctx.region(WORK_FACTORS);
  ctx.partials = ctx.region(WORK_PARTIALS); ctx.perm = ctx.region(WORK_PERM);
  const m = p * kk, chunks = chunkCount(n);
  const g = ctx.grad, z = ctx.z;
  const variable = nb == 0;
  const rseed = <u64>seed;
  const coordL = ctx.coordL, blockL = ctx.blockL, blockLhat = ctx.blockLhat, active = ctx.active;
  const part = ctx.partials, lsBuf = at(part, (tau + tau * tau) * chunks), slots = ctx.region(WORK_SLOTS);
  const gramPath = loss == BcdLossCode.least_squares;
  const greedy = isGreedy(rule);
  // Private scratch.
  const s = ctx.region(WORK_SCRATCH) + ((<usize>tid * <usize>scratchStride(tau, kk)) << 3);
  const t2 = tau * tau;
  const cur = s, mb = at(cur, tau), lf = at(mb, t2), w2 = at(lf, t2), gb = at(w2, t2), d = at(gb, tau), xb = at(d, tau);
  const md = at(xb, tau), w1 = at(md, tau), probs = at(w1, tau), rowBuf = at(probs, kk), pb = at(rowBuf, CHUNK), dzb = at(pb, kk * CHUNK);
  // This thread's shares: rows (by chunk), coordinates, fixed blocks.
  const cc0 = rangeStart(chunks, tid, nthreads), cc1 = rangeStart(chunks, tid + 1, nthreads);
  const r0 = cc0 * CHUNK, r1 = min(n, cc1 * CHUNK);
  const c0 = rangeStart(m, tid, nthreads), c1 = rangeStart(m, tid + 1, nthreads);
  const b0 = rangeStart(nb, tid, nthreads), b1 = rangeStart(nb, tid + 1, nthreads);
  const stride = slotStride(tau), mySlot = at(slots, tid * stride);

  // -- set-up: an empty Gram cache, z = A·X (logistic, softmax), each coordinate's and block's curvature, the gradient.
  for (let j = 0; j < p && cacheCols > 0; j++) store<i32>(ati(ctx.slotOf, j), -1);
  for (let q = 0; q < cacheCols; q++) { store<i32>(ati(ctx.colOf, q), -1); store<i32>(ati(ctx.stamp, q), -1); }
  if (!gramPath) {
    for (let k = 0; k < kk; k++) {
      const zk = z + ((<usize>k * n) << 3);
      for (let i = r0; i < r1; i++) store<f64>(at(zk, i), 0);
      for (let j = 0; j < p; j++) {
        if (aborted(team)) break;
        const xv = load<f64>(at(x, k * p + j));
        if (xv == 0) continue;
        const cj = a + ((<usize>j * n) << 3);
        for (let i = r0; i < r1; i++) store<f64>(at(zk, i), load<f64>(at(zk, i)) + xv * load<f64>(at(cj, i)));
      }
    }
  }
  for (let c = c0; c < c1; c++) {
    store<f64>(at(coordL, c), curvature(ctx, c, c));
    store<f64>(at(active, c), 1);
  }
  if (gramPath) gradientFromResidual(ctx, r0, r1, c0, c1, team, nthreads);
  barrier(team, nthreads);
  const factorize = rule == BcdRuleCode.gsq && l1 == 0 && !nonneg && !activeSet;
  for (let b = b0; b < b1; b++) {
    // The set-up's longest phase on wide problems (τ² column dots a block): as in gradientFromPsi.
    if (aborted(team)) break;
    const t = loadBlock(ctx, b, cur);
    buildM(ctx, cur, t, mb);
    const stored = ctx.blockM + ((<usize>b * <usize>t2) << 3);
    for (let q = 0; q < t * t; q++) store<f64>(at(stored, q), load<f64>(at(mb, q)));
    const lb = lambdaMaxUpper(mb, t, w2, lf);
    store<f64>(at(blockL, b), lb);
    store<f64>(at(blockLhat, b), lb);
    if (factorize) choleskyShifted(mb, factorOf(ctx, b), t, w2);
  }
  barrier(team, nthreads);
  let lmax: f64 = 0;
  for (let c = 0; c < m; c++) lmax = max(lmax, load<f64>(at(coordL, c)));
  if (variable) store<f64>(blockLhat, lmax);
  // The curvature each coordinate's greedy score divides by (scoreCurvature).
  if (rule == BcdRuleCode.gsl && !variable) {
    for (let b = b0; b < b1; b++) {
      const lb = load<f64>(at(blockL, b)), e = load<i32>(ati(blockPtr, b + 1));
      for (let q = load<i32>(ati(blockPtr, b)); q < e; q++) store<f64>(at(ctx.scoreQ, load<i32>(ati(blockIdx, q))), lb);
    }
  } else {
    for (let c = c0; c < c1; c++) { const lc = load<f64>(at(coordL, c)); store<f64>(at(ctx.scoreQ, c), scoreCurvature(rule, lmax, lc, lc)); }
  }
  let lsum: f64 = 0;
  if (tid == 0 && rule == BcdRuleCode.lipschitz) {
    for (let b = 0; b < nb; b++) { lsum += load<f64>(at(blockL, b)); store<f64>(at(ctx.cumL, b), lsum); }
  }
  barrier(team, nthreads);
  lsum = nb > 0 ? load<f64>(at(ctx.cumL, nb - 1)) : 0;

  const epochLen = variable ? (m + tau - 1) / tau : nb;
  let iter = 0, reason = MAX_ITERATIONS, checks = 0, epochs = 0;
  let v0: f64 = -1, viol: f64 = Infinity;
  // gFresh: g is exact (just recomputed, no step since); stalled: the last greedy step rounded to nothing.
  let movedEpoch = false, gFresh = true, rechecking = false, stalled = false;
  // The working-set form (least squares, greedy variable blocks, activeSet): between epoch checks the
  // gradient is kept, scanned and updated on the active list only (this thread's share: positions [q0, q1)),
  // and at each epoch check, or when the list looks converged, recomputed whole from the residual.
  const workingSet = gramPath && greedy && variable && activeSet;
  let q0 = 0, q1 = 0;
  while (true) {
    const epochStart = iter % epochLen == 0;
    const check = greedy || epochStart;
    if (workingSet && epochStart && !rechecking) {
      if (!gFresh) {
        barrier(team, nthreads);
        gradientFromResidual(ctx, r0, r1, c0, c1, team, nthreads);
        gFresh = true;
      }
      listActive(ctx, c0, c1, team, tid, nthreads);
      const len = load<i32>(ati(ctx.list, m));
      q0 = rangeStart(len, tid, nthreads); q1 = rangeStart(len, tid + 1, nthreads);
    }
    // ψ for this thread's rows every iteration (the block passes read it); the full gradient when needed.
    if (!gramPath) {
      psiRows(ctx, r0, r1, probs);
      if (check) {
        barrier(team, nthreads);
        gradientFromPsi(ctx, c0, c1, team);
        barrier(team, nthreads);
      }
    }
    // Convergence check, and with greedy rules the selection scan: every
    // thread takes its share, then all combine the shares in thread order.
    let stop = false, chosen = -1, t = 0;
    if (check) {
      let v: f64 = 0;
      const listScan = workingSet && !gFresh;
      if (listScan) v = scanActiveList(ctx, q0, q1, tau, mySlot);
      else if (greedy) v = scanScores(ctx, c0, c1);
      else for (let c = c0; c < c1; c++) v = max(v, violation(load<f64>(at(x, c)), load<f64>(at(g, c)), l1, nonneg));
      store<f64>(at(mySlot, 2), v);
      if (greedy && variable && !listScan) {
        // The τ best of this thread's share: a list insert only for a score above the list's last.
        let len = 0, floor: f64 = 0;
        const list = at(mySlot, 4), score = ctx.score;
        for (let c = c0; c < c1; c++) {
          const sc = load<f64>(at(score, c));
          if (sc <= floor) continue;
          len = topInsert(list, len, tau, sc, <f64>c);
          if (len == tau) floor = load<f64>(at(list, 2 * (tau - 1)));
        }
        store<f64>(at(mySlot, 3), <f64>len);
      } else if (greedy) {
        if (rule != BcdRuleCode.gsq) barrier(team, nthreads);  // block sums read other threads' scores
        let best: f64 = 0, bi = -1;
        for (let b = b0; b < b1; b++) {
          const sc = blockScore(ctx, b, cur, gb, xb, mb, lf, d, md);
          if (sc > best) { best = sc; bi = b; }
        }
        store<f64>(mySlot, best);
        store<f64>(at(mySlot, 1), <f64>bi);
      }
      stop = abortAgreed(team, checks++, tid, nthreads);
      v = 0;
      for (let q = 0; q < nthreads; q++) v = max(v, load<f64>(at(slots, q * stride + 2)));
      viol = v;
    }
    if (greedy) {
      if (variable) {
        // Merge every thread's list (thread order; ties to the smaller index).
        let len = 0;
        for (let q = 0; q < nthreads; q++) {
          const list = at(slots, q * stride + 4), ql = <i32>load<f64>(at(slots, q * stride + 3));
          for (let e = 0; e < ql; e++) len = topInsert(lf, len, tau, load<f64>(at(list, 2 * e)), load<f64>(at(list, 2 * e + 1)));
        }
        // Chosen coordinates in increasing order.
        for (let e = 0; e < len; e++) store<f64>(at(cur, e), load<f64>(at(lf, 2 * e + 1)));
        for (let e = 1; e < len; e++) {
          const v2 = load<f64>(at(cur, e));
          let q = e - 1;
          while (q >= 0 && load<f64>(at(cur, q)) > v2) { store<f64>(at(cur, q + 1), load<f64>(at(cur, q))); q--; }
          store<f64>(at(cur, q + 1), v2);
        }
        t = len;
        chosen = len > 0 ? 0 : -1;
      } else {
        let best: f64 = 0;
        for (let q = 0; q < nthreads; q++) {
          const sc = load<f64>(at(slots, q * stride)), bi = <i32>load<f64>(at(slots, q * stride + 1));
          if (sc > best) { best = sc; chosen = bi; }  // threads hold increasing block ranges: first max = smallest index
        }
      }
    }
    // Decide: converged, aborted, out of iterations.
    if (check) {
      if (v0 < 0) v0 = viol;
      if (epochStart && iter > 0 && !rechecking) {
        if (tid == 0 && epochs < historyCap) store<f64>(at(history, epochs), viol);
        epochs++;
        if (tid == 0) reportProgress(team, iter, viol);
      }
      // A whole cyclic/permutation epoch that moved nothing is a fixed point of the block updates.
      const sweeps = isSweep(rule);
      // A greedy step that rounds to nothing (with an exact gradient, after the recompute below): nothing left to gain in floating point.
      let done = viol <= tol * v0 || (greedy && chosen < 0) || (epochStart && iter > 0 && !movedEpoch && sweeps) || stalled;
      if (done && gramPath && !gFresh) {
        // The incrementally kept gradient has drifted by rounding: recompute it and look again.
        barrier(team, nthreads);
        gradientFromResidual(ctx, r0, r1, c0, c1, team, nthreads);
        if (workingSet) {
          listActive(ctx, c0, c1, team, tid, nthreads);
          const len = load<i32>(ati(ctx.list, m));
          q0 = rangeStart(len, tid, nthreads); q1 = rangeStart(len, tid + 1, nthreads);
        }
        gFresh = true;
        stalled = false;
        rechecking = true;
        barrier(team, nthreads);
        continue;
      }
      if (done) { reason = CONVERGED; break; }
      rechecking = false;
      if (stop) { reason = ABORTED; break; }
      if (epochStart) movedEpoch = false;
      // Active set: coordinates at zero strictly inside their optimality interval sit out until the next check.
      if (activeSet && epochStart && !workingSet) {
        markActive(ctx, c0, c1);
        barrier(team, nthreads);
      }
    }
    // Between epoch checks, an abort is heard every few steps (a step can cost a G column or a row pass).
    if (!check && iter % ABORT_EVERY == 0 && abortAgreed(team, checks++, tid, nthreads)) { reason = ABORTED; break; }
    if (iter >= maxIter) break;
    if (!greedy) chosen = nextBlock(rule, iter, nb, rseed, ctx.perm, ctx.cumL, lsum, team, tid, nthreads);
    iter++;
    if (chosen < 0) continue;
    if (!variable) t = loadBlock(ctx, chosen, cur);
    const lslot = variable ? 0 : chosen;
    // Least squares: the block's G columns, for its curvature and the gradient's update.
    if (gramPath && t > 0) ensureColumns(ctx, cur, t, iter, c0, c1, team, nthreads);
    // Block gradient (and Hessian for Newton on the z-path).
    const zHessian = !gramPath && update == BcdUpdateCode.newton;
    if (!gramPath && (!greedy || zHessian)) {
      blockRowPass(ctx, cur, t, zHessian, cc0, cc1, pb, team);
      barrier(team, nthreads);
      blockRowSum(ctx, cur, t, zHessian, gb, mb);
      gatherBlock(ctx, cur, t, 0, xb);
      if (greedy) gatherBlock(ctx, cur, t, gb, xb);  // the fresh full gradient, for the same bits as the scan saw
    } else {
      gatherBlock(ctx, cur, t, gb, xb);
    }
    // The step d.
    let moved = false;
    if (t > 0) {
      if (update == BcdUpdateCode.lipschitz) {
        let lip: f64;
        if (variable) { buildM(ctx, cur, t, mb); lip = lambdaMaxUpper(mb, t, w2, lf); }
        else lip = load<f64>(at(blockL, chosen));
        proxStep(xb, gb, t, lip, l1, nonneg, d);
      } else if (update == BcdUpdateCode.newton) {
        if (gramPath) { if (variable) buildM(ctx, cur, t, mb); else blockMatrix(ctx, chosen, cur, t, mb); }
        if (l1 == 0 && !nonneg) {
          choleskyShifted(mb, lf, t, w2);
          for (let e = 0; e < t; e++) store<f64>(at(d, e), -load<f64>(at(gb, e)));
          cholSolve(lf, t, d, d);
        } else {
          blockQP(mb, gb, xb, t, l1, nonneg, d, md, lf, w2, qpAux(ctx));
        }
        if (!gramPath) {
          // Armijo backtracking on the true objective (the Hessian is not a bound).
          let gd: f64 = 0;
          for (let e = 0; e < t; e++) gd += load<f64>(at(gb, e)) * load<f64>(at(d, e));
          let accepted = false;
          for (let bt = 0; bt < MAX_BACKTRACKS; bt++) {
            const buf = at(lsBuf, (bt & 1) * chunks);
            lossChangePass(ctx, cur, t, d, buf, cc0, cc1, pb, dzb, team);
            barrier(team, nthreads);
            const dr = l1Change(l1, xb, d, t);
            const change = sumPartials(buf, chunks) / <f64>n + smoothPenaltyChange(l2, xb, d, t) + dr;
            if (change <= ARMIJO * (gd + dr)) { accepted = true; break; }
            for (let e = 0; e < t; e++) store<f64>(at(d, e), 0.5 * load<f64>(at(d, e)));
          }
          if (!accepted) for (let e = 0; e < t; e++) store<f64>(at(d, e), 0);
        }
      } else {
        // Lipschitz line search: from half the last accepted L, doubling until
        // f(x + d) ≤ f(x) + gᵀd + L/2‖d‖².
        let lip = max(0.5 * load<f64>(at(blockLhat, lslot)), 1e-300);
        if (gramPath) { if (variable) buildM(ctx, cur, t, mb); else blockMatrix(ctx, chosen, cur, t, mb); }
        for (let bt = 0; bt < 200; bt++) {
          proxStep(xb, gb, t, lip, l1, nonneg, d);
          let gd: f64 = 0, dd: f64 = 0;
          for (let e = 0; e < t; e++) { const de = load<f64>(at(d, e)); gd += load<f64>(at(gb, e)) * de; dd += de * de; }
          if (dd == 0) break;
          let change: f64;
          if (gramPath) {
            change = gd;
            for (let e = 0; e < t; e++) {
              let row: f64 = 0;
              for (let f = 0; f < t; f++) row += load<f64>(at(mb, e * t + f)) * load<f64>(at(d, f));
              change += 0.5 * load<f64>(at(d, e)) * row;
            }
          } else {
            const buf = at(lsBuf, (bt & 1) * chunks);
            lossChangePass(ctx, cur, t, d, buf, cc0, cc1, pb, dzb, team);
            barrier(team, nthreads);
            change = sumPartials(buf, chunks) / <f64>n + smoothPenaltyChange(l2, xb, d, t);
          }
          if (change <= gd + 0.5 * lip * dd * (1 + 1e-12)) break;
          lip *= 2;
        }
        barrier(team, nthreads);  // everyone has read blockLhat
        if (tid == 0) store<f64>(at(blockLhat, lslot), lip);
      }
      // The step actually taken, after rounding x + d: g and z follow it exactly.
      for (let e = 0; e < t; e++) {
        const xe = load<f64>(at(xb, e)), de = (xe + load<f64>(at(d, e))) - xe;
        store<f64>(at(d, e), de);
        if (de != 0) moved = true;
      }
    }
    stalled = greedy && !moved;
    if (moved) gFresh = false;
    // Everyone is done reading x, g and z for this step: apply it. (Aborted, the
    // passes above skip their work, so the epoch runs on quickly to its check.)
    barrier(team, nthreads);
    if (moved) {
      movedEpoch = true;
      if (tid == 0) for (let e = 0; e < t; e++) {
        const c = <i32>load<f64>(at(cur, e));
        store<f64>(at(x, c), load<f64>(at(xb, e)) + load<f64>(at(d, e)));
      }
      if (gramPath) {
        // g += (hscale·G[:, block]/n + l2·I[:, block])·d, this thread's share of each cached column at a time.
        const list = ctx.list;
        for (let e = 0; e < t; e++) {
          const de = load<f64>(at(d, e)), c = <i32>load<f64>(at(cur, e));
          if (de == 0) continue;
          const col = cacheColumn(ctx, load<i32>(ati(ctx.slotOf, c))), alpha = -(hscale * de / <f64>n);
          if (!workingSet) {
            subtractScaled(at(g, c0), at(col, c0), alpha, c1 - c0);
            if (c >= c0 && c < c1) store<f64>(at(g, c), load<f64>(at(g, c)) + l2 * de);
            continue;
          }
          // The listed coordinates only (c is one: it scored, so it is active).
          for (let q = q0; q < q1; q++) {
            const k = load<i32>(ati(list, q)), o = at(g, k);
            store<f64>(o, load<f64>(o) - alpha * load<f64>(at(col, k)));
          }
          if (q1 > q0 && c >= load<i32>(ati(list, q0)) && c <= load<i32>(ati(list, q1 - 1))) store<f64>(at(g, c), load<f64>(at(g, c)) + l2 * de);
        }
      } else {
        for (let e = 0; e < t; e++) {
          const c = <i32>load<f64>(at(cur, e)), de = load<f64>(at(d, e));
          if (de == 0) continue;
          const col = column(ctx, c), zk = z + ((<usize>(c / p) * n) << 3);
          for (let i = r0; i < r1; i++) store<f64>(at(zk, i), load<f64>(at(zk, i)) + de * load<f64>(at(col, i)));
        }
      }
      barrier(team, nthreads);
    }
  }

  // The working-set form stopped on the list's violation (out of iterations): report the whole one.
  if (workingSet && !gFresh && reason == MAX_ITERATIONS) {
    barrier(team, nthreads);
    gradientFromResidual(ctx, r0, r1, c0, c1, team, nthreads);
    let v: f64 = 0;
    for (let c = c0; c < c1; c++) v = max(v, violation(load<f64>(at(x, c)), load<f64>(at(g, c)), l1, nonneg));
    store<f64>(at(mySlot, 2), v);
    barrier(team, nthreads);
    viol = 0;
    for (let q = 0; q < nthreads; q++) viol = max(viol, load<f64>(at(slots, q * stride + 2)));
  }
  // -- the objective, summed here so it is the same in every runtime.
  if (gramPath) residualRows(ctx, r0, r1);
  for (let cc = cc0; cc < cc1; cc++) {
    const s0 = cc * CHUNK, s1 = min(n, s0 + CHUNK);
    let sum: f64 = 0;
    if (gramPath) {
      for (let i = s0; i < s1; i++) { const r = load<f64>(at(z, i)); sum += 0.5 * r * r; }
    } else {
      for (let i = s0; i < s1; i++) sum += rowModel(ctx, i, probs);
    }
    store<f64>(at(part, cc), sum);
  }
  barrier(team, nthreads);
  if (tid == 0) {
    const lossMean = sumPartials(part, chunks) / <f64>n;
    let pen: f64 = 0;
    for (let c = 0; c < m; c++) { const xc = load<f64>(at(x, c)); pen += l1 * Math.abs(xc) + 0.5 * l2 * xc * xc; }
    store<f64>(at(out, BcdF64Out.iterations), <f64>iter);
    store<f64>(at(out, BcdF64Out.reason), <f64>reason);
    store<f64>(at(out, BcdF64Out.violation), viol);
    store<f64>(at(out, BcdF64Out.loss), lossMean);
    store<f64>(at(out, BcdF64Out.objective), lossMean + pen);
    store<f64>(at(out, BcdF64Out.v0), v0);
    store<f64>(at(out, BcdF64Out.epochs), <f64>epochs);
  }
}
