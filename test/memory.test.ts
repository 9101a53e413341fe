// Memory safety at the host/wasm boundary: CSR matrices changed after
// construction (kernels index through them unchecked), and alloc/free.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { diff, matvec, norm, uniform } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => {
  nl = await init({ threads: 2 });
});
afterAll(async () => {
  await nl?.close();
});

/** The NumlaneError a call rejects with (fails the test if it resolves). */
async function rejection(p: () => Promise<unknown>): Promise<NumlaneError> {
  try {
    await p();
  } catch (e) {
    expect(e).toBeInstanceOf(NumlaneError);
    return e as NumlaneError;
  }
  throw new Error("expected a NumlaneError, the call resolved");
}

/** n×n SPD tridiagonal (4, −1) plus a far corner pair: every row has ≥ 2 entries. */
function spd(n = 8): CsrMatrix {
  const I: number[] = [], J: number[] = [], V: number[] = [];
  for (let i = 0; i < n; i++) {
    I.push(i); J.push(i); V.push(4);
    if (i > 0) { I.push(i); J.push(i - 1); V.push(-1); I.push(i - 1); J.push(i); V.push(-1); }
  }
  I.push(0, n - 1); J.push(n - 1, 0); V.push(0.5, 0.5);
  return CsrMatrix.fromCoo(n, n, I, J, V);
}

/** A tall 24×5 sparse matrix with 3 entries per row. */
function tall(): CsrMatrix {
  const r = uniform(72, 11), I: number[] = [], J: number[] = [], V: number[] = [];
  for (let i = 0; i < 24; i++) for (let t = 0; t < 3; t++) { I.push(i); J.push((i + 2 * t) % 5); V.push(r[3 * i + t] + (t === 0 ? 2 : 0)); }
  return CsrMatrix.fromCoo(24, 5, I, J, V);
}

/** spd()'s pattern with positive weights: a graph for label propagation. */
function graph(): CsrMatrix {
  const A = spd();
  return new CsrMatrix(A.rows, A.cols, A.indptr, A.indices, A.data.map(Math.abs));
}

const b8 = uniform(8, 3), b24 = uniform(24, 4);
const labels24 = Float64Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 1 : -1));

// Every public method that takes a CsrMatrix, with the argument path its matrix has.
const methods: [string, () => CsrMatrix, (nl: Numlane, A: CsrMatrix) => Promise<unknown>, string][] = [
  ["blas.spmv", spd, (nl, A) => nl.blas.spmv(A, b8), "A"],
  ["blas.spmv (trans)", spd, (nl, A) => nl.blas.spmv(A, b8, { trans: true }), "A"],
  ["blas.gemv", spd, (nl, A) => nl.blas.gemv(A, b8), "A"],
  ["cg", spd, (nl, A) => nl.cg(A, b8), "A"],
  ["cg (ic0)", spd, (nl, A) => nl.cg(A, b8, { preconditioner: "ic0" }), "A"],
  ["gmres", spd, (nl, A) => nl.gmres(A, b8), "A"],
  ["gmres (recycled)", spd, (nl, A) => nl.gmres(A, b8, { restart: 4, recycle: nl.recycleSpace({ k: 2 }) }), "A"],
  ["solveSequence", spd, (nl, A) => nl.solveSequence([{ A: spd(), b: b8 }, { A, b: b8 }]), "systems[1].A"],
  ["lstsq", tall, (nl, A) => nl.lstsq(A, b24), "A"],
  ["qr", tall, (nl, A) => nl.qr(A), "A"],
  ["sketch", tall, (nl, A) => nl.sketch(A, { size: 12 }), "A"],
  ["leverageScores", tall, (nl, A) => nl.leverageScores(A), "A"],
  ["lasso", tall, (nl, A) => nl.lasso(A, b24, { lambda: 0.01 }), "A"],
  ["lassoPath", tall, (nl, A) => nl.lassoPath(A, b24), "A"],
  ["logisticRegression", tall, (nl, A) => nl.logisticRegression(A, labels24), "A"],
  ["bcd least-squares", tall, (nl, A) => nl.bcd({ loss: "least-squares", A, b: b24 }), "problem.A"],
  ["bcd label-propagation", graph, (nl, W) => nl.bcd({ loss: "label-propagation", W, labels: b8, labelled: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 1) }), "problem.W"],
];

// Each mutation and the part of the matrix it breaks.
const mutations: [string, (A: CsrMatrix) => void, string][] = [
  ["indices[1] = −1", (A) => { A.indices[1] = -1; }, "indices"],
  ["indices[1] = cols", (A) => { A.indices[1] = A.cols; }, "indices"],
  ["indices[last] = 2^31 − 1", (A) => { A.indices[A.indices.length - 1] = 2 ** 31 - 1; }, "indices"],
  ["indptr decreasing", (A) => { A.indptr[1] = A.indptr[2] + 1; }, "indptr"],
  ["indptr[0] ≠ 0", (A) => { A.indptr[0] = -1; }, "indptr"],
];

describe("CSR matrices changed after construction are refused before any kernel reads them", () => {
  for (const [method, make, call, arg] of methods) {
    it(method, async () => {
      // Valid first (so a refusal below is the mutation's doing).
      await call(nl, make());
      for (const [what, mutate, part] of mutations) {
        const A = make();
        mutate(A);
        const before = [A.indptr.slice(), A.indices.slice(), A.data.slice()];
        const e = await rejection(() => call(nl, A));
        expect(e.code, `${method}: ${what}`).toBe("invalid-value");
        expect(e.argument, `${method}: ${what}`).toBe(`${arg}.${part}`);
        expect([A.indptr, A.indices, A.data], "inputs unchanged").toEqual(before);
      }
    });
  }

  it("a nonzero count that disagrees with indptr, and swapped-out arrays, are refused too", async () => {
    const A = spd();
    (A as { indices: Int32Array }).indices = A.indices.subarray(1);
    expect((await rejection(() => nl.blas.spmv(A, b8))).argument).toBe("A.indices");
    const B = spd();
    (B as { indices: unknown }).indices = new Float64Array(B.indices);
    expect(await rejection(() => nl.cg(B, b8))).toMatchObject({ code: "invalid-type", argument: "A.indices" });
    const C = spd();
    (C as { rows: number }).rows = 9;
    expect(await rejection(() => nl.gmres(C, b8))).toMatchObject({ code: "invalid-shape", argument: "A.indptr" });
    const D = new DenseMatrix(2, 2, new Float64Array(4));
    (D as { data: Float64Array }).data = new Float64Array(1);
    expect(await rejection(() => nl.blas.gemv(D, new Float64Array(2)))).toMatchObject({ code: "invalid-shape", argument: "A.data" });
  });

  it("a matrix changed while its call waits is caught when it enters wasm memory", async () => {
    for (const call of [(A: CsrMatrix) => nl.blas.spmv(A, b8), (A: CsrMatrix) => nl.cg(A, b8), (A: CsrMatrix) => nl.gmres(A, b8)]) {
      const A = spd();
      const pending = call(A);   // checked on entry, copied in after an await
      A.indices[3] = 1e6;
      const e = await rejection(() => pending);
      expect([e.code, e.argument]).toEqual(["invalid-value", "A.indices"]);
    }
  });

  it("transpose() reflects the matrix as it is now (no stale cache)", async () => {
    const A = spd();
    const before = await nl.blas.spmv(A, b8, { trans: true });
    expect(diff(before, matvec(A.transpose(), b8))).toBeLessThan(1e-14 * norm(before));
    A.data[1] = 100;
    const after = await nl.blas.spmv(A, b8, { trans: true });
    expect(diff(after, matvec(A.transpose(), b8))).toBeLessThan(1e-14 * norm(after));
    expect(diff(after, before)).toBeGreaterThan(1);
  });

  it("the context still answers right afterwards", async () => {
    const A = spd(300);
    const x = uniform(300, 9);
    const y = await nl.blas.spmv(A, x);
    expect(diff(y, matvec(A, x))).toBeLessThan(1e-14 * norm(y));
  });
});
