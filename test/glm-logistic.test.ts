// nl.logisticRegression (L2: both solvers) with intercepts and sample weights against
// scikit-learn's LogisticRegression (lbfgs, then polished by full Newton steps
// in NumPy: lbfgs stops 1e-7–1e-3 above the optimum here) on breast_cancer,
// wine, iris, digits and a 400×300 Gaussian set, binary and multinomial; the objective ½‖W‖² + C·Σ s_i·loss_i is recomputed in float64
// here from each side's coefficients, and the L1 fit is checked by its
// optimality conditions, computed plainly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DenseMatrix, init, type Numlane } from "../dist/index.js";
import { norm, python, sameBits } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

type Fit = { W: number[][]; b: number[] };
type Case = { X: number[][]; y: number[]; sw: number[] | null; C: number; fit: Fit };
type Reference = Record<string, Case>;

function reference(): Reference | undefined {
  const script = `
import json, warnings, numpy as np
warnings.filterwarnings("ignore")
from sklearn.datasets import load_breast_cancer, load_wine, load_iris, load_digits
from sklearn.linear_model import LogisticRegression
rs = np.random.RandomState(0)
out = {}
def polish(X, y, C, sw, W, b):
    # Newton's method with the full Hessian, in NumPy, from scikit-learn's answer
    # (lbfgs stops early here): least-squares steps, since the softmax's is singular
    # along shifts of every class's intercept together.
    n, p = X.shape; k = W.shape[0]; Xa = np.hstack([X, np.ones((n, 1))]); s = np.ones(n) if sw is None else sw
    T = np.hstack([W, b[:, None]]); reg = np.r_[np.ones(p), 0.0]
    for _ in range(30):
        Z = Xa @ T.T
        if k == 1:
            t = 2 * y - 1; q = 1 / (1 + np.exp(-t * Z[:, 0]))
            G = (reg * T[0] + C * Xa.T @ (s * (q - 1) * t))[None, :]
            H = np.diag(reg) + C * Xa.T @ ((s * q * (1 - q))[:, None] * Xa)
        else:
            P = np.exp(Z - Z.max(1, keepdims=True)); P /= P.sum(1, keepdims=True); Y = np.eye(k)[y]
            G = reg * T + C * ((s[:, None] * (P - Y)).T @ Xa)
            H = np.zeros((k, p + 1, k, p + 1))
            for c in range(k):
                for d in range(k):
                    D = s * P[:, c] * ((c == d) - P[:, d])
                    H[c, :, d, :] = C * Xa.T @ (D[:, None] * Xa) + (np.diag(reg) if c == d else 0)
            H = H.reshape(k * (p + 1), k * (p + 1))
        step = np.linalg.lstsq(H, G.ravel(), rcond=1e-14)[0].reshape(T.shape)
        T = T - step
        if np.abs(step).max() <= 1e-15 * np.abs(T).max(): break
    return T[:, :p], T[:, p] - (T[:, p].mean() if k > 1 else 0)
def case(name, X, y, C, sw=None):
    m = LogisticRegression(C=C, tol=1e-10, max_iter=100000).fit(X, y, sample_weight=sw)
    W, b = polish(X, y, C, sw, m.coef_, m.intercept_)
    out[name] = {"X": X.tolist(), "y": y.tolist(), "sw": None if sw is None else sw.tolist(), "C": C,
                 "fit": {"W": W.tolist(), "b": b.tolist()}}
Xb, yb = load_breast_cancer(return_X_y=True)
case("breast_cancer", Xb, yb, 1.0)
case("breast_cancer weighted", Xb, yb, 1.0, rs.uniform(0, 2, len(yb)) * (rs.uniform(size=len(yb)) > 0.2))
Xw, yw = load_wine(return_X_y=True)
case("wine", Xw, yw, 1.0)
case("wine weighted", Xw, yw, 0.5, rs.uniform(0.5, 3, len(yw)))
Xi, yi = load_iris(return_X_y=True)
case("iris", Xi, yi, 10.0)
Xd, yd = load_digits(return_X_y=True)
case("digits", Xd, yd, 1.0)
# Over 256 columns: L-BFGS starts from the Hessian's diagonal, not the Gram preconditioner.
Xg = rs.randn(400, 300); yg = (Xg[:, :30].sum(1) + 2 * rs.randn(400) > 0).astype(int)
case("gaussian 400x300", Xg, yg, 0.1)
print(json.dumps(out))`;
  return python(script, {});
}
let ref: Reference | undefined;
beforeAll(() => { ref = reference(); }, 120_000);

/** Class scores z_i = W·x_i + b, in float64. */
function scores(X: number[][], W: number[][], b: number[]): number[][] {
  return X.map((x) => W.map((w, c) => w.reduce((s, wj, j) => s + wj * x[j], b[c])));
}
/** ½‖W‖² + C·Σ s_i·loss_i, binary (one row of W, y ∈ {0, 1}) or softmax. */
function objective(X: number[][], y: number[], sw: number[] | null, C: number, W: number[][], b: number[]): number {
  const Z = scores(X, W, b);
  let loss = 0;
  Z.forEach((z, i) => {
    const s = sw ? sw[i] : 1;
    if (W.length === 1) { const t = -(y[i] === 1 ? 1 : -1) * z[0]; loss += s * (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t))); }
    else { const m = Math.max(...z); loss += s * (m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)) - z[y[i]]); }
  });
  return 0.5 * W.flat().reduce((a, v) => a + v * v, 0) + C * loss;
}
/** ∇ of the objective (coefficients, then intercepts), in float64: zero at the optimum. */
function gradient(X: number[][], y: number[], sw: number[] | null, C: number, W: number[][], b: number[], l2 = true): { gW: number[][]; gb: number[] } {
  const Z = scores(X, W, b);
  const gW = W.map((w) => w.map((v) => (l2 ? v : 0))), gb = b.map(() => 0);
  Z.forEach((z, i) => {
    const s = C * (sw ? sw[i] : 1);
    let r: number[];
    if (W.length === 1) { const yi = y[i] === 1 ? 1 : -1; r = [s * (1 / (1 + Math.exp(-yi * z[0])) - 1) * yi]; }
    else { const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), t = e.reduce((a, v) => a + v, 0); r = e.map((v, c) => s * (v / t - (c === y[i] ? 1 : 0))); }
    r.forEach((rc, c) => { gb[c] += rc; X[i].forEach((xj, j) => { gW[c][j] += rc * xj; }); });
  });
  return { gW, gb };
}
const rows = (x: Float64Array, k: number) => Array.from({ length: k }, (_, c) => Array.from(x.subarray(c * (x.length / k), (c + 1) * (x.length / k))));

async function fit(c: Case, extra: object = {}) {
  const A = DenseMatrix.from(c.X);
  const k = c.fit.W.length;
  const r = await nl.logisticRegression(A, k === 1 ? c.y.map((v) => (v === 1 ? 1 : -1)) : Int32Array.from(c.y), {
    C: c.C, tol: 1e-10, ...(k > 1 ? { multiClass: "multinomial" as const } : {}), ...(c.sw ? { sampleWeight: c.sw } : {}), ...extra,
  });
  return { A, r, W: rows(r.x, k), b: Array.from(r.intercept) };
}

describe.each(["lbfgs", "newton"] as const)("logisticRegression L2 (solver %s) with intercepts and sample weights against scikit-learn + NumPy Newton", (solver) => {
  for (const name of ["breast_cancer", "breast_cancer weighted", "wine", "wine weighted", "iris", "digits", "gaussian 400x300"]) {
    it(name, async () => {
      if (!ref) return;
      const c = ref[name];
      const { r, W, b } = await fit(c, { solver });
      expect(r.reason).toBe("converged");
      const mine = objective(c.X, c.y, c.sw, c.C, W, b), theirs = objective(c.X, c.y, c.sw, c.C, c.fit.W, c.fit.b);
      // The same optimum: objectives to 1e-10, the kernel's own objective to the float64 one.
      expect(Math.abs(mine - theirs) / theirs, `${mine} vs ${theirs}`).toBeLessThan(1e-10);
      expect(Math.abs(r.objective - mine) / mine).toBeLessThan(1e-12);
      // Coefficients and intercepts (scikit-learn's multinomial intercepts sum to 0, as ours).
      const scale = Math.max(...c.fit.W.flat().map(Math.abs), ...c.fit.b.map(Math.abs));
      W.forEach((w, k) => w.forEach((v, j) => expect(Math.abs(v - c.fit.W[k][j]) / scale, `W[${k}][${j}]`).toBeLessThan(1e-5)));
      b.forEach((v, k) => expect(Math.abs(v - c.fit.b[k]) / scale, `b[${k}]`).toBeLessThan(1e-5));
      // "converged" means ‖∇f‖ ≤ tol·‖∇f(0)‖ at the returned point: recomputed here.
      const zero = c.fit.W.map((w) => w.map(() => 0));
      const g = gradient(c.X, c.y, c.sw, c.C, W, b), g0 = gradient(c.X, c.y, c.sw, c.C, zero, c.fit.b.map(() => 0));
      expect(norm([...g.gW.flat(), ...g.gb])).toBeLessThan(1e-9 * norm([...g0.gW.flat(), ...g0.gb]));
    }, 60_000);
  }

  it("weight 0 drops a sample, weight 2 counts it twice; no intercept means intercept 0", async () => {
    if (!ref) return;
    const c = ref.iris;
    // The first 100 samples, the even ones weighted 2 and the rest 0 against the even ones listed twice.
    const idx = Array.from({ length: 100 }, (_, i) => i);
    const X = idx.map((i) => c.X[i]);
    const sw = idx.map((i) => (i % 2 === 0 ? 2 : 0));
    const twice = idx.filter((i) => i % 2 === 0).flatMap((i) => [i, i]);
    const labels = (ix: number[]) => ix.map((i) => (c.y[i] % 2 === 1 ? 1 : -1));
    const weighted = await nl.logisticRegression(DenseMatrix.from(X), labels(idx), { sampleWeight: sw, tol: 1e-12, solver });
    const doubled = await nl.logisticRegression(DenseMatrix.from(twice.map((i) => c.X[i])), labels(twice), { tol: 1e-12, solver });
    for (let j = 0; j < 4; j++) expect(weighted.x[j]).toBeCloseTo(doubled.x[j], 7);
    expect(weighted.intercept[0]).toBeCloseTo(doubled.intercept[0], 7);
    const none = await nl.logisticRegression(DenseMatrix.from(X), labels(idx), { fitIntercept: false });
    expect(Array.from(none.intercept)).toEqual([0]);
  });

  it("bit-identical on 1 and 2 threads", async () => {
    if (!ref) return;
    for (const name of ["breast_cancer weighted", "digits", "gaussian 400x300"]) {
      const one = await fit(ref[name], { threads: 1, solver }), two = await fit(ref[name], { threads: 2, solver });
      expect(sameBits(one.r.x, two.r.x), name).toBe(true);
      expect(sameBits(one.r.intercept, two.r.intercept), name).toBe(true);
      expect(one.r.objective).toBe(two.r.objective);
    }
  }, 60_000);
});

describe("logisticRegression L1 with an intercept and sample weights: optimality conditions", () => {
  it("breast_cancer weighted (columns scaled to unit RMS), C = 1: |∂_j loss| ≤ 1 on zeros, = −sign(w_j) elsewhere, ∂_b loss = 0", async () => {
    if (!ref) return;
    const raw = ref["breast_cancer weighted"];
    const rms = raw.X[0].map((_, j) => Math.sqrt(raw.X.reduce((a, x) => a + x[j] * x[j], 0) / raw.X.length));
    const c = { ...raw, X: raw.X.map((x) => x.map((v, j) => v / rms[j])) };
    const { r, W, b } = await fit(c, { penalty: "l1", tol: 1e-9, maxIter: 100_000 });
    expect(r.reason).toBe("converged");
    const { gW, gb } = gradient(c.X, c.y, c.sw, c.C, W, b, false);
    const g0 = gradient(c.X, c.y, c.sw, c.C, [W[0].map(() => 0)], [0], false);
    const scale = Math.max(...g0.gW[0].map(Math.abs));
    expect(W[0].some((v) => v === 0) && W[0].some((v) => v !== 0)).toBe(true);
    W[0].forEach((w, j) => {
      if (w === 0) expect(Math.abs(gW[0][j]), `j=${j}`).toBeLessThanOrEqual(1 + 1e-6 * scale);
      else expect(Math.abs(gW[0][j] + Math.sign(w)), `j=${j}`).toBeLessThan(1e-6 * scale);
    });
    expect(Math.abs(gb[0])).toBeLessThan(1e-6 * scale);
    const pen = W[0].reduce((a, v) => a + Math.abs(v), 0);
    const l2obj = objective(c.X, c.y, c.sw, c.C, W, b) - 0.5 * W[0].reduce((a, v) => a + v * v, 0);
    expect(Math.abs(r.objective - (pen + l2obj)) / r.objective).toBeLessThan(1e-12);
  }, 60_000);
});
