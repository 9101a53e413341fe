// Binary logistic regression's elastic net, positive and warm starts.
// Elastic net against scikit-learn's LogisticRegression(penalty="elasticnet",
// solver="saga") at tol 1e-12 on breast_cancer (standardised), with and
// without an intercept and with sample weights; positive fits (L2, L1, elastic
// net) against SciPy's L-BFGS-B with bounds w ≥ 0 on the same objective (on
// w ≥ 0, α‖w‖₁ = α·Σw: smooth, so a bound-constrained quasi-Newton method
// solves it exactly), labels flipped so that many coefficients are positive.
// Objectives are recomputed here in float64 from each side's coefficients, and
// the optimality conditions at ours. A CsrMatrix (read by columns, never
// densified) against saga on the same scipy.sparse matrix.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, type LogisticOptions, type Numlane } from "../dist/index.js";
import { python, sameBits } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

type Case = { C: number; l1Ratio: number; fitIntercept: boolean; weighted: boolean; flip: boolean; w: number[]; b: number };
type Sparse = { n: number; p: number; indptr: number[]; indices: number[]; data: number[]; y: number[]; C: number; l1Ratio: number; w: number[]; b: number };
type Reference = { X: number[][]; y: number[]; sw: number[]; cases: Record<string, Case>; iris: { X: number[][]; y: number[] }; sparse: Sparse };

function reference(): Reference | undefined {
  return python(`
import json, warnings, numpy as np
warnings.filterwarnings("ignore")
from scipy.optimize import minimize
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
X, y = load_breast_cancer(return_X_y=True); X = StandardScaler().fit_transform(X)
rs = np.random.RandomState(0); sw = rs.uniform(0, 2, len(y)) * (rs.uniform(size=len(y)) > 0.2)
out = {"X": X.tolist(), "y": y.tolist(), "sw": sw.tolist(), "cases": {}}
def saga(name, C, r, fi, w=None):
    m = LogisticRegression(penalty="elasticnet", solver="saga", l1_ratio=r, C=C, tol=1e-12, max_iter=1000000, fit_intercept=fi).fit(X, y, sample_weight=w)
    out["cases"][name] = {"C": C, "l1Ratio": r, "fitIntercept": fi, "weighted": w is not None, "flip": False, "w": m.coef_[0].tolist(), "b": float(m.intercept_[0]) if fi else 0.0}
saga("elasticnet", 1.0, 0.5, True)
saga("elasticnet, no intercept", 1.0, 0.5, False)
saga("elasticnet, weighted", 0.5, 0.3, True, sw)
def bounded(name, C, alpha, fi, w=None):
    t = 2 * (1 - y) - 1; s = np.ones(len(y)) if w is None else w; p = X.shape[1]; beta = 1 - alpha
    def f(v):
        wv, b = v[:p], (v[p] if fi else 0.0); z = X @ wv + b; u = -t * z
        val = C * np.sum(s * np.logaddexp(0, u)) + alpha * wv.sum() + beta / 2 * wv @ wv
        r = C * s * (-t) / (1 + np.exp(-u))
        return val, np.r_[X.T @ r + alpha + beta * wv, [r.sum()] if fi else []]
    res = minimize(f, np.zeros(p + (1 if fi else 0)), jac=True, method="L-BFGS-B", bounds=[(0, None)] * p + ([(None, None)] if fi else []),
                   options={"ftol": 0, "gtol": 1e-13, "maxiter": 100000, "maxfun": 1000000, "maxcor": 30})
    out["cases"][name] = {"C": C, "l1Ratio": alpha, "fitIntercept": fi, "weighted": w is not None, "flip": True, "w": res.x[:p].tolist(), "b": float(res.x[p]) if fi else 0.0}
bounded("positive L2", 1.0, 0.0, True)
bounded("positive L1", 1.0, 1.0, True)
bounded("positive elasticnet, weighted, no intercept", 0.5, 0.5, False, sw)
Xi, yi = load_iris(return_X_y=True)
out["iris"] = {"X": Xi.tolist(), "y": yi.tolist()}
import scipy.sparse as sp
rs = np.random.RandomState(1); n, p = 800, 300
S = sp.random(n, p, density=0.03, random_state=rs, format="csr", data_rvs=rs.randn)
wt = rs.randn(p) * (rs.uniform(size=p) < 0.2); ys = (S @ wt + 0.3 * rs.randn(n) > 0).astype(int)
m = LogisticRegression(penalty="elasticnet", solver="saga", l1_ratio=0.7, C=2.0, tol=1e-12, max_iter=1000000).fit(S, ys)
out["sparse"] = {"n": n, "p": p, "indptr": S.indptr.tolist(), "indices": S.indices.tolist(), "data": S.data.tolist(), "y": ys.tolist(),
                 "C": 2.0, "l1Ratio": 0.7, "w": m.coef_[0].tolist(), "b": float(m.intercept_[0])}
print(json.dumps(out))`, {});
}
let ref: Reference | undefined;
beforeAll(() => { ref = reference(); }, 120_000);

/** ±1 labels (flipped: malignant is +1) as the fit takes them. */
const labels = (r: Reference, flip: boolean) => r.y.map((v) => ((v === 1) !== flip ? 1 : -1));

/** α‖w‖₁ + β/2‖w‖² + C·Σ s_i·loss_i in float64, and its smooth part's gradient (coefficients, intercept). */
function evaluate(r: Reference, c: Case, w: ArrayLike<number>, b: number) {
  const y = labels(r, c.flip), alpha = c.l1Ratio, beta = 1 - alpha, p = w.length;
  let loss = 0, l1 = 0, sq = 0, gb = 0;
  const g = Array.from(w, (v) => beta * v);
  r.X.forEach((x, i) => {
    const s = c.weighted ? r.sw[i] : 1;
    const z = x.reduce((a, v, j) => a + v * w[j], b), u = -y[i] * z;
    loss += s * (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u)));
    const d = c.C * s * -y[i] / (1 + Math.exp(-u));
    for (let j = 0; j < p; j++) g[j] += d * x[j];
    gb += d;
  });
  for (let j = 0; j < p; j++) { l1 += Math.abs(w[j]); sq += w[j] * w[j]; }
  return { objective: c.C * loss + alpha * l1 + 0.5 * beta * sq, g, gb };
}

async function fit(r: Reference, c: Case, extra: LogisticOptions = {}) {
  return nl.logisticRegression(DenseMatrix.from(r.X), labels(r, c.flip), {
    C: c.C, penalty: c.l1Ratio === 0 ? "l2" : "elasticnet", ...(c.l1Ratio === 0 ? {} : { l1Ratio: c.l1Ratio }),
    fitIntercept: c.fitIntercept, positive: c.flip, tol: 1e-10, maxIter: 10_000, ...(c.weighted ? { sampleWeight: r.sw } : {}), ...extra,
  });
}

describe("logisticRegression elastic net and positive against scikit-learn (saga) and SciPy (L-BFGS-B with bounds)", () => {
  for (const name of ["elasticnet", "elasticnet, no intercept", "elasticnet, weighted", "positive L2", "positive L1", "positive elasticnet, weighted, no intercept"]) {
    it(name, async () => {
      if (!ref) return;
      const c = ref.cases[name];
      const r = await fit(ref, c);
      expect(r.reason).toBe("converged");
      const mine = evaluate(ref, c, r.x, r.intercept[0]), theirs = evaluate(ref, c, c.w, c.b);
      // The same optimum: objectives to 1e-10 (a wrong mix of the penalties, or
      // clipping after the fact, is off by 1e-3 or more); the kernel's to the float64 one.
      expect(Math.abs(mine.objective - theirs.objective) / theirs.objective, `${mine.objective} vs ${theirs.objective}`).toBeLessThan(1e-10);
      expect(Math.abs(r.objective - mine.objective) / mine.objective).toBeLessThan(1e-12);
      const scale = Math.max(...c.w.map(Math.abs));
      r.x.forEach((v, j) => expect(Math.abs(v - c.w[j]) / scale, `w[${j}]`).toBeLessThan(1e-5));
      expect(Math.abs(r.intercept[0] - c.b) / scale).toBeLessThan(1e-5);
      if (!c.fitIntercept) expect(r.intercept[0]).toBe(0);
      // Optimality at the returned point, recomputed: g + α·sign(w) = 0 on the nonzeros; on the zeros
      // |g| ≤ α, or g ≥ −α with positive; the intercept's derivative 0. Exact zeros, as an L1 fit should give.
      const g0 = evaluate(ref, c, new Float64Array(r.x.length), 0);
      const tol = 1e-8 * Math.max(...g0.g.map(Math.abs), Math.abs(g0.gb));
      const alpha = c.l1Ratio;
      r.x.forEach((w, j) => {
        const g = mine.g[j];
        if (w !== 0) expect(Math.abs(g + alpha * Math.sign(w)), `j=${j}`).toBeLessThan(tol);
        else if (c.flip) expect(g + alpha, `j=${j}`).toBeGreaterThan(-tol);
        else expect(Math.abs(g), `j=${j}`).toBeLessThanOrEqual(alpha + tol);
        if (c.flip) expect(w).toBeGreaterThanOrEqual(0);
      });
      if (c.fitIntercept) expect(Math.abs(mine.gb)).toBeLessThan(tol);
      expect(r.x.filter((v) => v === 0).length).toBe(c.w.filter((v) => Math.abs(v) < 1e-10 * scale).length);
    }, 60_000);
  }

  it("l1Ratio 1 is penalty \"l1\" (the same bits); l1Ratio 0 is L2's optimum", async () => {
    if (!ref) return;
    const A = DenseMatrix.from(ref.X), y = labels(ref, false);
    const one = await nl.logisticRegression(A, y, { penalty: "elasticnet", l1Ratio: 1, tol: 1e-8 });
    const l1 = await nl.logisticRegression(A, y, { penalty: "l1", tol: 1e-8 });
    expect(sameBits(one.x, l1.x)).toBe(true);
    expect(one.objective).toBe(l1.objective);
    const zero = await nl.logisticRegression(A, y, { penalty: "elasticnet", l1Ratio: 0, tol: 1e-10 });
    const l2 = await nl.logisticRegression(A, y, { tol: 1e-10 });
    expect(zero.reason).toBe("converged");
    expect(Math.abs(zero.objective - l2.objective) / l2.objective).toBeLessThan(1e-12);
  }, 60_000);
});

describe("logisticRegression warm starts (x0, intercept0)", () => {
  const settings: [string, LogisticOptions, boolean][] = [
    ["L1", { penalty: "l1" }, false],
    ["elastic net, weighted", { penalty: "elasticnet", l1Ratio: 0.3, C: 0.5 }, true],
    ["positive L1", { penalty: "l1", positive: true }, false],
    ["L2 (lbfgs)", { solver: "lbfgs" }, false],
    ["L2 (newton)", { solver: "newton" }, true],
  ];
  for (const [name, o, weighted] of settings) {
    it(`binary ${name}: from the answer it stops at once; from elsewhere it reaches the cold fit's answer`, async () => {
      if (!ref) return;
      const A = DenseMatrix.from(ref.X), y = labels(ref, o.positive === true);
      const base: LogisticOptions = { ...o, tol: 1e-8, ...(weighted ? { sampleWeight: ref.sw } : {}) };
      const cold = await nl.logisticRegression(A, y, base);
      expect(cold.reason).toBe("converged");
      expect(cold.iterations).toBeGreaterThan(2);
      const x0 = Float64Array.from(cold.x), at = await nl.logisticRegression(A, y, { ...base, x0, intercept0: cold.intercept[0] });
      expect(at.reason).toBe("converged");
      expect(at.iterations).toBeLessThanOrEqual(1);
      const scale = Math.max(...cold.x.map(Math.abs));
      at.x.forEach((v, j) => expect(Math.abs(v - cold.x[j]) / scale).toBeLessThan(1e-8));
      expect(sameBits(x0, cold.x)).toBe(true);  // the input is not modified
      // From the fit at a 4× weaker penalty: the same optimum (objective, coefficients), by the same rule.
      const other = await nl.logisticRegression(A, y, { ...base, C: 4 * (o.C ?? 1) });
      const warm = await nl.logisticRegression(A, y, { ...base, x0: other.x, intercept0: [other.intercept[0]] });
      expect(warm.reason).toBe("converged");
      expect(Math.abs(warm.objective - cold.objective) / cold.objective).toBeLessThan(1e-10);
      warm.x.forEach((v, j) => expect(Math.abs(v - cold.x[j]) / scale, `x[${j}]`).toBeLessThan(1e-4));
    }, 60_000);
  }

  it.each(["lbfgs", "newton"] as const)("multinomial L2 (%s) on iris: from the answer at once; the same bits on 1 and 2 threads", async (solver) => {
    if (!ref) return;
    const A = DenseMatrix.from(ref.iris.X), y = Int32Array.from(ref.iris.y);
    const base: LogisticOptions = { multiClass: "multinomial", solver, C: 10, tol: 1e-8 };
    const cold = await nl.logisticRegression(A, y, base);
    expect(cold.reason).toBe("converged");
    const at = await nl.logisticRegression(A, y, { ...base, x0: cold.x, intercept0: cold.intercept });
    expect(at.reason).toBe("converged");
    expect(at.iterations).toBeLessThanOrEqual(1);
    const other = await nl.logisticRegression(A, y, { ...base, C: 1 });
    const warm = (threads: number) => nl.logisticRegression(A, y, { ...base, x0: other.x, intercept0: Array.from(other.intercept), threads });
    const [one, two] = [await warm(1), await warm(2)];
    expect(one.reason).toBe("converged");
    expect(Math.abs(one.objective - cold.objective) / cold.objective).toBeLessThan(1e-10);
    expect(sameBits(one.x, two.x) && sameBits(one.intercept, two.intercept)).toBe(true);
    const scale = Math.max(...cold.x.map(Math.abs));
    one.x.forEach((v, j) => expect(Math.abs(v - cold.x[j]) / scale).toBeLessThan(1e-5));
  }, 60_000);

  it("the missing half of a start is zeros: x0 alone, intercept0 alone", async () => {
    if (!ref) return;
    const A = DenseMatrix.from(ref.X), y = labels(ref, false);
    const cold = await nl.logisticRegression(A, y, { penalty: "l1", tol: 1e-8 });
    for (const start of [{ x0: cold.x }, { intercept0: cold.intercept[0] }]) {
      const r = await nl.logisticRegression(A, y, { penalty: "l1", tol: 1e-8, ...start });
      expect(r.reason).toBe("converged");
      expect(Math.abs(r.objective - cold.objective) / cold.objective).toBeLessThan(1e-10);
    }
  }, 60_000);
});

describe("logisticRegression on a CsrMatrix (newGLMNET by sparse columns)", () => {
  it("800×300 at 3% density, elastic net with an intercept, against saga on the same sparse matrix; the dense fit's answer", async () => {
    if (!ref) return;
    const c = ref.sparse;
    const S = new CsrMatrix(c.n, c.p, Int32Array.from(c.indptr), Int32Array.from(c.indices), Float64Array.from(c.data));
    const before = Float64Array.from(S.data);
    const y = c.y.map((v) => (v === 1 ? 1 : -1));
    const o: LogisticOptions = { penalty: "elasticnet", l1Ratio: c.l1Ratio, C: c.C, tol: 1e-10, maxIter: 10_000 };
    const r = await nl.logisticRegression(S, y, o);
    expect(r.reason).toBe("converged");
    expect(sameBits(S.data, before)).toBe(true);
    // The objective, recomputed from the nonzeros.
    const objective = (w: ArrayLike<number>, b: number) => {
      let loss = 0, l1 = 0, sq = 0;
      for (let i = 0; i < c.n; i++) {
        let z = b;
        for (let k = c.indptr[i]; k < c.indptr[i + 1]; k++) z += c.data[k] * w[c.indices[k]];
        const u = -y[i] * z;
        loss += u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
      }
      for (let j = 0; j < c.p; j++) { l1 += Math.abs(w[j]); sq += w[j] * w[j]; }
      return c.C * loss + c.l1Ratio * l1 + 0.5 * (1 - c.l1Ratio) * sq;
    };
    const mine = objective(r.x, r.intercept[0]), theirs = objective(c.w, c.b);
    expect(Math.abs(mine - theirs) / theirs, `${mine} vs ${theirs}`).toBeLessThan(1e-10);
    expect(Math.abs(r.objective - mine) / mine).toBeLessThan(1e-12);
    const scale = Math.max(...c.w.map(Math.abs));
    r.x.forEach((v, j) => expect(Math.abs(v - c.w[j]) / scale, `w[${j}]`).toBeLessThan(1e-5));
    expect(r.x.filter((v) => v === 0).length).toBe(c.w.filter((v) => v === 0).length);
    // The same fit on the dense matrix: the same answer (sums in another order: not the same bits).
    const dense = await nl.logisticRegression(S.toDense(), y, o);
    expect(Math.abs(dense.objective - r.objective) / r.objective).toBeLessThan(1e-13);
    r.x.forEach((v, j) => expect(Math.abs(v - dense.x[j]) / scale).toBeLessThan(1e-9));
    // Positive and a warm start take the sparse path too.
    const pos = await nl.logisticRegression(S, y, { ...o, positive: true });
    const posDense = await nl.logisticRegression(S.toDense(), y, { ...o, positive: true });
    expect(pos.reason).toBe("converged");
    expect(Math.abs(pos.objective - posDense.objective) / posDense.objective).toBeLessThan(1e-13);
    const warm = await nl.logisticRegression(S, y, { ...o, x0: r.x, intercept0: r.intercept[0] });
    expect(warm.iterations).toBe(0);
  }, 60_000);
});
