// L2-regularised logistic regression, binary or multinomial, by a trust-region
// Newton method (LIBLINEAR's TRON: Newton steps solved by preconditioned CG
// inside a trust region, Hessian-vector products Xᵀ·D·X·v, never the Hessian):
//   min ½‖W‖² + C·Σ_i s_i·ℓ(y_i, X_i·W + b),
// ℓ the logistic loss (k = 1, y_i ∈ {−1, 1}) or the softmax loss (k ≥ 2
// classes, y_i the class index), s the sample weights, b the intercepts
// (unpenalised; only with fitIntercept). X is column-major n×p. The unknowns
// are k blocks of pp = p (+1 with an intercept) entries: class c's
// coefficients at x[c·pp ..], its intercept last.
//
// Thread 0 runs the method; the wide passes (X·v over rows, Xᵀ·r over
// columns) are shared: thread 0 posts a command, a barrier starts it, every
// thread does its rows or columns. Every entry of X·v sums over j in order and
// every entry of Xᵀ·r is one thread's whole dot, so the results are the same
// bits for any thread count.
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
const W_END = 13;

function workOffset(region: i32, n: i32, m: i32, k: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) {
    if (r < W_L) bytes += padded((<usize>k * n) << 3);
    else if (r == W_L) bytes += padded(<usize>n << 3);
    else if (r < W_CTL) bytes += padded(<usize>m << 3);
    else bytes += 64;
  }
  return bytes;
}

/** Bytes of logistic_newton_f64's workspace. */
export function newtonWorkspace(n: i32, p: i32, k: i32, fitIntercept: i32): usize {
  return workOffset(W_END, n, k * (p + (fitIntercept != 0 ? 1 : 0)), k);
}

// Commands thread 0 posts (CTL word 0; word 1: the vector's address).
const CMD_DONE = 0;
const CMD_LOSS = 1;  // z, per-row losses at the point
const CMD_GRAD = 2;  // R, P and the gradient and diagonal at the point whose z is current
const CMD_HESS = 3;  // H·v into HD

const TILE = 256;  // rows of z kept in cache while the columns stream past

// TRON's constants (Lin & Moré; LIBLINEAR).
const ETA0: f64 = 1e-4, ETA1: f64 = 0.25, ETA2: f64 = 0.75;
const SIGMA1: f64 = 0.25, SIGMA2: f64 = 0.5, SIGMA3: f64 = 4.0;
const CG_TOL: f64 = 0.1;  // inner stop: ‖r‖_{M⁻¹} ≤ CG_TOL·‖g‖_{M⁻¹}

// The problem, as wasm globals: each thread's instance has its own (kernels never allocate).
let gA: usize = 0, gN: i32 = 0, gP: i32 = 0, gK: i32 = 0, gPP: i32 = 0, gFi: bool = false;
let gY: usize = 0, gSw: usize = 0, gC: f64 = 0;
let gZ: usize = 0, gR: usize = 0, gPr: usize = 0, gU: usize = 0, gL: usize = 0;
let gG: usize = 0, gMd: usize = 0, gHd: usize = 0;
// This thread's rows and columns (the intercept is column p).
let gR0: i32 = 0, gR1: i32 = 0, gJ0: i32 = 0, gJ1: i32 = 0;

/** out[c][i] = Σ_j X[i][j]·v[c·pp + j] (+ v's intercept) for this thread's rows. */
function forward(v: usize, out: usize): void {
  const n = gN, p = gP, k = gK, pp = gPP;
  for (let t0 = gR0; t0 < gR1; t0 += TILE) {
    const t1 = min(gR1, t0 + TILE);
    for (let c = 0; c < k; c++) {
      const b = gFi ? load<f64>(at(v, c * pp + p)) : 0.0;
      const oc = out + ((<usize>c * n) << 3);
      for (let i = t0; i < t1; i++) store<f64>(at(oc, i), b);
    }
    for (let j = 0; j < p; j++) {
      const col = gA + ((<usize>j * n) << 3);
      for (let c = 0; c < k; c++) {
        const wj = load<f64>(at(v, c * pp + j));
        if (wj == 0) continue;
        const oc = out + ((<usize>c * n) << 3);
        const wv = f64x2.splat(wj);
        let i = t0;
        // Rows start even (see rows()), so pairs stay aligned with every column's.
        for (; i + 1 < t1; i += 2) {
          v128.store(at(oc, i), madd_f64x2(wv, v128.load(at(col, i)), v128.load(at(oc, i))));
        }
        if (i < t1) store<f64>(at(oc, i), load<f64>(at(oc, i)) + wj * load<f64>(at(col, i)));
      }
    }
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
  forward(v, gZ);
  const n = gN, k = gK;
  for (let i = gR0; i < gR1; i++) {
    const cs = gC * load<f64>(at(gSw, i));
    let li: f64;
    if (k == 1) {
      li = softplus(-load<f64>(at(gY, i)) * load<f64>(at(gZ, i)));
    } else {
      let zmax = -Infinity;
      for (let c = 0; c < k; c++) zmax = max(zmax, load<f64>(at(gZ, c * n + i)));
      let e: f64 = 0;
      for (let c = 0; c < k; c++) e += Math.exp(load<f64>(at(gZ, c * n + i)) - zmax);
      li = zmax + Math.log(e) - load<f64>(at(gZ, <i32>load<f64>(at(gY, i)) * n + i));
    }
    store<f64>(at(gL, i), cs * li);
  }
}

/** CMD_GRAD, rows: R = C·s·∂ℓ/∂z and the Hessian's middle factors at the current z. */
function gradRows(): void {
  const n = gN, k = gK;
  for (let i = gR0; i < gR1; i++) {
    const cs = gC * load<f64>(at(gSw, i));
    if (k == 1) {
      const yi = load<f64>(at(gY, i));
      const s = 1.0 / (1.0 + Math.exp(-yi * load<f64>(at(gZ, i))));  // σ(y·z)
      store<f64>(at(gR, i), cs * (s - 1.0) * yi);
      store<f64>(at(gPr, i), s);
      // The diagonal's weights, C·s·σ(1 − σ), in u (free until the next H·v).
      store<f64>(at(gU, i), cs * s * (1.0 - s));
    } else {
      let zmax = -Infinity;
      for (let c = 0; c < k; c++) zmax = max(zmax, load<f64>(at(gZ, c * n + i)));
      let e: f64 = 0;
      for (let c = 0; c < k; c++) {
        const q = Math.exp(load<f64>(at(gZ, c * n + i)) - zmax);
        store<f64>(at(gPr, c * n + i), q);
        e += q;
      }
      const inv = 1.0 / e, yc = <i32>load<f64>(at(gY, i));
      for (let c = 0; c < k; c++) {
        const q = load<f64>(at(gPr, c * n + i)) * inv;
        store<f64>(at(gPr, c * n + i), q);
        store<f64>(at(gR, c * n + i), cs * (q - (c == yc ? 1.0 : 0.0)));
        store<f64>(at(gU, c * n + i), cs * q * (1.0 - q));
      }
    }
  }
}

/** CMD_GRAD, columns: g = x + Xᵀ·R (intercept: Σ R) and the Hessian's diagonal. */
function gradCols(x: usize): void {
  const n = gN, p = gP, pp = gPP;
  for (let j = gJ0; j < gJ1; j++) {
    for (let c = 0; c < gK; c++) {
      const rc = gR + ((<usize>c * n) << 3), uc = gU + ((<usize>c * n) << 3), e = c * pp + j;
      if (j < p) {
        const col = gA + ((<usize>j * n) << 3);
        store<f64>(at(gG, e), load<f64>(at(x, e)) + dot(col, rc, n));
        store<f64>(at(gMd, e), 1.0 + dotSq(col, uc, n));
      } else {
        store<f64>(at(gG, e), sum(rc, n));
        store<f64>(at(gMd, e), sum(uc, n));
      }
    }
  }
}

/** CMD_HESS, rows: u = D·(X·v), D the loss's Hessian in z (per row: a scalar, or k×k for softmax). */
function hessRows(v: usize): void {
  forward(v, gU);
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

/** CMD_HESS, columns: hd = v + Xᵀ·u on the coefficients, Σ u on the intercepts. */
function hessCols(v: usize): void {
  const n = gN, p = gP, pp = gPP;
  for (let j = gJ0; j < gJ1; j++) {
    for (let c = 0; c < gK; c++) {
      const uc = gU + ((<usize>c * n) << 3), e = c * pp + j;
      if (j < p) store<f64>(at(gHd, e), load<f64>(at(v, e)) + dot(gA + ((<usize>j * n) << 3), uc, n));
      else store<f64>(at(gHd, e), sum(uc, n));
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
  } else {
    hessRows(v);
    barrier(team, nthreads);
    hessCols(v);
  }
  barrier(team, nthreads);
}

/** Thread 0: posts a command; every thread runs it. */
function command(ctl: usize, cmd: i32, v: usize, nthreads: i32, team: usize): void {
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
 * Starts from x (any point: a warm start). Stops when ‖∇f(x)‖ ≤ tol·‖∇f(x₀)‖
 * (LIBLINEAR's rule; the gradient of the returned x, computed after its last
 * step), after maxIter Newton steps, on an abort, or when no step lowers f in
 * floating point (breakdown).
 */
export function logistic_newton_f64(
  a: usize, n: i32, p: i32, k: i32, y: usize, sw: usize, x: usize, c: f64, fitIntercept: i32,
  maxIter: i32, tol: f64, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const fi = fitIntercept != 0, pp = p + (fi ? 1 : 0), m = k * pp;
  gA = a; gN = n; gP = p; gK = k; gPP = pp; gFi = fi; gY = y; gSw = sw; gC = c;
  gZ = work + workOffset(W_Z, n, m, k); gR = work + workOffset(W_R, n, m, k);
  gPr = work + workOffset(W_P, n, m, k); gU = work + workOffset(W_U, n, m, k);
  gL = work + workOffset(W_L, n, m, k); gG = work + workOffset(W_G, n, m, k);
  gMd = work + workOffset(W_M, n, m, k); gHd = work + workOffset(W_HD, n, m, k);
  const pairs = (n + 1) >> 1;
  gR0 = min(n, 2 * rangeStart(pairs, tid, nthreads)); gR1 = min(n, 2 * rangeStart(pairs, tid + 1, nthreads));
  gJ0 = rangeStart(pp, tid, nthreads); gJ1 = rangeStart(pp, tid + 1, nthreads);
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

  const g = gG, md = gMd, hd = gHd;
  const s = work + workOffset(W_S, n, m, k), res = work + workOffset(W_RES, n, m, k);
  const d = work + workOffset(W_D, n, m, k), xt = work + workOffset(W_XT, n, m, k);

  command(ctl, CMD_LOSS, x, nthreads, team);
  let loss = sum(gL, n);
  let f = loss + 0.5 * penaltySq(x, m, pp, p, fi);
  command(ctl, CMD_GRAD, x, nthreads, team);
  let gnorm = Math.sqrt(dotM(g, g, m));
  const gnorm0 = gnorm;
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
  // Post CMD_DONE: the other threads leave.
  store<i32>(ctl, CMD_DONE);
  barrier(team, nthreads);
  store<f64>(at(out, LogisticNewtonF64Out.iterations), <f64>iter);
  store<f64>(at(out, LogisticNewtonF64Out.reason), <f64>reason);
  store<f64>(at(out, LogisticNewtonF64Out.gradNorm), gnorm);
  store<f64>(at(out, LogisticNewtonF64Out.gradNorm0), gnorm0);
  store<f64>(at(out, LogisticNewtonF64Out.objective), f);
  store<f64>(at(out, LogisticNewtonF64Out.loss), loss / c);
  store<f64>(at(out, LogisticNewtonF64Out.cgIterations), <f64>cgTotal);
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
