// Coordinate descent family: nl.bcd (src/bcd/generic.ts), nl.lasso and
// nl.lassoPath (src/bcd/lasso.ts), nl.logisticRegression.
import { NumlaneError } from "./errors.js";
import { type CallOptions, type Engine } from "./engine.js";
import { CsrMatrix, DenseMatrix, toMatrix } from "./matrix.js";
import { allFinite, boolean, callOptionKeys, checkAttached, checkOptions, integer, nonNegative, type OptionKeys } from "./validate.js";
import { refuseUnsafeScale } from "./sketch.js";
import { lasso, lassoPath, type LassoOptions, type LassoPathOptions, type LassoPathResult, type LassoResult } from "./bcd/lasso.js";
import { bcdSolve, denseOf, type BcdOptions, type BcdProblem, type BcdResult } from "./bcd/generic.js";
import { classLabels, glmnetLogistic, labelArray, newtonLogistic, sampleWeights, warmStart, type LogisticResult, type LogisticSolver } from "./glm/logistic.js";
import { multinomialL1 } from "./glm/multinomial-l1.js";

export type { BcdReason, BcdResult } from "./bcd/generic.js";
export type { LassoOptions, LassoPathOptions, LassoPathResult, LassoResult } from "./bcd/lasso.js";
export type { LogisticReason, LogisticResult, LogisticSolver } from "./glm/logistic.js";

export interface LogisticOptions extends CallOptions {
  /** Inverse regularisation strength (scikit-learn's C); or give lambda = 1/(n·C). Default C = 1. */
  C?: number;
  lambda?: number;
  /**
   * "l2" (default): ½‖w‖² + C·Σ loss; "l1": ‖w‖₁ + C·Σ loss (sparse w);
   * "elasticnet": l1Ratio·‖w‖₁ + (1 − l1Ratio)/2·‖w‖² + C·Σ loss
   * (scikit-learn's). The intercepts are not penalised.
   */
  penalty?: "l2" | "l1" | "elasticnet";
  /** penalty "elasticnet" only (and required there): the L1 share, in [0, 1]. */
  l1Ratio?: number;
  /**
   * Binary only: constrain w ≥ 0 (not the intercept). L1 and elastic net clip
   * in the coordinate step; L2 is then fitted by newGLMNET (the L-BFGS/TRON
   * solvers are unconstrained), so tol is the L1 rule's. Default false.
   */
  positive?: boolean;
  /**
   * A warm start (binary L1/L2/elastic net; multinomial without bcd settings): the coefficients,
   * p of them (multinomial: classes×p, class k at x0[k·p ..]); the missing
   * part of a start (x0 or intercept0) is zeros. The stopping rule is the cold
   * fit's (relative to the measure at 0), so a start at the answer stops at once.
   */
  x0?: Float64Array | number[];
  /** The intercepts' warm start: a number or one entry (binary), one per class (multinomial). */
  intercept0?: number | Float64Array | number[];
  /**
   * L2: stop when ‖∇f‖ ≤ tol·‖∇f(0)‖ (LIBLINEAR's rule). L1 and elastic net
   * (and L2 with positive): when the largest optimality violation ≤ tol × the
   * one at w = 0. Default 1e-6.
   */
  tol?: number;
  /** L2: L-BFGS or Newton steps; L1: newGLMNET's outer steps (multinomial: cycles over the classes). Default 1000. */
  maxIter?: number;
  /**
   * "multinomial": labels 0..classes−1 (y as Float64Array, Int32Array or
   * number[]), the softmax loss, the penalty + C·Σ loss; the result's x is
   * classes×p (class k's coefficients at x[k·p ..]), intercept one per class.
   * L2 is fitted by `solver`; L1 and elastic net by glmnet's multinomial scheme (newGLMNET
   * steps a class at a time, src/glm/multinomial-l1.ts); either, given `bcd`
   * settings, by nl.bcd with Newton steps on greedy (GSD) variable blocks.
   * Default false: binary, labels −1/1.
   */
  multiClass?: false | "multinomial";
  /** Multinomial only: fit by nl.bcd with these settings (partition, blockSize, rule, update, seed, x0). */
  bcd?: Pick<BcdOptions, "partition" | "blockSize" | "rule" | "update" | "seed" | "x0" | "activeSet">;
  /** Multinomial only: the number of classes (default max(y) + 1). */
  classes?: number;
  /**
   * Fit unpenalised intercepts (scikit-learn's default; result.intercept).
   * Default true. The multinomial fit with nl.bcd settings takes false only.
   */
  fitIntercept?: boolean;
  /**
   * L2 only: "lbfgs" (L-BFGS started from a Gram or diagonal preconditioner)
   * or "newton" (a trust-region Newton method, LIBLINEAR's TRON). Default
   * "lbfgs", the faster at the default tol on every set measured.
   */
  solver?: LogisticSolver;
  /** Per-sample weights s_i ≥ 0 (n of them): the loss is C·Σ s_i·loss_i. Default all 1. */
  sampleWeight?: Float64Array | number[];
}
const LOGISTIC_KEYS = callOptionKeys<LogisticOptions>({
  C: true, lambda: true, penalty: true, tol: true, maxIter: true, multiClass: true, bcd: true, classes: true, fitIntercept: true, sampleWeight: true, solver: true,
  l1Ratio: true, positive: true, x0: true, intercept0: true,
});
const LOGISTIC_BCD_KEYS: OptionKeys<NonNullable<LogisticOptions["bcd"]>> = {
  partition: true, blockSize: true, rule: true, update: true, seed: true, x0: true, activeSet: true,
};

const toDense = (A: unknown): DenseMatrix => denseOf("A", A);

/** The multinomial fit's class count: opts.classes, or max(2, max(y) + 1); y checked to be an array. */
function classCount(y: unknown, classes: unknown): number {
  if (y === null || typeof y !== "object" || typeof (y as ArrayLike<number>).length !== "number") throw new NumlaneError("invalid-type", "expected an array of class indices", "y");
  if (ArrayBuffer.isView(y)) checkAttached("y", y);
  const v = y as ArrayLike<number>;
  let top = 0;
  for (let i = 0; i < v.length; i++) if (Number.isInteger(v[i]) && v[i] > top) top = v[i];
  return classes !== undefined ? integer("opts.classes", classes, 2, 1 << 16) : Math.max(2, top + 1);
}

/** Whether the fit reads a CsrMatrix as it is: every fit but the multinomial one by nl.bcd (bcd settings). */
function keepsCsr(opts: LogisticOptions | undefined): boolean {
  return typeof opts !== "object" || opts === null || opts.multiClass !== "multinomial" || opts.bcd === undefined;
}

/** The L1 share of the penalty: l1Ratio with "elasticnet" (required, in [0, 1]; refused with any other penalty), 1 for "l1", 0 for "l2". */
function elasticMix(penalty: string, l1Ratio: unknown): number {
  if (penalty !== "elasticnet") {
    if (l1Ratio !== undefined) throw new NumlaneError("invalid-value", `l1Ratio is for penalty "elasticnet" (penalty is "${penalty}")`, "opts.l1Ratio");
    return penalty === "l1" ? 1 : 0;
  }
  if (l1Ratio === undefined) throw new NumlaneError("invalid-value", `penalty "elasticnet" needs l1Ratio in [0, 1]`, "opts.l1Ratio");
  if (typeof l1Ratio !== "number") throw new NumlaneError("invalid-type", `expected a number in [0, 1], got ${typeof l1Ratio}`, "opts.l1Ratio");
  if (!(l1Ratio >= 0 && l1Ratio <= 1)) throw new NumlaneError("invalid-value", `must be in [0, 1], got ${l1Ratio}`, "opts.l1Ratio");
  return l1Ratio;
}

export class Bcd {
  constructor(private readonly e: Engine) {}

  /** Generic block coordinate descent on one of the losses (src/bcd/generic.ts). */
  bcd(problem: BcdProblem, opts?: BcdOptions): Promise<BcdResult> {
    return bcdSolve(this.e, problem, opts);
  }

  /** The lasso / elastic net (src/bcd/lasso.ts). */
  lasso(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoOptions): Promise<LassoResult> {
    return lasso(this.e, A, b, opts);
  }

  /** The lasso along a decreasing sequence of λ, warm-started (src/bcd/lasso.ts). */
  lassoPath(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoPathOptions = {}): Promise<LassoPathResult> {
    return lassoPath(this.e, A, b, opts);
  }

  /**
   * Logistic regression, binary (labels −1/1) or multinomial, with
   * unpenalised intercepts (fitIntercept, default true) and sample weights.
   * L2: L-BFGS (default) or a trust-region Newton method (LIBLINEAR's TRON), one SPMD launch
   * (src/glm/logistic.ts). L1, binary: newGLMNET (LIBLINEAR's primal L1
   * solver: coordinate descent on quadratic models, line searches), one
   * launch; multinomial L1 and elastic net: glmnet's scheme, one launch
   * (src/glm/multinomial-l1.ts). A CsrMatrix is read by its nonzeros, never
   * densified, except by the nl.bcd fits (bcd settings).
   */
  async logisticRegression(A: DenseMatrix | CsrMatrix | number[][], labels: Float64Array | Int32Array | number[], opts: LogisticOptions = {}): Promise<LogisticResult> {
    // A CsrMatrix is read by its nonzeros (newGLMNET and the multinomial L1 fit by columns, L-BFGS/TRON by rows and columns); nl.bcd densifies it.
    const D = keepsCsr(opts) ? toMatrix("A", A) : toDense(A);
    const n = D.rows, p = D.cols;
    if (n === 0 || p === 0) throw new NumlaneError("invalid-size", `A is ${n}×${p}: nothing to fit`, "A");
    checkOptions("opts", opts, LOGISTIC_KEYS);
    if (opts.multiClass !== undefined && opts.multiClass !== false && opts.multiClass !== "multinomial") {
      throw new NumlaneError("invalid-value", `expected false or "multinomial", got ${String(opts.multiClass)}`, "opts.multiClass");
    }
    if (opts.C !== undefined && opts.lambda !== undefined) throw new NumlaneError("invalid-value", "give C or lambda, not both", "opts.C");
    const C = opts.lambda !== undefined ? 1 / (n * nonNegative("opts.lambda", opts.lambda)) : nonNegative("opts.C", opts.C ?? 1);
    if (!(C > 0) || C === Infinity) throw new NumlaneError("invalid-value", `the regularisation must be positive and finite (C = ${C})`, opts.lambda !== undefined ? "opts.lambda" : "opts.C");
    const penalty = opts.penalty ?? "l2";
    if (penalty !== "l2" && penalty !== "l1" && penalty !== "elasticnet") throw new NumlaneError("invalid-value", `expected "l2", "l1" or "elasticnet", got ${String(penalty)}`, "opts.penalty");
    const l1Ratio = elasticMix(penalty, opts.l1Ratio);
    const positive = opts.positive === undefined ? false : boolean("opts.positive", opts.positive);
    const fitIntercept = opts.fitIntercept === undefined ? true : boolean("opts.fitIntercept", opts.fitIntercept);
    const sw = sampleWeights(opts.sampleWeight, n);
    const tol = nonNegative("opts.tol", opts.tol ?? 1e-6);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000, 1, 2 ** 30);
    const solver = opts.solver ?? "lbfgs";
    if (solver !== "newton" && solver !== "lbfgs") throw new NumlaneError("invalid-value", `expected "newton" or "lbfgs", got ${String(solver)}`, "opts.solver");
    if (opts.solver !== undefined && (penalty !== "l2" || opts.bcd !== undefined || positive)) {
      throw new NumlaneError("invalid-value", `solver is for the L2 fits without bcd settings or positive (this fit is ${penalty !== "l2" ? penalty : positive ? "newGLMNET's" : "nl.bcd's"})`, "opts.solver");
    }
    if (opts.multiClass === "multinomial") {
      const classes = classCount(labels, opts.classes);
      if (positive) throw new NumlaneError("invalid-value", "positive is for the binary fit", "opts.positive");
      if (opts.bcd !== undefined) {
        if (penalty === "elasticnet") throw new NumlaneError("invalid-value", "the multinomial fit with bcd settings takes \"l2\" or \"l1\"", "opts.penalty");
        for (const k of ["x0", "intercept0"] as const) {
          if (opts[k] !== undefined) throw new NumlaneError("invalid-value", "the multinomial fit with bcd settings takes bcd.x0", `opts.${k}`);
        }
        checkOptions("opts.bcd", opts.bcd, LOGISTIC_BCD_KEYS);
        // nl.bcd's softmax loss has neither intercepts nor weights.
        if (fitIntercept) throw new NumlaneError("invalid-value", "the multinomial fit with bcd settings has no intercept: pass fitIntercept: false", "opts.fitIntercept");
        if (opts.sampleWeight !== undefined) throw new NumlaneError("invalid-value", "the multinomial fit with bcd settings takes no sample weights", "opts.sampleWeight");
        return this.multinomial(toDense(D), labels, classes, C, penalty, opts);
      }
      const y = classLabels(labels, n, classes);
      allFinite("A", D.data);
      refuseUnsafeScale("A", D.data);
      const warm = warmStart(opts.x0, opts.intercept0, p, classes, fitIntercept, false);
      if (penalty !== "l2") return multinomialL1(this.e, D, y, sw, { classes, C, l1Ratio, fitIntercept, tol, maxIter, warm }, opts);
      return newtonLogistic(this.e, D, y, sw, { classes, C, fitIntercept, tol, maxIter, solver, warm }, opts);
    }
    for (const k of ["bcd", "classes"] as const) if (opts[k] !== undefined) throw new NumlaneError("invalid-value", `${k} is for multiClass: "multinomial"`, `opts.${k}`);
    allFinite("A", D.data);
    refuseUnsafeScale("A", D.data);
    const y = labelArray(labels, n);
    for (let i = 0; i < n; i++) if (y[i] !== 1 && y[i] !== -1) throw new NumlaneError("invalid-value", `labels must be −1 or 1; y[${i}] is ${y[i]}`, "y");
    const warm = warmStart(opts.x0, opts.intercept0, p, 1, fitIntercept, positive);
    if (penalty === "l2" && !positive) return newtonLogistic(this.e, D, y, sw, { classes: 1, C, fitIntercept, tol, maxIter, solver, warm }, opts);
    // newGLMNET: α‖w‖₁ + β/2·‖w‖² (L1: α = 1, β = 0; L2 with positive: α = 0, β = 1).
    return glmnetLogistic(this.e, D, y, sw, { C, alpha: l1Ratio, beta: 1 - l1Ratio, positive, fitIntercept, tol, maxIter, warm }, opts);
  }

  /**
   * Multinomial logistic regression through nl.bcd's softmax loss, in its
   * mean-loss scaling (penalty weight 1/(n·C)); the objective is reported in
   * this method's own scaling, penalty + C·Σ loss, as for the binary fit.
   */
  private async multinomial(D: DenseMatrix, y: ArrayLike<number>, classes: number, C: number, penalty: "l1" | "l2", opts: LogisticOptions): Promise<LogisticResult> {
    const n = D.rows, p = D.cols;
    const o = checkOptions("opts.bcd", opts.bcd, LOGISTIC_BCD_KEYS) ?? {};
    const m = p * classes;
    const fit = await this.bcd(
      { loss: "softmax", A: D, y, classes, penalty: penalty === "l2" ? { l2: 1 / (n * C) } : { l1: 1 / (n * C) } },
      {
        partition: "variable", blockSize: Math.min(m, 16), rule: "gsd", update: "newton", ...o,
        tol: opts.tol ?? 1e-6, maxIter: opts.maxIter, signal: opts.signal, onProgress: opts.onProgress, threads: opts.threads,
      },
    );
    return { ...fit, intercept: new Float64Array(classes), objective: fit.objective * n * C };
  }
}
