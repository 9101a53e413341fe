// nl.bcd: generic block coordinate descent (Nutini, Laradji & Schmidt, "Let's
// Make Block Coordinate Descent Converge Faster"). This file validates the
// problem and options, builds the block partition and launches the one-launch
// solver (assembly/bcd/block.ts).
//
// Objective: mean loss + l1·‖x‖₁ + ½·l2·‖x‖² (+ x ≥ 0 with nonnegative):
//   least-squares  1/(2n)·‖A·x − b‖²      (scikit-learn's Lasso/ElasticNet scaling)
//   logistic       1/n·Σ log(1 + exp(−y_i·a_iᵀx)),  y ∈ {−1, 1}
//   softmax        1/n·Σ [logsumexp(a_iᵀX) − a_iᵀx_{y_i}],  X p×classes, y ∈ 0..classes−1
import { NumlaneError } from "../errors.js";
import { HISTORY_CAP, reasonName, type CallOptions, type Engine, type TurnScope } from "../engine.js";
import { CsrMatrix, DenseMatrix, toMatrix } from "../matrix.js";
import { allFinite, callOptionKeys, checkAttached, checkOptions, float64Array, integer, nonNegative, type OptionKeys } from "../validate.js";
import { refuseUnsafeScale } from "../sketch.js";
import { labelPropagation } from "./labelprop.js";
import * as kernels from "../generated/kernels.js";
import { MAXIMUM_BYTES } from "../runtime/heap.js";
import { checkWorkingSet, workingSetLasso } from "./workingset.js";

export type BcdLoss = "least-squares" | "logistic" | "softmax" | "label-propagation";
export type BcdPartition = "order" | "sort" | "avg" | "variable" | "red-black" | "forest";
export type BcdRule = "cyclic" | "random" | "permutation" | "lipschitz" | "gs" | "gsl" | "gsd" | "gsq";
export type BcdUpdate = "lipschitz" | "line-search" | "newton" | "message-passing";
export type BcdReason = "converged" | "max-iterations" | "aborted";

export interface BcdPenalty {
  /** Weight of ‖x‖₁ (default 0). */
  l1?: number;
  /** Weight of ½‖x‖² (default 0). */
  l2?: number;
  /** Constrain x ≥ 0 (default false). */
  nonnegative?: boolean;
}
const PENALTY_KEYS: OptionKeys<BcdPenalty> = { l1: true, l2: true, nonnegative: true };

type Matrix = DenseMatrix | CsrMatrix | number[][];

export type BcdProblem =
  | { loss: "least-squares"; A: Matrix; b: Float64Array; penalty?: BcdPenalty }
  | { loss: "logistic"; A: Matrix; y: Float64Array; penalty?: BcdPenalty }
  | { loss: "softmax"; A: Matrix; y: ArrayLike<number>; classes: number; penalty?: BcdPenalty }
  | { loss: "label-propagation"; W: CsrMatrix; labels: Float64Array; labelled: Uint8Array; penalty?: BcdPenalty };
/** Each loss's problem keys. */
const PROBLEM_KEYS: { [L in BcdLoss]: OptionKeys<Extract<BcdProblem, { loss: L }>> } = {
  "least-squares": { loss: true, A: true, b: true, penalty: true },
  logistic: { loss: true, A: true, y: true, penalty: true },
  softmax: { loss: true, A: true, y: true, classes: true, penalty: true },
  "label-propagation": { loss: true, W: true, labels: true, labelled: true, penalty: true },
};

export interface BcdOptions extends CallOptions {
  /**
   * How coordinates are grouped into blocks (default "order"); "variable": the greedy rule picks blockSize
   * coordinates each iteration. Label propagation: "forest" (default; blocks whose subgraphs are forests) or
   * "red-black" (independent sets by greedy colouring).
   */
  partition?: BcdPartition;
  /** Coordinates per block (default 1). */
  blockSize?: number;
  /** Block selection (default "cyclic"). With an L1 penalty or x ≥ 0 the greedy rules use their proximal GS-q form. */
  rule?: BcdRule;
  /**
   * Block update (default "newton": exact block minimisation for least squares, Newton + Armijo otherwise).
   * Label propagation: "message-passing" (default; exact minimisation over each forest block).
   */
  update?: BcdUpdate;
  /**
   * Skip coordinates at zero that are strictly optimal there, re-examined at each epoch (needs l1 or nonnegative).
   * Least squares with a greedy rule on variable blocks: a working set, whose gradient alone is kept between epochs.
   */
  activeSet?: boolean;
  /**
   * The lasso (least squares, l1 > 0) by greedy working sets grown geometrically (celer, skglm): the support and
   * the zeros with the best greedy score (rule "gs": |gradient|; "gsl" (default) or "gsd": |gradient| / ‖a_j‖, the
   * gap-safe distance), at least 1.5 × the support, solved by coordinate sweeps with Anderson extrapolation, then
   * the full duality gap recomputed. tol then bounds the duality gap by tol·‖b‖²/n (scikit-learn's rule), maxIter
   * the coordinate steps (default 1000·p); gap and violation are reported, history holds each outer step's gap.
   */
  workingSet?: boolean;
  /** Starting point (default zeros); for softmax x[k·p + j]. Never modified. */
  x0?: Float64Array;
  /** Stop when the largest optimality violation ≤ tol × the one at x0 (default 1e-6); with workingSet, the duality gap ≤ tol·‖b‖²/n. */
  tol?: number;
  /** Most block updates (default 1000 epochs: 1000 × the number of blocks); with workingSet, coordinate steps (default 1000·p). */
  maxIter?: number;
  /** Seed for the random and permutation rules (default 0): same seed, same bits on any thread count. */
  seed?: number;
}
const BCD_KEYS = callOptionKeys<BcdOptions>({
  partition: true, blockSize: true, rule: true, update: true, activeSet: true, workingSet: true, x0: true, tol: true, maxIter: true, seed: true,
});

export interface BcdResult {
  /** The solution; for softmax p×classes, class k's coefficients at x[k·p .. k·p + p). */
  x: Float64Array;
  objective: number;
  /** Block updates done (for lasso: sweeps). */
  iterations: number;
  converged: boolean;
  reason: BcdReason;
  /** Duality gap (lasso). */
  gap?: number;
  /** Largest optimality violation (min-norm subgradient entry) at x (nl.bcd). */
  violation?: number;
  /** nl.bcd: the largest optimality violation after each epoch (a pass's worth of block updates); lasso: see LassoOptions. */
  history: Float64Array;
}

/** What the host needs to know of a block rule; its selection is kernel code (assembly/bcd/order.ts, block.ts). */
interface RuleEntry {
  /** Picks the best-scoring block after a scan of every block (the GS family): the only kind variable blocks take. */
  readonly greedy: boolean;
  /** Why it does not take variable blocks, if it does not (a greedy rule). */
  readonly notVariable?: string;
  /** Label propagation takes it. */
  readonly labelPropagation?: boolean;
}

/**
 * The block rules, one entry each: a new rule is its name in
 * assembly/bcd/codes.json, an entry here and its selection in the kernel.
 */
export const RULES: { readonly [R in BcdRule]: RuleEntry } = {
  cyclic: { greedy: false, labelPropagation: true },
  random: { greedy: false, labelPropagation: true },
  permutation: { greedy: false, labelPropagation: true },
  lipschitz: { greedy: false },
  gs: { greedy: true },
  gsl: { greedy: true },
  gsd: { greedy: true },
  gsq: { greedy: true, notVariable: `rule "gsq" with variable blocks (a combinatorial choice) is not built; use "gsd" or a fixed partition` },
};

/**
 * The block updates, one entry each: bcd_f64's (kernel: its name in
 * assembly/bcd/codes.json, its step in block.ts) and the ones label
 * propagation takes (its blocks are minimised exactly).
 */
export const UPDATES: { readonly [U in BcdUpdate]: { readonly kernel: boolean; readonly labelPropagation: boolean } } = {
  lipschitz: { kernel: true, labelPropagation: false },
  "line-search": { kernel: true, labelPropagation: false },
  newton: { kernel: true, labelPropagation: true },
  "message-passing": { kernel: false, labelPropagation: true },
};

/** The losses bcd_f64 fits: its curvature scale (the loss's second derivative bound) by name. */
const LOSSES: { readonly [L in Exclude<BcdLoss, "label-propagation">]: { readonly hscale: number } } = {
  "least-squares": { hscale: 1 },
  logistic: { hscale: 0.25 },
  softmax: { hscale: 0.5 },
};

/** A name's code in a generated code table. */
export function code<T extends string>(table: readonly T[], name: T): number {
  return table.indexOf(name);
}

// The public names are the kernels' (assembly/bcd/codes.json), checked by the
// compiler both ways: a rule, update or loss added there must be named here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatch: [
  Same<BcdRule, (typeof kernels.BcdRuleCode)[number]>,
  Same<Exclude<BcdUpdate, "message-passing">, (typeof kernels.BcdUpdateCode)[number]>,
  Same<Exclude<BcdLoss, "label-propagation">, (typeof kernels.BcdLossCode)[number]>,
] = [true, true, true];
void namesMatch;
const PARTITIONS = ["order", "sort", "avg", "variable", "red-black", "forest"];
const MAX_BLOCK = 256;
/**
 * Least squares keeps columns of G = AᵀA in a cache of at most this many
 * bytes (every column when they fit; at least a block's worth, else the call
 * is refused): the gradient update reads one contiguous column per moved coordinate.
 */
const GRAM_CACHE_BYTES = 256 * 2 ** 20;

/** The result block every nl.bcd kernel writes (bcd_f64's and labelprop_f64's share these slots). */
export type BcdOut = { iterations: number; reason: number; violation: number; objective: number; epochs: number };

/** A bcd kernel's result: x and the history from wasm memory, the rest from its result block. */
export function result(e: Engine, r: BcdOut, x: number, length: number, history: number, historyCap: number): BcdResult {
  const h = e.heap.f64;
  const reason = bcdReason(r.reason);
  return {
    x: h.slice(x >> 3, (x >> 3) + length),
    objective: r.objective,
    iterations: r.iterations,
    converged: reason === "converged",
    reason,
    violation: r.violation,
    history: h.slice(history >> 3, (history >> 3) + Math.min(r.epochs, historyCap)),
  };
}

/** The reason a coordinate-descent kernel stopped, by its code (the shared table). */
export function bcdReason(code: number): BcdReason {
  return reasonName(code) as BcdReason;
}

/** Bytes columnMajor allocates for A: a row-major A's transposed copy, and the transpose's launch. */
export function columnMajorBytes(e: Engine, D: DenseMatrix): number {
  return D.layout === "row-major" ? 8 * D.rows * D.cols + 64 + e.launchBytes(kernels.transpose_f64, {}, 1) : 0;
}

/** A's address in the scope, columns contiguous as the kernels want them: a row-major A is transposed in wasm. */
export async function columnMajor(e: Engine, scope: TurnScope, D: DenseMatrix, opts: CallOptions): Promise<number> {
  const a = scope.input(D.data), n = D.rows, p = D.cols;
  if (D.layout !== "row-major") return a;
  const t = scope.alloc(8 * n * p);
  await scope.launch(kernels.transpose_f64, { src: a, rows: n, cols: p, dst: t }, { signal: opts.signal, threads: e.threadsFor(16 * n * p, opts) });
  return t;
}

/** opts.x0 checked: `length` finite entries (`which` says which, in the message). */
export function startingPoint(x0: unknown, length: number, which = ""): Float64Array | undefined {
  if (x0 === undefined) return undefined;
  const v = float64Array("opts.x0", x0);
  if (v.length !== length) throw new NumlaneError("invalid-shape", `expected ${length} entries${which}, got ${v.length}`, "opts.x0");
  allFinite("opts.x0", v);
  return v;
}

/** Each column's sum of squares. */
function columnSquares(A: DenseMatrix | CsrMatrix): Float64Array {
  const out = new Float64Array(A.cols);
  if (A instanceof CsrMatrix) {
    for (let k = 0; k < A.nnz; k++) out[A.indices[k]] += A.data[k] ** 2;
    return out;
  }
  for (let j = 0; j < A.cols; j++) for (let i = 0; i < A.rows; i++) out[j] += A.get(i, j) ** 2;
  return out;
}

export function denseOf(name: string, A: unknown): DenseMatrix {
  const m = toMatrix(name, A);
  return m instanceof CsrMatrix ? m.toDense() : m;
}

function choice<T extends string>(name: string, v: unknown, allowed: readonly string[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !allowed.includes(v)) throw new NumlaneError("invalid-value", `expected one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${String(v)}`, name);
  return v as T;
}

export function unsupported(message: string, argument: string): never {
  throw new NumlaneError("unsupported", message, argument);
}

export interface Penalty { l1: number; l2: number; nonnegative: boolean }


export function readPenalty(pen: unknown): Penalty {
  if (pen === undefined) return { l1: 0, l2: 0, nonnegative: false };
  const p = checkOptions("problem.penalty", pen as BcdPenalty, PENALTY_KEYS)!;
  const nonnegative = p.nonnegative ?? false;
  if (typeof nonnegative !== "boolean") throw new NumlaneError("invalid-type", "expected a boolean", "problem.penalty.nonnegative");
  return { l1: nonNegative("problem.penalty.l1", p.l1 ?? 0), l2: nonNegative("problem.penalty.l2", p.l2 ?? 0), nonnegative };
}

/** The shared option checks; partition/update values that only label propagation takes are checked by the caller. */
export function readOptions(opts: unknown) {
  const o = checkOptions("opts", opts as BcdOptions, BCD_KEYS) ?? {};
  const activeSet = o.activeSet ?? false;
  if (typeof activeSet !== "boolean") throw new NumlaneError("invalid-type", "expected a boolean", "opts.activeSet");
  const workingSet = o.workingSet ?? false;
  if (typeof workingSet !== "boolean") throw new NumlaneError("invalid-type", "expected a boolean", "opts.workingSet");
  const seed = integer("opts.seed", o.seed ?? 0, 0, Number.MAX_SAFE_INTEGER);
  return {
    partition: choice<BcdPartition>("opts.partition", o.partition, PARTITIONS, "order"),
    rule: choice<BcdRule>("opts.rule", o.rule, Object.keys(RULES), "cyclic"),
    update: choice<BcdUpdate>("opts.update", o.update, Object.keys(UPDATES), "newton"),
    activeSet,
    workingSet,
    tol: nonNegative("opts.tol", o.tol ?? 1e-6),
    seed,
  };
}

/** Coordinates in blocks: "order" by index, "sort" by curvature, "avg" dealt so each block's mean curvature is alike. */
function partitionBlocks(kind: "order" | "sort" | "avg", coordL: Float64Array, tau: number): Int32Array[] {
  const m = coordL.length, nb = Math.ceil(m / tau);
  const ids = Array.from({ length: m }, (_, i) => i);
  if (kind === "order") return Array.from({ length: nb }, (_, b) => Int32Array.from(ids.slice(b * tau, (b + 1) * tau)));
  ids.sort((a, b) => coordL[b] - coordL[a] || a - b);
  if (kind === "sort") return Array.from({ length: nb }, (_, b) => Int32Array.from(ids.slice(b * tau, (b + 1) * tau)).sort());
  // Snake order (0…nb−1, nb−1…0, …): the largest curvatures spread across blocks.
  const blocks: number[][] = Array.from({ length: nb }, () => []);
  ids.forEach((c, r) => {
    const round = Math.floor(r / nb), pos = r % nb;
    blocks[round % 2 === 0 ? pos : nb - 1 - pos].push(c);
  });
  return blocks.map((b) => Int32Array.from(b).sort());
}

export async function bcdSolve(e: Engine, problem: unknown, opts: BcdOptions = {}): Promise<BcdResult> {
  if (problem === null || typeof problem !== "object") throw new NumlaneError("invalid-type", "expected { loss, ... }", "problem");
  const loss = choice<BcdLoss>("problem.loss", (problem as { loss?: unknown }).loss ?? "", ["least-squares", "logistic", "softmax", "label-propagation"], "least-squares");
  checkOptions("problem", problem as Extract<BcdProblem, { loss: typeof loss }>, PROBLEM_KEYS[loss]);
  const pr = problem as { A: unknown; b?: unknown; y?: unknown; classes?: unknown; penalty?: unknown };
  const pen = readPenalty(pr.penalty);
  const o = readOptions(opts);
  if (loss === "label-propagation") {
    if (o.workingSet) checkWorkingSet(loss, pen, opts);
    // Its own defaults: forest blocks minimised exactly by message passing.
    const lo = { ...o, partition: opts.partition ?? "forest", update: opts.update ?? "message-passing" };
    return labelPropagation(e, problem as Record<string, unknown>, pen, lo, opts);
  }
  // Least squares takes a CsrMatrix as it is (its kernel works over the nonzeros); the other losses densify it.
  const given = toMatrix("problem.A", pr.A);
  const S = loss === "least-squares" && given instanceof CsrMatrix ? given : undefined;
  const D = S ? undefined : given instanceof CsrMatrix ? given.toDense() : given;
  const n = given.rows, p = given.cols;
  if (n === 0 || p === 0) throw new NumlaneError("invalid-size", `A is ${n}×${p}: nothing to fit`, "problem.A");
  allFinite("problem.A", (S ?? D!).data);
  refuseUnsafeScale("problem.A", (S ?? D!).data);
  let target: Float64Array, K = 1;
  if (loss === "least-squares") {
    target = float64Array("problem.b", pr.b);
    if (target.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries to match A's rows, got ${target.length}`, "problem.b");
    allFinite("problem.b", target);
    refuseUnsafeScale("problem.b", target);
  } else if (loss === "logistic") {
    target = float64Array("problem.y", pr.y);
    if (target.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} labels to match A's rows, got ${target.length}`, "problem.y");
    for (let i = 0; i < n; i++) if (target[i] !== 1 && target[i] !== -1) throw new NumlaneError("invalid-value", `labels must be −1 or 1; y[${i}] is ${target[i]}`, "problem.y");
  } else {
    K = integer("problem.classes", pr.classes, 2, 1 << 16);
    const y = pr.y as ArrayLike<number>;
    if (y === null || typeof y !== "object" || typeof y.length !== "number") throw new NumlaneError("invalid-type", "expected an array of class indices", "problem.y");
    if (ArrayBuffer.isView(y)) checkAttached("problem.y", y);
    if (y.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} labels to match A's rows, got ${y.length}`, "problem.y");
    target = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = y[i];
      if (!Number.isInteger(v) || v < 0 || v >= K) throw new NumlaneError("invalid-value", `labels must be integers in 0..${K - 1}; y[${i}] is ${v}`, "problem.y");
      target[i] = v;
    }
  }
  if (o.workingSet) {
    const rule = checkWorkingSet(loss, pen, opts);
    const x0 = startingPoint(opts.x0, p);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000 * p, 1, Number.MAX_SAFE_INTEGER);
    return workingSetLasso(e, (S ?? D)!, target, pen, rule, o, x0, maxIter, opts);
  }
  const m = p * K;
  if (o.partition === "red-black" || o.partition === "forest") unsupported(`partition "${o.partition}" is for label propagation (a graph's variables)`, "opts.partition");
  if (!UPDATES[o.update].kernel) unsupported(`update "${o.update}" is for label propagation on forest-structured blocks`, "opts.update");
  const variable = o.partition === "variable";
  const rule = RULES[o.rule];
  if (variable && !rule.greedy) unsupported(`variable blocks are chosen by a greedy rule; rule "${o.rule}" needs a fixed partition`, "opts.rule");
  if (variable && rule.notVariable !== undefined) unsupported(rule.notVariable, "opts.rule");
  if (o.activeSet && pen.l1 === 0 && !pen.nonnegative) unsupported("activeSet needs an l1 penalty or nonnegative: without them there is no active set to identify", "opts.activeSet");
  const tau = integer("opts.blockSize", (opts as BcdOptions).blockSize ?? 1, 1, Math.min(m, MAX_BLOCK));
  let x0: Float64Array | undefined;
  if (opts.x0 !== undefined) {
    x0 = startingPoint(opts.x0, m)!;
    if (pen.nonnegative && x0.some((v) => v < 0)) throw new NumlaneError("invalid-value", "must be ≥ 0 with penalty.nonnegative", "opts.x0");
  }

  const hscale = LOSSES[loss].hscale;
  const nb = variable ? 0 : Math.ceil(m / tau);
  const epochLen = variable ? Math.ceil(m / tau) : nb;
  const maxIter = integer("opts.maxIter", opts.maxIter ?? Math.min(1000 * epochLen, 2 ** 31 - 1), 1, 2 ** 31 - 1);
  const historyCap = Math.min(Math.ceil(maxIter / epochLen) + 1, HISTORY_CAP);

  // What the call needs in wasm memory, checked before anything that size is allocated.
  const threads = e.threadsFor(8 * (S ? S.nnz : n * p) * K, opts);
  const cacheCols = loss === "least-squares" ? Math.min(p, Math.max(tau, Math.floor(GRAM_CACHE_BYTES / (8 * p)))) : 0;
  const shape = { loss: code(kernels.BcdLossCode, loss), n, p, kk: K, nb, rule: code(kernels.BcdRuleCode, o.rule), tau, cacheCols };
  // A sparse A goes in by rows and by columns (CSR of A and of Aᵀ).
  const inputBytes = (S ? 4 * (n + p + 2) + 24 * S.nnz + 6 * 64 : 8 * n * p + 64) + 8 * n + 4 * (nb + 1) + 4 * Math.max(m, 1) + 3 * 64;
  const bytes = 8 * (m + historyCap) + 2 * 64 + (D ? columnMajorBytes(e, D) : 0) + e.launchBytes(kernels.bcd_f64, shape, threads);
  if (inputBytes + bytes > MAXIMUM_BYTES) {
    throw new NumlaneError("out-of-memory", `A is ${n}×${p}${S ? ` with ${S.nnz} nonzeros` : ""}: nl.bcd needs ${((inputBytes + bytes) / 2 ** 30).toFixed(2)} GiB, more than wasm's ${MAXIMUM_BYTES / 2 ** 30} GiB${S ? "" : "; a sparse A (CsrMatrix) needs only its nonzeros"}`, "problem.A");
  }

  // Coordinate curvature bounds for the partition (the kernel recomputes them from A).
  const coordL = new Float64Array(m), norms = columnSquares(S ?? D!);
  for (let j = 0; j < p; j++) for (let k = 0; k < K; k++) coordL[k * p + j] = (hscale * norms[j]) / n + pen.l2;
  const blocks = variable ? [] : partitionBlocks(o.partition as "order" | "sort" | "avg", coordL, tau);
  const blockPtr = new Int32Array(nb + 1), blockIdx = new Int32Array(Math.max(m, 1));
  blocks.forEach((b, i) => { blockIdx.set(b, blockPtr[i]); blockPtr[i + 1] = blockPtr[i] + b.length; });
  const T = S?.transpose();
  const inputs: ArrayBufferView[] = S && T ? [S.indptr, S.indices, S.data, T.indptr, T.indices, T.data] : [D!.data];
  const scope = await e.scope({ signal: opts.signal, long: true }, [...inputs, target, blockPtr, blockIdx], bytes);
  try {
    const a = D ? await columnMajor(e, scope, D, opts) : 0;
    const csr = S && T ? { sparse: 1, rowPtr: scope.input(S.indptr), rowIdx: scope.input(S.indices), rowVal: scope.input(S.data), colPtr: scope.input(T.indptr), colIdx: scope.input(T.indices), colVal: scope.input(T.data) }
      : { sparse: 0, rowPtr: 0, rowIdx: 0, rowVal: 0, colPtr: 0, colIdx: 0, colVal: 0 };
    const x = scope.alloc(8 * m), history = scope.alloc(8 * historyCap);
    if (x0) e.heap.f64.set(x0, x >> 3); else e.heap.f64.fill(0, x >> 3, (x >> 3) + m);
    const r = await scope.launch(kernels.bcd_f64, {
      ...shape, ...csr, a, target: scope.input(target), x, blockPtr: scope.input(blockPtr), blockIdx: scope.input(blockIdx),
      update: code(kernels.BcdUpdateCode, o.update as Exclude<BcdUpdate, "message-passing">), l1: pen.l1, l2: pen.l2, nonneg: pen.nonnegative ? 1 : 0, activeSet: o.activeSet ? 1 : 0,
      hscale, tol: o.tol, maxIter, seed: o.seed, history, historyCap,
    }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
    return result(e, r, x, m, history, historyCap);
  } finally {
    scope.free();
  }
}
