// nl.bcd's greedy working sets for the lasso (celer: Massias, Gramfort &
// Salmon 2018; skglm: Bertrand et al. 2022), over a design held by columns
// (CSC), in objective units × n:
//   ½‖b − A·x‖² + λn·‖x‖₁
// Outer step: r = b − A·x afresh from x, Aᵀr over the columns not screened
// out (gap-safe, see lasso_ws_f64), the duality gap at scikit-learn's dual
// point (enetGap); stop when it is ≤ tol over every column. Else a
// working set W: every nonzero of x and the zeros with the best greedy score
// (c·|a_jᵀr| − λn)/w_j, c the dual scaling, w_j = ‖a_j‖ for GSL/GSD (minus
// the distance of a_j's constraint to the gap-safe sphere's centre) and 1 for
// GS; |W| = max(p0, GROW·|support|, the last |W|), doubled when the gap did
// not fall. Inner steps: cyclic coordinate sweeps over W on the residual, each
// a column's nonzeros, with Anderson extrapolation of the last K+1 sweeps
// (kept only when it lowers the objective), until W's own gap ≤ INNER × the
// outer gap. Only W's columns are touched between outer steps.
//
// One thread: sweeps are sequential, and a column's nonzeros are too few to
// share. The returned x's gap, objective and violation are those of the last
// outer step, computed from x itself over every column.
import { aborted, reportProgress } from "../core/team";
import { at, padded } from "../core/memory";
import { ati } from "./order";
import { enetGap } from "./lasso";
import { ABORTED, CONVERGED, LassoWsF64Out, MAX_ITERATIONS } from "../generated/layouts";

/** Sweeps per Anderson extrapolation, less one (celer's K). */
const K = 5;
/** W's gap target: this share of the outer gap (celer's tol_in / gap). */
const INNER: f64 = 0.3;
/** The smallest working set (celer's p0). */
const P0 = 100;
/**
 * The working set's size over the support's (celer and skglm take 2): on
 * dataset A at 0.01·λmax, 1.5 took 0.44–0.49M coordinate steps against
 * 0.50–0.60M, for 3–4 more outer steps (bench/results/bcd-notes.md).
 */
const GROW: f64 = 1.5;

// The workspace, each region padded to 64 bytes: A by columns (colptr p+1
// i32, rows nnz i32, vals nnz f64), ‖a_j‖² (p), Aᵀr (p), the scores (p),
// quickselect's scratch (p), the extrapolated x_W (p), W (p i32), the
// unscreened columns (p i32), the last K+1 sweeps' x_W ((K+1)·p), r and the
// extrapolation's residual (n each), C and z (K² + K), one f64 (the violation).
/** Bytes of lasso_ws_f64's workspace, in f64 so that no size wraps before the host checks it. */
export function lassoWsWorkspace(n: i32, p: i32, nnz: i32): f64 {
  const P = line(8 * <f64>p), N = line(8 * <f64>n), I = line(4 * <f64>p);
  const csc = line(4 * (<f64>p + 1)) + line(4 * <f64>nnz) + line(8 * <f64>nnz);
  return csc + 5 * P + 2 * I + <f64>(K + 1) * P + 2 * N + line(8 * <f64>(K * K + K + 1));
}

/** bytes rounded up to a 64-byte line (padded's twin for sizes). */
function line(bytes: f64): f64 {
  return Math.ceil(bytes / 64) * 64;
}

/** A's columns from its rows (CSR): a counting sort, rows ascending within each column. */
function columnsOf(rowPtr: usize, rowIdx: usize, rowVal: usize, n: i32, p: i32, colptr: usize, rows: usize, vals: usize, next: usize): void {
  for (let j = 0; j <= p; j++) store<i32>(ati(colptr, j), 0);
  const nnz = load<i32>(ati(rowPtr, n));
  for (let k = 0; k < nnz; k++) { const o = ati(colptr, load<i32>(ati(rowIdx, k)) + 1); store<i32>(o, load<i32>(o) + 1); }
  for (let j = 0; j < p; j++) {
    store<i32>(ati(colptr, j + 1), load<i32>(ati(colptr, j + 1)) + load<i32>(ati(colptr, j)));
    store<i32>(ati(next, j), load<i32>(ati(colptr, j)));
  }
  for (let i = 0; i < n; i++) {
    const e = load<i32>(ati(rowPtr, i + 1));
    for (let k = load<i32>(ati(rowPtr, i)); k < e; k++) {
      const o = ati(next, load<i32>(ati(rowIdx, k))), d = load<i32>(o);
      store<i32>(o, d + 1);
      store<i32>(ati(rows, d), i);
      store<f64>(at(vals, d), load<f64>(at(rowVal, k)));
    }
  }
}

/** Σ vals[k]·v[rows[k]] over column j's nonzeros. */
// @ts-ignore: decorator
@inline function colDot(colptr: usize, rows: usize, vals: usize, j: i32, v: usize): f64 {
  const e = load<i32>(ati(colptr, j + 1));
  let s: f64 = 0;
  for (let k = load<i32>(ati(colptr, j)); k < e; k++) s += load<f64>(at(vals, k)) * load<f64>(at(v, load<i32>(ati(rows, k))));
  return s;
}

/** v −= d·a_j. */
// @ts-ignore: decorator
@inline function colAxpy(colptr: usize, rows: usize, vals: usize, j: i32, d: f64, v: usize): void {
  const e = load<i32>(ati(colptr, j + 1));
  for (let k = load<i32>(ati(colptr, j)); k < e; k++) {
    const o = at(v, load<i32>(ati(rows, k)));
    store<f64>(o, load<f64>(o) - d * load<f64>(at(vals, k)));
  }
}

/** r = b − Σ_q xs[q]·a_{W[q]} over the w listed columns (x is 0 off W), in list order. */
function residualOf(colptr: usize, rows: usize, vals: usize, b: usize, list: usize, xs: usize, w: i32, n: i32, r: usize): void {
  memory.copy(r, b, <usize>n << 3);
  for (let q = 0; q < w; q++) {
    const v = load<f64>(at(xs, q));
    if (v != 0) colAxpy(colptr, rows, vals, load<i32>(ati(list, q)), v, r);
  }
}

/** The k-th smallest (0-based) of v[0..len), v reordered (Hoare's quickselect, median of three: deterministic). */
function selectKth(v: usize, len: i32, k: i32): f64 {
  let lo = 0, hi = len - 1;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    let a = load<f64>(at(v, lo)), b = load<f64>(at(v, mid)), c = load<f64>(at(v, hi));
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    let i = lo, j = hi;
    while (i <= j) {
      while (load<f64>(at(v, i)) < pivot) i++;
      while (load<f64>(at(v, j)) > pivot) j--;
      if (i <= j) {
        const t = load<f64>(at(v, i));
        store<f64>(at(v, i), load<f64>(at(v, j)));
        store<f64>(at(v, j), t);
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return load<f64>(at(v, k));
  }
  return load<f64>(at(v, k));
}

/** Solves the K×K system C·z = 1 by Gaussian elimination with partial pivoting (C overwritten); false if singular or not finite. */
function solveOnes(C: usize, z: usize): bool {
  for (let i = 0; i < K; i++) store<f64>(at(z, i), 1);
  for (let c = 0; c < K; c++) {
    let piv = c;
    for (let i = c + 1; i < K; i++) if (Math.abs(load<f64>(at(C, i * K + c))) > Math.abs(load<f64>(at(C, piv * K + c)))) piv = i;
    const d = load<f64>(at(C, piv * K + c));
    if (!(Math.abs(d) > 0) || !isFinite(d)) return false;
    if (piv != c) {
      for (let q = 0; q < K; q++) {
        const t = load<f64>(at(C, c * K + q));
        store<f64>(at(C, c * K + q), load<f64>(at(C, piv * K + q)));
        store<f64>(at(C, piv * K + q), t);
      }
      const t = load<f64>(at(z, c));
      store<f64>(at(z, c), load<f64>(at(z, piv)));
      store<f64>(at(z, piv), t);
    }
    for (let i = c + 1; i < K; i++) {
      const f = load<f64>(at(C, i * K + c)) / d;
      for (let q = c; q < K; q++) store<f64>(at(C, i * K + q), load<f64>(at(C, i * K + q)) - f * load<f64>(at(C, c * K + q)));
      store<f64>(at(z, i), load<f64>(at(z, i)) - f * load<f64>(at(z, c)));
    }
  }
  for (let i = K - 1; i >= 0; i--) {
    let s = load<f64>(at(z, i));
    for (let q = i + 1; q < K; q++) s -= load<f64>(at(C, i * K + q)) * load<f64>(at(z, q));
    s /= load<f64>(at(C, i * K + i));
    if (!isFinite(s)) return false;
    store<f64>(at(z, i), s);
  }
  return true;
}

/** ½‖r‖² + λn·Σ|xs[q]| over the w listed coordinates (x is 0 off W). */
function objectiveOf(r: usize, n: i32, xs: usize, w: i32, lambdaN: f64): f64 {
  let rr: f64 = 0, l1: f64 = 0;
  for (let i = 0; i < n; i++) { const v = load<f64>(at(r, i)); rr += v * v; }
  for (let q = 0; q < w; q++) l1 += Math.abs(load<f64>(at(xs, q)));
  return 0.5 * rr + lambdaN * l1;
}

/** Aᵀr over the listed columns (cols, len of them) into grad; returns their largest |a_jᵀr|, their largest optimality violation into *vmax. */
function gradientOver(colptr: usize, rows: usize, vals: usize, cols: usize, len: i32, r: usize, x: usize, lambdaN: f64, grad: usize, vmaxAt: usize): f64 {
  let dual: f64 = 0, vmax: f64 = 0;
  for (let q = 0; q < len; q++) {
    const j = load<i32>(ati(cols, q)), g = colDot(colptr, rows, vals, j, r);
    store<f64>(at(grad, j), g);
    dual = max(dual, Math.abs(g));
    // The violation (min-norm subgradient) ×n: the loss's gradient is −g/n.
    const xj = load<f64>(at(x, j));
    vmax = max(vmax, xj > 0 ? Math.abs(g - lambdaN) : xj < 0 ? Math.abs(g + lambdaN) : max(Math.abs(g) - lambdaN, 0));
  }
  store<f64>(vmaxAt, vmax);
  return dual;
}

/**
 * On entry x holds x0; on exit the fit. A comes by rows (CSR) and is laid
 * out by columns in the workspace. tol: the gap bound in objective units ×
 * n; maxIter: coordinate steps (a sweep over W counts |W|). normalize:
 * GSL/GSD's score (÷ ‖a_j‖), else GS's. history (historyCap f64): each outer
 * step's gap ÷ n. out's gap, objective and violation are ÷ n (nl.bcd's
 * objective units), always those of the returned x over every column.
 *
 * Gap-safe screening (Fercoq, Gramfort & Salmon 2015): a zero whose score
 * (c·|a_jᵀr| − λn)/‖a_j‖ is below −√(2·gap) is zero at the optimum, and
 * leaves the outer steps; their gap is then the unscreened problem's (whose
 * optimum is the same), and a gap within tol is confirmed over every column
 * before it is reported.
 */
export function lasso_ws_f64(
  rowPtr: usize, rowIdx: usize, rowVal: usize, n: i32, p: i32, nnz: i32, b: usize, x: usize,
  lambdaN: f64, tol: f64, maxIter: f64, normalize: bool,
  history: usize, historyCap: i32, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  if (tid != 0) return;
  const P = padded(<usize>p << 3), N = padded(<usize>n << 3), I = padded(<usize>p << 2);
  const colptr = work, rows = colptr + padded(<usize>(p + 1) << 2), vals = rows + padded(<usize>nnz << 2);
  const colSq = vals + padded(<usize>nnz << 3), grad = colSq + P, score = grad + P, sel = score + P, xa = sel + P;
  const list = xa + P, alive = list + I, last = alive + I;
  const r = last + <usize>(K + 1) * P, ra = r + N, C = ra + N, z = C + ((<usize>K * K) << 3);
  columnsOf(rowPtr, rowIdx, rowVal, n, p, colptr, rows, vals, list);
  // Every column with a nonzero takes part; an all-zero column's coordinate is 0 at the optimum.
  let live = 0;
  for (let j = 0; j < p; j++) {
    const e = load<i32>(ati(colptr, j + 1));
    let s: f64 = 0;
    for (let k = load<i32>(ati(colptr, j)); k < e; k++) { const v = load<f64>(at(vals, k)); s += v * v; }
    store<f64>(at(colSq, j), s);
    if (s > 0) store<i32>(ati(alive, live++), j); else store<f64>(at(x, j), 0);
  }
  const invN = 1.0 / <f64>n;
  let iter: f64 = 0, outer = 0, ws = 0, w = 0;
  let gap: f64 = Infinity, lastGap: f64 = Infinity, objective: f64 = 0, vmax: f64 = 0;
  let reason = MAX_ITERATIONS;
  while (true) {
    // The outer step, from x alone: r, Aᵀr over the unscreened columns, the gap.
    memory.copy(r, b, <usize>n << 3);
    let supp = 0, l1: f64 = 0;
    for (let q = 0; q < live; q++) {
      const j = load<i32>(ati(alive, q)), xj = load<f64>(at(x, j));
      if (xj != 0) { colAxpy(colptr, rows, vals, j, xj, r); supp++; l1 += Math.abs(xj); }
    }
    let rr: f64 = 0, rb: f64 = 0;
    for (let i = 0; i < n; i++) { const v = load<f64>(at(r, i)); rr += v * v; rb += v * load<f64>(at(b, i)); }
    objective = 0.5 * rr + lambdaN * l1;
    let dual = gradientOver(colptr, rows, vals, alive, live, r, x, lambdaN, grad, z + ((<usize>K) << 3));
    gap = enetGap(rr, rb, dual, lambdaN, l1, 0, 0);
    const stop = gap <= tol || iter >= maxIter || aborted(team);
    if (stop) {
      // Over every column: the reported gap and violation are the whole problem's.
      for (let j = 0; j < p; j++) store<i32>(ati(list, j), j);
      dual = gradientOver(colptr, rows, vals, list, p, r, x, lambdaN, grad, z + ((<usize>K) << 3));
      vmax = load<f64>(z + ((<usize>K) << 3));
      gap = enetGap(rr, rb, dual, lambdaN, l1, 0, 0);
    }
    if (outer < historyCap) store<f64>(at(history, outer), gap * invN);
    outer++;
    reportProgress(team, outer, objective * invN);
    if (gap <= tol) { reason = CONVERGED; break; }
    if (iter >= maxIter) break;
    if (aborted(team)) { reason = ABORTED; break; }

    // Screening, then the working set: the support and the best scores at zero.
    const c = dual > lambdaN ? lambdaN / dual : 1.0, radius = Math.sqrt(2 * gap);
    let cand = 0, kept = 0;
    for (let q = 0; q < live; q++) {
      const j = load<i32>(ati(alive, q)), nj = load<f64>(at(colSq, j));
      if (load<f64>(at(x, j)) == 0) {
        const dist = (lambdaN - c * Math.abs(load<f64>(at(grad, j)))) / Math.sqrt(nj);
        if (dist > radius) continue;
        const s = normalize ? dist : lambdaN - c * Math.abs(load<f64>(at(grad, j)));
        store<f64>(at(score, j), s);
        store<f64>(at(sel, cand++), s);
      }
      store<i32>(ati(alive, kept++), j);
    }
    live = kept;
    ws = max(ws, max(P0, <i32>Math.ceil(GROW * <f64>supp)));
    if (gap >= lastGap) ws = ws <= (p >> 1) ? 2 * ws : p;
    ws = min(ws, p);
    lastGap = gap;
    const need = min(ws - supp, cand);
    let cut: f64 = Infinity, ties = 0;
    if (need < cand && need > 0) {
      cut = selectKth(sel, cand, need - 1);
      let less = 0;
      for (let q = 0; q < cand; q++) if (load<f64>(at(sel, q)) < cut) less++;
      ties = need - less;
    }
    w = 0;
    for (let q = 0; q < live; q++) {
      const j = load<i32>(ati(alive, q)), xj = load<f64>(at(x, j));
      let take = xj != 0;
      if (!take && need > 0) {
        const s = load<f64>(at(score, j));
        take = need == cand || s < cut || (s == cut && ties-- > 0);
      }
      if (!take) continue;
      store<i32>(ati(list, w), j);
      w++;
    }

    // Inner sweeps over W.
    const target = INNER * gap;
    for (let ep = 0; iter < maxIter; ep++) {
      if (aborted(team)) break;
      for (let q = 0; q < w; q++) {
        const j = load<i32>(ati(list, q)), nj = load<f64>(at(colSq, j));
        const old = load<f64>(at(x, j));
        const t = colDot(colptr, rows, vals, j, r) + old * nj;
        const mag = Math.abs(t) - lambdaN;
        const next = mag > 0 ? (t > 0 ? mag : -mag) / nj : 0.0;
        const d = next - old;
        if (d != 0) {
          colAxpy(colptr, rows, vals, j, d, r);
          store<f64>(at(x, j), next);
        }
      }
      iter += <f64>w;
      const slot = last + <usize>(ep % (K + 1)) * P;
      for (let q = 0; q < w; q++) store<f64>(at(slot, q), load<f64>(at(x, load<i32>(ati(list, q)))));
      if (ep % (K + 1) != K) continue;
      // Anderson: x_W ← Σ_k c_k·x^(k+1), c = C⁻¹1 / 1ᵀC⁻¹1, C = UᵀU over the last K differences.
      const f = objectiveOf(r, n, slot, w, lambdaN);
      for (let a = 0; a < K; a++) {
        const a0 = last + <usize>a * P, a1 = a0 + P;
        for (let e = 0; e <= a; e++) {
          const e0 = last + <usize>e * P, e1 = e0 + P;
          let s: f64 = 0;
          for (let q = 0; q < w; q++) s += (load<f64>(at(a1, q)) - load<f64>(at(a0, q))) * (load<f64>(at(e1, q)) - load<f64>(at(e0, q)));
          store<f64>(at(C, a * K + e), s);
          store<f64>(at(C, e * K + a), s);
        }
      }
      if (solveOnes(C, z)) {
        let zs: f64 = 0;
        for (let k = 0; k < K; k++) zs += load<f64>(at(z, k));
        for (let q = 0; q < w; q++) {
          let s: f64 = 0;
          for (let k = 0; k < K; k++) s += load<f64>(at(z, k)) / zs * load<f64>(at(last + <usize>(k + 1) * P, q));
          store<f64>(at(xa, q), s);
        }
        residualOf(colptr, rows, vals, b, list, xa, w, n, ra);
        const fa = objectiveOf(ra, n, xa, w, lambdaN);
        if (fa < f) {
          for (let q = 0; q < w; q++) store<f64>(at(x, load<i32>(ati(list, q))), load<f64>(at(xa, q)));
          memory.copy(r, ra, <usize>n << 3);
        }
      }
      // W's own gap at its dual point.
      let wr: f64 = 0, wb: f64 = 0, wd: f64 = 0, wl: f64 = 0;
      for (let i = 0; i < n; i++) { const v = load<f64>(at(r, i)); wr += v * v; wb += v * load<f64>(at(b, i)); }
      for (let q = 0; q < w; q++) {
        const j = load<i32>(ati(list, q));
        wd = max(wd, Math.abs(colDot(colptr, rows, vals, j, r)));
        wl += Math.abs(load<f64>(at(x, j)));
      }
      if (enetGap(wr, wb, wd, lambdaN, wl, 0, 0) <= target) break;
    }
  }
  store<f64>(at(out, LassoWsF64Out.iterations), iter);
  store<f64>(at(out, LassoWsF64Out.reason), <f64>reason);
  store<f64>(at(out, LassoWsF64Out.gap), gap * invN);
  store<f64>(at(out, LassoWsF64Out.objective), objective * invN);
  store<f64>(at(out, LassoWsF64Out.violation), vmax * invN);
  store<f64>(at(out, LassoWsF64Out.outer), <f64>outer);
  store<f64>(at(out, LassoWsF64Out.workingSet), <f64>w);
}
