// nl.cg: against SciPy's cg and dense direct solves on the real SPD matrices in
// data/matrices, against a plain Cholesky solve on random SPD systems, the
// stopping reasons, progress and cancellation, determinism, bad input.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, NumlaneError, readMatrixMarket, type Numlane } from "../dist/index.js";
import { diff, matvec, norm, python, rng, sameBits, uniform } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

const MATRICES = ["gr_900_900_crg", "ani4", "lap3D_7pt_n20"];
const load = (name: string) =>
  readMatrixMarket(readFileSync(new URL(`../data/matrices/${name}.mtx`, import.meta.url), "utf8")) as CsrMatrix;


/** M·Mᵀ + n·I: a random dense SPD matrix, and its Cholesky solve as the reference. */
function randomSpd(n: number, seed: number): { A: DenseMatrix; solve: (b: Float64Array) => Float64Array } {
  const r = rng(seed), M = Array.from({ length: n }, () => Array.from({ length: n }, () => r() - 0.5));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = i === j ? n / 4 : 0;
    for (let k = 0; k < n; k++) s += M[i][k] * M[j][k];
    a[i * n + j] = s;
  }
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2;
    L[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / L[j * n + j];
    }
  }
  const solve = (b: Float64Array) => {
    const y = new Float64Array(n), x = new Float64Array(n);
    for (let i = 0; i < n; i++) { let s = b[i]; for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k]; y[i] = s / L[i * n + i]; }
    for (let i = n - 1; i >= 0; i--) { let s = y[i]; for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k]; x[i] = s / L[i * n + i]; }
    return x;
  };
  return { A: new DenseMatrix(n, n, a), solve };
}

describe("cg: accuracy", () => {
  it("random dense SPD systems: the Cholesky solution to the accuracy rtol promises", async () => {
    for (const [n, seed] of [[1, 1], [2, 2], [17, 3], [120, 4]]) {
      const { A, solve } = randomSpd(n, seed);
      const b = uniform(n, seed + 10);
      const want = solve(b);
      for (const preconditioner of ["none", "jacobi"] as const) {
        const r = await nl.cg(A, b, { rtol: 1e-12, preconditioner });
        expect(r.reason).toBe("converged");
        expect(r.converged).toBe(true);
        expect(r.iterations).toBeLessThanOrEqual(n + 5);
        // cond(A) is small here, so a 1e-12 residual pins x down to ~1e-10.
        expect(diff(r.x, want) / norm(want)).toBeLessThan(1e-9);
        expect(r.residualNorm).toBeLessThanOrEqual(1e-12 * norm(b) * 10);
        expect(r.residualHistory.length).toBe(r.iterations + 1);
        expect(r.residualHistory[0]).toBeCloseTo(norm(b), 10);
      }
    }
  });

  it("real SPD matrices (data/matrices): solution of A·x = A·1, residual recomputed independently", async () => {
    for (const name of MATRICES) {
      const A = load(name);
      const ones = new Float64Array(A.rows).fill(1);
      const b = matvec(A, ones);
      for (const preconditioner of ["none", "jacobi"] as const) {
        const r = await nl.cg(A, b, { rtol: 1e-10, preconditioner });
        expect(r.reason, name).toBe("converged");
        const res = diff(matvec(A, r.x), b);
        expect(res / norm(b), name).toBeLessThan(1.5e-10);
        expect(Math.abs(r.residualNorm - res) / norm(b)).toBeLessThan(1e-12);
        // cond ≤ 1.8e3 (data/matrices/README.md): the error is within cond · rtol.
        expect(diff(r.x, ones) / norm(ones), name).toBeLessThan(2e3 * 1e-10);
      }
    }
  });

  it("agrees with scipy.sparse.linalg.cg: iterations and solution", async () => {
    const py = "/usr/bin/python3";
    if (!existsSync(py) && !process.env.CI) return;
    const script = `
import sys, json, numpy as np, scipy.io, scipy.sparse.linalg as sl
out = {}
for name in sys.argv[1:]:
    A = scipy.io.mmread("data/matrices/" + name + ".mtx").tocsr()
    b = A @ np.ones(A.shape[0])
    it = [0]
    def cb(xk): it[0] += 1
    try:
        x, info = sl.cg(A, b, rtol=1e-10, atol=0.0, maxiter=100000, callback=cb)
    except TypeError:  # SciPy < 1.12 names rtol "tol"
        x, info = sl.cg(A, b, tol=1e-10, atol=0.0, maxiter=100000, callback=cb)
    out[name] = {"iterations": it[0], "info": int(info), "x": x.tolist()}
print(json.dumps(out))`;
    const run = spawnSync(py, ["-c", script, ...MATRICES], { maxBuffer: 1 << 27 });
    if (run.status !== 0) {
      if (process.env.CI) throw new Error(`SciPy is required in CI: ${run.stderr}`);
      console.warn(`SciPy comparison skipped: ${run.stderr}`);
      return;
    }
    const sp = JSON.parse(run.stdout.toString()) as Record<string, { iterations: number; info: number; x: number[] }>;
    for (const name of MATRICES) {
      const A = load(name);
      const b = matvec(A, new Float64Array(A.rows).fill(1));
      const r = await nl.cg(A, b, { rtol: 1e-10 });
      expect(sp[name].info, name).toBe(0);
      // Same method, same stopping rule: the counts may differ by rounding only.
      expect(Math.abs(r.iterations - sp[name].iterations), `${name}: ${r.iterations} vs SciPy ${sp[name].iterations}`).toBeLessThanOrEqual(2);
      expect(diff(r.x, sp[name].x) / norm(sp[name].x), name).toBeLessThan(1e-8);
    }
  });
});

describe("cg: SSOR and IC(0) preconditioners", () => {
  it("solve the real matrices to rtol in far fewer iterations, bit-identical for threads 1, 2, 3 and the single build", async () => {
    const nl3 = await init({ threads: 3 });
    const single = await init({ build: "single" });
    try {
      for (const name of MATRICES) {
        const A = load(name);
        const ones = new Float64Array(A.rows).fill(1);
        const b = matvec(A, ones);
        const plain = await nl.cg(A, b, { rtol: 1e-10 });
        for (const [preconditioner, most] of [["ssor", 0.8], ["ic0", 0.6]] as const) {
          const r = await nl.cg(A, b, { rtol: 1e-10, preconditioner, threads: 1 });
          expect(r.reason, `${name} ${preconditioner}`).toBe("converged");
          // measured: SSOR 36/138/31 and IC(0) 27/88/29 iterations against 46/429/58 unpreconditioned
          expect(r.iterations, `${name} ${preconditioner}`).toBeLessThan(most * plain.iterations);
          expect(diff(matvec(A, r.x), b) / norm(b)).toBeLessThan(1.5e-10);
          for (const other of [
            await nl.cg(A, b, { rtol: 1e-10, preconditioner, threads: 2 }),
            await nl3.cg(A, b, { rtol: 1e-10, preconditioner, threads: 3 }),
            await single.cg(A, b, { rtol: 1e-10, preconditioner }),
          ]) expect(sameBits(other.x, r.x)).toBe(true);
          if (preconditioner === "ic0") expect(r.preconditionerShift).toBe(0);
        }
      }
    } finally {
      await nl3.close();
      await single.close();
    }
  });

  it("IC(0) of a tridiagonal matrix is its exact Cholesky factor: one iteration", async () => {
    const n = 500, I: number[] = [], J: number[] = [], V: number[] = [];
    for (let i = 0; i < n; i++) {
      I.push(i); J.push(i); V.push(4);
      if (i > 0) { I.push(i); J.push(i - 1); V.push(-1); I.push(i - 1); J.push(i); V.push(-1); }
    }
    const A = CsrMatrix.fromCoo(n, n, I, J, V);
    const r = await nl.cg(A, uniform(n, 3), { preconditioner: "ic0", rtol: 1e-12 });
    expect(r.iterations).toBe(1);
    expect(r.reason).toBe("converged");
  });

  it("SSOR with ω and deflation together still converge to the solution", async () => {
    const A = load("lap3D_7pt_n20");
    const b = uniform(A.rows, 12);
    const space = nl.recycleSpace({ k: 4, ell: 20 });
    for (let t = 0; t < 3; t++) {
      const r = await nl.cg(A, b, { rtol: 1e-10, preconditioner: "ssor", omega: 1.5, recycle: space });
      expect(r.reason).toBe("converged");
      expect(diff(matvec(A, r.x), b) / norm(b)).toBeLessThan(1.5e-10);
    }
  });
});

describe("cg: reasons, progress, cancellation", () => {
  it("an indefinite matrix is reported, not solved wrongly", async () => {
    const A = DenseMatrix.from([[1, 0, 0], [0, -2, 0], [0, 0, 3]]);
    const r = await nl.cg(A, Float64Array.of(1, 1, 1));
    expect(r.reason).toBe("indefinite");
    expect(r.converged).toBe(false);
  });

  it("max-iterations: stops where told, with the residual it reached", async () => {
    const A = load("ani4");
    const b = matvec(A, new Float64Array(A.rows).fill(1));
    const r = await nl.cg(A, b, { maxIter: 7 });
    expect(r.reason).toBe("max-iterations");
    expect(r.iterations).toBe(7);
    expect(r.residualHistory.length).toBe(8);
    expect(r.residualNorm).toBeGreaterThan(1e-8 * norm(b));
    expect(Math.abs(r.residualNorm - diff(matvec(A, r.x), b))).toBeLessThan(1e-9 * norm(b));
  });

  it("b = 0 converges at once to x = 0; a good x0 is kept and not modified", async () => {
    const A = load("gr_900_900_crg");
    const zero = await nl.cg(A, new Float64Array(A.rows));
    expect(zero).toMatchObject({ reason: "converged", iterations: 0, residualNorm: 0 });
    expect(zero.x.every((v) => v === 0)).toBe(true);
    const ones = new Float64Array(A.rows).fill(1);
    const b = matvec(A, ones);
    const x0 = ones.slice();
    const r = await nl.cg(A, b, { x0 });
    expect(r.iterations).toBe(0);
    expect(sameBits(x0, ones)).toBe(true);
  });

  it("onProgress sees the iterations; an abort mid-solve rejects with AbortError and the pool stays usable", async () => {
    const A = load("ani4");
    const b = matvec(A, new Float64Array(A.rows).fill(1));
    const seen: number[] = [];
    const r = await nl.cg(A, b, { rtol: 1e-14, maxIter: 20000, onProgress: (p) => seen.push(p.iteration) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((v, i) => i === 0 || v > seen[i - 1])).toBe(true);
    expect(seen[seen.length - 1]).toBeLessThanOrEqual(r.iterations);

    // rtol = 0: thousands of iterations until the residual underflows; the abort comes first.
    const c = new AbortController();
    const t0 = Date.now();
    const pending = nl.cg(A, b, { rtol: 0, maxIter: 2 ** 30 - 1, signal: c.signal, onProgress: (p) => { if (p.iteration > 50) c.abort(); } });
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await nl.cg(A, b)).reason).toBe("converged");
  });
});

/** The 7-point Laplacian's exact eigenvectors on a K³ grid (sin modes), normalised, one after another. */
function laplacianModes(K: number, modes: number[][]): Float64Array {
  const n = K ** 3, V = new Float64Array(modes.length * n);
  modes.forEach(([p, q, r], j) => {
    let nn = 0;
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) for (let c = 0; c < K; c++) {
      const v = Math.sin((Math.PI * p * (a + 1)) / (K + 1)) * Math.sin((Math.PI * q * (b + 1)) / (K + 1)) * Math.sin((Math.PI * r * (c + 1)) / (K + 1));
      V[j * n + (a * K + b) * K + c] = v;
      nn += v * v;
    }
    for (let i = 0; i < n; i++) V[j * n + i] /= Math.sqrt(nn);
  });
  return V;
}

describe("cg: deflation and recycling", () => {
  it("deflating exact eigenvectors removes their eigenvalues: fewer iterations, same solution", async () => {
    const A = load("lap3D_7pt_n20");
    const b = uniform(A.rows, 21);
    const plain = await nl.cg(A, b, { rtol: 1e-10 });
    const space = nl.recycleSpace({ k: 8, ell: 1 });
    space.vectors = laplacianModes(20, [[1, 1, 1], [2, 1, 1], [1, 2, 1], [1, 1, 2], [2, 2, 1], [2, 1, 2], [1, 2, 2], [3, 1, 1]]);
    space.n = A.rows;
    space.size = 8;
    const r = await nl.cg(A, b, { rtol: 1e-10, recycle: space });
    expect(r.reason).toBe("converged");
    expect(r.iterations).toBeLessThan(0.8 * plain.iterations); // measured 52 vs 70
    expect(diff(matvec(A, r.x), b) / norm(b)).toBeLessThan(1.5e-10);
    expect(diff(r.x, plain.x) / norm(plain.x)).toBeLessThan(1e-8);
    // Rayleigh–Ritz on a space holding exact eigenvectors returns their eigenvalues:
    // λ = Σ 2 − 2cos(π·m/21) over the three mode numbers.
    const lam = (m: number[]) => m.reduce((s, v) => s + 2 - 2 * Math.cos((Math.PI * v) / 21), 0);
    expect(space.ritzValues[0]).toBeCloseTo(lam([1, 1, 1]), 10);
    expect(space.ritzValues[1]).toBeCloseTo(lam([2, 1, 1]), 10);
  });

  it("a sequence of solves with one recycle space: fewer iterations in all, every solution right", async () => {
    const A = load("gr_900_900_crg");
    const space = nl.recycleSpace({ k: 8, ell: 40 });
    let plainTotal = 0, recycledTotal = 0;
    for (let t = 0; t < 8; t++) {
      const b = Float64Array.from({ length: A.rows }, (_, i) => Math.cos(i * (t + 1)));
      const plain = await nl.cg(A, b, { rtol: 1e-10 });
      const r = await nl.cg(A, b, { rtol: 1e-10, recycle: space });
      expect(r.reason).toBe("converged");
      expect(diff(matvec(A, r.x), b) / norm(b)).toBeLessThan(1.5e-10);
      plainTotal += plain.iterations;
      recycledTotal += r.iterations;
    }
    expect(recycledTotal).toBeLessThan(0.85 * plainTotal); // measured 413 vs 537
    // λ_min of gr_900_900_crg is 0.0615 (data/matrices/README.md); Ritz values bound it from above.
    expect(space.ritzValues[0]).toBeGreaterThanOrEqual(0.0615 * (1 - 1e-3));
    expect(space.ritzValues[0]).toBeLessThan(0.0615 * 1.05);
  });

  it("recycled solves are bit-identical for threads 1 and 2", async () => {
    const A = load("lap3D_7pt_n20");
    const runs = [];
    for (const threads of [1, 2]) {
      const space = nl.recycleSpace({ k: 4, ell: 20 });
      const xs = [];
      for (let t = 0; t < 3; t++) xs.push((await nl.cg(A, uniform(A.rows, 30 + t), { threads, recycle: space })).x);
      runs.push(xs);
    }
    runs[0].forEach((x, t) => expect(sameBits(x, runs[1][t])).toBe(true));
  });

  it("Jacobi-recycled Ritz values approximate the smallest eigenvalues of D⁻¹A (SciPy's eigh(A, D)) from above", async () => {
    // The space is Rayleigh–Ritz for the pencil (A, M) on [W, kept z's], built from CG's own scalars.
    const A = load("gr_900_900_crg");
    const space = nl.recycleSpace({ k: 4, ell: 60 });
    for (let t = 0; t < 4; t++) {
      const r = await nl.cg(A, Float64Array.from({ length: A.rows }, (_, i) => Math.cos(i * (t + 2))), { rtol: 1e-10, preconditioner: "jacobi", recycle: space });
      expect(r.reason).toBe("converged");
      if (t > 0) expect(r.recycling).toEqual({ used: true });
    }
    const ref = python(`
import sys, json, numpy as np, scipy.linalg as sl
d = json.load(sys.stdin); n = d["n"]; A = np.zeros((n, n))
for i in range(n):
    for k in range(d["indptr"][i], d["indptr"][i + 1]): A[i, d["indices"][k]] = d["data"][k]
print(json.dumps(sl.eigh(A, np.diag(np.diag(A)), eigvals_only=True)[:4].tolist()))`,
    { n: A.rows, indptr: Array.from(A.indptr), indices: Array.from(A.indices), data: Array.from(A.data) });
    if (!ref) return;
    expect(space.size).toBe(4);
    // A wrong pencil (Euclidean Rayleigh–Ritz gives eigenvalues of A, ~8× larger here) or a wrong
    // projection misses these bounds; Ritz values of a true projection never fall below λ.
    // Measured after 4 solves: λ₁ to 1e-9, λ₂ = λ₃ (a double eigenvalue) to 4e-5, λ₄ to 2e-3.
    for (let j = 0; j < 4; j++) expect(space.ritzValues[j]).toBeGreaterThanOrEqual(ref[j] * (1 - 1e-8));
    expect(space.ritzValues[0]).toBeLessThan(ref[0] * (1 + 1e-7));
    expect(space.ritzValues[2]).toBeLessThan(ref[2] * 1.001);
    expect(space.ritzValues[3]).toBeLessThan(ref[3] * 1.01);
  });

  it("a space that cannot be deflated (dependent vectors) falls back to plain PCG and says so", async () => {
    const A = load("lap3D_7pt_n20"), b = uniform(A.rows, 5), n = A.rows;
    const space = nl.recycleSpace({ k: 3, ell: 20 });
    const v = uniform(n, 6);
    space.vectors = new Float64Array(3 * n);
    space.vectors.set(v, 0); space.vectors.set(v, n); space.vectors.set(uniform(n, 7), 2 * n); // W has rank 2
    space.n = n; space.size = 3;
    for (const preconditioner of ["none", "jacobi", "ic0"] as const) {
      const s = nl.recycleSpace({ k: 3, ell: 20 });
      Object.assign(s, { vectors: space.vectors, n, size: 3 });
      const r = await nl.cg(A, b, { rtol: 1e-10, preconditioner, recycle: s });
      const plain = await nl.cg(A, b, { rtol: 1e-10, preconditioner });
      expect(r.reason).toBe("converged");
      expect(r.recycling).toEqual({ used: false, reason: "projected matrix not positive definite" });
      expect(sameBits(r.x, plain.x)).toBe(true);      // exactly the plain solve
      expect(s.size).toBe(3);                          // the space rebuilt from this solve alone
      expect(s.ritzValues[0]).toBeGreaterThan(0);
      const next = await nl.cg(A, uniform(n, 8), { rtol: 1e-10, preconditioner, recycle: s });
      expect(next.recycling).toEqual({ used: true });
      expect(diff(matvec(A, next.x), uniform(n, 8)) / norm(uniform(n, 8))).toBeLessThan(1.5e-10);
    }
  });

  it("a space for another size, or a bad k, is refused", async () => {
    const space = nl.recycleSpace({ k: 2 });
    await nl.cg(load("gr_900_900_crg"), uniform(900, 1), { recycle: space });
    await expect(nl.cg(DenseMatrix.from([[2, 0], [0, 3]]), Float64Array.of(1, 1), { recycle: space }))
      .rejects.toMatchObject({ code: "invalid-shape", argument: "opts.recycle" });
    expect(() => nl.recycleSpace({ k: -1 })).toThrow(NumlaneError);
    // k = 0 (no deflation; GCRO-DR's k = 0 is GMRES(m)) is plain CG here.
    const none = nl.recycleSpace({ k: 0 }), A = load("gr_900_900_crg"), b = uniform(900, 1);
    const [r0, plain] = [await nl.cg(A, b, { recycle: none }), await nl.cg(A, b)];
    expect(r0.iterations).toBe(plain.iterations);
    expect(none.size).toBe(0);
    expect(() => nl.recycleSpace({ k: 2.5 })).toThrow(NumlaneError);
  });
});

describe("solveSequence", () => {
  // A parametric family A(μ) = A₀ + μ·D (D a positive diagonal), listed shuffled.
  const A0 = load("gr_900_900_crg");
  const mus = [0.3, 0.05, 0.25, 0, 0.15, 0.35, 0.1, 0.2, 0.4, 0.02];
  const family = mus.map((mu) => {
    const data = A0.data.slice();
    for (let i = 0; i < A0.rows; i++) {
      for (let k = A0.indptr[i]; k < A0.indptr[i + 1]; k++) if (A0.indices[k] === i) data[k] += 0.05 * mu * (1 + Math.sin(i));
    }
    return { A: new CsrMatrix(A0.rows, A0.cols, A0.indptr, A0.indices, data), b: uniform(A0.rows, Math.round(mu * 100) + 1) };
  });

  it("orders a shuffled parametric family by its parameter, solves every system, recycles to fewer iterations", async () => {
    const plain = await nl.solveSequence(family, { order: "given", recycle: false, rtol: 1e-10 });
    const r = await nl.solveSequence(family, { rtol: 1e-10, recycle: { k: 8, deflate: "always" } });
    // From the first system (μ = 0.3) the path walks the μ line up, then down:
    // 0.5 in all, where greedy nearest neighbour's 0.3 → 0 → 0.4 walks 0.7.
    const walked = r.order.map((i) => mus[i]);
    expect(walked).toEqual([0.3, 0.35, 0.4, 0.25, 0.2, 0.15, 0.1, 0.05, 0.02, 0]);
    expect(new Set(r.order).size).toBe(mus.length);
    family.forEach(({ A, b }, i) => {
      expect(r.reasons[i]).toBe("converged");
      expect(diff(matvec(A, r.solutions[i]), b) / norm(b)).toBeLessThan(1.5e-10);
      expect(diff(r.solutions[i], plain.solutions[i]) / norm(plain.solutions[i])).toBeLessThan(1e-7);
    });
    expect(r.totalIterations).toBe(r.iterations.reduce((a, b) => a + b, 0));
    expect(r.totalIterations).toBeLessThan(0.85 * plain.totalIterations); // measured 0.70
    expect(plain.order).toEqual(mus.map((_, i) => i));
  });

  it("recycling that does not pay is dropped after the first solves (deterministically), and kept where it pays", async () => {
    // A 7-point Laplacian with Jacobi: a matvec is as cheap as 2k vector reads, so deflating k = 8 costs more than it saves.
    const L = load("lap3D_7pt_n20");
    const cheap = Array.from({ length: 8 }, (_, t) => ({ A: L, b: uniform(L.rows, 40 + t) }));
    const plain = await nl.solveSequence(cheap, { order: "given", rtol: 1e-10, preconditioner: "jacobi" });
    const runs = [];
    for (const threads of [1, 2]) runs.push(await nl.solveSequence(cheap, { order: "given", rtol: 1e-10, preconditioner: "jacobi", threads, recycle: { k: 8 } }));
    const [r] = runs;
    expect(r.recycling?.used).toBe(false);
    expect(r.recycling?.reason).toMatch(/^deflating k = 8 vectors costs \d\.\d\d× plain PCG/);
    // Systems 0 (nothing to deflate), 1 and 2 (the trial) recycled; from then on exactly the plain solves.
    for (let i = 3; i < 8; i++) expect(sameBits(r.solutions[i], plain.solutions[i])).toBe(true);
    r.solutions.forEach((x, i) => expect(sameBits(x, runs[1].solutions[i])).toBe(true));
    cheap.forEach(({ A, b }, i) => expect(diff(matvec(A, r.solutions[i]), b) / norm(b)).toBeLessThan(1.5e-10));
    // A dense SPD matrix (every matvec n² flops) with a few tiny eigenvalues: deflation is nearly free and pays.
    const n = 200, rand = rng(9), Q = Array.from({ length: 4 }, () => Array.from({ length: n }, () => rand() - 0.5));
    const dense = (shift: number) => {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = i === j ? 1 + shift + i / n : 0;
        for (const q of Q) s -= 0.999 * q[i] * q[j] / q.reduce((t, v) => t + v * v, 0);
        a[i * n + j] = s;
      }
      return new DenseMatrix(n, n, a);
    };
    const costly = Array.from({ length: 6 }, (_, t) => ({ A: dense(0.01 * t), b: uniform(n, 60 + t) }));
    const kept = await nl.solveSequence(costly, { order: "given", rtol: 1e-10, recycle: { k: 4 } });
    expect(kept.recycling).toEqual({ used: true });
    const denseTimes = (A: DenseMatrix, x: Float64Array) => Float64Array.from({ length: n }, (_, i) => x.reduce((s, v, j) => s + A.data[i * n + j] * v, 0));
    costly.forEach(({ A, b }, i) => expect(diff(denseTimes(A, kept.solutions[i]), b) / norm(b)).toBeLessThan(1.5e-10));
    expect(kept.totalIterations).toBeLessThan(0.8 * (await nl.solveSequence(costly, { order: "given", rtol: 1e-10 })).totalIterations);
    await expect(nl.solveSequence(costly, { recycle: { k: 4, deflate: "sometimes" as "auto" } })).rejects.toMatchObject({ code: "invalid-value", argument: "opts.recycle.deflate" });
  });

  it("reports progress with the system's index; refuses mixed sizes when recycling, and bad options", async () => {
    const seen = new Set<number>();
    await nl.solveSequence(family.slice(0, 3), { rtol: 1e-12, recycle: { k: 2 }, onProgress: (p) => seen.add(p.system) });
    for (const i of seen) expect([0, 1, 2]).toContain(i);
    const small = { A: DenseMatrix.from([[2, 0], [0, 3]]), b: Float64Array.of(1, 1) };
    await expect(nl.solveSequence([family[0], small], { recycle: { k: 2 } })).rejects.toMatchObject({ code: "invalid-shape", argument: "systems[1].A" });
    const mixed = await nl.solveSequence([family[0], small], { recycle: false });
    expect(mixed.reasons).toEqual(["converged", "converged"]);
    await expect(nl.solveSequence([])).rejects.toMatchObject({ code: "invalid-size", argument: "systems" });
    await expect(nl.solveSequence([small], { order: "random" as never })).rejects.toMatchObject({ code: "invalid-value", argument: "opts.order" });
  });
});

/** 2D convection–diffusion on a k×k grid, upwind differences: nonsymmetric. */
function convectionDiffusion(k: number, peclet: number): CsrMatrix {
  const I: number[] = [], J: number[] = [], V: number[] = [];
  const id = (a: number, c: number) => a * k + c;
  for (let a = 0; a < k; a++) for (let c = 0; c < k; c++) {
    const r = id(a, c);
    I.push(r); J.push(r); V.push(4 + peclet);
    if (a > 0) { I.push(r); J.push(id(a - 1, c)); V.push(-1 - peclet); }
    if (a < k - 1) { I.push(r); J.push(id(a + 1, c)); V.push(-1); }
    if (c > 0) { I.push(r); J.push(id(a, c - 1)); V.push(-1); }
    if (c < k - 1) { I.push(r); J.push(id(a, c + 1)); V.push(-1); }
  }
  return CsrMatrix.fromCoo(k * k, k * k, I, J, V);
}

describe("gmres", () => {
  it("matches scipy.sparse.linalg.gmres on a convection–diffusion matrix: iterations and residual", async () => {
    const py = "/usr/bin/python3";
    if (!existsSync(py) && !process.env.CI) return;
    const A = convectionDiffusion(40, 1.5), n = A.rows;
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const script = `
import sys, json, numpy as np, scipy.sparse as sp, scipy.sparse.linalg as sl
d = json.load(sys.stdin)
A = sp.csr_matrix((d["v"], d["j"], d["p"]), shape=(d["n"], d["n"])); b = np.array(d["b"])
it = [0]
def cb(r): it[0] += 1
try:
    x, info = sl.gmres(A, b, rtol=1e-10, atol=0, restart=20, maxiter=1000, callback=cb, callback_type="pr_norm")
except TypeError:  # SciPy < 1.12
    x, info = sl.gmres(A, b, tol=1e-10, atol=0, restart=20, maxiter=1000, callback=cb, callback_type="pr_norm")
print(json.dumps({"info": info, "it": it[0], "x": x.tolist()}))`;
    const run = spawnSync(py, ["-c", script], { input: JSON.stringify({ p: Array.from(A.indptr), j: Array.from(A.indices), v: Array.from(A.data), n, b: Array.from(b) }), maxBuffer: 1 << 26 });
    if (run.status !== 0) {
      if (process.env.CI) throw new Error(`SciPy is required in CI: ${run.stderr}`);
      return;
    }
    const sp = JSON.parse(run.stdout.toString()) as { info: number; it: number; x: number[] };
    const r = await nl.gmres(A, b, { rtol: 1e-10, restart: 20 });
    expect(sp.info).toBe(0);
    expect(r.reason).toBe("converged");
    expect(Math.abs(r.iterations - sp.it)).toBeLessThanOrEqual(2);
    expect(diff(matvec(A, r.x), b) / norm(b)).toBeLessThan(1.5e-10);
    expect(diff(r.x, sp.x) / norm(sp.x)).toBeLessThan(1e-7);
  });

  it("solves random nonsymmetric dense systems like Gaussian elimination; Jacobi rescues a badly scaled one", async () => {
    const n = 60, rnd = rng(17);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (i === j ? n : 0) + rnd() - 0.5;
    const b = uniform(n, 18);
    // Reference: Gaussian elimination with partial pivoting, plainly.
    const M = Array.from({ length: n }, (_, i) => [...a.subarray(i * n, i * n + n), b[i]]);
    for (let c = 0; c < n; c++) {
      let piv = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
      [M[c], M[piv]] = [M[piv], M[c]];
      for (let r = c + 1; r < n; r++) { const f = M[r][c] / M[c][c]; for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k]; }
    }
    const want = new Array(n).fill(0);
    for (let i = n - 1; i >= 0; i--) { let s = M[i][n]; for (let k = i + 1; k < n; k++) s -= M[i][k] * want[k]; want[i] = s / M[i][i]; }
    const r = await nl.gmres(new DenseMatrix(n, n, a), b, { rtol: 1e-13 });
    expect(r.reason).toBe("converged");
    expect(diff(r.x, want) / norm(want)).toBeLessThan(1e-11);
    // Rows scaled over 8 decades: Jacobi (right-preconditioned) undoes it.
    const scaled = a.map((v, k) => v * 10 ** (8 * Math.floor(k / n) / n));
    const bs = b.map((v, i) => v * 10 ** (8 * i / n));
    const plain = await nl.gmres(new DenseMatrix(n, n, scaled), bs, { rtol: 1e-10, restart: 10, maxIter: 200 });
    const jac = await nl.gmres(new DenseMatrix(n, n, scaled), bs, { rtol: 1e-10, restart: 10, maxIter: 200, preconditioner: "jacobi" });
    expect(jac.reason).toBe("converged");
    expect(jac.iterations).toBeLessThan(plain.iterations);
    expect(diff(jac.x, want) / norm(want)).toBeLessThan(1e-7);
  });

  it("bit-identical for threads 1, 2, 3 and the single build; max-iterations and abort are reported", async () => {
    const A = convectionDiffusion(50, 0.8), b = uniform(2500, 19);
    const ref = await nl.gmres(A, b, { threads: 1, restart: 15 });
    const nl3 = await init({ threads: 3 });
    const single = await init({ build: "single" });
    try {
      for (const r of [await nl.gmres(A, b, { threads: 2, restart: 15 }), await nl3.gmres(A, b, { threads: 3, restart: 15 }), await single.gmres(A, b, { restart: 15 })]) {
        expect(r.iterations).toBe(ref.iterations);
        expect(sameBits(r.x, ref.x)).toBe(true);
      }
    } finally {
      await nl3.close();
      await single.close();
    }
    const capped = await nl.gmres(A, b, { maxIter: 7, restart: 5 });
    expect(capped).toMatchObject({ reason: "max-iterations", iterations: 7, converged: false });
    const c = new AbortController();
    await expect(nl.gmres(A, b, { rtol: 0, maxIter: 2 ** 30 - 1, signal: c.signal, onProgress: () => c.abort() })).rejects.toMatchObject({ name: "AbortError" });
    await expect(nl.gmres(new DenseMatrix(2, 3, new Float64Array(6)), Float64Array.of(1, 2))).rejects.toMatchObject({ code: "invalid-shape", argument: "A" });
    await expect(nl.gmres(A, b, { restart: 0 })).rejects.toMatchObject({ code: "invalid-size", argument: "opts.restart" });
  });
});

describe("cg: determinism", () => {
  it("bit-identical iterates for threads 1, 2, 3 and the single build", async () => {
    const A = load("lap3D_7pt_n20");
    const b = uniform(A.rows, 5);
    const ref = await nl.cg(A, b, { threads: 1, preconditioner: "jacobi" });
    const two = await nl.cg(A, b, { threads: 2, preconditioner: "jacobi" });
    const nl3 = await init({ threads: 3 });
    const single = await init({ build: "single" });
    try {
      const three = await nl3.cg(A, b, { threads: 3, preconditioner: "jacobi" });
      const one = await single.cg(A, b, { preconditioner: "jacobi" });
      for (const r of [two, three, one]) {
        expect(r.iterations).toBe(ref.iterations);
        expect(sameBits(r.x, ref.x)).toBe(true);
        expect(sameBits(r.residualHistory, ref.residualHistory)).toBe(true);
      }
    } finally {
      await nl3.close();
      await single.close();
    }
  });
});

describe("cg: bad input", () => {
  const A = DenseMatrix.from([[4, 1], [1, 3]]);
  const b = Float64Array.of(1, 2);
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ["non-square", () => nl.cg(new DenseMatrix(2, 3, new Float64Array(6)), b), "invalid-shape", "A"],
    ["non-symmetric", () => nl.cg(DenseMatrix.from([[4, 1], [0, 3]]), b), "invalid-value", "A"],
    ["NaN in A", () => nl.cg(DenseMatrix.from([[4, NaN], [NaN, 3]]), b), "invalid-value", "A"],
    ["b of the wrong length", () => nl.cg(A, Float64Array.of(1)), "invalid-shape", "b"],
    ["b not a Float64Array", () => nl.cg(A, [1, 2] as unknown as Float64Array), "invalid-type", "b"],
    ["Infinity in b", () => nl.cg(A, Float64Array.of(1, Infinity)), "invalid-value", "b"],
    ["x0 of the wrong length", () => nl.cg(A, b, { x0: new Float64Array(3) }), "invalid-shape", "opts.x0"],
    ["negative rtol", () => nl.cg(A, b, { rtol: -1 }), "invalid-value", "opts.rtol"],
    ["fractional maxIter", () => nl.cg(A, b, { maxIter: 2.5 }), "invalid-size", "opts.maxIter"],
    ["unknown preconditioner", () => nl.cg(A, b, { preconditioner: "ilu" as never }), "invalid-value", "opts.preconditioner"],
    ["SSOR with ω outside (0, 2)", () => nl.cg(A, b, { preconditioner: "ssor", omega: 2 }), "invalid-value", "opts.omega"],
    ["IC(0) on a non-positive diagonal", () => nl.cg(DenseMatrix.from([[-1, 1], [1, 3]]), b, { preconditioner: "ic0" }), "invalid-value", "A"],
    ["Jacobi on a non-positive diagonal", () => nl.cg(DenseMatrix.from([[0, 1], [1, 3]]), b, { preconditioner: "jacobi" }), "invalid-value", "A"],
  ];
  for (const [what, call, code, argument] of cases) {
    it(`${what} → NumlaneError ${code} on ${argument}`, async () => {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(NumlaneError);
      expect(err).toMatchObject({ code, argument });
    });
  }

  it("symmetry is judged right for CSR rows in any order, with duplicates", async () => {
    // [[4, 1], [1, 3]] with row 0 stored unsorted and its 1 split in two.
    const sym = new CsrMatrix(2, 2, Int32Array.of(0, 3, 5), Int32Array.of(1, 0, 1, 0, 1), Float64Array.of(0.5, 4, 0.5, 1, 3));
    const r = await nl.cg(sym, b, { rtol: 1e-14 });
    expect(r.reason).toBe("converged");
    expect(diff(r.x, [1 / 11, 7 / 11])).toBeLessThan(1e-14);
    const asym = new CsrMatrix(2, 2, Int32Array.of(0, 3, 5), Int32Array.of(1, 0, 1, 0, 1), Float64Array.of(0.5, 4, 0.7, 1, 3));
    await expect(nl.cg(asym, b)).rejects.toMatchObject({ code: "invalid-value", argument: "A" });
  });

  it("inputs are never modified", async () => {
    const S = load("gr_900_900_crg");
    const before = [S.indptr.slice(), S.indices.slice(), S.data.slice()];
    const bb = uniform(S.rows, 9), bCopy = bb.slice();
    await nl.cg(S, bb, { preconditioner: "jacobi" });
    expect(sameBits(bb, bCopy)).toBe(true);
    expect(sameBits(S.data, before[2])).toBe(true);
    expect(Array.from(S.indptr)).toEqual(Array.from(before[0]));
    expect(Array.from(S.indices)).toEqual(Array.from(before[1]));
  });
});

describe("honest results: overflow, unreachable tolerances, breakdown, b = 0", () => {
  /** b·2^e keeps b's bits: max |b_i| of A·1 on gr_900_900_crg scaled into [1, 2), so the kernels see the very same b. */
  const unitB = (A: CsrMatrix) => {
    const b = matvec(A, new Float64Array(A.rows).fill(1));
    const big = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const s = 2 ** -Math.floor(Math.log2(big));
    return b.map((v) => v * s);
  };

  it("b (and x0) beyond 2^±256 solve right, exactly 2^e times the unscaled solve; never 'converged' with a non-finite residual", async () => {
    for (const method of ["cg", "gmres"] as const) {
      // The case: 2·I, b = 1e160 (‖b‖² overflows), and 1e-170 (it underflows).
      for (const v of [1e160, 1e-170, 1.7e308]) {
        const r = await nl[method]([[2, 0], [0, 2]], Float64Array.of(v, v));
        expect(r.reason, `${method} ${v}`).toBe("converged");
        expect(diff(r.x, [v / 2, v / 2]) / v, `${method} ${v}`).toBeLessThan(1e-15);
        expect(r.residualNorm / v).toBeLessThan(1e-8);
      }
      // A solution beyond the float range (1e10 / 1e-300) is a breakdown, never "converged".
      const huge = await nl[method]([[1e-300, 0], [0, 1e-300]], Float64Array.of(1e10, 1e10));
      expect(huge.reason, `${method} x = 1e310`).toBe("breakdown");
      expect(huge.converged).toBe(false);
      const A = load("gr_900_900_crg"), b = unitB(A), x0 = uniform(A.rows, 3);
      const space = method === "gmres" ? nl.recycleSpace({ k: 4 }) : undefined;
      const ref = await nl[method](A, b, { rtol: 1e-10, x0 });
      for (const e of [600, -600, 1000, -1000]) {
        const s = 2 ** e;
        const r = await nl[method](A, b.map((v) => v * s), { rtol: 1e-10, x0: x0.map((v) => v * s) });
        expect(r.reason, `${method} 2^${e}`).toBe("converged");
        expect(r.iterations).toBe(ref.iterations);
        expect(sameBits(r.x, ref.x.map((v) => v * s)), `${method} 2^${e}: x`).toBe(true);
        expect(r.residualNorm).toBe(ref.residualNorm * s);
      }
      if (space) {
        // GCRO-DR alike: a first solve fills the space, the second deflates it.
        for (const e of [0, 700]) {
          const s = 2 ** e;
          const r = await nl.gmres(A, b.map((v) => v * s), { rtol: 1e-10, restart: 20, recycle: space });
          expect(r.reason).toBe("converged");
          expect(diff(matvec(A, r.x.map((v) => v / s)), b) / norm(b)).toBeLessThan(1e-9);
        }
      }
    }
  });

  it("rtol below what rounding allows: 'stagnated', never 'converged' above the tolerance; the true residual decides", async () => {
    let stagnated = 0;
    for (const name of MATRICES) {
      const A = load(name), b = new Float64Array(A.rows).fill(1);
      for (const [method, opts] of [["cg", {}], ["gmres", { maxIter: 2000 }], ["gmres", { maxIter: 2000, recycle: nl.recycleSpace({ k: 4 }) }]] as const) {
        for (const rtol of [1e-16, 1e-10]) {
          const r = await nl[method](A, b, { rtol, ...opts });
          const tol = rtol * norm(b);
          const truth = diff(matvec(A, r.x), b); // independent float64 residual
          const label = `${name} ${method}${"recycle" in opts ? "+recycle" : ""} rtol ${rtol}: ${r.reason} at ${truth / norm(b)}`;
          // Two evaluations of b − A·x differ by rounding, which near 1e-14·‖b‖ is a few per cent of it.
          expect(Math.abs(r.residualNorm - truth) / truth, label).toBeLessThan(0.25);
          if (rtol === 1e-10) {
            expect(r.reason, label).toBe("converged");
            expect(r.residualNorm, label).toBeLessThanOrEqual(tol);
            expect(truth, label).toBeLessThanOrEqual(tol * (1 + 1e-6));
          } else {
            // 1e-16·‖b‖ is out of reach here (the true residual stays ≥ 1e-15·‖b‖).
            expect(["stagnated", "max-iterations"], label).toContain(r.reason);
            expect(r.residualNorm, label).toBeGreaterThan(tol);
            if (r.reason === "stagnated") stagnated++;
            // What it returns is still the accurate solution rounding allows.
            expect(truth / norm(b), label).toBeLessThan(1e-11);
          }
        }
      }
    }
    // At rtol 1e-16 every one of these 9 solves used to say "converged" at a true 1e-14..8e-13.
    expect(stagnated).toBeGreaterThanOrEqual(6);
  });

  it("restarts from the true residual are bit-identical for threads 1, 2, 3 and the single build", async () => {
    const A = load("lap3D_7pt_n20"), b = uniform(A.rows, 5);
    const others = [await init({ threads: 1 }), await init({ threads: 3 }), await init({ build: "single" })];
    try {
      for (const call of [
        (c: Numlane) => c.cg(A, b, { rtol: 1e-16 }),
        (c: Numlane) => c.cg(A, b, { rtol: 1e-16, preconditioner: "jacobi" }),
        (c: Numlane) => c.gmres(A, b, { rtol: 1e-16, maxIter: 1000 }),
        (c: Numlane) => c.gmres(A, b, { rtol: 1e-16, maxIter: 1000, recycle: c.recycleSpace({ k: 4 }) }),
      ]) {
        const ref = await call(nl);
        expect(ref.reason).toBe("stagnated");
        for (const c of others) {
          const r = await call(c);
          expect(r.reason).toBe(ref.reason);
          expect(r.iterations).toBe(ref.iterations);
          expect(sameBits(r.x, ref.x)).toBe(true);
          expect(sameBits(r.residualHistory, ref.residualHistory)).toBe(true);
        }
      }
    } finally {
      for (const c of others) await c.close();
    }
  });

  it("GMRES breakdown on a defective matrix returns SciPy's least-squares iterate (finite), reported as breakdown", async () => {
    const A = [[0, 1, 0], [1, 0, 0], [0, 0, 0]], b = Float64Array.of(1, 0, 1);
    const sp = python(`
import sys, json, numpy as np, scipy.sparse.linalg as sl
A = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float); b = np.array([1.0, 0, 1])
try:
    x, info = sl.gmres(A, b, rtol=1e-8, atol=0)
except TypeError:  # SciPy < 1.12 names rtol "tol"
    x, info = sl.gmres(A, b, tol=1e-8, atol=0)
print(json.dumps({"x": x.tolist(), "info": int(info), "res": float(np.linalg.norm(b - A @ x))}))`, null);
    const runs = [
      await nl.gmres(A, b, { rtol: 1e-8 }),
      await nl.gmres(A, b, { rtol: 1e-8, restart: 3, recycle: nl.recycleSpace({ k: 1 }) }),
    ];
    for (const r of runs) {
      expect(r.x.every(Number.isFinite)).toBe(true);
      expect(r.reason).toBe("breakdown");
      expect(r.converged).toBe(false);
      // The least-squares optimum over the Krylov space: A·x = [1, 0, 0], residual e₃.
      expect(diff(r.x, [0, 1, 0])).toBeLessThan(1e-15);
      expect(Math.abs(r.residualNorm - 1)).toBeLessThan(1e-15);
      // SciPy's own check: right outside A's null space, A·A·x = A·b = [0, 1, 0].
      expect(diff([r.x[0], r.x[1], 0], [0, 1, 0])).toBeLessThan(1e-15);
      if (sp) {
        expect(sp.info).not.toBe(0);
        expect(diff(r.x, sp.x)).toBeLessThan(1e-14);
        expect(Math.abs(r.residualNorm - sp.res)).toBeLessThan(1e-14);
      }
    }
    // A singular but consistent system that breaks down is solved: converged on the true residual.
    const ok = await nl.gmres(A, Float64Array.of(1, 2, 0), { rtol: 1e-12 });
    expect(ok.reason).toBe("converged");
    expect(diff(ok.x, [2, 1, 0])).toBeLessThan(1e-14);
  });

  it("b = 0 with a nonzero x0 returns exactly x = 0 in cg, gmres and GCRO-DR (a recycle space is left as it was)", async () => {
    const A = load("gr_900_900_crg"), zero = new Float64Array(A.rows), x0 = uniform(A.rows, 11);
    const space = nl.recycleSpace({ k: 4 });
    await nl.gmres(A, uniform(A.rows, 12), { restart: 20, recycle: space });
    const vectors = space.vectors.slice();
    for (const r of [
      await nl.cg(A, zero, { x0 }),
      await nl.cg(A, zero, { x0, preconditioner: "ic0" }),
      await nl.gmres(A, zero, { x0 }),
      await nl.gmres(A, zero, { x0, restart: 20, recycle: space }),
    ]) {
      expect(r).toMatchObject({ reason: "converged", converged: true, iterations: 0, residualNorm: 0 });
      expect(sameBits(r.x, zero)).toBe(true);
    }
    expect(sameBits(space.vectors, vectors)).toBe(true);
    expect(sameBits(x0, uniform(A.rows, 11))).toBe(true);
  });
});

describe("solveSequence: every system checked before the first solve", () => {
  const good = () => ({ A: DenseMatrix.from([[4, 1], [1, 3]]), b: Float64Array.of(1, 2) });
  const cases: [string, (s: { A: unknown; b: unknown }[]) => void, object, string, string][] = [
    ["b of the wrong length", (s) => { s[1].b = Float64Array.of(1, 2, 3); }, {}, "invalid-shape", "systems[1].b"],
    ["b not a Float64Array", (s) => { s[3].b = [1, 2]; }, {}, "invalid-type", "systems[3].b"],
    ["NaN in b", (s) => { s[2].b = Float64Array.of(1, NaN); }, {}, "invalid-value", "systems[2].b"],
    ["Infinity in A", (s) => { s[3].A = DenseMatrix.from([[4, Infinity], [Infinity, 3]]); }, {}, "invalid-value", "systems[3].A"],
    ["a non-square A", (s) => { s[1].A = new DenseMatrix(2, 3, new Float64Array(6)); }, {}, "invalid-shape", "systems[1].A"],
    ["a non-symmetric A for CG", (s) => { s[2].A = DenseMatrix.from([[4, 1], [0, 3]]); }, {}, "invalid-value", "systems[2].A"],
    ["a zero diagonal under Jacobi", (s) => { s[3].A = DenseMatrix.from([[0, 1], [1, 3]]); }, { preconditioner: "jacobi" }, "invalid-value", "systems[3].A"],
    ["a zero diagonal under Jacobi, GMRES", (s) => { s[1].A = DenseMatrix.from([[0, 1], [2, 3]]); }, { method: "gmres", preconditioner: "jacobi" }, "invalid-value", "systems[1].A"],
    ["mixed sizes when recycling", (s) => { s[2] = { A: DenseMatrix.from([[2]]), b: Float64Array.of(1) }; }, { recycle: { k: 1 } }, "invalid-shape", "systems[2].A"],
    ["restart ≤ k for GCRO-DR", () => {}, { method: "gmres", recycle: { k: 2 }, restart: 2 }, "invalid-value", "opts.restart"],
    ["a negative rtol", () => {}, { rtol: -1 }, "invalid-value", "opts.rtol"],
    ["SSOR for GMRES", () => {}, { method: "gmres", preconditioner: "ssor" }, "invalid-value", "opts.preconditioner"],
  ];
  for (const [what, spoil, opts, code, argument] of cases) {
    it(`${what} → ${code} on ${argument}, nothing solved`, async () => {
      const systems = [good(), good(), good(), good()];
      spoil(systems);
      let progress = 0;
      const err = await nl.solveSequence(systems as never, { ...opts, order: "sorted", onProgress: () => { progress++; } }).catch((e) => e);
      expect(err).toBeInstanceOf(NumlaneError);
      expect(err).toMatchObject({ code, argument });
      expect(progress).toBe(0);
    });
  }
});
