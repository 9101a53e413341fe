// Memory safety at the host/wasm boundary: CSR matrices changed after
// construction (kernels index through them unchecked), and alloc/free.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    // Checked on entry; copied in when the call gets its turn (after an
    // await today). Either the copy was made first and the answer is the
    // unchanged matrix's, or the change is caught: never an out-of-bounds read.
    const calls: [string, (A: CsrMatrix) => Promise<unknown>, (r: unknown, A: CsrMatrix) => number][] = [
      ["spmv", (A) => nl.blas.spmv(A, b8), (r, A) => diff(r as Float64Array, matvec(A, b8))],
      ["cg", (A) => nl.cg(A, b8, { rtol: 1e-12 }), (r, A) => diff(matvec(A, (r as { x: Float64Array }).x), b8)],
      ["gmres", (A) => nl.gmres(A, b8, { rtol: 1e-12 }), (r, A) => diff(matvec(A, (r as { x: Float64Array }).x), b8)],
    ];
    let caught = 0;
    for (const [what, call, error] of calls) {
      const A = spd(), original = spd();
      const pending = call(A);
      A.indices[3] = 1e6;
      const outcome = await pending.then((r) => ({ r }), (e) => ({ e }));
      if ("e" in outcome) {
        expect(outcome.e, what).toBeInstanceOf(NumlaneError);
        expect([outcome.e.code, outcome.e.argument], what).toEqual(["invalid-value", "A.indices"]);
        caught++;
      } else {
        expect(error(outcome.r, original), what).toBeLessThan(1e-9);
      }
    }
    expect(caught).toBeGreaterThan(0); // today every one of these waits before its copy
  });

  it("an input transferred away while its call waits is refused (detached), never read as empty", async () => {
    const calls: [string, (b: Float64Array) => Promise<{ x: Float64Array }>][] = [
      ["cg", (b) => nl.cg(spd(), b, { rtol: 1e-12 })],
      ["gmres", (b) => nl.gmres(spd(), b, { rtol: 1e-12 })],
    ];
    let caught = 0;
    for (const [what, call] of calls) {
      const b = uniform(8, 5), original = b.slice();
      const pending = call(b);
      structuredClone(b.buffer, { transfer: [b.buffer] });
      expect(b.length).toBe(0);
      const outcome = await pending.then((r) => ({ r }), (e) => ({ e }));
      if ("e" in outcome) {
        expect(outcome.e, what).toBeInstanceOf(NumlaneError);
        expect(outcome.e.code, what).toBe("detached");
        caught++;
      } else {
        expect(diff(matvec(spd(), outcome.r.x), original), what).toBeLessThan(1e-9);
      }
    }
    expect(caught).toBeGreaterThan(0);
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

describe("alloc / free", () => {
  const heap = () => (nl as unknown as { engine: { heap: { bytesInUse: number } } }).engine.heap;

  it("a stale view (freed, its memory handed out again) is refused and the live block survives", () => {
    const base = heap().bytesInUse;
    const a = nl.alloc(100);
    nl.free(a);
    const b = nl.alloc(100);
    expect(b.byteOffset).toBe(a.byteOffset); // the same memory, so a stale free would have freed b
    b.fill(7);
    expect(() => nl.free(a)).toThrowError(expect.objectContaining({ name: "NumlaneError", code: "invalid-value", argument: "view" }));
    const c = nl.alloc(100);
    c.fill(9);
    expect(c.byteOffset + c.byteLength <= b.byteOffset || b.byteOffset + b.byteLength <= c.byteOffset).toBe(true);
    expect(b.every((v) => v === 7)).toBe(true);
    nl.free(b); nl.free(c);
    expect(heap().bytesInUse).toBe(base);
  });

  const refused: [string, () => unknown][] = [
    ["double free", () => { const a = nl.alloc(8); nl.free(a); return a; }],
    ["a sub-array", () => nl.alloc(8).subarray(2)],
    ["a same-range view of the same memory", () => { const a = nl.alloc(8); return new Float64Array(a.buffer, a.byteOffset, a.length); }],
    ["an ordinary array", () => new Float64Array(8)],
    ["a string", () => "x"],
    ["null", () => null],
    ["undefined", () => undefined],
  ];
  for (const [what, make] of refused) {
    it(`free(${what}) is a NumlaneError and frees nothing`, () => {
      const v = make();
      const before = heap().bytesInUse;
      let e: unknown;
      try { nl.free(v as Float64Array); } catch (x) { e = x; }
      expect(e).toBeInstanceOf(NumlaneError);
      expect(e).toMatchObject({ code: "invalid-value", argument: "view" });
      expect(heap().bytesInUse).toBe(before);
    });
  }

  it("another context's array is refused", async () => {
    const other = await init({ threads: 1 });
    try {
      const v = other.alloc(16);
      expect(() => nl.free(v)).toThrowError(expect.objectContaining({ code: "invalid-value", argument: "view" }));
      other.free(v);
    } finally {
      await other.close();
    }
  });

  it("single build: an array detached by memory growth is still freed exactly once", async () => {
    const single = await init({ build: "single" });
    try {
      const h = (single as unknown as { engine: { heap: { bytesInUse: number } } }).engine.heap;
      const base = h.bytesInUse;
      const small = single.alloc(16);
      const big = single.alloc(4_000_000); // grows the unshared memory: `small` is detached
      expect(small.length).toBe(0);
      single.free(small);
      expect(() => single.free(small)).toThrow(NumlaneError);
      single.free(big);
      expect(h.bytesInUse).toBe(base);
    } finally {
      await single.close();
    }
  });

  it("600 random allocs and frees (with stale and sub-array frees mixed in) never make two live arrays share memory", () => {
    const base = heap().bytesInUse;
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const live: { v: Float64Array | Float32Array | Int32Array; tag: number }[] = [];
    const dead: (Float64Array | Float32Array | Int32Array)[] = [];
    const types = [Float64Array, Float32Array, Int32Array] as const;
    let refusedCount = 0;
    for (let op = 0; op < 600; op++) {
      const r = rand(10);
      if (r < 5 || live.length === 0) {
        const v = nl.alloc(1 + rand(3000), types[rand(3)]);
        const tag = op + 1;
        v.fill(tag);
        live.push({ v, tag });
      } else if (r < 8) {
        const [{ v }] = live.splice(rand(live.length), 1);
        nl.free(v);
        dead.push(v);
      } else {
        const victim = r === 8 && dead.length ? dead[rand(dead.length)] : live[rand(live.length)].v.subarray(1);
        expect(() => nl.free(victim)).toThrow(NumlaneError);
        refusedCount++;
      }
    }
    expect(refusedCount).toBeGreaterThan(50);
    for (const { v, tag } of live) expect(v.every((x) => x === tag)).toBe(true);
    for (const { v } of live) nl.free(v);
    expect(heap().bytesInUse).toBe(base);
  });

  it("an array used after free() is refused by methods (read or written in place) while its memory is free", async () => {
    const keep = nl.alloc(64).fill(3);
    const x = nl.alloc(1000).fill(1), y = nl.alloc(1000).fill(2), f = nl.alloc(1000, Float32Array);
    nl.free(x); nl.free(y); nl.free(f);
    const ok = Float64Array.from({ length: 1000 }, () => 1);
    const calls: [string, () => Promise<unknown>][] = [
      ["dot", () => nl.blas.dot(x, ok)],
      ["axpy into a freed y", () => nl.blas.axpy(2, ok, y, { inPlace: true })],
      ["softmax", () => nl.softmax(f)],
      ["softmax of a freed sub-array", () => nl.softmax(f.subarray(10, 20))],
      ["cg with a freed b", () => nl.cg(spd(), y.subarray(0, 8))],
    ];
    for (const [what, call] of calls) {
      const e = await rejection(call);
      expect(e.code, what).toBe("invalid-value");
      expect(e.message, what).toMatch(/freed/);
    }
    expect(keep.every((v) => v === 3)).toBe(true);
    expect(await nl.blas.dot(keep, keep)).toBe(64 * 9);
    nl.free(keep);
  });

  it("alloc checks its arguments", () => {
    for (const type of ["x", Uint8Array, Array, {}, null]) {
      expect(() => nl.alloc(4, type as unknown as Float64ArrayConstructor)).toThrowError(expect.objectContaining({ name: "NumlaneError", code: "invalid-type", argument: "type" }));
    }
    for (const length of [-1, 1.5, NaN, "4"]) {
      expect(() => nl.alloc(length as number)).toThrowError(expect.objectContaining({ code: "invalid-size", argument: "length" }));
    }
    expect(() => nl.alloc(2 ** 31 - 1)).toThrowError(expect.objectContaining({ code: "out-of-memory" }));
    const f = nl.alloc(3, Float32Array), i = nl.alloc(3, Int32Array), d = nl.alloc(3);
    expect([f.constructor, i.constructor, d.constructor]).toEqual([Float32Array, Int32Array, Float64Array]);
    nl.free(f); nl.free(i); nl.free(d);
  });
});

describe("init({ wasm }) with something that is not numlane's wasm", () => {
  const dir = mkdtempSync(join(tmpdir(), "numlane-wasm-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const utf8 = (s: string) => [s.length, ...Buffer.from(s)];
  // One import section entry: env.memory (min 1 page), or env.f (function of type 0).
  const importsMemory = [0x02, 15, 0x01, ...utf8("env"), ...utf8("memory"), 0x02, 0x00, 0x01];
  const typeSection = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00];
  const importsFunction = [0x02, 0x09, 0x01, ...utf8("env"), ...utf8("f"), 0x00, 0x00];
  const junk = join(dir, "junk.wasm");
  writeFileSync(junk, "not wasm at all");

  const cases: [string, () => unknown, string, RegExp][] = [
    ["a missing path", () => join(dir, "missing.wasm"), "wasm-not-found", /could not be read/],
    ["a missing file: URL", () => new URL(`file://${dir}/missing.wasm`), "wasm-not-found", /could not be read/],
    ["a file of junk", () => junk, "invalid-value", /not a valid wasm module/],
    ["junk bytes", () => new TextEncoder().encode("junk bytes"), "invalid-value", /not a valid wasm module/],
    ["an empty ArrayBuffer", () => new ArrayBuffer(0), "invalid-value", /not a valid wasm module/],
    ["an empty module (no imports, no exports)", () => Uint8Array.from(header), "invalid-value", /does not import env.memory/],
    ["a module importing env.memory without numlane's exports", () => Uint8Array.from([...header, ...importsMemory]), "invalid-value", /does not export heap_base/],
    ["a module importing a function", () => new WebAssembly.Module(Uint8Array.from([...header, ...typeSection, ...importsFunction])), "invalid-value", /imports env.f \(a function\)/],
    ["a number", () => 42, "invalid-type", /expected a WebAssembly.Module/],
  ];
  for (const [what, source, code, message] of cases) {
    it(what, async () => {
      const e = await rejection(() => init({ wasm: source() as ArrayBuffer }));
      expect(e.code).toBe(code);
      expect(e.argument).toBe("wasm");
      expect(e.message).toMatch(message);
    });
  }

  it("numlane's own threads build given as bytes still works", async () => {
    const bytes = readFileSync(new URL("../dist/numlane-threads.wasm", import.meta.url));
    const threaded = await init({ wasm: bytes, threads: 2 });
    try {
      expect(threaded.info.build).toBe("threads");
      expect(await threaded.blas.dot(Float64Array.of(1, 2), Float64Array.of(3, 4))).toBe(11);
    } finally {
      await threaded.close();
    }
  });

  it("numlane's own single build given as a path still works", async () => {
    const single = await init({ wasm: new URL("../dist/numlane-single.wasm", import.meta.url) });
    try {
      expect(single.info.build).toBe("single");
      expect(await single.blas.dot(Float64Array.of(1, 2), Float64Array.of(3, 4))).toBe(11);
    } finally {
      await single.close();
    }
  });
});

describe("single build: a call that grows the memory keeps reading the caller's nl.alloc arrays", () => {
  // Growing unshared memory detaches every view of it. A call whose scratch
  // does not fit grows the memory; before, cg then saw the matrix's nnz as
  // undefined, launched no thread and returned x = 0 "converged", and an x0
  // living in wasm memory was read as empty.
  it("cg (with x0), gmres, spmv, dot, lasso and lstsq on arrays remade after growth give the copies' bits", async () => {
    const single = await init({ build: "single" });
    try {
      const n = 1600, A0 = spd(n), b0 = uniform(n, 3), x00 = uniform(n, 4).map((v) => v * 0.1);
      const D0 = new DenseMatrix(400, 20, uniform(400 * 20, 5)), y0 = uniform(400, 6);
      const expected = {
        cg: (await single.cg(A0, b0, { x0: x00, rtol: 1e-10 })).x,
        gmres: (await single.gmres(A0, b0, { x0: x00, rtol: 1e-10 })).x,
        spmv: await single.blas.spmv(A0, b0),
        dot: await single.blas.dot(b0, x00),
        lasso: (await single.lasso(D0, y0, { lambda: 0.01 })).x,
        lstsq: (await single.lstsq(D0, y0, { method: "qr" })).x,
      };
      // The caller's arrays in wasm memory: where they live, and their values.
      const placed = [A0.indptr, A0.indices, A0.data, b0, x00, D0.data, y0].map((src) => {
        const a = single.alloc(src.length, src.constructor as Float64ArrayConstructor);
        a.set(src as Float64Array);
        return { offset: a.byteOffset, length: src.length, type: src.constructor as Float64ArrayConstructor };
      });
      for (const name of Object.keys(expected) as (keyof typeof expected)[]) {
        // Fill the memory to (nearly) its end, so the call's own scratch grows it, then remake the views.
        const heap = (single as unknown as { engine: { heap: { memory: WebAssembly.Memory; freeBlocks: { start: number; end: number }[] } } }).engine.heap;
        const tail = heap.freeBlocks[heap.freeBlocks.length - 1];
        if (tail.end === heap.memory.buffer.byteLength && tail.end - tail.start > 4096) single.alloc((tail.end - tail.start - 4096) >> 3);
        const [ip, ix, dv, b, x0, dd, y] = placed.map((p) => new p.type(heap.memory.buffer, p.offset, p.length));
        const before = heap.memory.buffer.byteLength;
        const A = new CsrMatrix(n, n, ip as unknown as Int32Array, ix as unknown as Int32Array, dv), D = new DenseMatrix(400, 20, dd);
        const got =
          name === "cg" ? (await single.cg(A, b, { x0, rtol: 1e-10 })).x
          : name === "gmres" ? (await single.gmres(A, b, { x0, rtol: 1e-10 })).x
          : name === "spmv" ? await single.blas.spmv(A, b)
          : name === "dot" ? await single.blas.dot(b, x0)
          : name === "lasso" ? (await single.lasso(D, y, { lambda: 0.01 })).x
          : (await single.lstsq(D, y, { method: "qr" })).x;
        expect(got, name).toEqual(expected[name]);
        if (name !== "dot") expect(heap.memory.buffer.byteLength, `${name} grew the memory`).toBeGreaterThan(before);
      }
    } finally {
      await single.close();
    }
  });
});
