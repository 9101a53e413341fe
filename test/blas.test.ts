// nl.blas against plain float64 JavaScript references: every kernel at the
// awkward lengths, strides and offsets; bit-identical results for any thread
// count and both builds; errors before any kernel runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { init, CsrMatrix, DenseMatrix, NumlaneError, type Numlane } from "../dist/index.js";
import { rng, sameBits, uniform } from "./helpers.js";

const SIZES = [0, 1, 2, 3, 15, 16, 17, 1000, 100003];
const STRIDES = [1, 2, 3];

let nl: Numlane;        // all cores
let contexts: Numlane[]; // threads 1, 2, 3, and the single build
beforeAll(async () => {
  nl = await init({ threads: 2 });
  contexts = [await init({ threads: 1 }), nl, await init({ threads: 3 }), await init({ build: "single" })];
});
afterAll(async () => {
  for (const c of contexts) await c.close();
});

// ---- plain references ------------------------------------------------------
const refDot = (x: Float64Array, y: Float64Array, n: number, ix: number, iy: number) => {
  let s = 0, mag = 0;
  for (let i = 0; i < n; i++) { s += x[i * ix] * y[i * iy]; mag += Math.abs(x[i * ix] * y[i * iy]); }
  return { s, mag };
};
const refNrm2 = (x: Float64Array, n: number, ix: number) => {
  let amax = 0;
  for (let i = 0; i < n; i++) amax = Math.max(amax, Math.abs(x[i * ix]));
  if (amax === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i * ix] / amax) ** 2;
  return amax * Math.sqrt(s);
};
const count = (len: number, inc: number) => (len === 0 ? 0 : Math.floor((len - 1) / inc) + 1);

describe("level 1 against references", () => {
  for (const n of SIZES) {
    for (const inc of STRIDES) {
      it(`dot, nrm2, axpy, scal, copy at n=${n}, stride ${inc}, offset 1`, async () => {
        // Offset views (subarray from 1) make the data start unaligned to 16 bytes.
        const x = uniform(n * inc + 1, n + inc, -3, 3).subarray(1);
        const y = uniform(n * inc + 1, 7 * n + inc, -3, 3).subarray(1);
        const xCopy = x.slice(), yCopy = y.slice();
        const m = count(x.length, inc);
        const d = await nl.blas.dot(x, y, { incx: inc, incy: inc });
        const r = refDot(x, y, m, inc, inc);
        expect(Math.abs(d - r.s)).toBeLessThanOrEqual(1e-14 * r.mag * Math.max(1, Math.log2(m + 1)));
        const nr = await nl.blas.nrm2(x, { incx: inc });
        expect(Math.abs(nr - refNrm2(x, m, inc))).toBeLessThanOrEqual(1e-14 * refNrm2(x, m, inc));
        const a = await nl.blas.axpy(0.75, x, y, { incx: inc, incy: inc });
        const s = await nl.blas.scal(-2.5, x, { incx: inc });
        const c = await nl.blas.copy(x, new Float64Array(y.length), { incx: inc, incy: inc });
        for (let i = 0; i < y.length; i++) {
          const on = i % inc === 0;
          if (a[i] !== (on ? 0.75 * x[i] + y[i] : y[i])) throw new Error(`axpy wrong at ${i}`);
          if (s[i] !== (on ? -2.5 * x[i] : x[i])) throw new Error(`scal wrong at ${i}`);
          if (c[i] !== (on ? x[i] : 0)) throw new Error(`copy wrong at ${i}`);
        }
        expect(sameBits(x, xCopy) && sameBits(y, yCopy)).toBe(true); // inputs untouched
      });
    }
  }

  it("different strides for x and y, and an explicit n", async () => {
    const x = uniform(300, 1), y = uniform(300, 2);
    const d = await nl.blas.dot(x, y, { incx: 3, incy: 2, n: 90 });
    expect(d).toBeCloseTo(refDot(x, y, 90, 3, 2).s, 12);
  });

  it("out-of-place results are fresh arrays with their own exact-size buffer (strided entries kept)", async () => {
    for (const threads of [1, 2]) {
      const x = uniform(5000, 5), y = uniform(9999, 6);
      const r = await nl.blas.axpy(0.5, x, y, { incy: 2, threads });
      expect(r).not.toBe(y);
      expect(r.byteOffset).toBe(0);
      expect(r.buffer.byteLength).toBe(y.byteLength);
      expect(r.buffer instanceof ArrayBuffer).toBe(true);
      for (let i = 0; i < y.length; i++) expect(r[i]).toBe(i % 2 === 0 ? 0.5 * x[i / 2] + y[i] : y[i]);
    }
  });

  it("inPlace writes into the caller's array and returns it", async () => {
    const x = uniform(5000, 3), y = uniform(5000, 4), expected = y.map((v, i) => 2 * x[i] + v);
    const out = await nl.blas.axpy(2, x, y, { inPlace: true });
    expect(out).toBe(y);
    expect(sameBits(y, expected)).toBe(true);
  });

  it("nrm2 is safe from overflow and underflow and propagates NaN/Infinity", async () => {
    expect(await nl.blas.nrm2(Float64Array.of(3e300, 4e300))).toBeCloseTo(5e300, -285);
    expect((await nl.blas.nrm2(Float64Array.of(3e-300, 4e-300))) / 5e-300).toBeCloseTo(1, 14);
    expect((await nl.blas.nrm2(Float64Array.of(3e-320, 4e-320))) / 5e-320).toBeCloseTo(1, 2);
    expect(await nl.blas.nrm2(Float64Array.of(1, NaN, 2))).toBeNaN();
    expect(await nl.blas.nrm2(Float64Array.of(1, -Infinity, 2))).toBe(Infinity);
    expect(await nl.blas.nrm2(new Float64Array(10))).toBe(0);
    const big = new Float64Array(100003).fill(1e200);
    expect((await nl.blas.nrm2(big)) / (1e200 * Math.sqrt(100003))).toBeCloseTo(1, 13);
  });

  it("property: dot is bilinear and matches the reference (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 0, maxLength: 300 }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        async (xs, alpha) => {
          const x = Float64Array.from(xs), y = Float64Array.from(xs, (v, i) => v * 0.5 - i);
          const r = refDot(x, y, x.length, 1, 1);
          const d = await nl.blas.dot(x, y);
          expect(Math.abs(d - r.s)).toBeLessThanOrEqual(1e-13 * (r.mag + 1));
          const ax = await nl.blas.scal(alpha, x);
          const d2 = await nl.blas.dot(ax, y);
          expect(Math.abs(d2 - alpha * d)).toBeLessThanOrEqual(1e-12 * (Math.abs(alpha) * r.mag + 1));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("level 2 and sparse", () => {
  const refGemv = (A: Float64Array, m: number, n: number, x: Float64Array, trans: boolean) => {
    const y = new Float64Array(trans ? n : m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      if (trans) y[j] += A[i * n + j] * x[i]; else y[i] += A[i * n + j] * x[j];
    }
    return y;
  };
  const colMajor = (A: Float64Array, m: number, n: number) => {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = A[i * n + j];
    return out;
  };

  for (const [m, n] of [[0, 3], [1, 1], [3, 17], [17, 3], [16, 16], [257, 1003], [1000, 1000]]) {
    it(`gemv ${m}×${n}: both layouts, A and Aᵀ, alpha and beta`, async () => {
      const A = uniform(m * n, m + n);
      for (const layout of ["row-major", "column-major"] as const) {
        const M = new DenseMatrix(m, n, layout === "row-major" ? A : colMajor(A, m, n), layout);
        for (const trans of [false, true]) {
          const x = uniform(trans ? m : n, 5), y0 = uniform(trans ? n : m, 6);
          const ref = refGemv(A, m, n, x, trans).map((v, i) => 1.5 * v - 0.5 * y0[i]);
          const got = await nl.blas.gemv(M, x, { trans, alpha: 1.5, beta: -0.5, y: y0 });
          const err = Math.max(0, ...got.map((v, i) => Math.abs(v - ref[i])));
          expect(err).toBeLessThanOrEqual(1e-13 * Math.max(m, n, 1));
        }
      }
    });
  }

  it("gemv accepts number[][] and ignores y's NaN when beta = 0", async () => {
    const y = await nl.blas.gemv([[1, 2], [3, 4]], Float64Array.of(1, 1), { y: Float64Array.of(NaN, NaN) });
    expect(Array.from(y)).toEqual([3, 7]);
  });

  it("spmv and its transpose match a dense reference on a random sparse matrix", async () => {
    const r = rng(11);
    const rows = 3001, cols = 1777;
    const I: number[] = [], J: number[] = [], V: number[] = [];
    for (let k = 0; k < 40000; k++) { I.push(Math.floor(r() * rows)); J.push(Math.floor(r() * cols)); V.push(r() - 0.5); }
    const A = CsrMatrix.fromCoo(rows, cols, I, J, V);
    const D = A.toDense();
    const x = uniform(cols, 1), xt = uniform(rows, 2);
    const y = await nl.blas.spmv(A, x);
    const yt = await nl.blas.spmv(A, xt, { trans: true });
    const ry = refGemv(D.data, rows, cols, x, false), ryt = refGemv(D.data, rows, cols, xt, true);
    expect(Math.max(...y.map((v, i) => Math.abs(v - ry[i])))).toBeLessThan(1e-13);
    expect(Math.max(...yt.map((v, i) => Math.abs(v - ryt[i])))).toBeLessThan(1e-13);
  });
});

describe("determinism", () => {
  it("dot, nrm2, gemv, spmv are bit-identical for threads 1, 2, 3 and the single build", async () => {
    const n = 1_000_003;
    const x = uniform(n, 21, -1e3, 1e3), y = uniform(n, 22);
    const A = uniform(600 * 700, 23), xa = uniform(700, 24);
    const M = new DenseMatrix(600, 700, A);
    const r = rng(5);
    const I = Array.from({ length: 60000 }, () => Math.floor(r() * 5000));
    const J = Array.from({ length: 60000 }, () => Math.floor(r() * 5000));
    const S = CsrMatrix.fromCoo(5000, 5000, I, J, I.map(() => r()));
    const xs = uniform(5000, 25);
    const results = [];
    for (const c of contexts) {
      const t = c.info.threads;
      results.push([
        await c.blas.dot(x, y, { threads: t }),
        await c.blas.nrm2(x, { threads: t }),
        ...(await c.blas.gemv(M, xa, { threads: t })),
        ...(await c.blas.gemv(M, uniform(600, 26), { trans: true, threads: t })),
        ...(await c.blas.spmv(S, xs, { threads: t })),
        ...(await c.blas.spmv(S, xs, { trans: true, threads: t })),
      ]);
    }
    expect(contexts.map((c) => [c.info.threads, c.info.build])).toEqual([[1, "threads"], [2, "threads"], [3, "threads"], [1, "single"]]);
    for (const res of results.slice(1)) expect(sameBits(res, results[0])).toBe(true);
  });
});

describe("bad input is refused before any kernel runs", () => {
  const code = async (p: Promise<unknown>) => {
    try { await p; } catch (e) { expect(e).toBeInstanceOf(NumlaneError); return [(e as NumlaneError).code, (e as NumlaneError).argument]; }
    throw new Error("expected a NumlaneError");
  };
  it("types, shapes, sizes, strides", async () => {
    const x = new Float64Array(4);
    expect(await code(nl.blas.dot([1, 2] as unknown as Float64Array, x))).toEqual(["invalid-type", "x"]);
    expect(await code(nl.blas.dot(x, new Float32Array(4) as unknown as Float64Array))).toEqual(["invalid-type", "y"]);
    expect(await code(nl.blas.dot(x, new Float64Array(5)))).toEqual(["invalid-shape", "y"]);
    expect(await code(nl.blas.dot(x, x, { incx: 0 }))).toEqual(["invalid-size", "opts.incx"]);
    expect(await code(nl.blas.dot(x, x, { incx: 1.5 }))).toEqual(["invalid-size", "opts.incx"]);
    expect(await code(nl.blas.dot(x, x, { n: -1 }))).toEqual(["invalid-size", "opts.n"]);
    expect(await code(nl.blas.dot(x, x, { n: 3, incx: 2 }))).toEqual(["invalid-shape", "x"]);
    expect(await code(nl.blas.gemv([[1, 2]], Float64Array.of(1)))).toEqual(["invalid-shape", "x"]);
    expect(await code(nl.blas.gemv([[1, 2], [3]], Float64Array.of(1, 2)))).toEqual(["invalid-shape", "A"]);
    expect(await code(nl.blas.scal(1, x, { threads: 0 }))).toEqual(["invalid-size", "opts.threads"]);
    expect(() => new CsrMatrix(2, 2, Int32Array.of(0, 1, 2), Int32Array.of(0, 5), Float64Array.of(1, 1))).toThrow(/outside/);
  });
  it("detached buffers", async () => {
    const x = new Float64Array(8);
    structuredClone(x.buffer, { transfer: [x.buffer] });
    expect(await code(nl.blas.nrm2(x))).toEqual(["detached", "x"]);
  });
  it("sizes that cannot fit in wasm memory", async () => {
    const huge = { length: 2 ** 29 } as Float64Array; // not even a Float64Array
    expect((await code(nl.blas.nrm2(huge)))[0]).toBe("invalid-type");
    // A real 1.5 GiB Float64Array pair would be 3 GiB in wasm memory, past its 2 GiB limit.
    const big = new Float64Array(200_000_000);
    expect(await code(nl.blas.dot(big, big))).toEqual(["out-of-memory", undefined]);
  });
});

describe("heap-resident arrays", () => {
  it("nl.alloc arrays are used in place and survive memory growth (threads build)", async () => {
    const x = nl.alloc(100_000), y = nl.alloc(100_000);
    x.set(uniform(100_000, 1)); y.set(uniform(100_000, 2));
    const before = await nl.blas.dot(x, y);
    const grow = new Float64Array(3_000_000).fill(1); // forces memory growth
    expect(await nl.blas.nrm2(grow)).toBeCloseTo(Math.sqrt(3e6), 8);
    expect(await nl.blas.dot(x, y)).toBe(before);
    await nl.blas.axpy(1, x, y, { inPlace: true });
    expect(y[0]).toBe(uniform(1, 1)[0] + uniform(1, 2)[0]);
    nl.free(x); nl.free(y);
    expect(() => nl.free(new Float64Array(2))).toThrow(NumlaneError);
  });
});
