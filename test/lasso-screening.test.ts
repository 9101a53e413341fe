// Gap-safe screening (the dense, CSR and Gram kernels) and the working-set Gram
// path leave the answers as they were, within the gap tolerance: a 2000×5000
// CSR path against scikit-learn's lasso_path on the same CSR, and working-set
// Gram paths (intercept, weights, elastic net, positive) against
// scikit-learn's ElasticNet at each λ of the grid (Debian's 1.2.1 via
// /usr/bin/python3); each fit's gap is recomputed here from its x.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, type LassoPathOptions, type Numlane } from "../dist/index.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

type Csr = { indptr: number[]; indices: number[]; data: number[] };
type Ref = {
  csr: Csr & { n: number; p: number; y: number[]; alphas: number[]; coefs: number[][] };
  dense: { X: number[][]; y: number[]; w: number[]; paths: { alphas: number[]; coefs: number[][]; intercepts: number[] }[] };
};
/** Path cases for the working-set Gram path (λ grids from scikit-learn's _alpha_grid, 12 each down to 1e-2·λ_max). */
const GRAM_CASES: { l1Ratio?: number; weighted?: boolean; positive?: boolean; fitIntercept?: boolean }[] = [
  {},
  { fitIntercept: false },
  { weighted: true, l1Ratio: 0.7 },
  { positive: true },
];

function reference(): Ref | undefined {
  const py = "/usr/bin/python3";
  if (!existsSync(py) && !process.env.CI) return undefined;
  const script = `
import json, sys, numpy as np, scipy.sparse as sp
from sklearn.linear_model import ElasticNet, lasso_path
from sklearn.linear_model._coordinate_descent import _alpha_grid
rs = np.random.RandomState(11)
# 2000×5000, 1% dense, 40 informative columns.
X = sp.random(2000, 5000, density=0.01, random_state=rs, format="csr")
X.data = rs.randn(X.nnz)
w = np.zeros(5000); w[rs.choice(5000, 40, replace=False)] = 3 * rs.randn(40)
y = X @ w + 0.3 * rs.randn(2000)
alphas, coefs, _ = lasso_path(X, y, eps=1e-2, n_alphas=10, tol=1e-12, max_iter=1000000)
out = {"csr": {"n": 2000, "p": 5000, "indptr": X.indptr.tolist(), "indices": X.indices.tolist(), "data": X.data.tolist(),
               "y": y.tolist(), "alphas": alphas.tolist(), "coefs": coefs.T.tolist()}}
# Dense 400×150 with correlated columns; sample weights with zeros.
Z = rs.randn(400, 150)
D = Z + 0.5 * np.roll(Z, 1, axis=1)
yd = D[:, :8] @ np.array([2., -1, 0.5, 1, -3, 1.5, -2, 1]) + 0.5 * rs.randn(400) + 3
sw = 0.2 + 2 * rs.rand(400); sw[::13] = 0
paths = []
for c in json.loads(sys.argv[1]):
    rho, fi, pos = c.get("l1Ratio", 1.0), c.get("fitIntercept", True), c.get("positive", False)
    wts = sw if c.get("weighted") else None
    # The grid from the weighted, centred problem (as nl.lassoPath builds it).
    ws = np.ones(400) if wts is None else wts * 400 / wts.sum()
    Xc, yc = D, yd
    if fi:
        Xc = D - (ws[:, None] * D).sum(0) / 400; yc = yd - (ws * yd).sum() / 400
    s = np.sqrt(ws)
    amax = np.abs((s[:, None] * Xc).T @ (s * yc)).max() / (400 * rho)
    alphas = amax * np.logspace(0, -2, 12)
    cs, ints = [], []
    for a in alphas:
        m = ElasticNet(alpha=a, l1_ratio=rho, fit_intercept=fi, positive=pos, tol=1e-13, max_iter=1000000).fit(D, yd, sample_weight=wts)
        cs.append(m.coef_.tolist()); ints.append(float(m.intercept_))
    paths.append({"alphas": alphas.tolist(), "coefs": cs, "intercepts": ints})
out["dense"] = {"X": D.tolist(), "y": yd.tolist(), "w": sw.tolist(), "paths": paths}
print(json.dumps(out))
`;
  const run = spawnSync(py, ["-c", script, JSON.stringify(GRAM_CASES)], { maxBuffer: 1 << 28 });
  if (run.status !== 0) {
    if (process.env.CI) throw new Error(`scikit-learn is required in CI: ${run.stderr}`);
    console.warn(`scikit-learn comparison skipped: ${run.stderr}`);
    return undefined;
  }
  return JSON.parse(run.stdout.toString());
}
let ref: Ref | undefined;
beforeAll(() => { ref = reference(); }, 120_000);

/** The lasso's duality gap at x (no intercept, no weights; scikit-learn's dual point), in objective units. */
function lassoGap(S: CsrMatrix, y: Float64Array, x: Float64Array, lambda: number): number {
  const n = S.rows, r = Float64Array.from(y);
  for (let i = 0; i < n; i++) for (let k = S.indptr[i]; k < S.indptr[i + 1]; k++) r[i] -= S.data[k] * x[S.indices[k]];
  const g = new Float64Array(S.cols);
  for (let i = 0; i < n; i++) for (let k = S.indptr[i]; k < S.indptr[i + 1]; k++) g[S.indices[k]] += S.data[k] * r[i];
  let rr = 0, ry = 0, l1 = 0, dual = 0;
  for (let i = 0; i < n; i++) { rr += r[i] * r[i]; ry += r[i] * y[i]; }
  for (let j = 0; j < S.cols; j++) { l1 += Math.abs(x[j]); dual = Math.max(dual, Math.abs(g[j])); }
  const lam = lambda * n, scale = dual > lam ? lam / dual : 1;
  return (0.5 * rr * (1 + scale * scale) + lam * l1 - scale * ry) / n;
}

describe("gap-safe screening and working sets leave the answers unchanged", () => {
  it("a 2000×5000 CSR path (1% dense) against scikit-learn's lasso_path on the same CSR, screened and not", async () => {
    if (!ref) return;
    const c = ref.csr;
    const S = new CsrMatrix(c.n, c.p, Int32Array.from(c.indptr), Int32Array.from(c.indices), Float64Array.from(c.data));
    const y = Float64Array.from(c.y);
    let yy = 0;
    for (const v of y) yy += v * v;
    const tol = 1e-10;
    for (const screening of [true, false]) {
      const path = await nl.lassoPath(S, y, { fitIntercept: false, nLambdas: 10, eps: 1e-2, tol, maxIter: 1_000_000, screening });
      path.lambdas.forEach((l, k) => expect(Math.abs(l - c.alphas[k]) / c.alphas[k]).toBeLessThan(1e-12));
      path.fits.forEach((f, k) => {
        expect(f.reason).toBe("converged");
        // The gap, recomputed from x, meets the rule it claims (tol·‖y‖²/n).
        expect(lassoGap(S, y, f.x, path.lambdas[k])).toBeLessThanOrEqual(tol * yy / c.n * (1 + 1e-6));
        const scale = Math.max(1, ...c.coefs[k].map(Math.abs));
        let worst = 0, support = 0;
        for (let j = 0; j < c.p; j++) { worst = Math.max(worst, Math.abs(f.x[j] - c.coefs[k][j]) / scale); if (c.coefs[k][j] !== 0) support++; }
        expect(worst, `screening ${screening}, λ #${k} (${support} nonzero)`).toBeLessThan(1e-5);
      });
    }
  }, 120_000);

  it("working-set Gram paths and the dense kernel (intercept, weights, elastic net, positive) against scikit-learn's ElasticNet along the grid", async () => {
    if (!ref) return;
    const d = ref.dense;
    const A = DenseMatrix.from(d.X), y = Float64Array.from(d.y), w = Float64Array.from(d.w);
    const before = [A.data.slice(), y.slice(), w.slice()];
    for (const [k, c] of GRAM_CASES.entries()) {
      const sk = d.paths[k];
      const base: LassoPathOptions = {
        lambdas: sk.alphas, l1Ratio: c.l1Ratio, fitIntercept: c.fitIntercept, positive: c.positive, sampleWeight: c.weighted ? w : undefined,
        precompute: true, tol: 1e-13, maxIter: 1_000_000,
      };
      // The Gram path over a working set (screened and not), the whole Gram matrix, and the dense residual kernel (screened and not).
      for (const opts of [{ workingSet: true }, { workingSet: true, screening: false }, { workingSet: false }, { precompute: false }, { precompute: false, screening: false }]) {
        const path = await nl.lassoPath(A, y, { ...base, ...opts });
        path.fits.forEach((f, t) => {
          const label = `${JSON.stringify(c)} ${JSON.stringify(opts)} λ #${t}`;
          expect(f.reason, label).toBe("converged");
          const scale = Math.max(1, ...sk.coefs[t].map(Math.abs), Math.abs(sk.intercepts[t]));
          for (let j = 0; j < sk.coefs[t].length; j++) expect(Math.abs(f.x[j] - sk.coefs[t][j]) / scale, `${label} x[${j}]`).toBeLessThan(1e-7);
          expect(Math.abs(f.intercept - sk.intercepts[t]) / scale, `${label} intercept`).toBeLessThan(1e-7);
          if (c.positive) expect(Math.min(...f.x)).toBeGreaterThanOrEqual(0);
        });
      }
    }
    expect([A.data, y, w]).toEqual(before);
  }, 120_000);

  it("the working-set path and the screened dense kernel give the same bits on 1 and 2 threads", async () => {
    const u = (() => { let s = 5; return () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5; })();
    // 5000 rows: three chunks, so two threads split the dense kernel's rows.
    const A = new DenseMatrix(5000, 80, Float64Array.from({ length: 5000 * 80 }, u));
    const y = Float64Array.from({ length: 5000 }, (_, i) => 2 * A.data[i * 80 + 3] - A.data[i * 80 + 40] + 0.1 * u());
    const one = await init({ threads: 1 });
    try {
      for (const opts of [{ nLambdas: 20, tol: 1e-10, workingSet: true }, { nLambdas: 20, tol: 1e-10, precompute: false }] as LassoPathOptions[]) {
        const [a, b] = [await one.lassoPath(A, y, opts), await nl.lassoPath(A, y, { ...opts, threads: 2 })];
        a.fits.forEach((f, k) => { expect(f.x).toEqual(b.fits[k].x); expect(f.intercept).toBe(b.fits[k].intercept); });
      }
    } finally {
      await one.close();
    }
  });

  it("bad options are refused before any kernel runs", async () => {
    const A = DenseMatrix.from([[1, 2], [3, 4], [5, 7]]), b = Float64Array.of(1, 2, 3);
    await expect(nl.lasso(A, b, { lambda: 0.1, screening: 1 as unknown as boolean })).rejects.toMatchObject({ code: "invalid-type", argument: "opts.screening" });
    await expect(nl.lassoPath(A, b, { workingSet: "yes" as unknown as boolean })).rejects.toMatchObject({ code: "invalid-type", argument: "opts.workingSet" });
  });
});
