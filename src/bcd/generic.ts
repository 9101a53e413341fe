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
import { chunkCount, CHUNK, HISTORY_CAP, reasonName, type CallOptions, type Engine, type TurnScope } from "../engine.js";
import { CsrMatrix, DenseMatrix, toMatrix } from "../matrix.js";
import { CallScope } from "../runtime/heap.js";
import { allFinite, callOptionKeys, checkAttached, checkOptions, float64Array, integer, nonNegative, type OptionKeys } from "../validate.js";
import { refuseUnsafeScale } from "../sketch.js";
import { labelPropagation } from "./labelprop.js";

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
  /** Skip coordinates at zero that are strictly optimal there, re-examined at each epoch (needs l1 or nonnegative). */
  activeSet?: boolean;
  /** Starting point (default zeros); for softmax x[k·p + j]. Never modified. */
  x0?: Float64Array;
  /** Stop when the largest optimality violation ≤ tol × the one at x0 (default 1e-6). */
  tol?: number;
  /** Most block updates (default 1000 epochs: 1000 × the number of blocks). */
  maxIter?: number;
  /** Seed for the random and permutation rules (default 0): same seed, same bits on any thread count. */
  seed?: number;
}
const BCD_KEYS = callOptionKeys<BcdOptions>({
  partition: true, blockSize: true, rule: true, update: true, activeSet: true, x0: true, tol: true, maxIter: true, seed: true,
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

const LOSS = { "least-squares": 0, logistic: 1, softmax: 2 } as const;
const RULES: Record<BcdRule, number> = { cyclic: 0, random: 1, permutation: 2, lipschitz: 3, gs: 4, gsl: 5, gsd: 6, gsq: 7 };
const UPDATES: Record<string, number> = { lipschitz: 0, "line-search": 1, newton: 2 };
const PARTITIONS = ["order", "sort", "avg", "variable", "red-black", "forest"];
/** G = AᵀA is kept whole: p ≤ this. */
const MAX_FEATURES = 4096;
const MAX_BLOCK = 256;

// Parameter block slots (assembly/bcd/block.ts, P_*).
const P = {
  LOSS: 0, N: 1, P: 2, K: 3, A: 4, TARGET: 5, G: 6, C: 7, X: 8, GRAD: 9, Z: 10, PSI: 11, NB: 12, BLOCK_PTR: 13,
  BLOCK_IDX: 14, BLOCK_L: 15, BLOCK_LHAT: 16, COORD_L: 17, CUM_L: 18, PERM: 19, FACTORS: 20, FACTOR_PTR: 21,
  ACTIVE: 22, SCRATCH: 23, SCRATCH_STRIDE: 24, PARTIALS: 25, SLOTS: 26, HISTORY: 27, HISTORY_CAP: 28, OUT: 29,
  RULE: 30, UPDATE: 31, TAU: 32, L1: 33, L2: 34, NONNEG: 35, ACTIVE_SET: 36, TOL: 37, MAX_ITER: 38, SEED: 39,
  HSCALE: 40, COUNT: 41,
} as const;

/** Bytes for the named f64 / i32 arrays (for CallScope's up-front check). */
export function bytesFor(f64s: Record<string, number>, i32s: Record<string, number>): number {
  let bytes = 0;
  for (const v of Object.values(f64s)) bytes += 8 * v + 64;
  for (const v of Object.values(i32s)) bytes += 4 * v + 64;
  return bytes;
}

/** Allocates every named array in the scope; returns their addresses by name. */
export function allocate(scope: CallScope, f64s: Record<string, number>, i32s: Record<string, number>): Record<string, number> {
  const ptrs: Record<string, number> = {};
  for (const [k, v] of Object.entries(f64s)) ptrs[k] = scope.alloc(8 * v);
  for (const [k, v] of Object.entries(i32s)) ptrs[k] = scope.alloc(4 * v);
  return ptrs;
}

/** Runs a BCD kernel on its parameter block and reads its result block (slots 0 iterations, 1 reason, 2 violation, 4 objective, 6 epochs). */
export async function launch(scope: TurnScope, kernel: string, prm: Float64Array, ptrs: Record<string, number>, length: number, historyCap: number, threads: number, opts: BcdOptions): Promise<BcdResult> {
  scope.heap.f64.set(prm, ptrs.PARAMS >> 3);
  await scope.run(kernel, [ptrs.PARAMS], { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
  const h = scope.heap.f64, out = ptrs.OUT >> 3;
  const reason = bcdReason(h[out + 1]);
  return {
    x: h.slice(ptrs.X >> 3, (ptrs.X >> 3) + length),
    objective: h[out + 4],
    iterations: h[out],
    converged: reason === "converged",
    reason,
    violation: h[out + 2],
    history: h.slice(ptrs.HISTORY >> 3, (ptrs.HISTORY >> 3) + Math.min(h[out + 6], historyCap)),
  };
}

/** The reason a coordinate-descent kernel stopped, by its code (the shared table). */
export function bcdReason(code: number): BcdReason {
  return reasonName(code) as BcdReason;
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

function unsupported(message: string, argument: string): never {
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
  const seed = integer("opts.seed", o.seed ?? 0, 0, Number.MAX_SAFE_INTEGER);
  return {
    partition: choice<BcdPartition>("opts.partition", o.partition, PARTITIONS, "order"),
    rule: choice<BcdRule>("opts.rule", o.rule, Object.keys(RULES), "cyclic"),
    update: choice<BcdUpdate>("opts.update", o.update, ["lipschitz", "line-search", "newton", "message-passing"], "newton"),
    activeSet,
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
    // Its own defaults: forest blocks minimised exactly by message passing.
    const lo = { ...o, partition: opts.partition ?? "forest", update: opts.update ?? "message-passing" };
    return labelPropagation(e, problem as Record<string, unknown>, pen, lo, opts);
  }
  const D = denseOf("problem.A", pr.A);
  const n = D.rows, p = D.cols;
  if (n === 0 || p === 0) throw new NumlaneError("invalid-size", `A is ${n}×${p}: nothing to fit`, "problem.A");
  if (p > MAX_FEATURES) unsupported(`A has ${p} columns; nl.bcd keeps AᵀA whole and takes at most ${MAX_FEATURES}`, "problem.A");
  allFinite("problem.A", D.data);
  refuseUnsafeScale("problem.A", D.data);
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
  const m = p * K;
  if (o.partition === "red-black" || o.partition === "forest") unsupported(`partition "${o.partition}" is for label propagation (a graph's variables)`, "opts.partition");
  if (o.update === "message-passing") unsupported(`update "message-passing" is for label propagation on forest-structured blocks`, "opts.update");
  const variable = o.partition === "variable";
  const greedy = ["gs", "gsl", "gsd", "gsq"].includes(o.rule);
  if (variable && !greedy) unsupported(`variable blocks are chosen by a greedy rule; rule "${o.rule}" needs a fixed partition`, "opts.rule");
  if (variable && o.rule === "gsq") unsupported(`rule "gsq" with variable blocks (a combinatorial choice) is not built; use "gsd" or a fixed partition`, "opts.rule");
  if (o.activeSet && pen.l1 === 0 && !pen.nonnegative) unsupported("activeSet needs an l1 penalty or nonnegative: without them there is no active set to identify", "opts.activeSet");
  const tau = integer("opts.blockSize", (opts as BcdOptions).blockSize ?? 1, 1, Math.min(m, MAX_BLOCK));
  let x0: Float64Array | undefined;
  if (opts.x0 !== undefined) {
    x0 = float64Array("opts.x0", opts.x0);
    if (x0.length !== m) throw new NumlaneError("invalid-shape", `expected ${m} entries, got ${x0.length}`, "opts.x0");
    allFinite("opts.x0", x0);
    if (pen.nonnegative && x0.some((v) => v < 0)) throw new NumlaneError("invalid-value", "must be ≥ 0 with penalty.nonnegative", "opts.x0");
  }

  // Coordinate curvature bounds for the partition (the kernel recomputes them from AᵀA).
  const hscale = loss === "least-squares" ? 1 : loss === "logistic" ? 0.25 : 0.5;
  const coordL = new Float64Array(m);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += D.get(i, j) ** 2;
    for (let k = 0; k < K; k++) coordL[k * p + j] = (hscale * s) / n + pen.l2;
  }
  const blocks = variable ? [] : partitionBlocks(o.partition as "order" | "sort" | "avg", coordL, tau);
  const nb = blocks.length;
  const epochLen = variable ? Math.ceil(m / tau) : nb;
  const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000 * epochLen, 1, 2 ** 31 - 1);
  const historyCap = Math.min(Math.ceil(maxIter / epochLen) + 1, HISTORY_CAP);

  const threads = loss === "least-squares" ? e.threadsFor(8 * p * p * 8, opts) : e.threadsFor(8 * n * p * K, opts);
  const chunks = chunkCount(n);
  const scratchStride = 3 * tau * tau + 6 * tau + 2 * K + CHUNK * (1 + 2 * K) + 8;
  const factorPtr = new Int32Array(nb + 1);
  blocks.forEach((b, i) => (factorPtr[i + 1] = factorPtr[i] + (o.rule === "gsq" ? b.length * b.length : 0)));
  const blockPtr = new Int32Array(nb + 1), blockIdx = new Int32Array(m);
  blocks.forEach((b, i) => { blockIdx.set(b, blockPtr[i]); blockPtr[i + 1] = blockPtr[i] + b.length; });
  const zpath = loss !== "least-squares";
  const f64s = {
    G: p * p, C: p, X: m, GRAD: m, Z: zpath ? K * n : 1, PSI: zpath ? K * n : 1, BLOCK_L: Math.max(nb, 1), BLOCK_LHAT: Math.max(nb, 1),
    COORD_L: m, CUM_L: Math.max(nb, 1), FACTORS: Math.max(factorPtr[nb], 1), ACTIVE: m, SCRATCH: threads * scratchStride,
    PARTIALS: (tau + tau * tau + 2) * chunks + 2 * chunks, SLOTS: threads * (4 + 2 * tau) + 2, HISTORY: historyCap, OUT: 8, PARAMS: P.COUNT,
  };
  const i32s = { BLOCK_PTR: nb + 1, BLOCK_IDX: Math.max(m, 1), PERM: Math.max(nb, 1), FACTOR_PTR: nb + 1 };
  const rowMajor = D.layout === "row-major";
  const bytes = 8 * (rowMajor ? n * p : 0) + bytesFor(f64s, i32s);
  const heap = e.heap;
  const scope = await e.scope({ signal: opts.signal, long: true }, [D.data, target], bytes);
  try {
    let ap = scope.input(D.data);
    if (rowMajor) {
      const t = scope.alloc(8 * n * p);
      await scope.run("transpose_f64", [ap, n, p, t], { signal: opts.signal, threads: e.threadsFor(16 * n * p, opts) });
      ap = t;
    }
    const tp = scope.input(target);
    const ptrs = allocate(scope, f64s, i32s);
    const f64 = heap.f64, i32 = heap.i32;
    if (x0) f64.set(x0, ptrs.X >> 3); else f64.fill(0, ptrs.X >> 3, (ptrs.X >> 3) + m);
    i32.set(blockPtr, ptrs.BLOCK_PTR >> 2);
    i32.set(blockIdx, ptrs.BLOCK_IDX >> 2);
    i32.set(factorPtr, ptrs.FACTOR_PTR >> 2);
    f64.fill(0, ptrs.OUT >> 3, (ptrs.OUT >> 3) + 8);
    const prm = new Float64Array(P.COUNT);
    Object.assign(prm, {
      [P.LOSS]: LOSS[loss], [P.N]: n, [P.P]: p, [P.K]: K, [P.A]: ap, [P.TARGET]: tp, [P.G]: ptrs.G, [P.C]: ptrs.C, [P.X]: ptrs.X,
      [P.GRAD]: ptrs.GRAD, [P.Z]: ptrs.Z, [P.PSI]: ptrs.PSI, [P.NB]: nb, [P.BLOCK_PTR]: ptrs.BLOCK_PTR, [P.BLOCK_IDX]: ptrs.BLOCK_IDX,
      [P.BLOCK_L]: ptrs.BLOCK_L, [P.BLOCK_LHAT]: ptrs.BLOCK_LHAT, [P.COORD_L]: ptrs.COORD_L, [P.CUM_L]: ptrs.CUM_L, [P.PERM]: ptrs.PERM,
      [P.FACTORS]: ptrs.FACTORS, [P.FACTOR_PTR]: ptrs.FACTOR_PTR, [P.ACTIVE]: ptrs.ACTIVE, [P.SCRATCH]: ptrs.SCRATCH,
      [P.SCRATCH_STRIDE]: scratchStride, [P.PARTIALS]: ptrs.PARTIALS, [P.SLOTS]: ptrs.SLOTS, [P.HISTORY]: ptrs.HISTORY,
      [P.HISTORY_CAP]: historyCap, [P.OUT]: ptrs.OUT, [P.RULE]: RULES[o.rule], [P.UPDATE]: UPDATES[o.update], [P.TAU]: tau,
      [P.L1]: pen.l1, [P.L2]: pen.l2, [P.NONNEG]: pen.nonnegative ? 1 : 0, [P.ACTIVE_SET]: o.activeSet ? 1 : 0, [P.TOL]: o.tol,
      [P.MAX_ITER]: maxIter, [P.SEED]: o.seed, [P.HSCALE]: hscale,
    });
    return await launch(scope, "bcd_f64", prm, ptrs, m, historyCap, threads, opts);
  } finally {
    scope.free();
  }
}
