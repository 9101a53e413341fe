// nl.lasso and nl.lassoPath: scikit-learn's ElasticNet objective
//   1/(2n)‖b − c − A·x‖² + λρ‖x‖₁ + ½λ(1 − ρ)‖x‖²   (ρ = l1Ratio, 1: the lasso)
// by cyclic coordinate descent with its duality-gap stopping rule. The host
// folds sample weights and the intercept c into the design as scikit-learn
// does (weights rescaled to sum to n; rows by √w; weighted means taken off),
// then runs one of three kernels: over dense columns (assembly/bcd/lasso.ts),
// over a sparse design's nonzeros by columns with the centring kept implicit
// (lasso_csc.ts), or from the Gram matrix when samples outnumber features
// (lasso_gram.ts).
import { NumlaneError } from "../errors.js";
import { HISTORY_CAP, type CallOptions, type Engine, type TurnScope } from "../engine.js";
import { CsrMatrix, DenseMatrix, toMatrix } from "../matrix.js";
import * as K from "../generated/kernels.js";
import { allFinite, boolean, callOptionKeys, checkAttached, checkOptions, finiteNumber, float64Array, integer, nonNegative, positive, requireOptions } from "../validate.js";
import { ldexp, unsafeExponent } from "../sketch.js";
import { bcdReason, columnMajor, columnMajorBytes, startingPoint, type BcdResult } from "./generic.js";

export interface LassoOptions extends CallOptions {
  /** The penalty weight λ ≥ 0 (scikit-learn's alpha). */
  lambda: number;
  /** ρ ∈ [0, 1]: the L1 share of the penalty (scikit-learn's l1_ratio); below 1 the elastic net. Default 1. */
  l1Ratio?: number;
  /** Fit an unpenalized intercept c (scikit-learn's fit_intercept); default true. */
  fitIntercept?: boolean;
  /** Per-sample weights ≥ 0 (not all 0), rescaled to sum to n as scikit-learn does; default all 1. Never modified. */
  sampleWeight?: Float64Array | number[];
  /** Constrain x ≥ 0 (scikit-learn's positive); default false. */
  positive?: boolean;
  /**
   * Work from the Gram matrix AᵀA (scikit-learn's precompute): a step costs
   * O(p) instead of O(n) after forming it once (n·p²/2 multiply-adds).
   * "auto" (default): for lassoPath when n > p (as scikit-learn's
   * lasso_path) and p ≤ 4096; never for one lasso fit (as scikit-learn's
   * Lasso: a fit of a few sweeps does not repay G). Dense designs only.
   */
  precompute?: "auto" | boolean;
  /**
   * With the Gram matrix: form and sweep it only over a working set of
   * columns (default false). The set starts from the sequential strong rule
   * (Tibshirani et al. 2012: |ã_jᵀr| ≥ 2λ − λ_prev at the last checked fit)
   * and each fit is checked against every column (Ãᵀr): a column that breaks
   * the optimality conditions joins the set and the fit is redone, so every
   * answer is the one the whole Gram matrix would give, within tol. Pays when
   * the answers stay sparse (G costs n·|W|²/2 instead of n·p²/2).
   */
  workingSet?: boolean;
  /**
   * Gap-safe screening (Fercoq, Gramfort & Salmon 2015) in every kernel
   * (default true): at each duality-gap check, columns whose
   * coefficient the gap proves to be 0 at the optimum are set to 0 and left
   * out of the following sweeps. The answer is the same within tol.
   */
  screening?: boolean;
  /** Full sweeps over the coordinates; default 1000 (as scikit-learn). */
  maxIter?: number;
  /** Stop when the duality gap ≤ tol·‖b‖²/n (b weighted and centred; scikit-learn's rule); default 1e-4. */
  tol?: number;
  /** Starting point (default zeros). Never modified. */
  x0?: Float64Array;
}
const FIT_KEYS = { l1Ratio: true, fitIntercept: true, sampleWeight: true, positive: true, precompute: true, workingSet: true, screening: true, maxIter: true, tol: true, x0: true } as const;
const LASSO_KEYS = callOptionKeys<LassoOptions>({ lambda: true, ...FIT_KEYS });

export interface LassoPathOptions extends Omit<LassoOptions, "lambda"> {
  /** The λ to fit, in the order given (best decreasing, for warm starts). */
  lambdas?: ArrayLike<number>;
  /** Without lambdas: how many, log-spaced from λ_max (where x = 0) down to eps·λ_max; default 100. */
  nLambdas?: number;
  /** Default 1e-3 (scikit-learn's). */
  eps?: number;
}
const LASSO_PATH_KEYS = callOptionKeys<LassoPathOptions>({ lambdas: true, nLambdas: true, eps: true, ...FIT_KEYS });

/** A lasso fit: BcdResult plus the intercept (0 without fitIntercept). */
export interface LassoResult extends BcdResult {
  intercept: number;
}

export interface LassoPathResult {
  lambdas: Float64Array;
  /** One fit per λ, in the same order. */
  fits: LassoResult[];
}

/**
 * The design the kernels see, Ã = diag(s)·(A − 1·μᵀ): dense (formed in wasm
 * memory by the fit when s or μ is given), or sparse by columns (s and μ kept apart).
 */
type Design =
  | { kind: "dense"; D: DenseMatrix; s?: Float64Array; mu?: Float64Array }
  | { kind: "csc"; colptr: Int32Array; rows: Int32Array; vals: Float64Array; s: Float64Array; mu: Float64Array };

interface Prepared {
  design: Design;
  /** The target the kernels see: s⊙(b − ȳ). */
  b: Float64Array;
  n: number;
  p: number;
  /** Column means and target mean taken off (undefined: no intercept). */
  xMean?: Float64Array;
  yMean: number;
  /** Powers of two the raw A and b were scaled by (0: none; see prepare). */
  ea: number;
  eb: number;
  x0?: Float64Array;
  l1Ratio: number;
  positive: boolean;
  precompute: "auto" | boolean;
  workingSet: boolean;
  screening: boolean;
  maxIter: number;
  tol: number;
}

export async function lasso(e: Engine, A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoOptions): Promise<LassoResult> {
  requireOptions("opts", opts, LASSO_KEYS);
  const lambda = nonNegative("opts.lambda", opts.lambda);
  const prep = prepare(A, b, opts);
  return (await fitAll(e, prep, [lambda], opts))[0];
}

/**
 * The fits along a decreasing sequence of λ (scikit-learn's lasso_path): by
 * default nLambdas values log-spaced from λ_max = max|Ãᵀb̃|/(nρ), where x = 0,
 * down to eps·λ_max; each fit starts from the previous solution.
 */
export async function lassoPath(e: Engine, A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoPathOptions = {}): Promise<LassoPathResult> {
  checkOptions("opts", opts, LASSO_PATH_KEYS);
  // Everything is checked before the grid's kernel runs.
  const prep = prepare(A, b, opts);
  let lambdas: number[];
  if (opts.lambdas !== undefined) {
    for (const k of ["nLambdas", "eps"] as const) if (opts[k] !== undefined) throw new NumlaneError("invalid-value", `${k} builds a grid; lambdas gives one`, `opts.${k}`);
    if (!Array.isArray(opts.lambdas) && !ArrayBuffer.isView(opts.lambdas)) throw new NumlaneError("invalid-type", "expected an array of λ ≥ 0", "opts.lambdas");
    lambdas = Array.from(opts.lambdas as ArrayLike<number>, (v, i) => nonNegative(`opts.lambdas[${i}]`, v));
    if (lambdas.length === 0) throw new NumlaneError("invalid-size", "expected at least one λ", "opts.lambdas");
  } else {
    const count = integer("opts.nLambdas", opts.nLambdas ?? 100, 1, 10_000);
    // eps = 0 would put λ = 0 (least squares) after λ_max: log-spacing needs eps > 0, as scikit-learn.
    const eps = positive("opts.eps", opts.eps ?? 1e-3);
    if (prep.l1Ratio === 0) throw new NumlaneError("invalid-value", "with l1Ratio 0 there is no λ_max to start a grid from: give lambdas", "opts.l1Ratio");
    // Summed at the safe scale prepare chose, then scaled back exactly.
    const lmax = ldexp(maxCorrelation(prep) / (prep.n * prep.l1Ratio), prep.ea + prep.eb);
    // The grid comes from wasm: JavaScript's ** differs in the last bit between engines.
    const shape = { hi: lmax, ratio: eps, count };
    const scope = await e.scope({}, [], 8 * count + 64 + e.launchBytes(K.logspace_f64, shape, 1));
    try {
      const grid = scope.alloc(8 * count);
      await scope.launch(K.logspace_f64, { ...shape, grid });
      lambdas = Array.from(e.heap.f64.subarray(grid >> 3, (grid >> 3) + count));
    } finally {
      scope.free();
    }
  }
  const fits = await fitAll(e, prep, lambdas, opts);
  return { lambdas: Float64Array.from(lambdas), fits };
}

/** max_j |ã_jᵀb̃|: where the path's x leaves 0. */
function maxCorrelation({ design, b, n, p }: Prepared): number {
  let top = 0;
  if (design.kind === "dense") {
    // ã_jᵀb̃ = Σ_i a_ij·s_i·b̃_i − μ_j·sᵀb̃.
    const { D, s, mu } = design, g = new Float64Array(p), sb = s ? b.map((v, i) => s[i] * v) : b;
    if (D.layout === "row-major") for (let i = 0, k = 0; i < n; i++) for (let j = 0; j < p; j++, k++) g[j] += D.data[k] * sb[i];
    else for (let j = 0, k = 0; j < p; j++) for (let i = 0; i < n; i++, k++) g[j] += D.data[k] * sb[i];
    let total = 0;
    if (mu) for (let i = 0; i < n; i++) total += sb[i];
    for (let j = 0; j < p; j++) top = Math.max(top, Math.abs(mu ? g[j] - mu[j] * total : g[j]));
  } else {
    const { colptr, rows, vals, s, mu } = design;
    let sb = 0;
    for (let i = 0; i < n; i++) sb += s[i] * b[i];
    for (let j = 0; j < p; j++) {
      let g = 0;
      for (let k = colptr[j]; k < colptr[j + 1]; k++) g += vals[k] * b[rows[k]];
      top = Math.max(top, Math.abs(g - mu[j] * sb));
    }
  }
  return top;
}

/** Sample weights checked and rescaled to sum to n (scikit-learn's); undefined: all 1. */
function sampleWeights(w: unknown, n: number): Float64Array | undefined {
  if (w === undefined) return undefined;
  if (Array.isArray(w)) {
    const bad = w.findIndex((v) => typeof v !== "number");
    if (bad >= 0) throw new NumlaneError("invalid-type", `weights must be numbers; entry ${bad} is ${typeof w[bad]}`, "opts.sampleWeight");
  }
  const v = Array.isArray(w) ? Float64Array.from(w) : float64Array("opts.sampleWeight", w);
  if (v.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} weights to match A's rows, got ${v.length}`, "opts.sampleWeight");
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!(v[i] >= 0) || v[i] === Infinity) throw new NumlaneError("invalid-value", `weights must be finite and ≥ 0; entry ${i} is ${v[i]}`, "opts.sampleWeight");
    sum += v[i];
  }
  if (!(sum > 0)) throw new NumlaneError("invalid-value", "the weights are all 0: nothing to fit", "opts.sampleWeight");
  return v.map((x) => x * (n / sum));
}

/**
 * A, b and the fit options checked (before any kernel runs) and turned into
 * the kernels' problem. Entries of A or b past 2^±SAFE_EXPONENT (their sums of
 * squares would overflow or underflow) are first scaled by exact powers of
 * two, A·2^−ea and b·2^−eb; fitAll scales the answers back.
 */
function prepare(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: Omit<LassoOptions, "lambda">): Prepared {
  const M = toMatrix("A", A);
  const n = M.rows, p = M.cols;
  if (n === 0 || p === 0) throw new NumlaneError("invalid-size", `A is ${n}×${p}: nothing to fit`, "A");
  allFinite("A", M.data);
  float64Array("b", b);
  if (b.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries to match A's rows, got ${b.length}`, "b");
  allFinite("b", b);
  const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000, 1, 2 ** 30);
  const tol = nonNegative("opts.tol", opts.tol ?? 1e-4);
  const x0 = startingPoint(opts.x0, p, " (A's columns)");
  const l1Ratio = finiteNumber("opts.l1Ratio", opts.l1Ratio ?? 1);
  if (!(l1Ratio >= 0 && l1Ratio <= 1)) throw new NumlaneError("invalid-value", `expected a number in [0, 1], got ${l1Ratio}`, "opts.l1Ratio");
  const fitIntercept = boolean("opts.fitIntercept", opts.fitIntercept ?? true);
  const pos = boolean("opts.positive", opts.positive ?? false);
  const precompute = opts.precompute ?? "auto";
  if (precompute !== "auto" && typeof precompute !== "boolean") throw new NumlaneError("invalid-value", `expected "auto", true or false, got ${String(precompute)}`, "opts.precompute");
  const workingSet = boolean("opts.workingSet", opts.workingSet ?? false);
  const screening = boolean("opts.screening", opts.screening ?? true);
  if (precompute === true && M instanceof CsrMatrix) throw new NumlaneError("unsupported", "the Gram matrix is for dense designs", "opts.precompute");
  const w = sampleWeights(opts.sampleWeight, n);
  if (opts.sampleWeight !== undefined && ArrayBuffer.isView(opts.sampleWeight)) checkAttached("opts.sampleWeight", opts.sampleWeight);

  const ea = unsafeExponent(M.data), eb = unsafeExponent(b);
  const raw = ea === 0 ? M.data : M.data.map((v) => ldexp(v, -ea));
  const rb = eb === 0 ? b : b.map((v) => ldexp(v, -eb));
  const s = w?.map(Math.sqrt);
  // Weighted means (the weights sum to n).
  let yMean = 0;
  if (fitIntercept) { for (let i = 0; i < n; i++) yMean += (w ? w[i] : 1) * rb[i]; yMean /= n; }
  const bt = !fitIntercept && !s ? rb : rb.map((v, i) => (s ? s[i] : 1) * (v - yMean));
  const xMean = fitIntercept ? new Float64Array(p) : undefined;
  const common = { b: bt, n, p, xMean, yMean, ea, eb, x0: x0?.map((v) => ldexp(v, ea - eb)), l1Ratio, positive: pos, precompute, workingSet, screening, maxIter, tol };

  if (M instanceof CsrMatrix) {
    // CSR of Aᵀ: A's columns.
    const T = new CsrMatrix(n, p, M.indptr, M.indices, raw).transpose();
    const vals = s ? T.data.map((v, k) => s[T.indices[k]] * v) : T.data;
    if (xMean) for (let j = 0; j < p; j++) { let m = 0; for (let k = T.indptr[j]; k < T.indptr[j + 1]; k++) m += (w ? w[T.indices[k]] : 1) * T.data[k]; xMean[j] = m / n; }
    const design: Design = { kind: "csc", colptr: T.indptr, rows: T.indices, vals, s: s ?? new Float64Array(n).fill(1), mu: xMean ?? new Float64Array(p) };
    return { design, ...common };
  }
  const D = ea === 0 ? M : new DenseMatrix(n, p, raw, M.layout);
  if (xMean) {
    const [si, sj] = M.layout === "row-major" ? [p, 1] : [1, n];
    for (let i = 0; i < n; i++) { const wi = w ? w[i] : 1; for (let j = 0; j < p; j++) xMean[j] += wi * raw[i * si + j * sj]; }
    for (let j = 0; j < p; j++) xMean[j] /= n;
  }
  return { design: { kind: "dense", D, s, mu: xMean }, ...common };
}

/**
 * A dense design's address in the scope, columns contiguous: A as is (or
 * transposed in wasm), or Ã = diag(s)·(A − 1·μᵀ) written straight into wasm
 * memory (a fresh JavaScript array of that size costs more than the fit's sweeps).
 */
async function denseDesign(e: Engine, scope: TurnScope, design: Extract<Design, { kind: "dense" }>, opts: CallOptions): Promise<number> {
  const { D, s, mu } = design;
  if (!s && !mu) return columnMajor(e, scope, D, opts);
  const n = D.rows, p = D.cols, rowMajor = D.layout === "row-major";
  const t = scope.alloc(8 * n * p), dst = rowMajor ? scope.alloc(8 * n * p) : t;
  const raw = scope.live(D.data);  // after the allocations, which may have grown the memory
  const at = e.heap.f64.subarray(t >> 3, (t >> 3) + n * p), m = mu ?? new Float64Array(p);
  if (rowMajor) for (let i = 0, k = 0; i < n; i++) { const si = s ? s[i] : 1; for (let j = 0; j < p; j++, k++) at[k] = si * (raw[k] - m[j]); }
  else for (let j = 0, k = 0; j < p; j++) { const mj = m[j]; for (let i = 0; i < n; i++, k++) at[k] = (s ? s[i] : 1) * (raw[k] - mj); }
  if (rowMajor) await scope.launch(K.transpose_f64, { src: t, rows: n, cols: p, dst }, { signal: opts.signal, threads: e.threadsFor(16 * n * p, opts) });
  return dst;
}

/** Bytes denseDesign allocates. */
function denseDesignBytes(e: Engine, design: Extract<Design, { kind: "dense" }>): number {
  const { D, s, mu } = design;
  if (!s && !mu) return columnMajorBytes(e, D);
  return (D.layout === "row-major" ? 2 : 1) * (8 * D.rows * D.cols + 64) + e.launchBytes(K.transpose_f64, {}, 1);
}

/** Fits for each λ in turn, warm-started, in the raw scale of A and b. */
async function fitAll(e: Engine, prep: Prepared, lambdas: number[], opts: CallOptions): Promise<LassoResult[]> {
  const { ea, eb, l1Ratio, xMean, yMean } = prep;
  // At the safe scale: l1 by 2^−(ea+eb), l2 by 2^−2ea, so that x·2^(ea−eb) minimises the scaled objective (× 2^−2eb).
  const pens = lambdas.map((l) => ({ l1: ldexp(l * l1Ratio, -ea - eb), l2: ldexp(l * (1 - l1Ratio), -2 * ea) }));
  const fits = await fit(e, prep, pens, lambdas.length > 1, opts);
  return fits.map((f) => {
    const x = ea === eb ? f.x : f.x.map((v) => ldexp(v, eb - ea));
    let c = 0;
    if (xMean) { c = yMean; for (let j = 0; j < x.length; j++) c -= xMean[j] * f.x[j]; c = ldexp(c, eb); }
    const k = 2 * eb;
    return {
      ...f, x, intercept: c, objective: ldexp(f.objective, k),
      gap: f.gap === undefined ? undefined : ldexp(f.gap, k), history: k === 0 ? f.history : f.history.map((v) => ldexp(v, k)),
    };
  });
}

const GRAM_AUTO_MAX_P = 4096;
/** f64 per fit in lasso_gram_f64's stats: iterations, reason, gap, ‖r‖². */
const GRAM_STATS = 4;

/** Whether to fit from the Gram matrix (see LassoOptions.precompute). */
function useGram(prep: Prepared, path: boolean): boolean {
  if (prep.design.kind !== "dense" || prep.precompute === false) return false;
  // "auto" keeps G (8p² bytes) within 128 MiB.
  return prep.precompute === true || (path && prep.p <= GRAM_AUTO_MAX_P && prep.n > prep.p);
}

/** One fit as a kernel left it: x, ‖b − Ã·x‖², the gap (objective units, × n) and the history. */
interface RawFit { x: Float64Array; rr: number; iterations: number; reason: number; gap: number; history: Float64Array }

/** Gram-path launches take at most this many f64 of answers (λs × p) at once. */
const GRAM_BATCH_VALUES = 1 << 22;

/** The kernels' fits for each penalty in turn (x warm-started in wasm memory); A, b and the workspace in wasm memory once. */
async function fit(e: Engine, prep: Prepared, pens: { l1: number; l2: number }[], path: boolean, opts: CallOptions): Promise<BcdResult[]> {
  const { design, b, n, p, maxIter, tol, x0 } = prep;
  let bb = 0;
  for (let i = 0; i < n; i++) bb += b[i] * b[i];
  const gram = useGram(prep, path), ws = gram && prep.workingSet;
  const heap = e.heap;
  const threads = design.kind === "dense" && !gram ? e.threadsFor(8 * n * 16, opts) : 1;
  const shape = { n, p };
  // A Gram-path launch fits a batch of λ; the others one λ each.
  const batch = ws ? Math.min(pens.length, WS_BATCH) : gram ? Math.max(1, Math.min(pens.length, Math.floor(GRAM_BATCH_VALUES / p))) : 1;
  // The Gram path keeps every fit's history in one launch: HISTORY_CAP in all.
  const historyCap = Math.min(maxIter, Math.max(1, Math.floor(HISTORY_CAP / batch)));
  let kernelBytes: number, inputs: ArrayBufferView[];
  if (design.kind === "csc") {
    kernelBytes = e.launchBytes(K.lasso_csc_f64, shape, 1);
    inputs = [design.colptr, design.rows, design.vals, design.s, design.mu, b];
  } else {
    const buildThreads = e.threadsFor(8 * n * p, opts);
    kernelBytes = denseDesignBytes(e, design) + (ws ? workingSetBytes(e, n, p, buildThreads)
      : gram ? 8 * (p * p + p + batch * (p + GRAM_STATS + 2)) + 6 * 64 + Math.max(e.launchBytes(K.syrk_f64, { n: p }, buildThreads), e.launchBytes(K.gemv_rows_f64, {}, buildThreads)) + e.launchBytes(K.lasso_gram_f64, shape, 1)
      : e.launchBytes(K.lasso_cd_f64, shape, threads));
    // Without s and μ, A goes in as it is; with them Ã is written in place (denseDesign), from A
    // read where it is: a view of wasm memory is registered (not copied) so that it can be re-made
    // should the scope's allocations grow the memory.
    inputs = design.s || design.mu ? (e.heap.owns(design.D.data) ? [design.D.data, b] : [b]) : [design.D.data, b];
  }
  const scope = await e.scope({ signal: opts.signal, long: true }, inputs, 8 * (n + p + batch * historyCap) + 3 * 64 + kernelBytes);
  try {
    const bp = scope.input(b);
    const rp = scope.alloc(8 * n);
    const xp = scope.alloc(8 * p);
    if (x0) heap.f64.set(x0, xp >> 3); else heap.f64.fill(0, xp >> 3, (xp >> 3) + p);
    const hp = scope.alloc(8 * batch * historyCap);
    const common = { p, x: xp, maxIter, tol: tol * bb, stepTol: tol, historyCap, positive: +prep.positive };
    const run = { signal: opts.signal, onProgress: opts.onProgress, long: true, threads };
    const f64 = () => heap.f64;
    const copy = (at: number, length: number) => e.copyOut(f64().subarray(at >> 3, (at >> 3) + length));
    /** The fit one launch of the residual-based kernels left. */
    const single = (out: { iterations: number; reason: number; gap: number }): RawFit => {
      let rr = 0;
      const v = f64();
      for (let i = 0; i < n; i++) rr += v[(rp >> 3) + i] ** 2;
      return { x: copy(xp, p), rr, ...out, history: copy(hp, Math.min(out.iterations, historyCap)) };
    };
    let fits: (first: number, count: number) => Promise<RawFit[]>;
    if (design.kind === "csc") {
      const csc = {
        colptr: scope.input(design.colptr), rows: scope.input(design.rows), vals: scope.input(design.vals),
        s: scope.input(design.s), mu: scope.input(design.mu), n, b: bp, r: rp, history: hp,
      };
      fits = async (k) => [single(await scope.launch(K.lasso_csc_f64, { ...csc, ...common, screen: +prep.screening, lambdaN: pens[k].l1 * n, l2N: pens[k].l2 * n }, run))];
    } else if (ws) {
      const a = await denseDesign(e, scope, design, opts);
      const all = await workingSetFits(e, scope, { a, b: bp, x: xp, n, p, bb, positive: prep.positive, screen: +prep.screening, pens, historyCap, history: hp, common, run }, opts);
      fits = async (first, count) => all.slice(first, first + count);
    } else if (gram) {
      const g = await gramOf(e, scope, await denseDesign(e, scope, design, opts), n, p, bp, opts);
      const l1s = scope.alloc(8 * batch), l2s = scope.alloc(8 * batch), xs = scope.alloc(8 * batch * p), stats = scope.alloc(8 * GRAM_STATS * batch);
      fits = async (first, count) => {
        for (let k = 0; k < count; k++) { f64()[(l1s >> 3) + k] = pens[first + k].l1 * n; f64()[(l2s >> 3) + k] = pens[first + k].l2 * n; }
        await scope.launch(K.lasso_gram_f64, { ...g, mirror: +(first === 0), bb, ...common, screen: +prep.screening, l1s, l2s, count, xs, stats, history: hp }, run);
        return Array.from({ length: count }, (_, k) => {
          const st = f64().subarray((stats >> 3) + GRAM_STATS * k, (stats >> 3) + GRAM_STATS * (k + 1));
          const [iterations, reason, gap, rr] = st;
          return { x: copy(xs + 8 * k * p, p), rr, iterations, reason, gap, history: copy(hp + 8 * k * historyCap, Math.min(iterations, historyCap)) };
        });
      };
    } else {
      const a = await denseDesign(e, scope, design, opts);
      fits = async (k) => [single(await scope.launch(K.lasso_cd_f64, { a, n, b: bp, r: rp, ...common, screen: +prep.screening, history: hp, lambdaN: pens[k].l1 * n, l2N: pens[k].l2 * n }, run))];
    }
    const results: BcdResult[] = [];
    for (let first = 0; first < pens.length; first += batch) {
      // x stays in wasm memory: each fit starts where the previous one ended.
      for (const [k, f] of (await fits(first, Math.min(batch, pens.length - first))).entries()) {
        const pen = pens[first + k], reason = bcdReason(f.reason);
        let l1 = 0, w2 = 0;
        for (let j = 0; j < p; j++) { l1 += Math.abs(f.x[j]); w2 += f.x[j] * f.x[j]; }
        results.push({
          x: f.x,
          objective: f.rr / (2 * n) + pen.l1 * l1 + 0.5 * pen.l2 * w2,
          iterations: f.iterations,
          converged: reason === "converged",
          reason,
          gap: f.gap / n,
          history: f.history.map((v) => v / n),
        });
      }
    }
    return results;
  } finally {
    scope.free();
  }
}

/** G = ÃᵀÃ (lower triangle) and q = Ãᵀb̃ in the scope. */
async function gramOf(e: Engine, scope: TurnScope, a: number, n: number, p: number, bp: number, opts: CallOptions): Promise<{ g: number; q: number }> {
  const g = scope.alloc(8 * p * p), q = scope.alloc(8 * p);
  const threads = e.threadsFor(8 * n * p, opts);
  await scope.launch(K.syrk_f64, { transA: 1, lower: 1, a, lda: n, c: g, ldc: p, n: p, k: n, alpha: 1, beta: 0 }, { signal: opts.signal, threads });
  await scope.launch(K.gemv_rows_f64, { a, lda: n, x: bp, y: q, m: p, n, alpha: 1, beta: 0 }, { signal: opts.signal, threads });
  return { g, q };
}

/** Most λ a working-set launch fits before their check (the first launches fit fewer, see workingSetFits). */
const WS_BATCH = 16;
/** The strong rule is taken at the WS_AHEAD-th λ of a batch (later ones may add violators). */
const WS_AHEAD = 4;
/** A working set past this share of the columns takes them all. */
const WS_ALL = 0.5;

/** Bytes workingSetFits allocates beyond x, b̃, Ã and the history. */
function workingSetBytes(e: Engine, n: number, p: number, threads: number): number {
  const lines = 12 * 64;
  return 8 * (n * p + 2 * p * p + 3 * p + WS_BATCH * (p + GRAM_STATS + 2) + WS_BATCH * (n + p)) + lines
    + Math.max(e.launchBytes(K.gemm_f64, {}, threads), e.launchBytes(K.syrk_f64, { n: p }, threads), e.launchBytes(K.gemv_rows_f64, {}, threads), e.launchBytes(K.lasso_gram_f64, { n, p }, 1));
}

interface WorkingSetProblem {
  /** Ã (n×p, columns contiguous), b̃ and x (x0 on entry) in the scope. */
  a: number; b: number; x: number; n: number; p: number; bb: number; positive: boolean; screen: number;
  pens: { l1: number; l2: number }[]; historyCap: number; history: number;
  common: { maxIter: number; tol: number; stepTol: number; historyCap: number; positive: number };
  run: { signal?: AbortSignal; onProgress?: CallOptions["onProgress"]; long: boolean; threads: number };
}

/**
 * The Gram path over a working set W (LassoOptions.workingSet). G_WW is kept
 * packed in W's order and grown by one GEMM per batch of new columns (the new
 * columns against all of W's: n·|W|·m multiply-adds); a batch of λ is fitted
 * by lasso_gram_f64 on (G_WW, Ã_Wᵀb̃), then checked against every column by
 * two GEMMs (R = b̃ − Ã_W·X_W, C = ÃᵀR). A fit is kept when no column
 * outside W has |ã_jᵀr| > λ (x ≥ 0: ã_jᵀr > λ): then its dual norm, hence its
 * gap, is the whole problem's. Otherwise the violators join W and the fits
 * from there are redone from the last kept one. The batch doubles after a
 * clean check and halves after a failed one.
 */
async function workingSetFits(e: Engine, scope: TurnScope, P: WorkingSetProblem, opts: CallOptions): Promise<RawFit[]> {
  const { a, n, p, bb, positive, pens } = P;
  const f64 = () => e.heap.f64;
  const blas = { signal: opts.signal, threads: e.threadsFor(8 * n * p, opts) };
  const qp = scope.alloc(8 * p);
  await scope.launch(K.gemv_rows_f64, { a, lda: n, x: P.b, y: qp, m: p, n, alpha: 1, beta: 0 }, blas);
  const q = f64().slice(qp >> 3, (qp >> 3) + p);
  const aw = scope.alloc(8 * n * p), gBuf = [scope.alloc(8 * p * p), scope.alloc(8 * p * p)];
  const qw = scope.alloc(8 * p), l1s = scope.alloc(8 * WS_BATCH), l2s = scope.alloc(8 * WS_BATCH);
  const xs = scope.alloc(8 * WS_BATCH * p), stats = scope.alloc(8 * GRAM_STATS * WS_BATCH);
  const R = scope.alloc(8 * n * WS_BATCH), C = scope.alloc(8 * p * WS_BATCH);
  const x = f64().slice(P.x >> 3, (P.x >> 3) + p);
  /** W in order, and each column's place in it (−1: outside). */
  const W: number[] = [], place = new Int32Array(p).fill(-1);
  let g = gBuf[0];

  /** Columns `add` join W: gathered into aw, G_WW grown into the other buffer. */
  const extend = async (add: number[]) => {
    if (add.length === 0) return;
    const k = W.length, m = add.length, k2 = k + m;
    for (const [t, j] of add.entries()) { f64().copyWithin((aw >> 3) + (k + t) * n, (a >> 3) + j * n, (a >> 3) + (j + 1) * n); place[j] = k + t; W.push(j); }
    const next = gBuf[g === gBuf[0] ? 1 : 0];
    // Columns k.. of the new G: Ã_Wᵀ·Ã_add by GEMM, the new block's lower triangle by SYRK; the rest mirrored.
    if (k > 0) await scope.launch(K.gemm_f64, { transA: 1, a: aw, lda: n, transB: 0, b: aw + 8 * k * n, ldb: n, c: next + 8 * k * k2, ldc: k2, m: k, n: m, k: n, alpha: 1, beta: 0 }, blas);
    await scope.launch(K.syrk_f64, { transA: 1, lower: 1, a: aw + 8 * k * n, lda: n, c: next + 8 * (k * k2 + k), ldc: k2, n: m, k: n, alpha: 1, beta: 0 }, blas);
    const v = f64(), o = g >> 3, d = next >> 3;
    for (let c = k; c < k2; c++) for (let r = k; r < c; r++) v[d + c * k2 + r] = v[d + r * k2 + c];
    for (let c = 0; c < k; c++) {
      v.copyWithin(d + c * k2, o + c * k, o + (c + 1) * k);
      for (let r = k; r < k2; r++) v[d + c * k2 + r] = v[d + r * k2 + c];
    }
    g = next;
  };
  /** R = b̃ − Ã_W·X_W and C = ÃᵀR for the `count` fits in xs (W's order, stride |W|). */
  const correlate = async (count: number) => {
    const k = W.length, v = f64();
    for (let t = 0; t < count; t++) v.copyWithin((R >> 3) + t * n, P.b >> 3, (P.b >> 3) + n);
    if (k > 0) await scope.launch(K.gemm_f64, { transA: 0, a: aw, lda: n, transB: 0, b: xs, ldb: k, c: R, ldc: n, m: n, n: count, k, alpha: -1, beta: 1 }, blas);
    await scope.launch(K.gemm_f64, { transA: 1, a, lda: n, transB: 0, b: R, ldb: n, c: C, ldc: p, m: p, n: count, k: n, alpha: 1, beta: 0 }, blas);
  };
  /** Columns outside W whose |c_j| (c_j if x ≥ 0) is above `level`. */
  const above = (c: Float64Array, level: number) => {
    const out: number[] = [];
    for (let j = 0; j < p; j++) if (place[j] < 0 && (positive ? c[j] : Math.abs(c[j])) > level) out.push(j);
    return out;
  };

  // ã_jᵀr at the last kept fit, and its λ (at the start: x0's, or λ_max's for x0 = 0).
  const start = [];
  for (let j = 0; j < p; j++) if (x[j] !== 0) start.push(j);
  await extend(start);
  let c: Float64Array;
  if (W.length > 0) {
    for (const [t, j] of W.entries()) f64()[(xs >> 3) + t] = x[j];
    await correlate(1);
    c = f64().slice(C >> 3, (C >> 3) + p);
  } else {
    c = q.slice();
  }
  let lambdaPrev = 0;
  for (let j = 0; j < p; j++) lambdaPrev = Math.max(lambdaPrev, positive ? c[j] : Math.abs(c[j]));

  const fits: RawFit[] = [];
  let batch = 2, pending: number[] = [];
  while (fits.length < pens.length) {
    const first = fits.length, count = Math.min(batch, pens.length - first);
    // The sequential strong rule for the batch's last λ, plus the last check's violators.
    // Past WS_ALL·p columns every column joins: no more checks, and G costs what the whole one would.
    const ahead = Math.min(count, WS_AHEAD) - 1;
    const add = W.length >= WS_ALL * p ? above(c, -Infinity) : above(c, 2 * pens[first + ahead].l1 * n - lambdaPrev);
    for (const j of pending) if (place[j] < 0 && !add.includes(j)) add.push(j);
    pending = [];
    if (W.length + add.length === 0) {
      let best = 0;
      for (let j = 1; j < p; j++) if (Math.abs(c[j]) > Math.abs(c[best])) best = j;
      add.push(best);
    }
    await extend(add);
    const k = W.length, v = f64();
    for (const [t, j] of W.entries()) { v[(qw >> 3) + t] = q[j]; v[(P.x >> 3) + t] = x[j]; }
    for (let t = 0; t < count; t++) { v[(l1s >> 3) + t] = pens[first + t].l1 * n; v[(l2s >> 3) + t] = pens[first + t].l2 * n; }
    const out = await scope.launch(K.lasso_gram_f64, {
      ...P.common, screen: P.screen, g, mirror: 0, q: qw, bb, p: k, x: P.x, l1s, l2s, count, xs, stats, history: P.history,
    }, P.run);
    const ran = Math.min(count, out.fits + 1);
    if (W.length < p) await correlate(ran);
    let kept = 0;
    for (let t = 0; t < ran; t++) {
      const ct = f64().slice((C >> 3) + t * p, (C >> 3) + (t + 1) * p);
      const lambdaN = pens[first + t].l1 * n;
      const violators = W.length < p ? above(ct, lambdaN) : [];
      if (violators.length > 0) { pending = violators; break; }
      const st = f64().subarray((stats >> 3) + GRAM_STATS * t, (stats >> 3) + GRAM_STATS * (t + 1));
      const [iterations, reason, gap, rr] = st;
      x.fill(0);
      for (const [i, j] of W.entries()) x[j] = f64()[(xs >> 3) + t * k + i];
      fits.push({ x: x.slice(), rr, iterations, reason, gap, history: e.copyOut(f64().subarray((P.history >> 3) + t * P.historyCap, (P.history >> 3) + t * P.historyCap + Math.min(iterations, P.historyCap))) });
      c = ct;
      lambdaPrev = lambdaN;
      kept++;
    }
    if (ran < count) { opts.signal?.throwIfAborted(); break; }
    batch = pending.length > 0 ? Math.max(1, batch >> 1) : Math.min(WS_BATCH, 2 * batch);
  }
  return fits;
}
