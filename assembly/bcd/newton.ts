// L2-regularised logistic regression, binary or multinomial, by a trust-region
// Newton method (LIBLINEAR's TRON: Newton steps solved by preconditioned CG
// inside a trust region, Hessian-vector products Xᵀ·D·X·v, never the Hessian)
// or by L-BFGS (solver 1: about one function and gradient evaluation a step,
// each one pass over X; a Gram or diagonal preconditioner as its initial matrix):
//   min ½‖W‖² + C·Σ_i s_i·ℓ(y_i, X_i·W + b),
// ℓ the logistic loss (k = 1, y_i ∈ {−1, 1}) or the softmax loss (k ≥ 2
// classes, y_i the class index), s the sample weights, b the intercepts
// (unpenalised; only with fitIntercept). X is column-major n×p, or sparse
// (sparse ≠ 0): its nonzeros by rows (CSR) for X·v and by columns (CSC) for
// Xᵀ·r, so each pass touches the nonzeros once and every entry is still one
// sum in a fixed order (no per-thread partial vectors); one thread may do
// without the CSC, scattering Xᵀ·r from the rows: the same sums, the same order. The unknowns
// are k blocks of pp = p (+1 with an intercept) entries: class c's
// coefficients at x[c·pp ..], its intercept last.
//
// Thread 0 runs the method; the wide passes (X·v over rows, Xᵀ·r over
// columns) are shared: thread 0 posts a command, a barrier starts it, every
// thread does its rows or columns. Every entry of X·v sums over j in order and
// every entry of Xᵀ·r is one thread's whole dot (L-BFGS's fused pass: a sum
// in block order of per-block dots, the blocks fixed by n; sparse: the rows'
// pass, then the columns'), so the results are the same bits for any thread count.
import { aborted, barrier, rangeStart, reportProgress, TEAM_ABORT, TEAM_BROKEN } from "../core/team";
import { at, padded } from "../core/memory";
import { madd_f64x2 } from "../core/vexp";
import { dot, dotSq } from "../core/dots";
import { ABORTED, BREAKDOWN, CONVERGED, LogisticNewtonF64Out, MAX_ITERATIONS } from "../generated/layouts";

// Workspace regions, in this order, each padded to 64 bytes.
const W_Z = 0;     // k·n: X·x + b at the current (or trial) point
const W_R = 1;     // k·n: the loss's derivative in z, times C·s
const W_P = 2;     // k·n: σ(y·z) (binary) or the class probabilities
const W_U = 3;     // k·n: X·v, then the Hessian's middle factor applied to it
const W_L = 4;     // n: each row's C·s·loss
const W_G = 5;     // m: gradient
const W_M = 6;     // m: diagonal preconditioner (the Hessian's diagonal)
const W_S = 7;     // m: step
const W_RES = 8;   // m: CG residual
const W_D = 9;     // m: CG direction
const W_HD = 10;   // m: H·d
const W_XT = 11;   // m: trial point
const W_CTL = 12;  // command words
const W_HS = 13;   // L-BFGS only: MEM·m, the last steps s; MEM: 1/(sᵀy)
const W_HY = 14;   // L-BFGS only: MEM·m, their gradient changes y; MEM: the two-loop's α
const W_GRAM = 15; // L-BFGS only, pp ≤ GRAM_MAX: pp×pp, the preconditioner's Cholesky factor
const W_PART = 16; // L-BFGS only: blocks(n)·m, each row block's share of Xᵀ·R
const W_END = 17;

const MEM = 10;  // L-BFGS pairs kept (SciPy's maxcor, scikit-learn's lbfgs)
// Up to this many columns (with the intercept) L-BFGS starts from the Gram
// preconditioner (n·pp²/2 products once, pp³/6 to factor: a few evaluations'
// work); above it, from the Hessian's diagonal.
const GRAM_MAX = 256;

function workOffset(region: i32, n: i32, m: i32, k: i32): usize {
  let bytes: usize = 0;
  // (W_PART, the last region, is the dense fused pass's only: a sparse workspace ends before it.)
  for (let r = 0; r < region; r++) {
    if (r < W_L) bytes += padded((<usize>k * n) << 3);
    else if (r == W_L) bytes += padded(<usize>n << 3);
    else if (r < W_CTL) bytes += padded(<usize>m << 3);
    else if (r == W_CTL) bytes += 64;
    else if (r < W_GRAM) bytes += padded((<usize>MEM * (m + 1)) << 3);  // MEM vectors, then MEM scalars
    else if (r == W_GRAM) { const pp = m / k; if (pp <= GRAM_MAX) bytes += padded((<usize>pp * pp) << 3); }
    else bytes += padded((<usize>blockCount(n) * m) << 3);
  }
  return bytes;
}

/** Bytes of logistic_newton_f64's workspace. */
export function newtonWorkspace(n: i32, p: i32, k: i32, fitIntercept: i32, solver: i32, sparse: i32): usize {
  return workOffset(solver == 1 ? (sparse != 0 ? W_PART : W_END) : W_HS, n, k * (p + (fitIntercept != 0 ? 1 : 0)), k);
}

// Commands thread 0 posts (CTL word 0; word 1: the vector's address).
const CMD_DONE = 0;
const CMD_LOSS = 1;  // z, per-row losses at the point
const CMD_GRAD = 2;  // R, P and the gradient and diagonal at the point whose z is current
const CMD_HESS = 3;  // H·v into HD
const CMD_FG = 4;    // f's rows and ∇f in one pass over X (L-BFGS)
const CMD_GRAM = 5;  // the lower triangle of [X 1]ᵀ·S·[X 1] into the Gram region

const TILE = 256;  // rows of z kept in cache while the columns stream past

// TRON's constants (Lin & Moré; LIBLINEAR).
const ETA0: f64 = 1e-4, ETA1: f64 = 0.25, ETA2: f64 = 0.75;
const SIGMA1: f64 = 0.25, SIGMA2: f64 = 0.5, SIGMA3: f64 = 4.0;
const CG_TOL: f64 = 0.1;  // inner stop: ‖r‖_{M⁻¹} ≤ CG_TOL·‖g‖_{M⁻¹}

// The problem, as wasm globals: each thread's instance has its own (kernels never allocate).
let gA: usize = 0, gN: i32 = 0, gP: i32 = 0, gK: i32 = 0, gPP: i32 = 0, gFi: bool = false;
let gY: usize = 0, gSw: usize = 0, gC: f64 = 0;
let gZ: usize = 0, gR: usize = 0, gPr: usize = 0, gU: usize = 0, gL: usize = 0;
let gG: usize = 0, gMd: usize = 0, gHd: usize = 0, gPart: usize = 0;
// This thread's rows and columns (the intercept is column p).
let gR0: i32 = 0, gR1: i32 = 0, gJ0: i32 = 0, gJ1: i32 = 0;
// A sparse design: gA the values by rows (CSR: row i's at gRp[i]..gRp[i+1],
// columns gCi), gAt the values by columns (CSC: gCp, rows gRi).
// gScatter: one thread and no CSC (colptr 0): Xᵀ·r scattered from the rows (scatterCols).
let gSp: bool = false, gScatter: bool = false, gRp: usize = 0, gCi: usize = 0, gAt: usize = 0, gCp: usize = 0, gRi: usize = 0;

// @ts-ignore: decorator
@inline function idx(base: usize, k: i32): i32 {
  return load<i32>(base + (<usize>k << 2));
}

/** forward() on a sparse design: each row's nonzeros in column order, after the intercept. */
function forwardSparse(v: usize, out: usize, r0: i32, r1: i32): void {
  const n = gN, p = gP, k = gK, pp = gPP;
  for (let i = r0; i < r1; i++) {
    const k0 = idx(gRp, i), k1 = idx(gRp, i + 1);
    for (let c = 0; c < k; c++) {
      const vc = v + ((<usize>c * pp) << 3);
      let t = gFi ? load<f64>(at(vc, p)) : 0.0;
      for (let q = k0; q < k1; q++) t += load<f64>(at(gA, q)) * load<f64>(at(vc, idx(gCi, q)));
      store<f64>(at(out, c * n + i), t);
    }
  }
}

/** colDots() on a sparse design: column j's nonzeros in row order. */
function colDotsSparse(j: i32, src: usize, base: usize, dst: usize): void {
  const n = gN, k = gK, pp = gPP;
  const k0 = idx(gCp, j), k1 = idx(gCp, j + 1);
  for (let c = 0; c < k; c++) {
    const sc = src + ((<usize>c * n) << 3);
    let t: f64 = 0;
    for (let q = k0; q < k1; q++) t += load<f64>(at(gAt, q)) * load<f64>(at(sc, idx(gRi, q)));
    const e = c * pp + j;
    store<f64>(at(dst, e), load<f64>(at(base, e)) + t);
  }
}

/**
 * One thread without the CSC (gScatter): colDots() for every coefficient at
 * once from the rows, scattering into dst, and with u ≠ 0 the Hessian's
 * diagonal 1 + Σ_i X[i][j]²·u_i into gMd. Each entry gets the gather's
 * products in the gather's (row) order, from 0, then base: the same bits.
 */
function scatterCols(src: usize, base: usize, dst: usize, u: usize): void {
  const n = gN, p = gP, k = gK, pp = gPP;
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < p; j++) {
      store<f64>(at(dst, c * pp + j), 0);
      if (u != 0) store<f64>(at(gMd, c * pp + j), 0);
    }
  }
  for (let i = 0; i < n; i++) {
    const q0 = idx(gRp, i), q1 = idx(gRp, i + 1);
    for (let c = 0; c < k; c++) {
      const r = load<f64>(at(src, c * n + i)), dc = dst + ((<usize>c * pp) << 3);
      if (u == 0) {
        for (let q = q0; q < q1; q++) {
          const e = at(dc, idx(gCi, q));
          store<f64>(e, load<f64>(e) + load<f64>(at(gA, q)) * r);
        }
      } else {
        const ui = load<f64>(at(u, c * n + i)), mc = gMd + ((<usize>c * pp) << 3);
        for (let q = q0; q < q1; q++) {
          const j = idx(gCi, q), v = load<f64>(at(gA, q));
          store<f64>(at(dc, j), load<f64>(at(dc, j)) + v * r);
          store<f64>(at(mc, j), load<f64>(at(mc, j)) + v * v * ui);
        }
      }
    }
  }
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < p; j++) {
      const e = c * pp + j;
      store<f64>(at(dst, e), load<f64>(at(base, e)) + load<f64>(at(dst, e)));
      if (u != 0) store<f64>(at(gMd, e), 1.0 + load<f64>(at(gMd, e)));
    }
  }
}

/**
 * CMD_FG on one thread without the CSC: row by row, z, the loss and R, then
 * R's share of Xᵀ·R scattered while the row's nonzeros are in cache (one
 * read of them an evaluation); the same bits as the two passes.
 */
function fusedScatter(x: usize): void {
  const n = gN, p = gP, k = gK, pp = gPP;
  for (let e = 0; e < k * pp; e++) store<f64>(at(gG, e), 0);
  for (let i = 0; i < n; i++) {
    forwardSparse(x, gZ, i, i + 1);
    lossRange(i, i + 1, true);
    const q0 = idx(gRp, i), q1 = idx(gRp, i + 1);
    for (let c = 0; c < k; c++) {
      const r = load<f64>(at(gR, c * n + i)), gc = gG + ((<usize>c * pp) << 3);
      for (let q = q0; q < q1; q++) {
        const e = at(gc, idx(gCi, q));
        store<f64>(e, load<f64>(e) + load<f64>(at(gA, q)) * r);
      }
    }
  }
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < p; j++) { const e = c * pp + j; store<f64>(at(gG, e), load<f64>(at(x, e)) + load<f64>(at(gG, e))); }
    if (gFi) store<f64>(at(gG, c * pp + p), sum(gR + ((<usize>c * n) << 3), n));
  }
}

/** Σ_i X[i][j]²·u_i over column j's nonzeros. */
function colSqSparse(j: i32, u: usize): f64 {
  let t: f64 = 0;
  for (let q = idx(gCp, j), q1 = idx(gCp, j + 1); q < q1; q++) {
    const v = load<f64>(at(gAt, q));
    t += v * v * load<f64>(at(u, idx(gRi, q)));
  }
  return t;
}

/** The first of `count` rows (or columns) whose nonzeros (offsets ptr) start at or after share t of them. */
function nnzStart(ptr: usize, count: i32, t: i32, nthreads: i32): i32 {
  if (t >= nthreads) return count;
  const total = idx(ptr, count);
  const goal = <i64>total * t / nthreads;
  let lo = 0, hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (<i64>idx(ptr, mid) < goal) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * out[c][i] = Σ_j X[i][j]·v[c·pp + j] (+ v's intercept) for this thread's rows,
 * summed over j in order. Four columns at a time: one load and store of out
 * per four products (a block of zero weights is skipped; a lone zero adds an
 * exact ±0).
 */
function forward(v: usize, out: usize, r0: i32, r1: i32): void {
  if (gSp) { forwardSparse(v, out, r0, r1); return; }
  const n = gN, p = gP, k = gK, pp = gPP;
  for (let t0 = r0; t0 < r1; t0 += TILE) {
    const t1 = min(r1, t0 + TILE);
    for (let c = 0; c < k; c++) {
      const b = gFi ? load<f64>(at(v, c * pp + p)) : 0.0;
      const oc = out + ((<usize>c * n) << 3);
      for (let i = t0; i < t1; i++) store<f64>(at(oc, i), b);
    }
    let j = 0;
    for (; j + 3 < p; j += 4) {
      const c0 = gA + ((<usize>j * n) << 3), c1 = c0 + ((<usize>n) << 3), c2 = c1 + ((<usize>n) << 3), c3 = c2 + ((<usize>n) << 3);
      for (let c = 0; c < k; c++) {
        const e = c * pp + j;
        const w0 = load<f64>(at(v, e)), w1 = load<f64>(at(v, e + 1)), w2 = load<f64>(at(v, e + 2)), w3 = load<f64>(at(v, e + 3));
        if (w0 == 0 && w1 == 0 && w2 == 0 && w3 == 0) continue;
        const oc = out + ((<usize>c * n) << 3);
        const v0 = f64x2.splat(w0), v1 = f64x2.splat(w1), v2 = f64x2.splat(w2), v3 = f64x2.splat(w3);
        let i = t0;
        // Rows start even (see rows()), so pairs stay aligned with every column's.
        for (; i + 1 < t1; i += 2) {
          let acc = v128.load(at(oc, i));
          acc = madd_f64x2(v0, v128.load(at(c0, i)), acc);
          acc = madd_f64x2(v1, v128.load(at(c1, i)), acc);
          acc = madd_f64x2(v2, v128.load(at(c2, i)), acc);
          acc = madd_f64x2(v3, v128.load(at(c3, i)), acc);
          v128.store(at(oc, i), acc);
        }
        if (i < t1) {
          let a = load<f64>(at(oc, i));
          a += w0 * load<f64>(at(c0, i));
          a += w1 * load<f64>(at(c1, i));
          a += w2 * load<f64>(at(c2, i));
          a += w3 * load<f64>(at(c3, i));
          store<f64>(at(oc, i), a);
        }
      }
    }
    for (; j < p; j++) {
      const col = gA + ((<usize>j * n) << 3);
      for (let c = 0; c < k; c++) {
        const wj = load<f64>(at(v, c * pp + j));
        if (wj == 0) continue;
        const oc = out + ((<usize>c * n) << 3);
        const wv = f64x2.splat(wj);
        let i = t0;
        for (; i + 1 < t1; i += 2) {
          v128.store(at(oc, i), madd_f64x2(wv, v128.load(at(col, i)), v128.load(at(oc, i))));
        }
        if (i < t1) store<f64>(at(oc, i), load<f64>(at(oc, i)) + wj * load<f64>(at(col, i)));
      }
    }
  }
}

let gD0: f64 = 0, gD1: f64 = 0;

/** dot(x, y0, n) and dot(x, y1, n) (core/dots: the same lanes, the same order) into gD0 and gD1, reading x once. */
function dot2(x: usize, y0: usize, y1: usize, n: i32): void {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), b0 = f64x2.splat(0), b1 = f64x2.splat(0);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const x0 = v128.load(at(x, i)), x1 = v128.load(at(x, i), 16);
    a0 = madd_f64x2(x0, v128.load(at(y0, i)), a0);
    a1 = madd_f64x2(x1, v128.load(at(y0, i), 16), a1);
    b0 = madd_f64x2(x0, v128.load(at(y1, i)), b0);
    b1 = madd_f64x2(x1, v128.load(at(y1, i), 16), b1);
  }
  const s = f64x2.add(a0, a1), r = f64x2.add(b0, b1);
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  let u = f64x2.extract_lane(r, 0) + f64x2.extract_lane(r, 1);
  for (; i < n; i++) {
    const xi = load<f64>(at(x, i));
    t += xi * load<f64>(at(y0, i));
    u += xi * load<f64>(at(y1, i));
  }
  gD0 = t; gD1 = u;
}

/** dst[c·pp + j] = base[c·pp + j] (0 when base is 0) + Xⱼᵀ·src_c for every class c: column j read once per two classes. */
function colDots(j: i32, src: usize, base: usize, dst: usize): void {
  if (gSp) { colDotsSparse(j, src, base, dst); return; }
  const n = gN, k = gK, pp = gPP;
  const col = gA + ((<usize>j * n) << 3);
  let c = 0;
  for (; c + 1 < k; c += 2) {
    dot2(col, src + ((<usize>c * n) << 3), src + ((<usize>(c + 1) * n) << 3), n);
    const e = c * pp + j;
    store<f64>(at(dst, e), load<f64>(at(base, e)) + gD0);
    store<f64>(at(dst, e + pp), load<f64>(at(base, e + pp)) + gD1);
  }
  if (c < k) {
    const e = c * pp + j;
    store<f64>(at(dst, e), load<f64>(at(base, e)) + dot(col, src + ((<usize>c * n) << 3), n));
  }
}

function sum(v: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let i = 0;
  for (; i + 1 < n; i += 2) a0 = f64x2.add(a0, v128.load(at(v, i)));
  let t = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; i < n; i++) t += load<f64>(at(v, i));
  return t;
}

/** log(1 + eˣ) without overflow. */
// @ts-ignore: decorator
@inline function softplus(x: f64): f64 {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** CMD_LOSS: z at the point v and each of this thread's rows' C·s·loss. */
function lossRows(v: usize): void {
  forward(v, gZ, gR0, gR1);
  lossRange(gR0, gR1, false);
}

/** Rows r0..r1's C·s·loss at the current z (with grad, R and P too). */
function lossRange(r0: i32, r1: i32, grad: bool): void {
  const n = gN, k = gK;
  for (let i = r0; i < r1; i++) {
    const cs = gC * load<f64>(at(gSw, i));
    let li: f64;
    if (k == 1) {
      li = softplus(-load<f64>(at(gY, i)) * load<f64>(at(gZ, i)));
      if (grad) gradRow(i, cs, false);
    } else {
      let zmax = -Infinity;
      for (let c = 0; c < k; c++) zmax = max(zmax, load<f64>(at(gZ, c * n + i)));
      let e: f64 = 0;
      if (grad) {
        // gradRow's exponentials, kept: the same values in the same order.
        for (let c = 0; c < k; c++) {
          const q = Math.exp(load<f64>(at(gZ, c * n + i)) - zmax);
          store<f64>(at(gPr, c * n + i), q);
          e += q;
        }
        softmaxRow(i, cs, e, false);
      } else {
        for (let c = 0; c < k; c++) e += Math.exp(load<f64>(at(gZ, c * n + i)) - zmax);
      }
      li = zmax + Math.log(e) - load<f64>(at(gZ, <i32>load<f64>(at(gY, i)) * n + i));
    }
    store<f64>(at(gL, i), cs * li);
  }
}

/** Row i's R = C·s·∂ℓ/∂z and P (and with diag the diagonal's weights in u), cs = C·s_i. */
// @ts-ignore: decorator
@inline function gradRow(i: i32, cs: f64, diag: bool): void {
  const n = gN, k = gK;
  if (k == 1) {
    const yi = load<f64>(at(gY, i));
    const s = 1.0 / (1.0 + Math.exp(-yi * load<f64>(at(gZ, i))));  // σ(y·z)
    store<f64>(at(gR, i), cs * (s - 1.0) * yi);
    store<f64>(at(gPr, i), s);
    // The diagonal's weights, C·s·σ(1 − σ), in u (free until the next H·v).
    if (diag) store<f64>(at(gU, i), cs * s * (1.0 - s));
  } else {
    let zmax = -Infinity;
    for (let c = 0; c < k; c++) zmax = max(zmax, load<f64>(at(gZ, c * n + i)));
    let e: f64 = 0;
    for (let c = 0; c < k; c++) {
      const q = Math.exp(load<f64>(at(gZ, c * n + i)) - zmax);
      store<f64>(at(gPr, c * n + i), q);
      e += q;
    }
    softmaxRow(i, cs, e, diag);
  }
}

/** Softmax row i from P's exponentials summing to e: P normalised, R, and with diag u. */
// @ts-ignore: decorator
@inline function softmaxRow(i: i32, cs: f64, e: f64, diag: bool): void {
  const n = gN, k = gK;
  const inv = 1.0 / e, yc = <i32>load<f64>(at(gY, i));
  for (let c = 0; c < k; c++) {
    const q = load<f64>(at(gPr, c * n + i)) * inv;
    store<f64>(at(gPr, c * n + i), q);
    store<f64>(at(gR, c * n + i), cs * (q - (c == yc ? 1.0 : 0.0)));
    if (diag) store<f64>(at(gU, c * n + i), cs * q * (1.0 - q));
  }
}

/** CMD_GRAD, rows: R = C·s·∂ℓ/∂z and the Hessian's middle factors at the current z. */
function gradRows(): void {
  for (let i = gR0; i < gR1; i++) gradRow(i, gC * load<f64>(at(gSw, i)), true);
}

/** CMD_GRAD, columns: g = x + Xᵀ·R (intercept: Σ R) and the Hessian's diagonal. */
function gradCols(x: usize): void {
  const n = gN, p = gP, pp = gPP;
  if (gScatter) scatterCols(gR, x, gG, gU);
  for (let j = gJ0; j < gJ1; j++) {
    if (j < p && gScatter) continue;
    if (j < p) colDots(j, gR, x, gG);
    for (let c = 0; c < gK; c++) {
      const rc = gR + ((<usize>c * n) << 3), uc = gU + ((<usize>c * n) << 3), e = c * pp + j;
      if (j < p) {
        store<f64>(at(gMd, e), 1.0 + (gSp ? colSqSparse(j, uc) : dotSq(gA + ((<usize>j * n) << 3), uc, n)));
      } else {
        store<f64>(at(gG, e), sum(rc, n));
        store<f64>(at(gMd, e), sum(uc, n));
      }
    }
  }
}

/**
 * out = x + Xᵀ·r by columns (this thread's), Σ r on the intercepts: CMD_FG's
 * g from R on a sparse design, CMD_HESS's hd from u.
 */
function xtCols(r: usize, x: usize, out: usize): void {
  const n = gN, p = gP, pp = gPP;
  if (gScatter) scatterCols(r, x, out, 0);
  for (let j = gJ0; j < gJ1; j++) {
    if (j < p && gScatter) continue;
    if (j < p) colDots(j, r, x, out);
    else for (let c = 0; c < gK; c++) store<f64>(at(out, c * pp + j), sum(r + ((<usize>c * n) << 3), n));
  }
}

/** CMD_HESS, rows: u = D·(X·v), D the loss's Hessian in z (per row: a scalar, or k×k for softmax). */
function hessRows(v: usize): void {
  forward(v, gU, gR0, gR1);
  const n = gN, k = gK;
  for (let i = gR0; i < gR1; i++) {
    const cs = gC * load<f64>(at(gSw, i));
    if (k == 1) {
      const s = load<f64>(at(gPr, i));
      store<f64>(at(gU, i), cs * s * (1.0 - s) * load<f64>(at(gU, i)));
    } else {
      let pu: f64 = 0;
      for (let c = 0; c < k; c++) pu += load<f64>(at(gPr, c * n + i)) * load<f64>(at(gU, c * n + i));
      for (let c = 0; c < k; c++) {
        const q = load<f64>(at(gPr, c * n + i));
        store<f64>(at(gU, c * n + i), cs * q * (load<f64>(at(gU, c * n + i)) - pu));
      }
    }
  }
}

// Row blocks of the fused pass: fixed by n (not by the thread count), so each
// block's partial gradient, and their sum in block order, are the same bits
// for any number of threads. At most MAX_BLOCKS of them, at least TILE rows.
const MAX_BLOCKS = 64;
function blockRows(n: i32): i32 {
  const b = (n + MAX_BLOCKS - 1) / MAX_BLOCKS;
  return max(TILE, b + (b & 1));
}
function blockCount(n: i32): i32 {
  const b = blockRows(n);
  return (n + b - 1) / b;
}
// Rows of X kept in cache (≈ 256 KiB) between X·v and Xᵀ·r of the fused pass.
function fusedTile(p: i32): i32 {
  const t = min(TILE, max(16, 32768 / max(1, p)));
  return t & ~1;
}

let gTid: i32 = 0;

/**
 * CMD_FG, this thread's row blocks: z, the rows' losses, R, and each block's
 * share of Xᵀ·R (tile by tile, in order, while the tile is in cache).
 */
function fusedBlocks(v: usize, nthreads: i32, me: i32): void {
  const n = gN, p = gP, k = gK, pp = gPP, m = k * pp;
  const nb = blockCount(n), br = blockRows(n), tile = fusedTile(p);
  const b0 = rangeStart(nb, me, nthreads), b1 = rangeStart(nb, me + 1, nthreads);
  for (let b = b0; b < b1; b++) {
    const part = gPart + ((<usize>b * m) << 3);
    for (let e = 0; e < m; e++) store<f64>(at(part, e), 0);
    const r1 = min(n, (b + 1) * br);
    for (let t0 = b * br; t0 < r1; t0 += tile) {
      const t1 = min(r1, t0 + tile), len = t1 - t0;
      forward(v, gZ, t0, t1);
      lossRange(t0, t1, true);
      for (let j = 0; j < p; j++) {
        const col = gA + ((<usize>j * n + t0) << 3);
        let c = 0;
        for (; c + 1 < k; c += 2) {
          dot2(col, gR + ((<usize>c * n + t0) << 3), gR + ((<usize>(c + 1) * n + t0) << 3), len);
          const e = c * pp + j;
          store<f64>(at(part, e), load<f64>(at(part, e)) + gD0);
          store<f64>(at(part, e + pp), load<f64>(at(part, e + pp)) + gD1);
        }
        if (c < k) {
          const e = c * pp + j;
          store<f64>(at(part, e), load<f64>(at(part, e)) + dot(col, gR + ((<usize>c * n + t0) << 3), len));
        }
      }
      if (gFi) {
        for (let c = 0; c < k; c++) {
          const e = c * pp + p;
          store<f64>(at(part, e), load<f64>(at(part, e)) + sum(gR + ((<usize>c * n + t0) << 3), len));
        }
      }
    }
  }
}

/** CMD_FG, this thread's entries of g = x (coefficients) + Σ_blocks their shares, in block order. */
function fusedSum(x: usize, nthreads: i32): void {
  const n = gN, p = gP, pp = gPP, m = gK * pp, nb = blockCount(n);
  const e0 = rangeStart(m, gTid, nthreads), e1 = rangeStart(m, gTid + 1, nthreads);
  for (let e = e0; e < e1; e++) {
    let t = e % pp < p ? load<f64>(at(x, e)) : 0.0;
    for (let b = 0; b < nb; b++) t += load<f64>(at(gPart, b * m + e));
    store<f64>(at(gG, e), t);
  }
}

/** CMD_GRAM: rows j of this thread's columns of G = [X 1]ᵀ·S·[X 1], l ≤ j (S the sample weights), into g (pp×pp). */
function gramRows(g: usize): void {
  const n = gN, p = gP, pp = gPP, sw = gSw;
  for (let j = gJ0; j < gJ1; j++) {
    const cj = gA + ((<usize>j * n) << 3);
    for (let l = 0; l <= j; l++) {
      const cl = gA + ((<usize>l * n) << 3);
      let a0 = f64x2.splat(0);
      let i = 0;
      let t: f64;
      if (j < p) {
        for (; i + 1 < n; i += 2) a0 = madd_f64x2(f64x2.mul(v128.load(at(cj, i)), v128.load(at(sw, i))), v128.load(at(cl, i)), a0);
        t = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
        for (; i < n; i++) t += load<f64>(at(cj, i)) * load<f64>(at(sw, i)) * load<f64>(at(cl, i));
      } else if (l < p) {  // the intercept's row: Σ s_i·x_il
        for (; i + 1 < n; i += 2) a0 = madd_f64x2(v128.load(at(sw, i)), v128.load(at(cl, i)), a0);
        t = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
        for (; i < n; i++) t += load<f64>(at(sw, i)) * load<f64>(at(cl, i));
      } else {
        t = sum(sw, n);
      }
      store<f64>(at(g, j * pp + l), t);
    }
  }
}

/** Runs command `cmd` on vector `v`, this thread's share, between the barriers that make it whole. */
function run(cmd: i32, v: usize, nthreads: i32, team: usize): void {
  if (cmd == CMD_LOSS) {
    lossRows(v);
  } else if (cmd == CMD_GRAD) {
    gradRows();
    barrier(team, nthreads);
    gradCols(v);
  } else if (cmd == CMD_GRAM) {
    gramRows(v);
  } else if (cmd == CMD_FG && gScatter) {
    fusedScatter(v);
  } else if (cmd == CMD_FG && gSp) {
    // Sparse: the rows' pass (z, losses, R), then the columns' (g = x + Xᵀ·R).
    forward(v, gZ, gR0, gR1);
    lossRange(gR0, gR1, true);
    barrier(team, nthreads);
    xtCols(gR, v, gG);
  } else if (cmd == CMD_FG) {
    fusedBlocks(v, nthreads, gTid);
    barrier(team, nthreads);
    fusedSum(v, nthreads);
  } else {
    hessRows(v);
    barrier(team, nthreads);
    xtCols(gU, v, gHd);
  }
  barrier(team, nthreads);
}

let gEvals: i32 = 0;  // thread 0: function evaluations (CMD_LOSS) so far
let gRef: f64 = -1;   // thread 0: ‖∇f(0)‖ for a warm start (−1: the start is 0)

/** Thread 0: posts a command; every thread runs it. */
function command(ctl: usize, cmd: i32, v: usize, nthreads: i32, team: usize): void {
  if (cmd == CMD_LOSS || cmd == CMD_FG) gEvals++;
  store<i32>(ctl, cmd);
  store<u64>(ctl + 8, <u64>v);
  barrier(team, nthreads);
  run(cmd, v, nthreads, team);
}

function dotM(a: usize, b: usize, m: i32): f64 {
  let t: f64 = 0;
  for (let i = 0; i < m; i++) t += load<f64>(at(a, i)) * load<f64>(at(b, i));
  return t;
}

/** Σ a_i²·w_i (w = the preconditioner: the trust region's norm), or Σ a_i²/w_i (inverse). */
function normM(a: usize, w: usize, m: i32, inverse: bool): f64 {
  let t: f64 = 0;
  for (let i = 0; i < m; i++) {
    const x = load<f64>(at(a, i)), d = load<f64>(at(w, i));
    t += inverse ? x * x / d : x * x * d;
  }
  return Math.sqrt(t);
}

/**
 * a: X column-major; or with sparse ≠ 0, X's nonzeros by rows (values a,
 * offsets rowptr (n + 1), column indices cols) and by columns (values csc,
 * offsets colptr (p + 1), row indices rows); on one thread colptr may be 0
 * (no CSC: Xᵀ·r is scattered from the rows, the same bits).
 * Starts from x: zeros, or a warm start (warm ≠ 0). Stops when ‖∇f(x)‖ ≤
 * tol·‖∇f(0)‖ (LIBLINEAR's rule, against the gradient at 0 whatever the
 * start; the gradient of the returned x, computed after its last step), after
 * maxIter Newton steps, on an abort, or when no step lowers f in floating
 * point (breakdown).
 */
export function logistic_newton_f64(
  a: usize, sparse: i32, rowptr: usize, cols: usize, csc: usize, colptr: usize, rows: usize, n: i32, p: i32, k: i32, y: usize, sw: usize, x: usize, c: f64, fitIntercept: i32,
  maxIter: i32, tol: f64, solver: i32, warm: i32, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const fi = fitIntercept != 0, pp = p + (fi ? 1 : 0), m = k * pp;
  gA = a; gN = n; gP = p; gK = k; gPP = pp; gFi = fi; gY = y; gSw = sw; gC = c;
  gSp = sparse != 0; gScatter = gSp && colptr == 0; gRp = rowptr;
  // Every thread would scatter into the same ∇f: the host gives the CSC to more than one thread.
  if (gScatter && nthreads > 1) unreachable(); gCi = cols; gAt = csc; gCp = colptr; gRi = rows;
  gZ = work + workOffset(W_Z, n, m, k); gR = work + workOffset(W_R, n, m, k);
  gPr = work + workOffset(W_P, n, m, k); gU = work + workOffset(W_U, n, m, k);
  gL = work + workOffset(W_L, n, m, k); gG = work + workOffset(W_G, n, m, k);
  gMd = work + workOffset(W_M, n, m, k); gHd = work + workOffset(W_HD, n, m, k);
  gPart = solver == 1 && !gSp ? work + workOffset(W_PART, n, m, k) : 0;
  gTid = tid;
  const pairs = (n + 1) >> 1;
  gR0 = min(n, 2 * rangeStart(pairs, tid, nthreads)); gR1 = min(n, 2 * rangeStart(pairs, tid + 1, nthreads));
  gJ0 = rangeStart(pp, tid, nthreads); gJ1 = rangeStart(pp, tid + 1, nthreads);
  if (gSp && !gScatter) {
    // Shares of the nonzeros (the intercept's column, a sum over n, with the last thread's).
    gR0 = nnzStart(rowptr, n, tid, nthreads); gR1 = nnzStart(rowptr, n, tid + 1, nthreads);
    gJ0 = nnzStart(colptr, p, tid, nthreads); gJ1 = tid + 1 == nthreads ? pp : nnzStart(colptr, p, tid + 1, nthreads);
  }
  const ctl = work + workOffset(W_CTL, n, m, k);

  if (tid != 0) {
    // Serve thread 0's commands until it posts CMD_DONE (or the team breaks).
    while (true) {
      barrier(team, nthreads);
      if (load<i32>(team + TEAM_ABORT) >= TEAM_BROKEN) return;
      const cmd = load<i32>(ctl);
      if (cmd == CMD_DONE) return;
      run(cmd, <usize>load<u64>(ctl + 8), nthreads, team);
    }
  }

  gEvals = 0;
  gRef = -1;
  if (warm != 0) {
    // The stopping rule's reference, ‖∇f(0)‖: one evaluation at 0 (in the trial point's region, free until the first step).
    const xt = work + workOffset(W_XT, n, m, k);
    for (let i = 0; i < m; i++) store<f64>(at(xt, i), 0);
    command(ctl, CMD_LOSS, xt, nthreads, team);
    command(ctl, CMD_GRAD, xt, nthreads, team);
    gRef = Math.sqrt(dotM(gG, gG, m));
  }
  if (solver == 1) {
    lbfgs(x, m, p, pp, fi, c, maxIter, tol, work, out, ctl, team, nthreads);
    return;
  }
  const g = gG, md = gMd, hd = gHd;
  const s = work + workOffset(W_S, n, m, k), res = work + workOffset(W_RES, n, m, k);
  const d = work + workOffset(W_D, n, m, k), xt = work + workOffset(W_XT, n, m, k);

  command(ctl, CMD_LOSS, x, nthreads, team);
  let loss = sum(gL, n);
  let f = loss + 0.5 * penaltySq(x, m, pp, p, fi);
  command(ctl, CMD_GRAD, x, nthreads, team);
  let gnorm = Math.sqrt(dotM(g, g, m));
  const gnorm0 = gRef >= 0 ? gRef : gnorm;
  let delta = normM(g, md, m, true);
  let iter = 0, cgTotal = 0, reason = MAX_ITERATIONS;
  reportProgress(team, 0, f);
  if (gnorm <= tol * gnorm0 || gnorm == 0) reason = CONVERGED;
  else {
    while (iter < maxIter) {
      if (aborted(team)) { reason = ABORTED; break; }
      // Preconditioned CG on H·s = −g inside ‖s‖_M ≤ δ (Steihaug).
      for (let i = 0; i < m; i++) {
        const gi = load<f64>(at(g, i)), mi = load<f64>(at(md, i));
        store<f64>(at(s, i), 0);
        store<f64>(at(res, i), -gi);
        store<f64>(at(d, i), -gi / mi);
      }
      let rz = 0.0;
      for (let i = 0; i < m; i++) { const ri = load<f64>(at(res, i)); rz += ri * ri / load<f64>(at(md, i)); }
      const cgTol = CG_TOL * Math.sqrt(rz);
      let boundary = false;
      let stop = false;
      while (true) {
        if (Math.sqrt(rz) <= cgTol) break;
        if (aborted(team)) { stop = true; break; }
        command(ctl, CMD_HESS, d, nthreads, team);
        cgTotal++;
        const dHd = dotM(d, hd, m);
        const alpha = rz / dHd;
        // ‖s + α·d‖_M² against δ²; at the boundary (or on non-positive
        // curvature) step to it: τ ≥ 0 with ‖s + τ·d‖_M = δ.
        let sMs = 0.0, sMd = 0.0, dMd = 0.0;
        for (let i = 0; i < m; i++) {
          const si = load<f64>(at(s, i)), di = load<f64>(at(d, i)), mi = load<f64>(at(md, i));
          sMs += si * si * mi; sMd += si * di * mi; dMd += di * di * mi;
        }
        if (!(dHd > 0) || sMs + 2 * alpha * sMd + alpha * alpha * dMd > delta * delta) {
          const rad = Math.sqrt(max(0.0, sMd * sMd + dMd * (delta * delta - sMs)));
          const tau = sMd >= 0 ? (delta * delta - sMs) / (sMd + rad) : (rad - sMd) / dMd;
          for (let i = 0; i < m; i++) {
            store<f64>(at(s, i), load<f64>(at(s, i)) + tau * load<f64>(at(d, i)));
            store<f64>(at(res, i), load<f64>(at(res, i)) - tau * load<f64>(at(hd, i)));
          }
          boundary = true;
          break;
        }
        let rzNew = 0.0;
        for (let i = 0; i < m; i++) {
          store<f64>(at(s, i), load<f64>(at(s, i)) + alpha * load<f64>(at(d, i)));
          const ri = load<f64>(at(res, i)) - alpha * load<f64>(at(hd, i));
          store<f64>(at(res, i), ri);
          rzNew += ri * ri / load<f64>(at(md, i));
        }
        const beta = rzNew / rz;
        rz = rzNew;
        for (let i = 0; i < m; i++) store<f64>(at(d, i), load<f64>(at(res, i)) / load<f64>(at(md, i)) + beta * load<f64>(at(d, i)));
      }
      if (stop) { reason = ABORTED; break; }

      for (let i = 0; i < m; i++) store<f64>(at(xt, i), load<f64>(at(x, i)) + load<f64>(at(s, i)));
      const gs = dotM(g, s, m);
      const prered = -0.5 * (gs - dotM(s, res, m));
      command(ctl, CMD_LOSS, xt, nthreads, team);
      const lossNew = sum(gL, n);
      const fnew = lossNew + 0.5 * penaltySq(xt, m, pp, p, fi);
      const actred = f - fnew;
      const snorm = normM(s, md, m, false);
      if (iter == 0) delta = min(delta, snorm);
      const curv = fnew - f - gs;
      const alpha = curv <= 0 ? SIGMA3 : max(SIGMA1, -0.5 * (gs / curv));
      if (actred < ETA0 * prered) delta = min(alpha * snorm, SIGMA2 * delta);
      else if (actred < ETA1 * prered) delta = max(SIGMA1 * delta, min(alpha * snorm, SIGMA2 * delta));
      else if (actred < ETA2 * prered) delta = max(SIGMA1 * delta, min(alpha * snorm, SIGMA3 * delta));
      else delta = boundary ? SIGMA3 * delta : max(delta, min(alpha * snorm, SIGMA3 * delta));

      let accept = actred > ETA0 * prered, gradDone = false;
      if (!accept && prered > 0 && prered <= 1e-12 * Math.abs(f)) {
        // A decrease this small is below f's rounding: f cannot judge the
        // step, the gradient can (Newton's quadratic regime).
        command(ctl, CMD_GRAD, xt, nthreads, team);
        if (Math.sqrt(dotM(g, g, m)) < gnorm) accept = gradDone = true;
        else { reason = BREAKDOWN; break; }  // no step helps in floating point
      }
      if (accept) {
        iter++;
        for (let i = 0; i < m; i++) store<f64>(at(x, i), load<f64>(at(xt, i)));
        f = fnew;
        loss = lossNew;
        // z holds the trial point's: it is now x's.
        if (!gradDone) command(ctl, CMD_GRAD, x, nthreads, team);
        gnorm = Math.sqrt(dotM(g, g, m));
        reportProgress(team, iter, f);
        if (gnorm <= tol * gnorm0) { reason = CONVERGED; break; }
      } else if (!(prered > 0)) {
        reason = BREAKDOWN;
        break;
      }
      // (Rejected: z is the trial's, but only an accepted point's z is read.)
    }
  }
  finish(out, ctl, team, nthreads, iter, reason, gnorm, gnorm0, f, loss / c, cgTotal, gEvals);
}

/** Posts CMD_DONE (the other threads leave), then tid 0 writes the result block. */
function finish(out: usize, ctl: usize, team: usize, nthreads: i32, iter: i32, reason: i32, gnorm: f64, gnorm0: f64, f: f64, loss: f64, cgIterations: i32, evaluations: i32): void {
  store<i32>(ctl, CMD_DONE);
  barrier(team, nthreads);
  store<f64>(at(out, LogisticNewtonF64Out.iterations), <f64>iter);
  store<f64>(at(out, LogisticNewtonF64Out.reason), <f64>reason);
  store<f64>(at(out, LogisticNewtonF64Out.gradNorm), gnorm);
  store<f64>(at(out, LogisticNewtonF64Out.gradNorm0), gnorm0);
  store<f64>(at(out, LogisticNewtonF64Out.objective), f);
  store<f64>(at(out, LogisticNewtonF64Out.loss), loss);
  store<f64>(at(out, LogisticNewtonF64Out.cgIterations), <f64>cgIterations);
  store<f64>(at(out, LogisticNewtonF64Out.evaluations), <f64>evaluations);
}

/**
 * In place, the lower triangle of g (pp×pp) + shift·I on the first p
 * entries, times scale, to its Cholesky factor L (L·Lᵀ). False when a pivot
 * is not positive (rounding on a singular Gram: the intercept of a constant column).
 */
function cholesky(g: usize, pp: i32, scale: f64, p: i32): bool {
  for (let j = 0; j < pp; j++) {
    for (let l = 0; l <= j; l++) store<f64>(at(g, j * pp + l), scale * load<f64>(at(g, j * pp + l)) + (l == j && j < p ? 1.0 : 0.0));
  }
  for (let j = 0; j < pp; j++) {
    let d = load<f64>(at(g, j * pp + j));
    for (let l = 0; l < j; l++) { const v = load<f64>(at(g, j * pp + l)); d -= v * v; }
    if (!(d > 1e-12 * load<f64>(at(g, j * pp + j))) || !isFinite(d)) return false;
    const r = Math.sqrt(d);
    store<f64>(at(g, j * pp + j), r);
    for (let i = j + 1; i < pp; i++) {
      let v = load<f64>(at(g, i * pp + j));
      for (let l = 0; l < j; l++) v -= load<f64>(at(g, i * pp + l)) * load<f64>(at(g, j * pp + l));
      store<f64>(at(g, i * pp + j), v / r);
    }
  }
  return true;
}

/** v ← scale·P⁻¹·v: P = L·Lᵀ on each class's block (the Gram preconditioner) or the diagonal md. */
function precondition(v: usize, useGram: bool, l: usize, md: usize, scale: f64, m: i32, pp: i32): void {
  if (!useGram) {
    for (let i = 0; i < m; i++) store<f64>(at(v, i), scale * load<f64>(at(v, i)) / load<f64>(at(md, i)));
    return;
  }
  for (let b = 0; b < m; b += pp) {
    const vb = v + (<usize>b << 3);
    for (let i = 0; i < pp; i++) {  // L·u = v
      let t = load<f64>(at(vb, i));
      for (let j = 0; j < i; j++) t -= load<f64>(at(l, i * pp + j)) * load<f64>(at(vb, j));
      store<f64>(at(vb, i), t / load<f64>(at(l, i * pp + i)));
    }
    for (let i = pp - 1; i >= 0; i--) {  // Lᵀ·w = u
      let t = load<f64>(at(vb, i));
      for (let j = i + 1; j < pp; j++) t -= load<f64>(at(l, j * pp + i)) * load<f64>(at(vb, j));
      store<f64>(at(vb, i), t / load<f64>(at(l, i * pp + i)));
    }
    if (scale != 1.0) for (let i = 0; i < pp; i++) store<f64>(at(vb, i), scale * load<f64>(at(vb, i)));
  }
}

const ARMIJO: f64 = 1e-4;
const APPROX: f64 = 0.1;
// Relative size of f's rounding: f sums n terms (n·2⁻⁵² ≈ 4e-13 at n = 1797).
const ROUNDING: f64 = 1e-10;
const LINE_STEPS = 40;

/**
 * L-BFGS on thread 0, from x, with the same stopping rule as TRON (the
 * gradient of the returned x). The initial inverse Hessian is γ·P⁻¹, P the
 * Gram preconditioner below (up to GRAM_MAX columns) or the Hessian's
 * diagonal at x₀ (TRON's), γ = sᵀy / yᵀP⁻¹y of the newest pair. Steps by
 * backtracking from t = 1 (Armijo, quadratic interpolation), each trial one
 * fused evaluation of f and ∇f; pairs without positive curvature are skipped.
 */
function lbfgs(x: usize, m: i32, p: i32, pp: i32, fi: bool, c: f64, maxIter: i32, tol: f64, work: usize, out: usize, ctl: usize, team: usize, nthreads: i32): void {
  const n = gN, k = gK, g = gG, md = gMd;
  const d = work + workOffset(W_D, n, m, k), xt = work + workOffset(W_XT, n, m, k);
  const gOld = work + workOffset(W_RES, n, m, k), q = work + workOffset(W_S, n, m, k);
  const hs = work + workOffset(W_HS, n, m, k), hy = work + workOffset(W_HY, n, m, k);
  const rho = hs + ((<usize>MEM * m) << 3), alpha = hy + ((<usize>MEM * m) << 3);
  const py = gHd;  // P⁻¹·y (HD is TRON's)

  command(ctl, CMD_LOSS, x, nthreads, team);
  let loss = sum(gL, n);
  let f = loss + 0.5 * penaltySq(x, m, pp, p, fi);
  command(ctl, CMD_GRAD, x, nthreads, team);
  for (let i = 0; i < m; i++) {
    // An intercept's diagonal is 0 when every weight's probability saturates.
    const v = load<f64>(at(md, i));
    if (!(v > 0) || !isFinite(v)) store<f64>(at(md, i), 1.0);
  }
  // The Gram preconditioner P = β·C·[X 1]ᵀS[X 1] + I (no I on the intercept):
  // the Hessian's block for each class at x = 0 is C·q(1 − q)·[X 1]ᵀS[X 1] + I
  // (q = 1/k; binary 1/2); β is a tenth of that q(1 − q), the curvature the
  // loss keeps on the samples it fits being well below its value at 0 (on
  // digits: 31 evaluations to lbfgs@100's objective against 63 at the full
  // q(1 − q) and 108 with none or the diagonal).
  const gram = work + workOffset(W_GRAM, n, m, k);
  // Sparse designs start from the diagonal: they are the wide ones (text-like, p ≫ GRAM_MAX), and
  // the Gram's pairwise column products would cost p·nnz.
  let useGram = pp <= GRAM_MAX && !gSp;
  if (useGram) {
    command(ctl, CMD_GRAM, gram, nthreads, team);
    const q = k == 1 ? 0.5 : 1.0 / k;
    useGram = cholesky(gram, pp, 0.1 * q * (1.0 - q) * c, p);
  }
  let gnorm = Math.sqrt(dotM(g, g, m));
  const gnorm0 = gRef >= 0 ? gRef : gnorm;
  let iter = 0, pairs = 0, newest = MEM - 1, reason = MAX_ITERATIONS;
  let gamma = 1.0;
  reportProgress(team, 0, f);
  if (gnorm <= tol * gnorm0 || gnorm == 0) reason = CONVERGED;
  else {
    while (iter < maxIter) {
      if (aborted(team)) { reason = ABORTED; break; }
      // Two-loop recursion: q = H·g, newest pair first.
      for (let i = 0; i < m; i++) store<f64>(at(q, i), load<f64>(at(g, i)));
      for (let j = 0; j < pairs; j++) {
        const slot = (newest - j + MEM) % MEM;
        const sj = hs + ((<usize>slot * m) << 3), yj = hy + ((<usize>slot * m) << 3);
        const a = load<f64>(at(rho, slot)) * dotM(sj, q, m);
        store<f64>(at(alpha, slot), a);
        for (let i = 0; i < m; i++) store<f64>(at(q, i), load<f64>(at(q, i)) - a * load<f64>(at(yj, i)));
      }
      precondition(q, useGram, gram, md, gamma, m, pp);
      for (let j = pairs - 1; j >= 0; j--) {
        const slot = (newest - j + MEM) % MEM;
        const sj = hs + ((<usize>slot * m) << 3), yj = hy + ((<usize>slot * m) << 3);
        const b = load<f64>(at(rho, slot)) * dotM(yj, q, m);
        const a = load<f64>(at(alpha, slot));
        for (let i = 0; i < m; i++) store<f64>(at(q, i), load<f64>(at(q, i)) + (a - b) * load<f64>(at(sj, i)));
      }
      for (let i = 0; i < m; i++) store<f64>(at(d, i), -load<f64>(at(q, i)));
      let gd = dotM(g, d, m);
      if (!(gd < 0)) {
        // Not a descent direction (rounding): forget the pairs, step along −D⁻¹g.
        pairs = 0; gamma = 1.0;
        for (let i = 0; i < m; i++) store<f64>(at(d, i), -load<f64>(at(g, i)));
        precondition(d, useGram, gram, md, 1.0, m, pp);
        gd = dotM(g, d, m);
      }
      for (let i = 0; i < m; i++) store<f64>(at(gOld, i), load<f64>(at(g, i)));
      // Without pairs, a unit step in P's norm (L-BFGS-B's first step): the first
      // pair then sets γ; t = 1 there overshoots by P's error in scale.
      let t = pairs == 0 ? 1.0 / Math.sqrt(-gd) : 1.0;
      let accepted = false, fnew = 0.0, lossNew = 0.0;
      for (let ls = 0; ls < LINE_STEPS; ls++) {
        for (let i = 0; i < m; i++) store<f64>(at(xt, i), load<f64>(at(x, i)) + t * load<f64>(at(d, i)));
        command(ctl, CMD_FG, xt, nthreads, team);
        lossNew = sum(gL, n);
        fnew = lossNew + 0.5 * penaltySq(xt, m, pp, p, fi);
        if (fnew <= f + ARMIJO * t * gd) { accepted = true; break; }
        if (fnew <= f + ROUNDING * Math.abs(f)) {
          // f's change is within its rounding: the slopes judge the step
          // (Hager & Zhang's approximate Wolfe condition): the trapezoid
          // t·(φ'(0) + φ'(t))/2 must be a decrease of at least APPROX·t·|φ'(0)|.
          if (0.5 * (gd + dotM(g, d, m)) <= APPROX * gd) { accepted = true; break; }
        }
        // The minimiser of the quadratic through f, f'(0) and fnew, kept in [t/10, t/2].
        const curv = fnew - f - t * gd;
        t = min(0.5 * t, max(0.1 * t, -gd * t * t / (2 * curv)));
      }
      if (!accepted) { reason = BREAKDOWN; break; }
      iter++;
      for (let i = 0; i < m; i++) store<f64>(at(x, i), load<f64>(at(xt, i)));
      f = fnew;
      loss = lossNew;
      // g is xt's (the last evaluated): now x's.
      gnorm = Math.sqrt(dotM(g, g, m));
      reportProgress(team, iter, f);
      // The new pair: s = t·d, y = g − g_old.
      const slot = (newest + 1) % MEM;
      const sj = hs + ((<usize>slot * m) << 3), yj = hy + ((<usize>slot * m) << 3);
      let sy = 0.0;
      for (let i = 0; i < m; i++) {
        const si = t * load<f64>(at(d, i)), yi = load<f64>(at(g, i)) - load<f64>(at(gOld, i));
        store<f64>(at(sj, i), si);
        store<f64>(at(yj, i), yi);
        store<f64>(at(py, i), yi);
        sy += si * yi;
      }
      precondition(py, useGram, gram, md, 1.0, m, pp);
      const yDy = dotM(yj, py, m);
      if (sy > 1e-12 * yDy) {
        newest = slot;
        if (pairs < MEM) pairs++;
        store<f64>(at(rho, slot), 1.0 / sy);
        gamma = sy / yDy;
      }
      if (gnorm <= tol * gnorm0) { reason = CONVERGED; break; }
    }
  }
  finish(out, ctl, team, nthreads, iter, reason, gnorm, gnorm0, f, loss / c, 0, gEvals);
}

/** ‖W‖² without the intercepts. */
function penaltySq(x: usize, m: i32, pp: i32, p: i32, fi: bool): f64 {
  let t: f64 = 0;
  for (let i = 0; i < m; i++) {
    if (fi && i % pp == p) continue;
    const v = load<f64>(at(x, i));
    t += v * v;
  }
  return t;
}
