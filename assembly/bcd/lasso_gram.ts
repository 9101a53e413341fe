// Lasso / elastic net by cyclic coordinate descent on the Gram matrix
// G = ÃᵀÃ (p×p) and q = Ãᵀb instead of Ã (scikit-learn's
// enet_coordinate_descent_gram): for n ≫ p a step costs O(p), not O(n).
// The same objective, update and stopping rule as lasso_cd_f64:
//   ½‖b − Ã·x‖² + l1·‖x‖₁ + ½·l2·‖x‖²,
// with H = G·x kept up to date: ã_jᵀr = q_j − H_j, ‖r‖² = bᵀb − 2xᵀq + xᵀH.
//
// When a sweep leaves the support and signs of x as they were and the gap is
// still too large, one Newton step on that sign pattern is tried: on the
// support S with signs σ the optimum solves (G_SS + l2·I)·x_S = q_S − l1·σ
// (a Cholesky solve); the step is kept only if its signs agree and its
// recomputed duality gap is smaller, so the stopping rule is untouched (when
// signs move, once more without the columns whose signs did). Along
// a path of an ill-conditioned design this replaces most sweeps.
//
// With `screen`, each gap check also applies the gap-safe rule (screenAt).
//
// One thread: a step is one axpy of length p.
import { aborted, reportProgress } from "../core/team";
import { at, padded } from "../core/memory";
import { enetGap, safeRadius, safeToDrop } from "./lasso";
import { dotContiguous, subtractScaled } from "../blas/level1";
import { ABORTED, CONVERGED, LassoGramF64Out, MAX_ITERATIONS } from "../generated/layouts";

/** Largest support the Newton step is tried on (its factor: NEWTON_MAX² f64). */
const NEWTON_MAX: i32 = 512;

// The workspace: H, then for the Newton step x and H saved, S, the right-hand side (p each), the factor.
const WORK_H: usize = 0, WORK_XSAVE: usize = 1, WORK_HSAVE: usize = 2, WORK_SUPPORT: usize = 3, WORK_RHS: usize = 4, WORK_FACTOR: usize = 5;

/** Bytes of lasso_gram_f64's workspace. */
export function lassoGramWorkspace(p: i32): usize {
  const k = <usize>min(p, NEWTON_MAX);
  return WORK_FACTOR * padded(<usize>p << 3) + padded((k * k) << 3) + padded(<usize>p);
}

/** The screened flags (p bytes), after the factor. */
function screenedFlags(work: usize, p: i32): usize {
  const k = <usize>min(p, NEWTON_MAX);
  return work + WORK_FACTOR * padded(<usize>p << 3) + padded((k * k) << 3);
}

/** Stats per fit in lasso_gram_f64's `stats` (count × GRAM_STATS f64). */
const STAT_ITERATIONS = 0, STAT_REASON = 1, STAT_GAP = 2, STAT_RR = 3;
const GRAM_STATS = 4;

/**
 * Fits for each of `count` penalties (l1s[k], l2s[k]) in turn, each starting
 * from the previous answer (a path in one launch). g: G column-major with its
 * lower triangle filled (the upper is written from it when `mirror`). On entry
 * x holds x0; fit k's answer is copied to xs[k·p ..], its iterations, reason,
 * gap (objective units, × n) and rr = ‖b − Ã·x‖² to stats[4k ..], its gap
 * after each checked sweep (else NaN) to history[k·historyCap ..]. out: the
 * fits completed.
 */
export function lasso_gram_f64(
  g: usize, mirror: bool, q: usize, bb: f64, p: i32, x: usize,
  l1s: usize, l2s: usize, count: i32, positive: bool, screen: bool, maxIter: i32, tol: f64, stepTol: f64,
  xs: usize, stats: usize, history: usize, historyCap: i32, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  if (tid != 0) return;
  const ld = <usize>p << 3, h = work + WORK_H * padded(ld);
  if (mirror) {
    for (let j = 1; j < p; j++) for (let i = 0; i < j; i++) store<f64>(g + <usize>j * ld + (<usize>i << 3), load<f64>(g + <usize>i * ld + (<usize>j << 3)));
  }
  for (let i = 0; i < p; i++) store<f64>(at(h, i), 0);
  for (let j = 0; j < p; j++) {
    const xj = load<f64>(at(x, j));
    if (xj != 0) subtractScaled(h, g + <usize>j * ld, -xj, p);
  }
  let done = 0, sweeps = 0;
  for (let k = 0; k < count; k++) {
    const st = at(stats, k * GRAM_STATS);
    const reason = fit(g, q, bb, p, x, work, load<f64>(at(l1s, k)), load<f64>(at(l2s, k)), positive, screen, maxIter, tol, stepTol,
      at(history, k * historyCap), historyCap, st, team, sweeps);
    sweeps += <i32>load<f64>(at(st, STAT_ITERATIONS));
    memory.copy(at(xs, k * p), x, ld);
    if (reason == ABORTED) break;
    done++;
  }
  store<f64>(at(out, LassoGramF64Out.fits), <f64>done);
}

/** The duality gap at x (H = G·x); ‖r‖² to st[STAT_RR]. */
function gapAt(q: usize, h: usize, x: usize, bb: f64, p: i32, lambdaN: f64, l2N: f64, positive: bool, st: usize): f64 {
  let dualNorm: f64 = 0, l1: f64 = 0, w2: f64 = 0;
  for (let j = 0; j < p; j++) {
    const xj = load<f64>(at(x, j));
    const gj = load<f64>(at(q, j)) - load<f64>(at(h, j)) - l2N * xj;
    dualNorm = max(dualNorm, positive ? gj : Math.abs(gj));
    l1 += Math.abs(xj);
    w2 += xj * xj;
  }
  const xq = dotContiguous(x, q, p);
  const rr = max(0, bb - 2 * xq + dotContiguous(x, h, p));
  store<f64>(at(st, STAT_RR), rr);
  return enetGap(rr, bb - xq, dualNorm, lambdaN, l1, l2N, w2);
}

/**
 * The gap-safe rule (safeToDrop) at x: newly safe columns flagged, those
 * still nonzero set to 0 (H updated); returns how many were flagged. Every
 * ã_jᵀr is read before any x_j moves.
 */
function screenAt(g: usize, q: usize, h: usize, x: usize, p: i32, lambdaN: f64, l2N: f64, positive: bool, gap: f64, screened: usize): i32 {
  const ld = <usize>p << 3;
  let dualNorm: f64 = 0;
  for (let j = 0; j < p; j++) {
    const gj = load<f64>(at(q, j)) - load<f64>(at(h, j)) - l2N * load<f64>(at(x, j));
    dualNorm = max(dualNorm, positive ? gj : Math.abs(gj));
  }
  const scale = max(lambdaN, dualNorm), radius = safeRadius(gap, lambdaN);
  let flagged = 0;
  for (let j = 0; j < p; j++) {
    if (load<u8>(screened + <usize>j) != 0) continue;
    const xj = load<f64>(at(x, j)), gj = load<f64>(at(q, j)) - load<f64>(at(h, j)) - l2N * xj;
    if (!safeToDrop(gj, scale, radius, load<f64>(at(g + <usize>j * ld, j)) + l2N, positive)) continue;
    // 2: to be zeroed once every column has been judged at this x.
    store<u8>(screened + <usize>j, xj != 0 ? 2 : 1);
    flagged++;
  }
  for (let j = 0; j < p; j++) {
    if (load<u8>(screened + <usize>j) != 2) continue;
    subtractScaled(h, g + <usize>j * ld, load<f64>(at(x, j)), p);
    store<f64>(at(x, j), 0);
    store<u8>(screened + <usize>j, 1);
  }
  return flagged;
}

// solvePattern's outcomes.
const SOLVED = 0, NOT_DEFINITE = 1, SIGNS_MOVED = 2;

/**
 * z_S = (G_SS + l2·I)⁻¹(q_S − l1·σ_S) into rhs (σ: x's signs on the k
 * columns listed in `support`), by a Cholesky factor L in `factor`.
 * SIGNS_MOVED when some z_a's sign (or NaN) disagrees with x's.
 */
function solvePattern(g: usize, q: usize, p: i32, x: usize, support: usize, k: i32, rhs: usize, factor: usize, lambdaN: f64, l2N: f64): i32 {
  const ld = <usize>p << 3;
  // L·Lᵀ = G_SS + l2·I, L row-major (row a: k f64), so each inner sum is contiguous.
  for (let a = 0; a < k; a++) {
    const ja = load<i32>(support + (<usize>a << 2)), la = factor + ((<usize>a * k) << 3), ca = g + <usize>ja * ld;
    for (let b = 0; b <= a; b++) {
      const jb = load<i32>(support + (<usize>b << 2)), lb = factor + ((<usize>b * k) << 3);
      const v = load<f64>(at(ca, jb)) + (a == b ? l2N : 0) - dotContiguous(la, lb, b);
      if (a == b) {
        if (!(v > 1e-13 * (load<f64>(at(ca, ja)) + l2N))) return NOT_DEFINITE;
        store<f64>(at(la, a), Math.sqrt(v));
      } else {
        store<f64>(at(la, b), v / load<f64>(at(lb, b)));
      }
    }
    store<f64>(at(rhs, a), load<f64>(at(q, ja)) - lambdaN * (load<f64>(at(x, ja)) > 0 ? 1 : -1));
  }
  // Forward then backward substitution, in rhs.
  for (let a = 0; a < k; a++) {
    const la = factor + ((<usize>a * k) << 3);
    store<f64>(at(rhs, a), (load<f64>(at(rhs, a)) - dotContiguous(la, rhs, a)) / load<f64>(at(la, a)));
  }
  let outcome = SOLVED;
  for (let a = k - 1; a >= 0; a--) {
    let v = load<f64>(at(rhs, a));
    for (let b = a + 1; b < k; b++) v -= load<f64>(at(factor + ((<usize>b * k) << 3), a)) * load<f64>(at(rhs, b));
    v /= load<f64>(at(factor + ((<usize>a * k) << 3), a));
    store<f64>(at(rhs, a), v);
    if (!(v * load<f64>(at(x, load<i32>(support + (<usize>a << 2)))) > 0)) outcome = SIGNS_MOVED;
  }
  return outcome;
}

/**
 * The Newton step on x's sign pattern (see the top): x and H replaced and
 * the new gap returned if it is below `gap`; else both left as they were
 * and `gap` returned. When some signs move, the step is tried once more on
 * the columns whose signs held (a variable CD is still walking to 0).
 */
function newton(g: usize, q: usize, bb: f64, p: i32, x: usize, work: usize, lambdaN: f64, l2N: f64, positive: bool, gap: f64, st: usize): f64 {
  const ld = <usize>p << 3, line = padded(ld);
  const h = work + WORK_H * line, xSave = work + WORK_XSAVE * line, hSave = work + WORK_HSAVE * line;
  const support = work + WORK_SUPPORT * line, rhs = work + WORK_RHS * line, factor = work + WORK_FACTOR * line;
  let k = 0;
  for (let j = 0; j < p; j++) {
    if (load<f64>(at(x, j)) == 0) continue;
    store<i32>(support + (<usize>k << 2), j);
    k++;
  }
  if (k == 0 || k > NEWTON_MAX) return gap;
  let outcome = solvePattern(g, q, p, x, support, k, rhs, factor, lambdaN, l2N);
  if (outcome == SIGNS_MOVED) {
    let kept = 0;
    for (let a = 0; a < k; a++) {
      const j = load<i32>(support + (<usize>a << 2));
      if (!(load<f64>(at(rhs, a)) * load<f64>(at(x, j)) > 0)) continue;
      store<i32>(support + (<usize>kept << 2), j);
      kept++;
    }
    if (kept == 0) return gap;
    k = kept;
    outcome = solvePattern(g, q, p, x, support, k, rhs, factor, lambdaN, l2N);
  }
  if (outcome != SOLVED) return gap;
  memory.copy(xSave, x, ld);
  memory.copy(hSave, h, ld);
  // Every nonzero to 0, then the support to z.
  for (let j = 0; j < p; j++) {
    const xj = load<f64>(at(x, j));
    if (xj == 0) continue;
    subtractScaled(h, g + <usize>j * ld, xj, p);
    store<f64>(at(x, j), 0);
  }
  for (let a = 0; a < k; a++) {
    const j = load<i32>(support + (<usize>a << 2)), z = load<f64>(at(rhs, a));
    subtractScaled(h, g + <usize>j * ld, -z, p);
    store<f64>(at(x, j), z);
  }
  const rrBefore = load<f64>(at(st, STAT_RR));
  const next = gapAt(q, h, x, bb, p, lambdaN, l2N, positive, st);
  if (next < gap) return next;
  memory.copy(x, xSave, ld);
  memory.copy(h, hSave, ld);
  store<f64>(at(st, STAT_RR), rrBefore);
  return gap;
}

/** One fit (see lasso_gram_f64), H = G·x kept; returns its reason. */
function fit(
  g: usize, q: usize, bb: f64, p: i32, x: usize, work: usize, lambdaN: f64, l2N: f64, positive: bool, screen: bool,
  maxIter: i32, tol: f64, stepTol: f64, history: usize, historyCap: i32, st: usize, team: usize, sweepsBefore: i32,
): i32 {
  const ld = <usize>p << 3, h = work + WORK_H * padded(ld), screened = screenedFlags(work, p);
  memory.fill(screened, 0, <usize>p);
  let nScreened = 0;
  let reason = MAX_ITERATIONS;
  let iter = 0;
  let gap: f64 = Infinity;
  store<f64>(at(st, STAT_RR), bb);
  while (iter < maxIter) {
    iter++;
    if (aborted(team)) { reason = ABORTED; break; }
    let stepMax: f64 = 0, xMax: f64 = 0, patternMoved = false, nonzero = 0;
    for (let j = 0; j < p; j++) {
      const col = g + <usize>j * ld;
      const nj = load<f64>(at(col, j));
      if (nj == 0 || load<u8>(screened + <usize>j) != 0) continue;
      const old = load<f64>(at(x, j));
      const t = load<f64>(at(q, j)) - load<f64>(at(h, j)) + old * nj;
      const mag = Math.abs(t) - lambdaN;
      const next = mag > 0 && (!positive || t > 0) ? (t > 0 ? mag : -mag) / (nj + l2N) : 0.0;
      const d = next - old;
      if (d != 0) {
        subtractScaled(h, col, -d, p);
        store<f64>(at(x, j), next);
        if (!(old * next > 0)) patternMoved = true;
      }
      stepMax = max(stepMax, Math.abs(d));
      xMax = max(xMax, Math.abs(next));
      if (next != 0) nonzero++;
    }
    if (iter <= historyCap) store<f64>(at(history, iter - 1), NaN);
    // Past scikit-learn's checks, a settled sign pattern whose Newton step costs
    // a few sweeps (k³/3 against k·p) is worth a gap (O(p) here) and a try.
    const settled = !patternMoved && nonzero > 0 && <i64>nonzero * nonzero <= <i64>4 * p;
    if (xMax == 0 || stepMax / xMax < stepTol || iter == maxIter || settled) {
      // Duality gap as in lasso_cd_f64, from G, q and H.
      gap = gapAt(q, h, x, bb, p, lambdaN, l2N, positive, st);
      if (gap > tol && !patternMoved) gap = newton(g, q, bb, p, x, work, lambdaN, l2N, positive, gap, st);
      if (iter <= historyCap) store<f64>(at(history, iter - 1), gap);
      reportProgress(team, sweepsBefore + iter, gap);
      if (gap <= tol) { reason = CONVERGED; break; }
      if (screen && lambdaN > 0 && nScreened < p && iter < maxIter) nScreened += screenAt(g, q, h, x, p, lambdaN, l2N, positive, gap, screened);
    } else {
      reportProgress(team, sweepsBefore + iter, NaN);
    }
  }
  if (reason == ABORTED) store<f64>(at(st, STAT_RR), max(0, bb - 2 * dotContiguous(x, q, p) + dotContiguous(x, h, p)));
  store<f64>(at(st, STAT_ITERATIONS), <f64>iter);
  store<f64>(at(st, STAT_REASON), <f64>reason);
  store<f64>(at(st, STAT_GAP), gap);
  return reason;
}
