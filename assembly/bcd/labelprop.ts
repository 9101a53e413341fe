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
import { abortAgreed, barrier, rangeStart, reportProgress } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { at, padded } from "../core/memory";
import { ati, nextBlock } from "./order";
import { ABORTED, CONVERGED, LabelpropF64Out, MAX_ITERATIONS } from "../generated/layouts";

/** The graph (CSR), the iterate and the forest blocks the helpers read: each thread fills its own copy at entry. */
@unmanaged class Forest {
  indptr: usize; indices: usize; data: usize; x: usize; blockOf: usize;
  treePtr: usize; order: usize; parent: usize; parentW: usize; hbuf: usize; dbuf: usize;
  l2: f64;
}

// The workspace ("work"), carved in this order, each region padded to 64 bytes.
const WORK_HBUF = 0;     // the eliminated right-hand sides (n)
const WORK_DBUF = 1;     // the eliminated diagonal (n)
const WORK_PARTIALS = 2; // per-chunk partials of the violation max and the objective
const WORK_THREADS = 3;  // per thread: its Forest and a degree slot (threadBytes)
const WORK_PERM = 4;     // the permutation rule's order (nb i32)
const WORK_END = 5;

// @ts-ignore: decorator
@inline function threadBytes(): usize { return padded(offsetof<Forest>() + 8); }

/** Bytes of workspace region `region` (WORK_*). */
function workRegion(region: i32, n: i32, nb: i32, nthreads: i32): usize {
  switch (region) {
    case WORK_HBUF: case WORK_DBUF: return <usize>n << 3;
    case WORK_PARTIALS: return (2 * <usize>chunkCount(n)) << 3;
    case WORK_THREADS: return <usize>nthreads * threadBytes();
    case WORK_PERM: return <usize>nb << 2;
    default: return 0;
  }
}

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, n: i32, nb: i32, nthreads: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) bytes += padded(workRegion(r, n, nb, nthreads));
  return bytes;
}

/** Bytes of labelprop_f64's workspace. */
export function labelpropWorkspace(n: i32, nb: i32, nthreads: i32): usize {
  return workOffset(WORK_END, n, nb, nthreads);
}

/** Σ_{v ≠ u} w_uv·x_v over u's row, skipping the neighbours in block `skip` (−2: skip none); *deg receives Σ w_uv. */
function rowSums(ctx: Forest, u: i32, skip: i32, deg: usize): f64 {
  const indptr = ctx.indptr, indices = ctx.indices, data = ctx.data;
  const x = ctx.x, blockOf = ctx.blockOf;
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
function solveTrees(ctx: Forest, b: i32, t0: i32, t1: i32, scratch: usize): void {
  const treePtr = ctx.treePtr, order = ctx.order, parent = ctx.parent, parentW = ctx.parentW;
  const hbuf = ctx.hbuf, dbuf = ctx.dbuf, x = ctx.x, l2 = ctx.l2;
  for (let t = t0; t < t1; t++) {
    const q0 = load<i32>(ati(treePtr, t)), q1 = load<i32>(ati(treePtr, t + 1));
    // Each node's own diagonal and right-hand side.
    for (let q = q0; q < q1; q++) {
      const u = load<i32>(ati(order, q));
      const h = rowSums(ctx, u, b, scratch);
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
 * The whole solve over the graph W (CSR, n nodes). x holds the labels
 * (labelled nodes) and x0 (the others) on entry, the solution on exit;
 * blockOf gives each node's block (−1: labelled); blockTrees (nb + 1) each
 * block's trees, treePtr their spans of order, each node in BFS order with
 * its parent and edge weight. history receives the largest |gradient| over
 * the unlabelled nodes after each epoch.
 */
export function labelprop_f64(
  n: i32, indptr: usize, indices: usize, data: usize, x: usize, blockOf: usize, nb: i32,
  blockTrees: usize, treePtr: usize, order: usize, parent: usize, parentW: usize,
  rule: i32, seed: f64, tol: f64, maxIter: i32, l2: f64, history: usize, historyCap: i32, work: usize, out: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const rseed = <u64>seed;
  const chunks = chunkCount(n);
  const cc0 = rangeStart(chunks, tid, nthreads), cc1 = rangeStart(chunks, tid + 1, nthreads);
  // Per-chunk partials of the violation max and the objective; this thread's Forest and degree slot.
  const part = work + workOffset(WORK_PARTIALS, n, nb, nthreads), perm = work + workOffset(WORK_PERM, n, nb, nthreads);
  const violP = part, objP = at(part, chunks);
  const ctx = changetype<Forest>(work + workOffset(WORK_THREADS, n, nb, nthreads) + <usize>tid * threadBytes()), scratch = changetype<usize>(ctx) + offsetof<Forest>();
  ctx.indptr = indptr; ctx.indices = indices; ctx.data = data; ctx.x = x; ctx.blockOf = blockOf;
  ctx.treePtr = treePtr; ctx.order = order; ctx.parent = parent; ctx.parentW = parentW;
  ctx.hbuf = work + workOffset(WORK_HBUF, n, nb, nthreads); ctx.dbuf = work + workOffset(WORK_DBUF, n, nb, nthreads); ctx.l2 = l2;
  let iter = 0, reason = MAX_ITERATIONS, epochs = 0, checks = 0;
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
          const s = rowSums(ctx, u, -2, scratch);
          v = max(v, Math.abs((load<f64>(scratch) + l2) * load<f64>(at(x, u)) - s));
        }
        store<f64>(at(violP, cc), v);
      }
      const stop = abortAgreed(team, checks++, tid, nthreads);
      viol = 0;
      for (let cc = 0; cc < chunks; cc++) viol = max(viol, load<f64>(at(violP, cc)));
      if (v0 < 0) v0 = viol;
      if (iter > 0) {
        if (tid == 0) {
          if (epochs < historyCap) store<f64>(at(history, epochs), viol);
          reportProgress(team, iter, viol);
        }
        epochs++;
      }
      if (viol <= tol * v0) { reason = CONVERGED; break; }
      if (stop) { reason = ABORTED; break; }
    }
    if (iter >= maxIter) break;
    // Its rules are cyclic, random and permutation (no bounds: cumL unused).
    const b = nextBlock(rule, iter, nb, rseed, perm, 0, 0, team, tid, nthreads);
    iter++;
    const tb0 = load<i32>(ati(blockTrees, b)), tb1 = load<i32>(ati(blockTrees, b + 1));
    const count = tb1 - tb0;
    solveTrees(ctx, b, tb0 + rangeStart(count, tid, nthreads), tb0 + rangeStart(count, tid + 1, nthreads), scratch);
    barrier(team, nthreads);
  }
  // The objective: ¼·Σ_{u,v} w_uv (x_u − x_v)² over the stored (symmetric) entries, + ½·l2·Σ_U x².
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
    store<f64>(at(out, LabelpropF64Out.iterations), <f64>iter);
    store<f64>(at(out, LabelpropF64Out.reason), <f64>reason);
    store<f64>(at(out, LabelpropF64Out.violation), viol);
    store<f64>(at(out, LabelpropF64Out.objective), sumPartials(objP, chunks));
    store<f64>(at(out, LabelpropF64Out.epochs), <f64>epochs);
  }
}
