// nl.softmax / nl.logSoftmax against a plain float64 JavaScript reference (and
// SciPy): every algorithm, f32 and f64, awkward lengths and batches, special
// values, bit-identical results for any thread count and both builds, typed
// errors on bad input. The vector exp's ULP sweep is here too.
import { spawnSync } from "node:child_process";
import v8 from "node:v8";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, NumlaneError, type Numlane } from "../dist/index.js";
import { rng, sameBits } from "./helpers.js";
import * as K from "../src/generated/kernels.js";

const ALGS = ["two-pass", "three-pass", "online", "blocked", "auto"] as const;
type F = Float32Array | Float64Array;

let nl: Numlane;
let contexts: Numlane[]; // threads 1, 2, 3, and the single build
beforeAll(async () => {
  nl = await init({ threads: 2 });
  contexts = [await init({ threads: 1 }), nl, await init({ threads: 3 }), await init({ build: "single" })];
});
afterAll(async () => {
  for (const c of contexts) await c.close();
});

function data<T extends F>(type: { new (n: number): T }, n: number, seed: number, lo = -100, hi = 100): T {
  const r = rng(seed), x = new type(n);
  for (let i = 0; i < n; i++) x[i] = lo + (hi - lo) * r();
  return x;
}

/** Σ with Neumaier compensation, so the reference's own sum error stays far below the tolerances. */
function accurateSum(v: ArrayLike<number>, from = 0, to = v.length, f = (t: number) => t): number {
  let s = 0, c = 0;
  for (let i = from; i < to; i++) {
    const t = f(v[i]), u = s + t;
    c += Math.abs(s) >= Math.abs(t) ? (s - u) + t : (t - u) + s;
    s = u;
  }
  return s + c;
}

/** Plain float64 reference, row by row. */
function reference(x: ArrayLike<number>, rows: number, cols: number, log: boolean): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[r * cols + j]);
    const s = accurateSum(x, r * cols, (r + 1) * cols, (v) => Math.exp(v - m));
    for (let j = 0; j < cols; j++) {
      const t = x[r * cols + j] - m;
      y[r * cols + j] = log ? t - Math.log(s) : Math.exp(t) / s;
    }
  }
  return y;
}

/** Max relative error over outputs ≥ floor (softmax) or max |Δ|/(1+|ref|) (log-softmax). */
function maxError(y: ArrayLike<number>, ref: Float64Array, log: boolean, floor: number): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = log ? Math.abs(y[i] - ref[i]) / (1 + Math.abs(ref[i])) : ref[i] >= floor ? Math.abs(y[i] - ref[i]) / ref[i] : Math.abs(y[i] - ref[i]) / floor;
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

const TOL = { f32: 5e-6, f64: 1e-14 };
const FLOOR = { f32: 1e-30, f64: 1e-300 };

describe("accuracy against the float64 reference", () => {
  for (const [dt, type] of [["f32", Float32Array], ["f64", Float64Array]] as const) {
    for (const alg of ALGS) {
      for (const log of [false, true]) {
        it(`${log ? "logSoftmax" : "softmax"} ${dt} ${alg}: lengths 1…100003 and batches`, async () => {
          for (const n of [1, 2, 3, 5, 7, 16, 17, 33, 1000, 2047, 2049, 10007, 100003]) {
            const x = data(type, n, n + 11);
            const copy = x.slice();
            const y = await (log ? nl.logSoftmax(x, { algorithm: alg }) : nl.softmax(x, { algorithm: alg }));
            expect(y).toBeInstanceOf(type);
            expect(sameBits(x, copy)).toBe(true);
            const err = maxError(y, reference(x, 1, n, log), log, FLOOR[dt]);
            expect(err, `n=${n}`).toBeLessThanOrEqual(TOL[dt]);
          }
          for (const [rows, cols] of [[37, 1000], [5, 4099], [1000, 3], [3, 1]]) {
            const x = data(type, rows * cols, rows * 7 + cols);
            const y = await (log ? nl.logSoftmax(x, { rows, cols, algorithm: alg }) : nl.softmax(x, { rows, algorithm: alg }));
            expect(maxError(y, reference(x, rows, cols, log), log, FLOOR[dt]), `${rows}×${cols}`).toBeLessThanOrEqual(TOL[dt]);
          }
        });
      }
    }
  }

  it("mass sums to 1 within 2e-6 at n = 1e6 (f32), 1e-13 (f64)", async () => {
    for (const alg of ALGS) {
      for (const [type, tol] of [[Float32Array, 2e-6], [Float64Array, 1e-13]] as const) {
        const x = data(type, 1_000_000, 5);
        const y = await nl.softmax(x, { algorithm: alg });
        const s = accurateSum(y);
        expect(Math.abs(s - 1), `${alg} ${type.name}`).toBeLessThanOrEqual(tol);
        const err = maxError(y, reference(x, 1, x.length, false), false, FLOOR[type === Float32Array ? "f32" : "f64"]);
        expect(err).toBeLessThanOrEqual(type === Float32Array ? TOL.f32 : TOL.f64);
      }
    }
  });

  it("large-magnitude rows (two-pass falls back beyond its exact range) stay accurate", async () => {
    for (const alg of ALGS) {
      for (const shift of [0, 350, -350, 5000, -20000, 1e5, -1e6, 3e7]) {
        const x32 = data(Float32Array, 3001, 9, shift - 30, shift + 30);
        const y32 = await nl.softmax(x32, { algorithm: alg });
        expect(maxError(y32, reference(x32, 1, x32.length, false), false, 1e-30), `f32 ${alg} ${shift}`).toBeLessThanOrEqual(TOL.f32);
        const x64 = data(Float64Array, 3001, 9, shift - 30, shift + 30);
        const y64 = await nl.softmax(x64, { algorithm: alg });
        expect(maxError(y64, reference(x64, 1, x64.length, false), false, 1e-300), `f64 ${alg} ${shift}`).toBeLessThanOrEqual(shift === 0 ? TOL.f64 : 1e-14 * Math.max(1, Math.abs(shift) / 30));
        const l64 = await nl.logSoftmax(x64, { algorithm: alg });
        expect(maxError(l64, reference(x64, 1, x64.length, true), true, 0), `log f64 ${alg} ${shift}`).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(shift)));
      }
    }
  });

  it("agrees with scipy.special.softmax / log_softmax", async () => {
    // CI installs Debian's SciPy (.ci/run); elsewhere the comparison is optional.
    const py = "/usr/bin/python3";
    if (!existsSync(py) && !process.env.CI) return;
    const x = data(Float64Array, 4 * 2500, 77, -50, 50);
    const script = "import sys,json,numpy as np;from scipy.special import softmax,log_softmax;x=np.array(json.load(sys.stdin)).reshape(4,2500);print(json.dumps([softmax(x,axis=1).ravel().tolist(),log_softmax(x,axis=1).ravel().tolist()]))";
    const r = spawnSync(py, ["-c", script], { input: JSON.stringify(Array.from(x)), maxBuffer: 1 << 26 });
    if (r.status !== 0) {
      if (process.env.CI) throw new Error(`SciPy is required in CI: ${r.stderr}`);
      console.warn(`scipy comparison skipped: ${r.stderr}`);
      return;
    }
    const [sp, lsp] = JSON.parse(r.stdout.toString()) as number[][];
    for (const alg of ALGS) {
      const y = await nl.softmax(x, { rows: 4, algorithm: alg });
      expect(maxError(y, Float64Array.from(sp), false, 1e-300)).toBeLessThanOrEqual(1e-14);
      const l = await nl.logSoftmax(x, { rows: 4, algorithm: alg });
      expect(maxError(l, Float64Array.from(lsp), true, 0)).toBeLessThanOrEqual(1e-14);
    }
  });
});

describe("special values", () => {
  const big = { Float32Array: 3e38, Float64Array: 1.7e308 };
  for (const type of [Float32Array, Float64Array]) {
    for (const alg of ALGS) {
      it(`${type.name} ${alg}`, async () => {
        const sm = (v: number[] | F, o = {}) => nl.softmax(v instanceof type ? v : type.from(v as number[]), { algorithm: alg, ...o });
        const lsm = (v: number[]) => nl.logSoftmax(type.from(v), { algorithm: alg });
        // −∞ entries give exactly 0 (and −∞ in log space); long rows too.
        for (const n of [3, 40, 5000]) {
          const x = data(type, n, n, -10, 10);
          for (let i = 0; i < n; i += 3) x[i] = -Infinity;
          const y = await sm(x);
          const ref = reference(x, 1, n, false);
          for (let i = 0; i < n; i += 3) expect(y[i]).toBe(0);
          expect(maxError(y, ref, false, 1e-30)).toBeLessThanOrEqual(type === Float32Array ? 5e-6 : 1e-14);
          const l = await nl.logSoftmax(x, { algorithm: alg });
          for (let i = 0; i < n; i += 3) expect(l[i]).toBe(-Infinity);
        }
        // A whole 2048-entry chunk of −∞ inside a finite row weighs 0 (the
        // blocked algorithm's chunk max is then −∞); a whole chunk of NaN spreads NaN.
        {
          const x = data(type, 3 * 2048 + 5, 77, -10, 10);
          x.fill(-Infinity, 2048, 4096);
          const y = await sm(x);
          expect([...y.subarray(2048, 4096)].every((v) => v === 0)).toBe(true);
          expect(maxError(y, reference(x, 1, x.length, false), false, 1e-30)).toBeLessThanOrEqual(type === Float32Array ? 5e-6 : 1e-14);
          x.fill(NaN, 2048, 4096);
          expect([...(await sm(x))].every(Number.isNaN)).toBe(true);
          expect([...(await lsm([...x]))].every(Number.isNaN)).toBe(true);
        }
        // A row of all −∞ gives NaN, as the float64 reference does.
        for (const n of [1, 4, 3000]) {
          expect([...(await sm(new Array(n).fill(-Infinity)))].every(Number.isNaN)).toBe(true);
          expect([...(await lsm(new Array(n).fill(-Infinity)))].every(Number.isNaN)).toBe(true);
        }
        // Any NaN gives a NaN row; +∞ likewise (∞ − ∞); other rows of a batch are untouched.
        for (const bad of [NaN, Infinity]) {
          for (const n of [5, 3000]) {
            const x = data(type, 2 * n, 3, -5, 5);
            x[n + (n >> 1)] = bad;
            const y = await sm(x, { rows: 2 });
            expect([...y.subarray(n)].every(Number.isNaN), `${bad} n=${n}`).toBe(true);
            expect(maxError(y.subarray(0, n), reference(x, 1, n, false), false, 1e-30)).toBeLessThanOrEqual(type === Float32Array ? 5e-6 : 1e-14);
            const l = await nl.logSoftmax(x, { rows: 2, algorithm: alg });
            expect([...l.subarray(n)].every(Number.isNaN)).toBe(true);
          }
        }
        // Entries near ±max share the mass correctly.
        const B = big[type.name as keyof typeof big];
        const y1 = await sm([B, B, -B, 0, B]);
        expect([...y1]).toEqual([1 / 3, 1 / 3, 0, 0, 1 / 3].map((v) => (type === Float32Array ? Math.fround(v) : v)));
        const y2 = await sm([-B, -B, -B * 0.5]);
        expect([...y2]).toEqual([0, 0, 1]);
        const l1 = await lsm([B, B]);
        expect(Math.abs(l1[0] + Math.LN2)).toBeLessThan(1e-6);
        // All-equal rows give 1/n within 1 ulp; n = 1 gives 1 (log: 0).
        for (const v of [0, 3.7, -200, 1e4, -87.5, 88.5]) {
          for (const n of [1, 2, 3, 10, 1000, 4099, 12345]) {
            const y = await sm(new Array(n).fill(v));
            const want = type === Float32Array ? Math.fround(1 / n) : 1 / n;
            const ulp = type === Float32Array ? 2 ** (Math.floor(Math.log2(want)) - 23) : 2 ** (Math.floor(Math.log2(want)) - 52);
            let worst = 0;
            for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] - want) / ulp);
            expect(worst, `v=${v} n=${n}`).toBeLessThanOrEqual(1);
          }
        }
        expect([...(await sm([123.25]))]).toEqual([1]);
        expect([...(await lsm([-5e3]))]).toEqual([0]);
      });
    }
  }
});

describe("in place (out: x)", () => {
  it("gives the same bits as a fresh output, for the caller's arrays and nl.alloc ones, on 1 and 2 threads", async () => {
    for (const type of [Float32Array, Float64Array]) {
      for (const alg of ALGS) {
        for (const [rows, cols] of [[1, 3 * 2048 + 5], [7, 1000]]) {
          for (const log of [false, true]) {
            const x = data(type, rows * cols, rows + cols, -50, 50);
            const f = (v: F, o: object) => (log ? nl.logSoftmax(v, { rows, algorithm: alg, ...o }) : nl.softmax(v, { rows, algorithm: alg, ...o }));
            const want = await f(x, { threads: 1 });
            for (const threads of [1, 2]) {
              const mine = x.slice();
              expect(await f(mine, { out: mine, threads })).toBe(mine);
              expect(sameBits(mine, want), `${type.name} ${alg} ${rows}×${cols} log=${log} ${threads}t`).toBe(true);
              const owned = nl.alloc(x.length, type as Float32ArrayConstructor) as F;
              owned.set(x);
              await f(owned, { out: owned, threads });
              expect(sameBits(owned, want)).toBe(true);
              nl.free(owned);
            }
          }
        }
      }
    }
  });
});

describe("the private unshared instance (Engine.local)", () => {
  it("loads in the background and gives the same bits as the shared memory, inputs untouched", async () => {
    for (let i = 0; i < 100 && nl.engine.local === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    const local = nl.engine.local;
    expect(local).toBeDefined();
    expect(local!.heap.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    for (const type of [Float32Array, Float64Array]) {
      for (const alg of ALGS) {
        const x = data(type, 3 * 2048 + 17, 5);
        const copy = x.slice();
        const viaLocal = await nl.logSoftmax(x, { algorithm: alg, threads: 1 });
        const before = local!.heap.bytesInUse;
        const viaLocal2 = await nl.softmax(x, { algorithm: alg, threads: 1 });
        expect(local!.heap.bytesInUse).toBe(before);
        nl.engine.local = undefined;
        try {
          expect(sameBits(await nl.logSoftmax(x, { algorithm: alg, threads: 1 }), viaLocal)).toBe(true);
          expect(sameBits(await nl.softmax(x, { algorithm: alg, threads: 1 }), viaLocal2)).toBe(true);
        } finally {
          nl.engine.local = local;
        }
        expect(sameBits(x, copy)).toBe(true);
      }
    }
  });
});

describe("determinism across threads and builds", () => {
  const shapes: [number, number][] = [[1, 300_001], [5, 40_000], [64, 3000], [3, 2049]];
  for (const type of [Float32Array, Float64Array]) {
    for (const alg of ALGS) {
      it(`${type.name} ${alg}: threads 1, 2, 3 and the single build agree bit for bit`, async () => {
        for (const [rows, cols] of shapes) {
          const x = data(type, rows * cols, rows + cols, -60, 60);
          for (const log of [false, true]) {
            const results: F[] = [];
            for (const c of contexts) {
              for (const threads of [1, 2, 3]) {
                if (threads > c.info.threads) continue;
                results.push(await (log ? c.logSoftmax(x, { rows, algorithm: alg, threads }) : c.softmax(x, { rows, algorithm: alg, threads })));
              }
            }
            for (const r of results) expect(sameBits(r, results[0]), `${rows}×${cols} log=${log}`).toBe(true);
          }
        }
      });
    }
  }
});

describe("auto", () => {
  it("plans one thread for small inputs, all of the context's for large ones (before any timing); three-pass, blocked for rows beyond 4 MiB", async () => {
    const c = await init({ threads: 2 });
    for (const [n, rows, threads] of [[1000, 1, 1], [100_000, 1, 1], [1 << 17, 1, 2], [1_000_000, 1, 2], [1_000_000, 1000, 2], [4096, 64, 1]] as const) {
      const plan = c.softmaxPlan(new Float32Array(n), { rows });
      expect(plan, `${rows}×${n / rows}`).toEqual({ algorithm: "three-pass", threads: Math.min(threads, c.info.threads) });
    }
    expect(c.softmaxPlan(new Float32Array(1 << 20)).algorithm).toBe("blocked");
    expect(c.softmaxPlan(new Float64Array(1 << 19)).algorithm).toBe("blocked");
    expect(c.softmaxPlan(new Float64Array(1 << 20), { rows: 4 }).algorithm).toBe("three-pass");
    await c.close();
    expect(nl.softmaxPlan(new Float32Array(10), { algorithm: "two-pass", threads: 1 })).toEqual({ algorithm: "two-pass", threads: 1 });
  });

  it("above the threshold, times all threads first, then one (each after an untimed warm-up call); results never change", async () => {
    const c = await init({ threads: 2 });
    try {
      const x = data(Float32Array, 1 << 18, 4);
      const plans = [c.softmaxPlan(x).threads];
      const first = await c.softmax(x);
      for (let i = 0; i < 70; i++) {
        plans.push(c.softmaxPlan(x).threads);
        expect(sameBits(await c.softmax(x), first)).toBe(true);
      }
      expect(plans.slice(0, 4)).toEqual([2, 2, 1, 1]);
    } finally {
      await c.close();
    }
    expect(() => nl.softmaxPlan(new Float32Array(10), { rows: 3 })).toThrow(NumlaneError);
  });
});

describe("output arrays and zero copy", () => {
  it("writes into out (plain or nl.alloc) and returns it", async () => {
    for (const type of [Float32Array, Float64Array]) {
      const x = data(type, 3000, 1);
      const ref = await nl.softmax(x);
      const out = new type(3000);
      expect(await nl.softmax(x, { out })).toBe(out);
      expect(sameBits(out, ref)).toBe(true);
      const xa = nl.alloc(3000, type as Float64ArrayConstructor) as F, ya = nl.alloc(3000, type as Float64ArrayConstructor) as F;
      xa.set(x);
      for (const threads of [1, 2]) {
        const r = await nl.softmax(xa, { out: ya, threads });
        expect(r).toBe(ya);
        expect(sameBits(ya, ref)).toBe(true);
        expect(sameBits(xa, x)).toBe(true);
      }
      nl.free(xa); nl.free(ya);
    }
  });

  it("returns fresh results in their own plain ArrayBuffer (not zeroed first, so every entry must be written): transferable", async () => {
    for (const type of [Float32Array, Float64Array]) {
      for (const [n, threads] of [[1, 1], [3001, 1], [3001, 2], [300_000, 2]] as const) {
        const x = data(type, n, 2);
        const y = await nl.softmax(x, { threads });
        expect(y.constructor).toBe(type);
        expect(y.byteOffset).toBe(0);
        expect(y.buffer.byteLength).toBe(n * type.BYTES_PER_ELEMENT);
        expect(y.buffer instanceof ArrayBuffer).toBe(true);
        // Every entry written: against the float64 reference, none left as stale memory.
        let m = -Infinity, s = 0;
        for (const v of x) m = Math.max(m, v);
        for (const v of x) s += Math.exp(v - m);
        let bad = -1;
        for (let i = 0; i < n && bad < 0; i++) {
          const want = Math.exp(x[i] - m) / s;
          if (!(Math.abs(y[i] - want) <= 1e-5 * want + 1e-30)) bad = i;
        }
        expect(bad).toBe(-1);
        const moved = structuredClone(y.buffer, { transfer: [y.buffer] });
        expect(moved.byteLength).toBe(n * type.BYTES_PER_ELEMENT);
        expect(y.length).toBe(0); // detached by the transfer
      }
    }
  });
});

describe("bad input", () => {
  it("throws NumlaneError naming the argument, input untouched", async () => {
    const x = data(Float32Array, 12, 3), copy = x.slice();
    const bad: [unknown, unknown, string][] = [
      [[1, 2, 3], undefined, "x"],
      [new Int32Array(3), undefined, "x"],
      ["abc", undefined, "x"],
      [null, undefined, "x"],
      [new Float32Array(0), undefined, "x"],
      [x, { rows: 5 }, "opts.rows"],
      [x, { rows: 3, cols: 5 }, "opts.rows"],
      [x, { cols: 5 }, "opts.cols"],
      [x, { rows: 0 }, "opts.rows"],
      [x, { rows: -3 }, "opts.rows"],
      [x, { cols: 0 }, "opts.cols"],
      [x, { cols: 2.5 }, "opts.cols"],
      [x, { algorithm: "fast" }, "opts.algorithm"],
      [x, { out: new Float64Array(12) }, "opts.out"],
      [x, { out: new Float32Array(11) }, "opts.out"],
      [x, { out: [0] }, "opts.out"],
      [x, { threads: 0 }, "opts.threads"],
    ];
    for (const [input, opts, arg] of bad) {
      for (const f of [nl.softmax, nl.logSoftmax]) {
        const p = f.call(nl, input as Float32Array, opts as never);
        await expect(p, `${arg} ${JSON.stringify(opts)}`).rejects.toBeInstanceOf(NumlaneError);
        await expect(p).rejects.toMatchObject({ argument: arg });
      }
    }
    expect(sameBits(x, copy)).toBe(true);
    const ac = new AbortController();
    ac.abort();
    await expect(nl.softmax(x, { signal: ac.signal })).rejects.toMatchObject({ name: "AbortError" });
  });
});

/**
 * The vector exps' max ULP errors (the vexp_f32_ulp / vexp_f64_ulp kernels
 * of context c), over every `step`-th f32 of the range (bit patterns, both signs).
 */
async function expSweep(c: Numlane, step: number, label: string): Promise<void> {
  const scope = await c.engine.scope({});
  try {
    const { maxUlp: ulp32, at: at32, tested: n32 } = await scope.launch(K.vexp_f32_ulp, { lo: -87.3, hi: 88.7, step, variant: 0 });
    console.log(`${label}exp f32x4: max ${ulp32.toFixed(3)} ULP at x = ${at32} over ${n32} values`);
    expect(n32).toBeGreaterThan(2.2e9 / step);
    expect(ulp32).toBeLessThanOrEqual(2.5);
    // The softmax kernels' own exps: three-pass/online/blocked exp(t ≤ 0) and the two-pass p·2^n
    // (normal results: above 2^-126).
    for (const [variant, lo, hi, name] of [[1, -87.3, 0, "three-pass exp(t ≤ 0)"], [2, -87.3, 88.7, "two-pass p·2^n"]] as const) {
      const { maxUlp: u, at, tested: cnt } = await scope.launch(K.vexp_f32_ulp, { lo, hi, step, variant });
      console.log(`${label}exp f32 ${name}: max ${u.toFixed(3)} ULP at x = ${at} over ${cnt} values`);
      expect(cnt).toBeGreaterThan(1e9 / step);
      expect(u, name).toBeLessThanOrEqual(2.5);
    }
    const { maxUlp: ulp64, at: at64, tested: n64 } = await scope.launch(K.vexp_f64_ulp, { lo: -708, hi: 709, count: Math.round(1.16e8 / step) });
    console.log(`${label}exp f64x2: max ${ulp64.toFixed(3)} ULP (vs Math.exp) at x = ${at64} over ${n64} values`);
    expect(ulp64).toBeLessThanOrEqual(1.5);
  } finally {
    scope.free();
  }
}

describe("vector exp accuracy sweep", () => {
  it("f32x4 exp ≤ 2.5 ULP on [-87.3, 88.7]; f64x2 exp ≤ 1 ULP of Math.exp on [-708, 709]", () => expSweep(nl, 29, ""));
});

describe("relaxed-SIMD build (opt-in)", () => {
  // Node 20 has relaxed SIMD behind a flag; V8 reads it when it compiles wasm.
  let r: Numlane;
  beforeAll(async () => {
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    r = await init({ build: "relaxed", threads: 2 });
    // One-thread calls on plain arrays then run on its private relaxed-single instance.
    for (let i = 0; i < 100 && r.engine.local === undefined; i++) await new Promise((res) => setTimeout(res, 20));
  });
  afterAll(() => r?.close());

  it("is what init({ build: \"relaxed\" }) gives where the engine has relaxed SIMD, else the threads build and a reason", async () => {
    expect(r.info.build).toBe("relaxed");
    v8.setFlagsFromString("--no-experimental-wasm-relaxed-simd");
    try {
      const c = await init({ build: "relaxed", threads: 1 });
      expect(c.info.build).toBe("threads");
      expect(c.info.reason).toMatch(/relaxed SIMD/);
      await c.close();
    } finally {
      v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    }
    await expect(init({ build: "fast" as never })).rejects.toThrow(NumlaneError);
  });

  it("every algorithm is as accurate as in the other builds, with the same bits on 1 thread (private relaxed-single instance) and 2", async () => {
    expect(r.engine.local?.heap.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    let differ = 0;
    for (const [dt, type] of [["f32", Float32Array], ["f64", Float64Array]] as const) {
      for (const alg of ALGS) {
        for (const log of [false, true]) {
          const x = data(type, 30011, 3), ref = reference(x, 1, x.length, log);
          const run = (c: Numlane, threads: number) => (log ? c.logSoftmax(x, { algorithm: alg, threads }) : c.softmax(x, { algorithm: alg, threads }));
          const y1 = await run(r, 1), y2 = await run(r, 2);
          expect(sameBits(y1, y2), `${dt} ${alg} log=${log}`).toBe(true);
          expect(maxError(y1, ref, log, FLOOR[dt])).toBeLessThanOrEqual(TOL[dt]);
          if (!sameBits(y1, await run(nl, 1))) differ++;
        }
      }
    }
    // Fused multiply-adds round differently (where the hardware has FMA).
    console.log(`relaxed build: ${differ} of ${2 * ALGS.length * 2} results differ in some bits from the threads build`);
  });

  it("keeps the exps within their ULP bounds", () => expSweep(r, 97, "relaxed build: "));
});
