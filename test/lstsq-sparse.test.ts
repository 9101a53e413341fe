// nl.lstsq on a CsrMatrix without making it dense, and the methods "lsqr" and
// "lsmr": against scipy.sparse.linalg.lsqr / lsmr (same stopping tests, so the
// same iterations and x) and numpy.linalg.lstsq, on well- and ill-conditioned
// sparse and dense problems; the diagnostics every result carries (normal-
// equation residual, condition estimate against numpy.linalg.cond); the CSR
// sketch equal to the dense one; size checks before any allocation; the ℓ∞
// guarantee of dense sketches (opts.guarantee) against NumPy's x*.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { python, sameBits } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

// Each case: a random sparse A (density, columns scaled by cond^(−j/(n−1))),
// b; SciPy's lsqr and lsmr (with the case's damp), NumPy's lstsq and cond.
const PY = `
import json, sys, numpy as np, scipy.sparse as sp
from scipy.sparse.linalg import lsqr, lsmr
out = []
for c in json.load(sys.stdin):
    rng = np.random.default_rng(c["seed"]); m, n = c["m"], c["n"]
    A = sp.random(m, n, density=c["density"], format="csr", random_state=rng, data_rvs=rng.standard_normal)
    A = sp.csr_matrix(A @ sp.diags(c["cond"] ** (-np.arange(n) / max(1, n - 1))))
    A.sort_indices()
    b = rng.standard_normal(m)
    if c.get("consistent"): b = A @ rng.standard_normal(n)
    kw = dict(damp=c.get("damp", 0.0), atol=c.get("atol", 1e-6), btol=c.get("btol", 1e-6))
    r1 = lsqr(A, b, **kw); r2 = lsmr(A, b, **kw)
    D = A.toarray()
    x = np.linalg.lstsq(D, b, rcond=None)[0]
    out.append({"indptr": A.indptr.tolist(), "indices": A.indices.tolist(), "data": A.data.tolist(), "b": b.tolist(),
                "lsqr": {"x": r1[0].tolist(), "istop": int(r1[1]), "itn": int(r1[2])},
                "lsmr": {"x": r2[0].tolist(), "istop": int(r2[1]), "itn": int(r2[2])},
                "x": x.tolist(), "cond": float(np.linalg.cond(D))})
print(json.dumps(out))
`;

const CASES = [
  { seed: 1, m: 3000, n: 40, density: 0.05, cond: 3 },
  { seed: 2, m: 2000, n: 60, density: 0.1, cond: 1e4 },
  { seed: 3, m: 800, n: 30, density: 0.2, cond: 10, damp: 0.5 },
  { seed: 4, m: 1500, n: 50, density: 0.1, cond: 10, consistent: true, atol: 1e-10, btol: 1e-10 },
  // Wide: lsqr and lsmr give the minimum-norm x.
  { seed: 5, m: 30, n: 90, density: 0.3, cond: 5, atol: 1e-10, btol: 1e-10 },
];
type Case = (typeof CASES)[number];
type Ref = { indptr: number[]; indices: number[]; data: number[]; b: number[]; lsqr: { x: number[]; istop: number; itn: number }; lsmr: { x: number[]; istop: number; itn: number }; x: number[]; cond: number };

let refs: Ref[] | undefined;
const csr = (c: Case, r: Ref) => new CsrMatrix(c.m, c.n, Int32Array.from(r.indptr), Int32Array.from(r.indices), Float64Array.from(r.data));
const relErr = (x: ArrayLike<number>, ref: ArrayLike<number>) => {
  let e = 0, s = 0;
  for (let i = 0; i < ref.length; i++) { e += (x[i] - ref[i]) ** 2; s += ref[i] ** 2; }
  return Math.sqrt(e / s);
};
/** ‖r‖, Aᵀr and ‖Aᵀr‖/(‖A‖_F‖r‖) in plain float64, r = b − A·x. */
function normalResidual(A: CsrMatrix, b: ArrayLike<number>, x: ArrayLike<number>) {
  const r = Float64Array.from(b), g = new Float64Array(A.cols);
  let fro = 0;
  for (let i = 0; i < A.rows; i++) for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) { r[i] -= A.data[k] * x[A.indices[k]]; fro += A.data[k] ** 2; }
  for (let i = 0; i < A.rows; i++) for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) g[A.indices[k]] += A.data[k] * r[i];
  const rn = Math.hypot(...r);
  return { rnorm: rn, normal: Math.hypot(...g) / (Math.sqrt(fro) * rn), atr: g };
}

describe("lstsq: lsqr and lsmr against SciPy", () => {
  beforeAll(() => { refs = python(PY, CASES); });

  it("the same stop, iterations and x as scipy.sparse.linalg.lsqr / lsmr, CSR and dense", async () => {
    if (!refs) return;
    for (const [k, c] of CASES.entries()) {
      const A = csr(c, refs[k]), b = Float64Array.from(refs[k].b);
      const o = { ...(c.damp ? { damp: c.damp } : {}), ...(c.atol ? { atol: c.atol, btol: c.btol } : {}) };
      for (const method of ["lsqr", "lsmr"] as const) {
        const ref = refs[k][method];
        for (const M of [A, A.toDense()]) {
          const r = await nl.lstsq(M, b, { method, ...o });
          const label = `case ${k} ${method} ${M instanceof CsrMatrix ? "csr" : "dense"}`;
          expect(r.method, label).toBe(method);
          expect(r.stop, label).toBe(ref.istop);
          if (c.cond <= 100) {
            // Same recurrences: the iterates agree far below the tolerance they stop at.
            expect(Math.abs(r.iterations - ref.itn), label).toBeLessThanOrEqual(1);
            // (Damped: 26 steps from SciPy's x by 5e-8, both 1.7e-4 from the exact damped solution.)
            expect(relErr(r.x, ref.x), label).toBeLessThan(c.damp ? 1e-6 : 1e-9);
          } else {
            // Ill-conditioned: rounding steers the two runs apart (Lanczos vectors lose
            // orthogonality); they stop alike and are as far from NumPy's x.
            expect(Math.abs(r.iterations - ref.itn), label).toBeLessThanOrEqual(0.1 * ref.itn);
            expect(relErr(r.x, refs[k].x), label).toBeLessThan(1.5 * relErr(ref.x, refs[k].x));
          }
          const q = normalResidual(A, b, r.x);
          // converged is SciPy's test recomputed at x, on [A; damp·I]·x ≈ [b; 0]: the
          // recurrences' ‖Aᵀr‖ can sit below the true one (ill-conditioned, damped cases here).
          const d2 = (c.damp ?? 0) ** 2, atol = c.atol ?? 1e-6, btol = c.btol ?? 1e-6;
          const xn = Math.hypot(...r.x), rd = Math.hypot(q.rnorm, Math.sqrt(d2) * xn), ad = Math.sqrt(Math.hypot(...A.data) ** 2 + c.n * d2);
          const g = q.atr.map((v, j) => v - d2 * r.x[j]);
          const holds = Math.hypot(...g) <= atol * ad * rd || rd <= btol * Math.hypot(...b) + atol * ad * xn;
          expect(r.converged, label).toBe(holds);
          // (SciPy's x fails it too where ours does: its recurrences' ‖r‖ can sit below the true one.)
          if (k === 0) expect(r.converged, label).toBe(true);
          expect(r.reason, label).toBe(r.converged ? "converged" : ref.istop === 7 ? "max-iterations" : "stagnated");
          // (A consistent system's r is cancellation: its sums differ in the order of their terms.)
          expect(Math.abs(r.residualNorm - q.rnorm), label).toBeLessThan(1e-10 * q.rnorm + 1e-14 * Math.hypot(...b));
          if (!c.damp && !c.consistent) expect(Math.abs(r.normalResidual - q.normal), label).toBeLessThan(1e-3 * q.normal + 1e-15);
        }
      }
    }
  });

  it("maxIter: max-iterations, not converged; a tighter atol runs longer and lands nearer NumPy's x", async () => {
    if (!refs) return;
    const c = CASES[1], A = csr(c, refs[1]), b = Float64Array.from(refs[1].b);
    const seen: number[] = [];
    const short = await nl.lstsq(A, b, { method: "lsqr", maxIter: 3, onProgress: (p) => seen.push(p.iteration) });
    expect(seen).toEqual([1, 2, 3]);
    expect(short.reason).toBe("max-iterations");
    expect(short.stop).toBe(7);
    expect(short.converged).toBe(false);
    const loose = await nl.lstsq(A, b, { method: "lsmr" });
    const tight = await nl.lstsq(A, b, { method: "lsmr", atol: 1e-12, btol: 1e-12, conlim: 0, maxIter: 5000 });
    expect(tight.iterations).toBeGreaterThan(loose.iterations);
    expect(relErr(tight.x, refs[1].x)).toBeLessThan(1e-6);
    expect(relErr(tight.x, refs[1].x)).toBeLessThan(relErr(loose.x, refs[1].x) / 100);
  });
});

describe("lstsq on a CsrMatrix: sketched, never dense", () => {
  it("sketch-and-precondition matches numpy.linalg.lstsq; its condition estimate is within 10 % of numpy.linalg.cond", async () => {
    if (!refs) return;
    for (const k of [0, 1, 3]) {
      const c = CASES[k], A = csr(c, refs[k]), b = Float64Array.from(refs[k].b);
      for (const sketch of ["sparse-sign", "countsketch", "srht"] as const) {
        const r = await nl.lstsq(A, b, { method: "sketch-and-precondition", sketch });
        expect(r.reason, `case ${k} ${sketch}`).toBe("converged");
        expect(r.converged).toBe(true);
        expect(relErr(r.x, refs[k].x), `case ${k} ${sketch}`).toBeLessThan(1e-12 * c.cond * 100);
        expect(r.iterations).toBeLessThan(80);
        expect(r.sketchSize).toBe(4 * c.n);
        // From below, within 2× (the sketch's R alone is off by up to ~3× either way).
        expect(r.conditionEstimate / refs[k].cond, `case ${k} ${sketch}`).toBeGreaterThan(0.7);
        expect(r.conditionEstimate / refs[k].cond, `case ${k} ${sketch}`).toBeLessThan(1 + 1e-9);
        expect(r.times.sketch).toBeGreaterThan(0);
        const q = normalResidual(A, b, r.x);
        // Consistent: r is rounding, and so is the angle of Aᵀr.
        if (c.consistent) expect(r.relativeResidual).toBeLessThan(1e-11);
        else {
          expect(r.normalResidual).toBeLessThan(1e-11);
          expect(Math.abs(r.normalResidual - q.normal)).toBeLessThan(1e-13);
        }
      }
    }
  });

  it("the CSR sketch is the dense one: sketch-and-solve gives the same bits from A and from A made dense", async () => {
    if (!refs) return;
    const c = CASES[1], A = csr(c, refs[1]), b = Float64Array.from(refs[1].b);
    for (const sketch of ["sparse-sign", "countsketch", "srht"] as const) {
      const s = await nl.lstsq(A, b, { method: "sketch-and-solve", sketch, seed: 5 });
      const d = await nl.lstsq(A.toDense(), b, { method: "sketch-and-solve", sketch, seed: 5 });
      expect(sameBits(s.x, d.x), sketch).toBe(true);
      expect(s.residualNorm).toBeLessThan(1.5 * normalResidual(A, b, refs[1].x).rnorm);
    }
  });

  it("nl.sketch of a CsrMatrix: the same bits as of it made dense (sparse-sign, countsketch, srht), on 1 and 2 threads", async () => {
    // Column 7 is empty: SRHT sums only D's signed zeros there, as the dense kernel does.
    const A = CsrMatrix.fromCoo(500, 8, Array.from({ length: 900 }, (_, k) => (k * 37) % 500), Array.from({ length: 900 }, (_, k) => (k * 11) % 7), Array.from({ length: 900 }, (_, k) => Math.sin(k)));
    for (const kind of ["sparse-sign", "countsketch", "srht"] as const) {
      const d = await nl.sketch(A.toDense(), { kind, size: 40, seed: 9 });
      for (const threads of [1, 2]) {
        const s = await nl.sketch(A, { kind, size: 40, seed: 9, threads });
        expect(sameBits(s.data, d.data), `${kind} ${threads}t`).toBe(true);
      }
    }
  });

  it("the same bits on 1 and 2 threads", async () => {
    if (!refs) return;
    const c = CASES[0], A = csr(c, refs[0]), b = Float64Array.from(refs[0].b);
    for (const method of ["lsqr", "lsmr", "sketch-and-precondition"] as const) {
      const one = await nl.lstsq(A, b, { method, threads: 1 }), two = await nl.lstsq(A, b, { method, threads: 2 });
      expect(sameBits(one.x, two.x), method).toBe(true);
    }
  });

  it("a dense A's sketched condition estimate: within 2× of numpy.linalg.cond, also near 1 (where the sketch's R said 2.78 for 1.03)", async () => {
    // A with orthonormal columns times diag(1, …, c): cond(A) = c exactly.
    const ref = python(`
import json, sys, numpy as np
out = []
for m, n, c in json.load(sys.stdin):
    rng = np.random.default_rng(n)
    Q, _ = np.linalg.qr(rng.standard_normal((m, n)))
    A = Q * np.linspace(1, c, n)
    out.append({"A": A.ravel().tolist(), "b": rng.standard_normal(m).tolist(), "cond": float(np.linalg.cond(A))})
print(json.dumps(out))`, [[4000, 40, 1.03], [3000, 30, 1e5]]);
    if (!ref) return;
    for (const [k, [m, n]] of [[4000, 40], [3000, 30]].entries()) {
      const D = new DenseMatrix(m, n, Float64Array.from(ref[k].A)), b = Float64Array.from(ref[k].b);
      for (const method of ["sketch-and-solve", "sketch-and-precondition", "iterative-sketching"] as const) {
        const r = await nl.lstsq(D, b, { method });
        expect(r.conditionEstimate / ref[k].cond, `${method} cond ${ref[k].cond}`).toBeGreaterThan(k === 0 ? 0.95 : 0.5);
        expect(r.conditionEstimate / ref[k].cond, `${method} cond ${ref[k].cond}`).toBeLessThan(1 + 1e-9);
      }
      const csrA = CsrMatrix.fromCoo(m, n, Array.from({ length: m * n }, (_, i) => Math.floor(i / n)), Array.from({ length: m * n }, (_, i) => i % n), D.data);
      const s = await nl.lstsq(csrA, b, { method: "sketch-and-precondition" });
      expect(s.conditionEstimate / ref[k].cond).toBeGreaterThan(k === 0 ? 0.95 : 0.5);
    }
  });
});

describe("lstsq: sizes and options", () => {
  it("a 1 × (2³¹ − 1) CsrMatrix is refused at once, before any allocation", async () => {
    const A = new CsrMatrix(1, 2 ** 31 - 1, new Int32Array([0, 1]), new Int32Array([5]), new Float64Array([1]));
    const lsqrError = await nl.lstsq(A, new Float64Array(1), { method: "lsqr" }).then(() => undefined, (e) => e);
    expect(lsqrError).toBeInstanceOf(NumlaneError);
    expect(lsqrError.code).toBe("out-of-memory");
    const autoError = await nl.lstsq(A, new Float64Array(1)).then(() => undefined, (e) => e);
    expect(autoError).toBeInstanceOf(NumlaneError);
    expect(autoError.code).toBe("out-of-memory");
    const qrError = await nl.lstsq(A, new Float64Array(1), { method: "qr" }).then(() => undefined, (e) => e);
    expect(qrError.code).toBe("invalid-shape");
  });

  it("options for other methods, bad values and unsupported sketches of a CsrMatrix are NumlaneErrors", async () => {
    const A = CsrMatrix.fromCoo(4, 2, [0, 1, 2, 3], [0, 1, 0, 1], [1, 2, 3, 4]);
    const b = new Float64Array([1, 2, 3, 4]);
    const bad: [object, string][] = [
      [{ method: "qr", atol: 1e-3 }, "opts.atol"],
      [{ method: "lsqr", rtol: 1e-3 }, "opts.rtol"],
      [{ method: "lsmr", sketch: "countsketch" }, "opts.sketch"],
      [{ method: "lsqr", damp: -1 }, "opts.damp"],
      [{ method: "lsmr", conlim: NaN }, "opts.conlim"],
      [{ method: "sketch-and-precondition", sketch: "gaussian", sketchSize: 4 }, "opts.sketch"],
      [{ method: "cgls" }, "opts.method"],
    ];
    for (const [opts, arg] of bad) {
      const e = await nl.lstsq(A, b, opts as never).then(() => undefined, (err) => err);
      expect(e, arg).toBeInstanceOf(NumlaneError);
      expect(e.argument, JSON.stringify(opts)).toBe(arg);
    }
    const before = Float64Array.from(A.data);
    await nl.lstsq(A, b, { method: "lsqr" });
    expect(sameBits(A.data, before)).toBe(true);
    const D = new DenseMatrix(4, 2, new Float64Array([1, 0, 0, 2, 3, 0, 0, 4]));
    const r = await nl.lstsq(D, b, { method: "lsmr", atol: 1e-12, btol: 1e-12 });
    expect(r.x[0]).toBeCloseTo(1, 10);
    expect(r.x[1]).toBeCloseTo(1, 10);
  });
});

// The ℓ∞ guarantee: a Gaussian or coherent design (a few rows carry most of the leverage), numpy.linalg.lstsq's x*, ‖A⁺‖.
const PY_LINF = `
import json, sys, numpy as np
out = []
for c in json.load(sys.stdin):
    rng = np.random.default_rng(c["seed"]); m, n = c["m"], c["n"]
    A = rng.standard_normal((m, n))
    if c["coherent"]:
        A[n:] *= 1e-2
        A[:n] = 10 * np.eye(n)
    x0 = 10 * rng.standard_normal(n)
    b = A @ x0 + rng.standard_normal(m)
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    out.append({"A": A.ravel().tolist(), "b": b.tolist(), "x": x.tolist(), "pinv": float(1 / np.linalg.svd(A, compute_uv=False)[-1])})
print(json.dumps(out))
`;

describe("lstsq: the ℓ∞ guarantee of dense sketches", () => {
  it("sizes the sketch by the bound and keeps every entry of x within the bound it reports", async () => {
    const cases = [
      { seed: 1, m: 20000, n: 4, coherent: false },
      { seed: 2, m: 20000, n: 4, coherent: true },
    ];
    const ref = python(PY_LINF, cases);
    if (!ref) return;
    const [epsilon, delta] = [1, 0.1];
    for (const [k, c] of cases.entries()) {
      const A = new DenseMatrix(c.m, c.n, Float64Array.from(ref[k].A)), b = Float64Array.from(ref[k].b);
      for (const sketch of [undefined, "srht"] as const) {
        const r = await nl.lstsq(A, b, { guarantee: { norm: "inf", epsilon, delta }, ...(sketch ? { sketch } : {}) });
        const label = `${c.coherent ? "coherent" : "gaussian"} ${sketch ?? "gaussian sketch"}`;
        expect(r.method, label).toBe("sketch-and-solve");
        expect(r.sketchSize, label).toBe(Math.ceil(c.n * Math.log(c.m / delta) ** 3 / epsilon ** 2));
        const g = r.guarantee!;
        expect(g.norm).toBe("inf");
        // ‖A⁺‖ from the refined σ_min: from below, within 2×.
        expect(g.pinvNormEstimate / ref[k].pinv, label).toBeGreaterThan(0.5);
        expect(g.pinvNormEstimate / ref[k].pinv, label).toBeLessThan(1 + 1e-9);
        const err = Math.max(...Array.from(r.x, (v, i) => Math.abs(v - ref[k].x[i])));
        expect(err, label).toBeGreaterThan(0);
        expect(err, label).toBeLessThanOrEqual(g.bound);
        // Not vacuous on the Gaussian design: a small fraction of x*'s entries.
        if (!c.coherent) expect(g.bound, label).toBeLessThan(0.2 * Math.max(...ref[k].x.map(Math.abs)));
      }
      // The same design as a CsrMatrix: SRHT applied to its nonzeros, the same sketch size and the same guarantee.
      const r = await nl.lstsq(CsrMatrix.fromDense(A), b, { guarantee: { norm: "inf", epsilon, delta } });
      const label = `${c.coherent ? "coherent" : "gaussian"} CSR`;
      expect(r.method, label).toBe("sketch-and-solve");
      expect(r.sketchSize, label).toBe(Math.ceil(c.n * Math.log(c.m / delta) ** 3 / epsilon ** 2));
      expect(r.guarantee!.pinvNormEstimate / ref[k].pinv, label).toBeGreaterThan(0.5);
      expect(r.guarantee!.pinvNormEstimate / ref[k].pinv, label).toBeLessThan(1 + 1e-9);
      const err = Math.max(...Array.from(r.x, (v, i) => Math.abs(v - ref[k].x[i])));
      expect(err, label).toBeGreaterThan(0);
      expect(err, label).toBeLessThanOrEqual(r.guarantee!.bound);
      const dense = await nl.lstsq(A, b, { guarantee: { norm: "inf", epsilon, delta }, sketch: "srht" });
      for (let i = 0; i < c.n; i++) expect(Math.abs(r.x[i] - dense.x[i]), label).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(dense.x[i])));
    }
  });

  // The paper's lower bound, on an instance built for the sketch: A is n
  // identity rows (leverage 1 each) over m − n rows of η·Gaussian, and two of
  // the identity rows sit where the CountSketch of the guarantee's size (seed
  // 1) hashes them into one bucket. That bucket holds s₁e₁ + s₂e₂, so S·A sees
  // x along u = (e₁ − s₁s₂e₂)/√2 through the η rows alone: the sketched x̃
  // misses x* along u by about ‖noise‖-per-row/(η·√m), against the bound
  // ε/√n·‖r*‖·‖A⁺‖ ≈ ε·√(m/n) (‖A⁺‖ ≈ 1, ‖r*‖ ≈ √m): a ratio of order
  // √n/(ε·η·m) = 1000 here. A dense sketch spreads every heavy row over all d
  // rows and stays inside the bound (its error ~ ‖r*‖/√d).
  it("a CountSketch of the guarantee's size misses the ℓ∞ bound on a coherent design where heavy rows collide; the dense sketches meet it", async () => {
    const [m, n, epsilon, delta, eta] = [20000, 4, 1, 0.1, 1e-7];
    const d = Math.ceil(n * Math.log(m / delta) ** 3 / epsilon ** 2);
    // Which bucket CountSketch (seed 1) sends each of the first K rows to: sketch K indicator columns.
    const K = 400;
    const probe = new CsrMatrix(m, K, Int32Array.from({ length: m + 1 }, (_, i) => Math.min(i, K)), Int32Array.from({ length: K }, (_, i) => i), new Float64Array(K).fill(1));
    const S = await nl.sketch(probe, { kind: "countsketch", size: d, seed: 1 });
    const bucket = Array.from({ length: K }, (_, j) => {
      let at = -1;
      for (let k = 0; k < d; k++) if (S.get(k, j) !== 0) { expect(at, "one nonzero a column").toBe(-1); at = k; }
      return at;
    });
    const seen = new Map<number, number>();
    let pair: [number, number] | undefined;
    for (let i = 0; i < K && !pair; i++) {
      if (seen.has(bucket[i])) pair = [seen.get(bucket[i])!, i];
      seen.set(bucket[i], i);
    }
    expect(pair, "two of the first 400 rows share a bucket (birthday: ~11 pairs expected)").toBeDefined();
    const lone = [...Array(K).keys()].filter((i) => bucket.filter((b) => b === bucket[i]).length === 1);
    const heavy = [pair![0], pair![1], lone[0], lone[1]];
    const ref = python(`
import json, sys, numpy as np
c = json.load(sys.stdin)
rng = np.random.default_rng(3); m, n = c["m"], c["n"]
A = c["eta"] * rng.standard_normal((m, n))
for j, i in enumerate(c["heavy"]):
    A[i] = 0; A[i, j] = 1
b = A @ (10 * rng.standard_normal(n)) + rng.standard_normal(m)
x = np.linalg.lstsq(A, b, rcond=None)[0]
pinv = float(1 / np.linalg.svd(A, compute_uv=False)[-1])
print(json.dumps({"A": A.ravel().tolist(), "b": b.tolist(), "x": x.tolist(), "bound": c["epsilon"] / np.sqrt(n) * float(np.linalg.norm(b - A @ x)) * pinv}))
`, { m, n, eta, epsilon, heavy });
    if (!ref) return;
    const A = new DenseMatrix(m, n, Float64Array.from(ref.A)), b = Float64Array.from(ref.b);
    const errOf = (x: Float64Array) => Math.max(...Array.from(x, (v, i) => Math.abs(v - ref.x[i])));
    for (const sketch of ["gaussian", "srht"] as const) {
      const r = await nl.lstsq(A, b, { guarantee: { norm: "inf", epsilon, delta }, sketch });
      expect(r.sketchSize).toBe(d);
      expect(errOf(r.x), sketch).toBeLessThan(ref.bound);
      expect(errOf(r.x), sketch).toBeLessThanOrEqual(r.guarantee!.bound);
    }
    const cs = await nl.lstsq(A, b, { method: "sketch-and-solve", sketch: "countsketch", sketchSize: d, seed: 1 });
    expect(errOf(cs.x) / ref.bound, "CountSketch misses the bound by far").toBeGreaterThan(20);
  });

  it("bad guarantees are NumlaneErrors before any kernel runs", async () => {
    const A = new DenseMatrix(200, 2, Float64Array.from({ length: 400 }, (_, i) => Math.sin(i))), b = Float64Array.from({ length: 200 }, (_, i) => Math.cos(i));
    const bad: [object, string][] = [
      [{ guarantee: { norm: "inf", epsilon: 0.5, delta: 0.1 } }, "opts.guarantee.epsilon"], // needs more rows than 200
      [{ guarantee: { norm: "2", epsilon: 1, delta: 0.1 } }, "opts.guarantee.norm"],
      [{ guarantee: { norm: "inf", epsilon: 1, delta: 1 } }, "opts.guarantee.delta"],
      [{ guarantee: { norm: "inf", epsilon: 1, delta: 0.1, extra: 1 } }, "opts.guarantee"],
      [{ guarantee: { norm: "inf", epsilon: 50, delta: 0.1 }, sketch: "countsketch" }, "opts.sketch"],
      [{ guarantee: { norm: "inf", epsilon: 50, delta: 0.1 }, method: "qr" }, "opts.guarantee"],
      [{ guarantee: { norm: "inf", epsilon: 50, delta: 0.1 }, sketchSize: 10 }, "opts.sketchSize"],
    ];
    for (const [opts, arg] of bad) {
      const e = await nl.lstsq(A, b, opts as never).then(() => undefined, (err) => err);
      expect(e, JSON.stringify(opts)).toBeInstanceOf(NumlaneError);
      expect(e.argument, JSON.stringify(opts)).toContain(arg);
    }
    // A CsrMatrix has no Gaussian sketch: its dense sketch is SRHT's.
    const e = await nl.lstsq(CsrMatrix.fromDense(A), b, { guarantee: { norm: "inf", epsilon: 50, delta: 0.1 }, sketch: "gaussian" }).then(() => undefined, (err) => err);
    expect(e.code).toBe("unsupported");
    expect(e.argument).toBe("opts.sketch");
  });
});
