// The L2 logistic fits (L-BFGS and TRON, binary and multinomial) on a
// CsrMatrix, read by its nonzeros (by rows for X·w, by columns for Xᵀ·r),
// never densified: against scikit-learn's lbfgs at tol 1e-12 on the same
// scipy.sparse matrix, with intercepts and sample weights, and against
// numlane's dense fit of the same data; objectives recomputed here in float64
// from the nonzeros. Bits the same for any thread count and both builds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, init, type LogisticOptions, type Numlane } from "../dist/index.js";
import { python, sameBits } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

/** scikit-learn's lbfgs (w, b) and the same polished by SciPy's L-BFGS-B to ‖∇‖ ≤ 1e-11 (wTight, bTight). */
type Fit = { w: number[]; b: number[]; wTight: number[]; bTight: number[] };
type Reference = {
  n: number; p: number; indptr: number[]; indices: number[]; data: number[]; sw: number[];
  yb: number[]; ym: number[]; classes: number; C: number; binary: Fit; multinomial: Fit;
};

function reference(): Reference | undefined {
  return python(`
import json, warnings, numpy as np, scipy.sparse as sp
warnings.filterwarnings("ignore")
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax
from sklearn.linear_model import LogisticRegression
rs = np.random.RandomState(3); n, p, C = 700, 250, 0.7
S = sp.random(n, p, density=0.04, random_state=rs, format="csr", data_rvs=rs.randn)
S.sort_indices()
sw = rs.uniform(0, 2, n) * (rs.uniform(size=n) > 0.1)
w1 = rs.randn(p) * (rs.uniform(size=p) < 0.3)
yb = (S @ w1 + 0.5 + 0.3 * rs.randn(n) > 0).astype(int)
W = rs.randn(p, 3) * (rs.uniform(size=(p, 3)) < 0.3)
ym = np.argmax(S @ W + np.array([0.3, 0.0, -0.2]) + 0.3 * rs.randn(n, 3), axis=1)
def f(v, y, k):
    W, b = v[:k * p].reshape(k, p), v[k * p:]
    Z = S @ W.T + b
    if k == 1:
        t = 2 * y - 1; u = -t * Z[:, 0]
        D = (C * sw * -t / (1 + np.exp(-u)))[:, None]
        val = C * np.sum(sw * np.logaddexp(0, u))
    else:
        val = C * np.sum(sw * (logsumexp(Z, axis=1) - Z[np.arange(n), y]))
        D = C * sw[:, None] * (softmax(Z, axis=1) - np.eye(k)[y])
    return val + 0.5 * np.sum(W * W), np.r_[(W + (S.T @ D).T).ravel(), D.sum(axis=0)]
def fit(y, k):
    m = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000).fit(S, y, sample_weight=sw)
    # lbfgs stops on its ftol (64 eps) with ‖∇‖ ~1e-4: polished by L-BFGS-B without that stop.
    v0 = np.r_[m.coef_.ravel(), m.intercept_]
    r = minimize(f, v0, args=(y, k), jac=True, method="L-BFGS-B", options={"ftol": 0, "gtol": 1e-11, "maxiter": 100000, "maxfun": 1000000, "maxcor": 30})
    return {"w": m.coef_.ravel().tolist(), "b": m.intercept_.tolist(), "wTight": r.x[:k * p].tolist(), "bTight": r.x[k * p:].tolist()}
print(json.dumps({"n": n, "p": p, "indptr": S.indptr.tolist(), "indices": S.indices.tolist(), "data": S.data.tolist(), "sw": sw.tolist(),
  "yb": yb.tolist(), "ym": ym.tolist(), "classes": 3, "C": C, "binary": fit(yb, 1), "multinomial": fit(ym, 3)}))`, {});
}
let ref: Reference | undefined;
beforeAll(() => { ref = reference(); }, 120_000);

const csr = (r: Reference) => new CsrMatrix(r.n, r.p, Int32Array.from(r.indptr), Int32Array.from(r.indices), Float64Array.from(r.data));

/** ½‖W‖² + C·Σ s_i·loss_i from the nonzeros, and ‖∇‖∞ (coefficients and intercepts); W classes×p (binary: k = 1, y ±1). */
function evaluate(r: Reference, k: number, y: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>) {
  const { n, p, C } = r;
  let loss = 0, sq = 0;
  const g = Array.from(w), gb = new Array(k).fill(0);
  for (const v of Array.from(w)) sq += v * v;
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, (_, c) => {
      let t = b[c];
      for (let q = r.indptr[i]; q < r.indptr[i + 1]; q++) t += r.data[q] * w[c * p + r.indices[q]];
      return t;
    });
    const s = r.sw[i];
    const d = new Array(k).fill(0);
    if (k === 1) {
      const u = -y[i] * z[0];
      loss += s * (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u)));
      d[0] = C * s * -y[i] / (1 + Math.exp(-u));
    } else {
      const zm = Math.max(...z), e = z.map((v) => Math.exp(v - zm)), t = e.reduce((a, v) => a + v, 0);
      loss += s * (zm + Math.log(t) - z[y[i]]);
      for (let c = 0; c < k; c++) d[c] = C * s * (e[c] / t - (c === y[i] ? 1 : 0));
    }
    for (let c = 0; c < k; c++) {
      gb[c] += d[c];
      for (let q = r.indptr[i]; q < r.indptr[i + 1]; q++) g[c * p + r.indices[q]] += d[c] * r.data[q];
    }
  }
  return { objective: 0.5 * sq + C * loss, grad: Math.max(...g.map(Math.abs), ...gb.map(Math.abs)) };
}

/** Multinomial intercepts shifted to sum to 0 (both sides report those). */
const centred = (b: number[]) => { const m = b.reduce((a, v) => a + v, 0) / b.length; return b.map((v) => v - m); };

describe("logisticRegression L2 on a CsrMatrix (by rows and columns, not densified)", () => {
  for (const kind of ["binary", "multinomial"] as const) {
    for (const solver of ["lbfgs", "newton"] as const) {
      it(`${kind}, ${solver}, intercept and sample weights: scikit-learn's lbfgs on the same sparse matrix; the dense fit`, async () => {
        if (!ref) return;
        const r = ref, S = csr(r), k = kind === "binary" ? 1 : r.classes;
        const before = Float64Array.from(S.data), ptr = Int32Array.from(S.indptr), ind = Int32Array.from(S.indices);
        const y = kind === "binary" ? r.yb.map((v) => (v === 1 ? 1 : -1)) : r.ym;
        const o: LogisticOptions = { C: r.C, sampleWeight: r.sw, tol: 1e-10, maxIter: 10_000, solver, ...(kind === "multinomial" ? { multiClass: "multinomial" as const, classes: 3 } : {}) };
        const fit = await nl.logisticRegression(S, y, o);
        expect(fit.reason).toBe("converged");
        expect(sameBits(S.data, before) && sameBits(S.indptr, ptr) && sameBits(S.indices, ind)).toBe(true);
        const peer = r[kind];
        const mine = evaluate(r, k, y, fit.x, fit.intercept), theirs = evaluate(r, k, y, peer.w, peer.b);
        expect(Math.abs(fit.objective - mine.objective) / mine.objective).toBeLessThan(1e-12);
        // lbfgs stops at ‖∇‖ ~1e-4: ours is no higher, its coefficients within that; the polished ones to 1e-7 (ours: ‖∇‖ ≤ 1e-10·‖∇f(0)‖).
        expect((mine.objective - theirs.objective) / theirs.objective, `${mine.objective} vs ${theirs.objective}`).toBeLessThan(1e-14);
        expect(mine.grad).toBeLessThan(1e-6);
        const scale = Math.max(...peer.w.map(Math.abs));
        fit.x.forEach((v, j) => expect(Math.abs(v - peer.w[j]) / scale, `w[${j}]`).toBeLessThan(1e-4));
        fit.x.forEach((v, j) => expect(Math.abs(v - peer.wTight[j]) / scale, `w[${j}]`).toBeLessThan(1e-7));
        const pb = k === 1 ? peer.bTight : centred(peer.bTight);
        fit.intercept.forEach((v, c) => expect(Math.abs(v - pb[c]), `b[${c}]`).toBeLessThan(1e-7));
        // The same fit on the dense matrix: the same answer (sums in another order, another preconditioner: not the same bits).
        const dense = await nl.logisticRegression(S.toDense(), y, o);
        expect(Math.abs(dense.objective - fit.objective) / fit.objective).toBeLessThan(1e-12);
        fit.x.forEach((v, j) => expect(Math.abs(v - dense.x[j]) / scale).toBeLessThan(1e-7));
        // A warm start at the answer stops at once.
        const warm = await nl.logisticRegression(S, y, { ...o, x0: fit.x, intercept0: fit.intercept });
        expect(warm.iterations).toBe(0);
      }, 60_000);
    }
  }

  it("the same bits on 1 and 2 threads and in the single build", async () => {
    if (!ref) return;
    const r = ref, S = csr(r);
    const single = await init({ build: "single" });
    try {
      for (const o of [
        { C: r.C, sampleWeight: r.sw, tol: 1e-8 },
        { C: r.C, tol: 1e-8, solver: "newton" as const, fitIntercept: false },
        { C: r.C, sampleWeight: r.sw, tol: 1e-8, multiClass: "multinomial" as const },
      ]) {
        const y = o.multiClass ? r.ym : r.yb.map((v) => (v === 1 ? 1 : -1));
        const one = await nl.logisticRegression(S, y, { ...o, threads: 1 });
        const two = await nl.logisticRegression(S, y, { ...o, threads: 2 });
        const s = await single.logisticRegression(S, y, o);
        expect(one.iterations).toBeGreaterThan(2);
        for (const other of [two, s]) {
          expect(sameBits(other.x, one.x) && sameBits(other.intercept, one.intercept)).toBe(true);
          expect(other.objective).toBe(one.objective);
        }
      }
    } finally {
      await single.close();
    }
  }, 60_000);

  it("bad input on a CsrMatrix: non-finite values, weights of the wrong length, labels out of range, a start of the wrong shape", async () => {
    const S = new CsrMatrix(3, 2, Int32Array.of(0, 1, 2, 4), Int32Array.of(0, 1, 0, 1), Float64Array.of(1, -1, 2, NaN));
    await expect(nl.logisticRegression(S, [1, -1, 1])).rejects.toMatchObject({ argument: "A", message: expect.stringMatching(/entry 3 is NaN/) });
    S.data[3] = 0.5;
    await expect(nl.logisticRegression(S, [1, -1, 1], { sampleWeight: [1, 1] })).rejects.toMatchObject({ code: "invalid-shape", argument: "opts.sampleWeight" });
    await expect(nl.logisticRegression(S, [1, 0, 1])).rejects.toMatchObject({ code: "invalid-value", argument: "y" });
    await expect(nl.logisticRegression(S, [0, 1, 3], { multiClass: "multinomial", classes: 3 })).rejects.toMatchObject({ code: "invalid-value", argument: "y" });
    await expect(nl.logisticRegression(S, [1, -1, 1], { x0: [1, 2, 3] })).rejects.toMatchObject({ code: "invalid-shape", argument: "opts.x0" });
    // The binary and multinomial L2 fits on it run.
    expect((await nl.logisticRegression(S, [1, -1, 1])).reason).toBe("converged");
    expect((await nl.logisticRegression(S, [0, 1, 2], { multiClass: "multinomial" })).reason).toBe("converged");
  }, 60_000);
});
