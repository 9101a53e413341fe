// nl.bcd on wide and sparse least-squares problems: a CsrMatrix design kept
// sparse (against scikit-learn's Lasso on the same CSR, and against the same
// matrix given dense), more columns than the Gram cache holds (columns evicted
// and recomputed), bit-identity across thread counts, and a problem too big
// for wasm memory refused before anything is allocated.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, init, NumlaneError, type BcdOptions, type Numlane } from "../dist/index.js";
import { lassoLambdaMax, rng, sameBits, sklearnLassoCsr } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

/** A seeded sparse n×p design (each entry kept with probability `density`, columns scaled unevenly) and a target from a sparse truth. */
function sparseProblem(n: number, p: number, density: number, seed: number): { A: CsrMatrix; b: Float64Array } {
  const u = rng(seed);
  const scale = Float64Array.from({ length: p }, () => 0.2 + 3 * u());
  const i: number[] = [], j: number[] = [], v: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < p; c++) if (u() < density) { i.push(r); j.push(c); v.push((u() - 0.3) * scale[c]); }
  const A = CsrMatrix.fromCoo(n, p, i, j, v);
  const w = Float64Array.from({ length: p }, () => (u() < 0.05 ? u() * 4 - 2 : 0));
  const b = Float64Array.from({ length: n }, () => 0.1 * (u() - 0.5));
  for (let r = 0; r < n; r++) for (let k = A.indptr[r]; k < A.indptr[r + 1]; k++) b[r] += A.data[k] * w[A.indices[k]];
  return { A, b };
}



function expectOptimum(x: Float64Array, objective: number, ref: { w: number[]; obj: number }, what: string): void {
  expect(Math.abs(objective - ref.obj) / Math.abs(ref.obj), `${what}: objective`).toBeLessThan(1e-9);
  const scale = Math.max(...ref.w.map(Math.abs));
  for (let j = 0; j < ref.w.length; j++) expect(Math.abs(x[j] - ref.w[j]) / scale, `${what} [${j}]`).toBeLessThan(1e-5);
}

const SETTINGS: BcdOptions[] = [
  { rule: "cyclic" },
  { partition: "order", blockSize: 1, rule: "gs" },
  { partition: "order", blockSize: 4, rule: "gsq" },
  { partition: "order", blockSize: 5, rule: "gsl", update: "lipschitz" },
  { partition: "variable", blockSize: 5, rule: "gsl" },
  { partition: "variable", blockSize: 8, rule: "gsd", update: "line-search" },
  { partition: "variable", blockSize: 4, rule: "gsd", activeSet: true },
];
const label = (o: BcdOptions) => `${o.partition ?? "order"}/${o.blockSize ?? 1} ${o.rule} ${o.update ?? "newton"}${o.activeSet ? " activeSet" : ""}`;

describe("bcd: sparse and wide least squares", () => {
  it("a CsrMatrix design (80×1500, 4 % nonzero) is solved sparse: scikit-learn's Lasso optimum, the dense matrix's answer, the same bits on 1 and 2 threads", async () => {
    const { A, b } = sparseProblem(80, 1500, 0.04, 11);
    const l1 = 0.1 * lassoLambdaMax(A, b);
    const ref = sklearnLassoCsr(A, b, l1);
    const problem = { loss: "least-squares" as const, A, b, penalty: { l1 } };
    for (const o of SETTINGS) {
      const r = await nl.bcd(problem, { ...o, tol: 1e-9, maxIter: 10_000_000 });
      expect(r.reason, label(o)).toBe("converged");
      if (ref) expectOptimum(r.x, r.objective, ref, label(o));
      const one = await nl.bcd(problem, { ...o, tol: 1e-9, maxIter: 10_000_000, threads: 1 });
      expect(sameBits(one.x, r.x), `${label(o)}: 1 and 2 threads`).toBe(true);
    }
    // The same matrix dense: the same optimum (its G columns are dots, not scatters: not the same bits).
    const dense = await nl.bcd({ ...problem, A: A.toDense() }, { partition: "variable", blockSize: 5, rule: "gsl", tol: 1e-9, maxIter: 10_000_000 });
    const sparse = await nl.bcd(problem, { partition: "variable", blockSize: 5, rule: "gsl", tol: 1e-9, maxIter: 10_000_000 });
    expect(Math.abs(dense.objective - sparse.objective) / sparse.objective).toBeLessThan(1e-12);
  }, 120_000);

  it("more columns than the Gram cache holds (40×7000: cyclic sweeps evict and recompute columns) reach scikit-learn's optimum", async () => {
    const { A, b } = sparseProblem(40, 7000, 0.02, 5);
    const l1 = 0.3 * lassoLambdaMax(A, b);
    const ref = sklearnLassoCsr(A, b, l1);
    for (const o of [{ rule: "cyclic" }, { partition: "variable", blockSize: 3, rule: "gsd", activeSet: true }] as BcdOptions[]) {
      const r = await nl.bcd({ loss: "least-squares", A, b, penalty: { l1 } }, { ...o, tol: 1e-9, maxIter: 10_000_000 });
      expect(r.reason, label(o)).toBe("converged");
      if (ref) expectOptimum(r.x, r.objective, ref, label(o));
    }
  }, 120_000);

  it("a problem too big for wasm memory is refused (out-of-memory) before anything that size is allocated", async () => {
    const p = 2 ** 27;
    const A = new CsrMatrix(2, p, Int32Array.of(0, 1, 2), Int32Array.of(0, p - 1), Float64Array.of(1, 2));
    const err = await nl.bcd({ loss: "least-squares", A, b: Float64Array.of(1, 1) }, { rule: "gs" }).catch((e) => e);
    expect(err).toBeInstanceOf(NumlaneError);
    expect((err as NumlaneError).code).toBe("out-of-memory");
    expect((err as NumlaneError).argument).toBe("problem.A");
  });
});
