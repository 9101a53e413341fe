// nl.bcd on { loss: "label-propagation" }: the graph's unlabelled nodes split
// into forest-structured blocks (independent sets for "red-black"), each block
// minimised exactly by message passing (assembly/bcd/labelprop.ts).
//   f(x) = ½·Σ_{edges ij} w_ij·(x_i − x_j)² + ½·l2·Σ_{unlabelled} x_i²,  labelled x_i = labels[i].
import { NumlaneError } from "../errors.js";
import { HISTORY_CAP, type Engine } from "../engine.js";
import { checkCsr, csrInput, CsrMatrix } from "../matrix.js";
import { allFinite, checkAttached, float64Array, integer } from "../validate.js";
import { code, result, RULES, startingPoint, UPDATES, type BcdOptions, type BcdResult, type BcdRule, type BcdUpdate, type Penalty } from "./generic.js";
import * as kernels from "../generated/kernels.js";

/** Names as "a", "b" or "c". */
const said = (names: string[]) => names.map((r) => `"${r}"`).join(", ").replace(/, ([^,]*)$/, " or $1");

interface Graph { n: number; indptr: Int32Array; indices: Int32Array; data: Float64Array }

/** W must be square, symmetric, with nonnegative finite weights (the diagonal is ignored). */
function checkGraph(W: unknown): Graph {
  if (!(W instanceof CsrMatrix)) throw new NumlaneError("invalid-type", "expected a CsrMatrix of edge weights", "problem.W");
  checkCsr("problem.W", W);
  const n = W.rows;
  if (W.cols !== n) throw new NumlaneError("invalid-shape", `W must be square, got ${W.rows}×${W.cols}`, "problem.W");
  if (n === 0) throw new NumlaneError("invalid-size", "W has no nodes", "problem.W");
  allFinite("problem.W", W.data);
  const entries = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    for (let q = W.indptr[i]; q < W.indptr[i + 1]; q++) {
      const j = W.indices[q], w = W.data[q];
      if (w < 0) throw new NumlaneError("invalid-value", `edge weights must be ≥ 0; W(${i}, ${j}) is ${w}`, "problem.W");
      if (i !== j) entries.set(i * n + j, (entries.get(i * n + j) ?? 0) + w);
    }
  }
  for (const [key, w] of entries) {
    const i = Math.floor(key / n), j = key % n;
    if (entries.get(j * n + i) !== w) throw new NumlaneError("invalid-value", `W must be symmetric: W(${i}, ${j}) = ${w}, W(${j}, ${i}) = ${entries.get(j * n + i) ?? 0}`, "problem.W");
  }
  return { n, indptr: W.indptr, indices: W.indices, data: W.data };
}

function neighbours(g: Graph, u: number, visit: (v: number, w: number) => void): void {
  for (let q = g.indptr[u]; q < g.indptr[u + 1]; q++) if (g.indices[q] !== u && g.data[q] !== 0) visit(g.indices[q], g.data[q]);
}

/**
 * Blocks of unlabelled nodes, each inducing a forest: "red-black" by greedy
 * colouring (independent sets; two colours on bipartite graphs such as grids),
 * "forest" by adding each node to the first block where it closes no cycle
 * (one union–find over all nodes: unions only join nodes of one block).
 */
function forestBlocks(g: Graph, free: Uint8Array, kind: "red-black" | "forest"): Int32Array {
  const blockOf = new Int32Array(g.n).fill(-1);
  const root = Int32Array.from({ length: g.n }, (_, i) => i);
  const find = (a: number): number => { while (root[a] !== a) { root[a] = root[root[a]]; a = root[a]; } return a; };
  for (let u = 0; u < g.n; u++) {
    if (!free[u]) continue;
    for (let b = 0; ; b++) {
      let ok = true;
      const roots = new Set<number>();
      neighbours(g, u, (v) => {
        if (!ok || blockOf[v] !== b) return;
        if (kind === "red-black") { ok = false; return; }
        const r = find(v);
        if (roots.has(r)) ok = false; else roots.add(r);
      });
      if (!ok) continue;
      blockOf[u] = b;
      for (const r of roots) root[r] = u;
      break;
    }
  }
  return blockOf;
}

export async function labelPropagation(e: Engine, problem: Record<string, unknown>, pen: Penalty, o: { partition: string; rule: string; update: string; tol: number; seed: number; activeSet: boolean }, opts: BcdOptions): Promise<BcdResult> {
  const g = checkGraph(problem.W);
  const n = g.n;
  const labels = float64Array("problem.labels", problem.labels);
  if (labels.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries (W's nodes), got ${labels.length}`, "problem.labels");
  const labelled = problem.labelled;
  if (!(labelled instanceof Uint8Array)) throw new NumlaneError("invalid-type", "expected a Uint8Array (1 = labelled)", "problem.labelled");
  checkAttached("problem.labelled", labelled);
  if (labelled.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries (W's nodes), got ${labelled.length}`, "problem.labelled");
  for (let i = 0; i < n; i++) if (labelled[i] && !Number.isFinite(labels[i])) throw new NumlaneError("invalid-value", `label ${i} is ${labels[i]}`, "problem.labels");
  if (pen.l1 !== 0 || pen.nonnegative) throw new NumlaneError("unsupported", "label propagation takes only an l2 penalty (its blocks are solved exactly as linear systems)", "problem.penalty");
  if (o.partition !== "forest" && o.partition !== "red-black") throw new NumlaneError("unsupported", `label propagation needs forest-structured blocks: partition "forest" or "red-black", not "${o.partition}"`, "opts.partition");
  if (!UPDATES[o.update as BcdUpdate].labelPropagation) throw new NumlaneError("unsupported", `label propagation minimises each block exactly (update "message-passing", or "newton" which is the same here), not "${o.update}"`, "opts.update");
  // Read here, not at load: generic.ts, which holds the table, imports this module.
  const rules = (Object.keys(RULES) as BcdRule[]).filter((r) => RULES[r].labelPropagation);
  if (!rules.includes(o.rule as BcdRule)) throw new NumlaneError("unsupported", `label propagation takes rule ${said(rules)}, not "${o.rule}"`, "opts.rule");
  if (o.activeSet) throw new NumlaneError("unsupported", "activeSet needs an l1 penalty or nonnegative", "opts.activeSet");
  if (opts.blockSize !== undefined) throw new NumlaneError("unsupported", "blockSize does not apply to forest partitions (their blocks are as large as the graph allows)", "opts.blockSize");
  const free = Uint8Array.from(labelled, (v) => (v ? 0 : 1));
  const x0 = startingPoint(opts.x0, n);
  // Every unlabelled component must touch a label (or l2 > 0): otherwise the minimiser is not unique.
  if (pen.l2 === 0) {
    const seen = new Uint8Array(n), stack: number[] = [];
    for (let s = 0; s < n; s++) {
      if (!free[s] || seen[s]) continue;
      let anchored = false;
      seen[s] = 1; stack.push(s);
      while (stack.length) {
        const u = stack.pop()!;
        neighbours(g, u, (v) => { if (!free[v]) anchored = true; else if (!seen[v]) { seen[v] = 1; stack.push(v); } });
      }
      if (!anchored) throw new NumlaneError("invalid-value", `node ${s}'s unlabelled component reaches no labelled node: give l2 > 0 or a label there`, "problem.labelled");
    }
  }

  const blockOf = forestBlocks(g, free, o.partition as "red-black" | "forest");
  let nb = 0;
  for (let u = 0; u < n; u++) nb = Math.max(nb, blockOf[u] + 1);
  // Each block's trees in BFS order (a parent before its children), with parent and edge weight.
  const order: number[] = [], parent: number[] = [], parentW: number[] = [], treePtr = [0], blockTrees = [0];
  const done = new Uint8Array(n);
  const members: number[][] = Array.from({ length: nb }, () => []);
  for (let u = 0; u < n; u++) if (blockOf[u] >= 0) members[blockOf[u]].push(u);
  for (let b = 0; b < nb; b++) {
    for (const r of members[b]) {
      if (done[r]) continue;
      done[r] = 1;
      const start = order.length;
      order.push(r); parent.push(-1); parentW.push(0);
      for (let q = start; q < order.length; q++) {
        const u = order[q];
        neighbours(g, u, (v, w) => {
          if (blockOf[v] !== b || done[v]) return;
          done[v] = 1;
          order.push(v); parent.push(u); parentW.push(w);
        });
      }
      treePtr.push(order.length);
    }
    blockTrees.push(treePtr.length - 1);
  }
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = labelled[i] ? labels[i] : x0 ? x0[i] : 0;
  const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000 * Math.max(nb, 1), 1, 2 ** 31 - 1);
  const historyCap = Math.min(Math.ceil(maxIter / Math.max(nb, 1)) + 1, HISTORY_CAP);
  const threads = e.threadsFor(12 * g.indices.length + 16 * n, opts);
  if (nb === 0) {
    return { x, objective: objectivePlain(g, x), iterations: 0, converged: true, reason: "converged", violation: 0, history: new Float64Array(0) };
  }
  const tree = { blockOf, blockTrees: Int32Array.from(blockTrees), treePtr: Int32Array.from(treePtr), order: Int32Array.from(order), parent: Int32Array.from(parent), parentW: Float64Array.from(parentW) };
  const bytes = 8 * (n + historyCap) + 2 * 64 + e.launchBytes(kernels.labelprop_f64, { n, nb }, threads);
  const scope = await e.scope({ signal: opts.signal, long: true }, [g.indptr, g.indices, g.data, ...Object.values(tree)], bytes);
  try {
    const { indptr, indices, data } = csrInput(scope, "problem.W", g, n, n);
    const xp = scope.alloc(8 * n), history = scope.alloc(8 * historyCap);
    e.heap.f64.set(x, xp >> 3);
    const r = await scope.launch(kernels.labelprop_f64, {
      n, indptr, indices, data, x: xp, nb, blockOf: scope.input(tree.blockOf), blockTrees: scope.input(tree.blockTrees),
      treePtr: scope.input(tree.treePtr), order: scope.input(tree.order), parent: scope.input(tree.parent), parentW: scope.input(tree.parentW),
      rule: code(kernels.BcdRuleCode, o.rule as BcdRule), seed: o.seed, tol: o.tol, maxIter, l2: pen.l2, history, historyCap,
    }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
    return result(e, r, xp, n, history, historyCap);
  } finally {
    scope.free();
  }
}

/** ½·Σ_edges w (x_i − x_j)², for the all-labelled case (no kernel launch). */
function objectivePlain(g: Graph, x: Float64Array): number {
  let s = 0;
  for (let u = 0; u < g.n; u++) neighbours(g, u, (v, w) => { s += 0.25 * w * (x[u] - x[v]) ** 2; });
  return s;
}
