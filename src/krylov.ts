// nl.cg: conjugate gradients for symmetric positive definite systems. The
// whole solve runs in one SPMD launch inside wasm (assembly/krylov/cg.ts):
// JavaScript sets it up, then only relays progress and cancellation.
import { NumlaneError } from "./errors.js";
import { HISTORY_CAP, reasonName, type CallOptions, type Engine } from "./engine.js";
import * as K from "./generated/kernels.js";
import { csrInput, CsrMatrix, DenseMatrix, toMatrix } from "./matrix.js";
import { allFinite, callback, callOptionKeys, checkOptions, float64Array, integer, nonNegative, requireOptions, type OptionKeys } from "./validate.js";
import { ic0Factor, ssorFactor, type TriangularFactor } from "./linalg/precond.js";
import type { Progress } from "./pool/pool.js";
import { contextValues, featureRows, OMEGA_GRID, RelaxationLearner, signatureRows, solveOrder } from "./sequence.js";
import { PatternMemo, PreparedMatrix, SequencePreparer, surveyCsr } from "./operator.js";
import { GmresRecyclingJudge, RecyclingJudge, type RecyclingVerdict } from "./recycle-policy.js";
import { coarseOption, CoarsePlan, type CoarseOptions } from "./coarse.js";

/** A matrix as the solvers take it: any of the three forms, or one prepared by nl.prepare. */
export type SolverMatrix = CsrMatrix | DenseMatrix | number[][] | PreparedMatrix;


export type Preconditioner = "none" | "jacobi" | "ssor" | "ic0";
/**
 * Why a solve stopped. "converged": the true residual ‖b − A·x‖ of the
 * returned x meets max(rtol·‖b‖, atol). "stagnated": the iteration's own
 * residual met it but the true one did not, even after restarts from the true
 * residual: the tolerance is below what rounding allows for this system.
 */
export type CgReason = "converged" | "max-iterations" | "breakdown" | "indefinite" | "aborted" | "stagnated";
/** Why a GMRES (or GCRO-DR) solve stopped: as CgReason, less "indefinite" (GMRES takes any nonsingular matrix). */
export type GmresReason = Exclude<CgReason, "indefinite">;

/** Options of nl.recycleSpace. */
export interface RecycleOptions {
  /** Vectors deflated in each solve (the recycle space's dimension). */
  k: number;
  /**
   * Preconditioned residuals (Lanczos vectors) kept from each CG solve to
   * build the next space from. Default max(4k, 40), lowered for big systems
   * so the kept vectors take at most 128 MiB. More is better: a richer basis
   * gives better Ritz vectors (figures: bench/results/krylov-notes.md).
   */
  ell?: number;
  /**
   * solveSequence only. "auto" (default): after the first solves, keep
   * recycling only if a model of its cost per iteration says the iterations
   * saved pay for it, else finish the sequence with plain PCG or plain
   * GMRES(m) (SequenceResult.recycling says which, and why). GMRES's judge
   * solves the second system by plain GMRES(m), capped where it would cost
   * more than GCRO-DR did on the first. "always": recycle to the end.
   */
  deflate?: "auto" | "always";
}
const RECYCLE_KEYS: OptionKeys<RecycleOptions> = { k: true, ell: true, deflate: true };

/**
 * A recycled Krylov subspace carried from one solve to the next: after each
 * CG solve it becomes the k Ritz vectors of smallest Ritz value in the span
 * of the old space and the solve's first ℓ preconditioned residuals
 * (Rayleigh–Ritz for A·x = θ·M·x, M the preconditioner, formed inside the
 * solve's launch from CG's own coefficients); the next solve deflates it
 * (Saad et al.'s deflated CG). Systems that
 * change little from one to the next then converge in fewer iterations.
 */
export class RecycleSpace {
  readonly k: number;
  readonly ell: number;
  readonly deflate: "auto" | "always";
  /** The space's vectors, one after another (size × n); empty before the first solve. */
  vectors = new Float64Array(0);
  /** Length of the vectors (the systems' size); 0 before the first solve. */
  n = 0;
  /** How many vectors the space holds now (≤ k). */
  size = 0;
  /** Ritz values of the current vectors (approximations of the smallest eigenvalues of M⁻¹·A, M the preconditioner); CG only. */
  ritzValues = new Float64Array(0);
  /**
   * The solver that filled the space: "cg" (Ritz vectors of M⁻¹·A) or "gmres"
   * (GCRO-DR's U, harmonic Ritz vectors of A·M⁻¹); a space serves one of them.
   */
  method: "cg" | "gmres" | undefined = undefined;

  /** `path` names the options in errors (solveSequence's are "opts.recycle"). */
  constructor(opts: RecycleOptions, path = "opts") {
    requireOptions(path, opts, RECYCLE_KEYS);
    this.k = integer(`${path}.k`, opts.k, 0, 64);
    this.ellGiven = opts.ell !== undefined;
    this.ell = integer(`${path}.ell`, opts.ell ?? Math.max(4 * this.k, 40), 1, 1024);
    const deflate = opts.deflate ?? "auto";
    if (deflate !== "auto" && deflate !== "always") throw new NumlaneError("invalid-value", `expected "auto" or "always", got ${String(deflate)}`, `${path}.deflate`);
    this.deflate = deflate;
  }

  private readonly ellGiven: boolean;

  /** Directions to keep in a solve of n unknowns. */
  keptFor(n: number): number {
    return this.ellGiven ? this.ell : Math.max(1, Math.min(this.ell, Math.floor(2 ** 24 / n)));
  }
}

export interface CgOptions extends CallOptions {
  /** Initial guess (default zeros). Never modified. */
  x0?: Float64Array;
  /** Stop when ‖r‖ ≤ max(rtol·‖b‖, atol). Default 1e-8. */
  rtol?: number;
  /** Default 0. */
  atol?: number;
  /** Default 10·n, as SciPy. */
  maxIter?: number;
  /**
   * Default "none". "jacobi" scales by the inverse diagonal; "ssor" (with
   * `omega`) and "ic0" (incomplete Cholesky on A's pattern, diagonally
   * shifted if it breaks down) cut iterations further, but their triangular
   * solves run on one thread.
   */
  preconditioner?: Preconditioner;
  /** SSOR's relaxation factor, 0 < ω < 2; default 1 (symmetric Gauss–Seidel). */
  omega?: number;
  /** Deflate this space, then update it from this solve for the next one. */
  recycle?: RecycleSpace;
  /**
   * Deflate a coarse space: Z's columns are indicator vectors of aggregates
   * of A's graph (Nicolaides deflation), E = ZᵀAZ is factored once per
   * solve, and each iteration projects with one sparse pass and one small
   * solve. It removes the smooth slow modes of diffusion-type matrices
   * (Darcy, Poisson, heat): on lognormal Darcy 128² with Jacobi, ~7× fewer
   * iterations. `true` or { aggregateSize }. Not with `recycle`.
   */
  coarse?: boolean | CoarseOptions;
}
const CG_KEYS = callOptionKeys<CgOptions>({ x0: true, rtol: true, atol: true, maxIter: true, preconditioner: true, omega: true, recycle: true, coarse: true });

export interface CgResult {
  x: Float64Array;
  iterations: number;
  converged: boolean;
  reason: CgReason;
  /** ‖b − A·x‖ of the returned x, recomputed (not the recursive residual). */
  residualNorm: number;
  /** Recursive ‖r_k‖ for k = 0..iterations (the first 2²⁰ of them). */
  residualHistory: Float64Array;
  /** IC(0) only: the diagonal shift α it needed (factor of A + α·diag(A)); 0 when none. */
  preconditionerShift?: number;
  /**
   * With a non-empty recycle space: whether it was deflated. When WᵀAW is
   * not positive definite (the space nearly dependent, or the matrix changed
   * too much) the solve runs as plain PCG and says why; the space is then
   * rebuilt from this solve alone.
   */
  recycling?: { used: boolean; reason?: string };
  /** With `coarse`: the number of aggregates, and whether E = ZᵀAZ was positive definite (else the solve ran as plain PCG). */
  coarse?: { aggregates: number; used: boolean };
}

export interface GmresResult {
  x: Float64Array;
  iterations: number;
  converged: boolean;
  reason: GmresReason;
  /** ‖b − A·x‖ of the returned x, recomputed (not GMRES's estimate). */
  residualNorm: number;
  /** GMRES's residual estimates for k = 0..iterations (the first 2²⁰ of them). */
  residualHistory: Float64Array;
  /** With `coarse`: the number of aggregates, and whether E = ZᵀAZ had a usable LU (else the solve ran with Jacobi alone). */
  coarse?: { aggregates: number; used: boolean };
}

// Relative asymmetry above this is not a symmetric matrix that rounding spoiled.
const SYMMETRY_TOL = 1e-10;

export interface GmresOptions extends CallOptions {
  /** Initial guess (default zeros). Never modified. */
  x0?: Float64Array;
  /** Stop when ‖r‖ ≤ max(rtol·‖b‖, atol). Default 1e-8. */
  rtol?: number;
  atol?: number;
  /** Total Arnoldi steps allowed; default 10·n. */
  maxIter?: number;
  /** Steps per cycle before a restart (the Krylov basis size); default min(30, n). */
  restart?: number;
  /** "none" (default) or "jacobi" (right preconditioning by the inverse diagonal). */
  preconditioner?: "none" | "jacobi";
  /**
   * Recycle this space (GCRO-DR(m, k) with m = restart, k = the space's k):
   * the solve projects it out first and keeps it deflated through every
   * restart, and leaves in it the k harmonic Ritz vectors of the solve's last
   * cycle for the next system. Needs restart > k. It saves iterations but
   * each cycle also orthogonalises against C and renews U and C, O(k·m·n),
   * which a cheap matvec (a 5-point stencil) does not repay: it pays when a
   * matvec is dear (many nonzeros a row, costly preconditioning). Figures:
   * bench/results/krylov-notes.md.
   */
  recycle?: RecycleSpace;
  /**
   * A two-level right preconditioner: a coarse-space correction (Z the
   * indicator vectors of aggregates of A's graph, E = ZᵀAZ factored by LU in
   * its envelope) followed by a Jacobi sweep, M⁻¹v = q + D⁻¹(v − A·q) with
   * q = Z·E⁻¹·Zᵀv. It cuts GMRES's steps several-fold on diffusion-type and
   * Helmholtz-type grids. `true` or { aggregateSize }; the preconditioner is
   * then "jacobi" (giving "none" is an error). Works with `recycle` (GCRO-DR).
   */
  coarse?: boolean | CoarseOptions;
}
const GMRES_KEYS = callOptionKeys<GmresOptions>({ x0: true, rtol: true, atol: true, maxIter: true, restart: true, preconditioner: true, recycle: true, coarse: true });

export interface SequenceOptions extends Omit<CgOptions, "recycle" | "x0" | "onProgress" | "omega"> {
  /**
   * SSOR's ω: a number for every system, or "learn" (Learning to Relax,
   * Khodak et al.): a Tsallis-INF bandit over ω = 1, 1.1, …, 1.9 that sees
   * only each solve's iteration count; per context bin when the systems carry
   * a `context`. The ω used are in the result's `omegas`.
   */
  omega?: number | "learn";
  /** Seeds the learner's draws (omega "learn"); default 0. */
  seed?: number;
  /**
   * "cg" (default; SPD systems, deflated CG) or "gmres" (nonsymmetric systems;
   * with `recycle`, GCRO-DR(restart, k), preconditioner "none" or "jacobi").
   */
  method?: "cg" | "gmres";
  /** GMRES only: steps per cycle (default min(30, n)); must exceed recycle.k. */
  restart?: number;
  /** "sorted" (default): solve neighbours in similarity order; "given": as passed. */
  order?: "sorted" | "given";
  /**
   * Recycle a k-dimensional space from each solve to the next, e.g. { k: 8 };
   * default false (plain CG). Recycling cuts iterations but each deflated
   * iteration reads 2k more vectors, and each update costs O(k·(k+ℓ)·n): on
   * 5-point stencils with Jacobi that outweighs the saving, so by default
   * (`deflate: "auto"`) CG sequences drop it when the first solves show it
   * does not pay. It pays when SpMV is dear next to 2k vector reads and the
   * systems share a few small eigenvalues. Figures: bench/results/krylov-notes.md.
   */
  recycle?: RecycleOptions | false;
  /** Progress of the solve in hand, with its index in the caller's order. */
  onProgress?: (p: Progress & { system: number }) => void;
  /**
   * Called as each system is solved, in solve order (`system`: its index in
   * the caller's order; `seconds`: that solve's wall time), so a caller can
   * stream solutions out, or know how far an aborted sequence got.
   */
  onSolved?: (s: { system: number; result: CgResult | GmresResult; seconds: number }) => void;
}
const SEQUENCE_KEYS = callOptionKeys<SequenceOptions>({
  rtol: true, atol: true, maxIter: true, preconditioner: true, omega: true, method: true, restart: true, order: true, recycle: true, seed: true, onSolved: true, coarse: true,
});

/** One system of a sequence: A·x = b. */
export interface LinearSystem {
  A: SolverMatrix;
  b: Float64Array;
  /** What the system is made from (a field's coefficients, a shift…): sorted by these when given (all of one length). */
  features?: ArrayLike<number>;
  /** A scalar that moves the best ω (a shift, a diffusion scale), for omega "learn". */
  context?: number;
}
const SYSTEM_KEYS: OptionKeys<LinearSystem> = { A: true, b: true, features: true, context: true };

export interface SequenceOrderOptions {
  /** "features" (default; when every system has them, else signatures) or "signatures" (of the matrices, even when features are given). */
  by?: "features" | "signatures";
}
const ORDER_KEYS: OptionKeys<SequenceOrderOptions> = { by: true };

/** A non-empty array of objects with only LinearSystem's keys (their values are checked where used). */
function checkSystemList(systems: unknown): asserts systems is LinearSystem[] {
  if (!Array.isArray(systems)) throw new NumlaneError("invalid-type", "expected an array of { A, b }", "systems");
  if (systems.length === 0) throw new NumlaneError("invalid-size", "expected at least one system", "systems");
  systems.forEach((sys, i) => {
    if (sys === null || typeof sys !== "object") throw new NumlaneError("invalid-type", "expected { A, b }", `systems[${i}]`);
    checkOptions(`systems[${i}]`, sys, SYSTEM_KEYS);
  });
}

export interface SequenceResult {
  /** In the caller's order. */
  solutions: Float64Array[];
  /** Iterations of each solve, in the caller's order. */
  iterations: number[];
  /** Reason each solve stopped, in the caller's order. */
  reasons: (CgReason | GmresReason)[];
  /** The order the systems were solved in (indices into the caller's list). */
  order: number[];
  totalIterations: number;
  /** With recycle (deflate "auto"): whether recycling was kept to the end, or dropped (and why) when the first solves showed it costs more than it saves. */
  recycling?: RecyclingVerdict;
  /** SSOR's ω for each system, in the caller's order (with omega "learn"). */
  omegas?: number[];
}

export class Krylov {
  constructor(private readonly e: Engine) {}

  async cg(A: SolverMatrix, b: Float64Array, opts: CgOptions = {}): Promise<CgResult> {
    return this.cgWith(A, b, opts);
  }

  /** nl.cg, with solveSequence's coarse plan for A's pattern when it has one. */
  private async cgWith(A: SolverMatrix, b: Float64Array, opts: CgOptions, sequencePlan?: CoarsePlan): Promise<CgResult> {
    checkOptions("opts", opts, CG_KEYS);
    const { S, n, x0, prepared, survey } = squareSystem("CG", A, b, opts.x0, "", { symmetry: true, diagonal: needsDiagonal(opts.preconditioner) });
    checkSymmetric(prepared ? prepared.asymmetry() : survey!.asymmetry ?? S.asymmetry(), "A");
    const rtol = nonNegative("opts.rtol", opts.rtol ?? 1e-8);
    const atol = nonNegative("opts.atol", opts.atol ?? 0);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 10 * n, 0, 2 ** 30);
    const pre = preconditionerFor("cg", opts.preconditioner);
    if (opts.omega !== undefined && !PRECONDITIONERS[pre].omega) throw new NumlaneError("invalid-value", `omega is SSOR's relaxation factor; the preconditioner is "${pre}"`, "opts.omega");
    // A symmetric positive definite matrix has a positive diagonal.
    const { dinv, factor, shift } = PRECONDITIONERS[pre].setup(S, { diagonal: () => prepared ? prepared.diagonal() : survey!.diagonal!, spd: true, omega: opts.omega, name: "A" });

    const recycle = opts.recycle;
    if (recycle !== undefined) checkSpace(recycle, "cg", n);
    const wanted = coarseOption(opts.coarse, "opts.coarse");
    const coarse = sequencePlan ?? (wanted && CoarsePlan.build(S, wanted, "opts.coarse", "cg"));
    if (coarse && recycle !== undefined) throw new NumlaneError("invalid-value", "coarse deflation and a recycle space cannot be combined; give one", "opts.coarse");
    if (isZero(b)) return zeroSolution(n);
    const { rhs, start, scale, rhsSquared } = safelyScaled(b, x0);
    const tol = tolerance(rhsSquared, rtol, atol * scale);

    const heap = this.e.heap;
    const historyCap = Math.min(maxIter + 1, HISTORY_CAP);
    // Deflation: s vectors now; recycling: room for ℓ kept residuals and the k new vectors.
    const s = recycle?.size ?? 0, ell = recycle ? recycle.keptFor(n) : 0, kNew = recycle?.k ?? 0;
    const nnz = S.nnz; // read before the scope, whose memory growth may detach nl.alloc arrays (single build)
    const threads = this.e.threadsFor(12 * nnz + 8 * (7 + 2 * s) * n, opts);
    const coarseShape = coarse ? { coarse: coarse.k, coarseCols: coarse.colPtr[coarse.k], coarseEnv: coarse.envStart[coarse.k] } : { coarse: 0, coarseCols: 0, coarseEnv: 0 };
    const shape = { n, k: s, kNew, ell, ...coarseShape };
    const factorArrays = factor ? [factor.lower.indptr, factor.lower.indices, factor.lower.data, factor.upper.indptr, factor.upper.indices, factor.upper.data, factor.diag] : [];
    const coarseArrays = coarse ? [coarse.agg, coarse.colPtr, coarse.colRows, coarse.colPos, coarse.envStart, coarse.envPos] : [];
    const outputs = 8 * (n + historyCap + s * n + kNew * n + kNew) + 5 * 64;
    const scope = await this.e.scope({ signal: opts.signal, long: true }, [S.indptr, S.indices, S.data, rhs, ...(start ? [start] : []), ...(dinv ? [dinv] : []), ...factorArrays, ...coarseArrays],
      outputs + this.e.launchBytes(K.cg_f64, shape, threads));
    try {
      const { indptr, indices, data } = csrInput(scope, "A", S, n, n);
      const [lowerIndptr, lowerIndices, lowerData, upperIndptr, upperIndices, upperData, factorDiag] = factor ? factorArrays.map((a) => scope.input(a)) : [0, 0, 0, 0, 0, 0, 0];
      const [coarseAgg, coarseColPtr, coarseColRows, coarseColPos, coarseEnvStart, coarseEnvPos] = coarse ? coarseArrays.map((a) => scope.input(a)) : [0, 0, 0, 0, 0, 0];
      const x = scope.alloc(8 * n);
      if (start) heap.f64.set(scope.live(start), x >> 3); else heap.f64.fill(0, x >> 3, (x >> 3) + n);
      const w = scope.alloc(8 * Math.max(1, s * n));
      if (s > 0) heap.f64.set(recycle!.vectors.subarray(0, s * n), w >> 3);
      const history = scope.alloc(8 * historyCap), wNew = scope.alloc(8 * Math.max(1, kNew * n)), ritz = scope.alloc(8 * Math.max(1, kNew));
      const r = await scope.launch(K.cg_f64, {
        indptr, indices, data, n, b: scope.input(rhs), x, dinv: dinv ? scope.input(dinv) : 0,
        lowerIndptr, lowerIndices, lowerData, upperIndptr, upperIndices, upperData, factorDiag,
        history, historyCap, maxIter, tol, w, k: s, wNew, kNew, ell, ritz,
        coarseAgg, coarseColPtr, coarseColRows, coarseColPos, coarseEnvStart, coarseEnvPos, ...coarseShape,
      }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
      const f64 = heap.f64;
      const reason = reasonName(r.reason) as CgReason;
      if (recycle && r.recycled >= 0) {
        recycle.vectors = this.e.copyOut(f64.subarray(wNew >> 3, (wNew >> 3) + r.recycled * n));
        recycle.ritzValues = this.e.copyOut(f64.subarray(ritz >> 3, (ritz >> 3) + r.recycled));
        recycle.size = r.recycled;
        recycle.n = n;
        recycle.method = "cg";
      }
      // A space that could not be deflated (WᵀAW not positive definite) was a fallback to plain CG.
      const recycling = recycle && s > 0 ? { recycling: r.deflated === 1 ? { used: true } : { used: false, reason: "projected matrix not positive definite" } } : {};
      const coarseReport = coarse ? { coarse: { aggregates: coarse.k, used: r.deflated === 1 } } : {};
      return unscaled({
        x: this.e.copyOut(f64.subarray(x >> 3, (x >> 3) + n)),
        iterations: r.iterations,
        converged: reason === "converged",
        reason,
        residualNorm: r.trueResidual,
        residualHistory: this.e.copyOut(f64.subarray(history >> 3, (history >> 3) + Math.min(r.iterations + 1, historyCap))),
        ...(shift !== undefined ? { preconditionerShift: shift } : {}),
        ...recycling,
        ...coarseReport,
      }, scale);
    } finally {
      scope.free();
    }
  }

  /** Restarted GMRES for a general square (nonsymmetric) system, in one SPMD launch. */
  async gmres(A: SolverMatrix, b: Float64Array, opts: GmresOptions = {}): Promise<GmresResult> {
    return this.gmresWith(A, b, opts);
  }

  /** nl.gmres, with solveSequence's coarse plan for A's pattern when it has one. */
  private async gmresWith(A: SolverMatrix, b: Float64Array, opts: GmresOptions, sequencePlan?: CoarsePlan): Promise<GmresResult> {
    checkOptions("opts", opts, GMRES_KEYS);
    const wanted = coarseOption(opts.coarse, "opts.coarse");
    const twoLevel = sequencePlan !== undefined || wanted !== undefined;
    if (twoLevel) checkTwoLevelPreconditioner(opts.preconditioner);
    const preconditioner = twoLevel ? "jacobi" : opts.preconditioner;
    const { S, n, x0, prepared, survey } = squareSystem("GMRES", A, b, opts.x0, "", { symmetry: false, diagonal: needsDiagonal(preconditioner) });
    const rtol = nonNegative("opts.rtol", opts.rtol ?? 1e-8);
    const atol = nonNegative("opts.atol", opts.atol ?? 0);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 10 * n, 0, 2 ** 30);
    const restart = integer("opts.restart", opts.restart ?? Math.min(30, n), 1, 1000);
    const pre = preconditionerFor("gmres", preconditioner);
    const { dinv } = PRECONDITIONERS[pre].setup(S, { diagonal: () => prepared ? prepared.diagonal() : survey!.diagonal!, spd: false, name: "A" });
    if (opts.recycle !== undefined) {
      checkSpace(opts.recycle, "gmres", n);
      checkRestart(restart, opts.recycle.k);
    }
    const plan = sequencePlan ?? (wanted && CoarsePlan.build(S, wanted, "opts.coarse", "gmres"));
    if (isZero(b)) return zeroSolution(n);
    const { rhs, start, scale, rhsSquared } = safelyScaled(b, x0);
    const tol = tolerance(rhsSquared, rtol, atol * scale);
    if (opts.recycle !== undefined) return unscaled(await this.gcrodr(S, rhs, start, dinv, plan, tol, maxIter, restart, opts.recycle, opts), scale);
    const coarse = twoLevelInputs(plan);
    const m = restart, heap = this.e.heap;
    const historyCap = Math.min(maxIter + 1, HISTORY_CAP);
    const threads = this.e.threadsFor(arnoldiPhaseBytes(S.nnz, n, m, 0), opts);
    const outputs = 8 * (n + historyCap) + 2 * 64;
    const scope = await this.e.scope({ signal: opts.signal, long: true }, [S.indptr, S.indices, S.data, rhs, ...(start ? [start] : []), ...(dinv ? [dinv] : []), ...coarse.arrays],
      outputs + this.e.launchBytes(K.gmres_f64, { n, m, ...coarse.shape }, threads));
    try {
      const { indptr, indices, data } = csrInput(scope, "A", S, n, n);
      const x = scope.alloc(8 * n);
      if (start) heap.f64.set(scope.live(start), x >> 3); else heap.f64.fill(0, x >> 3, (x >> 3) + n);
      const history = scope.alloc(8 * historyCap);
      const r = await scope.launch(K.gmres_f64, {
        indptr, indices, data, n, b: scope.input(rhs), x, dinv: dinv ? scope.input(dinv) : 0, m, history, historyCap, maxIter, tol,
        ...coarse.params(scope), ...coarse.shape,
      }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
      const f64 = heap.f64, reason = reasonName(r.reason) as GmresReason;
      return unscaled({
        x: this.e.copyOut(f64.subarray(x >> 3, (x >> 3) + n)), iterations: r.iterations, converged: reason === "converged", reason,
        residualNorm: r.trueResidual, residualHistory: this.e.copyOut(f64.subarray(history >> 3, (history >> 3) + Math.min(r.iterations + 1, historyCap))),
        ...(plan ? { coarse: { aggregates: plan.k, used: r.coarse === 1 } } : {}),
      }, scale);
    } finally {
      scope.free();
    }
  }

  /** GCRO-DR(m, k) with the space `space` (checked), in one SPMD launch; updates the space. `rhs`, `start`: b and x0 as the kernel takes them. */
  private async gcrodr(
    S: CsrMatrix, rhs: Float64Array, start: Float64Array | undefined, dinv: Float64Array | undefined, plan: CoarsePlan | undefined,
    tol: number, maxIter: number, m: number, space: RecycleSpace, opts: GmresOptions,
  ): Promise<GmresResult> {
    const coarse = twoLevelInputs(plan);
    const n = S.rows, k = space.k, s0 = space.size, heap = this.e.heap;
    const historyCap = Math.min(maxIter + 1, HISTORY_CAP);
    const threads = this.e.threadsFor(arnoldiPhaseBytes(S.nnz, n, m, k), opts);
    const outputs = 8 * (n + k * n + historyCap) + 3 * 64;
    const scope = await this.e.scope({ signal: opts.signal, long: true }, [S.indptr, S.indices, S.data, rhs, ...(start ? [start] : []), ...(dinv ? [dinv] : []), ...coarse.arrays],
      outputs + this.e.launchBytes(K.gcrodr_f64, { n, m, k, ...coarse.shape }, threads));
    try {
      const { indptr, indices, data } = csrInput(scope, "A", S, n, n);
      const x = scope.alloc(8 * n);
      if (start) heap.f64.set(scope.live(start), x >> 3); else heap.f64.fill(0, x >> 3, (x >> 3) + n);
      const U = scope.alloc(8 * Math.max(1, k * n));
      if (s0 > 0) heap.f64.set(space.vectors.subarray(0, s0 * n), U >> 3);
      const history = scope.alloc(8 * historyCap);
      const r = await scope.launch(K.gcrodr_f64, {
        indptr, indices, data, n, b: scope.input(rhs), x, dinv: dinv ? scope.input(dinv) : 0, m, k, U, s0, history, historyCap, maxIter, tol,
        ...coarse.params(scope), ...coarse.shape,
      }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
      const f64 = heap.f64, reason = reasonName(r.reason) as GmresReason;
      if (reason !== "aborted") {
        space.vectors = this.e.copyOut(f64.subarray(U >> 3, (U >> 3) + r.size * n));
        space.size = r.size;
        space.n = n;
        space.method = "gmres";
        space.ritzValues = new Float64Array(0);
      }
      return {
        x: this.e.copyOut(f64.subarray(x >> 3, (x >> 3) + n)), iterations: r.iterations, converged: reason === "converged", reason,
        residualNorm: r.trueResidual, residualHistory: this.e.copyOut(f64.subarray(history >> 3, (history >> 3) + Math.min(r.iterations + 1, historyCap))),
        ...(plan ? { coarse: { aggregates: plan.k, used: r.coarse === 1 } } : {}),
      };
    } finally {
      scope.free();
    }
  }

  /**
   * Solves a sequence of SPD systems (or, with method "gmres", nonsymmetric
   * ones), recycling a Krylov subspace from each solve to the next, after ordering them so that neighbours are similar
   * (as SKR does for data generation), which is what makes recycling pay.
   */
  async solveSequence(systems: LinearSystem[], opts: SequenceOptions = {}): Promise<SequenceResult> {
    checkOptions("opts", opts, SEQUENCE_KEYS);
    checkSystemList(systems);
    const method = opts.method ?? "cg";
    if (method !== "cg" && method !== "gmres") throw new NumlaneError("invalid-value", `expected "cg" or "gmres", got ${String(method)}`, "opts.method");
    // Every system and option is checked before the first solve (and the ordering's SpMVs).
    const coarse = coarseOption(opts.coarse, "opts.coarse");
    // GMRES's coarse correction is followed by Jacobi, whose diagonals are then checked here too.
    const twoLevel = method === "gmres" && coarse !== undefined;
    const pre = preconditionerFor(method, twoLevel && opts.preconditioner === undefined ? "jacobi" : opts.preconditioner);
    nonNegative("opts.rtol", opts.rtol ?? 1e-8);
    nonNegative("opts.atol", opts.atol ?? 0);
    if (opts.maxIter !== undefined) integer("opts.maxIter", opts.maxIter, 0, 2 ** 30);
    // Symmetry is measured here, once (with finiteness and the diagonal, in
    // one sweep per matrix's values; a pattern the systems share is checked
    // and planned once); a system's matrix is copied into wasm memory
    // once, when its turn comes (its pattern only when it differs from the last).
    const patterns = new PatternMemo();
    const asymmetries: (number | undefined)[] = new Array(systems.length);
    const mats = systems.map((sys, i) => {
      const want = { symmetry: method === "cg", diagonal: PRECONDITIONERS[pre].diagonal, patterns };
      const { S, prepared, survey } = squareSystem(method === "cg" ? "CG" : "GMRES", sys.A, sys.b, undefined, `systems[${i}].`, want);
      if (method === "cg") checkSymmetric(asymmetries[i] = prepared ? prepared.asymmetry() : survey!.asymmetry ?? S.asymmetry(), `systems[${i}].A`);
      if (PRECONDITIONERS[pre].diagonal) checkDiagonal(prepared ? prepared.diagonal() : survey!.diagonal!, method === "cg", `systems[${i}].A`);
      return S;
    });
    const features = featureRows(systems), contexts = contextValues(systems);
    const learn = opts.omega === "learn";
    if (learn && (method !== "cg" || !PRECONDITIONERS[pre].omega)) throw new NumlaneError("invalid-value", "\"learn\" chooses SSOR's ω: it needs method \"cg\" with preconditioner \"ssor\"", "opts.omega");
    const learner = learn ? new RelaxationLearner(systems.length, contexts, integer("opts.seed", opts.seed ?? 0, 0, 2 ** 32 - 1)) : undefined;
    const order = opts.order ?? "sorted";
    if (order !== "sorted" && order !== "given") throw new NumlaneError("invalid-value", `expected "sorted" or "given", got ${String(order)}`, "opts.order");
    const recycleOpts = opts.recycle ?? false;
    if (recycleOpts !== false) {
      for (let i = 1; i < mats.length; i++) {
        if (mats[i].rows !== mats[0].rows) {
          throw new NumlaneError("invalid-shape", `recycling needs systems of one size: ${mats[0].rows} unknowns, then ${mats[i].rows}`, `systems[${i}].A`);
        }
      }
    }
    const space = recycleOpts === false ? undefined : new RecycleSpace(recycleOpts, "opts.recycle");
    const judge = space && method === "cg" && space.deflate === "auto" ? new RecyclingJudge(space.k, space.keptFor(mats[0].rows), mats[0], PRECONDITIONERS[pre].triangular) : undefined;
    const restartSteps = integer("opts.restart", opts.restart ?? Math.min(30, mats[0].rows), 1, 1000);
    if (space && method === "gmres") checkRestart(restartSteps, space.k);
    const gmresJudge = space && method === "gmres" && space.deflate === "auto"
      ? new GmresRecyclingJudge(space.k, restartSteps, mats[0], twoLevel ? "two-level" : pre === "jacobi" ? "jacobi" : "none") : undefined;
    const sequence = order === "given" ? mats.map((_, i) => i) : solveOrder(features ?? signatureRows(mats));
    const omegas: number[] | undefined = learner ? new Array(mats.length) : undefined;
    const solutions: Float64Array[] = new Array(mats.length);
    const iterations: number[] = new Array(mats.length);
    const reasons: (CgReason | GmresReason)[] = new Array(mats.length);
    const { onProgress, onSolved, order: _o, recycle: _r, method: _m, restart, omega: _w, seed: _s, coarse: _c, ...cgOpts } = opts;
    if (onSolved !== undefined) callback("opts.onSolved", onSolved);
    if (method === "cg" && restart !== undefined) throw new NumlaneError("invalid-value", "restart is for method \"gmres\"", "opts.restart");
    // One coarse plan per pattern: built from the first system of a pattern, kept while the next ones share it.
    if (coarse && method === "cg" && space) throw new NumlaneError("invalid-value", "CG's coarse deflation and recycle cannot be combined; give one", "opts.coarse");
    if (twoLevel) checkTwoLevelPreconditioner(opts.preconditioner);
    let plan: CoarsePlan | undefined;
    const planFor = (S: CsrMatrix) => {
      if (!coarse) return undefined;
      if (!plan || !plan.fits(S)) plan = CoarsePlan.build(S, coarse, "opts.coarse", method);
      return plan;
    };
    const preparer = new SequencePreparer(this.e.heap);
    try {
      for (const i of sequence) {
        const progress = onProgress && ((p: Progress) => onProgress({ ...p, system: i }));
        const started = performance.now();
        const omega = learner ? OMEGA_GRID[learner.choose(i)] : opts.omega as number | undefined;
        const given = systems[i].A instanceof PreparedMatrix ? systems[i].A as PreparedMatrix : undefined;
        const A = given ?? preparer.prepare(mats[i], `systems[${i}].A`, asymmetries[i]);
        let r: CgResult | GmresResult;
        try {
          r = method === "gmres"
            ? await this.gmresInSequence(A, systems[i].b, { ...cgOpts, preconditioner: cgOpts.preconditioner as GmresOptions["preconditioner"], restart, onProgress: progress }, space, gmresJudge, planFor(mats[i]))
            : await this.cgWith(A, systems[i].b, { ...cgOpts, recycle: judge && !judge.recycling ? undefined : space, onProgress: progress, omega }, planFor(mats[i]));
        } finally {
          if (!given) A.free();
        }
        solutions[i] = r.x;
        iterations[i] = r.iterations;
        reasons[i] = r.reason;
        judge?.observe(r.iterations, "recycling" in r && r.recycling?.used === true);
        if (learner) { learner.observe(r.iterations); omegas![i] = omega!; }
        onSolved?.({ system: i, result: r, seconds: (performance.now() - started) / 1e3 });
      }
    } finally {
      preparer.close();
    }
    return {
      solutions, iterations, reasons, order: sequence, totalIterations: iterations.reduce((a, b) => a + b, 0),
      ...(omegas ? { omegas } : {}), ...(judge ? { recycling: judge.verdict } : {}), ...(gmresJudge ? { recycling: gmresJudge.verdict } : {}),
    };
  }

  /**
   * One GMRES system of a sequence, as the judge asks: with the space
   * (GCRO-DR), or plain GMRES(m) (capped when it is the judge's probe: a
   * probe that stops at its cap has lost, and GCRO-DR finishes the system
   * from its x; the steps of both count).
   */
  private async gmresInSequence(A: SolverMatrix, b: Float64Array, opts: GmresOptions, space: RecycleSpace | undefined, judge: GmresRecyclingJudge | undefined, plan: CoarsePlan | undefined): Promise<GmresResult> {
    const how = judge?.next() ?? { recycle: true as const };
    if (how.recycle) {
      const r = await this.gmresWith(A, b, { ...opts, recycle: space }, plan);
      judge?.observe(r.iterations, r.converged);
      return r;
    }
    const maxIter = how.cap === undefined ? opts.maxIter : Math.min(opts.maxIter ?? Infinity, how.cap);
    const plain = await this.gmresWith(A, b, { ...opts, ...(maxIter !== undefined && { maxIter }) }, plan);
    judge!.observe(plain.iterations, plain.converged);
    if (how.cap === undefined || plain.converged || plain.reason === "aborted") return plain;
    const left = opts.maxIter === undefined ? undefined : Math.max(0, opts.maxIter - plain.iterations);
    const rest = await this.gmresWith(A, b, { ...opts, recycle: space, x0: plain.x, ...(left !== undefined && { maxIter: left }) }, plan);
    const history = new Float64Array(plain.residualHistory.length + rest.residualHistory.length);
    history.set(plain.residualHistory);
    history.set(rest.residualHistory, plain.residualHistory.length);
    return { ...rest, iterations: plain.iterations + rest.iterations, residualHistory: history };
  }

  /**
   * The order solveSequence would solve `systems` in: a short path through
   * their `features` when every system has them, else through signatures of
   * their matrices (opts.by chooses).
   */
  sequenceOrder(systems: LinearSystem[], opts: SequenceOrderOptions = {}): number[] {
    checkOptions("opts", opts, ORDER_KEYS);
    const by = opts.by ?? "features";
    if (by !== "features" && by !== "signatures") throw new NumlaneError("invalid-value", `expected "features" or "signatures", got ${String(by)}`, "opts.by");
    checkSystemList(systems);
    const features = featureRows(systems);
    if (features && by === "features") return solveOrder(features);
    const mats = systems.map((sys, i) => squareSystem("ordering", sys.A, sys.b, undefined, `systems[${i}].`).S);
    return solveOrder(signatureRows(mats));
  }
}

/**
 * The memory traffic between two barriers of an Arnoldi step, which sets its
 * default threads: the SpMV, and Gram–Schmidt's two passes over the k
 * recycled and, on average, m/2 + 1 basis vectors, split by the step's three
 * barriers. (The whole step's traffic gave GMRES(40) two threads at n = 2304,
 * where they took 1.3× one thread's time; from n = 4096 two are 1.5× faster.)
 */
function arnoldiPhaseBytes(nnz: number, n: number, m: number, k: number): number {
  return (12 * nnz + 16 * (k + m / 2 + 1) * n + 32 * n) / 3;
}

/** GMRES's coarse correction is followed by a Jacobi sweep: preconditioner "none" cannot go with it. */
function checkTwoLevelPreconditioner(preconditioner: unknown): void {
  if (preconditioner === "none") throw new NumlaneError("invalid-value", "the coarse correction is followed by a Jacobi sweep: leave the preconditioner out or give \"jacobi\"", "opts.preconditioner");
}

/** What gmres_f64 and gcrodr_f64 take for the two-level preconditioner (zeros without one). */
function twoLevelInputs(plan: CoarsePlan | undefined) {
  const arrays = plan ? [plan.agg, plan.memberPtr, plan.members, plan.envStart, plan.envPos] : [];
  return {
    arrays,
    shape: { coarse: plan?.k ?? 0, coarseEnv: plan?.envSize ?? 0 },
    params: (scope: { input(a: Int32Array): number }) => {
      const [coarseAgg, coarseMemberPtr, coarseMembers, coarseEnvStart, coarseEnvPos] = plan ? arrays.map((a) => scope.input(a)) : [0, 0, 0, 0, 0];
      return { coarseAgg, coarseMemberPtr, coarseMembers, coarseEnvStart, coarseEnvPos };
    },
  };
}

/** A recycle space fit for `method` on n unknowns, else a typed error. */
function checkSpace(space: RecycleSpace, method: "cg" | "gmres", n: number): void {
  if (!(space instanceof RecycleSpace)) throw new NumlaneError("invalid-type", "expected a space from nl.recycleSpace()", "opts.recycle");
  if (space.method !== undefined && space.method !== method) {
    throw new NumlaneError("invalid-value", `the recycle space was filled by ${space.method}; ${method} needs its own (nl.recycleSpace())`, "opts.recycle");
  }
  if (space.n !== 0 && space.n !== n) {
    throw new NumlaneError("invalid-shape", `the recycle space holds vectors of length ${space.n}, the system has ${n} unknowns`, "opts.recycle");
  }
}

/**
 * A square CSR system A·x = b (and x0) checked: shapes, emptiness, NaN/∞.
 * `at` prefixes the names of A and b in errors (e.g. "systems[3].").
 * Unless A is prepared, the sweep that checks its values for NaN/∞ also
 * measures what `want` asks (surveyCsr), for the checks that follow.
 */
function squareSystem(method: string, A: SolverMatrix, b: Float64Array, x0?: Float64Array, at = "", want: Parameters<typeof surveyCsr>[1] = { symmetry: false, diagonal: false }) {
  // A prepared matrix was checked when prepared, and cannot have changed since.
  const prepared = A instanceof PreparedMatrix ? A : undefined;
  const m = prepared ? prepared.matrix(`${at}A`) : want.patterns ? want.patterns.toMatrix(`${at}A`, A) : toMatrix(`${at}A`, A);
  const S = m instanceof CsrMatrix ? m : CsrMatrix.fromDense(m);
  if (S.rows !== S.cols) throw new NumlaneError("invalid-shape", `${method} needs a square matrix, got ${S.rows}×${S.cols}`, `${at}A`);
  const n = S.rows;
  if (n === 0) throw new NumlaneError("invalid-size", "the matrix is empty", `${at}A`);
  const survey = prepared ? undefined : surveyCsr(S, want);
  // The first entry that is not finite, reported as allFinite reports it.
  if (survey && survey.nonFinite >= 0) allFinite(`${at}A`, S.data);
  float64Array(`${at}b`, b);
  if (b.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries to match A, got ${b.length}`, `${at}b`);
  allFinite(`${at}b`, b);
  if (x0 !== undefined) {
    float64Array("opts.x0", x0);
    if (x0.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries to match A, got ${x0.length}`, "opts.x0");
    allFinite("opts.x0", x0);
  }
  return { S, n, x0, prepared, survey };
}

/**
 * 1/a_ii for Jacobi from the a_ii (each row's diagonal entries summed: a
 * survey's or a prepared matrix's); `positive`: they must be > 0 (SPD), else
 * only ≠ 0. `name`: the matrix in errors.
 */
function inverseDiagonal(diagonal: Float64Array, positive: boolean, name: string): Float64Array {
  checkDiagonal(diagonal, positive, name);
  const n = diagonal.length, dinv = new Float64Array(n);
  for (let i = 0; i < n; i++) dinv[i] = 1 / diagonal[i];
  return dinv;
}

/** inverseDiagonal's check alone (solveSequence checks every system before the first solve, and inverts at its turn). */
function checkDiagonal(diagonal: Float64Array, positive: boolean, name: string): void {
  if (positive) {
    // The least entry over four chains (NaN propagates); the bad entry is found only when there is one.
    let m0 = Infinity, m1 = Infinity, m2 = Infinity, m3 = Infinity, i = 0;
    for (; i + 3 < diagonal.length; i += 4) {
      m0 = Math.min(m0, diagonal[i]); m1 = Math.min(m1, diagonal[i + 1]); m2 = Math.min(m2, diagonal[i + 2]); m3 = Math.min(m3, diagonal[i + 3]);
    }
    for (; i < diagonal.length; i++) m0 = Math.min(m0, diagonal[i]);
    if (Math.min(m0, m1, m2, m3) > 0) return;
  }
  for (let i = 0; i < diagonal.length; i++) {
    const d = diagonal[i];
    if (positive ? !(d > 0) : d === 0) {
      throw new NumlaneError("invalid-value", `diagonal entry ${i} is ${d}: ${positive ? "not positive definite, so " : ""}Jacobi cannot scale it`, name);
    }
  }
}

/** CG's matrix must be symmetric up to rounding: `asym` is its asymmetry(); `name`: the matrix in errors. */
function checkSymmetric(asym: number, name: string): void {
  if (!(asym <= SYMMETRY_TOL)) {
    throw new NumlaneError("invalid-value", `CG needs a symmetric matrix; max |a_ij − a_ji| / max |a_ij| = ${asym.toExponential(2)}`, name);
  }
}

/** What a preconditioner hands the kernels: D⁻¹ (`dinv`), or M = L·Lᵀ (`factor`, solved by triangular sweeps in wasm), or neither. */
interface PreconditionerSetup { dinv?: Float64Array; factor?: TriangularFactor; shift?: number }

/** One preconditioner: who takes it, what it needs, and how it is made. */
interface PreconditionerEntry {
  methods: readonly ("cg" | "gmres")[];
  /** Needs A's diagonal (found in the sweep that checks A). */
  diagonal: boolean;
  /** Solved by sequential triangular sweeps (one thread: the recycling cost model counts them). */
  triangular: boolean;
  /** Takes opts.omega. */
  omega: boolean;
  setup(S: CsrMatrix, from: { diagonal: () => Float64Array; spd: boolean; omega?: number; name: string }): PreconditionerSetup;
}

/**
 * The preconditioners, in the order errors list them. A new one is an entry
 * here; its kernel side is D⁻¹ or a factor L·Lᵀ, which cg_f64 (and, for
 * D⁻¹, gmres_f64 and gcrodr_f64) already apply.
 */
const PRECONDITIONERS: Record<Preconditioner, PreconditionerEntry> = {
  none: { methods: ["cg", "gmres"], diagonal: false, triangular: false, omega: false, setup: () => ({}) },
  jacobi: {
    methods: ["cg", "gmres"], diagonal: true, triangular: false, omega: false,
    setup: (_S, from) => ({ dinv: inverseDiagonal(from.diagonal(), from.spd, from.name) }),
  },
  ssor: { methods: ["cg"], diagonal: false, triangular: true, omega: true, setup: (S, from) => ({ factor: ssorFactor(S, from.omega ?? 1) }) },
  ic0: {
    methods: ["cg"], diagonal: false, triangular: true, omega: false,
    setup: (S) => { const factor = ic0Factor(S); return { factor, shift: factor.shift }; },
  },
};

/** Whether opts.preconditioner (not yet checked) is one that needs A's diagonal. */
function needsDiagonal(value: unknown): boolean {
  return typeof value === "string" && Object.hasOwn(PRECONDITIONERS, value) && PRECONDITIONERS[value as Preconditioner].diagonal;
}

/** opts.preconditioner checked for `method` (default "none"). */
function preconditionerFor<M extends "cg" | "gmres">(method: M, value: unknown): M extends "gmres" ? "none" | "jacobi" : Preconditioner {
  const allowed = (Object.keys(PRECONDITIONERS) as Preconditioner[]).filter((p) => PRECONDITIONERS[p].methods.includes(method));
  const pre = value ?? "none";
  if (typeof pre !== "string" || !(allowed as string[]).includes(pre)) {
    throw new NumlaneError("invalid-value", `expected ${allowed.map((p) => `"${p}"`).join(", ")}, got ${String(pre)}`, "opts.preconditioner");
  }
  return pre as M extends "gmres" ? "none" | "jacobi" : Preconditioner;
}

/** GCRO-DR keeps k vectors inside each cycle of `restart` steps. */
function checkRestart(restart: number, k: number): void {
  if (restart <= k) throw new NumlaneError("invalid-value", `GCRO-DR needs restart > k (the space's ${k}), got ${restart}`, "opts.restart");
}

function isZero(b: Float64Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** b = 0: x = 0 exactly, whatever x0 (as SciPy), with no kernel run. */
function zeroSolution(n: number): GmresResult {
  return { x: new Float64Array(n), iterations: 0, converged: true, reason: "converged", residualNorm: 0, residualHistory: Float64Array.of(0) };
}

// A b or x0 of norm beyond 2^±SAFE_EXPONENT could overflow or underflow the
// kernels' squared norms and curvatures (p·A·p). Such a system is solved as
// 2^e·b, 2^e·x0 (exact, a power of two) and the answer scaled back; others
// are left alone, so their bits do not change.
const SAFE_EXPONENT = 256;

function sumOfSquares(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

/** b and x0 as the kernel should take them, ‖rhs‖², and the factor 2^e applied (1: none). */
function safelyScaled(b: Float64Array, x0: Float64Array | undefined) {
  // b ≠ 0 here, so ‖b‖² = 0 has underflowed; x0 may be 0.
  const safe = (squares: number) => squares <= 2 ** (2 * SAFE_EXPONENT) && squares >= 2 ** (-2 * SAFE_EXPONENT);
  const bSquared = sumOfSquares(b);
  if (safe(bSquared) && (!x0 || safe(sumOfSquares(x0)) || isZero(x0))) return { rhs: b, start: x0, scale: 1, rhsSquared: bSquared };
  let big = 0;
  for (let i = 0; i < b.length; i++) big = Math.max(big, Math.abs(b[i]));
  if (x0) for (let i = 0; i < x0.length; i++) big = Math.max(big, Math.abs(x0[i]));
  // 2^e with e in the normal range brings max(|b|, |x0|) into [1, 2).
  const scale = 2 ** Math.max(-1023, Math.min(1023, -Math.floor(Math.log2(big))));
  const rhs = b.map((v) => v * scale);
  return { rhs, start: x0?.map((v) => v * scale), scale, rhsSquared: sumOfSquares(rhs) };
}

/** max(rtol·‖b‖, atol) from ‖b‖², kept finite so that a non-finite residual never meets it. */
function tolerance(bSquared: number, rtol: number, atol: number): number {
  return Math.min(Math.max(rtol * Math.sqrt(bSquared), atol), Number.MAX_VALUE);
}

/** A result of a system solved scaled by `scale` (see safelyScaled), in the caller's units; exact. */
function unscaled<R extends CgResult | GmresResult>(r: R, scale: number): R {
  if (scale === 1) return r;
  const inv = 1 / scale;
  for (let i = 0; i < r.x.length; i++) r.x[i] *= inv;
  for (let i = 0; i < r.residualHistory.length; i++) r.residualHistory[i] *= inv;
  return { ...r, residualNorm: r.residualNorm * inv };
}
