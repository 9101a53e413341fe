// The dataset generator: solutions checked by their true residuals and
// against SciPy's direct solves, .npy files read back by NumPy bit for bit,
// the sink, cancellation with partial meta, bad input.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeNpy, generate, init, NumlaneError, prepareDatasetDir, problems, writeDataset, type GenerateResult, type Numlane, type SolvedSystem } from "../dist/index.js";
import { matvec, norm, python, sameBits } from "./helpers.js";

let nl: Numlane;
let dir: string;
beforeAll(async () => {
  nl = await init({ threads: 2 });
  dir = mkdtempSync(join(tmpdir(), "numlane-generate-"));
});
afterAll(async () => {
  await nl.close();
  rmSync(dir, { recursive: true, force: true });
});

const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

/** Every solution's true residual ‖b − A·x‖ ≤ rtol·‖b‖, recomputed in plain float64 on the family rebuilt from its options. */
function expectTrueResiduals(r: GenerateResult, rebuilt: ReturnType<typeof problems.darcy>, rtol: number) {
  const N = r.meta.solutionShape[1] * r.meta.solutionShape[2];
  rebuilt.systems.forEach((s, i) => {
    const x = Float64Array.from(r.solutions!.subarray(i * N, (i + 1) * N));
    const Ax = matvec(s.A, x);
    expect(norm(Ax.map((v, k) => s.b[k] - v))).toBeLessThanOrEqual(rtol * norm(s.b));
  });
}

describe("generate", () => {
  it("darcy with coarse: every solution meets rtol in fewer iterations than without, and meta says coarse", async () => {
    const opts = { family: "darcy", grid: 32, count: 4, seed: 6 } as const;
    const [plain, coarse] = [await generate(nl, opts), await generate(nl, { ...opts, coarse: true })];
    expect(coarse.meta.solver).toMatchObject({ method: "cg", coarse: true });
    expect(plain.meta.solver).toMatchObject({ coarse: false });
    expect(coarse.meta.allConverged).toBe(true);
    expectTrueResiduals(coarse, problems.darcy({ grid: 32, count: 4, seed: 6 }), 1e-8);
    const total = (r: typeof plain) => r.meta.iterations.reduce((a, b) => a! + b!, 0)!;
    expect(total(coarse)).toBeLessThan(0.5 * total(plain));
  });

  it("darcy: solutions meet rtol (true residual) and match SciPy's direct solves; meta says what ran", async () => {
    const opts = { family: "darcy", grid: 20, count: 6, seed: 4 } as const;
    const r = await generate(nl, { ...opts, recycle: 4 });
    expect(r.meta.status).toBe("complete");
    expect(r.meta.solved).toBe(6);
    expect(r.meta.allConverged).toBe(true);
    expect(r.meta.reasons).toEqual(new Array(6).fill("converged"));
    expect(r.meta.iterations.every((k) => typeof k === "number" && k > 0)).toBe(true);
    expect(r.meta.seconds.every((s) => typeof s === "number" && s >= 0)).toBe(true);
    expect([...r.meta.solveOrder].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.meta).toMatchObject({
      family: "darcy", seed: 4, dtype: "float64", inputShape: [6, 20, 20], solutionShape: [6, 20, 20], numlaneVersion: VERSION,
      params: { grid: 20, count: 6, seed: 4, coefficient: "lognormal", modes: 8, alpha: 2, tau: 3 },
      solver: { method: "cg", preconditioner: "jacobi", rtol: 1e-8, recycle: 4, order: "sorted" },
    });
    const rebuilt = problems.darcy({ grid: 20, count: 6, seed: 4 });
    expect(sameBits(r.inputs, rebuilt.inputs)).toBe(true);
    expectTrueResiduals(r, rebuilt, 1e-8);
    const ref = python(`
import sys, json, numpy as np, scipy.sparse as sp, scipy.sparse.linalg as sl
d = json.load(sys.stdin)
print(json.dumps([sl.spsolve(sp.csr_matrix((s["data"], s["indices"], s["indptr"])), np.array(s["b"])).tolist() for s in d]))`,
    rebuilt.systems.map((s) => ({ data: Array.from(s.A.data), indices: Array.from(s.A.indices), indptr: Array.from(s.A.indptr), b: Array.from(s.b) })));
    expect(ref, "Debian's SciPy (/usr/bin/python3) is needed").toBeDefined();
    ref.forEach((x: number[], i: number) => {
      const mine = r.solutions!.subarray(i * 400, (i + 1) * 400);
      expect(norm(x.map((v, k) => v - mine[k])) / norm(x)).toBeLessThan(1e-6);
    });
  });

  it("gives the same bits on 1 and 2 threads (sorted, recycled CG and GMRES)", async () => {
    for (const family of ["darcy", "convection-diffusion"] as const) {
      const opts = { family, grid: 24, count: 4, seed: 12, recycle: 4, ...(family === "convection-diffusion" && { restart: 20 }) };
      const one = await generate(nl, { ...opts, threads: 1 }), two = await generate(nl, { ...opts, threads: 2 });
      expect(sameBits(one.solutions!, two.solutions!)).toBe(true);
      expect(one.meta.iterations).toEqual(two.meta.iterations);
      expect(one.meta.solveOrder).toEqual(two.meta.solveOrder);
      expect(one.meta.allConverged).toBe(true);
    }
  });

  it("nonsymmetric families default to GMRES; every family's solutions meet rtol", async () => {
    for (const family of ["poisson", "heat", "helmholtz", "convection-diffusion"] as const) {
      const r = await generate(nl, { family, grid: 12, count: 3, seed: 1, ...(family === "helmholtz" && { wavenumbers: [1, 4] as [number, number] }) });
      expect(r.meta.solver.method).toBe(family === "helmholtz" || family === "convection-diffusion" ? "gmres" : "cg");
      expect(r.meta.allConverged).toBe(true);
      const rebuilt = family === "poisson" ? problems.poisson({ grid: 12, count: 3, seed: 1 })
        : family === "heat" ? problems.heat({ grid: 12, count: 3, seed: 1 })
        : family === "helmholtz" ? problems.helmholtz({ grid: 12, count: 3, seed: 1, wavenumbers: [1, 4] })
        : problems.convectionDiffusion({ grid: 12, count: 3, seed: 1 });
      expectTrueResiduals(r, rebuilt, 1e-8);
      expect(r.meta.inputShape).toEqual(family === "poisson" ? [3, 12, 12] : family === "convection-diffusion" ? [3, 2] : [3, 1]);
    }
  });

  it("float32 output is the float64 run rounded; the sink gets each system once and the result keeps no solutions", async () => {
    const base = { family: "poisson", grid: 10, count: 5, seed: 3, order: "given" } as const;
    const r64 = await generate(nl, base);
    const r32 = await nl.generate({ ...base, dtype: "float32" });   // the context's method: the same function
    expect(nl.problems).toBe(problems);
    expect(r32.inputs).toBeInstanceOf(Float32Array);
    expect(r32.solutions).toBeInstanceOf(Float32Array);
    expect(sameBits(r32.solutions!, Float32Array.from(r64.solutions!))).toBe(true);
    expect(sameBits(r32.inputs, Float32Array.from(r64.inputs))).toBe(true);
    const seen: SolvedSystem[] = [];
    const rs = await generate(nl, { ...base, sink: (s) => seen.push({ ...s, solution: s.solution.slice() }) });
    expect(rs.solutions).toBeUndefined();
    expect(seen.map((s) => s.system)).toEqual([0, 1, 2, 3, 4]);
    for (const s of seen) {
      expect(sameBits(s.solution, r64.solutions!.subarray(s.system * 100, (s.system + 1) * 100))).toBe(true);
      expect(sameBits(s.input, r64.inputs.subarray(s.system * 100, (s.system + 1) * 100))).toBe(true);
      expect(s.reason).toBe("converged");
      expect(s.iterations).toBe(r64.meta.iterations[s.system]);
      // The solve's own residual history: ‖b‖ at x0 = 0 (Poisson's b is its input f), down past rtol·‖b‖ at the end.
      const normB = Math.hypot(...s.input);
      expect(s.residualHistory.length).toBe(s.iterations + 1);
      expect(Math.abs(s.residualHistory[0] - normB) / normB).toBeLessThan(1e-12);
      expect(s.residualHistory[s.iterations]).toBeLessThanOrEqual(1e-8 * normB);
    }
  });

  it("a cancelled run returns what it solved and says how far it got", async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const r = await generate(nl, {
      family: "darcy", grid: 16, count: 6, seed: 8, order: "given", signal: controller.signal,
      onProgress: (p) => progress.push(p.solved),
      sink: (s) => { if (s.system === 1) controller.abort(); },
    });
    expect(r.meta.status).toBe("aborted");
    expect(r.meta.solved).toBe(2);
    expect(r.meta.solveOrder).toEqual([0, 1]);
    expect(r.meta.reasons).toEqual(["converged", "converged", null, null, null, null]);
    expect(r.meta.iterations.slice(2)).toEqual([null, null, null, null]);
    expect(r.meta.allConverged).toBe(false);
    expect(Math.max(...progress)).toBe(2);
    // Aborted before it starts: rejects.
    await expect(generate(nl, { family: "darcy", grid: 8, count: 2, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    // Partial arrays: unsolved systems are NaN.
    const c2 = new AbortController();
    const r2 = await generate(nl, { family: "poisson", grid: 8, count: 3, order: "given", signal: c2.signal, onProgress: (p) => { if (p.solved === 1) c2.abort(); } });
    expect(r2.meta.solved).toBe(1);
    expect(r2.solutions!.subarray(0, 64).every(Number.isFinite)).toBe(true);
    expect(r2.solutions!.subarray(64).every(Number.isNaN)).toBe(true);
  });
});

describe(".npy files", () => {
  it("numpy.load reads inputs and solutions as written: shape, dtype and every bit; meta.json parses", async () => {
    for (const [family, dtype] of [["darcy", "float64"], ["convection-diffusion", "float32"]] as const) {
      const r = await generate(nl, { family, grid: 9, count: 4, seed: 6, dtype });
      const out = join(dir, `${family}-${dtype}`);
      const paths = await writeDataset(out, r);
      expect(paths.map((p) => p.slice(out.length + 1))).toEqual(["inputs.npy", "solutions.npy", "meta.json"]);
      const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
      expect(meta).toEqual(JSON.parse(JSON.stringify(r.meta)));
      const back = python(`
import sys, json, numpy as np, hashlib
d = json.load(sys.stdin)
res = {}
for name in ["inputs", "solutions"]:
    a = np.load(d["dir"] + "/" + name + ".npy")
    res[name] = {"shape": list(a.shape), "dtype": a.dtype.str, "c": bool(a.flags["C_CONTIGUOUS"]), "hex": a.tobytes().hex()}
print(json.dumps(res))`, { dir: out });
      expect(back, "Debian's NumPy (/usr/bin/python3) is needed").toBeDefined();
      const le = (a: Float64Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");
      expect(back.inputs).toEqual({ shape: r.meta.inputShape, dtype: dtype === "float64" ? "<f8" : "<f4", c: true, hex: le(r.inputs) });
      expect(back.solutions).toEqual({ shape: [4, 9, 9], dtype: dtype === "float64" ? "<f8" : "<f4", c: true, hex: le(r.solutions!) });
    }
  });

  it("encodeNpy: 1-D, 0-length and wide headers are aligned to 64 bytes and round-trip through NumPy", () => {
    const cases = [
      { data: Float64Array.of(1.5, -0, NaN, Infinity, 5e-324), shape: [5] },
      { data: new Float32Array(0), shape: [0, 3] },
      { data: new Float64Array(24).map((_, i) => i / 7), shape: [1, 2, 3, 4] },
    ];
    const files = cases.map((c, i) => {
      const bytes = encodeNpy(c.data, c.shape);
      const headerLength = bytes[8] | (bytes[9] << 8);
      expect((10 + headerLength) % 64).toBe(0);
      expect(bytes[9 + headerLength]).toBe(0x0a);
      const path = join(dir, `case${i}.npy`);
      writeFileSync(path, bytes);
      return path;
    });
    const back = python(`
import sys, json, numpy as np
print(json.dumps([{"shape": list(a.shape), "dtype": a.dtype.str, "hex": a.tobytes().hex()} for a in [np.load(p) for p in json.load(sys.stdin)]]))`, files);
    expect(back).toBeDefined();
    cases.forEach((c, i) => expect(back[i]).toEqual({ shape: c.shape, dtype: c.data instanceof Float64Array ? "<f8" : "<f4", hex: Buffer.from(c.data.buffer).toString("hex") }));
    expect(() => encodeNpy(new Float64Array(5), [2, 2])).toThrow(NumlaneError);
    expect(() => encodeNpy(new Int32Array(4) as never, [4])).toThrow(/Float32Array or Float64Array/);
  });
});

describe("bad input", () => {
  const expectError = async (p: Promise<unknown> | (() => unknown), code: string, argument: string) => {
    let err: unknown;
    try { await (typeof p === "function" ? p() : p); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(NumlaneError);
    expect((err as NumlaneError).code).toBe(code);
    expect((err as NumlaneError).argument).toBe(argument);
    return err as NumlaneError;
  };

  it("is refused before anything is built or solved", async () => {
    await expectError(generate(nl, undefined as never), "invalid-type", "opts");
    await expectError(generate(nl, { family: "darcey", grid: 8, count: 2 } as never), "invalid-value", "opts.family");
    const e = await expectError(generate(nl, { family: "darcy", grid: 8, count: 2, coeficient: "piecewise" } as never), "invalid-value", "opts.coeficient");
    expect(e.message).toMatch(/did you mean coefficient/);
    await expectError(generate(nl, { family: "helmholtz", grid: 8, count: 2, coefficient: "piecewise" } as never), "invalid-value", "opts.coefficient");
    await expectError(generate(nl, { family: "darcy", grid: 8, count: 0 }), "invalid-size", "opts.count");
    await expectError(generate(nl, { family: "darcy", grid: 8, count: 2, dtype: "float16" as never }), "invalid-value", "opts.dtype");
    await expectError(generate(nl, { family: "darcy", grid: 8, count: 2, recycle: -1 }), "invalid-size", "opts.recycle");
    await expectError(generate(nl, { family: "darcy", grid: 8, count: 2, sink: 3 as never }), "invalid-type", "opts.sink");
    await expectError(generate(nl, { family: "darcy", grid: 8, count: 2, onProgress: "x" as never }), "invalid-type", "opts.onProgress");
    await expectError(generate(nl, { family: "darcy", grid: 3000, count: 200 }), "out-of-memory", "opts.grid");
    // Options solveSequence refuses come back as its errors, before any solve.
    await expectError(generate(nl, { family: "convection-diffusion", grid: 8, count: 2, method: "cg" }), "invalid-value", "systems[0].A");
  });

  it("an unwritable directory is a NumlaneError naming dir", async () => {
    const r = await generate(nl, { family: "poisson", grid: 4, count: 1 });
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    await expectError(writeDataset(join(file, "sub"), r), "invalid-value", "dir");
    // Checked up front, before a long run: a path under a file, and a directory without write permission.
    await expectError(prepareDatasetDir(join(file, "sub")), "invalid-value", "dir");
    await expectError(prepareDatasetDir(""), "invalid-type", "dir");
    const readOnly = join(dir, "read-only");
    mkdirSync(readOnly, { mode: 0o500 });
    if (process.getuid?.() !== 0) await expectError(prepareDatasetDir(readOnly), "invalid-value", "dir");   // root may write anywhere
    await prepareDatasetDir(join(dir, "new", "nested"));
    expect(existsSync(join(dir, "new", "nested"))).toBe(true);
    await expectError(writeDataset(dir, { ...r, solutions: undefined }), "invalid-value", "result");
  });
});
