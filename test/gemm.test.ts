// Level-3 BLAS (nl.blas.gemm, syrk, trsm) against plain float64 references and
// SciPy: tile-boundary sizes (the micro-kernel is 4×4, the cache blocks
// 128×256×1024), every transpose and layout, alpha/beta, bit-identical for
// any thread count and both builds; bad input refused before any kernel runs.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, DenseMatrix, NumlaneError, type Numlane } from "../dist/index.js";
import * as K from "../src/generated/kernels.js";
import { python, sameBits, uniform } from "./helpers.js";

let nl: Numlane;         // 2 threads
let contexts: Numlane[]; // threads 1, 2, 3 and the single build
beforeAll(async () => {
  nl = await init({ threads: 2 });
  contexts = [await init({ threads: 1 }), nl, await init({ threads: 3 }), await init({ build: "single" })];
});
afterAll(async () => {
  for (const c of contexts) await c.close();
});

type Layout = "row-major" | "column-major";
/** A rows×cols matrix of uniform entries in the given layout. */
function matrix(rows: number, cols: number, seed: number, layout: Layout = "row-major"): DenseMatrix {
  return new DenseMatrix(rows, cols, uniform(rows * cols, seed), layout);
}
const at = (M: DenseMatrix, i: number, j: number) => M.get(i, j);

/**
 * Plain float64 alpha·op(A)·op(B) + beta·C with, per entry, the bound
 * 2·k·eps·(|alpha|·Σ|a||b| + |beta·c|) a correct summation meets.
 */
function reference(A: DenseMatrix, B: DenseMatrix, transA: boolean, transB: boolean, alpha: number, beta: number, C?: DenseMatrix) {
  const m = transA ? A.cols : A.rows, k = transA ? A.rows : A.cols, n = transB ? B.rows : B.cols;
  const value = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0, mag = 0;
    for (let p = 0; p < k; p++) {
      const t = (transA ? at(A, p, i) : at(A, i, p)) * (transB ? at(B, j, p) : at(B, p, j));
      s += t; mag += Math.abs(t);
    }
    const c = C && beta !== 0 ? beta * at(C, i, j) : 0;
    value[i * n + j] = alpha * s + c;
    bound[i * n + j] = 2 * (k + 2) * Number.EPSILON * (Math.abs(alpha) * mag + Math.abs(c)) + 1e-300;
  }
  return { m, n, value, bound };
}

function expectClose(C: DenseMatrix, ref: { m: number; n: number; value: Float64Array; bound: Float64Array }) {
  expect([C.rows, C.cols]).toEqual([ref.m, ref.n]);
  let worst = 0;
  for (let i = 0; i < ref.m; i++) for (let j = 0; j < ref.n; j++) {
    worst = Math.max(worst, Math.abs(C.get(i, j) - ref.value[i * ref.n + j]) / ref.bound[i * ref.n + j]);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

describe("gemm", () => {
  it("matches a plain reference at tile-boundary sizes", async () => {
    const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];
    let seed = 1;
    for (const m of sizes) for (const n of [1, 3, 4, 5, 16, 17]) for (const k of [1, 2, 5, 17]) {
      const A = matrix(m, k, seed++), B = matrix(k, n, seed++);
      expectClose(await nl.blas.gemm(A, B), reference(A, B, false, false, 1, 0));
    }
    for (const [m, n, k] of [[63, 64, 65], [127, 129, 128], [129, 127, 257], [65, 1030, 9], [131, 5, 513], [257, 63, 255]]) {
      const A = matrix(m, k, seed++), B = matrix(k, n, seed++);
      expectClose(await nl.blas.gemm(A, B), reference(A, B, false, false, 1, 0));
    }
  });

  it("every transpose and layout of A, B and C, with alpha and beta", async () => {
    const [m, n, k] = [67, 33, 130];
    let seed = 100;
    for (const transA of [false, true]) for (const transB of [false, true])
      for (const la of ["row-major", "column-major"] as Layout[]) for (const lb of ["row-major", "column-major"] as Layout[])
        for (const lc of ["row-major", "column-major"] as Layout[]) {
          const A = transA ? matrix(k, m, seed++, la) : matrix(m, k, seed++, la);
          const B = transB ? matrix(n, k, seed++, lb) : matrix(k, n, seed++, lb);
          const C = matrix(m, n, seed++, lc);
          const before = Float64Array.from(C.data);
          const R = await nl.blas.gemm(A, B, { transA, transB, alpha: -1.5, beta: 0.75, C });
          expect(R.layout).toBe(lc);
          expect(sameBits(C.data, before)).toBe(true); // C itself is not modified without inPlace
          expectClose(R, reference(A, B, transA, transB, -1.5, 0.75, C));
        }
  });

  it("beta = 0 does not read C (NaN there stays out); inPlace writes into C; k = 0 scales C", async () => {
    const A = matrix(9, 7, 1), B = matrix(7, 6, 2);
    const C = new DenseMatrix(9, 6, new Float64Array(54).fill(NaN));
    const R = await nl.blas.gemm(A, B, { C, beta: 0 });
    expectClose(R, reference(A, B, false, false, 1, 0));
    const D = matrix(9, 6, 3, "column-major");
    const ref = reference(A, B, false, false, 2, -1, D);
    const out = await nl.blas.gemm(A, B, { C: D, alpha: 2, beta: -1, inPlace: true });
    expect(out.data).toBe(D.data);
    expectClose(D, ref);
    const E = matrix(4, 3, 4);
    const Z = await nl.blas.gemm(new DenseMatrix(4, 0, new Float64Array(0)), new DenseMatrix(0, 3, new Float64Array(0)), { C: E, beta: 3 });
    expect(Array.from(Z.data)).toEqual(Array.from(E.data, (v) => 3 * v));
    expect(await nl.blas.gemm([[1, 2]], [[3], [4]])).toMatchObject({ rows: 1, cols: 1, data: new Float64Array([11]) });
  });

  it("same bits for threads 1, 2, 3 and the single build", async () => {
    for (const [m, n, k, transA, transB] of [[129, 131, 257, false, false], [300, 1030, 40, true, false], [70, 90, 600, false, true]] as const) {
      const A = transA ? matrix(k, m, 7, "column-major") : matrix(m, k, 7), B = transB ? matrix(n, k, 8) : matrix(k, n, 8);
      const C = matrix(m, n, 9);
      const results = [];
      for (const c of contexts) results.push(await c.blas.gemm(A, B, { transA, transB, alpha: 0.5, beta: 2, C, threads: c.info.threads }));
      for (const r of results.slice(1)) expect(sameBits(r.data, results[0].data)).toBe(true);
      expectClose(results[0], reference(A, B, transA, transB, 0.5, 2, C));
    }
  });

  it("sizes the level-3 workspaces by the kernels' own functions", async () => {
    // GEMM_WORK f64 a thread (assembly/blas/gemm.ts); syrk's band (4·n f64, on whole lines) first.
    const perThread = 8 * (128 * 256 + 256 * 1024 + 4 * 4);
    expect(nl.engine.workspace(K.gemm_f64, {}, 3)).toBe(3 * perThread);
    expect(nl.engine.workspace(K.trsm_f64, {}, 2)).toBe(2 * perThread);
    expect(nl.engine.workspace(K.syrk_f64, { n: 5 }, 2)).toBe(192 + 2 * perThread);
  });

  it("refuses bad input with the argument named", async () => {
    const A = matrix(3, 4, 1), B = matrix(4, 2, 2);
    const cases: [() => Promise<unknown>, string, string][] = [
      [() => nl.blas.gemm(A, matrix(3, 2, 3)), "invalid-shape", "B"],
      [() => nl.blas.gemm(A, B, { transA: true }), "invalid-shape", "B"],
      [() => nl.blas.gemm(A, B, { C: matrix(3, 3, 4) }), "invalid-shape", "opts.C"],
      [() => nl.blas.gemm(A, B, { C: [[1, 2]] as never }), "invalid-type", "opts.C"],
      [() => nl.blas.gemm(A, B, { inPlace: true }), "invalid-value", "opts.inPlace"],
      [() => nl.blas.gemm(new Float64Array(12) as never, B), "invalid-type", "A"],
      [() => nl.blas.gemm(A, "B" as never), "invalid-type", "B"],
      [() => nl.blas.gemm(A, B, { alpha: "2" as never }), "invalid-type", "opts.alpha"],
      [() => nl.blas.gemm(A, B, { transB: 1 as never }), "invalid-type", "opts.transB"],
      [() => nl.blas.gemm(A, B, { transpose: true } as never), "invalid-value", "opts.transpose"],
      [() => nl.blas.gemm([[1, 2], [3]], B), "invalid-shape", "A"],
    ];
    for (const [call, code, argument] of cases) {
      const e = await call().then(() => undefined, (err) => err);
      expect(e, `${code} ${argument}`).toBeInstanceOf(NumlaneError);
      expect({ code: e.code, argument: e.argument }).toEqual({ code, argument });
    }
  });
});

const PY_SYRK_TRSM = `
import json, sys, numpy as np, scipy.linalg as sl
q = json.load(sys.stdin); out = []
for c in q:
    if c["op"] == "syrk":
        A = np.array(c["A"]).reshape(c["rows"], c["cols"]); C = np.array(c["C"]).reshape(c["n"], c["n"])
        S = c["alpha"] * (A.T @ A if c["trans"] else A @ A.T) + c["beta"] * C
        out.append((np.tril(S) if c["lower"] else np.triu(S)).ravel().tolist())
    else:
        T = np.array(c["T"]).reshape(c["n"], c["n"]); B = np.array(c["B"]).reshape(c["n"], c["r"])
        X = sl.solve_triangular(T, c["alpha"] * B, lower=c["lower"], trans=1 if c["trans"] else 0, unit_diagonal=c["unit"])
        out.append(X.ravel().tolist())
print(json.dumps(out))
`;

/** Row-major entries of a DenseMatrix, whatever its layout. */
const rowMajor = (M: DenseMatrix) => Array.from({ length: M.rows * M.cols }, (_, e) => M.get(Math.floor(e / M.cols), e % M.cols));

describe("syrk and trsm against NumPy / SciPy", () => {
  it("syrk: both triangles, transposes and layouts, alpha/beta, at tile boundaries; the other triangle untouched", async () => {
    const cases: { A: DenseMatrix; C: DenseMatrix; trans: boolean; lower: boolean }[] = [];
    let seed = 500;
    for (const [n, k] of [[1, 1], [3, 5], [4, 4], [5, 17], [17, 3], [65, 130], [130, 257]])
      for (const trans of [false, true]) for (const lower of [false, true]) {
        const layout: Layout = seed % 2 ? "row-major" : "column-major";
        cases.push({ A: trans ? matrix(k, n, seed++, layout) : matrix(n, k, seed++, layout), C: matrix(n, n, seed++, seed % 3 ? "row-major" : "column-major"), trans, lower });
      }
    const ref = python(PY_SYRK_TRSM, cases.map(({ A, C, trans, lower }) => ({
      op: "syrk", A: rowMajor(A), rows: A.rows, cols: A.cols, C: rowMajor(C), n: C.rows, trans, lower, alpha: 1.25, beta: -0.5,
    })));
    if (!ref) return;
    for (const [c, { A, C, trans, lower }] of cases.entries()) {
      const S = await nl.blas.syrk(A, { trans, uplo: lower ? "lower" : "upper", alpha: 1.25, beta: -0.5, C });
      const n = C.rows, got = rowMajor(S), k = trans ? A.rows : A.cols;
      // |entries| ≤ 1: each sum's error is within (k + 2)·eps·(1.25·k + 0.5), doubled for NumPy's own.
      const bound = 2 * (k + 2) * Number.EPSILON * (1.25 * k + 0.5);
      let worst = 0, otherChanged = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        if (lower ? i >= j : i <= j) worst = Math.max(worst, Math.abs(got[i * n + j] - ref[c][i * n + j]));
        else if (!Object.is(got[i * n + j], C.get(i, j))) otherChanged++; // BLAS leaves the other triangle alone
      }
      expect(worst, `case ${c}`).toBeLessThanOrEqual(bound);
      expect(otherChanged, `case ${c}`).toBe(0);
    }
  });

  it("trsm: lower/upper, transposed, unit diagonal, layouts, many right-hand sides, against scipy.linalg.solve_triangular", async () => {
    const cases: { T: DenseMatrix; B: DenseMatrix; lower: boolean; trans: boolean; unit: boolean }[] = [];
    let seed = 900;
    for (const [n, r] of [[1, 1], [5, 3], [17, 9], [129, 33], [300, 70]])
      for (const lower of [false, true]) for (const trans of [false, true]) {
        const T = matrix(n, n, seed++, seed % 2 ? "row-major" : "column-major");
        // Well conditioned: a dominant diagonal (the other triangle stays random and must not be read).
        for (let i = 0; i < n; i++) T.data[i * n + i] = (seed % 2 ? 1 : -1) * (n + 1 + (i % 3));
        cases.push({ T, B: matrix(n, r, seed++, seed % 3 ? "row-major" : "column-major"), lower, trans, unit: n === 17 });
      }
    const ref = python(PY_SYRK_TRSM, cases.map(({ T, B, lower, trans, unit }) => ({
      op: "trsm", T: rowMajor(T), n: T.rows, B: rowMajor(B), r: B.cols, lower, trans, unit, alpha: -2,
    })));
    if (!ref) return;
    for (const [c, { T, B, lower, trans, unit }] of cases.entries()) {
      const before = Float64Array.from(B.data);
      const X = await nl.blas.trsm(T, B, { uplo: lower ? "lower" : "upper", trans, unitDiagonal: unit, alpha: -2 });
      expect(sameBits(B.data, before)).toBe(true);
      expect(X.layout).toBe(B.layout);
      const got = rowMajor(X), scale = Math.max(...ref[c].map(Math.abs));
      let worst = 0;
      for (let e = 0; e < got.length; e++) worst = Math.max(worst, Math.abs(got[e] - ref[c][e]));
      // Unit-diagonal systems from random triangles grow (cond ~ 2^n): relative to the solution's size.
      expect(worst / scale, `case ${c}`).toBeLessThan(unit ? 1e-10 : 1e-13);
    }
    // inPlace writes X into B.
    const { T, B } = cases[cases.length - 1];
    const B2 = new DenseMatrix(B.rows, B.cols, Float64Array.from(B.data), B.layout);
    const X = await nl.blas.trsm(T, B2, { inPlace: true });
    expect(X).toBe(B2);
  });

  it("syrk and trsm give the same bits for threads 1, 2, 3 and the single build", async () => {
    const A = matrix(150, 300, 31, "column-major"), T = matrix(260, 260, 32), B = matrix(260, 45, 33, "column-major");
    for (let i = 0; i < 260; i++) T.data[i * 260 + i] = 300;
    const syrks = [], trsms = [];
    for (const c of contexts) {
      syrks.push(await c.blas.syrk(A, { trans: true, alpha: 0.5, threads: c.info.threads }));
      trsms.push(await c.blas.trsm(T, B, { uplo: "upper", threads: c.info.threads }));
    }
    for (let i = 1; i < contexts.length; i++) {
      expect(sameBits(syrks[i].data, syrks[0].data)).toBe(true);
      expect(sameBits(trsms[i].data, trsms[0].data)).toBe(true);
    }
  });

  it("syrk and trsm refuse bad input with the argument named", async () => {
    const A = matrix(3, 4, 1), T = matrix(3, 3, 2), B = matrix(3, 2, 3);
    const cases: [() => Promise<unknown>, string, string][] = [
      [() => nl.blas.syrk(A, { uplo: "both" as never }), "invalid-value", "opts.uplo"],
      [() => nl.blas.syrk(A, { C: matrix(4, 4, 5) }), "invalid-shape", "opts.C"],
      [() => nl.blas.syrk(A, { lower: true } as never), "invalid-value", "opts.lower"],
      [() => nl.blas.trsm(A, B), "invalid-shape", "T"],
      [() => nl.blas.trsm(T, matrix(4, 2, 4)), "invalid-shape", "B"],
      [() => nl.blas.trsm(new DenseMatrix(2, 2, new Float64Array([1, 0, 0, 0])), matrix(2, 2, 5)), "invalid-value", "T"],
      [() => nl.blas.trsm(T, [[1], [2], [3]], { inPlace: true }), "invalid-value", "opts.inPlace"],
      [() => nl.blas.trsm(T, B, { unitDiagonal: "yes" as never }), "invalid-type", "opts.unitDiagonal"],
    ];
    for (const [call, code, argument] of cases) {
      const e = await call().then(() => undefined, (err) => err);
      expect(e, `${code} ${argument}`).toBeInstanceOf(NumlaneError);
      expect({ code: e.code, argument: e.argument }).toEqual({ code, argument });
    }
    // A singular T with unitDiagonal is fine: its diagonal is not read.
    await expect(nl.blas.trsm(new DenseMatrix(2, 2, new Float64Array([0, 0, 1, 0])), matrix(2, 1, 6), { unitDiagonal: true })).resolves.toBeInstanceOf(DenseMatrix);
  });
});
