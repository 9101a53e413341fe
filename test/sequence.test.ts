// Sequences of systems: prepared matrices (nl.prepare) against the same
// matrices passed plainly, the solve order (nl.sequenceOrder) against an
// exact greedy nearest-neighbour tour computed here, and Learning to Relax
// (solveSequence's omega "learn") against fixed ω, with every answer's true
// residual recomputed in plain float64.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { matvec, norm, rng, sameBits, uniform } from "./helpers.js";
import { greedyTour, pathLength, points } from "./tours.mjs";

let nl: Numlane, nl1: Numlane;
beforeAll(async () => { [nl, nl1] = await Promise.all([init({ threads: 2 }), init({ threads: 1 })]); });
afterAll(async () => { await Promise.all([nl.close(), nl1.close()]); });

/**
 * −∇·(a∇u) on N×N cells (cell-centred finite volumes, harmonic-mean faces,
 * Dirichlet walls), a = exp(g), g = Σ c_pq cos(pπx) cos(qπy) / (1 + p² + q²)
 * over M×M modes: SPD, and all such matrices share one pattern.
 */
function darcy(N: number, c: ArrayLike<number>): CsrMatrix {
  const M = Math.round(Math.sqrt(c.length)), a = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    let g = 0;
    for (let p = 0; p < M; p++) for (let q = 0; q < M; q++) g += (c[p * M + q] * Math.cos((Math.PI * (p + 1) * (i + 0.5)) / N) * Math.cos((Math.PI * (q + 1) * (j + 0.5)) / N)) / (1 + p * p + q * q);
    a[i * N + j] = Math.exp(g);
  }
  const I: number[] = [], J: number[] = [], V: number[] = [];
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    const r = i * N + j;
    let d = 0;
    for (const [di, dj] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) {
      const ii = i + di, jj = j + dj;
      if (ii < 0 || jj < 0 || ii >= N || jj >= N) { d += 2 * a[r]; continue; }
      const t = (2 * a[r] * a[ii * N + jj]) / (a[r] + a[ii * N + jj]);
      d += t; I.push(r); J.push(ii * N + jj); V.push(-t);
    }
    I.push(r); J.push(r); V.push(d);
  }
  return CsrMatrix.fromCoo(N * N, N * N, I, J, V);
}

function darcyFamily(count: number, N: number, seed: number) {
  const r = rng(seed);
  return Array.from({ length: count }, () => {
    const features = Array.from({ length: 16 }, () => 4 * (r() - 0.5));
    return { A: darcy(N, features), b: new Float64Array(N * N).fill(1 / (N * N)), features };
  });
}

const isPermutation = (order: number[], s: number) => order.length === s && new Set(order).size === s && order.every((i) => Number.isInteger(i) && i >= 0 && i < s);

/** ‖b − A·x‖ ≤ rtol·‖b‖, recomputed plainly. */
function meets(A: CsrMatrix, b: Float64Array, x: Float64Array, rtol: number): boolean {
  const Ax = matvec(A, x);
  return norm(Array.from(b, (v, i) => v - Ax[i])) <= rtol * norm(b);
}

describe("prepared matrices", () => {
  const A = darcy(40, uniform(16, 3, -2, 2)), b = uniform(A.rows, 4);

  it("give the bits of the matrix passed plainly: cg (every preconditioner), gmres, spmv, solveSequence", async () => {
    const P = nl.prepare(A);
    try {
      for (const preconditioner of ["none", "jacobi", "ssor", "ic0"] as const) {
        const plain = await nl.cg(A, b, { preconditioner, rtol: 1e-10 }), prepared = await nl.cg(P, b, { preconditioner, rtol: 1e-10 });
        expect(prepared.iterations).toBe(plain.iterations);
        expect(sameBits(prepared.x, plain.x) && sameBits(prepared.residualHistory, plain.residualHistory)).toBe(true);
        expect(prepared.reason).toBe("converged");
        expect(meets(A, b, prepared.x, 1e-10)).toBe(true);
      }
      const g1 = await nl.gmres(A, b, { restart: 20 }), g2 = await nl.gmres(P, b, { restart: 20 });
      expect(sameBits(g1.x, g2.x)).toBe(true);
      const x = uniform(A.cols, 5);
      const y = await nl.blas.spmv(P, x), ref = matvec(A, x);
      expect(norm(Array.from(y, (v, i) => v - ref[i]))).toBeLessThan(1e-13 * norm(ref));
      expect(sameBits(await nl.blas.spmv(P, x), await nl.blas.spmv(A, x))).toBe(true);
      expect(sameBits(await nl.blas.spmv(P, x, { trans: true, alpha: 2 }), await nl.blas.spmv(A, x, { trans: true, alpha: 2 }))).toBe(true);
      const family = darcyFamily(6, 16, 9);
      const plainSeq = await nl.solveSequence(family, { preconditioner: "jacobi", recycle: { k: 4 } });
      const preparedFamily = family.map((s) => ({ ...s, A: nl.prepare(s.A) }));
      const preparedSeq = await nl.solveSequence(preparedFamily, { preconditioner: "jacobi", recycle: { k: 4 } });
      preparedFamily.forEach((s) => s.A.free());
      expect(preparedSeq.order).toEqual(plainSeq.order);
      expect(preparedSeq.solutions.every((x, i) => sameBits(x, plainSeq.solutions[i]))).toBe(true);
      expect(plainSeq.reasons.every((r) => r === "converged")).toBe(true);
    } finally {
      P.free();
    }
  });

  it("are copies: changing the original after prepare changes nothing", async () => {
    const data = A.data.slice(), indices = A.indices.slice();
    const B = new CsrMatrix(A.rows, A.cols, A.indptr.slice(), indices, data);
    const P = nl.prepare(B);
    const before = await nl.cg(P, b, { preconditioner: "jacobi" });
    data.fill(7);
    indices.reverse();
    const after = await nl.cg(P, b, { preconditioner: "jacobi" });
    expect(sameBits(after.x, before.x)).toBe(true);
    expect(meets(A, b, after.x, 1e-8)).toBe(true);
    P.free();
  });

  it("share a pattern through withValues, and give all their memory back when freed", async () => {
    const heap = nl.engine.heap, start = heap.bytesInUse;
    const P = nl.prepare(A);
    const one = heap.bytesInUse - start;
    const Q = P.withValues(A.data.map((v) => 2 * v));
    // Only the values are new: 8 bytes an entry (64-byte blocks), not the 12 of a whole CSR copy.
    expect(heap.bytesInUse - start - one).toBe(Math.ceil((8 * A.nnz) / 64) * 64);
    const x1 = (await nl.cg(P, b, { rtol: 1e-10 })).x, x2 = (await nl.cg(Q, b, { rtol: 1e-10 })).x;
    // (2A)·x = b: x2 = x1 / 2 to the tolerance.
    expect(norm(Array.from(x1, (v, i) => v / 2 - x2[i])) / norm(x2)).toBeLessThan(1e-8);
    P.free();
    expect(heap.bytesInUse).toBeGreaterThan(start);  // Q still holds the pattern
    expect((await nl.cg(Q, b, { rtol: 1e-10 })).reason).toBe("converged");
    Q.free();
    expect(heap.bytesInUse).toBe(start);
  });

  it("are refused after free (but a call in flight finishes first), and when not symmetric for cg", async () => {
    const P = nl.prepare(A), x = uniform(A.cols, 6);
    const running = nl.cg(P, b, { rtol: 1e-12 });
    P.free();
    expect((await running).reason).toBe("converged");
    const refused = (e: unknown) => e instanceof NumlaneError && e.code === "invalid-value";
    await expect(nl.cg(P, b)).rejects.toSatisfy((e) => refused(e) && (e as NumlaneError).argument === "A");
    await expect(nl.gmres(P, b)).rejects.toSatisfy(refused);
    await expect(nl.blas.spmv(P, x)).rejects.toSatisfy((e) => refused(e) && (e as NumlaneError).argument === "A");
    await expect(nl.solveSequence([{ A, b }, { A: P, b }])).rejects.toSatisfy((e) => refused(e) && (e as NumlaneError).argument === "systems[1].A");
    expect(() => P.free()).toThrow(NumlaneError);
    expect(() => P.withValues(A.data)).toThrow(NumlaneError);
    expect(P.freed).toBe(true);

    const skew = CsrMatrix.fromCoo(3, 3, [0, 0, 1, 1, 2], [0, 1, 0, 1, 2], [2, 1, 0.5, 2, 2]);
    const S = nl.prepare(skew);
    expect(S.asymmetry()).toBe(skew.asymmetry());
    await expect(nl.cg(S, new Float64Array(3).fill(1))).rejects.toMatchObject({ code: "invalid-value", argument: "A" });
    expect((await nl.gmres(S, new Float64Array(3).fill(1))).reason).toBe("converged");
    S.free();
    expect(() => nl.prepare(new CsrMatrix(2, 2, Int32Array.of(0, 1, 2), Int32Array.of(0, 1), Float64Array.of(1, NaN)))).toThrow(expect.objectContaining({ code: "invalid-value", argument: "A.data" }));
    const Q = nl.prepare(A);
    expect(() => Q.withValues(new Float64Array(3))).toThrow(expect.objectContaining({ code: "invalid-shape", argument: "data" }));
    expect(() => nl.prepare(Q as never)).toThrow(expect.objectContaining({ code: "invalid-type", argument: "A" }));
    Q.free();
  });
});

describe("solveSequence's wasm memory", () => {
  it("is given back after a sequence, and after one aborted mid-way", async () => {
    const heap = nl.engine.heap, start = heap.bytesInUse;
    const family = darcyFamily(5, 20, 51);
    const r = await nl.solveSequence(family, { preconditioner: "ssor", omega: 1.5 });
    expect(r.reasons.every((x) => x === "converged")).toBe(true);
    expect(heap.bytesInUse).toBe(start);
    const c = new AbortController();
    let progressed = 0;
    const aborted = nl.solveSequence(family, { rtol: 1e-14, maxIter: 100000, signal: c.signal, onProgress: () => { if (++progressed === 2) c.abort(); } });
    await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
    expect(heap.bytesInUse).toBe(start);
  });
});

describe("systems sharing one pattern's arrays", () => {
  // The up-front checks take the pattern once and each system's values in
  // full: every refusal names the system and says what a lone check says.
  const family = () => Array.from({ length: 6 }, (_, s) => darcy(8, uniform(4, 40 + s)));
  const shared = () => {
    const [first, ...rest] = family();
    return [first, ...rest.map((M) => new CsrMatrix(M.rows, M.cols, first.indptr, first.indices, M.data))];
  };
  const b = new Float64Array(64).fill(1);
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(NumlaneError);
    const { code, argument, message } = e as NumlaneError;
    return { code, argument, message: message.slice(message.indexOf(": ") + 2) };
  };

  it("give the bits of the same systems with a pattern each", async () => {
    const mats = shared(), own = mats.map((M) => new CsrMatrix(M.rows, M.cols, M.indptr.slice(), M.indices.slice(), M.data));
    expect(mats[3].indptr).toBe(mats[0].indptr);
    for (const opts of [{ preconditioner: "jacobi" as const }, { preconditioner: "jacobi" as const, recycle: { k: 4 } }]) {
      const one = await nl.solveSequence(mats.map((A) => ({ A, b })), opts), two = await nl.solveSequence(own.map((A) => ({ A, b })), opts);
      expect(one.order).toEqual(two.order);
      expect(one.solutions.every((x, i) => sameBits(x, two.solutions[i]) && norm(Array.from(matvec(mats[i], x), (v, r) => v - b[r])) <= 1e-8 * norm(b))).toBe(true);
    }
  });

  it("are each checked in full: asymmetry, NaN, a diagonal Jacobi cannot scale, a values array of the wrong type or length", async () => {
    const row = (A: CsrMatrix, k: number) => { let i = 0; while (A.indptr[i + 1] <= k) i++; return i; };
    const cases: [string, (A: CsrMatrix) => CsrMatrix][] = [
      ["asymmetric", (A) => { const d = A.data.slice(); const k = A.indices.findIndex((j, k) => j !== row(A, k)); d[k] *= 1.5; return new CsrMatrix(A.rows, A.cols, A.indptr, A.indices, d); }],
      ["NaN", (A) => { const d = A.data.slice(); d[17] = NaN; return new CsrMatrix(A.rows, A.cols, A.indptr, A.indices, d); }],
      ["zero diagonal", (A) => { const d = A.data.slice(); for (let k = A.indptr[9]; k < A.indptr[10]; k++) d[k] = 0; return new CsrMatrix(A.rows, A.cols, A.indptr, A.indices, d); }],
      ["short data", (A) => Object.assign(new CsrMatrix(A.rows, A.cols, A.indptr, A.indices, A.data), { data: A.data.subarray(1) })],
      ["float32 data", (A) => Object.assign(new CsrMatrix(A.rows, A.cols, A.indptr, A.indices, A.data), { data: Float32Array.from(A.data) })],
    ];
    for (const [what, spoil] of cases) {
      const mats = shared();
      mats[4] = spoil(mats[4]);
      const bad = await refusal(nl.solveSequence(mats.map((A) => ({ A, b })), { preconditioner: "jacobi" }));
      expect(bad.argument, what).toMatch(/^systems\[4\]\.A/);
      // What nl.cg says of that matrix alone (its own sweep: no pattern shared).
      const alone = await refusal(nl.cg(mats[4], b, { preconditioner: "jacobi" }));
      expect({ ...bad, argument: bad.argument!.replace("systems[4].", "") }, what).toEqual(alone);
    }
  });
});

describe("sequenceOrder", () => {
  for (const kind of ["gaussian", "clustered"] as const) {
    it(`is a deterministic permutation whose path is within 10% of the greedy nearest-neighbour tour (${kind}, 2000 × 64)`, () => {
      const X = points(2000, 64, kind, rng(kind === "gaussian" ? 11 : 12));
      const systems = X.map((features) => ({ A: [[1]], b: Float64Array.of(1), features }));
      const order = nl.sequenceOrder(systems);
      expect(isPermutation(order, X.length)).toBe(true);
      expect(nl1.sequenceOrder(systems)).toEqual(order);
      const ours = pathLength(X, order), greedy = pathLength(X, greedyTour(X)), given = pathLength(X, X.map((_, i) => i));
      console.log(`${kind}: path ${ours.toFixed(0)}, greedy nearest neighbour ${greedy.toFixed(0)} (ratio ${(ours / greedy).toFixed(3)}), given order ${given.toFixed(0)}`);
      expect(ours).toBeLessThan(1.1 * greedy);
      expect(ours).toBeLessThan(0.9 * given);
    });
  }

  it("without features follows the matrices: a shuffled shift family is walked almost in order", () => {
    const L = darcy(12, new Float64Array(16)), r = rng(21);
    const shifts = Array.from({ length: 60 }, () => r());
    const systems = shifts.map((t) => ({ A: new CsrMatrix(L.rows, L.cols, L.indptr, L.indices, L.data.map((v, k) => (L.indices[k] === rowOf(L, k) ? v + t : v))), b: new Float64Array(L.rows).fill(1) }));
    const order = nl.sequenceOrder(systems);
    expect(isPermutation(order, 60)).toBe(true);
    const walked = order.slice(1).reduce((s, p, t) => s + Math.abs(shifts[p] - shifts[order[t]]), 0);
    const range = Math.max(...shifts) - Math.min(...shifts);
    // Starting at system 0 it may have to walk back once: ≤ 2× the range, where the given order walks ~20×.
    expect(walked).toBeLessThan(2.05 * range);
    expect(nl.sequenceOrder(systems.map((s, i) => ({ ...s, features: [shifts[i]] })))).toEqual(nl.sequenceOrder(systems.map((s, i) => ({ ...s, features: [shifts[i]] })), { by: "features" }));
  });

  it("is what solveSequence solves in", async () => {
    const family = darcyFamily(12, 12, 31);
    const r = await nl.solveSequence(family, { preconditioner: "jacobi" });
    expect(r.order).toEqual(nl.sequenceOrder(family));
    const bySignature = await nl.solveSequence(family.map(({ A, b }) => ({ A, b })), { preconditioner: "jacobi" });
    expect(bySignature.order).toEqual(nl.sequenceOrder(family, { by: "signatures" }));
    family.forEach((s, i) => expect(meets(s.A, s.b, r.solutions[i], 1e-8)).toBe(true));
  });

  it("refuses bad input with a NumlaneError naming the argument", async () => {
    const sys = (features?: unknown) => ({ A: [[1]], b: Float64Array.of(1), ...(features === undefined ? {} : { features }) }) as never;
    const cases: [() => unknown, string, string][] = [
      [() => nl.sequenceOrder([sys([1, 2]), sys([1, 2, 3])]), "invalid-shape", "systems[1].features"],
      [() => nl.sequenceOrder([sys([1, 2]), sys()]), "invalid-type", "systems[1].features"],
      [() => nl.sequenceOrder([sys([1]), sys(5)]), "invalid-type", "systems[1].features"],
      [() => nl.sequenceOrder([sys([1]), sys([NaN])]), "invalid-value", "systems[1].features"],
      [() => nl.sequenceOrder([sys([])]), "invalid-size", "systems[0].features"],
      [() => nl.sequenceOrder([sys([1])], { byy: "features" } as never), "invalid-value", "opts.byy"],
      [() => nl.sequenceOrder([sys([1])], { by: "size" } as never), "invalid-value", "opts.by"],
      [() => nl.sequenceOrder("systems" as never), "invalid-type", "systems"],
      [() => nl.sequenceOrder([]), "invalid-size", "systems"],
      [() => nl.sequenceOrder([{ A: [[1]], b: Float64Array.of(1), feature: [1] } as never]), "invalid-value", "systems[0].feature"],
      [() => nl.sequenceOrder([{ A: [[1, 2]], b: Float64Array.of(1) } as never]), "invalid-shape", "systems[0].A"],
    ];
    for (const [call, code, argument] of cases) expect(call).toThrow(expect.objectContaining({ name: "NumlaneError", code, argument }));
    await expect(nl.solveSequence([sys([1, 2]), sys([3])])).rejects.toMatchObject({ code: "invalid-shape", argument: "systems[1].features" });
  });
});

describe("omega \"learn\"", () => {
  const family = darcyFamily(40, 24, 41);
  const rtol = 1e-8;

  it("needs ≥ 25 % fewer iterations than ω = 1 and ≤ 10 % more than the best fixed ω, meets every tolerance, and gives the same bits on 1 and 2 threads", async () => {
    const learnt = await nl.solveSequence(family, { preconditioner: "ssor", omega: "learn", rtol, seed: 3 });
    const fixed: number[] = [];
    for (const omega of [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9]) fixed.push((await nl.solveSequence(family, { preconditioner: "ssor", omega, rtol })).totalIterations);
    const best = Math.min(...fixed);
    console.log(`omega learn: ${learnt.totalIterations} iterations; fixed omega 1..1.9: ${fixed.join(" ")}; last omegas ${learnt.omegas!.slice(-8).join(" ")}`);
    expect(learnt.totalIterations).toBeLessThan(0.75 * fixed[0]);
    // Within 10 % of the best fixed ω of the grid (here ω = 1.6: 802), as the issue asks of 100 systems.
    expect(learnt.totalIterations).toBeLessThan(1.1 * best);
    expect(learnt.omegas!.length).toBe(family.length);
    expect(learnt.omegas!.every((w) => w >= 1 && w < 2)).toBe(true);
    family.forEach((s, i) => {
      expect(learnt.reasons[i]).toBe("converged");
      expect(meets(s.A, s.b, learnt.solutions[i], rtol)).toBe(true);
    });
    // Each system was solved with the ω reported for it.
    const k = learnt.order[5];
    const again = await nl.cg(family[k].A, family[k].b, { preconditioner: "ssor", omega: learnt.omegas![k], rtol });
    expect(sameBits(again.x, learnt.solutions[k])).toBe(true);
    const single = await nl1.solveSequence(family, { preconditioner: "ssor", omega: "learn", rtol, seed: 3, threads: 1 });
    expect(single.omegas).toEqual(learnt.omegas);
    expect(single.solutions.every((x, i) => sameBits(x, learnt.solutions[i]))).toBe(true);
    const otherSeed = await nl.solveSequence(family, { preconditioner: "ssor", omega: "learn", rtol, seed: 4 });
    expect(otherSeed.omegas).not.toEqual(learnt.omegas);
  });

  it("learns per context when systems carry one, deterministically", async () => {
    const withContext = family.map((s, i) => ({ ...s, context: s.features[0] + (i % 3) }));
    const a = await nl.solveSequence(withContext, { preconditioner: "ssor", omega: "learn", rtol });
    const b = await nl1.solveSequence(withContext, { preconditioner: "ssor", omega: "learn", rtol });
    expect(a.omegas).toEqual(b.omegas);
    expect(a.solutions.every((x, i) => sameBits(x, b.solutions[i]))).toBe(true);
    expect(a.reasons.every((r) => r === "converged")).toBe(true);
  });

  it("with a context learns a different ω for each regime: fewer iterations than without, near the best ω per regime", async () => {
    // 20² Laplacians shifted by σ: σ ≈ 0 wants ω ≈ 1.5, σ ∈ [2, 4] wants ω ≈ 1.1.
    const N = 20, r = rng(5), grid = [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9];
    const shifted = (shift: number) => {
      const I: number[] = [], J: number[] = [], V: number[] = [];
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
        for (const [a, c] of [[i - 1, j], [i, j - 1], [i, j + 1], [i + 1, j]]) if (a >= 0 && c >= 0 && a < N && c < N) { I.push(i * N + j); J.push(a * N + c); V.push(-1); }
        I.push(i * N + j); J.push(i * N + j); V.push(4 + shift);
      }
      return CsrMatrix.fromCoo(N * N, N * N, I, J, V);
    };
    const systems = Array.from({ length: 64 }, () => {
      const shift = r() < 0.5 ? 0.001 * r() : 2 + 2 * r();
      return { A: shifted(shift), b: new Float64Array(N * N).fill(1), context: shift };
    });
    const contextual = await nl.solveSequence(systems, { preconditioner: "ssor", omega: "learn" });
    const plain = await nl.solveSequence(systems.map(({ A, b }) => ({ A, b })), { preconditioner: "ssor", omega: "learn" });
    let bestPerRegime = 0;
    for (const regime of [systems.filter((s) => s.context < 1), systems.filter((s) => s.context >= 1)]) {
      const totals: number[] = [];
      for (const omega of grid) totals.push((await nl.solveSequence(regime, { preconditioner: "ssor", omega, order: "given" })).totalIterations);
      bestPerRegime += Math.min(...totals);
    }
    console.log(`contextual learn ${contextual.totalIterations}, without context ${plain.totalIterations}, best ω per regime ${bestPerRegime}`);
    expect(contextual.totalIterations).toBeLessThan(plain.totalIterations);
    expect(contextual.totalIterations).toBeLessThan(1.15 * bestPerRegime);
    expect(contextual.reasons.every((x) => x === "converged")).toBe(true);
  });

  it("refuses what it cannot learn", async () => {
    const two = family.slice(0, 2);
    await expect(nl.solveSequence(two, { preconditioner: "jacobi", omega: "learn" })).rejects.toMatchObject({ code: "invalid-value", argument: "opts.omega" });
    await expect(nl.solveSequence(two, { method: "gmres", omega: "learn" } as never)).rejects.toMatchObject({ code: "invalid-value", argument: "opts.omega" });
    await expect(nl.solveSequence([{ ...two[0], context: 1 }, { ...two[1], context: NaN }], { preconditioner: "ssor", omega: "learn" })).rejects.toMatchObject({ code: "invalid-value", argument: "systems[1].context" });
    await expect(nl.solveSequence([{ ...two[0], context: 1 }, two[1]], { preconditioner: "ssor", omega: "learn" })).rejects.toMatchObject({ code: "invalid-type", argument: "systems[1].context" });
    await expect(nl.solveSequence(two, { preconditioner: "ssor", omega: "learn", seed: -1 })).rejects.toMatchObject({ argument: "opts.seed" });
  });
});

function rowOf(A: CsrMatrix, k: number): number {
  let i = 0;
  while (A.indptr[i + 1] <= k) i++;
  return i;
}
