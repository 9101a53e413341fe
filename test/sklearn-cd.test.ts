// scikit-learn's own coordinate-descent cases (sklearn/linear_model/tests/
// test_coordinate_descent.py, Debian's scikit-learn 1.2.1), ported to nl.lasso,
// nl.lassoPath and nl.bcd with their expected values. These cases fit no
// intercept (fitIntercept: false): the toy data are centred (so scikit-learn's
// intercept is 0), and the diabetes target is centred by hand; the cases for
// intercepts, sample weights, l1Ratio and positive are in
// test/lasso-options.test.ts. Elastic net here is nl.bcd's least-squares
// loss with l1 = α·ρ, l2 = α·(1 − ρ) (the same objective: 1/(2n)‖y − Xw‖² +
// α·ρ‖w‖₁ + ½α·(1 − ρ)‖w‖²); "positive" is its `nonnegative` penalty.
// "decimal = d" is NumPy's assert_array_almost_equal: |actual − expected| < 1.5·10^−d.
// Not ported: CV estimators, multi-task models and copy_X options.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DenseMatrix, init, type Numlane } from "../dist/index.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

/** assert_array_almost_equal(actual, desired, decimal). */
function almostEqual(actual: ArrayLike<number>, desired: ArrayLike<number>, decimal = 6, label = "") {
  expect(actual.length, label).toBe(desired.length);
  for (let i = 0; i < desired.length; i++) expect(Math.abs(actual[i] - desired[i]), `${label}[${i}]: ${actual[i]} vs ${desired[i]}`).toBeLessThan(1.5 * 10 ** -decimal);
}
const predict = (A: DenseMatrix, x: ArrayLike<number>) => Array.from({ length: A.rows }, (_, i) => { let s = 0; for (let j = 0; j < A.cols; j++) s += A.get(i, j) * x[j]; return s; });

// The toy line of test_lasso_toy / test_enet_toy / the positive-constraint tests.
const X = DenseMatrix.from([[-1], [0], [1]]);
const Y = Float64Array.of(-1, 0, 1);
const T = DenseMatrix.from([[2], [3], [4]]);

/** scikit-learn's build_dataset and reference fits, from /usr/bin/python3 (undefined, with a warning, where it is missing outside CI). */
type Dataset = { X: number[][]; y: number[] };
type Reference = {
  default: Dataset; small: Dataset; d50x20: Dataset;
  gapLasso: { alpha: number; coef: number[] };
  lars: { alphas: number[]; coefs: number[][] };
};
function reference(): Reference | undefined {
  const py = "/usr/bin/python3";
  if (!existsSync(py) && !process.env.CI) return undefined;
  const script = `
import json, numpy as np
from scipy import interpolate
from sklearn.linear_model import Lasso, lars_path
def build_dataset(n_samples=50, n_features=200, n_informative_features=10):
    rs = np.random.RandomState(0)
    w = rs.randn(n_features); w[n_informative_features:] = 0.0
    X = rs.randn(n_samples, n_features); y = X @ w
    return X, y
ds = lambda X, y: {"X": X.tolist(), "y": y.tolist()}
X, y = build_dataset(); Xs, ys = build_dataset(10, 30); X2, y2 = build_dataset(50, 20)
alpha = 0.01 * np.max(np.abs(Xs.T @ ys)) / len(ys)
coef = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100000).fit(Xs, ys).coef_
Xl = np.array([[1, 2, 3.1], [2.3, 5.4, 4.3]]).T; yl = np.array([1, 2, 3.1]); alphas = [5.0, 1.0, 0.5]
a, _, c = lars_path(Xl, yl, method="lasso")
lars = interpolate.interp1d(a[::-1], c[:, ::-1])(alphas)
print(json.dumps({"default": ds(X, y), "small": ds(Xs, ys), "d50x20": ds(X2, y2),
  "gapLasso": {"alpha": alpha, "coef": coef.tolist()}, "lars": {"alphas": alphas, "coefs": lars.T.tolist()}}))
`;
  const run = spawnSync(py, ["-c", script], { maxBuffer: 1 << 26 });
  if (run.status !== 0) {
    if (process.env.CI) throw new Error(`scikit-learn is required in CI: ${run.stderr}`);
    console.warn(`scikit-learn comparison skipped: ${run.stderr}`);
    return undefined;
  }
  return JSON.parse(run.stdout.toString());
}
let ref: Reference | undefined;
beforeAll(() => { ref = reference(); });
const matrix = (d: Dataset) => DenseMatrix.from(d.X);

describe("scikit-learn test_coordinate_descent.py: lasso", () => {
  it("test_lasso_zero: zero data, α = 0.1 → coef [0], predictions 0, dual gap 0", async () => {
    const r = await nl.lasso(DenseMatrix.from([[0], [0], [0]]), Float64Array.of(0, 0, 0), { fitIntercept: false, lambda: 0.1 });
    almostEqual(r.x, [0]);
    almostEqual(predict(DenseMatrix.from([[1], [2], [3]]), r.x), [0, 0, 0]);
    expect(Math.abs(r.gap!)).toBeLessThan(1.5e-7);
    expect(r.reason).toBe("converged");
  });

  it("test_lasso_toy: α = 1e-8, 0.1, 0.5, 1 → coef 1, 0.85, 0.25, 0 with their predictions, dual gap 0", async () => {
    for (const [alpha, coef, pred] of [
      [1e-8, 1, [2, 3, 4]], [0.1, 0.85, [1.7, 2.55, 3.4]], [0.5, 0.25, [0.5, 0.75, 1.0]], [1, 0, [0, 0, 0]],
    ] as const) {
      const r = await nl.lasso(X, Y, { fitIntercept: false, lambda: alpha });
      almostEqual(r.x, [coef], 6, `α ${alpha}`);
      almostEqual(predict(T, r.x), pred, 6, `α ${alpha} predictions`);
      expect(Math.abs(r.gap!), `α ${alpha}`).toBeLessThan(1.5e-7);
      expect(r.reason).toBe("converged");
    }
  });

  it("test_lasso_dual_gap: the reported gap is the primal − dual of the n-normalised objective; coef as scikit-learn's", async () => {
    if (!ref) return;
    const A = matrix(ref.small), y = Float64Array.from(ref.small.y), n = y.length, { alpha } = ref.gapLasso;
    const r = await nl.lasso(A, y, { fitIntercept: false, lambda: alpha });
    // primal = ½·mean(R²) + α‖w‖₁; θ = R scaled into ‖Xᵀθ‖∞ ≤ n·α; dual = ½(mean(y²) − mean((y − θ)²)).
    const R = y.map((v, i) => v - predict(A, r.x)[i]);
    const primal = 0.5 * R.reduce((s, v) => s + v * v, 0) / n + alpha * r.x.reduce((s, v) => s + Math.abs(v), 0);
    let dualNorm = 0;
    for (let j = 0; j < A.cols; j++) { let s = 0; for (let i = 0; i < n; i++) s += A.get(i, j) * R[i]; dualNorm = Math.max(dualNorm, Math.abs(s) / (n * alpha)); }
    const theta = R.map((v) => v / dualNorm);
    const dual = 0.5 * (y.reduce((s, v) => s + v * v, 0) / n - y.reduce((s, v, i) => s + (v - theta[i]) ** 2, 0) / n);
    // assert_allclose's rtol 1e-7, with room for the kernel's running residual next to a fresh one.
    expect(Math.abs(r.gap! - (primal - dual))).toBeLessThan(1e-7 * Math.abs(primal - dual) + 1e-12 * primal);
    const tight = await nl.lasso(A, y, { fitIntercept: false, lambda: alpha, tol: 1e-12, maxIter: 100_000 });
    almostEqual(tight.x, ref.gapLasso.coef, 6, "coef");
  });

  it("test_lasso_path_return_models_vs_new_return_gives_same_coefficients: lassoPath at α = 5, 1, 0.5 = LARS's lasso path (decimal 1)", async () => {
    if (!ref) return;
    const A = DenseMatrix.from([[1, 2.3], [2, 5.4], [3.1, 4.3]]), y = Float64Array.of(1, 2, 3.1);
    const path = await nl.lassoPath(A, y, { fitIntercept: false, lambdas: ref.lars.alphas });
    expect(Array.from(path.lambdas)).toEqual(ref.lars.alphas);
    path.fits.forEach((f, k) => almostEqual(f.x, ref!.lars.coefs[k], 1, `α ${ref!.lars.alphas[k]}`));
  });

  it("test_warm_start: 5 sweeps, then 5 more from there = 10 sweeps (decimal 6)", async () => {
    if (!ref) return;
    const A = matrix(ref.default), y = Float64Array.from(ref.default.y);
    const first = await nl.lasso(A, y, { fitIntercept: false, lambda: 0.1, maxIter: 5 });
    const second = await nl.lasso(A, y, { fitIntercept: false, lambda: 0.1, maxIter: 5, x0: first.x });
    const ten = await nl.lasso(A, y, { fitIntercept: false, lambda: 0.1, maxIter: 10 });
    almostEqual(second.x, ten.x);
    // The same for elastic net (scikit-learn's case: α = 0.1, l1_ratio 0.5) by bcd's cyclic coordinate rule.
    const problem = { loss: "least-squares" as const, A, b: y, penalty: { l1: 0.05, l2: 0.05 } };
    const e5 = await nl.bcd(problem, { rule: "cyclic", blockSize: 1, maxIter: 5 * 200, tol: 0 });
    const e55 = await nl.bcd(problem, { rule: "cyclic", blockSize: 1, maxIter: 5 * 200, tol: 0, x0: e5.x });
    const e10 = await nl.bcd(problem, { rule: "cyclic", blockSize: 1, maxIter: 10 * 200, tol: 0 });
    almostEqual(e55.x, e10.x);
  });

  it("test_warm_start_convergence: a refit takes as many sweeps; warm-started at its answer, one", async () => {
    if (!ref) return;
    const A = matrix(ref.default), y = Float64Array.from(ref.default.y);
    const model = await nl.lasso(A, y, { fitIntercept: false, lambda: 1e-3, tol: 1e-3 });
    expect(model.iterations).toBeGreaterThan(2);
    expect((await nl.lasso(A, y, { fitIntercept: false, lambda: 1e-3, tol: 1e-3 })).iterations).toBe(model.iterations);
    expect((await nl.lasso(A, y, { fitIntercept: false, lambda: 1e-3, tol: 1e-3, x0: model.x })).iterations).toBe(1);
  });

  it("test_warm_start_convergence_with_regularizer_decrement: diabetes, α 1e-5 takes more sweeps than 1e-4, and fewer warm-started from 1e-4's answer", async () => {
    const rows = readFileSync(new URL("../data/datasets/diabetes.csv", import.meta.url), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const p = rows[0].length - 1;
    const A = new DenseMatrix(rows.length, p, Float64Array.from(rows.flatMap((r) => r.slice(0, p))));
    const mean = rows.reduce((s, r) => s + r[p], 0) / rows.length;
    const y = Float64Array.from(rows, (r) => r[p] - mean); // the intercept scikit-learn would fit (X is centred already)
    const low = await nl.lasso(A, y, { fitIntercept: false, lambda: 1e-5 });
    const high = await nl.lasso(A, y, { fitIntercept: false, lambda: 1e-4 });
    expect(low.iterations).toBeGreaterThan(high.iterations);
    const warm = await nl.lasso(A, y, { fitIntercept: false, lambda: 1e-5, x0: high.x });
    expect(low.iterations).toBeGreaterThan(warm.iterations);
  });

  it("test_lasso_positive_constraint: y = −x with x ≥ 0 → coef ≥ 0 (bcd, nonnegative)", async () => {
    const neg = Y.map((v) => -v);
    const r = await nl.bcd({ loss: "least-squares", A: X, b: neg, penalty: { l1: 0.1, nonnegative: true } }, { tol: 1e-10 });
    expect(Math.min(...r.x)).toBeGreaterThanOrEqual(0);
    // Unconstrained, the same fit is negative: the constraint is what holds it at 0.
    expect((await nl.lasso(X, neg, { fitIntercept: false, lambda: 0.1 })).x[0]).toBeLessThan(-0.8);
  });
});

describe("scikit-learn test_coordinate_descent.py: elastic net (nl.bcd, least squares, l1 + l2)", () => {
  const enet = (alpha: number, l1Ratio: number, extra: { nonnegative?: boolean } = {}) =>
    nl.bcd({ loss: "least-squares", A: X, b: Y, penalty: { l1: alpha * l1Ratio, l2: alpha * (1 - l1Ratio), ...extra } }, { tol: 1e-10 });

  it("test_enet_toy: (α, l1_ratio) = (1e-8, 1), (0.5, 0.3), (0.5, 0.5) → coef 1, 0.50819, 0.45454 with their predictions", async () => {
    for (const [alpha, ratio, coef, pred, decimal] of [
      [1e-8, 1, 1, [2, 3, 4], 6], [0.5, 0.3, 0.50819, [1.0163, 1.5245, 2.0327], 3], [0.5, 0.5, 0.45454, [0.909, 1.3636, 1.8181], 3],
    ] as const) {
      const r = await enet(alpha, ratio);
      expect(r.reason).toBe("converged");
      almostEqual(r.x, [coef], decimal, `α ${alpha}, l1_ratio ${ratio}`);
      almostEqual(predict(T, r.x), pred, decimal, `α ${alpha}, l1_ratio ${ratio} predictions`);
    }
  });

  it("test_enet_positive_constraint: y = −x, α = 0.1, positive → coef ≥ 0", async () => {
    const r = await nl.bcd({ loss: "least-squares", A: X, b: Y.map((v) => -v), penalty: { l1: 0.05, l2: 0.05, nonnegative: true } }, { tol: 1e-10 });
    expect(Math.min(...r.x)).toBeGreaterThanOrEqual(0);
  });

  it("test_random_descent: cyclic and random selection agree at tol 1e-8 (50×20, and its transpose 20×50)", async () => {
    if (!ref) return;
    const A = matrix(ref.d50x20), y = Float64Array.from(ref.d50x20.y);
    const At = new DenseMatrix(A.cols, A.rows, Float64Array.from({ length: A.rows * A.cols }, (_, k) => A.get(k % A.rows, Math.floor(k / A.rows))));
    for (const [M, b] of [[A, y], [At, y.slice(0, 20)]] as const) {
      // ElasticNet() defaults: α = 1, l1_ratio 0.5.
      const problem = { loss: "least-squares" as const, A: M, b, penalty: { l1: 0.5, l2: 0.5 } };
      const cyclic = await nl.bcd(problem, { rule: "cyclic", tol: 1e-8, maxIter: 1_000_000 });
      const random = await nl.bcd(problem, { rule: "random", tol: 1e-8, maxIter: 1_000_000, seed: 42 });
      expect(cyclic.reason).toBe("converged");
      expect(random.reason).toBe("converged");
      almostEqual(random.x, cyclic.x, 6, `${M.rows}×${M.cols}`);
    }
  });

  it("test_enet_nonfinite_params: X = f64 max · uniform never gives a non-finite coef silently", async () => {
    let s = 1;
    const u = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const A = new DenseMatrix(10, 2, Float64Array.from({ length: 20 }, () => Number.MAX_VALUE * u()));
    const y = Float64Array.from({ length: 10 }, () => (u() < 0.5 ? 0 : 1));
    // lasso fits it scaled by a power of two: a finite answer, or a reason that says it is not one.
    const r = await nl.lasso(A, y, { fitIntercept: false, lambda: 0.1 });
    if (!r.x.every(Number.isFinite)) expect(r.reason).not.toBe("converged");
    if (r.reason === "converged") expect(Number.isFinite(r.objective)).toBe(true);
    // bcd does not rescale: it refuses before any kernel runs (scikit-learn raises too).
    await expect(nl.bcd({ loss: "least-squares", A, b: y, penalty: { l1: 0.05, l2: 0.05 } })).rejects.toMatchObject({ code: "unsupported", argument: "problem.A" });
    await expect(nl.logisticRegression(A, y.map((v) => 2 * v - 1), { C: 1 })).rejects.toMatchObject({ code: "unsupported", argument: "A" });
  });
});
