// nl.logisticRegression multinomial L1 and elastic net with per-class
// intercepts and sample weights against scikit-learn's
// LogisticRegression(solver="saga", multi_class="multinomial", tol=1e-10) on
// wine (scikit-learn's copy) and a digits subset (data/datasets), both
// standardised. The objective ρ‖W‖₁ + (1 − ρ)/2·‖W‖² + C·Σ s_i·loss_i is
// recomputed in float64 here from each side's coefficients; the optimality
// conditions are checked at the returned W, b.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, type Numlane } from "../dist/index.js";
import { python, sameBits } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

type Case = { X: number[][]; y: number[]; sw: number[] | null; C: number; l1Ratio: number; fitIntercept: boolean; W: number[][]; b: number[] };

function reference(): Record<string, Case> | undefined {
  return python(`
import json, warnings, numpy as np
warnings.filterwarnings("ignore")
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
rs = np.random.RandomState(0)
def scaled(X):
    sd = X.std(0)
    return np.where(sd > 0, (X - X.mean(0)) / np.where(sd > 0, sd, 1), 0)
Xw, yw = load_wine(return_X_y=True); Xw = scaled(Xw)
d = np.loadtxt("data/datasets/digits.csv", delimiter=",", skiprows=1)
idx = rs.choice(len(d), 300, replace=False)
Xd, yd = scaled(d[idx, :-1]), d[idx, -1].astype(int)
out = {}
sww = rs.uniform(0.2, 3, len(yw))
swd = rs.uniform(0.2, 3, len(yd)) * (rs.uniform(size=len(yd)) > 0.1)
for name, X, y, C, sw, fi, rho in [
    ("wine", Xw, yw, 0.5, None, True, 1.0),
    ("wine weighted", Xw, yw, 0.5, sww, True, 1.0),
    ("wine without intercept", Xw, yw, 0.5, None, False, 1.0),
    ("digits", Xd, yd, 0.1, None, True, 1.0),
    ("digits weighted", Xd, yd, 0.1, swd, True, 1.0),
    ("wine weighted, elastic net 0.5", Xw, yw, 0.5, sww, True, 0.5),
    ("digits weighted, elastic net 0.3", Xd, yd, 0.1, swd, True, 0.3)]:
    m = LogisticRegression(penalty="l1" if rho == 1 else "elasticnet", l1_ratio=None if rho == 1 else rho, solver="saga", multi_class="multinomial", C=C, tol=1e-10, max_iter=10**6, fit_intercept=fi)
    m.fit(X, y, sample_weight=sw)
    b = m.intercept_ - m.intercept_.mean() if fi else np.zeros(len(m.intercept_))
    out[name] = {"X": X.tolist(), "y": y.tolist(), "sw": None if sw is None else sw.tolist(), "C": C, "l1Ratio": rho, "fitIntercept": fi,
                 "W": m.coef_.tolist(), "b": b.tolist()}
print(json.dumps(out))`, {});
}
let ref: Record<string, Case> | undefined;
beforeAll(() => { ref = reference(); }, 180_000);

/** Class scores z_i = W·x_i + b, in float64. */
const scores = (X: number[][], W: number[][], b: number[]) => X.map((x) => W.map((w, c) => w.reduce((s, wj, j) => s + wj * x[j], b[c])));

/** ρ‖W‖₁ + (1 − ρ)/2·‖W‖² + C·Σ s_i·[logsumexp(z_i) − z_{i,y_i}]. */
function objective(c: Case, W: number[][], b: number[]): number {
  let loss = 0;
  scores(c.X, W, b).forEach((z, i) => {
    const m = Math.max(...z);
    loss += (c.sw ? c.sw[i] : 1) * (m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)) - z[c.y[i]]);
  });
  return W.flat().reduce((a, v) => a + c.l1Ratio * Math.abs(v) + 0.5 * (1 - c.l1Ratio) * v * v, 0) + c.C * loss;
}

/** The loss's gradient C·Σ s_i·(p_i − e_{y_i})·[x_i, 1]: coefficients, then intercepts. */
function gradient(c: Case, W: number[][], b: number[]): { gW: number[][]; gb: number[] } {
  const gW = W.map((w) => w.map(() => 0)), gb = b.map(() => 0);
  scores(c.X, W, b).forEach((z, i) => {
    const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), t = e.reduce((a, v) => a + v, 0);
    e.forEach((v, k) => {
      const r = c.C * (c.sw ? c.sw[i] : 1) * (v / t - (k === c.y[i] ? 1 : 0));
      gb[k] += r;
      c.X[i].forEach((xj, j) => { gW[k][j] += r * xj; });
    });
  });
  return { gW, gb };
}

/** The largest optimality violation: min-norm subgradient entries (the L2 part in the gradient), intercepts by |∂_b|. */
function violation(c: Case, W: number[][], b: number[]): number {
  const { gW, gb } = gradient(c, W, b);
  let v = c.fitIntercept ? Math.max(...gb.map(Math.abs)) : 0;
  W.forEach((w, k) => w.forEach((wj, j) => {
    const g = gW[k][j] + (1 - c.l1Ratio) * wj, l1 = c.l1Ratio;
    v = Math.max(v, wj > 0 ? Math.abs(g + l1) : wj < 0 ? Math.abs(g - l1) : Math.max(Math.abs(g) - l1, 0));
  }));
  return v;
}

const rows = (x: Float64Array, k: number) => Array.from({ length: k }, (_, c) => Array.from(x.subarray(c * (x.length / k), (c + 1) * (x.length / k))));

async function fit(c: Case, extra: object = {}) {
  const r = await nl.logisticRegression(DenseMatrix.from(c.X), Int32Array.from(c.y), {
    multiClass: "multinomial", ...(c.l1Ratio === 1 ? { penalty: "l1" as const } : { penalty: "elasticnet" as const, l1Ratio: c.l1Ratio }), C: c.C, fitIntercept: c.fitIntercept, tol: 1e-10, maxIter: 100_000, ...(c.sw ? { sampleWeight: c.sw } : {}), ...extra,
  });
  return { r, W: rows(r.x, c.W.length), b: Array.from(r.intercept) };
}

describe("logisticRegression multinomial L1 and elastic net with intercepts and sample weights against scikit-learn (saga)", () => {
  for (const name of ["wine", "wine weighted", "wine without intercept", "digits", "digits weighted", "wine weighted, elastic net 0.5", "digits weighted, elastic net 0.3"]) {
    it(name, async () => {
      if (!ref) return;
      const c = ref[name];
      const { r, W, b } = await fit(c);
      expect(r.reason).toBe("converged");
      const mine = objective(c, W, b), theirs = objective(c, c.W, c.b);
      // The same optimum: saga at tol 1e-10 sits ~1e-13 above it; a penalised or
      // missing intercept, or unweighted samples, is off by 1e-3 or more.
      expect(Math.abs(mine - theirs) / theirs, `${mine} vs ${theirs}`).toBeLessThan(1e-9);
      expect(Math.abs(r.objective - mine) / mine).toBeLessThan(1e-12);
      // Coefficients (as differences between classes: with an even number of classes
      // the L1 optimum may shift a feature's K coefficients within their median
      // interval, see the CsrMatrix test) and (centred) intercepts, and the same support.
      const scale = Math.max(...c.W.flat().map(Math.abs), ...c.b.map(Math.abs));
      const shifts = (M: number[][]) => M.slice(1).map((w) => w.map((v, j) => v - M[0][j]));
      const theirShifts = shifts(c.W);
      shifts(W).forEach((w, k) => w.forEach((v, j) => expect(Math.abs(v - theirShifts[k][j]) / scale, `W[${k + 1}][${j}] − W[0][${j}]`).toBeLessThan(1e-6)));
      if (c.l1Ratio < 1 || c.W.length % 2 === 1) W.forEach((w, k) => w.forEach((v, j) => expect(Math.abs(v - c.W[k][j]) / scale, `W[${k}][${j}]`).toBeLessThan(1e-6)));
      b.forEach((v, k) => expect(Math.abs(v - c.b[k]) / scale, `b[${k}]`).toBeLessThan(1e-6));
      if (c.l1Ratio < 1 || c.W.length % 2 === 1) W.forEach((w, k) => w.forEach((v, j) => { if (Math.abs(c.W[k][j]) > 1e-4 * scale) expect(v, `W[${k}][${j}]`).not.toBe(0); }));
      expect(b.reduce((a, v) => a + v, 0)).toBeCloseTo(0, 12);
      if (!c.fitIntercept) expect(b.every((v) => v === 0)).toBe(true);
      // "converged": the violation at the returned W, b, recomputed here, ≤ tol × the one at 0.
      const v = violation(c, W, b), v0 = violation(c, W.map((w) => w.map(() => 0)), b.map(() => 0));
      expect(v).toBeLessThanOrEqual(1e-10 * v0 * (1 + 1e-3) + 1e-12 * v0);
      expect(Math.abs(r.violation! - v)).toBeLessThan(1e-11 * v0);
    }, 60_000);
  }

  it("weight 0 drops a sample, weight 2 counts it twice", async () => {
    if (!ref) return;
    const c = ref.wine;
    const idx = c.y.map((_, i) => i);
    const sw = idx.map((i) => (i % 3 === 0 ? 2 : i % 3 === 1 ? 0 : 1));
    const twice = idx.flatMap((i) => (i % 3 === 0 ? [i, i] : i % 3 === 1 ? [] : [i]));
    const opts = { multiClass: "multinomial" as const, penalty: "l1" as const, C: 0.5, tol: 1e-12, maxIter: 100_000 };
    const weighted = await nl.logisticRegression(DenseMatrix.from(c.X), Int32Array.from(c.y), { ...opts, sampleWeight: sw });
    const doubled = await nl.logisticRegression(DenseMatrix.from(twice.map((i) => c.X[i])), Int32Array.from(twice.map((i) => c.y[i])), opts);
    const scale = Math.max(...doubled.x.map(Math.abs));
    weighted.x.forEach((v, j) => expect(Math.abs(v - doubled.x[j]) / scale, `x[${j}]`).toBeLessThan(1e-9));
    weighted.intercept.forEach((v, k) => expect(Math.abs(v - doubled.intercept[k]) / scale, `b[${k}]`).toBeLessThan(1e-9));
    expect(Math.abs(weighted.objective - doubled.objective) / doubled.objective).toBeLessThan(1e-12);
  });

  it("bit-identical on 1 and 2 threads; inputs unchanged", async () => {
    if (!ref) return;
    const c = ref["digits weighted"];
    const X = DenseMatrix.from(c.X), y = Int32Array.from(c.y), sw = Float64Array.from(c.sw!);
    const copies = [X.data.slice(), y.slice(), sw.slice()];
    const opts = { multiClass: "multinomial" as const, penalty: "l1" as const, C: c.C, sampleWeight: sw };
    const one = await nl.logisticRegression(X, y, { ...opts, threads: 1 }), two = await nl.logisticRegression(X, y, { ...opts, threads: 2 });
    expect(sameBits(one.x, two.x)).toBe(true);
    expect(sameBits(one.intercept, two.intercept)).toBe(true);
    expect(one.objective).toBe(two.objective);
    expect(sameBits(X.data, copies[0]) && sameBits(y, copies[1]) && sameBits(sw, copies[2])).toBe(true);
  }, 60_000);

  it("elastic net at l1Ratio 1 is the L1 fit, bit for bit", async () => {
    if (!ref) return;
    const c = ref["wine weighted"];
    const l1 = await fit(c), enet = await fit(c, { penalty: "elasticnet", l1Ratio: 1 });
    expect(sameBits(l1.r.x, enet.r.x) && sameBits(l1.r.intercept, enet.r.intercept)).toBe(true);
    expect(l1.r.objective).toBe(enet.r.objective);
  });

  it("warm starts: at the answer it stops at once; from the L2 fit it reaches the cold objective, tol still relative to the violation at 0", async () => {
    if (!ref) return;
    const c = ref["digits weighted, elastic net 0.3"];
    const cold = await fit(c);
    const again = await fit(c, { x0: cold.r.x, intercept0: cold.r.intercept });
    expect([again.r.iterations, again.r.reason]).toEqual([0, "converged"]);
    expect(Math.abs(again.r.objective - cold.r.objective) / cold.r.objective).toBeLessThan(1e-14);
    const l2 = await nl.logisticRegression(DenseMatrix.from(c.X), Int32Array.from(c.y), { multiClass: "multinomial", C: c.C, sampleWeight: c.sw! });
    const warm = await fit(c, { x0: l2.x, intercept0: l2.intercept });
    expect(warm.r.reason).toBe("converged");
    expect(Math.abs(warm.r.objective - cold.r.objective) / cold.r.objective).toBeLessThan(1e-10);
    const v0 = violation(c, c.W.map((w) => w.map(() => 0)), c.b.map(() => 0));
    expect(violation(c, warm.W, warm.b)).toBeLessThanOrEqual(1e-10 * v0 * (1 + 1e-3) + 1e-12 * v0);
  }, 60_000);

  it("maxIter stops early without claiming convergence; the violation reported is the returned point's", async () => {
    if (!ref) return;
    const c = ref.digits;
    const { r, W, b } = await fit(c, { maxIter: 2 });
    expect(r.reason).toBe("max-iterations");
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(2);
    const v = violation(c, W, b);
    expect(Math.abs(r.violation! - v)).toBeLessThan(1e-10 * v);
  });
});

describe("logisticRegression multinomial L1 / elastic net on a CsrMatrix (read by columns)", () => {
  type Sparse = { n: number; p: number; indptr: number[]; indices: number[]; data: number[]; y: number[]; sw: number[]; fits: Record<string, { W: number[][]; b: number[] }> };
  let sp: Sparse | undefined;
  beforeAll(() => {
    sp = python(`
import json, warnings, numpy as np, scipy.sparse as sps
warnings.filterwarnings("ignore")
from sklearn.linear_model import LogisticRegression
rs = np.random.RandomState(3)
n, p = 400, 300
X = sps.random(n, p, density=0.03, format="csr", random_state=rs, data_rvs=rs.randn)
W = rs.randn(4, p) * (rs.uniform(size=(4, p)) < 0.2)
y = np.argmax(X @ W.T + 0.3 * rs.randn(n, 4), axis=1)
sw = rs.uniform(0.3, 2, n)
fits = {}
for name, rho in [("l1", 1.0), ("enet", 0.5)]:
    m = LogisticRegression(penalty="l1" if rho == 1 else "elasticnet", l1_ratio=None if rho == 1 else rho, solver="saga", multi_class="multinomial", C=2.0, tol=1e-10, max_iter=10**6)
    m.fit(X, y, sample_weight=sw)
    fits[name] = {"W": m.coef_.tolist(), "b": (m.intercept_ - m.intercept_.mean()).tolist()}
print(json.dumps({"n": n, "p": p, "indptr": X.indptr.tolist(), "indices": X.indices.tolist(), "data": X.data.tolist(), "y": y.tolist(), "sw": sw.tolist(), "fits": fits}))`, {});
  }, 180_000);

  for (const [name, o] of [["l1", { penalty: "l1" }], ["enet", { penalty: "elasticnet", l1Ratio: 0.5 }]] as const) {
    it(`${name}: saga's optimum on the same scipy.sparse matrix; the dense fit's`, async () => {
      if (!sp) return;
      const S = new CsrMatrix(sp.n, sp.p, Int32Array.from(sp.indptr), Int32Array.from(sp.indices), Float64Array.from(sp.data));
      const D = S.toDense();
      const X = Array.from({ length: sp.n }, (_, i) => Array.from(D.data.subarray(i * sp!.p, (i + 1) * sp!.p)));
      const c: Case = { X, y: sp.y, sw: sp.sw, C: 2, l1Ratio: name === "l1" ? 1 : 0.5, fitIntercept: true, W: sp.fits[name].W, b: sp.fits[name].b };
      const opts = { multiClass: "multinomial" as const, ...o, C: 2, sampleWeight: sp.sw, tol: 1e-10, maxIter: 100_000 };
      const sparse = await nl.logisticRegression(S, Int32Array.from(sp.y), opts), dense = await nl.logisticRegression(D, Int32Array.from(sp.y), opts);
      expect(sparse.reason).toBe("converged");
      const W = rows(sparse.x, 4), b = Array.from(sparse.intercept);
      const mine = objective(c, W, b), theirs = objective(c, c.W, c.b);
      expect(Math.abs(mine - theirs) / theirs, `${mine} vs ${theirs}`).toBeLessThan(1e-9);
      // With an even number of classes the L1 optimum is unique only up to shifting a
      // feature's coefficients within the median interval of its K values (the loss
      // ignores the shift, the penalty is flat there): compare differences between classes.
      const scale = Math.max(...c.W.flat().map(Math.abs));
      const shifts = (M: number[][]) => M.slice(1).map((w, k) => w.map((v, j) => v - M[0][j]));
      const [ours, saga, viaDense] = [shifts(W), shifts(c.W), shifts(rows(dense.x, 4))];
      ours.forEach((w, k) => w.forEach((v, j) => expect(Math.abs(v - saga[k][j]) / scale, `W[${k + 1}][${j}] − W[0][${j}]`).toBeLessThan(1e-6)));
      b.forEach((v, k) => expect(Math.abs(v - c.b[k]) / scale, `b[${k}]`).toBeLessThan(1e-6));
      expect(Math.abs(sparse.objective - dense.objective) / dense.objective).toBeLessThan(1e-12);
      ours.forEach((w, k) => w.forEach((v, j) => expect(Math.abs(v - viaDense[k][j]) / scale, `dense ${k + 1}, ${j}`).toBeLessThan(1e-8)));
    }, 120_000);
  }
});
