// Conjugate gradients (optionally Jacobi-preconditioned) on a CSR matrix, the
// whole solve in one SPMD launch: threads own fixed chunks of rows, phases are
// separated by team barriers, and no iteration returns to JavaScript.
//
// Determinism: every dot product is a sum of per-chunk partials (CHUNK rows,
// whatever the thread count) combined in chunk order by every thread itself,
// so all threads take the same decisions and the iterates are bit-identical
// for any thread count and both builds.
//
// Per iteration, three phases and three barriers:
//   A  q = A·p, partial p·q                      | barrier | α = ρ / p·q
//   B  x += α·p, r −= α·q, z = D⁻¹·r, partials   | barrier | ρ' = r·z, ‖r‖
//   C  p = z + β·p                               | barrier
// The abort flag is read by tid 0 only and broadcast through `out` before
// barrier B, so every thread leaves the loop at the same iteration.
// Convergence is judged on the true residual ‖b − A·x‖: when the recursive
// one meets the tolerance and the true one does not, CG restarts from the
// true residual (residual replacement) a bounded number of times, then
// reports STAGNATED.
//
// Deflation (Saad, Yeung, Erhel & Guyomarc'h, "A deflated version of the
// conjugate gradient algorithm"): given k recycled vectors W, the start is
// corrected so that Wᵀr₀ = 0, and every direction is made A-conjugate to W
// (p = z + β·p − W·μ with WᵀAW·μ = (AW)ᵀz), so the eigencomponents W
// captures no longer slow the iteration down. If WᵀAW is not positive
// definite (W nearly dependent, or A changed too much), the solve goes on as
// plain CG and says so (out[OUT_DEFLATED] = 0): a fallback, never a failure.
//
// Recycle-space update, inside the launch (Parks, de Sturler et al.'s RCG):
// the preconditioned residuals z₀..z_{L−1} of the first ℓ iterations are
// kept, with CG's own scalars ρ_j = r_jᵀz_j, D_j = p_jᵀAp_j, β_j and the
// deflation coefficients μ_j. Because z_j = p_j − β_{j−1}·p_{j−1} + W·μ_j,
// the p's are A-conjugate to each other and to W, and the z's M-orthogonal
// to each other and to W (Wᵀr = 0), both projected matrices of
// span[W, z₀..z_{L−1}] follow from those scalars, WᵀAW and WᵀMW:
//   ZᵀAZ = [G, G·μ_j; μ_iᵀG, T_ij + μ_iᵀ·G·μ_j],  ZᵀMZ = [WᵀMW, 0; 0, diag ρ]
// with T tridiagonal (T_ii = D_i + β_{i−1}²·D_{i−1}, T_i,i+1 = −β_i·D_i).
// Rayleigh–Ritz for the pencil (A, M) (the spectrum PCG sees) then costs no
// pass over the vectors but the final one forming the k new ones; the small
// eigenproblem runs on tid 0 (blas/symmetric-eigen.ts).
import { aborted, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { csrRowDot } from "../blas/sparse";
import { symmetricEigen } from "../blas/symmetric-eigen";
import { GO_ON, trueResidualNorm, trueResidualVerdict } from "./reasons";
import { ABORTED, BREAKDOWN, CONVERGED, CgF64Out, INDEFINITE, MAX_ITERATIONS, STAGNATED } from "../generated/layouts";
import { at, padded } from "../core/memory";
import { choleskyPacked, cholSolve } from "../core/small-dense";
import { coarseAssemble, coarseColumnsDot, coarseDirection, coarseProlong, coarseRestrict, envelopeCholesky, envelopeSolve } from "./coarse";

// Result block (kernels.json: cg_f64's "out"), written by tid 0; slot stop is
// the abort broadcast, recycled −1 when no update was made, deflated 1 when W
// was deflated (0: none given, or WᵀAW not positive definite), ritzBasisW the
// lines of W in the Rayleigh–Ritz basis (0 when WᵀMW is not positive definite).
const OUT_ITERATIONS = CgF64Out.iterations;
const OUT_REASON = CgF64Out.reason;
const OUT_RESIDUAL = CgF64Out.residual;
const OUT_TRUE_RESIDUAL = CgF64Out.trueResidual;
const OUT_STOP = CgF64Out.stop;
const OUT_RECYCLED = CgF64Out.recycled;
const OUT_DEFLATED = CgF64Out.deflated;
const OUT_RITZ_BASIS_W = CgF64Out.ritzBasisW;

// Per kept z_j, in the shared recycle block: ρ_j, D_j, β_j, then μ_j (k).
const REC_RHO = 0, REC_CURVATURE = 1, REC_BETA = 2, REC_MU = 3;

/** dst[j] = the chunk-ordered sum of partial array j, for j < count. */
function sumEach(partials: usize, chunks: i32, count: i32, dst: usize): void {
  for (let j = 0; j < count; j++) store<f64>(at(dst, j), sumPartials(at(partials, j * chunks), chunks));
}

/** Σ_j line_j[i]·mu[j] over k lines of length n. */
// @ts-ignore: decorator
@inline function combine(lines: usize, n: i32, k: i32, mu: usize, i: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < k; j++) s += load<f64>(at(lines, j * n + i)) * load<f64>(at(mu, j));
  return s;
}

/**
 * Partials of (AW)ᵀz over chunks cFirst..cLast: four lines per pass over z,
 * each line's sum in two SIMD lanes (even and odd rows) added at the end.
 * The order depends on the chunk only, never on the thread count.
 */
function deflationPartials(aw: usize, z: usize, azp: usize, n: i32, k: i32, chunks: i32, cFirst: i32, cLast: i32): void {
  for (let c = cFirst; c <= cLast; c++) {
    const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
    const pairs = i0 + ((i1 - i0) & ~1);
    let j = 0;
    for (; j < k; j += 4) {
      const lines = min(4, k - j);
      const l0 = at(aw, j * n), l1 = at(aw, min(j + 1, k - 1) * n), l2 = at(aw, min(j + 2, k - 1) * n), l3 = at(aw, min(j + 3, k - 1) * n);
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      for (let i = i0; i < pairs; i += 2) {
        const zi = v128.load(at(z, i));
        s0 = f64x2.add(s0, f64x2.mul(v128.load(at(l0, i)), zi));
        s1 = f64x2.add(s1, f64x2.mul(v128.load(at(l1, i)), zi));
        s2 = f64x2.add(s2, f64x2.mul(v128.load(at(l2, i)), zi));
        s3 = f64x2.add(s3, f64x2.mul(v128.load(at(l3, i)), zi));
      }
      let t0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1), t1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
      let t2 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1), t3 = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
      if (pairs < i1) {
        const zi = load<f64>(at(z, pairs));
        t0 += load<f64>(at(l0, pairs)) * zi; t1 += load<f64>(at(l1, pairs)) * zi;
        t2 += load<f64>(at(l2, pairs)) * zi; t3 += load<f64>(at(l3, pairs)) * zi;
      }
      // A group of fewer than four lines repeats its last line in the spare sums; they are not stored.
      store<f64>(at(azp, j * chunks + c), t0);
      if (lines > 1) store<f64>(at(azp, (j + 1) * chunks + c), t1);
      if (lines > 2) store<f64>(at(azp, (j + 2) * chunks + c), t2);
      if (lines > 3) store<f64>(at(azp, (j + 3) * chunks + c), t3);
    }
  }
}

/**
 * p = z + β·p − W·μ over rows i0..i1 (β = 0: p = z − W·μ), two rows per SIMD
 * lane pair: each entry the same operations in the same order as combine().
 */
function deflatedDirection(p: usize, z: usize, beta: f64, w: usize, n: i32, k: i32, mu: usize, i0: i32, i1: i32): void {
  const bv = f64x2.splat(beta);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    for (let j = 0; j < k; j++) {
      const mj = f64x2.splat(load<f64>(at(mu, j))), l = at(w, j * n + i);
      s0 = f64x2.add(s0, f64x2.mul(v128.load(l), mj));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(l, 16), mj));
    }
    const pa = at(p, i), za = at(z, i);
    if (beta != 0) {
      v128.store(pa, f64x2.sub(f64x2.add(v128.load(za), f64x2.mul(bv, v128.load(pa))), s0));
      v128.store(pa, f64x2.sub(f64x2.add(v128.load(za, 16), f64x2.mul(bv, v128.load(pa, 16))), s1), 16);
    } else {
      v128.store(pa, f64x2.sub(v128.load(za), s0));
      v128.store(pa, f64x2.sub(v128.load(za, 16), s1), 16);
    }
  }
  for (; i < i1; i++) {
    const zi = load<f64>(at(z, i));
    store<f64>(at(p, i), (beta != 0 ? zi + beta * load<f64>(at(p, i)) : zi) - combine(w, n, k, mu, i));
  }
}

/**
 * z = (L·Lᵀ)⁻¹·r for a factored preconditioner (IC(0), SSOR): the strictly
 * lower part of L in CSR (lp, li, lv), the strictly upper part of Lᵀ
 * likewise (up, ui, uv), and L's diagonal d.
 */
function triSolve(lp: usize, li: usize, lv: usize, up: usize, ui: usize, uv: usize, d: usize, n: i32, r: usize, z: usize): void {
  for (let i = 0; i < n; i++) {
    let s = load<f64>(at(r, i));
    const k1 = load<i32>(lp + (<usize>(i + 1) << 2));
    for (let k = load<i32>(lp + (<usize>i << 2)); k < k1; k++) s -= load<f64>(at(lv, k)) * load<f64>(at(z, load<i32>(li + (<usize>k << 2))));
    store<f64>(at(z, i), s / load<f64>(at(d, i)));
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = load<f64>(at(z, i));
    const k1 = load<i32>(up + (<usize>(i + 1) << 2));
    for (let k = load<i32>(up + (<usize>i << 2)); k < k1; k++) s -= load<f64>(at(uv, k)) * load<f64>(at(z, load<i32>(ui + (<usize>k << 2))));
    store<f64>(at(z, i), s / load<f64>(at(d, i)));
  }
}

/**
 * The triangular solves are sequential: once every thread's rows of r are in
 * (barrier), tid 0 solves and forms the r·z partials of every chunk; a second
 * barrier publishes z.
 */
function applyTri(lp: usize, li: usize, lv: usize, up: usize, ui: usize, uv: usize, d: usize, n: i32, r: usize, z: usize, rz: usize, chunks: i32, team: usize, tid: i32, nthreads: i32): void {
  barrier(team, nthreads);
  if (tid == 0) {
    triSolve(lp, li, lv, up, ui, uv, d, n, r, z);
    for (let c = 0; c < chunks; c++) {
      const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
      let s: f64 = 0;
      for (let i = i0; i < i1; i++) s += load<f64>(at(r, i)) * load<f64>(at(z, i));
      store<f64>(at(rz, c), s);
    }
  }
  barrier(team, nthreads);
}

// ---- per-iteration phases ---------------------------------------------------
// Functions of their own, exported so that binaryen does not inline them into
// their one caller: V8 moves a wasm function from its baseline code (Liftoff)
// to optimised code (TurboFan) only between calls, and a whole solve is one
// call of cg_f64, so loops inlined there ran baseline code for a worker's
// first dozens of solves. Called once per iteration, these tier up within
// the first solve. Same operations in the same order as inline code.

/** Phase A on chunks c0..c1−1: q = A·p and the partials of p·q. */
export function cg_phase_curvature(indptr: usize, indices: usize, data: usize, n: i32, p: usize, q: usize, pq: usize, c0: i32, c1: i32): void {
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
    let s: f64 = 0;
    for (let i = i0; i < i1; i++) {
      const qi = csrRowDot(indptr, indices, data, p, i);
      store<f64>(at(q, i), qi);
      s += load<f64>(at(p, i)) * qi;
    }
    store<f64>(at(pq, c), s);
  }
}

/**
 * Phase B on chunks c0..c1−1: x += α·p, r −= α·q, z = D⁻¹·r (Jacobi), and
 * the partials of r·r, and (when `local`: z is known row by row) of r·z and (AW)ᵀz.
 */
export function cg_phase_update(
  n: i32, alpha: f64, x: usize, p: usize, q: usize, r: usize, z: usize, dinv: usize, local: i32,
  rr: usize, rz: usize, aw: usize, azp: usize, kd: i32, chunks: i32, c0: i32, c1: i32,
): void {
  for (let c = c0; c < c1; c++) {
    const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
    let srr: f64 = 0, srz: f64 = 0;
    for (let i = i0; i < i1; i++) {
      store<f64>(at(x, i), load<f64>(at(x, i)) + alpha * load<f64>(at(p, i)));
      const ri = load<f64>(at(r, i)) - alpha * load<f64>(at(q, i));
      store<f64>(at(r, i), ri);
      srr += ri * ri;
      if (dinv != 0) {
        const zi = load<f64>(at(dinv, i)) * ri;
        store<f64>(at(z, i), zi);
        srz += ri * zi;
      }
    }
    store<f64>(at(rr, c), srr);
    if (local != 0) {
      store<f64>(at(rz, c), dinv != 0 ? srz : srr);
      deflationPartials(aw, z, azp, n, kd, chunks, c, c);
    }
  }
}

/**
 * Phase C, rows i0..i1: p = z + β·p (no deflation), two lanes at a time
 * (each element as the scalar expression gives it). Long enough that
 * binaryen keeps it out of line: inlined, it ran baseline code for the
 * whole first solve.
 */
export function cg_phase_direction(p: usize, z: usize, beta: f64, i0: i32, i1: i32): void {
  const bv = f64x2.splat(beta);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    v128.store(at(p, i), f64x2.add(v128.load(at(z, i)), f64x2.mul(bv, v128.load(at(p, i)))));
    v128.store(at(p, i + 2), f64x2.add(v128.load(at(z, i + 2)), f64x2.mul(bv, v128.load(at(p, i + 2)))));
  }
  for (; i < i1; i++) store<f64>(at(p, i), load<f64>(at(z, i)) + beta * load<f64>(at(p, i)));
}

// ---- recycle-space update -------------------------------------------------

/** Keeps z_j (this thread's rows) and, on tid 0, ρ_j and μ_j (kd values); k: the block's layout width. */
function keep(rec: usize, k: i32, j: i32, rho: f64, mu: usize, kd: i32, z: usize, keepZ: usize, n: i32, my0: i32, my1: i32, tid: i32): void {
  memory.copy(at(keepZ, j * n + my0), at(z, my0), <usize>(my1 - my0) << 3);
  if (tid == 0) {
    const slot = at(rec, recRecords(k) + j * recStride(k));
    store<f64>(at(slot, REC_RHO), rho);
    for (let a = 0; a < kd; a++) store<f64>(at(slot, REC_MU + a), load<f64>(at(mu, a)));
  }
}

/**
 * Chunk c's partials of WᵀMW (packed upper): M = I (none), D (Jacobi,
 * M·w = w / dinv, stored in mw) or L·Lᵀ (SSOR, IC(0): Lᵀ·w in mw, WᵀMW = (LᵀW)ᵀ·LᵀW).
 */
function massPartials(w: usize, mw: usize, dinv: usize, up: usize, ui: usize, uv: usize, d: usize, n: i32, k: i32, wmp: usize, chunks: i32, c: i32): void {
  const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
  let left = w, right = w;
  if (dinv != 0) {
    for (let j = 0; j < k; j++) for (let i = i0; i < i1; i++) store<f64>(at(mw, j * n + i), load<f64>(at(w, j * n + i)) / load<f64>(at(dinv, i)));
    right = mw;
  } else if (d != 0) {
    for (let j = 0; j < k; j++) {
      const wj = at(w, j * n);
      for (let i = i0; i < i1; i++) {
        let t = load<f64>(at(d, i)) * load<f64>(at(wj, i));
        const e1 = load<i32>(up + (<usize>(i + 1) << 2));
        for (let e = load<i32>(up + (<usize>i << 2)); e < e1; e++) t += load<f64>(at(uv, e)) * load<f64>(at(wj, load<i32>(ui + (<usize>e << 2))));
        store<f64>(at(mw, j * n + i), t);
      }
    }
    left = mw;
    right = mw;
  }
  packedPartials(left, right, n, k, i0, i1, wmp, chunks, c);
}

/** Chunk c's (rows i0..i1) partials of Lᵀ·R, packed upper (a ≤ b), for k lines of length n each. */
function packedPartials(left: usize, right: usize, n: i32, k: i32, i0: i32, i1: i32, dst: usize, chunks: i32, c: i32): void {
  let g = 0;
  for (let a = 0; a < k; a++) {
    for (let bb = a; bb < k; bb++) {
      let s: f64 = 0;
      for (let i = i0; i < i1; i++) s += load<f64>(at(left, a * n + i)) * load<f64>(at(right, bb * n + i));
      store<f64>(at(dst, g * chunks + c), s);
      g++;
    }
  }
}

/** Offsets (f64) into the shared recycle block for up to k vectors (deflated or recycled) and ℓ kept residuals. */
// @ts-ignore: decorator
@inline function recRecords(k: i32): i32 { return k; }                        // after the k Ritz values
// @ts-ignore: decorator
@inline function recStride(k: i32): i32 { return REC_MU + k; }
// @ts-ignore: decorator
@inline function recMatrix(k: i32, ell: i32): i32 { return k + ell * recStride(k); } // C, (k+ℓ)²
// @ts-ignore: decorator
@inline function recEigen(k: i32, ell: i32): i32 { const m = k + ell; return recMatrix(k, ell) + m * m; } // d, e: 2(k+ℓ)
// @ts-ignore: decorator
@inline function recY(k: i32, ell: i32): i32 { return recEigen(k, ell) + 2 * (k + ell); }     // Y, (k+ℓ)·k
// @ts-ignore: decorator
@inline function recFactor(k: i32, ell: i32): i32 { return recY(k, ell) + (k + ell) * k; }    // WᵀMW's factor, k²
// @ts-ignore: decorator
@inline function recMass(k: i32, ell: i32): i32 { return recFactor(k, ell) + k * k; }        // WᵀMW packed, k(k+1)/2

// The workspace ("work"), carved in this order, each region padded to 64 bytes.
const WORK_VECTORS = 0;  // r, p, q, z: 4 lines of n
const WORK_PARTIALS = 1; // per-chunk partials: pq, rz, rr, tr, WᵀAW, Wᵀr, (AW)ᵀz, WᵀMW
const WORK_SCRATCH = 2;  // per thread: L (k×k), WᵀAW packed, a right-hand side, μ
const WORK_AW = 3;       // A·W, k lines
const WORK_MW = 4;       // M·W (recycling with a preconditioner), k lines
const WORK_KEEP = 5;     // the kept residuals z_j, ℓ lines
const WORK_REC = 6;      // the shared recycle block (recycling)
const WORK_COARSE_COLS = 7;  // (AZ)ᵀ's values (coarse deflation)
const WORK_COARSE_ENV = 8;   // E = ZᵀAZ's lower envelope, then its Cholesky factor
const WORK_COARSE_SUMS = 9;  // Zᵀr or (AZ)ᵀz, one per aggregate, shared
const WORK_COARSE_MU = 10;   // per thread: the coarse solve's μ
const WORK_END = 11;

/** f64 of workspace region `region` (WORK_*) for k vectors deflated, kNew recycled, ℓ kept. */
function workRegion(region: i32, n: i32, k: i32, kNew: i32, ell: i32, nthreads: i32, coarse: i32, coarseCols: i32, coarseEnv: i32): usize {
  const kk = <usize>((k * (k + 1)) >> 1), updating = ell > 0, lines = <usize>n;
  switch (region) {
    case WORK_VECTORS: return 4 * lines;
    case WORK_PARTIALS: return (4 + 2 * kk + 2 * <usize>k) * <usize>chunkCount(n);
    case WORK_SCRATCH: return (<usize>(k * k) + kk + 2 * <usize>k) * <usize>nthreads;
    case WORK_AW: return <usize>k * lines;
    case WORK_MW: return updating ? <usize>k * lines : 0;
    case WORK_KEEP: return updating ? <usize>ell * lines : 0;
    case WORK_REC: return updating ? <usize>(recMass(kNew, ell) + ((kNew * (kNew + 1)) >> 1)) : 0;
    case WORK_COARSE_COLS: return <usize>coarseCols;
    case WORK_COARSE_ENV: return <usize>coarseEnv;
    case WORK_COARSE_SUMS: return <usize>coarse;
    case WORK_COARSE_MU: return <usize>coarse * <usize>nthreads;
    default: return 0;
  }
}

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, n: i32, k: i32, kNew: i32, ell: i32, nthreads: i32, coarse: i32, coarseCols: i32, coarseEnv: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) bytes += padded(workRegion(r, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv) << 3);
  return bytes;
}

/** Bytes of cg_f64's workspace. */
export function cgWorkspace(n: i32, k: i32, kNew: i32, ell: i32, nthreads: i32, coarse: i32, coarseCols: i32, coarseEnv: i32): f64 {
  return <f64>workOffset(WORK_END, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
}

/** Packed upper-triangle entry (a ≤ b) of a k×k symmetric matrix. */
// @ts-ignore: decorator
@inline function packed(g: usize, k: i32, a: i32, b: i32): f64 {
  return load<f64>(at(g, a * k - ((a * (a - 1)) >> 1) + (b - a)));
}

/**
 * Rayleigh–Ritz on span[W (s lines), z₀..z_{L−1}] from the recorded scalars
 * (see the head of this file): fills Y ((s+L)×kMax, column j the coordinates
 * of Ritz vector j) and the Ritz values; returns how many (the smallest
 * positive ones, at most kMax). `g` is WᵀAW packed (k-wide), `rec` the
 * shared recycle block.
 */
function rayleighRitz(rec: usize, g: usize, s: i32, k: i32, ell: i32, L: i32, kMax: i32): i32 {
  const m = s + L;
  if (m == 0) return 0;
  const c = at(rec, recMatrix(kMax, ell)), d = at(rec, recEigen(kMax, ell)), e = at(d, kMax + ell);
  const y = at(rec, recY(kMax, ell)), lw = at(rec, recFactor(kMax, ell));
  const stride = recStride(kMax);
  // ZᵀAZ into c (m×m).
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) store<f64>(at(c, a * m + b), a <= b ? packed(g, k, a, b) : packed(g, k, b, a));
  for (let j = 0; j < L; j++) {
    const muj = at(rec, recRecords(kMax) + j * stride + REC_MU);
    for (let a = 0; a < s; a++) {
      let t: f64 = 0;
      for (let b = 0; b < s; b++) t += (a <= b ? packed(g, k, a, b) : packed(g, k, b, a)) * load<f64>(at(muj, b));
      store<f64>(at(c, a * m + s + j), t);
      store<f64>(at(c, (s + j) * m + a), t);
    }
  }
  for (let i = 0; i < L; i++) {
    const ri = at(rec, recRecords(kMax) + i * stride);
    for (let j = i; j < L; j++) {
      let t: f64 = 0;
      if (j == i) {
        t = load<f64>(at(ri, REC_CURVATURE));
        if (i > 0) {
          const prev = at(ri, -stride);
          const bp = load<f64>(at(prev, REC_BETA));
          t += bp * bp * load<f64>(at(prev, REC_CURVATURE));
        }
      } else if (j == i + 1) {
        t = -load<f64>(at(ri, REC_BETA)) * load<f64>(at(ri, REC_CURVATURE));
      }
      // + μ_iᵀ·G·μ_j = Σ_a μ_i[a]·(G·μ_j)[a]
      for (let a = 0; a < s; a++) t += load<f64>(at(ri, REC_MU + a)) * load<f64>(at(c, a * m + s + j));
      store<f64>(at(c, (s + i) * m + s + j), t);
      store<f64>(at(c, (s + j) * m + s + i), t);
    }
  }
  // C = Xᵀ·(ZᵀAZ)·X with X = blockdiag(L_w⁻ᵀ, diag ρ^(−1/2)), ZᵀMZ = blockdiag(L_w·L_wᵀ, diag ρ):
  // forward substitution on the W rows of every column, then on the W columns of every row.
  for (let col = 0; col < m; col++) {
    for (let a = 0; a < s; a++) {
      let t = load<f64>(at(c, a * m + col));
      for (let b = 0; b < a; b++) t -= load<f64>(at(lw, a * k + b)) * load<f64>(at(c, b * m + col));
      store<f64>(at(c, a * m + col), t / load<f64>(at(lw, a * k + a)));
    }
  }
  for (let row = 0; row < m; row++) {
    for (let a = 0; a < s; a++) {
      let t = load<f64>(at(c, row * m + a));
      for (let b = 0; b < a; b++) t -= load<f64>(at(lw, a * k + b)) * load<f64>(at(c, row * m + b));
      store<f64>(at(c, row * m + a), t / load<f64>(at(lw, a * k + a)));
    }
  }
  for (let i = 0; i < L; i++) {
    const sc = 1 / Math.sqrt(load<f64>(at(rec, recRecords(kMax) + i * stride + REC_RHO)));
    for (let t = 0; t < m; t++) {
      store<f64>(at(c, (s + i) * m + t), load<f64>(at(c, (s + i) * m + t)) * sc);
      store<f64>(at(c, t * m + s + i), load<f64>(at(c, t * m + s + i)) * sc);
    }
  }
  if (!symmetricEigen(c, m, d, e)) return 0;
  // The smallest positive Ritz values (an SPD pencil has no others; rounding may make some).
  let first = 0;
  while (first < m && !(load<f64>(at(d, first)) > 0)) first++;
  const kn = min(kMax, m - first);
  for (let j = 0; j < kn; j++) {
    store<f64>(at(rec, j), load<f64>(at(d, first + j)));
    // Y = X·V: back substitution with L_wᵀ on the W part, 1/√ρ on the rest.
    for (let a = s - 1; a >= 0; a--) {
      let t = load<f64>(at(c, a * m + first + j));
      for (let b = a + 1; b < s; b++) t -= load<f64>(at(lw, b * k + a)) * load<f64>(at(y, b * kMax + j));
      store<f64>(at(y, a * kMax + j), t / load<f64>(at(lw, a * k + a)));
    }
    for (let i = 0; i < L; i++) {
      const rho = load<f64>(at(rec, recRecords(kMax) + i * stride + REC_RHO));
      store<f64>(at(y, (s + i) * kMax + j), load<f64>(at(c, (s + i) * m + first + j)) / Math.sqrt(rho));
    }
  }
  return kn;
}

/** Rows i0..i1 of the new vectors: out_j = Σ_a Y[a][j]·Z_a, Z = [W (s lines), keepZ (L lines)]; tiles stay in cache across j. */
function formRitzVectors(y: usize, kMax: i32, kn: i32, w: usize, s: i32, keepZ: usize, L: i32, n: i32, dst: usize, i0: i32, i1: i32): void {
  const TILE = 256;
  for (let t0 = i0; t0 < i1; t0 += TILE) {
    const t1 = min(i1, t0 + TILE);
    for (let j = 0; j < kn; j++) {
      const o = at(dst, j * n);
      for (let a = 0; a < s + L; a++) {
        const za = a < s ? at(w, a * n) : at(keepZ, (a - s) * n);
        const ya = load<f64>(at(y, a * kMax + j)), yv = f64x2.splat(ya);
        let i = t0;
        if (a == 0) {
          for (; i + 2 <= t1; i += 2) v128.store(at(o, i), f64x2.mul(yv, v128.load(at(za, i))));
          for (; i < t1; i++) store<f64>(at(o, i), ya * load<f64>(at(za, i)));
        } else {
          for (; i + 2 <= t1; i += 2) v128.store(at(o, i), f64x2.add(v128.load(at(o, i)), f64x2.mul(yv, v128.load(at(za, i)))));
          for (; i < t1; i++) store<f64>(at(o, i), load<f64>(at(o, i)) + ya * load<f64>(at(za, i)));
        }
      }
    }
  }
}

/**
 * Solves A·x = b. On entry x holds x0; on exit the last iterate. `history`
 * gets ‖r_k‖ for k < historyCap. Preconditioner: `dinv` the inverse diagonal
 * (Jacobi), or a factored M = L·Lᵀ (lower*, upper*, factorDiag: see
 * triSolve), or neither (all 0). Deflation: `w` holds W (k lines of length n).
 * Recycling (ℓ > 0): the first ℓ preconditioned residuals are kept, and on
 * exit `wNew` (room for kNew lines) holds the new space, out.recycled lines,
 * their Ritz values in `ritz` (kNew). `work`: cgWorkspace bytes.
 */
/**
 * Phase C with coarse deflation: p = z + β·p − Z·μ, E·μ = (AZ)ᵀz. Each
 * thread forms its aggregates' sums; after the barrier every thread solves
 * for μ itself (same sums, same bits) and updates its rows.
 */
function coarseProjection(
  colPtr: usize, colRows: usize, cols: usize, env: usize, envStart: usize, kc: i32, agg: usize, sums: usize, mu: usize,
  p: usize, z: usize, beta: f64, ag0: i32, ag1: i32, my0: i32, my1: i32, team: usize, nthreads: i32,
): void {
  coarseColumnsDot(colPtr, colRows, cols, z, ag0, ag1, sums);
  barrier(team, nthreads);
  memory.copy(mu, sums, <usize>kc << 3);
  envelopeSolve(env, envStart, kc, mu);
  coarseDirection(p, z, beta, agg, mu, my0, my1);
}

export function cg_f64(
  indptr: usize, indices: usize, data: usize, n: i32,
  b: usize, x: usize, dinv: usize,
  lowerIndptr: usize, lowerIndices: usize, lowerData: usize, upperIndptr: usize, upperIndices: usize, upperData: usize, factorDiag: usize,
  history: usize, historyCap: i32, maxIter: i32, tol: f64, out: usize,
  w: usize, k: i32, wNew: usize, kNew: i32, ell: i32, ritz: usize,
  coarse: i32, coarseAgg: usize, coarseColPtr: usize, coarseColRows: usize, coarseColPos: usize, coarseEnvStart: usize, coarseEnvPos: usize,
  coarseCols: i32, coarseEnv: i32, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const updating = ell > 0;
  const aw = work + workOffset(WORK_AW, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const mw = work + workOffset(WORK_MW, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const keepZ = work + workOffset(WORK_KEEP, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const rec = work + workOffset(WORK_REC, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const partials = work + workOffset(WORK_PARTIALS, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const scratch = work + workOffset(WORK_SCRATCH, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const cols = work + workOffset(WORK_COARSE_COLS, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const env = work + workOffset(WORK_COARSE_ENV, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const sums = work + workOffset(WORK_COARSE_SUMS, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv);
  const cmu = work + workOffset(WORK_COARSE_MU, n, k, kNew, ell, nthreads, coarse, coarseCols, coarseEnv) + ((<usize>tid * <usize>coarse) << 3);
  const r = work, p = at(work, n), q = at(work, 2 * n);
  const z = dinv != 0 || factorDiag != 0 ? at(work, 3 * n) : r;  // without preconditioner z is r
  const local = factorDiag == 0;  // z_i from r_i alone (none, Jacobi): no barrier before z
  const chunks = chunkCount(n);
  const pq = partials, rz = at(partials, chunks), rr = at(partials, 2 * chunks);
  // The exit residual gets its own partials: a thread may still be reading
  // the others' sums when a faster one reaches the last phase. Likewise each
  // deflation reduction has its own arrays.
  const tr = at(partials, 3 * chunks);
  const kk = (k * (k + 1)) >> 1;
  const gp = at(partials, 4 * chunks);              // WᵀAW, packed upper
  const wrp = at(gp, kk * chunks);                  // Wᵀr₋₁
  const azp = at(wrp, k * chunks);                  // (AW)ᵀz
  const wmp = at(azp, k * chunks);                  // WᵀMW, packed upper (recycling)
  // This thread's own small workspace: L (k×k), WᵀAW packed, a right-hand side, μ.
  const lf = at(scratch, tid * (k * k + kk + 2 * k)), gk = at(lf, k * k), rhs = at(gk, kk), mu = at(rhs, k);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const my0 = c0 * CHUNK, my1 = min(n, c1 * CHUNK);
  const stride = recStride(kNew);

  let reason = MAX_ITERATIONS;
  let iter = 0;
  let rho: f64 = 0, rnorm: f64 = 0;
  let trueNorm: f64 = 0;
  let kd = k;          // vectors deflated: k, or 0 once WᵀAW proved not positive definite
  let recorded = 0;    // kept z_j whose scalars are all known (j < recorded)
  // Coarse deflation (the host gives no W with it): E = ZᵀAZ assembled and
  // factored once by tid 0; kc = 0 (none) when E is not numerically positive definite.
  let kc = coarse;
  const ag0 = rangeStart(kc, tid, nthreads), ag1 = rangeStart(kc, tid + 1, nthreads);
  if (kc > 0) {
    if (tid == 0) {
      coarseAssemble(data, load<i32>(indptr + (<usize>n << 2)), coarseColPos, coarseEnvPos, cols, coarseCols, env, coarseEnv);
      store<f64>(out + (OUT_DEFLATED << 3), envelopeCholesky(env, coarseEnvStart, kc) ? 1 : 0);
    }
    barrier(team, nthreads);
    if (load<f64>(out + (OUT_DEFLATED << 3)) == 0) kc = 0;
  }
  // Each pass starts from the true residual of x; a pass whose recursive
  // residual met the tolerance while the true one does not is followed by
  // another (residual replacement), at most TRUE_RESIDUAL_RESTARTS times.
  for (let restart = 0; ; restart++) {
    // Only the first pass is one Lanczos process.
    const recording = updating && restart == 0 && ell > 0;
    if (kd > 0) {
      // A·W, WᵀAW and r₋₁ = b − A·x₋₁ with Wᵀr₋₁ (and WᵀMW when recycling).
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
        for (let j = 0; j < k; j++) {
          for (let i = i0; i < i1; i++) store<f64>(at(aw, j * n + i), csrRowDot(indptr, indices, data, at(w, j * n), i));
        }
        packedPartials(w, aw, n, k, i0, i1, gp, chunks, c);
        for (let i = i0; i < i1; i++) store<f64>(at(r, i), load<f64>(at(b, i)) - csrRowDot(indptr, indices, data, x, i));
        for (let j = 0; j < k; j++) {
          let s: f64 = 0;
          for (let i = i0; i < i1; i++) s += load<f64>(at(w, j * n + i)) * load<f64>(at(r, i));
          store<f64>(at(wrp, j * chunks + c), s);
        }
        if (recording) massPartials(w, mw, dinv, upperIndptr, upperIndices, upperData, factorDiag, n, k, wmp, chunks, c);
      }
      barrier(team, nthreads);
      // Every thread factors WᵀAW itself (same sums, same factor, same decision).
      sumEach(gp, chunks, kk, gk);
      if (!choleskyPacked(gk, lf, k)) kd = 0;
    }
    if (kc > 0) {
      // x₀ = x₋₁ + Z·E⁻¹·Zᵀ(b − A·x₋₁), so that Zᵀr₀ = 0; r₀ is formed below.
      for (let i = my0; i < my1; i++) store<f64>(at(r, i), load<f64>(at(b, i)) - csrRowDot(indptr, indices, data, x, i));
      barrier(team, nthreads);
      if (tid == 0) coarseRestrict(coarseAgg, r, n, sums, kc);
      barrier(team, nthreads);
      memory.copy(cmu, sums, <usize>kc << 3);
      envelopeSolve(env, coarseEnvStart, kc, cmu);
      coarseProlong(x, coarseAgg, cmu, my0, my1);
      barrier(team, nthreads);
    }
    {
      if (kd > 0) {
        sumEach(wrp, chunks, k, rhs);
        cholSolve(lf, k, rhs, mu);
      }
      // x₀ = x₋₁ + W·μ, r₀ = r₋₁ − AW·μ (so Wᵀr₀ = 0); z = D⁻¹·r; p = z (deflated below).
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
        let srr: f64 = 0, srz: f64 = 0;
        for (let i = i0; i < i1; i++) {
          let ri: f64;
          if (kd > 0) {
            store<f64>(at(x, i), load<f64>(at(x, i)) + combine(w, n, k, mu, i));
            ri = load<f64>(at(r, i)) - combine(aw, n, k, mu, i);
          } else {
            ri = load<f64>(at(b, i)) - csrRowDot(indptr, indices, data, x, i);
          }
          store<f64>(at(r, i), ri);
          srr += ri * ri;
          if (local) {
            const zi = dinv != 0 ? load<f64>(at(dinv, i)) * ri : ri;
            store<f64>(at(z, i), zi);
            store<f64>(at(p, i), zi);
            srz += ri * zi;
          }
        }
        store<f64>(at(rr, c), srr);
        if (local) {
          store<f64>(at(rz, c), srz);
          deflationPartials(aw, z, azp, n, kd, chunks, c, c);
        }
      }
      if (!local) {
        applyTri(lowerIndptr, lowerIndices, lowerData, upperIndptr, upperIndices, upperData, factorDiag, n, r, z, rz, chunks, team, tid, nthreads);
        for (let i = my0; i < my1; i++) store<f64>(at(p, i), load<f64>(at(z, i)));
        deflationPartials(aw, z, azp, n, kd, chunks, c0, c1 - 1);
      }
      barrier(team, nthreads);
      rho = sumPartials(rz, chunks);
      rnorm = Math.sqrt(sumPartials(rr, chunks));
      if (tid == 0 && iter < historyCap) store<f64>(at(history, iter), rnorm);
      if (kd > 0) {
        // p₀ = z₀ − W·μ with WᵀAW·μ = (AW)ᵀz₀.
        sumEach(azp, chunks, k, rhs);
        cholSolve(lf, k, rhs, mu);
        deflatedDirection(p, z, 0, w, n, k, mu, my0, my1);
      }
      if (kc > 0) coarseProjection(coarseColPtr, coarseColRows, cols, env, coarseEnvStart, kc, coarseAgg, sums, cmu, p, z, 0, ag0, ag1, my0, my1, team, nthreads);
      if (recording) keep(rec, kNew, 0, rho, mu, kd, z, keepZ, n, my0, my1, tid);
      if (kd > 0 || kc > 0) barrier(team, nthreads);

      if (rnorm <= tol) reason = CONVERGED;
      else if (!isFinite(rnorm) || !(rho > 0)) reason = BREAKDOWN;
      else {
        for (;;) {
          if (iter == maxIter) { reason = MAX_ITERATIONS; break; }
          iter++;
          // A: q = A·p and p·q.
          cg_phase_curvature(indptr, indices, data, n, p, q, pq, c0, c1);
          barrier(team, nthreads);
          const curvature = sumPartials(pq, chunks);
          if (!(curvature > 0)) {
            // p·Ap ≤ 0: A is not positive definite (NaN/∞: the iteration broke down).
            reason = isFinite(curvature) ? INDEFINITE : BREAKDOWN;
            iter--;
            break;
          }
          const alpha = rho / curvature;
          if (recording && iter <= ell) {
            if (tid == 0) store<f64>(at(rec, recRecords(kNew) + (iter - 1) * stride + REC_CURVATURE), curvature);
            recorded = iter;
          }

          // B: x += α·p, r −= α·q, z = M⁻¹·r, with r·z, r·r and (AW)ᵀz.
          cg_phase_update(n, alpha, x, p, q, r, z, dinv, local ? 1 : 0, rr, rz, aw, azp, kd, chunks, c0, c1);
          if (!local) {
            applyTri(lowerIndptr, lowerIndices, lowerData, upperIndptr, upperIndices, upperData, factorDiag, n, r, z, rz, chunks, team, tid, nthreads);
            deflationPartials(aw, z, azp, n, kd, chunks, c0, c1 - 1);
          }
          if (tid == 0) store<f64>(out + (OUT_STOP << 3), aborted(team) ? 1 : 0);
          barrier(team, nthreads);
          const rhoNext = sumPartials(rz, chunks);
          rnorm = Math.sqrt(sumPartials(rr, chunks));
          if (tid == 0) {
            if (iter < historyCap) store<f64>(at(history, iter), rnorm);
            reportProgress(team, iter, rnorm);
          }
          if (rnorm <= tol) { reason = CONVERGED; break; }
          if (!isFinite(rnorm) || !(rhoNext > 0)) { reason = BREAKDOWN; break; }
          if (load<f64>(out + (OUT_STOP << 3)) != 0) { reason = ABORTED; break; }
          const beta = rhoNext / rho;
          rho = rhoNext;
          if (recording && tid == 0 && iter <= ell) store<f64>(at(rec, recRecords(kNew) + (iter - 1) * stride + REC_BETA), beta);

          // C: p = z + β·p (− W·μ with WᵀAW·μ = (AW)ᵀz).
          if (kd > 0) {
            sumEach(azp, chunks, k, rhs);
            cholSolve(lf, k, rhs, mu);
            deflatedDirection(p, z, beta, w, n, k, mu, my0, my1);
          } else if (kc > 0) {
            coarseProjection(coarseColPtr, coarseColRows, cols, env, coarseEnvStart, kc, coarseAgg, sums, cmu, p, z, beta, ag0, ag1, my0, my1, team, nthreads);
          } else {
            cg_phase_direction(p, z, beta, my0, my1);
          }
          if (recording && iter < ell) keep(rec, kNew, iter, rho, mu, kd, z, keepZ, n, my0, my1, tid);
          barrier(team, nthreads);
        }
      }
    }

    // The true residual of x (the recursive one drifts) judges a claim of convergence.
    trueNorm = trueResidualNorm(indptr, indices, data, n, b, x, tr, chunks, c0, c1, team, nthreads);
    if (reason != CONVERGED) break;
    const verdict = trueResidualVerdict(trueNorm, tol, true, restart);
    if (verdict != GO_ON) { reason = verdict; break; }
  }
  let kn = -1;
  if (updating && (reason == CONVERGED || reason == MAX_ITERATIONS || reason == STAGNATED)) {
    // W's half of the basis needs WᵀMW positive definite (it is unless W is nearly dependent).
    if (tid == 0) {
      let s = kd;
      if (s > 0) {
        const wm = at(rec, recMass(kNew, ell));
        sumEach(wmp, chunks, kk, wm);
        if (!choleskyPacked(wm, at(rec, recFactor(kNew, ell)), k)) s = 0;
      }
      store<f64>(out + (OUT_RITZ_BASIS_W << 3), <f64>s);
      store<f64>(out + (OUT_RECYCLED << 3), <f64>rayleighRitz(rec, gk, s, k, ell, recorded, kNew));
    }
    barrier(team, nthreads);
    kn = <i32>load<f64>(out + (OUT_RECYCLED << 3));
    const s = <i32>load<f64>(out + (OUT_RITZ_BASIS_W << 3));
    formRitzVectors(at(rec, recY(kNew, ell)), kNew, kn, w, s, keepZ, recorded, n, wNew, my0, my1);
    if (tid == 0) memory.copy(ritz, rec, <usize>kn << 3);
  }
  if (tid == 0) {
    store<f64>(out + (OUT_ITERATIONS << 3), <f64>iter);
    store<f64>(out + (OUT_REASON << 3), <f64>reason);
    store<f64>(out + (OUT_RESIDUAL << 3), rnorm);
    store<f64>(out + (OUT_TRUE_RESIDUAL << 3), trueNorm);
    store<f64>(out + (OUT_RECYCLED << 3), <f64>kn);
    store<f64>(out + (OUT_DEFLATED << 3), kd > 0 || kc > 0 ? 1 : 0);
  }
}
