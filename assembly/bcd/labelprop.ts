// Label propagation by block coordinate descent with exact block updates by
// message passing on forest-structured blocks (Nutini, Laradji & Schmidt,
// section on message passing): minimise over the unlabelled nodes U
//   f(x) = ½·Σ_{edges ij} w_ij·(x_i − x_j)² + ½·l2·Σ_{u∈U} x_u²,
// labelled nodes fixed at their labels. The host splits U into blocks whose
// induced subgraphs are forests (independent sets for "red-black"); the block
// minimisation is then the tree-structured linear system
//   (d_u + l2)·x_u − Σ_{v∈b} w_uv·x_v = Σ_{v∉b} w_uv·x_v   (u ∈ b),
// solved exactly in O(|b|) by eliminating leaves towards each root (messages
// up) and substituting back (messages down). Trees are independent: threads
// take whole trees, so every thread count gives the same bits.
import { aborted, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { mix64 } from "../core/rng";
import { at, ati, param, ptr, shuffleBlocks } from "./params";

// Parameter block (f64 slots), filled by src/bcd/labelprop.ts.
export const LP_N = 0, LP_INDPTR = 1, LP_INDICES = 2, LP_DATA = 3, LP_X = 4, LP_BLOCK_OF = 5, LP_NB = 6,
  LP_BLOCK_TREES = 7, LP_TREE_PTR = 8, LP_ORDER = 9, LP_PARENT = 10, LP_PARENT_W = 11, LP_HBUF = 12, LP_DBUF = 13,
  LP_RULE = 14, LP_SEED = 15, LP_TOL = 16, LP_MAX_ITER = 17, LP_L2 = 18, LP_PARTIALS = 19, LP_HISTORY = 20,
  LP_HISTORY_CAP = 21, LP_OUT = 22, LP_PERM = 23;

const RULE_CYCLIC = 0, RULE_RANDOM = 1, RULE_PERMUTATION = 2;


/** Σ_{v ≠ u} w_uv·x_v over u's row, skipping the neighbours in block `skip` (−2: skip none); *deg receives Σ w_uv. */
function rowSums(prm: usize, u: i32, skip: i32, deg: usize): f64 {
  const indptr = ptr(prm, LP_INDPTR), indices = ptr(prm, LP_INDICES), data = ptr(prm, LP_DATA);
  const x = ptr(prm, LP_X), blockOf = ptr(prm, LP_BLOCK_OF);
  let s: f64 = 0, d: f64 = 0;
  const e = load<i32>(ati(indptr, u + 1));
  for (let q = load<i32>(ati(indptr, u)); q < e; q++) {
    const v = load<i32>(ati(indices, q));
    if (v == u) continue;
    const w = load<f64>(at(data, q));
    d += w;
    if (skip != -2 && load<i32>(ati(blockOf, v)) == skip) continue;
    s += w * load<f64>(at(x, v));
  }
  store<f64>(deg, d);
  return s;
}

/** Exact minimisation over the trees [t0, t1) of block b (messages up, then down). */
function solveTrees(prm: usize, b: i32, t0: i32, t1: i32, scratch: usize): void {
  const treePtr = ptr(prm, LP_TREE_PTR), order = ptr(prm, LP_ORDER), parent = ptr(prm, LP_PARENT), parentW = ptr(prm, LP_PARENT_W);
  const hbuf = ptr(prm, LP_HBUF), dbuf = ptr(prm, LP_DBUF), x = ptr(prm, LP_X), l2 = param(prm, LP_L2);
  for (let t = t0; t < t1; t++) {
    const q0 = load<i32>(ati(treePtr, t)), q1 = load<i32>(ati(treePtr, t + 1));
    // Each node's own diagonal and right-hand side.
    for (let q = q0; q < q1; q++) {
      const u = load<i32>(ati(order, q));
      const h = rowSums(prm, u, b, scratch);
      store<f64>(at(hbuf, u), h);
      store<f64>(at(dbuf, u), load<f64>(scratch) + l2);
    }
    // Upward: children come after their parents in BFS order, so a reverse
    // sweep eliminates every child before its parent.
    for (let q = q1 - 1; q > q0; q--) {
      const u = load<i32>(ati(order, q)), pa = load<i32>(ati(parent, q));
      const w = load<f64>(at(parentW, q)), du = load<f64>(at(dbuf, u));
      store<f64>(at(dbuf, pa), load<f64>(at(dbuf, pa)) - w * w / du);
      store<f64>(at(hbuf, pa), load<f64>(at(hbuf, pa)) + w * load<f64>(at(hbuf, u)) / du);
    }
    // Downward: the root first, then each child from its parent.
    const root = load<i32>(ati(order, q0));
    store<f64>(at(x, root), load<f64>(at(hbuf, root)) / load<f64>(at(dbuf, root)));
    for (let q = q0 + 1; q < q1; q++) {
      const u = load<i32>(ati(order, q)), pa = load<i32>(ati(parent, q));
      store<f64>(at(x, u), (load<f64>(at(hbuf, u)) + load<f64>(at(parentW, q)) * load<f64>(at(x, pa))) / load<f64>(at(dbuf, u)));
    }
  }
}

/**
 * The whole solve. x holds the labels (labelled nodes) and x0 (the others) on
 * entry, the solution on exit; out receives iterations (block updates),
 * reason (0 converged, 1 max-iterations, 4 aborted), the final largest
 * |gradient| over U and the objective; history that after each epoch.
 */
export function labelprop_f64(prm: usize, team: usize, tid: i32, nthreads: i32): void {
  const n = <i32>param(prm, LP_N), nb = <i32>param(prm, LP_NB), rule = <i32>param(prm, LP_RULE);
  const seed = <u64>param(prm, LP_SEED), tol = param(prm, LP_TOL), maxIter = <i32>param(prm, LP_MAX_ITER), l2 = param(prm, LP_L2);
  const x = ptr(prm, LP_X), blockOf = ptr(prm, LP_BLOCK_OF), blockTrees = ptr(prm, LP_BLOCK_TREES);
  const part = ptr(prm, LP_PARTIALS), out = ptr(prm, LP_OUT), perm = ptr(prm, LP_PERM);
  const history = ptr(prm, LP_HISTORY), historyCap = <i32>param(prm, LP_HISTORY_CAP);
  const chunks = chunkCount(n);
  const cc0 = rangeStart(chunks, tid, nthreads), cc1 = rangeStart(chunks, tid + 1, nthreads);
  // Scratch: per-chunk partials of the violation max and the objective, then one slot per thread.
  const violP = part, objP = at(part, chunks), stopSlots = at(part, 2 * chunks), scratch = at(part, 2 * chunks + 2 + tid);
  let iter = 0, reason = 1, epochs = 0, checks = 0;
  let v0: f64 = -1, viol: f64 = Infinity;
  while (true) {
    const epochStart = iter % nb == 0;
    if (epochStart) {
      // Largest |∂f/∂x_u| over the unlabelled nodes, by row chunks.
      for (let cc = cc0; cc < cc1; cc++) {
        const s0 = cc * CHUNK, s1 = min(n, s0 + CHUNK);
        let v: f64 = 0;
        for (let u = s0; u < s1; u++) {
          if (load<i32>(ati(blockOf, u)) < 0) continue;
          const s = rowSums(prm, u, -2, scratch);
          v = max(v, Math.abs((load<f64>(scratch) + l2) * load<f64>(at(x, u)) - s));
        }
        store<f64>(at(violP, cc), v);
      }
      if (tid == 0) store<f64>(at(stopSlots, checks & 1), aborted(team) ? 1 : 0);
      barrier(team, nthreads);
      viol = 0;
      for (let cc = 0; cc < chunks; cc++) viol = max(viol, load<f64>(at(violP, cc)));
      const stop = load<f64>(at(stopSlots, checks & 1)) != 0;
      checks++;
      if (v0 < 0) v0 = viol;
      if (iter > 0) {
        if (tid == 0) {
          if (epochs < historyCap) store<f64>(at(history, epochs), viol);
          reportProgress(team, iter, viol);
        }
        epochs++;
      }
      if (viol <= tol * v0) { reason = 0; break; }
      if (stop) { reason = 4; break; }
      if (rule == RULE_PERMUTATION) {
        if (tid == 0) shuffleBlocks(perm, nb, seed, <u64>(iter / nb));
        barrier(team, nthreads);
      }
    }
    if (iter >= maxIter) break;
    let b: i32;
    if (rule == RULE_CYCLIC) b = iter % nb;
    else if (rule == RULE_RANDOM) b = <i32>(mix64(seed, <u64>iter) % <u64>nb);
    else b = load<i32>(ati(perm, iter % nb));
    iter++;
    const tb0 = load<i32>(ati(blockTrees, b)), tb1 = load<i32>(ati(blockTrees, b + 1));
    const count = tb1 - tb0;
    solveTrees(prm, b, tb0 + rangeStart(count, tid, nthreads), tb0 + rangeStart(count, tid + 1, nthreads), scratch);
    barrier(team, nthreads);
  }
  // The objective: ¼·Σ_{u,v} w_uv (x_u − x_v)² over the stored (symmetric) entries, + ½·l2·Σ_U x².
  const indptr = ptr(prm, LP_INDPTR), indices = ptr(prm, LP_INDICES), data = ptr(prm, LP_DATA);
  for (let cc = cc0; cc < cc1; cc++) {
    const s0 = cc * CHUNK, s1 = min(n, s0 + CHUNK);
    let s: f64 = 0;
    for (let u = s0; u < s1; u++) {
      const xu = load<f64>(at(x, u));
      const e = load<i32>(ati(indptr, u + 1));
      for (let q = load<i32>(ati(indptr, u)); q < e; q++) {
        const dv = xu - load<f64>(at(x, load<i32>(ati(indices, q))));
        s += 0.25 * load<f64>(at(data, q)) * dv * dv;
      }
      if (load<i32>(ati(blockOf, u)) >= 0) s += 0.5 * l2 * xu * xu;
    }
    store<f64>(at(objP, cc), s);
  }
  barrier(team, nthreads);
  if (tid == 0) {
    store<f64>(at(out, 0), <f64>iter);
    store<f64>(at(out, 1), <f64>reason);
    store<f64>(at(out, 2), viol);
    store<f64>(at(out, 4), sumPartials(objP, chunks));  // slots as bcd_f64's: 4 objective, 6 epochs
    store<f64>(at(out, 6), <f64>epochs);
  }
}
