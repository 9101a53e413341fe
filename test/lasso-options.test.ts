// nl.lasso / nl.lassoPath options as scikit-learn users expect them —
// fitIntercept, sampleWeight, positive, l1Ratio (elastic net), CsrMatrix
// designs and the Gram-matrix path — against scikit-learn's ElasticNet (Debian's
// 1.2.1, via /usr/bin/python3) on the diabetes data and on dense and sparse
// synthetic data; scikit-learn's own cases for these options ported with
// their expected values (test_coordinate_descent.py,
// test_sparse_coordinate_descent.py); bad input.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, type LassoOptions, type Numlane } from "../dist/index.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

type Case = { lambda: number; l1Ratio?: number; fitIntercept?: boolean; weighted?: boolean; positive?: boolean };
type Fit = { coef: number[]; intercept: number; objective: number };
type Data = { X: number[][]; y: number[]; w: number[] };

const CASES: Case[] = [
  { lambda: 0.05 },
  { lambda: 0.05, fitIntercept: false },
  { lambda: 0.05, weighted: true },
  { lambda: 0.05, weighted: true, fitIntercept: false },
  { lambda: 0.02, positive: true },
  { lambda: 0.1, l1Ratio: 0.5 },
  { lambda: 0.3, l1Ratio: 0.2, weighted: true, positive: true },
  { lambda: 0.1, l1Ratio: 0.05, weighted: true },
];
// λ per data set: the diabetes columns have unit norm, so its λ_max is ~0.02.
const LAMBDA_SCALE = { diabetes: 0.05, gaussian: 1, sparse: 1 };

/**
 * scikit-learn's fits of CASES on: the diabetes data (target scaled to unit
 * variance, so the λ above mean something), a dense 120×25 Gaussian set, and
 * a sparse 300×60 one (8% dense, columns with nonzero means), each with
 * positive weights (some 0). Undefined (with a warning) without python3 outside CI.
 */
function reference(): { sets: Record<string, Data & { fits: Fit[] }>; grid: { alphas: number[]; coefs: number[][]; intercepts: number[] } } | undefined {
  const py = "/usr/bin/python3";
  if (!existsSync(py) && !process.env.CI) return undefined;
  const script = `
import json, sys, numpy as np, scipy.sparse as sp
from sklearn.linear_model import ElasticNet
from sklearn.linear_model._coordinate_descent import _alpha_grid
cases = json.loads(sys.argv[1])
d = np.loadtxt("data/datasets/diabetes.csv", delimiter=",", skiprows=1)
rs = np.random.RandomState(3)
Xd, yd = d[:, :-1], d[:, -1] / d[:, -1].std()
Xg = rs.randn(120, 25); yg = Xg[:, :5] @ np.array([2., -1, 0.5, 1, -3]) + 0.5 * rs.randn(120) + 4
Xs = sp.random(300, 60, density=0.08, random_state=rs, format="csr"); Xs.data = 1 + rs.rand(Xs.nnz)
ys = Xs @ np.where(np.arange(60) % 6 == 0, 1.5, 0.0) + 0.1 * rs.randn(300) - 2
out = {}
scales = json.loads(sys.argv[2])
for name, X, y in [("diabetes", Xd, yd), ("gaussian", Xg, yg), ("sparse", Xs, ys)]:
    w = 0.2 + rs.rand(len(y)) * 2; w[::17] = 0
    fits = []
    for c in cases:
        sw = w if c.get("weighted") else None
        alpha = c["lambda"] * scales[name]
        m = ElasticNet(alpha=alpha, l1_ratio=c.get("l1Ratio", 1.0), fit_intercept=c.get("fitIntercept", True),
                       positive=c.get("positive", False), tol=1e-13, max_iter=1000000).fit(X, y, sample_weight=sw)
        ws = (np.ones(len(y)) if sw is None else sw) * len(y) / (np.ones(len(y)) if sw is None else sw).sum()
        r = y - X @ m.coef_ - m.intercept_
        rho = c.get("l1Ratio", 1.0)
        obj = (ws * r * r).sum() / (2 * len(y)) + alpha * (rho * np.abs(m.coef_).sum() + 0.5 * (1 - rho) * m.coef_ @ m.coef_)
        fits.append({"coef": m.coef_.tolist(), "intercept": float(m.intercept_), "objective": float(obj)})
    Xl = X.toarray() if sp.issparse(X) else X
    out[name] = {"X": Xl.tolist(), "y": y.tolist(), "w": w.tolist(), "fits": fits}
# The path grid with an intercept (elastic net, ρ = 0.5) and the fits along it.
alphas = _alpha_grid(Xg, yg, l1_ratio=0.5, fit_intercept=True, eps=1e-2, n_alphas=8)
coefs, intercepts = [], []
for a in alphas:
    m = ElasticNet(alpha=a, l1_ratio=0.5, tol=1e-13, max_iter=1000000).fit(Xg, yg)
    coefs.append(m.coef_.tolist()); intercepts.append(float(m.intercept_))
print(json.dumps({"sets": out, "grid": {"alphas": list(alphas), "coefs": coefs, "intercepts": intercepts}}))
`;
  const run = spawnSync(py, ["-c", script, JSON.stringify(CASES), JSON.stringify(LAMBDA_SCALE)], { maxBuffer: 1 << 26 });
  if (run.status !== 0) {
    if (process.env.CI) throw new Error(`scikit-learn is required in CI: ${run.stderr}`);
    console.warn(`scikit-learn comparison skipped: ${run.stderr}`);
    return undefined;
  }
  return JSON.parse(run.stdout.toString());
}
let ref: ReturnType<typeof reference>;
beforeAll(() => { ref = reference(); });

const optionsOf = (c: Case, w: Float64Array, scale: number): LassoOptions => ({
  lambda: c.lambda * scale, l1Ratio: c.l1Ratio, fitIntercept: c.fitIntercept, positive: c.positive, sampleWeight: c.weighted ? w : undefined,
  tol: 1e-13, maxIter: 1_000_000,
});

/** Coefficients and intercept within `rel` of scikit-learn's (relative to the largest), the objective to 1e-10. */
function expectFit(r: { x: Float64Array; intercept: number; objective: number; reason: string }, sk: Fit, label: string, rel = 1e-7) {
  expect(r.reason, label).toBe("converged");
  const scale = Math.max(1, ...sk.coef.map(Math.abs), Math.abs(sk.intercept));
  for (let j = 0; j < sk.coef.length; j++) expect(Math.abs(r.x[j] - sk.coef[j]) / scale, `${label} x[${j}]: ${r.x[j]} vs ${sk.coef[j]}`).toBeLessThan(rel);
  expect(Math.abs(r.intercept - sk.intercept) / scale, `${label} intercept ${r.intercept} vs ${sk.intercept}`).toBeLessThan(rel);
  expect(Math.abs(r.objective - sk.objective) / sk.objective, `${label} objective`).toBeLessThan(1e-10);
}

describe("lasso options against scikit-learn's ElasticNet", () => {
  for (const name of ["diabetes", "gaussian", "sparse"] as const) {
    it(`${name}: intercepts, sample weights, positive and l1Ratio; dense, CSR, with and without the Gram matrix`, async () => {
      if (!ref) return;
      const set = ref.sets[name];
      const A = DenseMatrix.from(set.X), y = Float64Array.from(set.y), w = Float64Array.from(set.w);
      const S = CsrMatrix.fromDense(A);
      const before = [A.data.slice(), y.slice(), w.slice()];
      for (const [k, c] of CASES.entries()) {
        const o = optionsOf(c, w, LAMBDA_SCALE[name]);
        expectFit(await nl.lasso(A, y, { ...o, precompute: false }), set.fits[k], `${name} ${JSON.stringify(c)} dense`);
        expectFit(await nl.lasso(A, y, { ...o, precompute: true }), set.fits[k], `${name} ${JSON.stringify(c)} Gram`);
        expectFit(await nl.lasso(S, y, o), set.fits[k], `${name} ${JSON.stringify(c)} CSR`);
        if (c.positive) expect(Math.min(...(await nl.lasso(S, y, o)).x)).toBeGreaterThanOrEqual(0);
      }
      // Inputs never modified.
      expect([A.data, y, w]).toEqual(before);
    });
  }

  it("lassoPath with an intercept: scikit-learn's λ grid (elastic net, ρ = 0.5) and its fits along it, dense and CSR", async () => {
    if (!ref) return;
    const set = ref.sets.gaussian, { grid } = ref;
    const A = DenseMatrix.from(set.X), y = Float64Array.from(set.y);
    for (const M of [A, CsrMatrix.fromDense(A)]) {
      const path = await nl.lassoPath(M, y, { l1Ratio: 0.5, nLambdas: 8, eps: 1e-2, tol: 1e-13, maxIter: 1_000_000 });
      path.lambdas.forEach((l, k) => expect(Math.abs(l - grid.alphas[k]) / grid.alphas[k]).toBeLessThan(1e-12));
      path.fits.forEach((f, k) => expectFit(f, { coef: grid.coefs[k], intercept: grid.intercepts[k], objective: f.objective }, `λ #${k}`));
      expect(path.fits[0].x.every((v) => v === 0)).toBe(true);
      expect(path.fits[0].intercept).toBeCloseTo(y.reduce((s, v) => s + v, 0) / y.length, 12);
    }
  });
});

describe("scikit-learn's own cases for these options", () => {
  const X = DenseMatrix.from([[-1], [0], [1]]);
  const Y = Float64Array.of(-1, 0, 1);
  const T = [2, 3, 4];

  it("test_enet_toy (fit_intercept default): (α, l1_ratio) = (0.5, 0.3), (0.5, 0.5) → coef 0.50819, 0.45454, predictions, dual gap 0 (decimal 3)", async () => {
    for (const [alpha, ratio, coef, pred] of [[0.5, 0.3, 0.50819, [1.0163, 1.5245, 2.0327]], [0.5, 0.5, 0.45454, [0.909, 1.3636, 1.8181]]] as const) {
      const r = await nl.lasso(X, Y, { lambda: alpha, l1Ratio: ratio, tol: 1e-10, maxIter: 100 });
      expect(Math.abs(r.x[0] - coef)).toBeLessThan(1.5e-3);
      T.forEach((t, i) => expect(Math.abs(r.x[0] * t + r.intercept - pred[i])).toBeLessThan(1.5e-3));
      expect(Math.abs(r.gap!)).toBeLessThan(1.5e-3);
    }
  });

  it("test_enet_toy_explicit_sparse_input (test_sparse_coordinate_descent.py): the same fit from a sparse X", async () => {
    const S = CsrMatrix.fromCoo(3, 1, [0, 2], [0, 0], [-1, 1]);
    const r = await nl.lasso(S, Y, { lambda: 0.5, l1Ratio: 0.3, tol: 1e-10, maxIter: 100 });
    expect(Math.abs(r.x[0] - 0.50819)).toBeLessThan(1.5e-3);
    T.forEach((t, i) => expect(Math.abs(r.x[0] * t + r.intercept - [1.0163, 1.5245, 2.0327][i])).toBeLessThan(1.5e-3));
    expect(Math.abs(r.gap!)).toBeLessThan(1.5e-3);
  });

  it("test_lasso_positive_constraint / test_enet_positive_constraint: y = −x, α = 0.1, positive → coef ≥ 0 (here exactly 0)", async () => {
    const neg = Y.map((v) => -v);
    for (const l1Ratio of [1, 0.5]) {
      expect((await nl.lasso(X, neg, { lambda: 0.1, l1Ratio, positive: true })).x[0]).toBe(0);
      expect((await nl.lasso(X, neg, { lambda: 0.1, l1Ratio })).x[0]).toBeLessThan(-0.5);
    }
  });

  it("test_enet_sample_weight_consistency: weights scaled by 2 change nothing; integer weights = repeated rows; zero weights = rows removed", async () => {
    if (!ref) return;
    const set = ref.sets.gaussian, n = set.y.length;
    const A = DenseMatrix.from(set.X), y = Float64Array.from(set.y);
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, label: string) => { for (let j = 0; j < b.length; j++) expect(Math.abs(a[j] - b[j]), label).toBeLessThan(1e-8); };
    for (const fitIntercept of [true, false]) {
      const o = { lambda: 0.05, l1Ratio: 0.7, fitIntercept, tol: 1e-14, maxIter: 1_000_000 };
      const plain = await nl.lasso(A, y, o);
      const twice = await nl.lasso(A, y, { ...o, sampleWeight: new Float64Array(n).fill(2) });
      close(twice.x, plain.x, "sw = 2"); expect(twice.intercept).toBeCloseTo(plain.intercept, 9);
      // Weight 2 on the first 10 rows = those rows twice; weight 0 on the last 20 = rows dropped.
      const sw = Float64Array.from({ length: n }, (_, i) => (i < 10 ? 2 : i >= n - 20 ? 0 : 1));
      const rows = set.X.flatMap((r, i) => (i < 10 ? [r, r] : i >= n - 20 ? [] : [r]));
      const ys = set.y.flatMap((v, i) => (i < 10 ? [v, v] : i >= n - 20 ? [] : [v]));
      const weighted = await nl.lasso(A, y, { ...o, sampleWeight: sw });
      const repeated = await nl.lasso(DenseMatrix.from(rows), Float64Array.from(ys), o);
      close(weighted.x, repeated.x, `weights vs rows (fitIntercept ${fitIntercept})`);
      expect(weighted.intercept).toBeCloseTo(repeated.intercept, 9);
    }
  });
});

describe("the CSR and Gram kernels: progress and abort", () => {
  it("a signal stops a CSR fit and a Gram path mid-run (AbortError); the pool is usable after", async () => {
    let seed = 9;
    const u = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const n = 400, p = 60, I: number[] = [], J: number[] = [], V: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) if (u() < 0.2) { I.push(i); J.push(j); V.push(u() - 0.3); }
    const S = CsrMatrix.fromCoo(n, p, I, J, V), y = Float64Array.from({ length: n }, () => u());
    for (const run of [
      (signal: AbortSignal, onProgress: () => void) => nl.lasso(S, y, { lambda: 1e-6, tol: 0, maxIter: 2 ** 30, signal, onProgress }),
      (signal: AbortSignal, onProgress: () => void) => nl.lassoPath(S.toDense(), y, { nLambdas: 50, tol: 0, maxIter: 2 ** 30, precompute: true, signal, onProgress }),
    ]) {
      const c = new AbortController();
      let calls = 0;
      await expect(run(c.signal, () => { calls++; c.abort(); })).rejects.toMatchObject({ name: "AbortError" });
      expect(calls).toBeGreaterThan(0);
    }
    expect((await nl.lasso(S, y, { lambda: 0.01 })).reason).toBe("converged");
  });
});

describe("lasso options: bad input", () => {
  const A = DenseMatrix.from([[1, 2], [3, 4], [5, 7]]), b = Float64Array.of(1, 2, 3);
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ["weights of the wrong length", () => nl.lasso(A, b, { lambda: 0.1, sampleWeight: Float64Array.of(1, 2) }), "invalid-shape", "opts.sampleWeight"],
    ["a negative weight", () => nl.lasso(A, b, { lambda: 0.1, sampleWeight: [1, -1, 1] }), "invalid-value", "opts.sampleWeight"],
    ["a NaN weight", () => nl.lasso(A, b, { lambda: 0.1, sampleWeight: [1, NaN, 1] }), "invalid-value", "opts.sampleWeight"],
    ["all weights 0", () => nl.lasso(A, b, { lambda: 0.1, sampleWeight: [0, 0, 0] }), "invalid-value", "opts.sampleWeight"],
    ["weights not numbers", () => nl.lasso(A, b, { lambda: 0.1, sampleWeight: ["1", 1, 1] as never }), "invalid-type", "opts.sampleWeight"],
    ["l1Ratio above 1", () => nl.lasso(A, b, { lambda: 0.1, l1Ratio: 1.5 }), "invalid-value", "opts.l1Ratio"],
    ["l1Ratio below 0", () => nl.lasso(A, b, { lambda: 0.1, l1Ratio: -0.1 }), "invalid-value", "opts.l1Ratio"],
    ["l1Ratio NaN", () => nl.lasso(A, b, { lambda: 0.1, l1Ratio: NaN }), "invalid-value", "opts.l1Ratio"],
    ["fitIntercept not a boolean", () => nl.lasso(A, b, { lambda: 0.1, fitIntercept: 1 as never }), "invalid-type", "opts.fitIntercept"],
    ["positive not a boolean", () => nl.lasso(A, b, { lambda: 0.1, positive: "yes" as never }), "invalid-type", "opts.positive"],
    ["precompute unknown", () => nl.lasso(A, b, { lambda: 0.1, precompute: "always" as never }), "invalid-value", "opts.precompute"],
    ["a Gram matrix of a sparse design", () => nl.lasso(CsrMatrix.fromDense(A), b, { lambda: 0.1, precompute: true }), "unsupported", "opts.precompute"],
    ["a grid for l1Ratio 0", () => nl.lassoPath(A, b, { l1Ratio: 0 }), "invalid-value", "opts.l1Ratio"],
    ["a misspelt option", () => nl.lasso(A, b, { lambda: 0.1, fit_intercept: false } as never), "invalid-value", "opts"],
  ];
  for (const [label, call, code, argument] of cases) {
    it(`${label} → ${code} on ${argument}`, async () => {
      await expect(call()).rejects.toMatchObject({ name: "NumlaneError", code, argument: expect.stringContaining(argument) });
    });
  }
});

describe("lasso on the diabetes file, as the CLI reads it", () => {
  it("the default fit has scikit-learn's intercept: ȳ − x̄ᵀw, the mean residual 0", async () => {
    const rows = readFileSync(new URL("../data/datasets/diabetes.csv", import.meta.url), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const p = rows[0].length - 1;
    const A = new DenseMatrix(rows.length, p, Float64Array.from(rows.flatMap((r) => r.slice(0, p)))), y = Float64Array.from(rows, (r) => r[p]);
    const r = await nl.lasso(A, y, { lambda: 0.1, tol: 1e-12 });
    let mean = 0;
    for (let i = 0; i < A.rows; i++) { let s = r.intercept; for (let j = 0; j < p; j++) s += A.get(i, j) * r.x[j]; mean += y[i] - s; }
    expect(Math.abs(mean / A.rows)).toBeLessThan(1e-9);
  });
});
