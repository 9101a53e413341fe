// Coarse spaces (`coarse`): CG's deflation and GMRES/GCRO-DR's two-level
// preconditioner. Answers against a direct solve by SciPy, the iterations
// they save (Darcy; convection–diffusion and Helmholtz), the same bits for
// any thread count and for a plan reused across a sequence, the fallbacks
// when E = ZᵀAZ cannot be factored, and bad options.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { matvec, norm, python, sameBits } from "./helpers.js";

let nl: Numlane, nl1: Numlane;
beforeAll(async () => { [nl, nl1] = await Promise.all([init({ threads: 2 }), init({ threads: 1 })]); });
afterAll(async () => { await Promise.all([nl.close(), nl1.close()]); });

const relResidual = (A: CsrMatrix, b: Float64Array, x: Float64Array) => norm(Array.from(matvec(A, x), (v, i) => b[i] - v)) / norm(b);

/** x = A⁻¹·b by SciPy's sparse direct solver. */
function direct(A: CsrMatrix, b: Float64Array): Float64Array {
  const x = python(`
import sys, json, numpy as np, scipy.sparse as sp, scipy.sparse.linalg as sl
d = json.load(sys.stdin)
A = sp.csr_matrix((d["data"], d["indices"], d["indptr"]), shape=(d["n"], d["n"]))
print(json.dumps(sl.spsolve(A.tocsc(), np.array(d["b"])).tolist()))
`, { n: A.rows, data: Array.from(A.data), indices: Array.from(A.indices), indptr: Array.from(A.indptr), b: Array.from(b) });
  return Float64Array.from(x);
}

/** A coarse-space solve's result: converged with the space used, rtol met (recomputed), close to the direct solve, in under `fewer` × the baseline's steps. */
function expectCoarseAnswer(A: CsrMatrix, b: Float64Array, r: { converged: boolean; coarse?: unknown; x: Float64Array; iterations: number }, baseline: number, rtol: number, close: number, fewer: number) {
  expect(r.converged).toBe(true);
  expect(r.coarse).toEqual({ aggregates: expect.any(Number), used: true });
  expect(relResidual(A, b, r.x)).toBeLessThanOrEqual(rtol);
  const exact = direct(A, b);
  expect(norm(Array.from(r.x, (v, i) => v - exact[i])) / norm(exact)).toBeLessThan(close);
  expect(r.iterations).toBeLessThan(fewer * baseline);
}

describe("coarse deflation", () => {
  it("solves lognormal Darcy systems to the tolerance, equal to a direct solve, in far fewer iterations than Jacobi PCG", async () => {
    const { systems } = nl.problems.darcy({ grid: 48, count: 3, seed: 4 });
    for (const { A, b } of systems) {
      const plain = await nl.cg(A, b, { preconditioner: "jacobi", rtol: 1e-10 });
      const r = await nl.cg(A, b, { preconditioner: "jacobi", rtol: 1e-10, coarse: true });
      // About 5× fewer on these systems; plain Jacobi PCG needs ~170.
      expectCoarseAnswer(A as CsrMatrix, b, r, plain.iterations, 1e-10, 1e-8, 0.35);
    }
  });

  it("with one unknown per aggregate is a direct solve: Z = I, so x₀ = A⁻¹b and CG has nothing left to do", async () => {
    const { systems } = nl.problems.poisson({ grid: 12, count: 1 });
    const { A, b } = systems[0];
    const r = await nl.cg(A, b, { coarse: { aggregateSize: 1 }, rtol: 1e-12 });
    expect(r.coarse).toEqual({ aggregates: 144, used: true });
    expect(r.iterations).toBeLessThanOrEqual(1);
    expect(relResidual(A as CsrMatrix, b, r.x)).toBeLessThanOrEqual(1e-12);
  });

  it("gives the same bits on 1 and 2 threads, and solveSequence's shared plan the bits of solving each system alone", async () => {
    const { systems } = nl.problems.darcy({ grid: 40, count: 4, seed: 8 });
    const opts = { preconditioner: "jacobi" as const, rtol: 1e-9, coarse: { aggregateSize: 16 } };
    const seq2 = await nl.solveSequence(systems, { ...opts, order: "given" });
    const seq1 = await nl1.solveSequence(systems, { ...opts, order: "given" });
    for (let i = 0; i < systems.length; i++) {
      expect(sameBits(seq1.solutions[i], seq2.solutions[i])).toBe(true);
      const alone = await nl.cg(systems[i].A, systems[i].b, opts);
      expect(sameBits(alone.x, seq2.solutions[i])).toBe(true);
      expect(relResidual(systems[i].A as CsrMatrix, systems[i].b, seq2.solutions[i])).toBeLessThanOrEqual(1e-9);
    }
    expect(seq2.reasons.every((r) => r === "converged")).toBe(true);
  });

  it("falls back to plain CG, and says so, when E = ZᵀAZ is not positive definite", async () => {
    // A symmetric indefinite matrix: each aggregate's E entry sums to ≤ 0.
    const n = 40, I: number[] = [], J: number[] = [], V: number[] = [];
    for (let i = 0; i < n; i++) {
      I.push(i); J.push(i); V.push(1);
      if (i + 1 < n) { I.push(i, i + 1); J.push(i + 1, i); V.push(-1, -1); }
    }
    const A = CsrMatrix.fromCoo(n, n, I, J, V), b = new Float64Array(n).fill(1);
    const r = await nl.cg(A, b, { coarse: { aggregateSize: 8 }, maxIter: 200 });
    expect(r.coarse).toEqual({ aggregates: 5, used: false });
    if (r.converged) expect(relResidual(A, b, r.x)).toBeLessThanOrEqual(1e-8);
    else expect(["indefinite", "breakdown", "max-iterations", "stagnated"]).toContain(r.reason);
  });

  it("refuses bad options before solving", async () => {
    const { systems } = nl.problems.poisson({ grid: 6, count: 2 });
    const { A, b } = systems[0];
    const code = async (p: Promise<unknown>) => { try { await p; } catch (e) { expect(e).toBeInstanceOf(NumlaneError); return [(e as NumlaneError).code, (e as NumlaneError).argument]; } return "no error"; };
    expect(await code(nl.cg(A, b, { coarse: { aggregateSize: 0 } }))).toEqual(["invalid-size", "opts.coarse.aggregateSize"]);
    expect(await code(nl.cg(A, b, { coarse: { aggregateSize: 2.5 } }))).toEqual(["invalid-size", "opts.coarse.aggregateSize"]);
    expect(await code(nl.cg(A, b, { coarse: { size: 4 } as never }))).toEqual(["invalid-value", "opts.coarse.size"]);
    expect(await code(nl.cg(A, b, { coarse: true, recycle: nl.recycleSpace({ k: 2 }) }))).toEqual(["invalid-value", "opts.coarse"]);
    expect(await code(nl.solveSequence(systems, { coarse: true, recycle: { k: 2 } }))).toEqual(["invalid-value", "opts.coarse"]);
    expect(await code(nl.solveSequence(systems, { coarse: true, method: "gmres", preconditioner: "none" }))).toEqual(["invalid-value", "opts.preconditioner"]);
    expect(await code(nl.gmres(A, b, { coarse: true, preconditioner: "none" }))).toEqual(["invalid-value", "opts.preconditioner"]);
    expect(await code(nl.gmres(A, b, { coarse: { aggregateSize: -1 } }))).toEqual(["invalid-size", "opts.coarse.aggregateSize"]);
  });
});

describe("two-level GMRES and GCRO-DR", () => {
  for (const [name, make] of [
    ["convection–diffusion", () => nl.problems.convectionDiffusion({ grid: 32, count: 3, seed: 3 })],
    ["Helmholtz", () => nl.problems.helmholtz({ grid: 32, count: 3, seed: 3 })],
  ] as const) {
    it(`${name}: GMRES(30) with the coarse correction meets the tolerance, equals a direct solve, in far fewer steps than with Jacobi alone`, async () => {
      for (const { A, b } of make().systems) {
        const jacobi = await nl.gmres(A, b, { restart: 30, preconditioner: "jacobi", rtol: 1e-10, maxIter: 20000 });
        const r = await nl.gmres(A, b, { restart: 30, rtol: 1e-10, coarse: true });
        expectCoarseAnswer(A as CsrMatrix, b, r, jacobi.iterations, 1e-10, 1e-6, 0.5);
      }
    });
  }

  it("GCRO-DR with the coarse correction: every answer meets the tolerance, the same bits on 1 and 2 threads", async () => {
    const { systems } = nl.problems.helmholtz({ grid: 28, count: 4, seed: 6 });
    const opts = { method: "gmres" as const, restart: 20, recycle: { k: 5, deflate: "always" as const }, coarse: true, rtol: 1e-9 };
    const [two, one] = [await nl.solveSequence(systems, opts), await nl1.solveSequence(systems, opts)];
    for (let i = 0; i < systems.length; i++) {
      expect(two.reasons[i]).toBe("converged");
      expect(relResidual(systems[i].A as CsrMatrix, systems[i].b, two.solutions[i])).toBeLessThanOrEqual(1e-9);
      expect(sameBits(one.solutions[i], two.solutions[i])).toBe(true);
    }
  });
});
