// nl.bcd: the optimum against scikit-learn (Lasso, ElasticNet, positive
// Lasso, LogisticRegression) across partitions, rules and updates; greedy
// rules against cyclic on a problem with uneven coordinate curvature (the
// paper's setting); bit-identity across thread counts and builds; bad input.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DenseMatrix, init, NumlaneError, type BcdOptions, type Numlane } from "../dist/index.js";
import { rng, sameBits } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

const PY = "/usr/bin/python3";

function csv(name: string): { A: DenseMatrix; t: Float64Array } {
  const rows = readFileSync(new URL(`../data/datasets/${name}.csv`, import.meta.url), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  const p = rows[0].length - 1;
  return { A: new DenseMatrix(rows.length, p, Float64Array.from(rows.flatMap((r) => r.slice(0, p)))), t: Float64Array.from(rows, (r) => r[p]) };
}

/** Runs a scikit-learn script, or returns undefined (skipped) outside CI when it is missing. */
export function python<T>(script: string): T | undefined {
  if (!existsSync(PY) && !process.env.CI) return undefined;
  const run = spawnSync(PY, ["-W", "ignore", "-c", script], { maxBuffer: 1 << 26 });
  if (run.status !== 0) {
    if (process.env.CI) throw new Error(`scikit-learn is required in CI: ${run.stderr}`);
    console.warn(`scikit-learn comparison skipped: ${run.stderr}`);
    return undefined;
  }
  return JSON.parse(run.stdout.toString()) as T;
}

/** Close in the ∞-norm relative to the reference's largest entry. */
function expectClose(x: ArrayLike<number>, ref: ArrayLike<number>, rel: number, what: string): void {
  const scale = Math.max(1e-300, ...Array.from(ref, Math.abs));
  for (let j = 0; j < ref.length; j++) expect(Math.abs(x[j] - ref[j]) / scale, `${what} [${j}]`).toBeLessThan(rel);
}

// A spread of (partition, rule, update) settings; every one must reach the same optimum.
const SETTINGS: BcdOptions[] = [
  { rule: "cyclic", update: "newton" },
  { partition: "order", blockSize: 3, rule: "gsq", update: "newton" },
  { partition: "variable", blockSize: 3, rule: "gsl", update: "line-search" },
  { partition: "sort", blockSize: 2, rule: "random", update: "lipschitz", seed: 3 },
  { partition: "avg", blockSize: 3, rule: "permutation", update: "line-search", seed: 1 },
  { partition: "variable", blockSize: 4, rule: "gsd", update: "newton" },
  { partition: "order", blockSize: 2, rule: "gs", update: "lipschitz" },
  { partition: "sort", blockSize: 5, rule: "lipschitz", update: "newton" },
];
const label = (o: BcdOptions) => `${o.partition ?? "order"}/${o.blockSize ?? 1} ${o.rule} ${o.update}`;

describe("bcd: least squares against scikit-learn on the diabetes data", () => {
  it("Lasso, ElasticNet and positive Lasso optima, for every partition / rule / update tried", async () => {
    const sk = python<Record<string, { w: number[]; obj: number }>>(`
import json, numpy as np
from sklearn.linear_model import Lasso, ElasticNet
d = np.loadtxt("data/datasets/diabetes.csv", delimiter=",", skiprows=1)
X, y = d[:, :-1], d[:, -1]
n = len(y)
def obj(w, l1, l2): return float(((y - X @ w) ** 2).sum() / (2 * n) + l1 * np.abs(w).sum() + 0.5 * l2 * (w @ w))
out = {}
m = Lasso(alpha=0.03, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(X, y); out["lasso"] = {"w": m.coef_.tolist(), "obj": obj(m.coef_, 0.03, 0)}
m = ElasticNet(alpha=0.01, l1_ratio=0.5, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(X, y); out["enet"] = {"w": m.coef_.tolist(), "obj": obj(m.coef_, 0.005, 0.005)}
m = Lasso(alpha=0.03, positive=True, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(X, y); out["positive"] = {"w": m.coef_.tolist(), "obj": obj(m.coef_, 0.03, 0)}
print(json.dumps(out))`);
    if (!sk) return;
    const { A, t: b } = csv("diabetes");
    const cases = [
      ["lasso", { l1: 0.03 }],
      ["enet", { l1: 0.005, l2: 0.005 }],
      ["positive", { l1: 0.03, nonnegative: true }],
    ] as const;
    for (const [name, penalty] of cases) {
      for (const o of SETTINGS) {
        const r = await nl.bcd({ loss: "least-squares", A, b, penalty }, { ...o, tol: 1e-13, maxIter: 5_000_000 });
        const what = `${name} ${label(o)}`;
        expect(r.reason, what).toBe("converged");
        expect(r.objective, what).toBeLessThanOrEqual(sk[name].obj * (1 + 1e-11));
        expect(r.objective, what).toBeGreaterThan(sk[name].obj * (1 - 1e-11));
        expectClose(r.x, sk[name].w, 1e-5, what);
        // The L1 point: the same coefficients are exactly zero.
        expect(Array.from(r.x, (v) => v === 0), what).toEqual(sk[name].w.map((v) => v === 0));
        if (name === "positive") expect(r.x.every((v) => v >= 0)).toBe(true);
      }
    }
  });

  it("with activeSet and Newton steps the same L1 optimum, and the zero coefficients stay exactly zero", async () => {
    const { A, t: b } = csv("diabetes");
    const ref = await nl.lasso(A, b, { lambda: 0.3, tol: 1e-14, maxIter: 1_000_000 });
    const r = await nl.bcd({ loss: "least-squares", A, b, penalty: { l1: 0.3 } }, { partition: "order", blockSize: 5, rule: "gsq", update: "newton", activeSet: true, tol: 1e-13 });
    expect(r.reason).toBe("converged");
    expectClose(r.x, ref.x, 1e-6, "activeSet");
    expect(Array.from(r.x, (v) => v === 0)).toEqual(Array.from(ref.x, (v) => v === 0));
    expect(r.history.length).toBeGreaterThan(0);
  });
});

describe("bcd: logistic loss against scikit-learn on iris (versicolor vs the rest)", () => {
  it("L2 (lbfgs) and L1 (liblinear) optima: objective and coefficients", async () => {
    const sk = python<Record<string, { w: number[]; obj: number }>>(`
import json, numpy as np
from sklearn.linear_model import LogisticRegression
d = np.loadtxt("data/datasets/iris.csv", delimiter=",", skiprows=1)
X = d[:, :-1]; y = np.where(d[:, -1] == 1, 1, -1); n = len(y); C = 2.0
out = {}
for pen, solver in (("l2", "lbfgs"), ("l1", "liblinear")):
    w = LogisticRegression(penalty=pen, C=C, fit_intercept=False, tol=1e-12 if pen == "l2" else 1e-8, max_iter=100000, solver=solver).fit(X, y).coef_.ravel()
    # The same objective in nl.bcd's scaling: mean loss + (1/(nC))·penalty.
    loss = np.logaddexp(0, -y * (X @ w)).mean()
    out[pen] = {"w": w.tolist(), "obj": float(loss + ((np.abs(w).sum() if pen == "l1" else 0.5 * w @ w) / (n * C)))}
print(json.dumps(out))`);
    if (!sk) return;
    const { A, t } = csv("iris");
    const y = t.map((v) => (v === 1 ? 1 : -1));
    const n = A.rows, C = 2;
    const settings: BcdOptions[] = [
      { rule: "cyclic", update: "newton" },
      { partition: "order", blockSize: 2, rule: "gsq", update: "newton" },
      { partition: "variable", blockSize: 2, rule: "gsd", update: "newton" },
      { partition: "sort", blockSize: 2, rule: "permutation", update: "line-search", seed: 7 },
      { rule: "gsl", update: "lipschitz" },
    ];
    for (const pen of ["l2", "l1"] as const) {
      for (const o of settings) {
        const penalty = pen === "l2" ? { l2: 1 / (n * C) } : { l1: 1 / (n * C) };
        const r = await nl.bcd({ loss: "logistic", A, y, penalty }, { ...o, tol: 1e-9, maxIter: 2_000_000 });
        const what = `${pen} ${label(o)}`;
        expect(r.reason, what).toBe("converged");
        expect(r.objective, what).toBeLessThanOrEqual(sk[pen].obj * (1 + 1e-9));
        expectClose(r.x, sk[pen].w, 2e-5, what);
        if (pen === "l1") expect(Array.from(r.x, (v) => v === 0), what).toEqual(sk[pen].w.map((v) => v === 0));
      }
    }
  });
});

/** Least squares whose columns differ in scale by up to e³: coordinate curvatures spread over ~400×. */
function unevenProblem(n: number, p: number, seed: number) {
  const r = rng(seed), a = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const scale = Math.exp(3 * r());
    for (let i = 0; i < n; i++) a[i * p + j] = scale * (2 * r() - 1);
  }
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0.05 * (r() - 0.5);
    for (let j = 0; j < p; j += 10) s += a[i * p + j];
    b[i] = s;
  }
  return { A: new DenseMatrix(n, p, a), b };
}

/** Largest |min-norm subgradient| of ½/n‖Ax − b‖² + l1‖x‖₁, plainly. */
function lassoViolation(A: DenseMatrix, b: Float64Array, x: Float64Array, l1: number): number {
  const { rows: n, cols: p } = A, r = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = -b[i]; for (let j = 0; j < p; j++) s += A.get(i, j) * x[j]; r[i] = s; }
  let worst = 0;
  for (let j = 0; j < p; j++) {
    let g = 0;
    for (let i = 0; i < n; i++) g += A.get(i, j) * r[i];
    g /= n;
    worst = Math.max(worst, x[j] > 0 ? Math.abs(g + l1) : x[j] < 0 ? Math.abs(g - l1) : Math.max(Math.abs(g) - l1, 0));
  }
  return worst;
}

describe("bcd: greedy rules against cyclic (uneven curvature, L1)", () => {
  it("GS, GSL, GSD, GSQ and variable blocks need fewer iterations than cyclic to the same optimum", async () => {
    const { A, b } = unevenProblem(400, 100, 5);
    const l1 = 0.1, penalty = { l1 };
    const counts: Record<string, number> = {};
    let best = Infinity;
    const fits: { key: string; x: Float64Array; objective: number }[] = [];
    const run = async (key: string, o: BcdOptions) => {
      const r = await nl.bcd({ loss: "least-squares", A, b, penalty }, { ...o, tol: 1e-10, maxIter: 5_000_000, threads: 1 });
      expect(r.reason, key).toBe("converged");
      counts[key] = r.iterations;
      best = Math.min(best, r.objective);
      fits.push({ key, x: r.x, objective: r.objective });
    };
    for (const rule of ["cyclic", "random", "gs", "gsl", "gsd", "gsq"] as const) {
      await run(`coordinate ${rule}`, { rule, update: "newton", seed: 2 });
      await run(`order/5 newton ${rule}`, { partition: "order", blockSize: 5, rule, update: "newton", seed: 2 });
    }
    for (const rule of ["gs", "gsl", "gsd"] as const) await run(`variable/5 newton ${rule}`, { partition: "variable", blockSize: 5, rule, update: "newton" });
    console.log("bcd iterations to tol 1e-10 (least squares, 400×100, uneven scales, l1 = 0.1):", JSON.stringify(counts));
    // All reach the optimum (checked plainly: the KKT conditions), to the same objective.
    for (const f of fits) {
      expect(f.objective - best, f.key).toBeLessThan(1e-10 * best);
      expect(lassoViolation(A, b, f.x, l1), f.key).toBeLessThan(1e-7);
    }
    // The paper's ordering: greedy beats cyclic and random; the Lipschitz-aware rules beat plain GS.
    for (const rule of ["gs", "gsl", "gsd", "gsq"]) {
      expect(counts[`coordinate ${rule}`]).toBeLessThan(counts["coordinate cyclic"]);
      expect(counts[`order/5 newton ${rule}`]).toBeLessThan(counts["order/5 newton cyclic"]);
    }
    expect(counts["coordinate gsl"]).toBeLessThan(counts["coordinate gs"]);
    expect(counts["order/5 newton gsq"]).toBeLessThan(counts["order/5 newton gs"]);
    expect(counts["variable/5 newton gsl"]).toBeLessThan(counts["order/5 newton gsq"]);
  });
});

describe("bcd: determinism", () => {
  it("the same bits on 1 and 2 threads and the single build (greedy scans, seeded random rules, row-split losses)", async () => {
    const r = rng(11), n = 5000, p = 12;
    const a = Float64Array.from({ length: n * p }, () => 2 * r() - 1);
    const y = Float64Array.from({ length: n }, (_, i) => (a[i * p] + 0.5 * a[i * p + 1] + 0.3 * (r() - 0.5) > 0 ? 1 : -1));
    const A = new DenseMatrix(n, p, a);
    const b = Float64Array.from({ length: n }, (_, i) => a[i * p] - 2 * a[i * p + 3] + 0.1 * r());
    const problems = [
      [{ loss: "logistic", A, y, penalty: { l1: 1e-3 } }, { partition: "variable", blockSize: 3, rule: "gsl", update: "newton" }],
      [{ loss: "logistic", A, y, penalty: { l2: 1e-2 } }, { partition: "avg", blockSize: 4, rule: "random", update: "line-search", seed: 9 }],
      [{ loss: "least-squares", A, b, penalty: { l1: 1e-3, l2: 1e-3 } }, { partition: "order", blockSize: 4, rule: "gsq", update: "lipschitz" }],
    ] as const;
    const single = await init({ build: "single" });
    try {
      for (const [problem, o] of problems) {
        const opts = { ...o, tol: 1e-8, maxIter: 20_000 } as BcdOptions;
        const one = await nl.bcd(problem, { ...opts, threads: 1 });
        const two = await nl.bcd(problem, { ...opts, threads: 2 });
        const s = await single.bcd(problem, opts);
        for (const other of [two, s]) {
          expect(other.iterations).toBe(one.iterations);
          expect(sameBits(other.x, one.x)).toBe(true);
          expect(sameBits([other.objective], [one.objective])).toBe(true);
        }
        // A different seed is a different (still convergent) run.
        if (o.rule === "random") expect(sameBits((await nl.bcd(problem, { ...opts, seed: 10 })).x, one.x)).toBe(false);
      }
    } finally {
      await single.close();
    }
  });
});

describe("bcd: progress, abort, inputs", () => {
  it("reports progress; an abort rejects with AbortError; inputs are not modified", async () => {
    const { A, b } = unevenProblem(300, 40, 3);
    const c = new AbortController();
    const seen: number[] = [];
    const pending = nl.bcd({ loss: "least-squares", A, b }, { rule: "cyclic", update: "lipschitz", partition: "order", blockSize: 8, tol: 0, maxIter: 2 ** 30, signal: c.signal, onProgress: (p) => { seen.push(p.value); c.abort(); } });
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(seen.length).toBeGreaterThan(0);
    const a0 = A.data.slice(), b0 = b.slice(), x0 = Float64Array.from({ length: 40 }, (_, i) => i / 40), x00 = x0.slice();
    const r = await nl.bcd({ loss: "least-squares", A, b, penalty: { l1: 0.01 } }, { x0, rule: "gs" });
    expect(r.converged).toBe(true);
    expect(sameBits(A.data, a0) && sameBits(b, b0) && sameBits(x0, x00)).toBe(true);
  });

  const A = DenseMatrix.from([[1, 2], [3, 4], [5, 6]]);
  const b = Float64Array.of(1, 2, 3), y = Float64Array.of(1, -1, 1);
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ["variable blocks with cyclic", () => nl.bcd({ loss: "least-squares", A, b }, { partition: "variable", rule: "cyclic" }), "unsupported", "opts.rule"],
    ["variable blocks with gsq", () => nl.bcd({ loss: "least-squares", A, b }, { partition: "variable", rule: "gsq" }), "unsupported", "opts.rule"],
    ["activeSet without l1", () => nl.bcd({ loss: "least-squares", A, b }, { activeSet: true }), "unsupported", "opts.activeSet"],
    ["message passing on least squares", () => nl.bcd({ loss: "least-squares", A, b }, { update: "message-passing" }), "unsupported", "opts.update"],
    ["red-black on least squares", () => nl.bcd({ loss: "least-squares", A, b }, { partition: "red-black" }), "unsupported", "opts.partition"],
    ["an unknown rule", () => nl.bcd({ loss: "least-squares", A, b }, { rule: "steepest" as never }), "invalid-value", "opts.rule"],
    ["an unknown loss", () => nl.bcd({ loss: "hinge" as never, A, b } as never), "invalid-value", "problem.loss"],
    ["an unknown option", () => nl.bcd({ loss: "least-squares", A, b }, { blocksize: 2 } as never), "invalid-value", "opts.blocksize"],
    ["an unknown penalty", () => nl.bcd({ loss: "least-squares", A, b, penalty: { l0: 1 } as never }), "invalid-value", "problem.penalty.l0"],
    ["negative l1", () => nl.bcd({ loss: "least-squares", A, b, penalty: { l1: -1 } }), "invalid-value", "problem.penalty.l1"],
    ["blockSize 0", () => nl.bcd({ loss: "least-squares", A, b }, { blockSize: 0 }), "invalid-size", "opts.blockSize"],
    ["blockSize above the coordinates", () => nl.bcd({ loss: "least-squares", A, b }, { blockSize: 3 }), "invalid-size", "opts.blockSize"],
    ["b of the wrong length", () => nl.bcd({ loss: "least-squares", A, b: Float64Array.of(1) }), "invalid-shape", "problem.b"],
    ["labels not ±1", () => nl.bcd({ loss: "logistic", A, y: Float64Array.of(1, 0, 1) }), "invalid-value", "problem.y"],
    ["negative x0 with nonnegative", () => nl.bcd({ loss: "logistic", A, y, penalty: { nonnegative: true } }, { x0: Float64Array.of(-1, 0) }), "invalid-value", "opts.x0"],
    ["NaN in A", () => nl.bcd({ loss: "logistic", A: DenseMatrix.from([[1, NaN], [3, 4], [5, 6]]), y }), "invalid-value", "problem.A"],
  ];
  for (const [what, call, code, argument] of cases) {
    it(`${what} → NumlaneError ${code} on ${argument}`, async () => {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(NumlaneError);
      expect(err).toMatchObject({ code, argument });
    });
  }
});

/** ∇ of mean softmax cross-entropy + ½·l2·‖W‖² at W (x[k·p + j]), plainly. */
function softmaxGradient(A: DenseMatrix, y: ArrayLike<number>, K: number, x: Float64Array, l2: number): Float64Array {
  const { rows: n, cols: p } = A, g = new Float64Array(p * K);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: K }, (_, k) => { let s = 0; for (let j = 0; j < p; j++) s += A.get(i, j) * x[k * p + j]; return s; });
    const top = Math.max(...z), e = z.map((v) => Math.exp(v - top)), sum = e.reduce((a, b) => a + b, 0);
    for (let k = 0; k < K; k++) {
      const r = e[k] / sum - (y[i] === k ? 1 : 0);
      for (let j = 0; j < p; j++) g[k * p + j] += (r * A.get(i, j)) / n;
    }
  }
  return g.map((v, c) => v + l2 * x[c]);
}

describe("bcd: softmax loss / multinomial logistic regression against scikit-learn (lbfgs)", () => {
  it("iris (C = 1) and digits (C = 0.001): objective, coefficients and a zero gradient", async () => {
    const sk = python<Record<string, { W: number[]; obj: number; iters: number }>>(`
import json, numpy as np
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression
out = {}
for name, C in (("iris", 1.0), ("digits", 0.001)):
    d = np.loadtxt(f"data/datasets/{name}.csv", delimiter=",", skiprows=1)
    X, y = d[:, :-1], d[:, -1].astype(int); n = len(y)
    m = LogisticRegression(C=C, fit_intercept=False, tol=1e-12, max_iter=100000, multi_class="multinomial", solver="lbfgs").fit(X, y)
    W = m.coef_; z = X @ W.T
    # sklearn's objective: ½‖W‖² + C·Σ loss.
    obj = 0.5 * (W * W).sum() + C * (logsumexp(z, axis=1) - z[np.arange(n), y]).sum()
    out[name] = {"W": W.ravel().tolist(), "obj": float(obj), "iters": int(m.n_iter_[0])}
print(json.dumps(out))`);
    if (!sk) return;
    for (const [name, C, tol] of [["iris", 1, 1e-9], ["digits", 0.001, 1e-7]] as const) {
      const { A, t } = csv(name);
      const K = Math.max(...t) + 1;
      const r = await nl.logisticRegression(A, t, { multiClass: "multinomial", C, tol, maxIter: 1_000_000, fitIntercept: false });
      expect(r.reason, name).toBe("converged");
      expect(r.x.length).toBe(A.cols * K);
      // Same convex objective (strictly convex: a unique minimiser): ours is not worse, and the coefficients agree.
      expect(r.objective, name).toBeLessThanOrEqual(sk[name].obj * (1 + 1e-9));
      expect(r.objective, name).toBeGreaterThan(sk[name].obj * (1 - 1e-8));  // lbfgs stops a little short of the optimum
      expectClose(r.x, sk[name].W, 1e-4, `${name} W`);
      const g = softmaxGradient(A, t, K, r.x, 1 / (A.rows * C));
      expect(Math.max(...Array.from(g, Math.abs)), `${name} gradient`).toBeLessThan(1e-6);
      console.log(`multinomial ${name}: ${r.iterations} iterations (trust-region Newton); scikit-learn lbfgs ${sk[name].iters} iterations`);
    }
  });

  it("nl.bcd's softmax loss with other settings reaches the same optimum; bad labels and options are refused", async () => {
    const { A, t } = csv("iris");
    const n = A.rows, l2 = 1 / n;
    const ref = await nl.bcd({ loss: "softmax", A, y: t, classes: 3, penalty: { l2 } }, { partition: "variable", blockSize: 12, rule: "gsd", update: "newton", tol: 1e-10 });
    for (const o of [
      { partition: "order", blockSize: 4, rule: "gsq", update: "newton" },
      { partition: "sort", blockSize: 3, rule: "cyclic", update: "line-search" },
    ] as BcdOptions[]) {
      const r = await nl.bcd({ loss: "softmax", A, y: Int32Array.from(t), classes: 3, penalty: { l2 } }, { ...o, tol: 1e-9, maxIter: 1_000_000 });
      expect(r.reason, label(o)).toBe("converged");
      expectClose(r.x, ref.x, 1e-5, label(o));
    }
    // L1: the coefficients that are zero satisfy |∇| ≤ l1, the rest ∇ = −l1·sign.
    const l1 = 0.02;
    const s = await nl.bcd({ loss: "softmax", A, y: t, classes: 3, penalty: { l1 } }, { partition: "variable", blockSize: 6, rule: "gsl", update: "newton", tol: 1e-10, maxIter: 1_000_000 });
    const g = softmaxGradient(A, t, 3, s.x, 0);
    expect(s.x.some((v) => v === 0)).toBe(true);
    s.x.forEach((v, c) => {
      if (v === 0) expect(Math.abs(g[c])).toBeLessThanOrEqual(l1 * (1 + 1e-6));
      else expect(Math.abs(g[c] + l1 * Math.sign(v))).toBeLessThan(1e-7);
    });
    await expect(nl.bcd({ loss: "softmax", A, y: t, classes: 2 })).rejects.toMatchObject({ code: "invalid-value", argument: "problem.y" });
    await expect(nl.bcd({ loss: "softmax", A, y: t, classes: 1 })).rejects.toMatchObject({ code: "invalid-size", argument: "problem.classes" });
    await expect(nl.logisticRegression(A, t, { multiClass: "ovr" as never })).rejects.toMatchObject({ code: "invalid-value", argument: "opts.multiClass" });
    await expect(nl.logisticRegression(A, t, { multiClass: "multinomial", fitIntercept: false, bcd: { rule: "cyclic", partition: "variable" } })).rejects.toMatchObject({ code: "unsupported" });
  });
});
