// Coordinate descent family. nl.lasso: scikit-learn's Lasso objective
// 1/(2n)‖b − A·x‖² + λ‖x‖₁, cyclic coordinate descent with the duality-gap
// stopping rule, the whole fit in one SPMD launch (assembly/bcd/lasso.ts).
import { NumlaneError } from "./errors.js";
import { HISTORY_CAP, reasonName, type CallOptions, type Engine } from "./engine.js";
import { CsrMatrix, DenseMatrix } from "./matrix.js";
import * as K from "./generated/kernels.js";
import { allFinite, callOptionKeys, checkAttached, checkOptions, float64Array, int32Array, integer, nonNegative, positive, requireOptions, type OptionKeys } from "./validate.js";
import { ldexp, refuseUnsafeScale, unsafeExponent } from "./sketch.js";
import { bcdReason, bcdSolve, columnMajor, columnMajorBytes, denseOf, startingPoint, type BcdOptions, type BcdProblem, type BcdReason, type BcdResult } from "./bcd/generic.js";

export type { BcdReason, BcdResult } from "./bcd/generic.js";

export interface LassoOptions extends CallOptions {
  /** The L1 weight λ ≥ 0 (scikit-learn's alpha). */
  lambda: number;
  /** Full sweeps over the coordinates; default 1000 (as scikit-learn). */
  maxIter?: number;
  /** Stop when the duality gap ≤ tol·‖b‖²/n (scikit-learn's rule); default 1e-4. */
  tol?: number;
  /** Starting point (default zeros). Never modified. */
  x0?: Float64Array;
}
const LASSO_KEYS = callOptionKeys<LassoOptions>({ lambda: true, maxIter: true, tol: true, x0: true });

export interface LassoPathOptions extends Omit<LassoOptions, "lambda"> {
  /** The λ to fit, in the order given (best decreasing, for warm starts). */
  lambdas?: ArrayLike<number>;
  /** Without lambdas: how many, log-spaced from λ_max down to eps·λ_max; default 100. */
  nLambdas?: number;
  /** Default 1e-3 (scikit-learn's). */
  eps?: number;
}
const LASSO_PATH_KEYS = callOptionKeys<LassoPathOptions>({ lambdas: true, nLambdas: true, eps: true, maxIter: true, tol: true, x0: true });

export interface LassoPathResult {
  lambdas: Float64Array;
  /** One fit per λ, in the same order. */
  fits: BcdResult[];
}

export interface LogisticOptions extends CallOptions {
  /** Inverse regularisation strength (scikit-learn's C); or give lambda = 1/(n·C). Default C = 1. */
  C?: number;
  lambda?: number;
  /** "l2" (default): ½‖w‖² + C·Σ loss; "l1": ‖w‖₁ + C·Σ loss (sparse w). */
  penalty?: "l2" | "l1";
  /** Stop when the largest optimality violation of a sweep ≤ tol × the first sweep's; default 1e-6. */
  tol?: number;
  /** Sweeps over the coordinates; default 1000. */
  maxIter?: number;
  /**
   * "multinomial": labels 0..classes−1 (y as Float64Array, Int32Array or
   * number[]), the softmax loss, ½‖W‖² (or ‖W‖₁) + C·Σ loss; the result's x is
   * classes×p (class k's coefficients at x[k·p ..]). Fitted by nl.bcd with
   * Newton steps on greedy (GSD) variable blocks unless `bcd` says otherwise.
   * Default false: binary, labels −1/1.
   */
  multiClass?: false | "multinomial";
  /** Multinomial only: the nl.bcd settings (partition, blockSize, rule, update, seed, x0). */
  bcd?: Pick<BcdOptions, "partition" | "blockSize" | "rule" | "update" | "seed" | "x0" | "activeSet">;
  /** Multinomial only: the number of classes (default max(y) + 1). */
  classes?: number;
}
const LOGISTIC_KEYS = callOptionKeys<LogisticOptions>({
  C: true, lambda: true, penalty: true, tol: true, maxIter: true, multiClass: true, bcd: true, classes: true,
});
const LOGISTIC_BCD_KEYS: OptionKeys<NonNullable<LogisticOptions["bcd"]>> = {
  partition: true, blockSize: true, rule: true, update: true, seed: true, x0: true, activeSet: true,
};

const toDense = (A: unknown): DenseMatrix => denseOf("A", A);

export class Bcd {
  constructor(private readonly e: Engine) {}

  /** Generic block coordinate descent on one of the losses (src/bcd/generic.ts). */
  bcd(problem: BcdProblem, opts?: BcdOptions): Promise<BcdResult> {
    return bcdSolve(this.e, problem, opts);
  }

  async lasso(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoOptions): Promise<BcdResult> {
    requireOptions("opts", opts, LASSO_KEYS);
    const lambda = nonNegative("opts.lambda", opts.lambda);
    return (await this.fitScaled(this.fitInputs(A, b, opts), [lambda], opts))[0];
  }

  /**
   * The lasso along a decreasing sequence of λ (scikit-learn's lasso_path):
   * by default nLambdas values log-spaced from λ_max = max|Aᵀb|/n, where
   * x = 0, down to eps·λ_max; each fit starts from the previous solution.
   */
  async lassoPath(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LassoPathOptions = {}): Promise<LassoPathResult> {
    checkOptions("opts", opts, LASSO_PATH_KEYS);
    // Everything is checked before the grid's kernel runs.
    const inputs = this.fitInputs(A, b, opts);
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
      const { D } = inputs;
      // Summed at safe scales (see fitScaled), then scaled back exactly.
      const ea = unsafeExponent(D.data), eb = unsafeExponent(b);
      let lmax = 0;
      for (let j = 0; j < D.cols; j++) { let g = 0; for (let i = 0; i < D.rows; i++) g += ldexp(D.get(i, j), -ea) * ldexp(b[i], -eb); lmax = Math.max(lmax, Math.abs(g)); }
      lmax = ldexp(lmax / D.rows, ea + eb);
      // The grid comes from wasm: JavaScript's ** differs in the last bit between engines.
      const shape = { hi: lmax, ratio: eps, count };
      const scope = await this.e.scope({}, [], 8 * count + 64 + this.e.launchBytes(K.logspace_f64, shape, 1));
      try {
        const grid = scope.alloc(8 * count);
        await scope.launch(K.logspace_f64, { ...shape, grid });
        lambdas = Array.from(this.e.heap.f64.subarray(grid >> 3, (grid >> 3) + count));
      } finally {
        scope.free();
      }
    }
    const fits = await this.fitScaled(inputs, lambdas, opts);
    return { lambdas: Float64Array.from(lambdas), fits };
  }

  /**
   * Binary logistic regression (no intercept: add a column of ones to A for
   * one), labels y ∈ {−1, 1}, by coordinate descent with Newton steps and an
   * Armijo line search (LIBLINEAR's primal CDN), one SPMD launch.
   */
  async logisticRegression(A: DenseMatrix | CsrMatrix | number[][], labels: Float64Array | Int32Array | number[], opts: LogisticOptions = {}): Promise<BcdResult> {
    const D = toDense(A);
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
    if (penalty !== "l2" && penalty !== "l1") throw new NumlaneError("invalid-value", `expected "l2" or "l1", got ${String(penalty)}`, "opts.penalty");
    if (opts.multiClass === "multinomial") return this.multinomial(D, labels, C, penalty, opts);
    for (const k of ["bcd", "classes"] as const) if (opts[k] !== undefined) throw new NumlaneError("invalid-value", `${k} is for multiClass: "multinomial"`, `opts.${k}`);
    allFinite("A", D.data);
    refuseUnsafeScale("A", D.data);
    // Int32Array and number[] labels are taken as the signature says (copied to f64).
    if (Array.isArray(labels)) {
      const bad = labels.findIndex((v) => typeof v !== "number");
      if (bad >= 0) throw new NumlaneError("invalid-type", `labels must be numbers; y[${bad}] is ${typeof labels[bad]}`, "y");
    }
    const y = labels instanceof Int32Array ? Float64Array.from(int32Array("y", labels)) : Array.isArray(labels) ? Float64Array.from(labels) : float64Array("y", labels);
    if (y.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} labels to match A's rows, got ${y.length}`, "y");
    for (let i = 0; i < n; i++) if (y[i] !== 1 && y[i] !== -1) throw new NumlaneError("invalid-value", `labels must be −1 or 1; y[${i}] is ${y[i]}`, "y");
    const tol = nonNegative("opts.tol", opts.tol ?? 1e-6);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000, 1, 2 ** 30);
    const heap = this.e.heap;
    const threads = this.e.threadsFor(8 * n * 16, opts);
    const launchBytes = this.e.launchBytes(K.logistic_cdn_f64, { n }, threads);
    const scope = await this.e.scope({ signal: opts.signal, long: true }, [D.data, y], 8 * p + 64 + columnMajorBytes(this.e, D) + launchBytes);
    try {
      const ap = await columnMajor(this.e, scope, D, opts);
      const w = scope.alloc(8 * p);
      heap.f64.fill(0, w >> 3, (w >> 3) + p);
      const r = await scope.launch(K.logistic_cdn_f64, {
        a: ap, n, p, y: scope.input(y), w, c: C, l1: penalty === "l1" ? 1 : 0, maxIter, tol,
      }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
      const x = this.e.copyOut(heap.f64.subarray(w >> 3, (w >> 3) + p));
      let pen = 0;
      for (let j = 0; j < p; j++) pen += penalty === "l1" ? Math.abs(x[j]) : 0.5 * x[j] * x[j];
      // The loss is summed in wasm: the same bits in every runtime.
      const reason = bcdReason(r.reason);
      return { x, objective: pen + C * r.loss, iterations: r.iterations, converged: reason === "converged", reason, history: new Float64Array(0) };
    } finally {
      scope.free();
    }
  }

  /**
   * Multinomial logistic regression through nl.bcd's softmax loss, in its
   * mean-loss scaling (penalty weight 1/(n·C)); the objective is reported in
   * this method's own scaling, penalty + C·Σ loss, as for the binary fit.
   */
  private async multinomial(D: DenseMatrix, y: ArrayLike<number>, C: number, penalty: "l1" | "l2", opts: LogisticOptions): Promise<BcdResult> {
    const n = D.rows, p = D.cols;
    if (y === null || typeof y !== "object" || typeof (y as ArrayLike<number>).length !== "number") throw new NumlaneError("invalid-type", "expected an array of class indices", "y");
    if (ArrayBuffer.isView(y)) checkAttached("y", y);
    let top = 0;
    for (let i = 0; i < y.length; i++) if (Number.isInteger(y[i]) && y[i] > top) top = y[i];
    const classes = opts.classes !== undefined ? integer("opts.classes", opts.classes, 2, 1 << 16) : Math.max(2, top + 1);
    const o = checkOptions("opts.bcd", opts.bcd, LOGISTIC_BCD_KEYS) ?? {};
    const m = p * classes;
    const fit = await this.bcd(
      { loss: "softmax", A: D, y, classes, penalty: penalty === "l2" ? { l2: 1 / (n * C) } : { l1: 1 / (n * C) } },
      {
        partition: "variable", blockSize: Math.min(m, 16), rule: "gsd", update: "newton", ...o,
        tol: opts.tol ?? 1e-6, maxIter: opts.maxIter, signal: opts.signal, onProgress: opts.onProgress, threads: opts.threads,
      },
    );
    return { ...fit, objective: fit.objective * n * C };
  }

  /** lasso's and lassoPath's A, b and fit options, checked (before any kernel runs). */
  private fitInputs(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: Omit<LassoOptions, "lambda">) {
    const D = toDense(A);
    const n = D.rows, p = D.cols;
    if (n === 0 || p === 0) throw new NumlaneError("invalid-size", `A is ${n}×${p}: nothing to fit`, "A");
    allFinite("A", D.data);
    float64Array("b", b);
    if (b.length !== n) throw new NumlaneError("invalid-shape", `expected ${n} entries to match A's rows, got ${b.length}`, "b");
    allFinite("b", b);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000, 1, 2 ** 30);
    const tol = nonNegative("opts.tol", opts.tol ?? 1e-4);
    const x0 = startingPoint(opts.x0, p, " (A's columns)");
    return { D, b, n, p, maxIter, tol, x0 };
  }

  /**
   * fit, for A or b with entries past 2^±SAFE_EXPONENT (their sums of squares
   * would overflow or underflow: NaN or 0 coefficients): A·2^−ea, b·2^−eb
   * (exact) are fitted with λ·2^−(ea+eb), and x (×2^(eb−ea)), the objective,
   * gap and history (×2^(2eb)) scaled back. The same fits otherwise.
   */
  private async fitScaled(inputs: ReturnType<Bcd["fitInputs"]>, lambdas: number[], opts: Omit<LassoOptions, "lambda">): Promise<BcdResult[]> {
    const { D, b, x0 } = inputs;
    const ea = unsafeExponent(D.data), eb = unsafeExponent(b);
    if (ea === 0 && eb === 0) return this.fit(inputs, lambdas, opts);
    const scaled = {
      ...inputs,
      D: new DenseMatrix(D.rows, D.cols, D.data.map((v) => ldexp(v, -ea)), D.layout),
      b: b.map((v) => ldexp(v, -eb)),
      x0: x0?.map((v) => ldexp(v, ea - eb)),
    };
    const fits = await this.fit(scaled, lambdas.map((l) => ldexp(l, -ea - eb)), opts);
    return fits.map((f) => ({
      ...f, x: f.x.map((v) => ldexp(v, eb - ea)), objective: ldexp(f.objective, 2 * eb),
      gap: f.gap === undefined ? undefined : ldexp(f.gap, 2 * eb), history: f.history.map((v) => ldexp(v, 2 * eb)),
    }));
  }

  /** Lasso fits for each λ in turn (inputs checked by fitInputs), warm-started, with A, b and the workspace in wasm memory once. */
  private async fit(inputs: ReturnType<Bcd["fitInputs"]>, lambdas: number[], opts: Omit<LassoOptions, "lambda">): Promise<BcdResult[]> {
    const { D, b, n, p, maxIter, tol, x0 } = inputs;
    let bb = 0;
    for (let i = 0; i < n; i++) bb += b[i] * b[i];

    const historyCap = Math.min(maxIter, HISTORY_CAP);
    const heap = this.e.heap;
    const threads = this.e.threadsFor(8 * n * 16, opts);
    const extra = 8 * (n + p + historyCap) + 3 * 64 + columnMajorBytes(this.e, D) + this.e.launchBytes(K.lasso_cd_f64, { n, p }, threads);
    const scope = await this.e.scope({ signal: opts.signal, long: true }, [D.data, b], extra);
    try {
      const ap = await columnMajor(this.e, scope, D, opts);
      const bp = scope.input(b);
      const rp = scope.alloc(8 * n);
      const xp = scope.alloc(8 * p);
      if (x0) heap.f64.set(x0, xp >> 3); else heap.f64.fill(0, xp >> 3, (xp >> 3) + p);
      const hp = scope.alloc(8 * historyCap);
      const results: BcdResult[] = [];
      for (const lambda of lambdas) {
        // x stays in wasm memory: each fit starts where the previous one ended.
        const out = await scope.launch(K.lasso_cd_f64, {
          a: ap, n, p, b: bp, x: xp, r: rp, lambdaN: lambda * n, maxIter, tol: tol * bb, stepTol: tol, history: hp, historyCap,
        }, { signal: opts.signal, onProgress: opts.onProgress, long: true, threads });
        const f64 = heap.f64;
        const iterations = out.iterations;
        const reason = bcdReason(out.reason);
        const x = this.e.copyOut(f64.subarray(xp >> 3, (xp >> 3) + p));
        let rr = 0, l1 = 0;
        for (let i = 0; i < n; i++) rr += f64[(rp >> 3) + i] ** 2;
        for (let j = 0; j < p; j++) l1 += Math.abs(x[j]);
        results.push({
          x,
          objective: rr / (2 * n) + lambda * l1,
          iterations,
          converged: reason === "converged",
          reason,
          gap: out.gap / n,
          history: f64.subarray(hp >> 3, (hp >> 3) + Math.min(iterations, historyCap)).map((g) => g / n),
        });
      }
      return results;
    } finally {
      scope.free();
    }
  }
}

