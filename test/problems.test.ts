// Problem families (problems.*): every family's matrices against an
// independent SciPy assembly from the same field values and parameters, the
// Gaussian random field against NumPy's evaluation of its expansion and
// against its analytic variance, determinism, bad input.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NumlaneError, problems, type ProblemSet } from "../dist/index.js";
import { mix64, SeededStream } from "../src/problems.js";
import { python, sameBits } from "./helpers.js";

// Assembles each case's matrix with scipy.sparse from the stencil's
// definition (harmonic means, upwinding, shifts written out afresh), and
// evaluates the random fields from their coefficients with NumPy's cos/exp.
// Darcy's assembly is bench/darcy_fv.py's (the SciPy peer's own).
const REFERENCE = String.raw`
import sys, json, numpy as np, scipy.sparse as sp
sys.path.insert(0, ${JSON.stringify(fileURLToPath(new URL("../bench/", import.meta.url)))})
from darcy_fv import darcy_matrix as darcy
cases = json.load(sys.stdin)
def lap1(n):
    e = np.ones(n)
    return sp.diags([-e[1:], 2 * e, -e[1:]], [-1, 0, 1])
def lap2(n):
    I = sp.identity(n)
    return (sp.kron(I, lap1(n)) + sp.kron(lap1(n), I)) * (n + 1) ** 2
def basis(K, x):
    return np.array([np.ones_like(x) if k == 0 else np.sqrt(2) * np.cos(np.pi * k * x) for k in range(K)])
def field(c, K, x):
    C = np.concatenate([[0.0], c]).reshape(K, K)   # C[k2, k1], (0, 0) left out
    B = basis(K, x)
    return B.T @ C @ B                             # [i, j] = sum C[k2,k1] phi_k2(y_i) phi_k1(x_j)
def convection(n, eps, wx, wy):
    h = 1 / (n + 1); e = np.ones(n); I = sp.identity(n)
    back = sp.diags([e, -e[1:]], [0, -1]) / h      # (u_j - u_{j-1}) / h
    fwd = sp.diags([-e, e[1:]], [0, 1]) / h        # (u_{j+1} - u_j) / h
    up = lambda w: max(w, 0) * back + min(w, 0) * fwd
    return eps * lap2(n) + sp.kron(I, up(wx)) + sp.kron(up(wy), I)
out = []
for case in cases:
    n, kind = case["n"], case["kind"]
    ref = {}
    if kind == "darcy":
        x = (np.arange(n) + 0.5) / n
        g = field(np.array(case["features"]), case["modes"], x)
        ref["g"] = g.ravel().tolist()
        A = darcy(np.array(case["a"], dtype=float).reshape(n, n))
    elif kind == "poisson":
        x = (np.arange(n) + 1) / (n + 1)
        ref["f"] = field(np.array(case["features"]), case["modes"], x).ravel().tolist()
        A = lap2(n)
    elif kind == "helmholtz":
        A = lap2(n) - case["k"] ** 2 * sp.identity(n * n)
    elif kind == "convection":
        A = convection(n, case["eps"], case["wx"], case["wy"])
    elif kind == "heat":
        A = sp.identity(n * n) + case["dt"] * lap2(n)
    A = sp.csr_matrix(A); A.sum_duplicates(); A.sort_indices()
    ref.update(indptr=A.indptr.tolist(), indices=A.indices.tolist(), data=A.data.tolist(),
               symmetric=bool(abs(A - A.T).max() == 0))
    out.append(ref)
print(json.dumps(out))
`;

/** Same pattern exactly, values within `rtol` of each other (relative to the row's largest). */
function expectCsrClose(A: { indptr: Int32Array; indices: Int32Array; data: Float64Array }, ref: { indptr: number[]; indices: number[]; data: number[] }, rtol: number) {
  expect(Array.from(A.indptr)).toEqual(ref.indptr);
  expect(Array.from(A.indices)).toEqual(ref.indices);
  let worst = 0;
  for (let k = 0; k < A.data.length; k++) worst = Math.max(worst, Math.abs(A.data[k] - ref.data[k]) / Math.abs(ref.data[k]));
  expect(worst).toBeLessThanOrEqual(rtol);
}

function referenceOf(cases: object[]): any[] {
  const ref = python(REFERENCE, cases);
  expect(ref, "Debian's SciPy (/usr/bin/python3) is needed").toBeDefined();
  return ref;
}

const sharesPattern = (set: ProblemSet) =>
  set.systems.every((s) => s.A.indptr === set.systems[0].A.indptr && s.A.indices === set.systems[0].A.indices);

describe("problem families against SciPy assemblies", () => {
  it("darcy with a base map: a = base ⊙ the family's coefficient, the FV matrix of that a", () => {
    const n = 12, plain = problems.darcy({ grid: n, count: 2, seed: 3, coefficient: "piecewise" });
    const base = Array.from({ length: n * n }, (_, p) => (p % n < n / 2 ? 10 : p % 7 === 0 ? 0.1 : 1));
    const set = problems.darcy({ grid: n, count: 2, seed: 3, coefficient: "piecewise", base });
    expect(set.params.base).toEqual(base);
    for (let p = 0; p < 2 * n * n; p++) expect(set.inputs[p]).toBe(plain.inputs[p] * base[p % (n * n)]);
    const cases = set.systems.map((s, i) => ({ kind: "darcy", n, modes: 8, features: Array.from(s.features), a: Array.from(set.inputs.subarray(i * n * n, (i + 1) * n * n)) }));
    const ref = referenceOf(cases);
    set.systems.forEach((s, i) => expectCsrClose(s.A, ref[i], 1e-14));
    expect(plain.systems[0].A.data).not.toEqual(set.systems[0].A.data);
  });

  it("darcy (lognormal and piecewise): FV matrices, fields from their expansion coefficients", () => {
    for (const coefficient of ["lognormal", "piecewise"] as const) {
      const n = 16, set = problems.darcy({ grid: n, count: 3, seed: 7, coefficient, modes: 6 });
      expect(set.family).toBe("darcy");
      expect(set.inputShape).toEqual([3, n, n]);
      expect(sharesPattern(set)).toBe(true);
      const cases = set.systems.map((s, i) => ({ kind: "darcy", n, modes: 6, features: Array.from(s.features), a: Array.from(set.inputs.subarray(i * n * n, (i + 1) * n * n)) }));
      const ref = referenceOf(cases);
      set.systems.forEach((s, i) => {
        expectCsrClose(s.A, ref[i], 1e-14);
        expect(ref[i].symmetric).toBe(true);
        expect(s.features.length).toBe(6 * 6 - 1);
        expect(Array.from(s.b)).toEqual(new Array(n * n).fill(1));
        const a = set.inputs.subarray(i * n * n, (i + 1) * n * n);
        let worst = 0, flips = 0;
        for (let p = 0; p < n * n; p++) {
          const g = ref[i].g[p];
          if (coefficient === "lognormal") worst = Math.max(worst, Math.abs(a[p] - Math.exp(g)) / Math.exp(g));
          else if (Math.abs(g) > 1e-12 && a[p] !== (g >= 0 ? 12 : 3)) flips++;
        }
        expect(worst).toBeLessThan(1e-13);
        expect(flips).toBe(0);
      });
      if (coefficient === "piecewise") {
        // Both values occur (a field of zero mean over the square).
        const values = new Set(set.inputs);
        expect([...values].sort()).toEqual([12, 3]);
      }
    }
  });

  it("poisson: the 5-point Laplacian and right-hand sides from the field's coefficients", () => {
    const n = 12, set = problems.poisson({ grid: n, count: 3, seed: 3 });
    const ref = referenceOf(set.systems.map((s) => ({ kind: "poisson", n, modes: 8, features: Array.from(s.features) })));
    set.systems.forEach((s, i) => {
      expectCsrClose(s.A, ref[i], 1e-14);
      let worst = 0, scale = 0;
      for (let p = 0; p < n * n; p++) {
        worst = Math.max(worst, Math.abs(s.b[p] - ref[i].f[p]));
        scale = Math.max(scale, Math.abs(ref[i].f[p]));
        expect(set.inputs[i * n * n + p]).toBe(s.b[p]);
      }
      expect(worst / scale).toBeLessThan(1e-13);
    });
  });

  it("helmholtz: −Δ − k² with k the feature, a point source", () => {
    const n = 10, set = problems.helmholtz({ grid: n, count: 4, seed: 1, wavenumbers: [3, 9] });
    expect(set.inputShape).toEqual([4, 1]);
    const ref = referenceOf(set.systems.map((s) => ({ kind: "helmholtz", n, k: s.features[0] })));
    set.systems.forEach((s, i) => {
      expect(s.features[0]).toBeGreaterThanOrEqual(3);
      expect(s.features[0]).toBeLessThanOrEqual(9);
      expect(set.inputs[i]).toBe(s.features[0]);
      expectCsrClose(s.A, ref[i], 1e-14);
      expect(s.b.reduce((x, y) => x + y, 0)).toBe((n + 1) ** 2);
    });
    expect(new Set(set.inputs).size).toBe(4);
  });

  it("convection–diffusion: upwind and nonsymmetric, the wind turning once round", () => {
    const n = 9, count = 8, set = problems.convectionDiffusion({ grid: n, count, seed: 5, diffusion: 0.05, speed: 2 });
    expect(set.inputShape).toEqual([count, 2]);
    expect(sharesPattern(set)).toBe(true);
    const ref = referenceOf(set.systems.map((s) => ({ kind: "convection", n, eps: 0.05, wx: s.features[0], wy: s.features[1] })));
    const angles: number[] = [];
    set.systems.forEach((s, i) => {
      const [wx, wy] = s.features;
      expect(Math.hypot(wx, wy)).toBeCloseTo(2, 14);
      angles.push(Math.atan2(wy, wx));
      expectCsrClose(s.A, ref[i], 1e-14);
      expect(ref[i].symmetric).toBe(false);
    });
    // Successive winds 2π/count apart.
    for (let i = 1; i < count; i++) {
      const step = (angles[i] - angles[i - 1] + 4 * Math.PI) % (2 * Math.PI);
      expect(step).toBeCloseTo((2 * Math.PI) / count, 12);
    }
  });

  it("heat: I + Δt·K with Δt log-uniform in the range, one initial field", () => {
    const n = 8, set = problems.heat({ grid: n, count: 5, seed: 2, dt: [1e-3, 1] });
    const ref = referenceOf(set.systems.map((s) => ({ kind: "heat", n, dt: s.features[0] })));
    set.systems.forEach((s, i) => {
      expect(s.features[0]).toBeGreaterThanOrEqual(1e-3);
      expect(s.features[0]).toBeLessThanOrEqual(1);
      expectCsrClose(s.A, ref[i], 1e-14);
      expect(s.b).toBe(set.systems[0].b);
    });
    expect(set.systems[0].b.some((v) => v !== 0)).toBe(true);
  });
});

describe("the Gaussian random field", () => {
  it("has mean 0 and the expansion's variance at every point, and each coefficient its own", () => {
    // Poisson's right-hand sides are the field at the interior nodes x_j = (j + 1)/(n + 1).
    const n = 5, K = 8, alpha = 2, tau = 3, M = 6000;
    const set = problems.poisson({ grid: n, count: M, seed: 11, modes: K, alpha, tau });
    // The analytic variance, written out here independently: Σ_k λ_k φ_k1(x)² φ_k2(y)².
    const phi = (k: number, x: number) => (k === 0 ? 1 : Math.SQRT2 * Math.cos(Math.PI * k * x));
    const lambda = (k1: number, k2: number) => (Math.PI ** 2 * (k1 * k1 + k2 * k2) + tau * tau) ** -alpha;
    let meanZ = 0, varRatio = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let expected = 0;
        for (let k2 = 0; k2 < K; k2++) for (let k1 = 0; k1 < K; k1++) {
          if (k1 || k2) expected += lambda(k1, k2) * phi(k1, (j + 1) / (n + 1)) ** 2 * phi(k2, (i + 1) / (n + 1)) ** 2;
        }
        let s = 0, s2 = 0;
        for (let m = 0; m < M; m++) { const v = set.inputs[m * n * n + i * n + j]; s += v; s2 += v * v; }
        const mean = s / M, variance = s2 / M - mean * mean;
        // The sample mean within 4.5 standard errors; the sample variance within 4.5 of its (Gaussian) standard errors.
        expect(Math.abs(mean)).toBeLessThan(4.5 * Math.sqrt(expected / M));
        expect(Math.abs(variance / expected - 1)).toBeLessThan(4.5 * Math.sqrt(2 / M));
        meanZ += mean / Math.sqrt(expected / M);
        varRatio += variance / expected / (n * n);
      }
    }
    // Averaged over the 25 points (correlated, so only a loose extra check).
    expect(Math.abs(varRatio - 1)).toBeLessThan(0.05);
    // Each coefficient c_k has variance λ_k: the features, coordinate by coordinate.
    for (const [k1, k2] of [[1, 0], [0, 1], [3, 2], [7, 7]]) {
      const idx = k2 * K + k1 - 1;
      let s2 = 0;
      for (const sys of set.systems) s2 += sys.features[idx] ** 2;
      expect(Math.abs(s2 / M / lambda(k1, k2) - 1)).toBeLessThan(4.5 * Math.sqrt(2 / M));
    }
    expect(Number.isFinite(meanZ)).toBe(true);
  });
});

describe("determinism", () => {
  const families = [
    (seed: number, count = 4) => problems.darcy({ grid: 12, count, seed }),
    (seed: number, count = 4) => problems.darcy({ grid: 12, count, seed, coefficient: "piecewise" }),
    (seed: number, count = 4) => problems.poisson({ grid: 12, count, seed }),
    (seed: number, count = 4) => problems.helmholtz({ grid: 12, count, seed }),
    (seed: number, count = 4) => problems.convectionDiffusion({ grid: 12, count, seed }),
    (seed: number, count = 4) => problems.heat({ grid: 12, count, seed }),
  ];
  const bitsOf = (set: ProblemSet) => [set.inputs, ...set.systems.flatMap((s) => [s.A.data, s.b, s.features])];

  it("the same seed gives the same bits; another seed other values", () => {
    for (const make of families) {
      const a = bitsOf(make(42)), b = bitsOf(make(42)), c = bitsOf(make(43));
      a.forEach((x, i) => expect(sameBits(x, b[i])).toBe(true));
      expect(sameBits(a[0], c[0])).toBe(false);
    }
  });

  it("system s does not depend on how many follow it (except the wind's turning rate)", () => {
    for (const make of [families[0], families[2], families[3], families[5]]) {
      const few = make(9, 2), many = make(9, 6);
      few.systems.forEach((s, i) => {
        expect(sameBits(s.A.data, many.systems[i].A.data)).toBe(true);
        expect(sameBits(s.b, many.systems[i].b)).toBe(true);
        expect(sameBits(s.features, many.systems[i].features)).toBe(true);
      });
    }
  });

  it("a stream's uniforms are SplitMix64's top 53 bits, computed with BigInt (the 32-bit-piece arithmetic is exact)", () => {
    for (const [seed, stream] of [[0, 0], [1, 7], [2026, 999], [2 ** 31 - 1, 2 ** 30 + 5], [123456789, 3]]) {
      const key = mix64(BigInt(seed), 0x5bd1e9955bd1e995n ^ BigInt(stream)), s = new SeededStream(seed, stream);
      for (let c = 0; c < 3000; c++) expect(s.uniform()).toBe(Number(mix64(key, BigInt(c)) >> 11n) * 2 ** -53);
    }
  });

  it("pins the bits: a SHA-256 of darcy's inputs and features that every runtime must reproduce", async () => {
    const set = problems.darcy({ grid: 20, count: 3, seed: 2026 });
    const bytes = new Uint8Array([...new Uint8Array(set.inputs.buffer), ...set.systems.flatMap((s) => [...new Uint8Array(s.features.buffer)])]);
    const hex = Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("hex");
    expect(hex).toBe(DARCY_HASH);
  });
});

// From the first run (Node 20); the families use no engine transcendental, so every runtime gives these bits.
const DARCY_HASH = "88e133a04cb9a8a38fd670bb3ef33e3e80e0542fed9d2289dc5cbb1e5b470b55";

describe("bad input", () => {
  const cases: [string, () => unknown, string, string][] = [
    ["no options", () => problems.darcy(undefined as never), "invalid-type", "opts"],
    ["unknown option", () => problems.darcy({ grid: 8, count: 2, coef: "lognormal" } as never), "invalid-value", "opts.coef"],
    ["grid missing", () => problems.poisson({ count: 2 } as never), "invalid-size", "opts.grid"],
    ["grid 0", () => problems.poisson({ grid: 0, count: 2 }), "invalid-size", "opts.grid"],
    ["grid 2.5", () => problems.heat({ grid: 2.5, count: 2 }), "invalid-size", "opts.grid"],
    ["count 0", () => problems.helmholtz({ grid: 8, count: 0 }), "invalid-size", "opts.count"],
    ["negative seed", () => problems.darcy({ grid: 8, count: 1, seed: -1 }), "invalid-size", "opts.seed"],
    ["coefficient", () => problems.darcy({ grid: 8, count: 1, coefficient: "gaussian" as never }), "invalid-value", "opts.coefficient"],
    ["modes 1", () => problems.darcy({ grid: 8, count: 1, modes: 1 }), "invalid-size", "opts.modes"],
    ["alpha 0", () => problems.poisson({ grid: 8, count: 1, alpha: 0 }), "invalid-value", "opts.alpha"],
    ["tau NaN", () => problems.poisson({ grid: 8, count: 1, tau: NaN }), "invalid-value", "opts.tau"],
    ["wavenumbers reversed", () => problems.helmholtz({ grid: 8, count: 1, wavenumbers: [5, 2] }), "invalid-value", "opts.wavenumbers[1]"],
    ["wavenumbers not a pair", () => problems.helmholtz({ grid: 8, count: 1, wavenumbers: [5] as never }), "invalid-type", "opts.wavenumbers"],
    ["dt 0", () => problems.heat({ grid: 8, count: 1, dt: [0, 1] }), "invalid-value", "opts.dt[0]"],
    ["diffusion negative", () => problems.convectionDiffusion({ grid: 8, count: 1, diffusion: -1 }), "invalid-value", "opts.diffusion"],
    ["speed Infinity", () => problems.convectionDiffusion({ grid: 8, count: 1, speed: Infinity }), "invalid-value", "opts.speed"],
    ["null option", () => problems.darcy({ grid: 8, count: 1, seed: null } as never), "invalid-type", "opts.seed"],
    ["base of the wrong size", () => problems.darcy({ grid: 8, count: 1, base: new Float64Array(63).fill(1) }), "invalid-shape", "opts.base"],
    ["base with a zero", () => problems.darcy({ grid: 2, count: 1, base: [1, 0, 1, 1] }), "invalid-value", "opts.base"],
    ["base with NaN", () => problems.darcy({ grid: 2, count: 1, base: [1, 1, NaN, 1] }), "invalid-value", "opts.base"],
    ["base not an array", () => problems.darcy({ grid: 2, count: 1, base: 3 as never }), "invalid-type", "opts.base"],
  ];
  for (const [name, call, code, argument] of cases) {
    it(name, () => {
      let err: unknown;
      try { call(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(NumlaneError);
      expect((err as NumlaneError).code).toBe(code);
      expect((err as NumlaneError).argument).toBe(argument);
    });
  }

  it("a family too large for memory is refused at once, before allocating", () => {
    const before = process.memoryUsage().arrayBuffers;
    for (const make of [() => problems.darcy({ grid: 4096, count: 1000 }), () => problems.poisson({ grid: 20000, count: 10 }), () => problems.heat({ grid: 20724, count: 2 })]) {
      let err: unknown;
      try { make(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(NumlaneError);
      expect((err as NumlaneError).code).toBe("out-of-memory");
      expect((err as NumlaneError).argument).toBe("opts.grid");
      expect((err as Error).message).toMatch(/GiB/);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    // Past the Int32 index range, whatever the count.
    expect(() => problems.poisson({ grid: 20725, count: 1 })).toThrow(/opts.grid/);
  });
});
