// Least squares, direct or sketched. nl.lstsq solves min ‖A·x − b‖ for a tall
// A (m ≥ n) by Householder QR ("qr"), by QR of a sketch S·[A b]
// ("sketch-and-solve": fast, accurate to the sketch's distortion), by LSQR
// preconditioned with R from a QR of S·A ("sketch-and-precondition", as
// Blendenpik / LSRN: full accuracy, iterations independent of cond(A)), or by
// iterative sketching with momentum on the same fixed sketch
// ("iterative-sketching", Epperly's forward-stable variant of Pilanci &
// Wainwright's iterative Hessian sketch: x ← x + α·R⁻¹R⁻ᵀAᵀ(b − A·x) +
// β·(x − x_prev), α = (1 − n/d)², β = n/d, the heavy-ball parameters of
// Lacotte & Pilanci for a d-row sketch). Sketches: sparse sign, CountSketch,
// Gaussian, SRHT, leverage-score sampling. Every O(m·n) step runs in wasm;
// each iterative loop is one SPMD launch.
import { NumlaneError } from "./errors.js";
import { reasonName, type CallOptions, type Engine, type KernelDescriptor, type KernelParams, type TurnScope } from "./engine.js";
import type { Progress, RunOptions } from "./pool/pool.js";
import * as K from "./generated/kernels.js";
import { CsrMatrix, DenseMatrix, csrInput, toMatrix } from "./matrix.js";
import { COPY_SLICE, yieldForAbort } from "./runtime/heap.js";
import { minimumNormSolve } from "./linalg/svd.js";
import { lsmr, lsqr, refinedCondition, solveR, solveRT, type BidiagOptions, type BidiagStop, type StepOperator } from "./linalg/bidiag.js";
import { MAXIMUM_BYTES } from "./runtime/heap.js";
import { allFinite, callOptionKeys, checkOptions, float64Array, integer, nonNegative, requireOptions } from "./validate.js";


export type LstsqMethod = "auto" | "qr" | "sketch-and-solve" | "sketch-and-precondition" | "iterative-sketching" | "lsqr" | "lsmr";
const METHODS: LstsqMethod[] = ["auto", "qr", "sketch-and-solve", "sketch-and-precondition", "iterative-sketching", "lsqr", "lsmr"];
export type LstsqReason = "solved" | "converged" | "max-iterations" | "stagnated" | "rank-deficient" | "condition-limit" | "overflow" | "aborted";

export interface LstsqOptions extends CallOptions {
  /**
   * Default "auto": sketch-and-precondition for tall problems (m ≥ 8n,
   * m·n ≥ 2e5), else qr; also qr when the sketch estimates cond(A) > 1e7
   * (the result's `method` says which ran). A CsrMatrix A is never made
   * dense by "auto", "lsqr", "lsmr", "sketch-and-precondition" or
   * "sketch-and-solve" (sparse-sign, countsketch or srht sketches, read in one
   * pass over the nonzeros); "auto" takes sketch-and-precondition for it when
   * m ≥ 8n, else lsqr. "lsqr" and "lsmr" are SciPy's scipy.sparse.linalg
   * lsqr / lsmr (same recurrences and stopping tests: atol, btol, conlim,
   * damp), for any shape of A (the minimum-norm x when m < n).
   */
  method?: LstsqMethod;
  /**
   * Default "sparse-sign" (8 nonzeros per row of A); "countsketch" has 1;
   * "gaussian" is dense (slow, the cleanest theory); "srht" a randomized
   * Walsh–Hadamard transform; "leverage" samples rows by approximate leverage.
   */
  sketch?: SketchKind;
  /** Rows of S·A; default 4n (at least n + 8, at most m). */
  sketchSize?: number;
  /** Seed of the sketch (default 1): the same seed gives the same sketch everywhere. */
  seed?: number;
  /**
   * Default 1e-12. Both judge the returned x by its recomputed r = b − A·x.
   * Sketch-and-precondition: LSQR's two tests (atol = btol = rtol), ‖r‖ ≤
   * rtol·(‖b‖ + ‖A‖·‖x‖) or ‖Aᵀr‖ ≤ rtol·‖A‖·‖r‖, the latter down to the
   * rounding floor 4ε·‖A‖·(‖b‖ + ‖A‖·‖x‖) that backward-stable solvers reach
   * (‖A‖ = ‖A‖_F). Iterative sketching: ‖R⁻ᵀAᵀr‖ ≤ rtol·max(‖r‖, ‖R·x‖) or
   * at the rounding floor of r, or ‖r‖ ≤ rtol·‖b‖ (R from the sketch).
   */
  rtol?: number;
  /** Default 1000 (LSQR and iterative sketching need tens with a good sketch). */
  maxIter?: number;
  /**
   * Singular values of A at or below rcond·σ_max count as zero (default
   * max(m, n)·ε, numpy.linalg.lstsq's). With qr and sketch-and-solve a
   * rank-deficient A (or any A when rcond is given) is solved through the SVD
   * of R: the minimum-norm x, and `rank`.
   */
  rcond?: number;
  /** lsqr, lsmr: SciPy's atol (default 1e-6): stop when ‖Aᵀr‖ ≤ atol·‖A‖·‖r‖, or with btol when ‖r‖ ≤ btol·‖b‖ + atol·‖A‖·‖x‖. */
  atol?: number;
  /** lsqr, lsmr: SciPy's btol (default 1e-6). */
  btol?: number;
  /** lsqr, lsmr: stop when the method's estimate of cond(A) passes this (default 1e8, SciPy's; 0: never). */
  conlim?: number;
  /** lsqr, lsmr: solve min ‖A·x − b‖² + damp²·‖x‖² (default 0). */
  damp?: number;
  /**
   * An entrywise (ℓ∞) guarantee for sketch-and-solve with a dense sketch
   * (Gaussian, or SRHT): ‖x − x*‖∞ ≤ ε/√n·‖A·x* − b‖·‖A⁺‖ with probability
   * 1 − δ at sketch size ε⁻²·n·ln³(m/δ) ("A Nearly-Optimal Bound for Fast
   * Regression with ℓ∞ Guarantee", constant 1). Picks the method
   * (sketch-and-solve), the sketch ("gaussian" unless "srht" is given;
   * "srht" for a CsrMatrix A) and its size; refused when that size passes m.
   */
  guarantee?: { norm: "inf"; epsilon: number; delta: number };
}
const LSTSQ_KEYS = callOptionKeys<LstsqOptions>({ method: true, sketch: true, sketchSize: true, seed: true, rtol: true, maxIter: true, rcond: true, atol: true, btol: true, conlim: true, damp: true, guarantee: true });
/** The options only lsqr and lsmr take. */
const BIDIAG_KEYS = ["atol", "btol", "conlim", "damp"] as const;

export interface LstsqResult {
  x: Float64Array;
  /** ‖b − A·x‖, recomputed. */
  residualNorm: number;
  /** LSQR or iterative-sketching iterations (0 for the direct methods). */
  iterations: number;
  /** Rows of the sketch (0 for qr). */
  sketchSize: number;
  /**
   * Estimate of cond₂(A): qr: from its R (power iterations on RᵀR and its
   * inverse); sketched methods: the sketch's R refined on A itself (LOBPCG
   * preconditioned by R, 4–6 passes over A), from below, measured within
   * 0.75–1 of the truth; lsqr and lsmr: the method's own (SciPy's acond, a
   * Frobenius-norm estimate, and condA), rough.
   */
  conditionEstimate: number;
  /** Numerical rank: singular values of R above rcond·σ_max (qr, sketch-and-solve); n when R passed the pivot test. */
  rank?: number;
  method: Exclude<LstsqMethod, "auto">;
  /**
   * The returned x meets the method's criterion, recomputed from r = b − A·x
   * (rtol's for the sketched iterative methods; for lsqr and lsmr SciPy's
   * tests with atol and btol, on the damped system when damp > 0). The direct
   * methods (qr, sketch-and-solve) have no criterion: true when x is their
   * answer (solved, or the minimum-norm x of a rank-deficient A).
   */
  converged: boolean;
  /** ‖r‖ / ‖b‖ (0 when b = 0). */
  relativeResidual: number;
  /** ‖Aᵀr‖ / (‖A‖_F·‖r‖), recomputed (0 when r = 0): how far x is from the normal equations. */
  normalResidual: number;
  /** lsqr and lsmr: SciPy's istop (1, 2: the atol/btol tests; 3: conlim; 4, 5: the same at ε; 6: cond at 1/ε; 7: maxIter). */
  stop?: BidiagStop;
  /**
   * With opts.guarantee: the ℓ∞ bound it gives, ε/√n·‖r‖·‖A⁺‖, from the
   * estimates it used: ‖r‖ of the returned x (≥ ‖A·x* − b‖) and ‖A⁺‖ =
   * 1/σ_min from the refined condition estimate (σ_min from above, so ‖A⁺‖
   * from below); holds with probability 1 − δ.
   */
  guarantee?: { norm: "inf"; epsilon: number; delta: number; bound: number; residualEstimate: number; pinvNormEstimate: number };
  /** Milliseconds of wall time in each phase: the sketch, the QR, the solve, the conditioning estimate, the final residual. */
  times: { sketch: number; factor: number; solve: number; condition: number; residual: number };
  /**
   * "solved" (direct), "converged" (the criterion of `rtol` holds on the returned x, recomputed),
   * "max-iterations", "stagnated" (refinement stopped improving before the criterion held;
   * lsqr, lsmr: their recurrences met the tests, the recomputed residuals do not),
   * "condition-limit" (lsqr, lsmr: the estimate of cond(A) passed conlim),
   * "rank-deficient" (x is not unique: qr and sketch-and-solve return the
   * minimum-norm x, the iterative methods NaN), or "overflow"
   * (some entry of x is beyond float64's range: it comes back ±Infinity).
   */
  reason: LstsqReason;
}

export interface QrResult {
  /** n×n upper triangular, row-major; A = Q·R (R's diagonal signs as Householder leaves them). */
  R: DenseMatrix;
  /** Estimate of cond₂(A) from R (Infinity when rank-deficient). */
  conditionEstimate: number;
  /** A pivot of R at rounding level next to the largest: A is numerically rank-deficient. */
  rankDeficient: boolean;
}

/** What lstsq reports for a kernel's reason: LSQR's "consistent" (‖r‖ ≤ rtol·‖b‖) is convergence. */
function lstsqReason(code: number): LstsqReason {
  const reason = reasonName(code);
  if (reason === "consistent") return "converged";
  if (reason === "converged" || reason === "max-iterations" || reason === "aborted") return reason;
  throw new Error(`numlane: internal error: a least-squares kernel stopped for reason ${reason}`);
}
/**
 * ‖Aᵀr‖ a backward-stable solver reaches, in units of ε·‖A‖_F·(‖b‖ + ‖A‖_F·‖x‖):
 * above what NumPy's SVD and QR solutions reach (bench/results/sketch-notes.md).
 */
const ROUNDING_FLOOR = 4;
/**
 * "auto" leaves sketch-and-precondition for Householder QR of A when the
 * sketch's R says cond(A) is above this: there, on inconsistent problems,
 * the κ²·ε·‖r‖ term of the forward error comes out several times QR's even
 * with refinement, while QR costs about the same as the refined solve
 * (bench/results/sketch-notes.md).
 */
const AUTO_QR_ABOVE_COND = 1e7;

/**
 * Sketch-and-precondition on a CsrMatrix runs LSQR on A itself, without R,
 * when the refined estimate says cond(A) is at most this: A·R⁻¹ has
 * cond ≈ (1 + √(n/d))/(1 − √(n/d)) = 3 at d = 4n, so R cannot help there
 * (10⁶×100 sparse at cond 1.1: 3 iterations without R, 24 with;
 * bench/results/sketch-notes.md).
 */
const UNPRECONDITIONED_BELOW_COND = 3;

/** Refinement steps of sketch-and-precondition at most (two suffice in theory and practice). */
const MAX_REFINEMENTS = 6;

/** The operands of a sketch-and-precondition solve: wasm pointers (see lsqr_f64, lstsq_residual_f64) and R. */
interface RefineArgs {
  ab: number; w: number; m: number; n: number; bp: number; bnorm: number; rm: number; R: Float64Array; xp: number;
  maxIter: number; rtol: number;
}

export interface SketchOptions extends CallOptions {
  /**
   * "sparse-sign" (default, 8 nonzeros per row of A), "countsketch" (1),
   * "gaussian" (dense, N(0, 1/size) entries), "srht" (random signs, Walsh–Hadamard
   * transform over the rows padded to a power of two, uniform row sample), or
   * "leverage" (rows sampled ∝ approximate leverage scores, mixed 9:1 with uniform, rescaled).
   */
  kind?: SketchKind;
  /** Rows of S·A (≥ 8 for sparse-sign; ≤ rows padded to a power of two for srht). */
  size: number;
  /** Default 1: the same seed gives the same sketch in every runtime and thread count. */
  seed?: number;
}
const SKETCH_KEYS = callOptionKeys<SketchOptions>({ kind: true, size: true, seed: true });
export interface LeverageOptions extends CallOptions {
  /** Default 1: seed of the fast sketch and of the Johnson–Lindenstrauss projection. */
  seed?: number;
}
const LEVERAGE_KEYS = callOptionKeys<LeverageOptions>({ seed: true });
const QR_KEYS = callOptionKeys<CallOptions>({});

/** Columns of the Gaussian Π that cut the leverage-score estimate's cost (Drineas et al.); n ≤ this: exact R⁻¹. */
const LEVERAGE_JL_COLUMNS = 32;
/** From this many columns the blocked QR is faster than the unblocked one. */
const QR_BLOCKED_MIN_COLUMNS = 64;

/** The scope and launch options of one call, shared by the steps below. */
interface Call {
  scope: TurnScope;
  /** The call's launch options: its signal, threads, long. */
  opts: RunOptions;
  /** Threads its launches use. */
  threads: number;
}

/** S·block for a rows×w row-major block whose first n columns are A (any further column, like b, rides along). */
interface SketchArgs {
  block: number; rows: number; w: number; n: number;
  /** Rows of the sketch. */
  d: number;
  seed: number;
  /** Where the d×w result goes. */
  sa: number;
}

/** The sizes a sketch kind accepts (rows of S·A) and the one lstsq uses by default. */
interface SketchSizes {
  /** Smallest size it accepts. */
  minSize: number;
  /** Largest size for an A of `rows` rows. */
  maxSize: (rows: number) => number;
  /** lstsq's size for a rows×n A when opts.sketchSize is not given (at most rows). */
  defaultSize: (rows: number, n: number) => number;
}
const ANY_SIZE: SketchSizes = { minSize: 1, maxSize: () => 2 ** 31 - 1, defaultSize: (rows, n) => Math.min(rows, Math.max(4 * n, n + 8)) };

/**
 * A sketch kind: how S·block is computed, and the sizes it accepts. One entry
 * of SKETCH_KINDS per kind; a kind whose kernel takes (a, m, n, d, seed, sa)
 * and parameters of its own is `direct(kernel, …)`.
 */
interface SketchKindEntry extends SketchSizes {
  /** Launches S·block into a.sa. */
  run: (sk: Sketch, c: Call, a: SketchArgs) => Promise<void>;
  /** Bytes of wasm memory its launches allocate besides the d×w result (an upper bound). */
  bytes: (e: Engine, a: Omit<SketchArgs, "block" | "sa" | "seed">, threads: number) => number;
}

/** The launch parameters every direct sketch kernel takes: S·A of a rows×w block into sa. */
type DirectParams = { a: number; m: number; n: number; d: number; seed: number; sa: number };

/** A kind computed by one kernel on the block itself, `extra(d)` its own parameters. */
function direct<D extends KernelDescriptor>(kernel: D, extra: (d: number) => Omit<KernelParams<D>, keyof DirectParams>, sizes: Partial<SketchSizes> = {}): SketchKindEntry {
  const params = (a: Omit<SketchArgs, "n">): KernelParams<D> => ({ a: a.block, m: a.rows, n: a.w, d: a.d, seed: a.seed, sa: a.sa, ...extra(a.d) }) as unknown as KernelParams<D>;
  return {
    ...ANY_SIZE, ...sizes,
    run: (_sk, c, a) => c.scope.launch(kernel, params(a), c.opts).then(() => undefined),
    bytes: (e, a, threads) => e.launchBytes(kernel, params({ ...a, block: 0, sa: 0, seed: 0 }), threads),
  };
}

/** Rows sampled by approximate leverage scores (Sketch.scores), then sample_rows_f64. */
function sampled(): SketchKindEntry {
  return {
    ...ANY_SIZE,
    run: async (sk, c, a) => {
      const scores = await sk.scores(c, a.block, a.rows, a.w, a.n, a.seed);
      await c.scope.launch(K.sample_rows_f64, { a: a.block, lda: a.w, m: a.rows, n: a.w, scores, d: a.d, seed: a.seed, sa: a.sa }, c.opts);
    },
    bytes: (e, a, threads) => scoresBytes(e, a.rows, a.w, a.n, threads) + e.launchBytes(K.sample_rows_f64, { m: a.rows }, threads),
  };
}

/** The sketch kinds, by name (see SketchOptions.kind). */
const SKETCH_KINDS = {
  gaussian: direct(K.sketch_gaussian_f64, () => ({})),
  srht: direct(K.sketch_srht_f64, () => ({}), { maxSize: (rows) => nextPow2(rows) }),
  countsketch: direct(K.sketch_sparse_f64, () => ({ s: 1 })),
  "sparse-sign": direct(K.sketch_sparse_f64, (d) => ({ s: Math.min(8, d) }), { minSize: 8 }),
  leverage: sampled(),
} satisfies Record<string, SketchKindEntry>;

export type SketchKind = keyof typeof SKETCH_KINDS;
/** The sketch kinds, in the table's order (the CLI's --sketch choices too). */
export const KINDS = Object.keys(SKETCH_KINDS) as SketchKind[];

export class Sketch {
  constructor(private readonly e: Engine) {}

  /** S·A on its own (a size × n dense matrix, row-major). */
  async sketch(A: DenseMatrix | CsrMatrix | number[][], opts: SketchOptions): Promise<DenseMatrix> {
    const M = toMatrix("A", A);
    const m = M.rows, n = M.cols;
    if (m === 0 || n === 0) throw new NumlaneError("invalid-size", `A is ${m}×${n}: nothing to sketch`, "A");
    requireOptions("opts", opts, SKETCH_KEYS);
    const kind = checkKind(opts.kind ?? "sparse-sign", "opts.kind");
    const entry = SKETCH_KINDS[kind];
    const d = integer("opts.size", opts.size, entry.minSize, entry.maxSize(m));
    const seed = integer("opts.seed", opts.seed ?? 1, 0, 2 ** 52);
    if (M instanceof CsrMatrix && isCsrKind(kind)) return this.sketchCsr(M, kind, d, seed, opts);
    const D = M instanceof CsrMatrix ? M.toDense() : M;
    allFinite("A", D.data);
    const threads = this.e.threadsFor(8 * m * n, opts);
    const scope = await this.e.scope(this.launches(opts, 8 * m * n), [D.data], 8 * d * n + entry.bytes(this.e, { rows: m, w: n, n, d }, threads) + 16 * 64);
    try {
      const call = this.call(scope, opts, 8 * m * n);
      const ap = scope.input(D.layout === "row-major" ? D.data : rowMajor(D));
      const out = await this.apply(call, kind, ap, m, n, n, d, seed);
      return new DenseMatrix(d, n, this.e.copyOut(this.e.heap.f64.subarray(out >> 3, (out >> 3) + d * n)));
    } finally {
      scope.free();
    }
  }

  /** S·A of a CsrMatrix by a sparse sign sketch or SRHT, one pass over its nonzeros (the same S·A as of A made dense). */
  private async sketchCsr(M: CsrMatrix, kind: CsrKind, d: number, seed: number, opts: CallOptions): Promise<DenseMatrix> {
    allFinite("A", M.data);
    const n = M.cols, threads = this.e.threadsFor(csrBytes(M), opts);
    const need = 8 * d * n + csrSketchBytes(this.e, kind, M.rows, n, 0, threads) + 16 * 64;
    checkFits(need + csrBytes(M), `a ${d}-row sketch of a ${M.rows}×${n} A`);
    const scope = await this.e.scope(this.launches(opts, csrBytes(M)), [M.indptr, M.indices, M.data], need);
    try {
      const A = csrInput(scope, "A", M, M.rows, n), sa = scope.alloc(8 * d * n);
      await launchCsrSketch(scope, kind, { ...A, m: M.rows, n, b: 0, d, seed, sa }, { signal: opts.signal, threads, long: true });
      return new DenseMatrix(d, n, this.e.copyOut(this.e.heap.f64.subarray(sa >> 3, (sa >> 3) + d * n)));
    } finally {
      scope.free();
    }
  }

  /**
   * Approximate statistical leverage scores of A's rows (ℓᵢ = ‖eᵢᵀQ‖², Q an
   * orthonormal basis of range(A); they sum to rank(A)): ‖aᵢ·R⁻¹·Π‖² with R from
   * a QR of a sparse sketch of A and Π a 32-column Gaussian (exact R⁻¹ for n ≤ 32).
   */
  async leverageScores(A: DenseMatrix | CsrMatrix | number[][], opts: LeverageOptions = {}): Promise<Float64Array> {
    const D = denseInput(A);
    const m = D.rows, n = D.cols;
    if (m < n || n === 0) throw new NumlaneError("invalid-shape", `A is ${m}×${n}: leverage scores need a tall A`, "A");
    checkOptions("opts", opts, LEVERAGE_KEYS);
    const seed = integer("opts.seed", opts.seed ?? 1, 0, 2 ** 52);
    const threads = this.e.threadsFor(8 * m * n, opts);
    const scope = await this.e.scope(this.launches(opts, 8 * m * n), [D.data], scoresBytes(this.e, m, n, n, threads) + 16 * 64);
    try {
      const call = this.call(scope, opts, 8 * m * n);
      const ap = scope.input(D.layout === "row-major" ? D.data : rowMajor(D));
      const sp = await this.scores(call, ap, m, n, n, seed);
      return this.e.copyOut(this.e.heap.f64.subarray(sp >> 3, (sp >> 3) + m));
    } finally {
      scope.free();
    }
  }

  private call(scope: TurnScope, opts: CallOptions, bytes: number): Call {
    const threads = this.e.threadsFor(bytes, opts);
    const launch: RunOptions = { signal: opts.signal, threads, long: true };
    return { scope, threads, opts: launch };
  }

  /**
   * The launches of a call touching `bytes`: what its pool turn must cover.
   * Long (on workers, the caller free to hear an abort): a QR or sketch of a
   * big A runs for seconds.
   */
  private launches(opts: CallOptions, bytes: number): RunOptions {
    return { signal: opts.signal, threads: this.e.threadsFor(bytes, opts), long: true };
  }

  /**
   * S·block for a rows×w row-major block in wasm memory whose first n columns
   * are A (any further column, like b, rides along): a d×w row-major block.
   */
  private async apply(c: Call, kind: SketchKind, block: number, rows: number, w: number, n: number, d: number, seed: number): Promise<number> {
    const sa = c.scope.alloc(8 * Math.max(1, d * w));
    await SKETCH_KINDS[kind].run(this, c, { block, rows, w, n, d, seed, sa });
    return sa;
  }

  /** @internal Approximate leverage scores of the first n columns of a rows×w block: R from a sparse sketch, then ‖aᵢ·R⁻¹·Π‖² (scoresBytes); SKETCH_KINDS.leverage runs it. */
  async scores(c: Call, block: number, rows: number, w: number, n: number, seed: number): Promise<number> {
    const d1 = leveragePresketch(rows, n);
    const sa = await this.apply(c, "sparse-sign", block, rows, w, n, d1, seed);
    const { R } = await this.factor(c, sa, d1, w, n);
    // A rank-deficient A has zero pivots: lift them to the rank tolerance so the scores stay finite.
    const tol = pivotTolerance(R, n, d1);
    for (let i = 0; i < n; i++) if (!(Math.abs(R[i * n + i]) > tol)) R[i * n + i] = R[i * n + i] < 0 ? -tol : tol || 1;
    const rm = c.scope.alloc(8 * n * n), scores = c.scope.alloc(8 * rows);
    this.e.heap.f64.set(R, rm >> 3);
    await c.scope.launch(K.leverage_scores_f64, { a: block, lda: w, m: rows, n, rm, r: leverageColumns(n), seed, scores }, c.opts);
    return scores;
  }

  /** Householder QR of a rows×w row-major block on its first n columns: R (n×n row-major) and c = (Qᵀ·column n)[0..n) when w > n. */
  private async factor(c: Call, block: number, rows: number, w: number, n: number): Promise<{ R: Float64Array; c: Float64Array }> {
    const cm = c.scope.alloc(8 * rows * w), diag = c.scope.alloc(8 * n), vnorm = c.scope.alloc(8 * n);
    await c.scope.launch(K.transpose_f64, { src: block, rows, cols: w, dst: cm }, c.opts);
    const qr = { a: cm, rows, cols: w, reflect: n, diag, vnorm };
    if (n >= QR_BLOCKED_MIN_COLUMNS) await c.scope.launch(K.qr_blocked_f64, qr, c.opts);
    else await c.scope.launch(K.qr_householder_f64, qr, c.opts);
    const h = this.e.heap.f64, R = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      R[i * n + i] = h[(diag >> 3) + i];
      for (let j = i + 1; j < n; j++) R[i * n + j] = h[(cm >> 3) + j * rows + i];
    }
    const qtb = w > n ? Float64Array.from({ length: n }, (_, i) => h[(cm >> 3) + n * rows + i]) : new Float64Array(0);
    return { R, c: qtb };
  }

  /**
   * Sketch-and-precondition with iterative refinement (SPIR; Meier,
   * Nakatsukasa, Townsend & Webb 2023, Epperly 2023): from the start in xp
   * (the sketch-and-solve point), each step solves min ‖A·δ − r‖ by LSQR
   * preconditioned with R, to full precision, and adds δ; r = b − A·x is
   * summed in twice the working precision (smaller forward error on
   * ill-conditioned A; bench/results/sketch-notes.md). LSQR from zero alone is not forward stable on
   * ill-conditioned, (nearly) consistent problems: its own estimates say
   * "converged" while x is far off. Warm-started and refined it matches QR.
   * At least two steps; more while the criterion, recomputed at x, fails and
   * the preconditioned gradient ‖R⁻ᵀAᵀr‖ (≈ ‖R·(x − x*)‖) keeps halving.
   */
  private async refine(c: Call, p: RefineArgs, long: RunOptions): Promise<{ iterations: number; reason: LstsqReason }> {
    const { ab, w, m, n, bp, R, xp, maxIter } = p;
    const h = () => this.e.heap.f64;
    const rhs = c.scope.alloc(8 * m), dx = c.scope.alloc(8 * n), g = c.scope.alloc(8 * n);
    let iterations = 0, previous = Infinity;
    for (let step = 0; ; step++) {
      await c.scope.launch(K.residual_compensated_f64, { a: ab, lda: w, m, n, b: bp, x: xp, r: rhs }, c.opts);
      // Progress counts iterations across the steps.
      const done = iterations, report = long.onProgress;
      const onProgress = report && ((q: Progress) => report({ iteration: done + q.iteration, value: q.value }));
      const r = await c.scope.launch(K.lsqr_f64, { a: ab, lda: w, m, n, b: rhs, rm: p.rm, x: dx, maxIter: maxIter - iterations, rtol: Number.EPSILON }, { ...long, onProgress });
      iterations += r.iterations;
      const lsqr = lstsqReason(r.reason);
      for (let j = 0; j < n; j++) h()[(xp >> 3) + j] += h()[(dx >> 3) + j];
      if (lsqr === "aborted") return { iterations, reason: "aborted" };
      const q = await this.residual(c, p, g);
      const gradient = preconditionedNorm(R, n, q.gradient);
      if (step >= 1 && q.met) return { iterations, reason: "converged" };
      if (iterations >= maxIter) return { iterations, reason: "max-iterations" };
      if ((step >= 1 && !(gradient < 0.5 * previous)) || step + 1 >= MAX_REFINEMENTS) return { iterations, reason: q.met ? "converged" : "stagnated" };
      previous = gradient;
    }
  }

  /** lstsq's convergence criterion (see LstsqOptions.rtol), recomputed at x in wasm; `gradient` is Aᵀr (g: n f64 of scratch). */
  private async residual(c: Call, p: RefineArgs, g: number): Promise<{ met: boolean; gradient: Float64Array }> {
    const { ab, w, m, n, bp, bnorm, xp, rtol } = p;
    const { residual: rnorm, frobenius: anorm } = await c.scope.launch(K.lstsq_residual_f64, { a: ab, lda: w, m, n, b: bp, x: xp, g }, c.opts);
    const h = this.e.heap.f64;
    const gradient = h.slice(g >> 3, (g >> 3) + n), x = h.subarray(xp >> 3, (xp >> 3) + n);
    const scale = bnorm + anorm * norm2(x);
    const met = rnorm <= rtol * scale || norm2(gradient) <= anorm * Math.max(rtol * rnorm, ROUNDING_FLOOR * Number.EPSILON * scale);
    return { met, gradient };
  }

  /**
   * A in wasm memory as the solvers read it (its CSR arrays, or the dense
   * rows), a StepOperator over it, b, ‖A‖_F: the setting of lstsq's paths
   * that never make a CsrMatrix dense. `extra`: the path's own bytes.
   */
  private async operands(M: DenseMatrix | CsrMatrix, b: Float64Array, opts: CallOptions, extra: number, what: string) {
    const m = M.rows, n = M.cols, sparse = M instanceof CsrMatrix;
    const bytes = sparse ? csrBytes(M) : 8 * m * n;
    const threads = this.e.threadsFor(bytes, opts);
    const kernel = sparse ? K.gk_step_csr_f64 : K.gk_step_dense_f64;
    // Sized in float64 before anything is allocated: a 1 × (2³¹ − 1) A is refused here, at once.
    const need = 8 * (m + 2 * n) + stepBytes(this.e, kernel, m, n, threads) + this.e.launchBytes(K.nrm2_f64, { n: sparse ? M.nnz : m * n }, threads) + extra + 16 * 64;
    checkFits(need + bytes + 8 * m, what);
    const inputs = sparse ? [M.indptr, M.indices, M.data, b] : [M.layout === "row-major" ? M.data : rowMajor(M), b];
    const scope = await this.e.scope({ signal: opts.signal, long: true }, inputs, need);
    try {
      const run: RunOptions = { signal: opts.signal, threads };
      const call: Call = { scope, threads, opts: { ...run, long: true } };
      let op: ReturnType<typeof csrStep>, data: number, count: number;
      if (sparse) {
        const A = csrInput(scope, "A", M, m, n);
        op = csrStep(scope, run, A, m, n);
        data = A.data;
        count = M.nnz;
      } else {
        data = scope.input(inputs[0] as Float64Array);
        op = denseStep(scope, run, data, n, m, n);
        count = m * n;
      }
      const bp = scope.input(b);
      const anorm = count > 0 ? (await scope.launch(K.nrm2_f64, { x: data, incx: 1, n: count }, run)).value : 0;
      const f64 = () => scope.heap.f64;
      /** ũ ← b (the solvers' start, and the residual's). */
      const loadB = () => f64().copyWithin(op.u >> 3, bp >> 3, (bp >> 3) + m);
      /** ‖b − A·x‖ and Aᵀ(b − A·x), in one pass. */
      const residual = async (x: Float64Array) => {
        loadB();
        const q = await op.step(x, -1, -1);
        return { rnorm: Math.sqrt(q.normsq), atr: q.s };
      };
      return { scope, call, op, bp, anorm, bnorm: norm2(b), loadB, residual };
    } catch (e) {
      scope.free();
      throw e;
    }
  }

  /** lstsq's "lsqr" and "lsmr", dense or CSR: SciPy's methods, then the criterion recomputed at x. */
  private async lstsqBidiag(M: DenseMatrix | CsrMatrix, b: Float64Array, method: "lsqr" | "lsmr", o: Omit<BidiagOptions, "R" | "x0" | "bnorm" | "signal">, opts: LstsqOptions): Promise<LstsqResult> {
    const m = M.rows, n = M.cols;
    const { scope, op, anorm, bnorm, loadB, residual } = await this.operands(M, b, opts, 0, `${method} on a ${m}×${n} A`);
    try {
      const clock = new PhaseClock();
      loadB();
      const r = await (method === "lsqr" ? lsqr : lsmr)(op, { ...o, signal: opts.signal, onProgress: opts.onProgress });
      clock.lap("solve");
      const { rnorm, atr } = await residual(r.x);
      // With damp: the tests are on [A; damp·I]·x ≈ [b; 0], whose residual is [r; −damp·x].
      const x2 = norm2(r.x) ** 2, d2 = o.damp * o.damp;
      const rd = Math.sqrt(rnorm * rnorm + d2 * x2), ad = Math.sqrt(anorm * anorm + n * d2);
      const grad = d2 > 0 ? atr.map((g, j) => g - d2 * r.x[j]) : atr;
      const met = rd <= o.btol * bnorm + o.atol * ad * Math.sqrt(x2) || norm2(grad) <= o.atol * ad * rd;
      const reason: LstsqReason = signalled(opts) ? "aborted" : r.stop === 7 ? "max-iterations" : r.stop === 3 || r.stop === 6 ? "condition-limit" : met ? "converged" : "stagnated";
      const diag = diagnostics(rnorm, anorm, atr, bnorm);
      clock.lap("residual");
      return {
        x: r.x, residualNorm: rnorm, iterations: r.iterations, sketchSize: 0, conditionEstimate: r.condA, method, reason,
        converged: met, stop: r.stop, ...diag, times: clock.times,
      };
    } finally {
      scope.free();
    }
  }

  /**
   * lstsq's sketched methods on a CsrMatrix, never dense: S·[A b] from one
   * pass over the nonzeros (sketch_sparse_csr_f64), its QR; sketch-and-solve
   * stops there, sketch-and-precondition runs LSQR on A·R⁻¹ from the
   * sketch-and-solve point and refines (restarts at x) while the criterion,
   * recomputed at x, fails. Memory: the CSR arrays, a few m-vectors, d×(n+1).
   */
  private async lstsqCsrSketched(
    M: CsrMatrix, b: Float64Array, method: "sketch-and-precondition" | "sketch-and-solve", kind: CsrKind,
    d: number, seed: number, rtol: number, maxIter: number, rcond: number, opts: LstsqOptions,
    guarantee?: Guarantee,
  ): Promise<LstsqResult> {
    const m = M.rows, n = M.cols, w = n + 1;
    const threads = this.e.threadsFor(csrBytes(M), opts);
    const extra = 8 * d * w + factorBytes(this.e, d, w, n, threads) + csrSketchBytes(this.e, kind, m, n, 1, threads) + 8 * (n * n + 4 * n);
    const { scope, call, op, bp, anorm, bnorm, loadB, residual } = await this.operands(M, b, opts, extra, `${method} on a ${m}×${n} A`);
    try {
      const clock = new PhaseClock();
      const A = csrInput(scope, "A", M, m, n);
      const sa = scope.alloc(8 * d * w);
      await launchCsrSketch(scope, kind, { ...A, m, n, b: bp, d, seed, sa }, call.opts);
      clock.lap("sketch");
      const f = await this.factor(call, sa, d, w, n);
      clock.lap("factor");
      const R = f.R;
      let x: Float64Array, rank: number | undefined, iterations = 0, reason: LstsqReason = "solved";
      const deficient = rankDeficient(R, n, d);
      let cond = deficient ? Infinity : conditionEstimate(R, n), sigmaMin: number | undefined;
      if (Number.isFinite(cond) && !signalled(opts)) ({ cond, sigmaMin } = await refinedCondition(op, R, n, cond, conditionSteps(method)));
      clock.lap("condition");
      if (method === "sketch-and-solve") {
        if (opts.rcond !== undefined || rankDeficient(R, n, d)) {
          ({ x, rank } = minimumNormSolve(R, n, f.c, rcond));
          if (rank < n) reason = "rank-deficient";
        } else {
          x = solveR(R, n, f.c);
          rank = n;
        }
      } else if (deficient) {
        x = new Float64Array(n).fill(NaN);
        reason = "rank-deficient";
      } else {
        x = solveR(R, n, f.c);
        // A as well conditioned as A·R⁻¹ would be: R cannot cut LSQR's iterations, only add its O(n²) solves.
        const precondition = cond > UNPRECONDITIONED_BELOW_COND ? R : undefined;
        for (let step = 0; ; step++) {
          loadB();
          const done = iterations, report = opts.onProgress;
          const onProgress = report && ((q: Progress) => report({ iteration: done + q.iteration, value: q.value }));
          const r = await lsqr(op, { R: precondition, x0: x, bnorm, atol: rtol, btol: rtol, conlim: 0, damp: 0, maxIter: maxIter - iterations, signal: opts.signal, onProgress });
          iterations += r.iterations;
          x = r.x;
          if (signalled(opts)) { reason = "aborted"; break; }
          const q = await residual(x);
          const scale = bnorm + anorm * norm2(x);
          if (q.rnorm <= rtol * scale || norm2(q.atr) <= anorm * Math.max(rtol * q.rnorm, ROUNDING_FLOOR * Number.EPSILON * scale)) { reason = "converged"; break; }
          if (iterations >= maxIter) { reason = "max-iterations"; break; }
          if (step + 1 >= MAX_REFINEMENTS) { reason = "stagnated"; break; }
        }
      }
      clock.lap("solve");
      const { rnorm, atr } = await residual(x);
      const diag = diagnostics(rnorm, anorm, atr, bnorm);
      clock.lap("residual");
      return {
        x, residualNorm: rnorm, iterations, sketchSize: d, rank, conditionEstimate: cond, method, reason,
        converged: method === "sketch-and-solve" ? reason !== "aborted" : reason === "converged", ...diag, times: clock.times,
        ...(guarantee ? { guarantee: guaranteeReport(guarantee, n, rnorm, sigmaMin) } : {}),
      };
    } finally {
      scope.free();
    }
  }

  /** The R factor of a Householder QR of a tall A (what lstsq's "qr" uses; blocked from 64 columns on). */
  async qr(A: DenseMatrix | CsrMatrix | number[][], opts: CallOptions = {}): Promise<QrResult> {
    const D = denseInput(A);
    const m = D.rows, n = D.cols;
    if (m < n || n === 0) throw new NumlaneError("invalid-shape", `A is ${m}×${n}: qr needs a tall A`, "A");
    checkOptions("opts", opts, QR_KEYS);
    const threads = this.e.threadsFor(8 * m * n, opts);
    const scope = await this.e.scope(this.launches(opts, 8 * m * n), [D.data], factorBytes(this.e, m, n, n, threads) + 16 * 64);
    try {
      const call = this.call(scope, opts, 8 * m * n);
      const ap = scope.input(D.layout === "row-major" ? D.data : rowMajor(D));
      const { R } = await this.factor(call, ap, m, n, n);
      const deficient = rankDeficient(R, n, m);
      return { R: new DenseMatrix(n, n, R), conditionEstimate: deficient ? Infinity : conditionEstimate(R, n), rankDeficient: deficient };
    } finally {
      scope.free();
    }
  }

  /** Bytes lstsq's sketched methods allocate besides [A b], the QR and the vectors lstsq sizes itself: the sketch and the solve's launches. */
  private solveBytes(kind: SketchKind, method: LstsqMethod, m: number, w: number, n: number, d: number, threads: number): number {
    const sketch = SKETCH_KINDS[kind].bytes(this.e, { rows: m, w, n, d }, threads);
    if (method === "sketch-and-solve" || method === "qr") return sketch;
    // Refinement: each step launches the compensated residual, LSQR and the residual check.
    const refine = MAX_REFINEMENTS * (this.e.launchBytes(K.residual_compensated_f64, {}, threads)
      + this.e.launchBytes(K.lsqr_f64, { m, n }, threads) + this.e.launchBytes(K.lstsq_residual_f64, { m, n }, threads)) + 8 * (m + 2 * n);
    return sketch + Math.max(refine, this.e.launchBytes(K.iterative_sketch_f64, { m, n }, threads));
  }

  async lstsq(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LstsqOptions = {}): Promise<LstsqResult> {
    const M = toMatrix("A", A);
    const m = M.rows, n = M.cols;
    if (n === 0 || m === 0) throw new NumlaneError("invalid-size", `A is ${m}×${n}: nothing to solve`, "A");
    float64Array("b", b);
    if (b.length !== m) throw new NumlaneError("invalid-shape", `expected ${m} entries to match A's rows, got ${b.length}`, "b");
    allFinite("b", b);
    checkOptions("opts", opts, LSTSQ_KEYS);
    let method = opts.method ?? "auto";
    if (!METHODS.includes(method)) throw new NumlaneError("invalid-value", `unknown method ${String(method)}; expected one of ${METHODS.join(", ")}`, "opts.method");
    const sparse = M instanceof CsrMatrix;
    if (method === "auto" && sparse && opts.guarantee === undefined) method = m >= 8 * n ? "sketch-and-precondition" : "lsqr";
    const bidiag = method === "lsqr" || method === "lsmr";
    if (m < n && !bidiag) throw new NumlaneError("invalid-shape", `A is ${m}×${n}: lstsq needs at least as many rows as columns (or method "lsqr" / "lsmr")`, "A");
    const guarantee = opts.guarantee === undefined ? undefined : checkGuarantee(opts.guarantee, m, n);
    if (guarantee) {
      if (method !== "auto" && method !== "sketch-and-solve") throw new NumlaneError("invalid-value", `guarantee is for "sketch-and-solve" (with a dense sketch), not "${method}"`, "opts.guarantee");
      if (opts.sketchSize !== undefined) throw new NumlaneError("invalid-value", "the guarantee picks the sketch size (ε⁻²·n·ln³(m/δ))", "opts.sketchSize");
      method = "sketch-and-solve";
    }
    // A CsrMatrix gets its dense sketch from SRHT, applied in one pass over its nonzeros.
    const kind = checkKind(opts.sketch ?? (guarantee ? (sparse ? "srht" : "gaussian") : "sparse-sign"), "opts.sketch");
    if (guarantee && kind !== "gaussian" && kind !== "srht") throw new NumlaneError("invalid-value", `the ℓ∞ guarantee needs a dense sketch ("gaussian" or "srht"), not "${kind}"`, "opts.sketch");
    const seed = integer("opts.seed", opts.seed ?? 1, 0, 2 ** 52);
    const rtol = nonNegative("opts.rtol", opts.rtol ?? 1e-12);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? Math.min(2 ** 30, method === "lsqr" ? 2 * n : method === "lsmr" ? Math.min(m, n) : 1000), 1, 2 ** 30);
    const rcond = opts.rcond === undefined ? Math.max(m, n) * Number.EPSILON : nonNegative("opts.rcond", opts.rcond);
    if (method === "qr" || bidiag) for (const k of ["sketch", "sketchSize", "seed"] as const) if (opts[k] !== undefined) throw new NumlaneError("invalid-value", `${k} is for the sketched methods, not "${method}"`, `opts.${k}`);
    if (bidiag && opts.rtol !== undefined) throw new NumlaneError("invalid-value", `rtol is not for "${method}": give atol and btol (SciPy's)`, "opts.rtol");
    if (!bidiag) for (const k of BIDIAG_KEYS) if (opts[k] !== undefined) throw new NumlaneError("invalid-value", `${k} is for "lsqr" and "lsmr", not "${method}"`, `opts.${k}`);
    const auto = method === "auto";
    if (method === "auto") method = opts.rcond === undefined && m >= 8 * n && m * n >= 2e5 ? "sketch-and-precondition" : "qr";
    if (opts.rcond !== undefined && method !== "qr" && method !== "sketch-and-solve") throw new NumlaneError("invalid-value", `rcond is for "qr" and "sketch-and-solve", not "${method}"`, "opts.rcond");
    if (sparse) allFinite("A", M.data);
    if (bidiag) {
      const bopts = {
        atol: nonNegative("opts.atol", opts.atol ?? 1e-6), btol: nonNegative("opts.btol", opts.btol ?? 1e-6),
        conlim: nonNegative("opts.conlim", opts.conlim ?? 1e8), damp: nonNegative("opts.damp", opts.damp ?? 0), maxIter,
      };
      return this.lstsqBidiag(M, b, method as "lsqr" | "lsmr", bopts, opts);
    }
    const sizes = SKETCH_KINDS[kind];
    const sketchSizeMin = Math.max(n, sizes.minSize), sketchSizeMax = Math.min(m, sizes.maxSize(m));
    // A given size is checked even when "auto" then picks qr: a bad value is never silently ignored.
    if (opts.sketchSize !== undefined) integer("opts.sketchSize", opts.sketchSize, sketchSizeMin, sketchSizeMax);
    const d = method === "qr" ? 0 : integer("opts.sketchSize", opts.sketchSize ?? guarantee?.size ?? Math.min(sketchSizeMax, sizes.defaultSize(m, n)), sketchSizeMin, sketchSizeMax);
    if (sparse && (method === "sketch-and-precondition" || method === "sketch-and-solve")) {
      if (!isCsrKind(kind)) throw new NumlaneError("unsupported", `a CsrMatrix A is sketched by ${CSR_KINDS.map((k) => `"${k}"`).join(", ")} (one pass over its nonzeros), not "${kind}"`, "opts.sketch");
      return this.lstsqCsrSketched(M, b, method, kind, d, seed, rtol, maxIter, rcond, opts, guarantee);
    }
    const D = sparse ? M.toDense() : M;
    allFinite("A", D.data);
    // Entries past 2^±SAFE_EXPONENT: their sums of squares would overflow or
    // underflow. Solve for A·2^−ea and b·2^−eb (exact) and scale back.
    const ea = unsafeExponent(D.data), eb = unsafeExponent(b);
    if (ea !== 0 || eb !== 0) {
      const r = await this.lstsq(new DenseMatrix(m, n, D.data.map((v) => ldexp(v, -ea)), D.layout), b.map((v) => ldexp(v, -eb)), opts);
      const x = r.x.map((v) => ldexp(v, eb - ea));
      // An answer beyond float64's range is said so, never returned as Infinity silently.
      const reason = r.reason === "rank-deficient" || x.every(Number.isFinite) ? r.reason : "overflow";
      const g = r.guarantee && { ...r.guarantee, bound: ldexp(r.guarantee.bound, eb - ea), residualEstimate: ldexp(r.guarantee.residualEstimate, eb), pinvNormEstimate: ldexp(r.guarantee.pinvNormEstimate, -ea) };
      return { ...r, x, residualNorm: ldexp(r.residualNorm, eb), reason, ...(g ? { guarantee: g } : {}) };
    }
    const heap = this.e.heap;
    const w = n + 1; // columns of [A b]
    const threads = this.e.threadsFor(8 * m * n, opts);
    // [A b], S·[A b], R, x and the residual's vectors; the QR of A or of the sketch (auto may factor both).
    const need = 8 * (m * w + d * w + n * n + 6 * n + 2 * m) + 32 * 64 + factorBytes(this.e, m, w, n, threads)
      + this.e.launchBytes(K.lstsq_residual_f64, { m, n }, threads) + stepBytes(this.e, K.gk_step_dense_f64, m, n, threads)
      + (d ? factorBytes(this.e, d, w, n, threads) + this.solveBytes(kind, method, m, w, n, d, threads) : 0);
    // A reaches wasm memory only inside [A b] (below), unless it lives there already.
    const scope = await this.e.scope({ signal: opts.signal, long: true }, [...(heap.owns(D.data) ? [D.data] : []), b], need + 8 * m * n);
    try {
      const call = this.call(scope, opts, 8 * m * n);
      // [A b] row-major (m × w), then whatever each method needs from it.
      const ab = scope.alloc(8 * m * w);
      const f64 = () => heap.f64;
      // scope.live: A or b from nl.alloc, detached if the scope grew unshared memory.
      const data = scope.live(D.data), rhs = scope.live(b);
      const src = D.layout === "row-major" ? data : rowMajor(new DenseMatrix(m, n, data, D.layout));
      // In COPY_SLICE slices with a turn of the event loop between them, so an abort is heard (as CallScope.copyIn).
      const sliceRows = Math.max(1, Math.floor(COPY_SLICE / (8 * w)));
      for (let i = 0; i < m; i++) {
        if (i > 0 && i % sliceRows === 0) await yieldForAbort(opts.signal);
        f64().set(src.subarray(i * n, i * n + n), (ab >> 3) + i * w);
        f64()[(ab >> 3) + i * w + n] = rhs[i];
      }
      const bp = scope.input(b);
      let x: Float64Array<ArrayBufferLike>, iterations = 0, reason: LstsqReason = "solved", R: Float64Array, rank: number | undefined;
      const clock = new PhaseClock();
      // Sketch-preconditioned methods: S·[A b] and R (with, for iterative sketching, the sketch-and-solve start) from its QR.
      let sketched: { R: Float64Array; c: Float64Array } | undefined;
      if (method !== "qr" && method !== "sketch-and-solve") {
        const sa = await this.apply(call, kind, ab, m, w, n, d, seed);
        clock.lap("sketch");
        sketched = await this.factor(call, sa, d, w, n);
        clock.lap("factor");
      }
      // "auto" takes Householder QR of A itself when that R says A is ill-conditioned: see AUTO_QR_ABOVE_COND.
      if (auto && sketched && !rankDeficient(sketched.R, n, d) && conditionEstimate(sketched.R, n) > AUTO_QR_ABOVE_COND) method = "qr";
      if (method === "qr" || method === "sketch-and-solve") {
        let block = ab, rows = m;
        if (method === "sketch-and-solve") {
          block = await this.apply(call, kind, ab, m, w, n, d, seed);
          rows = d;
          clock.lap("sketch");
        }
        const f = await this.factor(call, block, rows, w, n);
        clock.lap("factor");
        R = f.R;
        if (opts.rcond !== undefined || rankDeficient(R, n, rows)) {
          // A = Q·R with orthonormal Q: A⁺·b = R⁺·(Qᵀb), the minimum-norm solution.
          const s = minimumNormSolve(R, n, f.c, rcond);
          x = s.x; rank = s.rank;
          if (rank < n) reason = "rank-deficient";
        } else {
          x = solveR(R, n, f.c);
          rank = n;
        }
      } else {
        const f = sketched!;
        R = f.R;
        if (rankDeficient(R, n, d)) {
          reason = "rank-deficient";
          x = new Float64Array(n).fill(NaN);
        } else {
          const rm = scope.alloc(8 * n * n);
          f64().set(R, rm >> 3);
          const xp = scope.alloc(8 * n);
          const long = { signal: opts.signal, onProgress: opts.onProgress, long: true, threads };
          const bnorm = norm2(b);
          // Both start at the sketch-and-solve point.
          f64().set(solveR(R, n, f.c), xp >> 3);
          if (method === "sketch-and-precondition") {
            ({ iterations, reason } = await this.refine(call, { ab, w, m, n, bp, bnorm, rm, R, xp, maxIter, rtol }, long));
          } else {
            const r = await scope.launch(K.iterative_sketch_f64, { a: ab, lda: w, m, n, b: bp, bnorm, rm, x: xp, maxIter, rtol, rho: n / d }, long);
            iterations = r.iterations;
            reason = lstsqReason(r.reason);
          }
          x = f64().slice(xp >> 3, (xp >> 3) + n);
        }
      }
      clock.lap("solve");
      let cond = reason === "rank-deficient" ? Infinity : conditionEstimate(R, n), sigmaMin: number | undefined;
      // The sketch's R is off by the sketch's distortion (up to ~3× at d = 4n): refine on A itself.
      if (method !== "qr" && Number.isFinite(cond) && !signalled(opts)) {
        ({ cond, sigmaMin } = await refinedCondition(denseStep(scope, { signal: opts.signal, threads: call.threads }, ab, w, m, n), R, n, cond, conditionSteps(method)));
      }
      clock.lap("condition");
      // ‖b − A·x‖, ‖A‖_F and Aᵀ(b − A·x) in wasm, in one pass over [A b].
      const xp2 = scope.alloc(8 * n), g = scope.alloc(8 * n);
      f64().set(x, xp2 >> 3);
      const q = await scope.launch(K.lstsq_residual_f64, { a: ab, lda: w, m, n, b: bp, x: xp2, g }, call.opts);
      const diag = diagnostics(q.residual, q.frobenius, f64().slice(g >> 3, (g >> 3) + n), norm2(b));
      clock.lap("residual");
      return {
        x, residualNorm: q.residual, iterations, sketchSize: d, rank, conditionEstimate: cond, method, reason,
        converged: method === "qr" || method === "sketch-and-solve" ? reason === "solved" || reason === "rank-deficient" : reason === "converged",
        ...diag, times: clock.times,
        ...(guarantee ? { guarantee: guaranteeReport(guarantee, n, q.residual, sigmaMin) } : {}),
      };
    } finally {
      scope.free();
    }
  }
}
/** Wall-clock milliseconds of lstsq's phases: each lap() charges the time since the last to one. */
class PhaseClock {
  readonly times = { sketch: 0, factor: 0, solve: 0, condition: 0, residual: 0 };
  private last = performance.now();
  lap(phase: keyof PhaseClock["times"]): void {
    const now = performance.now();
    this.times[phase] += now - this.last;
    this.last = now;
  }
}

/** The relative and normal-equation residuals from ‖r‖, ‖A‖_F, Aᵀr and ‖b‖. */
function diagnostics(rnorm: number, anorm: number, atr: Float64Array, bnorm: number): { relativeResidual: number; normalResidual: number } {
  return { relativeResidual: bnorm > 0 ? rnorm / bnorm : 0, normalResidual: rnorm > 0 && anorm > 0 ? norm2(atr) / (anorm * rnorm) : 0 };
}

/** Bytes a StepOperator allocates: ũ (m), t and s (n), and its launch. */
function stepBytes(e: Engine, k: typeof K.gk_step_dense_f64 | typeof K.gk_step_csr_f64, m: number, n: number, threads: number): number {
  return 8 * (m + 2 * n) + 3 * 64 + e.launchBytes(k, { m, n }, threads);
}

/** A StepOperator over operands in the scope: u (m entries, ũ), t and s (n) allocated here. */
function stepOperator(scope: TurnScope, m: number, n: number, launch: (t: number, alpha: number, u: number, ratio: number, s: number) => Promise<{ normsq: number }>): StepOperator & { u: number } {
  const u = scope.alloc(8 * m), t = scope.alloc(8 * n), s = scope.alloc(8 * n);
  const f64 = () => scope.heap.f64;
  return {
    rows: m, cols: n, u,
    step: async (tv, alpha, ratio) => {
      if (tv) f64().set(tv, t >> 3);
      const { normsq } = await launch(t, alpha, u, ratio, s);
      return { normsq, s: f64().slice(s >> 3, (s >> 3) + n) };
    },
  };
}
/** The step over the first n columns of a dense row-major block (row i at a + 8·i·lda). */
function denseStep(scope: TurnScope, opts: RunOptions, a: number, lda: number, m: number, n: number) {
  return stepOperator(scope, m, n, (t, alpha, u, ratio, s) => scope.launch(K.gk_step_dense_f64, { a, lda, m, n, t, alpha, u, ratio, s }, opts));
}
/** The step over a CSR A in wasm memory. */
function csrStep(scope: TurnScope, opts: RunOptions, A: { indptr: number; indices: number; data: number }, m: number, n: number) {
  return stepOperator(scope, m, n, (t, alpha, u, ratio, s) => scope.launch(K.gk_step_csr_f64, { ...A, m, n, t, alpha, u, ratio, s }, opts));
}

/** Bytes of A's CSR arrays in wasm memory. */
const csrBytes = (A: CsrMatrix) => 12 * A.nnz + 4 * (A.rows + 1);

/** Refinement steps of the sketched condition estimate: one for sketch-and-solve (whose solve is about a pass over A), two for the iterative methods (tens of passes). */
const conditionSteps = (method: LstsqMethod) => (method === "sketch-and-solve" ? 1 : 2);

/**
 * opts.guarantee checked, with the sketch size it asks for: ε⁻²·n·ln³(m/δ)
 * rows (the paper's bound with constant 1), refused past m.
 */
type Guarantee = { epsilon: number; delta: number; size: number };

function checkGuarantee(g: unknown, m: number, n: number): Guarantee {
  requireOptions("opts.guarantee", g as Record<string, unknown>, { norm: true, epsilon: true, delta: true });
  const o = g as { norm: unknown; epsilon: unknown; delta: unknown };
  if (o.norm !== "inf") throw new NumlaneError("invalid-value", `expected "inf", got ${String(o.norm)}`, "opts.guarantee.norm");
  const epsilon = o.epsilon as number, delta = o.delta as number;
  if (typeof epsilon !== "number" || !(epsilon > 0 && epsilon < Infinity)) throw new NumlaneError("invalid-value", `expected a number > 0, got ${String(epsilon)}`, "opts.guarantee.epsilon");
  if (typeof delta !== "number" || !(delta > 0 && delta < 1)) throw new NumlaneError("invalid-value", `expected a number in (0, 1), got ${String(delta)}`, "opts.guarantee.delta");
  const size = Math.max(n, Math.ceil((n * Math.log(m / delta) ** 3) / (epsilon * epsilon)));
  if (size > m) throw new NumlaneError("invalid-value", `the bound needs a sketch of ${size} rows (ε⁻²·n·ln³(m/δ)), more than A's ${m}: a larger epsilon or delta, or method "qr" (exact)`, "opts.guarantee.epsilon");
  return { epsilon, delta, size };
}

/** What the guarantee gives: |x − x*|∞ ≤ ε/√n·‖r‖·‖A⁺‖, with ‖A⁺‖ = 1/σ_min refined on A (∞ without one). */
function guaranteeReport(g: Guarantee, n: number, residual: number, sigmaMin: number | undefined) {
  const pinv = sigmaMin ? 1 / sigmaMin : Infinity;
  return { norm: "inf" as const, epsilon: g.epsilon, delta: g.delta, bound: (g.epsilon / Math.sqrt(n)) * residual * pinv, residualEstimate: residual, pinvNormEstimate: pinv };
}

const signalled = (opts: CallOptions) => opts.signal?.aborted === true;

/** Refuses, before anything is allocated, a call whose wasm memory would pass numlane's limit. */
function checkFits(bytes: number, what: string): void {
  if (!(bytes <= MAXIMUM_BYTES)) throw new NumlaneError("out-of-memory", `${what} needs ${(bytes / 2 ** 30).toFixed(2)} GiB of wasm memory, more than numlane's ${MAXIMUM_BYTES / 2 ** 30} GiB`, "A");
}

function denseInput(A: DenseMatrix | CsrMatrix | number[][]): DenseMatrix {
  const m0 = toMatrix("A", A);
  const D = m0 instanceof CsrMatrix ? m0.toDense() : m0;
  allFinite("A", D.data);
  return D;
}
function checkKind(kind: unknown, name: string): SketchKind {
  if (!KINDS.includes(kind as SketchKind)) throw new NumlaneError("invalid-value", `unknown sketch ${String(kind)}; expected one of ${KINDS.join(", ")}`, name);
  return kind as SketchKind;
}
/** The kinds a CsrMatrix is sketched by in one pass over its nonzeros, never made dense. */
const CSR_KINDS = ["sparse-sign", "countsketch", "srht"] as const;
type CsrKind = (typeof CSR_KINDS)[number];
const isCsrKind = (kind: SketchKind): kind is CsrKind => (CSR_KINDS as readonly string[]).includes(kind);
/** S·[A b] of CSR arrays A into sa (b 0: A alone). */
function launchCsrSketch(scope: TurnScope, kind: CsrKind, a: { indptr: number; indices: number; data: number; m: number; n: number; b: number; d: number; seed: number; sa: number }, opts: RunOptions): Promise<unknown> {
  if (kind === "srht") return scope.launch(K.sketch_srht_csr_f64, a, opts);
  return scope.launch(K.sketch_sparse_csr_f64, { ...a, s: kind === "countsketch" ? 1 : Math.min(8, a.d) }, opts);
}
/** Bytes launchCsrSketch's launch allocates (withB: 1 when b rides along). */
function csrSketchBytes(e: Engine, kind: CsrKind, m: number, n: number, withB: number, threads: number): number {
  return kind === "srht" ? e.launchBytes(K.sketch_srht_csr_f64, { m, n, b: withB }, threads) : e.launchBytes(K.sketch_sparse_csr_f64, {}, threads);
}
/** Rows of the sparse sketch whose R gives the leverage estimates: distortion (1 ± √(n/d₁))² ≈ [0.4, 1.8] at 8n. */
const leveragePresketch = (rows: number, n: number) => Math.min(rows, Math.max(8 * n, n + 8));
/** The rows SRHT pads A to (sketch_srht_f64 computes its own p the same way): its sample draws at most this many. */
const nextPow2 = (m: number) => 2 ** Math.ceil(Math.log2(Math.max(1, m)));
/** Columns r of the Johnson–Lindenstrauss Π of leverage_scores_f64 (0: exact R⁻¹). */
const leverageColumns = (n: number) => (n <= LEVERAGE_JL_COLUMNS ? 0 : LEVERAGE_JL_COLUMNS);
/** Bytes Sketch.factor allocates for a rows×w block: the column-major copy, R's diagonal and ‖v‖², the QR's launch. */
function factorBytes(e: Engine, rows: number, w: number, n: number, threads: number): number {
  const qr = n >= QR_BLOCKED_MIN_COLUMNS ? K.qr_blocked_f64 : K.qr_householder_f64;
  return 8 * (rows * w + 2 * n) + e.launchBytes(qr, { rows }, threads) + 3 * 64;
}
/** Bytes Sketch.scores allocates for a rows×w block: the sparse presketch and its QR, R, the scores, the launches. */
function scoresBytes(e: Engine, rows: number, w: number, n: number, threads: number): number {
  const d1 = leveragePresketch(rows, n);
  return 8 * d1 * w + SKETCH_KINDS["sparse-sign"].bytes(e, { rows, w, n, d: d1 }, threads) + factorBytes(e, d1, w, n, threads)
    + 8 * (n * n + rows) + e.launchBytes(K.leverage_scores_f64, { n, r: leverageColumns(n) }, threads) + 3 * 64;
}
function rowMajor(D: DenseMatrix): Float64Array {
  const out = new Float64Array(D.rows * D.cols);
  for (let j = 0; j < D.cols; j++) for (let i = 0; i < D.rows; i++) out[i * D.cols + j] = D.data[j * D.rows + i];
  return out;
}

/**
 * A pivot of R at rounding level next to the largest (LAPACK's default rank
 * tolerance, rows·ε): A is numerically rank-deficient, x is not unique.
 */
function rankDeficient(R: Float64Array, n: number, rows: number): boolean {
  const tol = pivotTolerance(R, n, rows);
  for (let i = 0; i < n; i++) if (!(Math.abs(R[i * n + i]) > tol)) return true;
  return false;
}
function pivotTolerance(R: Float64Array, n: number, rows: number): number {
  let big = 0;
  for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(R[i * n + i]));
  return Math.max(rows, n) * Number.EPSILON * big;
}
/** Entries up to 2^±this are solved as they are: sums of their squares stay in float64's range. */
export const SAFE_EXPONENT = 256;
/** e when the largest |v| is 2^e·[1, 2) with |e| > SAFE_EXPONENT, else 0 (v = 0 too). */
export function unsafeExponent(v: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < v.length; i++) big = Math.max(big, Math.abs(v[i]));
  if (big === 0) return 0;
  const e = Math.floor(Math.log2(big));
  return Math.abs(e) > SAFE_EXPONENT ? e : 0;
}
/** Refuses entries past 2^±SAFE_EXPONENT where a solver does not rescale them (its sums of squares would overflow or underflow). */
export function refuseUnsafeScale(name: string, v: ArrayLike<number>): void {
  const e = unsafeExponent(v);
  if (e !== 0) throw new NumlaneError("unsupported", `entries reach 2^${e}: past 2^±${SAFE_EXPONENT} this solver's sums of squares overflow or underflow; scale by a power of two (exact) first`, name);
}
/** v·2^k, exact unless the result leaves float64's range (2^k itself may not be a float64). */
export function ldexp(v: number, k: number): number {
  for (; k > 1000; k -= 1000) v *= 2 ** 1000;
  for (; k < -1000; k += 1000) v *= 2 ** -1000;
  return v * 2 ** k;
}
/** ‖R⁻ᵀ·g‖ (g: Aᵀr; the gradient in the variables R·x, where A·R⁻¹ is near orthonormal). */
function preconditionedNorm(R: Float64Array, n: number, g: Float64Array): number {
  return norm2(solveRT(R, n, Float64Array.from(g)));
}
/** ‖v‖₂, scaled so that no square overflows or underflows (as nrm2). */
function norm2(v: Float64Array): number {
  let big = 0;
  for (let i = 0; i < v.length; i++) big = Math.max(big, Math.abs(v[i]));
  if (big === 0) return 0;
  let s = 0;
  for (let i = 0; i < v.length; i++) { const t = v[i] / big; s += t * t; }
  return big * Math.sqrt(s);
}
/** ‖R‖₂·‖R⁻¹‖₂ by power iterations on RᵀR and (RᵀR)⁻¹ (an estimate, from below). */
function conditionEstimate(R: Float64Array, n: number): number {
  // Every loop walks rows of R (contiguous); buffers are reused.
  const u = new Float64Array(n), v = new Float64Array(n);
  const applyGram = () => { // v ← Rᵀ·R·v
    for (let i = 0; i < n; i++) { let s = 0; for (let j = i; j < n; j++) s += R[i * n + j] * v[j]; u[i] = s; }
    v.fill(0);
    for (let i = 0; i < n; i++) { const ui = u[i]; for (let j = i; j < n; j++) v[j] += R[i * n + j] * ui; }
  };
  const applyInverseGram = () => { // v ← R⁻¹·R⁻ᵀ·v
    for (let i = 0; i < n; i++) { const zi = v[i] / R[i * n + i]; u[i] = zi; for (let j = i + 1; j < n; j++) v[j] -= R[i * n + j] * zi; }
    for (let i = n - 1; i >= 0; i--) { let s = u[i]; for (let j = i + 1; j < n; j++) s -= R[i * n + j] * v[j]; v[i] = s / R[i * n + i]; }
  };
  const power = (apply: () => void) => {
    for (let i = 0; i < n; i++) v[i] = 1 + ((i * 7919) % 13) / 13;
    let lam = 0;
    // Twelve steps: the estimate (from below) is then within a few percent for
    // the spectra seen here, and the whole estimate stays a fraction of a QR's cost.
    for (let k = 0; k < 12; k++) {
      let nv = 0;
      for (let i = 0; i < n; i++) nv += v[i] * v[i];
      nv = Math.sqrt(nv);
      for (let i = 0; i < n; i++) v[i] /= nv;
      apply();
      let next = 0;
      for (let i = 0; i < n; i++) next += v[i] * v[i];
      next = Math.sqrt(next);
      const done = Math.abs(next - lam) <= 1e-3 * next;
      lam = next;
      if (done) break;
    }
    return Math.sqrt(lam);
  };
  return power(applyGram) * power(applyInverseGram);
}
