// nl.bcd's workingSet (the lasso by greedy working sets, celer / skglm form):
// the optimum against scikit-learn's Lasso on the same CSR at two penalties
// and for each greedy rule, the duality gap recomputed here from the returned
// x (converged only when it meets tol), a dense design, warm starts, the
// iteration limit, bit-identity across thread counts, inputs never modified,
// and the options and sizes it refuses before any kernel runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, init, NumlaneError, type BcdOptions, type Numlane } from "../dist/index.js";
import { lassoLambdaMax, rng, sameBits, sklearnLassoCsr } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

/** A seeded sparse n×p design (mean-shifted entries, column scales over two orders of magnitude: dataset A's kind), a target from a sparse truth. */
function sparseProblem(n: number, p: number, density: number, seed: number): { A: CsrMatrix; b: Float64Array } {
  const u = rng(seed);
  const scale = Float64Array.from({ length: p }, () => 10 ** (2 * u() - 1));
  const i: number[] = [], j: number[] = [], v: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < p; c++) if (u() < density) { i.push(r); j.push(c); v.push((u() + 0.5) * scale[c]); }
  const A = CsrMatrix.fromCoo(n, p, i, j, v);
  const w = Float64Array.from({ length: p }, () => (u() < 0.1 ? u() * 4 - 2 : 0));
  const b = Float64Array.from({ length: n }, () => u() - 0.5);
  for (let r = 0; r < n; r++) for (let k = A.indptr[r]; k < A.indptr[r + 1]; k++) b[r] += A.data[k] * w[A.indices[k]];
  return { A, b };
}


/** The lasso's duality gap at x (scikit-learn's dual point), in nl.bcd's units (÷ n), and the objective. */
function gapAt(A: CsrMatrix, b: Float64Array, x: Float64Array, l1: number): { gap: number; objective: number } {
  const n = A.rows, r = b.slice(), atr = new Float64Array(A.cols);
  for (let i = 0; i < n; i++) for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) r[i] -= A.data[k] * x[A.indices[k]];
  for (let i = 0; i < n; i++) for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) atr[A.indices[k]] += A.data[k] * r[i];
  const ln = l1 * n;
  let dual = 0, norm1 = 0, rr = 0, rb = 0;
  for (let j = 0; j < A.cols; j++) { dual = Math.max(dual, Math.abs(atr[j])); norm1 += Math.abs(x[j]); }
  for (let i = 0; i < n; i++) { rr += r[i] * r[i]; rb += r[i] * b[i]; }
  const c = dual > ln ? ln / dual : 1;
  return { gap: (0.5 * rr * (1 + c * c) + ln * norm1 - c * rb) / n, objective: (0.5 * rr + ln * norm1) / n };
}

const bb = (b: Float64Array) => b.reduce((s, v) => s + v * v, 0);


describe("bcd workingSet: the lasso by greedy working sets", () => {
  const { A, b } = sparseProblem(150, 2000, 0.07, 3);
  const lmax = lassoLambdaMax(A, b);

  for (const ratio of [0.1, 0.01]) {
    it(`λ = ${ratio}·λmax: gs, gsl and gsd reach scikit-learn's optimum on the same CSR; the gap, recomputed from x, meets tol`, async () => {
      const l1 = ratio * lmax, tol = 1e-10;
      const ref = sklearnLassoCsr(A, b, l1, 1e-15);
      const problem = { loss: "least-squares" as const, A, b, penalty: { l1 } };
      for (const rule of ["gs", "gsl", "gsd"] as const) {
        const r = await nl.bcd(problem, { workingSet: true, rule, tol });
        const mine = gapAt(A, b, r.x, l1);
        expect(r.reason, rule).toBe("converged");
        expect(r.converged).toBe(true);
        expect(mine.gap, rule).toBeLessThanOrEqual(tol * bb(b) / A.rows);
        expect(Math.abs(r.gap! - mine.gap), rule).toBeLessThan(1e-9 * mine.objective);
        expect(Math.abs(r.objective - mine.objective) / mine.objective, rule).toBeLessThan(1e-12);
        expect(r.violation!, rule).toBeLessThan(1e-4 * l1);
        if (ref) {
          expect(Math.abs(r.objective - ref.obj) / ref.obj, `${rule}: objective`).toBeLessThan(1e-10);
          const scale = Math.max(...ref.w.map(Math.abs));
          for (let j = 0; j < A.cols; j++) expect(Math.abs(r.x[j] - ref.w[j]) / scale, `${rule} [${j}]`).toBeLessThan(1e-5);
        }
        // history: each outer step's gap, the last one the reported gap.
        expect(r.history.at(-1)).toBe(r.gap);
      }
    }, 120_000);
  }

  it("1 and 2 threads give the same bits; a dense A the same optimum; A, b and x0 are not modified", async () => {
    const l1 = 0.05 * lmax;
    const data = A.data.slice(), bCopy = b.slice();
    const problem = { loss: "least-squares" as const, A, b, penalty: { l1 } };
    const one = await nl.bcd(problem, { workingSet: true, tol: 1e-10, threads: 1 });
    const two = await nl.bcd(problem, { workingSet: true, tol: 1e-10, threads: 2 });
    expect(sameBits(one.x, two.x)).toBe(true);
    expect(one.iterations).toBe(two.iterations);
    const dense = await nl.bcd({ ...problem, A: A.toDense() }, { workingSet: true, tol: 1e-10 });
    expect(dense.reason).toBe("converged");
    expect(Math.abs(dense.objective - one.objective) / one.objective).toBeLessThan(1e-12);
    // Warm start from the answer: one outer step confirms it.
    const x0 = one.x.slice();
    const warm = await nl.bcd(problem, { workingSet: true, tol: 1e-10, x0 });
    expect(warm.reason).toBe("converged");
    expect(warm.iterations).toBe(0);
    expect(warm.history.length).toBe(1);
    expect(sameBits(x0, one.x)).toBe(true);
    expect(sameBits(A.data, data) && sameBits(b, bCopy)).toBe(true);
  }, 60_000);

  it("the iteration limit: max-iterations, not converged, the reported gap that of the returned x", async () => {
    const l1 = 0.01 * lmax;
    const r = await nl.bcd({ loss: "least-squares", A, b, penalty: { l1 } }, { workingSet: true, tol: 1e-12, maxIter: 3000 });
    expect(r.reason).toBe("max-iterations");
    expect(r.converged).toBe(false);
    const mine = gapAt(A, b, r.x, l1);
    expect(r.gap!).toBeGreaterThan(1e-12 * bb(b) / A.rows);
    expect(Math.abs(r.gap! - mine.gap) / mine.gap).toBeLessThan(1e-9);
  });

  it("an all-zero column's coordinate is 0 at the optimum, whatever x0 says", async () => {
    const n = 30, p = 50, u = rng(9);
    const i: number[] = [], j: number[] = [], v: number[] = [];
    for (let r = 0; r < n; r++) for (let c = 1; c < p; c++) if (u() < 0.3) { i.push(r); j.push(c); v.push(u() - 0.5); }
    const Z = CsrMatrix.fromCoo(n, p, i, j, v), y = Float64Array.from({ length: n }, () => u() - 0.5);
    const l1 = 0.05 * lassoLambdaMax(Z, y);
    const x0 = new Float64Array(p); x0[0] = 3;
    const r = await nl.bcd({ loss: "least-squares", A: Z, b: y, penalty: { l1 } }, { workingSet: true, tol: 1e-12, x0 });
    expect(r.reason).toBe("converged");
    expect(r.x[0]).toBe(0);
    expect(gapAt(Z, y, r.x, l1).gap).toBeLessThanOrEqual(1e-12 * bb(y) / n);
  });

  it("refuses what it does not fit before any kernel runs", async () => {
    const ls = { loss: "least-squares" as const, A, b, penalty: { l1: 0.1 * lmax } };
    const cases: [unknown, BcdOptions, string, string][] = [
      [{ ...ls, penalty: {} }, { workingSet: true }, "unsupported", "problem.penalty.l1"],
      [{ ...ls, penalty: { l1: 1, l2: 1 } }, { workingSet: true }, "unsupported", "problem.penalty"],
      [{ ...ls, penalty: { l1: 1, nonnegative: true } }, { workingSet: true }, "unsupported", "problem.penalty"],
      [{ loss: "logistic", A, y: Float64Array.from(b, (v) => (v > 0 ? 1 : -1)), penalty: { l1: 0.01 } }, { workingSet: true }, "unsupported", "opts.workingSet"],
      [ls, { workingSet: true, rule: "cyclic" }, "unsupported", "opts.rule"],
      [ls, { workingSet: true, rule: "gsq" }, "unsupported", "opts.rule"],
      [ls, { workingSet: true, blockSize: 4 }, "unsupported", "opts.blockSize"],
      [ls, { workingSet: true, update: "lipschitz" }, "unsupported", "opts.update"],
      [ls, { workingSet: true, partition: "sort" }, "unsupported", "opts.partition"],
      [ls, { workingSet: true, activeSet: true }, "unsupported", "opts.activeSet"],
      [ls, { workingSet: "yes" as unknown as boolean }, "invalid-type", "opts.workingSet"],
      [ls, { workingSet: true, maxIter: 0 }, "invalid-size", "opts.maxIter"],
      // 2²⁷ columns: its per-column workspace cannot fit in wasm memory, refused before anything that size is allocated.
      [{ loss: "least-squares", A: new CsrMatrix(2, 2 ** 27, Int32Array.of(0, 1, 2), Int32Array.of(0, 2 ** 27 - 1), Float64Array.of(1, 2)), b: Float64Array.of(1, 1), penalty: { l1: 0.1 } },
        { workingSet: true }, "out-of-memory", "problem.A"],
    ];
    for (const [problem, opts, code, argument] of cases) {
      const err = await nl.bcd(problem as never, opts).catch((e) => e);
      expect(err, JSON.stringify(opts)).toBeInstanceOf(NumlaneError);
      expect((err as NumlaneError).code, JSON.stringify(opts)).toBe(code);
      expect((err as NumlaneError).argument, JSON.stringify(opts)).toBe(argument);
    }
  });
});
