// nl.lasso: against scikit-learn's Lasso on the diabetes data, against the
// optimality (KKT) conditions on random problems, λ ≥ λ_max, determinism
// across threads and builds, progress and abort, bad input.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DenseMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { abortLatency, median, sameBits, uniform } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

function diabetes(): { A: DenseMatrix; b: Float64Array } {
  const rows = readFileSync(new URL("../data/datasets/diabetes.csv", import.meta.url), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  const p = rows[0].length - 1;
  return { A: new DenseMatrix(rows.length, p, Float64Array.from(rows.flatMap((r) => r.slice(0, p)))), b: Float64Array.from(rows, (r) => r[p]) };
}

/** Aᵀ(b − A·x)/n, plainly. */
function correlations(A: DenseMatrix, b: Float64Array, x: Float64Array): Float64Array {
  const { rows: n, cols: p } = A, r = b.slice(), g = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) r[i] -= A.get(i, j) * x[j];
  for (let j = 0; j < p; j++) { let s = 0; for (let i = 0; i < n; i++) s += A.get(i, j) * r[i]; g[j] = s / n; }
  return g;
}

/** A random problem whose answer is sparse: b = A·x* + noise with 5 nonzeros in x*. */
function sparseProblem(n: number, p: number, seed: number) {
  const A = new DenseMatrix(n, p, uniform(n * p, seed));
  const xs = new Float64Array(p);
  for (let j = 0; j < 5; j++) xs[(j * 7) % p] = (j % 2 ? -1 : 1) * (1 + j);
  const noise = uniform(n, seed + 1, -0.1, 0.1);
  const b = Float64Array.from({ length: n }, (_, i) => { let s = noise[i]; for (let j = 0; j < p; j++) s += A.get(i, j) * xs[j]; return s; });
  return { A, b, xs };
}

describe("lasso: accuracy", () => {
  it("matches scikit-learn's Lasso (fit_intercept=False) on the diabetes data", async () => {
    const py = "/usr/bin/python3";
    if (!existsSync(py) && !process.env.CI) return;
    const lambdas = [0.003, 0.03, 0.3, 3];
    const script = `
import json, sys, numpy as np
from sklearn.linear_model import Lasso
d = np.loadtxt("data/datasets/diabetes.csv", delimiter=",", skiprows=1)
out = []
for lam in map(float, sys.argv[1:]):
    m = Lasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=1000000).fit(d[:, :-1], d[:, -1])
    out.append({"x": m.coef_.tolist(), "gap": float(m.dual_gap_)})
print(json.dumps(out))`;
    const run = spawnSync(py, ["-c", script, ...lambdas.map(String)]);
    if (run.status !== 0) {
      if (process.env.CI) throw new Error(`scikit-learn is required in CI: ${run.stderr}`);
      console.warn(`scikit-learn comparison skipped: ${run.stderr}`);
      return;
    }
    const sk = JSON.parse(run.stdout.toString()) as { x: number[]; gap: number }[];
    const { A, b } = diabetes();
    for (const [k, lambda] of lambdas.entries()) {
      const r = await nl.lasso(A, b, { fitIntercept: false, lambda, tol: 1e-12, maxIter: 1_000_000 });
      expect(r.reason, `λ=${lambda}`).toBe("converged");
      const scale = Math.max(1, ...sk[k].x.map(Math.abs));
      for (let j = 0; j < A.cols; j++) expect(Math.abs(r.x[j] - sk[k].x[j]) / scale, `λ=${lambda}, x[${j}]`).toBeLessThan(1e-6);
      // Same zero pattern: the L1 penalty's point.
      expect(Array.from(r.x, (v) => v === 0)).toEqual(sk[k].x.map((v) => v === 0));
    }
  });

  it("satisfies the optimality conditions on random sparse problems; recovers the support", async () => {
    for (const [n, p, seed] of [[200, 30, 1], [5000, 40, 2]]) {
      const { A, b, xs } = sparseProblem(n, p, seed);
      const lambda = 0.05;
      const r = await nl.lasso(A, b, { fitIntercept: false, lambda, tol: 1e-12, maxIter: 100_000 });
      expect(r.reason).toBe("converged");
      const g = correlations(A, b, r.x);
      for (let j = 0; j < p; j++) {
        // KKT: |a_jᵀr|/n ≤ λ, with equality and the sign of x_j where x_j ≠ 0.
        if (r.x[j] === 0) expect(Math.abs(g[j])).toBeLessThanOrEqual(lambda * (1 + 1e-6));
        else expect(Math.abs(g[j] - lambda * Math.sign(r.x[j]))).toBeLessThan(1e-6 * lambda);
      }
      for (let j = 0; j < p; j++) expect(r.x[j] !== 0).toBe(xs[j] !== 0);
      expect(r.gap!).toBeLessThanOrEqual(1e-12 * b.reduce((s, v) => s + v * v, 0) / n);
    }
  });

  it("λ ≥ λ_max = max|Aᵀb|/n gives x = 0 at once; λ = 0 is least squares", async () => {
    const { A, b } = sparseProblem(300, 20, 3);
    const lmax = Math.max(...Array.from(correlations(A, b, new Float64Array(20)), Math.abs));
    const r = await nl.lasso(A, b, { fitIntercept: false, lambda: lmax * 1.0001 });
    expect(r.x.every((v) => v === 0)).toBe(true);
    expect(r.reason).toBe("converged");
    const ls = await nl.lasso(A, b, { fitIntercept: false, lambda: 0, tol: 1e-14, maxIter: 100_000 });
    const g = correlations(A, b, ls.x);
    expect(Math.max(...Array.from(g, Math.abs))).toBeLessThan(1e-9); // normal equations hold
  });
});

describe("lassoPath", () => {
  it("matches scikit-learn's lasso_path on the diabetes data: the same λ grid and coefficients", async () => {
    const py = "/usr/bin/python3";
    if (!existsSync(py) && !process.env.CI) return;
    const script = `
import json, numpy as np
from sklearn.linear_model import lasso_path
d = np.loadtxt("data/datasets/diabetes.csv", delimiter=",", skiprows=1)
alphas, coefs, _ = lasso_path(d[:, :-1], d[:, -1], n_alphas=30, eps=1e-3, tol=1e-12, max_iter=1000000)
print(json.dumps({"alphas": alphas.tolist(), "coefs": coefs.T.tolist()}))`;
    const run = spawnSync(py, ["-c", script], { maxBuffer: 1 << 24 });
    if (run.status !== 0) {
      if (process.env.CI) throw new Error(`scikit-learn is required in CI: ${run.stderr}`);
      return;
    }
    const sk = JSON.parse(run.stdout.toString()) as { alphas: number[]; coefs: number[][] };
    const { A, b } = diabetes();
    const path = await nl.lassoPath(A, b, { fitIntercept: false, nLambdas: 30, eps: 1e-3, tol: 1e-12, maxIter: 1_000_000 });
    expect(path.lambdas.length).toBe(30);
    path.lambdas.forEach((l, k) => expect(Math.abs(l - sk.alphas[k]) / sk.alphas[k]).toBeLessThan(1e-12));
    path.fits.forEach((f, k) => {
      expect(f.reason).toBe("converged");
      const scale = Math.max(1, ...sk.coefs[k].map(Math.abs));
      for (let j = 0; j < A.cols; j++) expect(Math.abs(f.x[j] - sk.coefs[k][j]) / scale, `λ #${k}, x[${j}]`).toBeLessThan(1e-6);
    });
    // λ_max gives x = 0; the support only grows along this path.
    expect(path.fits[0].x.every((v) => v === 0)).toBe(true);
    expect(path.fits[29].x.filter((v) => v !== 0).length).toBe(A.cols);
  });

  it("warm starts make the path cheaper than cold fits; explicit λ lists are refused when negative", async () => {
    const { A, b } = sparseProblem(2000, 40, 11);
    const path = await nl.lassoPath(A, b, { fitIntercept: false, nLambdas: 20, tol: 1e-8 });
    let cold = 0;
    for (const [k, lambda] of path.lambdas.entries()) {
      const r = await nl.lasso(A, b, { fitIntercept: false, lambda, tol: 1e-8 });
      cold += r.iterations;
      expect(Math.max(...Array.from(r.x, (v, j) => Math.abs(v - path.fits[k].x[j])))).toBeLessThan(1e-4);
    }
    const warm = path.fits.reduce((s, f) => s + f.iterations, 0);
    expect(warm).toBeLessThan(cold);
    await expect(nl.lassoPath(A, b, { fitIntercept: false, lambdas: [0.1, -1] })).rejects.toMatchObject({ code: "invalid-value", argument: "opts.lambdas[1]" });
  });

  it("each λ's launch hands its blocks back: the peak memory does not grow with the number of λ (the Gram path's batch: by its answers), nothing is left after a path or an abort", async () => {
    type Heap = { bytesInUse: number; alloc(bytes: number): number };
    const heap = (nl as unknown as { engine: { heap: Heap } }).engine.heap;
    const alloc = heap.alloc;
    let peak = 0;
    heap.alloc = function (bytes: number) { const p = alloc.call(this, bytes); peak = Math.max(peak, heap.bytesInUse); return p; };
    try {
      const { A, b } = sparseProblem(3000, 30, 12);
      const base = heap.bytesInUse;
      const peakOf = async (nLambdas: number, precompute: boolean) => { peak = 0; await nl.lassoPath(A, b, { fitIntercept: false, nLambdas, threads: 2, precompute }); return peak; };
      expect(await peakOf(40, false)).toBe(await peakOf(2, false));
      // The Gram path fits a batch of λ in one launch: each λ's answer, stats and history (maxIter 1000 sweeps) in memory, nothing more.
      expect(await peakOf(40, true) - await peakOf(2, true)).toBeLessThanOrEqual(38 * 8 * (30 + 4 + 1000) + 6 * 64);
      expect(heap.bytesInUse).toBe(base);
      const c = new AbortController();
      const pending = nl.lasso(A, b, { fitIntercept: false, lambda: 1e-6, tol: 0, maxIter: 2 ** 30, threads: 2, signal: c.signal, onProgress: () => c.abort() });
      await expect(pending).rejects.toMatchObject({ name: "AbortError" });
      expect(heap.bytesInUse).toBe(base);
    } finally {
      heap.alloc = alloc;
    }
  });
});

describe("logisticRegression", () => {
  // iris, versicolor (1) against the rest: not separable, so the fit is finite.
  function iris() {
    const rows = readFileSync(new URL("../data/datasets/iris.csv", import.meta.url), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const p = rows[0].length - 1;
    return { A: new DenseMatrix(rows.length, p, Float64Array.from(rows.flatMap((r) => r.slice(0, p)))), y: Float64Array.from(rows, (r) => (r[p] === 1 ? 1 : -1)) };
  }

  it("reaches scikit-learn's optimum (L2 with lbfgs, L1 with liblinear) on iris", async () => {
    const py = "/usr/bin/python3";
    if (!existsSync(py) && !process.env.CI) return;
    const script = `
import json, numpy as np
from sklearn.linear_model import LogisticRegression
d = np.loadtxt("data/datasets/iris.csv", delimiter=",", skiprows=1)
X = d[:, :-1]; y = np.where(d[:, -1] == 1, 1, -1)
out = {}
for pen, solver in (("l2", "lbfgs"), ("l1", "liblinear")):
    for C in (0.1, 10.0):
        # liblinear at tighter tol only spins (100000 iterations, no gain); 1e-8 is its optimum to 1e-15.
        w = LogisticRegression(penalty=pen, C=C, fit_intercept=False, tol=1e-12 if pen == "l2" else 1e-8, max_iter=100000, solver=solver).fit(X, y).coef_.ravel()
        z = X @ w
        obj = (np.abs(w).sum() if pen == "l1" else 0.5 * w @ w) + C * np.logaddexp(0, -y * z).sum()
        out[f"{pen} {C}"] = {"w": w.tolist(), "obj": float(obj)}
print(json.dumps(out))`;
    const run = spawnSync(py, ["-W", "ignore", "-c", script]);
    if (run.status !== 0) {
      if (process.env.CI) throw new Error(`scikit-learn is required in CI: ${run.stderr}`);
      return;
    }
    const sk = JSON.parse(run.stdout.toString()) as Record<string, { w: number[]; obj: number }>;
    const { A, y } = iris();
    for (const penalty of ["l2", "l1"] as const) {
      for (const C of [0.1, 10]) {
        // L1: 1e-10 of the first violation lies below newGLMNET's line search's rounding level on iris.
        const r = await nl.logisticRegression(A, y, { C, penalty, tol: penalty === "l2" ? 1e-10 : 1e-8, maxIter: 100_000, fitIntercept: false });
        const ref = sk[`${penalty} ${C === 10 ? "10.0" : C}`];
        expect(r.reason, `${penalty} C=${C}`).toBe("converged");
        // Same convex objective: ours may not be worse, and the minimisers agree.
        expect(r.objective).toBeLessThanOrEqual(ref.obj * (1 + 1e-9));
        const scale = Math.max(...ref.w.map(Math.abs));
        for (let j = 0; j < A.cols; j++) expect(Math.abs(r.x[j] - ref.w[j]) / scale, `${penalty} C=${C} w[${j}]`).toBeLessThan(1e-4);
        if (penalty === "l1") expect(Array.from(r.x, (v) => v === 0)).toEqual(ref.w.map((v) => v === 0));
      }
    }
  });

  it("gradient is zero at the L2 optimum (checked plainly); lambda = 1/(n·C); bad labels refused", async () => {
    const { A, y } = iris();
    const C = 1, r = await nl.logisticRegression(A, y, { C, tol: 1e-12, maxIter: 100_000, fitIntercept: false });
    for (let j = 0; j < A.cols; j++) {
      let g = r.x[j];
      for (let i = 0; i < A.rows; i++) {
        let z = 0;
        for (let k = 0; k < A.cols; k++) z += A.get(i, k) * r.x[k];
        g += C * (1 / (1 + Math.exp(-y[i] * z)) - 1) * y[i] * A.get(i, j);
      }
      expect(Math.abs(g)).toBeLessThan(1e-7);
    }
    const viaLambda = await nl.logisticRegression(A, y, { lambda: 1 / (A.rows * C), tol: 1e-12, maxIter: 100_000, fitIntercept: false });
    expect(sameBits(viaLambda.x, r.x)).toBe(true);
    // Labels as Int32Array or number[] (the signature's other types) fit the same.
    const opts = { C, tol: 1e-12, maxIter: 100_000, fitIntercept: false };
    expect(sameBits((await nl.logisticRegression(A, Int32Array.from(y), opts)).x, r.x)).toBe(true);
    expect(sameBits((await nl.logisticRegression(A, Array.from(y), opts)).x, r.x)).toBe(true);
    await expect(nl.logisticRegression(A, Array.from(y, (v, i) => (i === 3 ? "1" : v)) as never)).rejects.toMatchObject({ code: "invalid-type", argument: "y" });
    await expect(nl.logisticRegression(A, Int32Array.from(y).subarray(1))).rejects.toMatchObject({ code: "invalid-shape", argument: "y" });
    await expect(nl.logisticRegression(A, y.map((v) => (v > 0 ? 1 : 0)))).rejects.toMatchObject({ code: "invalid-value", argument: "y" });
    await expect(nl.logisticRegression(A, y, { multiClass: true as never })).rejects.toMatchObject({ code: "invalid-value", argument: "opts.multiClass" });
  });
});

describe("lasso: determinism, progress, abort", () => {
  it("bit-identical for threads 1, 2, 3 and the single build", async () => {
    const { A, b } = sparseProblem(9000, 12, 4);
    const ref = await nl.lasso(A, b, { fitIntercept: false, lambda: 0.02, threads: 1, tol: 1e-10 });
    const nl3 = await init({ threads: 3 });
    const single = await init({ build: "single" });
    try {
      for (const r of [
        await nl.lasso(A, b, { fitIntercept: false, lambda: 0.02, threads: 2, tol: 1e-10 }),
        await nl3.lasso(A, b, { fitIntercept: false, lambda: 0.02, threads: 3, tol: 1e-10 }),
        await single.lasso(A, b, { fitIntercept: false, lambda: 0.02, tol: 1e-10 }),
      ]) {
        expect(r.iterations).toBe(ref.iterations);
        expect(sameBits(r.x, ref.x)).toBe(true);
      }
    } finally {
      await nl3.close();
      await single.close();
    }
  });

  it("reports the gap as progress; an abort rejects with AbortError", async () => {
    const { A, b } = sparseProblem(3000, 60, 5);
    const c = new AbortController();
    const seen: number[] = [];
    // tol = 0 is never met: only the abort (or maxIter) ends this fit.
    const pending = nl.lasso(A, b, { fitIntercept: false, lambda: 1e-6, tol: 0, maxIter: 2 ** 30, signal: c.signal, onProgress: (p) => { seen.push(p.value); c.abort(); } });
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(seen.length).toBeGreaterThan(0);
    expect((await nl.lasso(A, b, { fitIntercept: false, lambda: 0.1 })).reason).toBe("converged");
  });
});

describe("lasso on extreme scales", () => {
  it("A·2^700, b·2^−900 (sums of squares would overflow / underflow: NaN or zero coefficients before) fit as the unscaled problem", async () => {
    // Not bit for bit: the fit runs at max|A|, max|b| ≈ 1, the reference at A's own scale.
    const close = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(y).every((v, i) => Math.abs(x[i] - v) <= 1e-12 * (Math.abs(v) + 1e-300) + 1e-9 * Math.max(...Array.from(y, Math.abs)));
    const { A, b } = sparseProblem(500, 20, 21);
    const tight = { tol: 1e-11, maxIter: 100_000 };
    const ref = await nl.lasso(A, b, { fitIntercept: false, lambda: 0.05, ...tight });
    const path = await nl.lassoPath(A, b, { fitIntercept: false, nLambdas: 5, ...tight });
    for (const [ka, kb] of [[700, 0], [0, -900], [600, 300], [-600, 300]]) {
      const As = new DenseMatrix(A.rows, A.cols, A.data.map((v) => v * 2 ** ka)), bs = b.map((v) => v * 2 ** kb);
      // The same problem in scaled units: x → x·2^(kb−ka), λ → λ·2^(ka+kb), objective → ·2^(2kb).
      const r = await nl.lasso(As, bs, { fitIntercept: false, lambda: 0.05 * 2 ** (ka + kb), ...tight });
      expect(r.reason, `${ka} ${kb}`).toBe(ref.reason);
      expect(close(r.x.map((v) => v * 2 ** ka * 2 ** -kb), ref.x), `${ka} ${kb}`).toBe(true);
      // (The objective scales by 2^(2kb): at kb = −900 it is below float64's range, 0.)
      if (Math.abs(kb) < 500) expect(Math.abs(r.objective * 2 ** -kb * 2 ** -kb / ref.objective - 1)).toBeLessThan(1e-9);
      const p = await nl.lassoPath(As, bs, { fitIntercept: false, nLambdas: 5, ...tight });
      expect(close(p.lambdas.map((l) => l * 2 ** -(ka + kb)), path.lambdas)).toBe(true);
      p.fits.forEach((f, k) => expect(close(f.x.map((v) => v * 2 ** ka * 2 ** -kb), path.fits[k].x), `path ${k}`).toBe(true));
    }
  });
});

describe("abort latency of long calls: median of 5 ≤ 50 ms", () => {
  // 8000×300: a logistic sweep took 0.1–0.5 s and bcd's set-up (G = AᵀA) about as long,
  // and only they checked the abort flag (medians of 0.6–7 s at 20000×400 on a loaded
  // 2-core host). The kernels now check it every coordinate or block step, and threads
  // skip the rest of a long pass once it is set.
  const A = new DenseMatrix(8000, 300, uniform(8000 * 300, 71)), t = uniform(8000, 72);
  // Least squares by CD reaches its fixed point within a few hundred ms on A (then "converged",
  // even at tol 0): strongly correlated columns keep it going for seconds.
  const common = uniform(8000, 73);
  const Acorr = new DenseMatrix(8000, 300, A.data.map((v, k) => common[(k / 300) | 0] + 0.02 * v));
  const labels = Float64Array.from(t, (v) => (v > 0 ? 1 : -1)), classes = Float64Array.from(t, (v) => (v > 0.3 ? 2 : v > -0.3 ? 1 : 0));
  // Labels a plane separates: the logistic optimum lies far out (seconds of steps); on random labels the Newton solvers end in 0.1 s.
  const planted = uniform(300, 74), zp = Float64Array.from({ length: 8000 }, (_, i) => { let s = 0; for (let j = 0; j < 300; j++) s += A.data[i * 300 + j] * planted[j]; return s; });
  const separable = Float64Array.from(zp, (v) => (v > 0 ? 1 : -1)), separableClasses = Float64Array.from(zp, (v) => (v > 1 ? 2 : v > -1 ? 1 : 0));
  const cases: [string, (signal: AbortSignal) => Promise<unknown>][] = [
    ["lasso", (signal) => nl.lasso(A, t, { fitIntercept: false, lambda: 1e-6, tol: 0, maxIter: 2 ** 30, signal })],
    ["lassoPath", (signal) => nl.lassoPath(A, t, { fitIntercept: false, nLambdas: 100, tol: 0, maxIter: 2 ** 30, signal })],
    ["logisticRegression l2", (signal) => nl.logisticRegression(A, separable, { C: 1e4, tol: 0, maxIter: 2 ** 30, signal })],
    ["logisticRegression l1", (signal) => nl.logisticRegression(A, separable, { C: 1e4, penalty: "l1", tol: 0, maxIter: 2 ** 30, signal })],
    ["logisticRegression multinomial", (signal) => nl.logisticRegression(A, separableClasses, { C: 1e4, multiClass: "multinomial", tol: 0, maxIter: 2 ** 30, signal })],
    ["logisticRegression multinomial l1", (signal) => nl.logisticRegression(A, separableClasses, { C: 1e4, multiClass: "multinomial", penalty: "l1", tol: 0, maxIter: 2 ** 30, signal })],
    ["bcd least-squares cyclic", (signal) => nl.bcd({ loss: "least-squares", A: Acorr, b: t }, { rule: "cyclic", tol: 0, maxIter: 2 ** 30, signal })],
    ["bcd least-squares l1 gs", (signal) => nl.bcd({ loss: "least-squares", A: Acorr, b: t, penalty: { l1: 1e-7 } }, { rule: "gs", tol: 0, maxIter: 2 ** 30, signal })],
    ["bcd logistic random line-search", (signal) => nl.bcd({ loss: "logistic", A, y: labels }, { rule: "random", update: "line-search", tol: 0, maxIter: 2 ** 30, signal })],
    ["bcd logistic lipschitz", (signal) => nl.bcd({ loss: "logistic", A, y: labels }, { rule: "lipschitz", tol: 0, maxIter: 2 ** 30, signal })],
    ["bcd logistic gsq newton", (signal) => nl.bcd({ loss: "logistic", A, y: labels }, { rule: "gsq", update: "newton", blockSize: 8, tol: 0, maxIter: 2 ** 30, signal })],
    ["bcd softmax variable gsd newton", (signal) => nl.bcd({ loss: "softmax", A, y: classes, classes: 3 }, { partition: "variable", blockSize: 16, rule: "gsd", update: "newton", tol: 0, maxIter: 2 ** 30, signal })],
  ];
  for (const [name, start] of cases) {
    it(name, async () => {
      const ms: number[] = [];
      // Aborted while the set-up runs (40 ms) and while the iterations run (250 ms).
      for (const after of [40, 250, 40, 250, 250]) ms.push(await abortLatency(start, after));
      expect(median(ms), ms.map((v) => v.toFixed(1)).join(", ")).toBeLessThan(50);
      // The pool is usable afterwards.
      expect((await nl.lasso(A, t, { fitIntercept: false, lambda: 0.1 })).reason).toBe("converged");
    });
  }
});

describe("lasso: bad input", () => {
  const A = DenseMatrix.from([[1, 2], [3, 4], [5, 6]]);
  const b = Float64Array.of(1, 2, 3);
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ["b of the wrong length", () => nl.lasso(A, Float64Array.of(1, 2), { fitIntercept: false, lambda: 1 }), "invalid-shape", "b"],
    ["NaN in b", () => nl.lasso(A, Float64Array.of(1, NaN, 3), { fitIntercept: false, lambda: 1 }), "invalid-value", "b"],
    ["negative λ", () => nl.lasso(A, b, { fitIntercept: false, lambda: -1 }), "invalid-value", "opts.lambda"],
    ["missing λ", () => nl.lasso(A, b, {} as never), "invalid-value", "opts.lambda"],
    ["x0 of the wrong length", () => nl.lasso(A, b, { fitIntercept: false, lambda: 1, x0: new Float64Array(3) }), "invalid-shape", "opts.x0"],
    ["zero maxIter", () => nl.lasso(A, b, { fitIntercept: false, lambda: 1, maxIter: 0 }), "invalid-size", "opts.maxIter"],
    ["Infinity in A", () => nl.lasso(DenseMatrix.from([[1, Infinity], [3, 4], [5, 6]]), b, { fitIntercept: false, lambda: 1 }), "invalid-value", "A"],
  ];
  for (const [what, call, code, argument] of cases) {
    it(`${what} → NumlaneError ${code} on ${argument}`, async () => {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(NumlaneError);
      expect(err).toMatchObject({ code, argument });
    });
  }

  it("inputs are never modified", async () => {
    const { A: M, b: y } = sparseProblem(100, 10, 6);
    const a0 = M.data.slice(), b0 = y.slice(), x0 = uniform(10, 7), x00 = x0.slice();
    await nl.lasso(M, y, { fitIntercept: false, lambda: 0.01, x0 });
    expect(sameBits(M.data, a0) && sameBits(y, b0) && sameBits(x0, x00)).toBe(true);
  });
});
