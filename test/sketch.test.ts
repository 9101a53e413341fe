// nl.lstsq: against NumPy's lstsq and plain normal equations, on random
// problems of graded conditioning and on the diabetes data; consistent and
// rank-deficient systems; the sketch's effect; determinism; bad input.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DenseMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { rng, sameBits } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

/** A random m×n matrix whose column j is scaled by cond^(−j/(n−1)), and a random b. */
function problem(m: number, n: number, cond: number, seed: number) {
  const r = rng(seed);
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] = (r() - 0.5) * Math.pow(cond, -j / Math.max(1, n - 1));
  const b = Float64Array.from({ length: m }, () => r() - 0.5);
  return { A: new DenseMatrix(m, n, a), b };
}

function numpyLstsq(A: DenseMatrix, b: Float64Array): { x: number[]; res: number } | undefined {
  const py = "/usr/bin/python3";
  if (!existsSync(py) && !process.env.CI) return undefined;
  const script = "import sys,json,numpy as np;d=json.load(sys.stdin);A=np.array(d['a']).reshape(d['m'],d['n']);b=np.array(d['b']);x=np.linalg.lstsq(A,b,rcond=None)[0];print(json.dumps({'x':x.tolist(),'res':float(np.linalg.norm(b-A@x))}))";
  const run = spawnSync(py, ["-c", script], { input: JSON.stringify({ a: Array.from(A.data), b: Array.from(b), m: A.rows, n: A.cols }), maxBuffer: 1 << 28 });
  if (run.status !== 0) {
    if (process.env.CI) throw new Error(`NumPy is required in CI: ${run.stderr}`);
    console.warn(`NumPy comparison skipped: ${run.stderr}`);
    return undefined;
  }
  return JSON.parse(run.stdout.toString());
}

const relErr = (x: ArrayLike<number>, ref: ArrayLike<number>) => {
  let e = 0, r = 0;
  for (let i = 0; i < ref.length; i++) { e += (x[i] - ref[i]) ** 2; r += ref[i] ** 2; }
  return Math.sqrt(e / r);
};

describe("lstsq: accuracy", () => {
  it("QR and sketch-and-precondition match NumPy's lstsq to what the conditioning allows; sketch-and-solve is near-optimal", async () => {
    for (const [m, n, cond, seed] of [[300, 12, 10, 1], [4000, 40, 1e6, 2], [12000, 80, 1e3, 3]]) {
      const { A, b } = problem(m, n, cond, seed);
      const ref = numpyLstsq(A, b);
      if (!ref) return;
      const qr = await nl.lstsq(A, b, { method: "qr" });
      expect(qr.reason).toBe("solved");
      expect(relErr(qr.x, ref.x)).toBeLessThan(1e-15 * cond * 100);
      expect(Math.abs(qr.residualNorm - ref.res) / ref.res).toBeLessThan(1e-12);
      const sp = await nl.lstsq(A, b, { method: "sketch-and-precondition" });
      expect(sp.reason).toBe("converged");
      expect(relErr(sp.x, ref.x)).toBeLessThan(1e-13 * cond * 100);
      expect(Math.abs(sp.residualNorm - ref.res) / ref.res).toBeLessThan(1e-12);
      // The preconditioned iteration does not care about cond(A).
      expect(sp.iterations).toBeLessThan(60);
      expect(sp.conditionEstimate / cond).toBeGreaterThan(0.3);
      expect(sp.conditionEstimate / cond).toBeLessThan(3);
      const ss = await nl.lstsq(A, b, { method: "sketch-and-solve" });
      expect(ss.residualNorm).toBeGreaterThanOrEqual(ref.res * (1 - 1e-12));
      expect(ss.residualNorm).toBeLessThan(ref.res * 1.5); // measured 1.06–1.12 with d = 4n
    }
  });

  it("the diabetes data: QR agrees with the normal equations solved plainly", async () => {
    const rows = readFileSync(new URL("../data/datasets/diabetes.csv", import.meta.url), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const p = rows[0].length - 1, n = rows.length;
    const A = new DenseMatrix(n, p, Float64Array.from(rows.flatMap((r) => r.slice(0, p))));
    const b = Float64Array.from(rows, (r) => r[p]);
    // AᵀA·x = Aᵀb by Gaussian elimination (cond(A) ≈ 30 here, so this is accurate enough).
    const G = Array.from({ length: p }, (_, i) => Array.from({ length: p + 1 }, (_, j) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += A.get(k, i) * (j < p ? A.get(k, j) : b[k]);
      return s;
    }));
    for (let c = 0; c < p; c++) for (let r = c + 1; r < p; r++) { const f = G[r][c] / G[c][c]; for (let j = c; j <= p; j++) G[r][j] -= f * G[c][j]; }
    const ref = new Array(p).fill(0);
    for (let i = p - 1; i >= 0; i--) { let s = G[i][p]; for (let j = i + 1; j < p; j++) s -= G[i][j] * ref[j]; ref[i] = s / G[i][i]; }
    for (const method of ["qr", "sketch-and-precondition"] as const) {
      const r = await nl.lstsq(A, b, { method });
      expect(relErr(r.x, ref), method).toBeLessThan(1e-9);
    }
  });

  it("a consistent system is solved exactly; a rank-deficient one is reported", async () => {
    const { A } = problem(2000, 20, 100, 4);
    const xs = Float64Array.from({ length: 20 }, (_, i) => i - 10);
    const b = new Float64Array(2000);
    for (let i = 0; i < 2000; i++) for (let j = 0; j < 20; j++) b[i] += A.get(i, j) * xs[j];
    for (const method of ["qr", "sketch-and-precondition"] as const) {
      const r = await nl.lstsq(A, b, { method });
      expect(relErr(r.x, xs), method).toBeLessThan(1e-11);
      expect(r.residualNorm).toBeLessThan(1e-10 * Math.hypot(...b));
    }
    const twin = new DenseMatrix(50, 3, Float64Array.from({ length: 150 }, (_, k) => (k % 3 === 2 ? 2 * Math.sin(k - 1) : Math.sin(k))));
    const r = await nl.lstsq(twin, new Float64Array(50).fill(1), { method: "qr" });
    expect(r.reason).toBe("rank-deficient");
    expect(r.conditionEstimate).toBe(Infinity);
  });
});

describe("sketch", () => {
  it("S·A preserves norms of A·x (a subspace embedding), is exactly linear, and follows its seed", async () => {
    const { A } = problem(6000, 10, 1, 8);
    const SA = await nl.sketch(A, { size: 200 });
    expect([SA.rows, SA.cols]).toEqual([200, 10]);
    const r = rng(9);
    for (let t = 0; t < 20; t++) {
      const x = Float64Array.from({ length: 10 }, () => r() - 0.5);
      let ax = 0, sax = 0;
      for (let i = 0; i < 6000; i++) { let s = 0; for (let j = 0; j < 10; j++) s += A.get(i, j) * x[j]; ax += s * s; }
      for (let i = 0; i < 200; i++) { let s = 0; for (let j = 0; j < 10; j++) s += SA.get(i, j) * x[j]; sax += s * s; }
      // d = 20n: distortion well under ±50 %, the bound sketch-and-precondition relies on.
      expect(Math.sqrt(sax / ax)).toBeGreaterThan(0.6);
      expect(Math.sqrt(sax / ax)).toBeLessThan(1.4);
    }
    // Linear: S·(2A) = 2·S·A exactly (powers of two do not round).
    const twice = await nl.sketch(new DenseMatrix(6000, 10, A.data.map((v) => 2 * v)), { size: 200 });
    expect(sameBits(twice.data, SA.data.map((v) => 2 * v))).toBe(true);
    const again = await nl.sketch(A, { size: 200 });
    expect(sameBits(again.data, SA.data)).toBe(true);
    const other = await nl.sketch(A, { size: 200, seed: 5 });
    expect(sameBits(other.data, SA.data)).toBe(false);
    const cs = await nl.sketch(A, { size: 200, kind: "countsketch" });
    // CountSketch: every row of A lands in exactly one row of S·A, with a sign, so column sums of |·| only shrink.
    for (let j = 0; j < 10; j++) {
      let a = 0, s = 0;
      for (let i = 0; i < 6000; i++) a += Math.abs(A.get(i, j));
      for (let i = 0; i < 200; i++) s += Math.abs(cs.get(i, j));
      expect(s).toBeLessThanOrEqual(a * (1 + 1e-12));
    }
  });
});

describe("lstsq: determinism and bad input", () => {
  it("bit-identical for threads 1 and 2 and the single build; the seed picks the sketch", async () => {
    const { A, b } = problem(9000, 30, 1e4, 5);
    const one = await nl.lstsq(A, b, { method: "sketch-and-precondition", threads: 1 });
    const two = await nl.lstsq(A, b, { method: "sketch-and-precondition", threads: 2 });
    const single = await init({ build: "single" });
    try {
      const s = await single.lstsq(A, b, { method: "sketch-and-precondition" });
      expect(sameBits(one.x, two.x) && sameBits(one.x, s.x)).toBe(true);
    } finally {
      await single.close();
    }
    const other = await nl.lstsq(A, b, { method: "sketch-and-solve", seed: 2 });
    const same = await nl.lstsq(A, b, { method: "sketch-and-solve", seed: 1 });
    expect(sameBits(other.x, same.x)).toBe(false);
  });

  const A = DenseMatrix.from([[1, 2], [3, 4], [5, 7]]);
  const b = Float64Array.of(1, 2, 3);
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ["wide A", () => nl.lstsq(DenseMatrix.from([[1, 2, 3]]), Float64Array.of(1)), "invalid-shape", "A"],
    ["b of the wrong length", () => nl.lstsq(A, Float64Array.of(1, 2)), "invalid-shape", "b"],
    ["NaN in A", () => nl.lstsq(DenseMatrix.from([[1, NaN], [3, 4], [5, 7]]), b), "invalid-value", "A"],
    ["unknown method", () => nl.lstsq(A, b, { method: "svd" as never }), "invalid-value", "opts.method"],
    ["SRHT (not built yet)", () => nl.lstsq(A, b, { method: "sketch-and-solve", sketch: "srht" }), "unsupported", "opts.sketch"],
    ["sketch smaller than n", () => nl.lstsq(A, b, { method: "sketch-and-solve", sketchSize: 1 }), "invalid-size", "opts.sketchSize"],
    ["negative rtol", () => nl.lstsq(A, b, { rtol: -1 }), "invalid-value", "opts.rtol"],
  ];
  for (const [what, call, code, argument] of cases) {
    it(`${what} → NumlaneError ${code} on ${argument}`, async () => {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(NumlaneError);
      expect(err).toMatchObject({ code, argument });
    });
  }
});
