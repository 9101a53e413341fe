// Binary L1 / elastic-net logistic regression by newGLMNET (Yuan, Ho & Lin
// 2012; LIBLINEAR's primal L1 solver): minimise
//   α‖w‖₁ + β/2·‖w‖² + C·Σ_i s_i·log(1 + exp(−y_i·(a_iᵀw + b))),  w ≥ 0 with positive,
// A column-major n×p (or sparse by columns, CSC: only the nonzeros are
// touched), y_i ∈ {−1, 1}, s the sample weights, b an unpenalised
// intercept (w[p], with fitIntercept). Each outer step builds the smooth part's
// quadratic model at w (gradient g + βw, Hessian AᵀDA + βI: the L2 term is a
// diagonal shift), minimises model + α‖·‖₁ by
// cyclic coordinate descent over the coordinates that may move (A·d kept, no
// exp or log per coordinate: what makes it cheaper than a Newton step per
// coordinate on the loss itself), then a backtracking line search on the true
// objective. One thread: the passes are per column and short.
import { aborted, reportProgress } from "../core/team";
import { at, padded } from "../core/memory";
import { axpy, colAxpy, colDot, colDotSq, modelStep, modelStepSparse, sparseColumns, sum, useColumns } from "./columns";
import { ABORTED, BREAKDOWN, CONVERGED, LogisticGlmnetF64Out, MAX_ITERATIONS } from "../generated/layouts";

// Workspace regions, each padded to 64 bytes: n-vectors, then (p+1)-vectors.
const W_Z = 0, W_XD = 1, W_D = 2, W_R = 3, W_DXD = 4, W_Q = 5;  // n each
const W_G = 6, W_H = 7, W_DIR = 8, W_ACTIVE = 9;                // p + 1 each
const W_END = 10;

function workOffset(region: i32, n: i32, p: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) bytes += r < W_G ? padded(<usize>n << 3) : padded(<usize>(p + 1) << 3);
  return bytes;
}

/** Bytes of logistic_glmnet_f64's workspace. */
export function glmnetWorkspace(n: i32, p: i32): usize {
  return workOffset(W_END, n, p);
}

const SIGMA: f64 = 0.01;     // Armijo sufficient-decrease fraction (LIBLINEAR's)
const MAX_HALVINGS = 30;
const INNER_PASSES = 100;    // coordinate passes over the model per outer step, at most
const INNER_FRACTION: f64 = 0.1;  // the model is minimised until its violation ≤ this × the loss's
const SHRINK_MARGIN: f64 = 1e-2;  // a zero coordinate with |g| ≤ 1 − margin sits out the inner passes

/** argmin_δ G·δ + ½H·δ² + α|w + δ| (over w + δ ≥ 0 when pos). */
// @ts-ignore: decorator
@inline function l1Step(w: f64, g: f64, h: f64, alpha: f64, pos: bool): f64 {
  if (pos) return max(-(g + alpha) / h, -w);
  if (g + alpha <= h * w) return -(g + alpha) / h;
  if (g - alpha >= h * w) return -(g - alpha) / h;
  return -w;
}

/** The minimum-norm subgradient's size at coordinate value w with smooth gradient g (α|w|, and w ≥ 0 with pos). */
// @ts-ignore: decorator
@inline function violation(w: f64, g: f64, alpha: f64, pos: bool): f64 {
  if (w > 0) return Math.abs(g + alpha);
  if (w < 0) return Math.abs(g - alpha);
  return pos ? max(-(g + alpha), 0) : max(Math.abs(g) - alpha, 0);
}

/** Whether a zero coordinate with gradient g may move (outside the margin of its optimality condition). */
// @ts-ignore: decorator
@inline function mayMove(g: f64, alpha: f64, pos: bool): bool {
  return (pos ? -g : Math.abs(g)) > alpha * (1 - SHRINK_MARGIN);
}


/**
 * C·Σ s_i·(ℓ_i(z + λ·xd) − ℓ_i(z)), each term as log1p(q_i·expm1(δ_i)), q_i =
 * σ(−y_i·z_i), δ_i = −y_i·λ·xd_i: accurate to the change itself, where the
 * difference of the two sums is lost in f's rounding near the optimum.
 */
function lossChange(z: usize, xd: usize, lambda: f64, q: usize, y: usize, sw: usize, c: f64, n: i32): f64 {
  let t: f64 = 0;
  for (let i = 0; i < n; i++) {
    const yi = load<f64>(at(y, i)), dl = -yi * lambda * load<f64>(at(xd, i));
    let d: f64;
    if (dl < 700) d = Math.log1p(load<f64>(at(q, i)) * Math.expm1(dl));
    else {  // expm1 would overflow: the plain difference (δ dominates)
      const u = -yi * load<f64>(at(z, i)), v = u + dl;
      d = (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))) - (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u)));
    }
    t += c * load<f64>(at(sw, i)) * d;
  }
  return t;
}

/** Σ s_i·log(1 + exp(−y_i·(z_i + λ·xd_i))). */
function loss(z: usize, xd: usize, lambda: f64, y: usize, sw: usize, n: i32): f64 {
  let t: f64 = 0;
  for (let i = 0; i < n; i++) {
    const u = -load<f64>(at(y, i)) * (load<f64>(at(z, i)) + lambda * load<f64>(at(xd, i)));
    t += (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u))) * load<f64>(at(sw, i));
  }
  return t;
}

/**
 * The largest optimality violation at w = 0 (z = 0): the reference of the
 * stopping rule, whatever the start; computed as the first step of a cold
 * start computes it (the same bits).
 */
function violationAtZero(a: usize, n: i32, p: i32, coords: i32, y: usize, sw: usize, c: f64, alpha: f64, pos: bool, r: usize): f64 {
  for (let i = 0; i < n; i++) {
    const yi = load<f64>(at(y, i)), cs = c * load<f64>(at(sw, i));
    const t = 1.0 / (1.0 + Math.exp(-yi * 0.0));
    store<f64>(at(r, i), cs * (t - 1.0) * yi);
  }
  let v: f64 = 0;
  for (let j = 0; j < coords; j++) {
    const gj = j < p ? colDot(a, j, r, n) : sum(r, n);
    v = max(v, j < p ? violation(0, gj, alpha, pos) : Math.abs(gj));
  }
  return v;
}

/**
 * a: A column-major, or with colptr ≠ 0 the nonzeros of A by columns (CSC:
 * colptr p + 1 offsets, rows their row indices). On entry w (p entries, +1
 * with the intercept) holds the start: zeros, or
 * a warm start (warm ≠ 0; w ≥ 0 with positive). Stops when the largest
 * optimality violation at w is ≤ tol × that at w = 0 (checked on every
 * coordinate, after each step), when no step lowers the objective in
 * floating point (breakdown), or after maxIter outer steps.
 */
export function logistic_glmnet_f64(
  a: usize, colptr: usize, rows: usize, n: i32, p: i32, y: usize, sw: usize, w: usize, fitIntercept: i32, c: f64,
  alpha: f64, beta: f64, positive: i32, warm: i32,
  maxIter: i32, tol: f64, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  if (tid != 0) return;
  useColumns(colptr, rows);
  const coords = p + (fitIntercept != 0 ? 1 : 0);
  const z = work + workOffset(W_Z, n, p), xd = work + workOffset(W_XD, n, p);
  const dd = work + workOffset(W_D, n, p), r = work + workOffset(W_R, n, p), dxd = work + workOffset(W_DXD, n, p);
  const q = work + workOffset(W_Q, n, p);
  const g = work + workOffset(W_G, n, p), h = work + workOffset(W_H, n, p);
  const dir = work + workOffset(W_DIR, n, p), active = work + workOffset(W_ACTIVE, n, p);
  const pos = positive != 0;
  let first: f64 = -1, viol: f64 = 0;
  for (let i = 0; i < n; i++) store<f64>(at(z, i), 0);
  if (warm != 0) {
    first = violationAtZero(a, n, p, coords, y, sw, c, alpha, pos, r);
    // z = A·w + b at the start.
    for (let j = 0; j < p; j++) {
      const wj = load<f64>(at(w, j));
      if (wj != 0) colAxpy(wj, a, j, z, n);
    }
    if (fitIntercept != 0) {
      const b = load<f64>(at(w, p));
      for (let i = 0; i < n; i++) store<f64>(at(z, i), load<f64>(at(z, i)) + b);
    }
  }
  let iter = 0, reason = MAX_ITERATIONS;
  while (true) {
    // The quadratic model at w: r = C·s·∂loss/∂z, D = C·s·∂²loss/∂z², g = Aᵀr + βw, diag(AᵀDA) + β.
    for (let i = 0; i < n; i++) {
      const yi = load<f64>(at(y, i)), cs = c * load<f64>(at(sw, i));
      const t = 1.0 / (1.0 + Math.exp(-yi * load<f64>(at(z, i))));  // σ(y·z)
      store<f64>(at(r, i), cs * (t - 1.0) * yi);
      store<f64>(at(q, i), 1.0 - t);  // σ(−y·z), for the line search
      // D > 0 keeps every coordinate's curvature positive.
      store<f64>(at(dd, i), max(cs * t * (1.0 - t), 1e-12 * cs));
    }
    viol = 0;
    let nActive = 0;
    for (let j = 0; j < coords; j++) {
      const wj = load<f64>(at(w, j));
      let gj = j < p ? colDot(a, j, r, n) : sum(r, n);
      let hj = (j < p ? colDotSq(a, j, dd, n) : sum(dd, n)) + 1e-12;
      if (beta != 0 && j < p) { gj += beta * wj; hj += beta; }
      store<f64>(at(g, j), gj);
      store<f64>(at(h, j), hj);
      viol = max(viol, j < p ? violation(wj, gj, alpha, pos) : Math.abs(gj));
      if (j == p || wj != 0 || mayMove(gj, alpha, pos)) store<i32>(active + (<usize>(nActive++) << 2), j);
    }
    if (first < 0) first = viol;
    reportProgress(team, iter, viol);
    if (viol <= tol * first) { reason = CONVERGED; break; }
    if (iter >= maxIter) break;
    if (aborted(team)) { reason = ABORTED; break; }
    iter++;

    // Coordinate descent on g·d + ½dᵀ(AᵀDA + βI)·d + α‖w + d‖₁ over the active coordinates; A·d in xd.
    for (let i = 0; i < n; i++) { store<f64>(at(xd, i), 0); store<f64>(at(dxd, i), 0); }
    for (let k = 0; k < nActive; k++) store<f64>(at(dir, load<i32>(active + (<usize>k << 2))), 0);
    let stop = false;
    for (let pass = 0; pass < INNER_PASSES; pass++) {
      if (aborted(team)) { stop = true; break; }
      let inner: f64 = 0;
      for (let k = 0; k < nActive; k++) {
        const j = load<i32>(active + (<usize>k << 2));
        // The model's gradient along j: g_j + (AᵀD·A·d)_j + β·d_j, with D·(A·d) kept in dxd.
        const dj = load<f64>(at(dir, j)), wd = load<f64>(at(w, j)) + dj;
        let G = load<f64>(at(g, j)) + (j < p ? colDot(a, j, dxd, n) : sum(dxd, n));
        if (beta != 0 && j < p) G += beta * dj;
        const H = load<f64>(at(h, j));
        let delta: f64;
        if (j == p) { delta = -G / H; inner = max(inner, Math.abs(G)); }
        else { delta = l1Step(wd, G, H, alpha, pos); inner = max(inner, violation(wd, G, alpha, pos)); }
        if (delta == 0) continue;
        store<f64>(at(dir, j), dj + delta);
        if (j < p && sparseColumns()) modelStepSparse(delta, a, j, dd, xd, dxd);
        else modelStep(delta, j < p ? a + ((<usize>j * n) << 3) : 0, dd, xd, dxd, n);
      }
      if (inner <= INNER_FRACTION * viol) break;
    }

    if (stop) { reason = ABORTED; break; }
    // Backtracking on the true objective along d, by its change (terms accurate to the change).
    // The model's decrease at the full step: g·d + α(‖w + d‖₁ − ‖w‖₁) (< 0; g holds βw).
    let decrease: f64 = 0;
    for (let k = 0; k < nActive; k++) {
      const j = load<i32>(active + (<usize>k << 2));
      const wj = load<f64>(at(w, j)), dj = load<f64>(at(dir, j));
      decrease += load<f64>(at(g, j)) * dj;
      if (j != p) decrease += alpha * (Math.abs(wj + dj) - Math.abs(wj));
    }
    let lambda: f64 = 1, accepted = false, change: f64 = 0;
    for (let t = 0; t < MAX_HALVINGS; t++) {
      let dl1: f64 = 0, dsq: f64 = 0;
      for (let k = 0; k < nActive; k++) {
        const j = load<i32>(active + (<usize>k << 2));
        if (j == p) continue;
        const wj = load<f64>(at(w, j)), wt = wj + lambda * load<f64>(at(dir, j));
        dl1 += Math.abs(wt) - Math.abs(wj);
        if (beta != 0) dsq += wt * wt - wj * wj;
      }
      change = lossChange(z, xd, lambda, q, y, sw, c, n) + alpha * dl1 + 0.5 * beta * dsq;
      if (change <= SIGMA * lambda * decrease) { accepted = true; break; }
      lambda *= 0.5;
    }
    if (!accepted) { reason = BREAKDOWN; break; }
    for (let k = 0; k < nActive; k++) {
      const j = load<i32>(active + (<usize>k << 2));
      store<f64>(at(w, j), load<f64>(at(w, j)) + lambda * load<f64>(at(dir, j)));
    }
    axpy(lambda, xd, z, n);
  }
  store<f64>(at(out, LogisticGlmnetF64Out.loss), loss(z, z, 0, y, sw, n));
  store<f64>(at(out, LogisticGlmnetF64Out.iterations), <f64>iter);
  store<f64>(at(out, LogisticGlmnetF64Out.reason), <f64>reason);
  store<f64>(at(out, LogisticGlmnetF64Out.violation), viol);
}
