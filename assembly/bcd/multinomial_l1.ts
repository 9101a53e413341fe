// Multinomial logistic regression with an L1 or elastic-net penalty,
// unpenalised per-class intercepts and sample weights: minimise
//   l1·‖W‖₁ + ½·l2·‖W‖² + C·Σ_i s_i·[logsumexp(z_i) − z_{i,y_i}],  z_i = W·a_i + b,
// A column-major n×p, y_i ∈ 0..K−1. glmnet's multinomial scheme (Friedman,
// Hastie & Tibshirani 2010, §4) with newGLMNET's steps (Yuan, Ho & Lin 2012;
// glmnet.ts is the binary one): the outer loop cycles over the classes; class
// k's block (its coefficients and intercept) gets the loss's exact quadratic
// model in that block (gradient Aᵀ·C·s·(p_k − y_k), Hessian
// Aᵀ·diag(C·s·p_k·(1 − p_k))·A), minimised with the penalty by cyclic
// coordinate descent, then a backtracking line search on the true objective.
// Only z_{·k} moves in a class step, so with q = Σ_{l≠k} p_l and t = λ·(A·d)_i
// a trial's log-sum-exps move by log(q + p_k·e^t) − log(q + p_k): one exp and
// one log a row, as log1p(p_k·expm1(t)/(q + p_k)) for |t| ≤ 1, accurate to
// its last bits (the line search compares changes of the objective, not two
// objectives, so it resolves steps far below the objective's rounding), by
// logaddexp further out. Z, P and the log-sum-exps are recomputed from x at
// every cycle. The loss is unchanged when one vector is added to every
// class's coefficients (W + 1·cᵀ): the penalty alone fixes that direction,
// which class-at-a-time steps cross slowly, so after each cycle every
// feature's coefficients are shifted by the c_j minimising its penalty
// (glmnet's median centring; the elastic net's minimiser of a convex
// piecewise quadratic): the objective drops, the loss does not move.
// x holds K blocks of p (+1 with the intercept) entries, class k at k·(p + fi).
// A dense column-major A, or sparse by columns (CSC, colptr ≠ 0: only the
// nonzeros are touched by the column passes; the per-row passes stay dense in n).
// One thread: a class step's passes are single columns, too short to share.
import { aborted, reportProgress } from "../core/team";
import { at, padded } from "../core/memory";
import { axpy, colAxpy, colDot, colDotSq, modelStep, modelStepSparse, sparseColumns, sum, useColumns } from "./columns";
import { ABORTED, BREAKDOWN, CONVERGED, MAX_ITERATIONS, MultinomialL1F64Out } from "../generated/layouts";

// Workspace regions, each padded to 64 bytes: n×K, then n, then K·(p+1), then p+1.
const W_Z = 0, W_P = 1;                                                   // n·K each, class-major
const W_LSE = 2, W_R = 3, W_DD = 4, W_Q = 5, W_XD = 6, W_DXD = 7, W_DELTA = 8;  // n each
const W_G = 9, W_X0 = 10;                                                 // K·(p+1) each
const W_H = 11, W_DIR = 12, W_ACTIVE = 13;                                // p+1 each
const W_END = 14;

function regionBytes(region: i32, n: i32, p: i32, k: i32): usize {
  if (region < W_LSE) return padded(<usize>n * <usize>k << 3);
  if (region < W_G) return padded(<usize>n << 3);
  if (region <= W_X0) return padded(<usize>k * <usize>(p + 1) << 3);
  return padded(<usize>(p + 1) << 3);
}

function workOffset(region: i32, n: i32, p: i32, k: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) bytes += regionBytes(r, n, p, k);
  return bytes;
}

/** Bytes of multinomial_l1_f64's workspace. */
export function multinomialL1Workspace(n: i32, p: i32, k: i32): usize {
  return workOffset(W_END, n, p, k);
}

const SIGMA: f64 = 0.01;          // Armijo sufficient-decrease fraction (LIBLINEAR's)
const MAX_HALVINGS = 30;
const INNER_PASSES = 100;         // coordinate passes over a class's model per step, at most
const INNER_FRACTION: f64 = 0.3;  // the model is minimised until its violation ≤ this × the class's (0.1–0.5 measured on digits: 0.3 the fastest)
const SHRINK_MARGIN: f64 = 1e-2;  // a zero coordinate with |g| ≤ (1 − margin)·l1 sits out the passes

/** xd += δ·a_j and dxd += δ·D·a_j (j = p: the intercept's ones). */
// @ts-ignore: decorator
@inline function colModelStep(delta: f64, a: usize, j: i32, p: i32, dd: usize, xd: usize, dxd: usize, n: i32): void {
  if (!sparseColumns() || j == p) { modelStep(delta, j < p ? a + ((<usize>j * n) << 3) : 0, dd, xd, dxd, n); return; }
  modelStepSparse(delta, a, j, dd, xd, dxd);
}

/** argmin_δ G·δ + ½H·δ² + l1·|w + δ|. */
// @ts-ignore: decorator
@inline function l1Step(w: f64, g: f64, h: f64, l1: f64): f64 {
  if (g + l1 <= h * w) return -(g + l1) / h;
  if (g - l1 >= h * w) return -(g - l1) / h;
  return -w;
}

/** The minimum-norm subgradient's size at coordinate value w, smooth gradient g, L1 weight l1. */
// @ts-ignore: decorator
@inline function violation(w: f64, g: f64, l1: f64): f64 {
  return w > 0 ? Math.abs(g + l1) : w < 0 ? Math.abs(g - l1) : max(Math.abs(g) - l1, 0);
}

/**
 * |w + d| − |w| without rounding w + d: exact while the sign holds (steps near
 * the optimum are far below w's last bit, and the line search weighs them).
 */
// @ts-ignore: decorator
@inline function absChange(w: f64, d: f64): f64 {
  if (w > 0 && w + d >= 0) return d;
  if (w < 0 && w + d <= 0) return -d;
  return Math.abs(w + d) - Math.abs(w);
}

/** log(e^u + e^v), either may be −∞ (not both). */
// @ts-ignore: decorator
@inline function logaddexp(u: f64, v: f64): f64 {
  return max(u, v) + Math.log1p(Math.exp(-Math.abs(u - v)));
}

/** Z = A·W + b from x afresh (no drift from the steps' updates), then each row's log-sum-exp and P. */
function refresh(a: usize, n: i32, p: i32, k: i32, pp: i32, fi: i32, x: usize, z: usize, pr: usize, lse: usize): void {
  for (let c = 0; c < k; c++) {
    const zc = z + ((<usize>c * n) << 3), wc = x + ((<usize>c * pp) << 3);
    const b = fi != 0 ? load<f64>(at(wc, p)) : 0;
    for (let i = 0; i < n; i++) store<f64>(at(zc, i), b);
    for (let j = 0; j < p; j++) {
      const wj = load<f64>(at(wc, j));
      if (wj != 0) colAxpy(wj, a, j, zc, n);
    }
  }
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = max(m, load<f64>(at(z, c * n + i)));
    let s: f64 = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(load<f64>(at(z, c * n + i)) - m);
      store<f64>(at(pr, c * n + i), e);
      s += e;
    }
    for (let c = 0; c < k; c++) store<f64>(at(pr, c * n + i), load<f64>(at(pr, c * n + i)) / s);
    store<f64>(at(lse, i), m + Math.log(s));
  }
}

/**
 * Class c's model at the current point: r = C·s·(p_c − y_c), D = C·s·p_c·(1 − p_c)
 * (with 1 − p_c summed from the other classes: exact when p_c ≈ 1; floored
 * above 0), q = 1 − p_c; g (its slice of the gradient, the ½·l2·‖w‖²
 * term's included) and h the model's diagonal. Returns the class's largest
 * optimality violation.
 */
function classModel(
  c: i32, a: usize, n: i32, p: i32, k: i32, pp: i32, fi: i32, y: usize, sw: usize, cc: f64, l1: f64, l2: f64,
  x: usize, pr: usize, r: usize, dd: usize, qq: usize, g: usize, h: usize,
): f64 {
  for (let i = 0; i < n; i++) {
    let q: f64 = 0;
    for (let l = 0; l < k; l++) if (l != c) q += load<f64>(at(pr, l * n + i));
    const pc = load<f64>(at(pr, c * n + i)), cs = cc * load<f64>(at(sw, i));
    const yc: f64 = <i32>load<f64>(at(y, i)) == c ? 1 : 0;
    store<f64>(at(r, i), cs * (pc - yc));
    store<f64>(at(dd, i), max(cs * pc * q, 1e-12 * cs));
    store<f64>(at(qq, i), q);
  }
  const wc = x + ((<usize>c * pp) << 3);
  let viol: f64 = 0;
  for (let j = 0; j < p; j++) {
    const wj = load<f64>(at(wc, j));
    const gj = colDot(a, j, r, n) + l2 * wj;
    store<f64>(at(g, j), gj);
    store<f64>(at(h, j), colDotSq(a, j, dd, n) + l2 + 1e-12);
    viol = max(viol, violation(wj, gj, l1));
  }
  if (fi != 0) {
    const gb = sum(r, n);
    store<f64>(at(g, p), gb);
    store<f64>(at(h, p), sum(dd, n) + 1e-12);
    viol = max(viol, Math.abs(gb));
  }
  return viol;
}

/** The largest optimality violation over every class at the current P (each class's gradient into g). */
function fullViolation(
  a: usize, n: i32, p: i32, k: i32, pp: i32, fi: i32, y: usize, sw: usize, cc: f64, l1: f64, l2: f64,
  x: usize, pr: usize, r: usize, dd: usize, qq: usize, g: usize, h: usize,
): f64 {
  let v: f64 = 0;
  for (let c = 0; c < k; c++) v = max(v, classModel(c, a, n, p, k, pp, fi, y, sw, cc, l1, l2, x, pr, r, dd, qq, g + ((<usize>c * pp) << 3), h));
  return v;
}

/** l1·Σ_k |w_k − c| + ½·l2·Σ_k (w_k − c)² over class k's entry j (stride pp). */
function shiftPenalty(x: usize, j: i32, k: i32, pp: i32, c: f64, l1: f64, l2: f64): f64 {
  let f: f64 = 0;
  for (let l = 0; l < k; l++) {
    const d = load<f64>(at(x, l * pp + j)) - c;
    f += l1 * Math.abs(d) + 0.5 * l2 * d * d;
  }
  return f;
}

/**
 * Every feature's coefficients shifted by the c minimising their penalty
 * (the loss does not depend on it): c among the breakpoints w_jk and, with
 * l2 > 0, the stationary point of each piece (m of the K entries below c:
 * c = (Σ w − l1·(2m − K)/l2)/K). Kept only when it lowers the penalty by more
 * than its rounding. Returns whether any moved.
 */
function centre(x: usize, p: i32, k: i32, pp: i32, l1: f64, l2: f64): bool {
  let moved = false;
  for (let j = 0; j < p; j++) {
    const f0 = shiftPenalty(x, j, k, pp, 0, l1, l2);
    if (f0 == 0) continue;
    let best: f64 = 0, fBest = f0, sw: f64 = 0;
    for (let l = 0; l < k; l++) {
      const c = load<f64>(at(x, l * pp + j));
      sw += c;
      const f = shiftPenalty(x, j, k, pp, c, l1, l2);
      if (f < fBest) { fBest = f; best = c; }
    }
    if (l2 > 0) {
      for (let m = 0; m <= k; m++) {
        const c = (sw - (l1 * <f64>(2 * m - k)) / l2) / <f64>k;
        const f = shiftPenalty(x, j, k, pp, c, l1, l2);
        if (f < fBest) { fBest = f; best = c; }
      }
    }
    if (best == 0 || !(fBest < f0 - 1e-12 * f0)) continue;
    for (let l = 0; l < k; l++) store<f64>(at(x, l * pp + j), load<f64>(at(x, l * pp + j)) - best);
    moved = true;
  }
  return moved;
}

/**
 * On entry x holds zeros, or a warm start (warm ≠ 0). Stops when the largest
 * optimality violation, over every coefficient and intercept, recomputed from
 * x (Z = A·W + b afresh) is ≤ tol × that at x = 0 (whatever the start); when a whole cycle's line searches find no step
 * that lowers the objective in floating point (breakdown); or after maxIter
 * cycles over the classes.
 */
export function multinomial_l1_f64(
  a: usize, colptr: usize, rows: usize, n: i32, p: i32, k: i32, y: usize, sw: usize, x: usize, fitIntercept: i32, c: f64, l1: f64, l2: f64,
  warm: i32, maxIter: i32, tol: f64, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  if (tid != 0) return;
  useColumns(colptr, rows);
  const fi = fitIntercept != 0 ? 1 : 0, pp = p + fi;
  const z = work + workOffset(W_Z, n, p, k), pr = work + workOffset(W_P, n, p, k);
  const lse = work + workOffset(W_LSE, n, p, k), r = work + workOffset(W_R, n, p, k);
  const dd = work + workOffset(W_DD, n, p, k), qq = work + workOffset(W_Q, n, p, k);
  const xd = work + workOffset(W_XD, n, p, k), dxd = work + workOffset(W_DXD, n, p, k);
  const delta = work + workOffset(W_DELTA, n, p, k), g = work + workOffset(W_G, n, p, k);
  const h = work + workOffset(W_H, n, p, k), dir = work + workOffset(W_DIR, n, p, k);
  const active = work + workOffset(W_ACTIVE, n, p, k);

  const m = k * pp;
  let first: f64 = 0;
  if (warm != 0) {
    // The criterion's scale is the violation at 0: x set aside meanwhile.
    const x0 = work + workOffset(W_X0, n, p, k);
    memory.copy(x0, x, <usize>m << 3);
    memory.fill(x, 0, <usize>m << 3);
    refresh(a, n, p, k, pp, fi, x, z, pr, lse);
    first = fullViolation(a, n, p, k, pp, fi, y, sw, c, l1, l2, x, pr, r, dd, qq, g, h);
    memory.copy(x, x0, <usize>m << 3);
  }
  refresh(a, n, p, k, pp, fi, x, z, pr, lse);
  let viol = fullViolation(a, n, p, k, pp, fi, y, sw, c, l1, l2, x, pr, r, dd, qq, g, h), fresh = true;
  if (warm == 0) first = viol;
  let iter = 0, reason = MAX_ITERATIONS;
  reportProgress(team, 0, viol);
  if (viol <= tol * first) reason = CONVERGED;
  while (reason != CONVERGED) {
    if (iter >= maxIter) break;
    if (aborted(team)) { reason = ABORTED; break; }
    iter++;
    fresh = false;
    let cycleViol: f64 = 0, tried = 0, accepted = 0;
    let stop = false;
    for (let cl = 0; cl < k && !stop; cl++) {
      const gc = g + ((<usize>cl * pp) << 3), wc = x + ((<usize>cl * pp) << 3), zc = z + ((<usize>cl * n) << 3), pc0 = pr + ((<usize>cl * n) << 3);
      const v = classModel(cl, a, n, p, k, pp, fi, y, sw, c, l1, l2, x, pr, r, dd, qq, gc, h);
      cycleViol = max(cycleViol, v);
      // A class already within the criterion sits this cycle out.
      if (v <= tol * first) continue;
      tried++;
      let nActive = 0;
      for (let j = 0; j < pp; j++) {
        if (j == p || l1 == 0 || load<f64>(at(wc, j)) != 0 || Math.abs(load<f64>(at(gc, j))) > (1 - SHRINK_MARGIN) * l1) {
          store<i32>(active + (<usize>(nActive++) << 2), j);
        }
      }

      // Coordinate descent on g·d + ½dᵀ(AᵀDA + l2·I)d + l1·‖w + d‖₁ over the active coordinates; A·d in xd, D·A·d in dxd.
      for (let i = 0; i < n; i++) { store<f64>(at(xd, i), 0); store<f64>(at(dxd, i), 0); }
      for (let t = 0; t < nActive; t++) store<f64>(at(dir, load<i32>(active + (<usize>t << 2))), 0);
      for (let pass = 0; pass < INNER_PASSES; pass++) {
        if (aborted(team)) { stop = true; break; }
        let inner: f64 = 0;
        for (let t = 0; t < nActive; t++) {
          const j = load<i32>(active + (<usize>t << 2));
          const dj = load<f64>(at(dir, j)), H = load<f64>(at(h, j));
          let step: f64;
          if (j == p) {
            const G = load<f64>(at(gc, j)) + sum(dxd, n);
            step = -G / H;
            inner = max(inner, Math.abs(G));
          } else {
            const G = load<f64>(at(gc, j)) + colDot(a, j, dxd, n) + l2 * dj, wd = load<f64>(at(wc, j)) + dj;
            step = l1Step(wd, G, H, l1);
            inner = max(inner, violation(wd, G, l1));
          }
          if (step == 0) continue;
          store<f64>(at(dir, j), dj + step);
          colModelStep(step, a, j, p, dd, xd, dxd, n);
        }
        if (inner <= INNER_FRACTION * v) break;
      }
      if (stop) break;

      // Backtracking on the true objective along d; the model's decrease at
      // the full step: g·d + l1·(‖w + d‖₁ − ‖w‖₁) (< 0).
      let decrease: f64 = 0;
      for (let t = 0; t < nActive; t++) {
        const j = load<i32>(active + (<usize>t << 2));
        const wj = load<f64>(at(wc, j)), dj = load<f64>(at(dir, j));
        decrease += load<f64>(at(gc, j)) * dj;
        if (j != p) decrease += l1 * absChange(wj, dj);
      }
      let lambda: f64 = 1, ok = false;
      for (let t = 0; t < MAX_HALVINGS && decrease < 0; t++) {
        // The loss's change: Σ s_i·(Δlse_i − λ·[y_i = k]·(A·d)_i).
        let dLoss: f64 = 0;
        for (let i = 0; i < n; i++) {
          const xdi = load<f64>(at(xd, i)), t = lambda * xdi;
          const q = load<f64>(at(qq, i)), pc = load<f64>(at(pc0, i)), s = q + pc;
          const d = Math.abs(t) <= 1 ? Math.log1p((pc / s) * Math.expm1(t)) : logaddexp(Math.log(q), Math.log(pc) + t) - Math.log(s);
          store<f64>(at(delta, i), d);
          const own: f64 = <i32>load<f64>(at(y, i)) == cl ? lambda * xdi : 0;
          dLoss += load<f64>(at(sw, i)) * (d - own);
        }
        let dPen: f64 = 0;
        for (let u = 0; u < nActive; u++) {
          const j = load<i32>(active + (<usize>u << 2));
          if (j == p) continue;
          const wj = load<f64>(at(wc, j)), dj = lambda * load<f64>(at(dir, j));
          dPen += l1 * absChange(wj, dj) + l2 * dj * (wj + 0.5 * dj);
        }
        if (c * dLoss + dPen <= SIGMA * lambda * decrease) { ok = true; break; }
        lambda *= 0.5;
      }
      if (!ok) continue;
      accepted++;
      for (let t = 0; t < nActive; t++) {
        const j = load<i32>(active + (<usize>t << 2));
        store<f64>(at(wc, j), load<f64>(at(wc, j)) + lambda * load<f64>(at(dir, j)));
      }
      axpy(lambda, xd, zc, n);
      // Only class cl's scores moved: the other classes' probabilities scale by e^(−Δlse).
      for (let i = 0; i < n; i++) {
        const d = load<f64>(at(delta, i)), li = load<f64>(at(lse, i)) + d;
        store<f64>(at(lse, i), li);
        const f = Math.exp(-d);
        for (let l = 0; l < k; l++) if (l != cl) store<f64>(at(pr, l * n + i), load<f64>(at(pr, l * n + i)) * f);
        store<f64>(at(pr, cl * n + i), Math.exp(load<f64>(at(zc, i)) - li));
      }
    }
    if (!stop) centre(x, p, k, pp, l1, l2);
    // Z afresh from x: the steps' updates (and the centring) leave no drift past a cycle.
    refresh(a, n, p, k, pp, fi, x, z, pr, lse);
    if (stop) { reason = ABORTED; break; }
    reportProgress(team, iter, cycleViol);
    if (cycleViol <= tol * first) {
      // The criterion at x itself: every class's gradient there.
      viol = fullViolation(a, n, p, k, pp, fi, y, sw, c, l1, l2, x, pr, r, dd, qq, g, h);
      fresh = true;
      if (viol <= tol * first) { reason = CONVERGED; break; }
    } else if (tried > 0 && accepted == 0) { reason = BREAKDOWN; break; }
  }
  // The returned point's violation and loss (Z is afresh here).
  if (!fresh) {
    viol = fullViolation(a, n, p, k, pp, fi, y, sw, c, l1, l2, x, pr, r, dd, qq, g, h);
    if (reason != ABORTED && viol <= tol * first) reason = CONVERGED;
  }
  let loss: f64 = 0;
  for (let i = 0; i < n; i++) {
    const yi = <i32>load<f64>(at(y, i));
    loss += load<f64>(at(sw, i)) * (load<f64>(at(lse, i)) - load<f64>(at(z, yi * n + i)));
  }
  let pen: f64 = 0;
  for (let cl = 0; cl < k; cl++) {
    for (let j = 0; j < p; j++) {
      const wj = load<f64>(at(x, cl * pp + j));
      pen += l1 * Math.abs(wj) + 0.5 * l2 * wj * wj;
    }
  }
  store<f64>(at(out, MultinomialL1F64Out.iterations), <f64>iter);
  store<f64>(at(out, MultinomialL1F64Out.reason), <f64>reason);
  store<f64>(at(out, MultinomialL1F64Out.violation), viol);
  store<f64>(at(out, MultinomialL1F64Out.objective), pen + c * loss);
  store<f64>(at(out, MultinomialL1F64Out.loss), loss);
}
