// npm run bench -- blas: every BLAS kernel at an in-cache and an out-of-cache
// size, on 1 thread and on all threads, against plain JavaScript and NumPy
// (Debian's, one OpenBLAS thread), interleaved in one run; GB/s against the
// STREAM triad bandwidth measured from inside wasm in the same run; gemm in
// GFLOP/s against the wasm SIMD peak measured likewise. Then the
// pool's own costs: one SPMD launch of an empty kernel, one barrier phase.
//
// numlane's arrays come from nl.alloc (heap-resident, used in place): this
// measures the kernels. Arrays from elsewhere are copied in first; that cost
// is a memcpy and is shown separately for dot ("copy-in").
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { init, CsrMatrix, DenseMatrix, readMatrixMarket } from "../dist/index.js";
import { compare, gbps, laplacian3d, machine, median, printTable, pythonPeer, triadBandwidth, writeResults } from "./lib.mjs";
import { generate } from "../scripts/kernels.mjs";

/** Kernel `name`'s descriptor as the host has it (src/generated/kernels.ts), from the generator itself. */
export function kernel(name) {
  const k = generate().find((d) => d.name === name);
  if (!k) throw new Error(`no kernel ${name}`);
  const ws = k.workspace && { fn: `${name}_workspace`, args: k.workspace.args.map((a) => a.name) };
  const params = k.params.map((p) => p.name);
  const write = (f64, at, p, work) => params.every((q, i) => q === "out" || (q === "work" ? ((f64[at + i] = work), true) : ((f64[at + i] = p[q]), typeof p[q] === "number" && p[q] === p[q])));
  return { name, params, out: k.out, outSlot: params.indexOf("out"), ...(ws ? { workspace: ws } : {}), write };
}

/** One launch of descriptor k through the engine's launch path (its own scope). */
export async function launch(nl, k, params, opts) {
  const scope = await nl.engine.scope(opts);
  try {
    return await scope.launch(k, params, opts);
  } finally {
    scope.free();
  }
}

const IN_CACHE = 8192, OUT_OF_CACHE = 1 << 22;

// Plain float64 JavaScript, the way one would write it by hand.
const js = {
  dot: (x, y) => { let s = 0; for (let i = 0; i < x.length; i++) s += x[i] * y[i]; return s; },
  nrm2: (x) => { let s = 0; for (let i = 0; i < x.length; i++) s += x[i] * x[i]; return Math.sqrt(s); },
  axpy: (a, x, y) => { for (let i = 0; i < x.length; i++) y[i] += a * x[i]; },
  scal: (a, x) => { for (let i = 0; i < x.length; i++) x[i] *= a; },
  copy: (x, y) => { y.set(x); },
  gemv: (A, m, n, x, y) => {
    for (let r = 0; r < m; r++) { let s = 0; const o = r * n; for (let c = 0; c < n; c++) s += A[o + c] * x[c]; y[r] = s; }
  },
  gemvT: (A, m, n, x, y) => {
    y.fill(0);
    for (let r = 0; r < m; r++) { const o = r * n, xr = x[r]; for (let c = 0; c < n; c++) y[c] += A[o + c] * xr; }
  },
  spmv: (S, x, y) => {
    const { indptr, indices, data } = S;
    for (let r = 0; r < S.rows; r++) { let s = 0; for (let k = indptr[r]; k < indptr[r + 1]; k++) s += data[k] * x[indices[k]]; y[r] = s; }
  },
};

/** A heap-resident copy of a typed array. */
function resident(nl, a) {
  const h = nl.alloc(a.length, a.constructor);
  h.set(a);
  return h;
}

export default async function main() {
  process.env.OPENBLAS_NUM_THREADS = "1"; // NumPy on one thread: compare with numlane's 1-thread rows
  const nl = await init();
  const all = nl.info.threads;
  const bw1 = await triadBandwidth(nl, 1), bwAll = await triadBandwidth(nl, all);
  console.log(`triad bandwidth: ${bw1.gbps.toFixed(1)} GB/s (1 thread), ${bwAll.gbps.toFixed(1)} GB/s (${all} threads)`);
  const py = await pythonPeer(fileURLToPath(new URL("./numpy_peer.py", import.meta.url)));
  if (py) console.log(`NumPy ${py.versions.numpy}, SciPy ${py.versions.scipy} (OPENBLAS_NUM_THREADS=1)`);

  const rows = [];
  const threadCounts = all > 1 ? [1, all] : [1];

  // One benchmark: numlane on each thread count, plain JS, NumPy; bytes = memory traffic of one call.
  async function bench(kernel, size, bytes, numlaneFn, jsFn, pySetup, pyOp, extra = []) {
    const cases = threadCounts.map((t) => ({ name: `numlane ${t}t`, threads: t, fn: () => numlaneFn(t) }));
    cases.push(...extra);
    cases.push({ name: "plain JS", threads: 1, fn: jsFn });
    if (py) {
      await py.ask({ op: "setup", ...pySetup });
      cases.push({ name: "NumPy", threads: 1, remote: async () => (await py.ask({ op: pyOp, ms: 4 })).us });
    }
    const t = await compare(cases, { rounds: bytes > 1e7 ? 9 : 15, minMs: 4 });
    for (const c of cases) {
      const us = t[c.name], rate = gbps(bytes, us);
      rows.push({
        kernel, size, impl: c.name, "µs": us, "GB/s": rate,
        "% triad": (100 * rate) / (c.threads > 1 ? bwAll.gbps : bw1.gbps),
        "× plain JS": t["plain JS"] / us,
        "× NumPy": t.NumPy ? t.NumPy / us : undefined,
      });
    }
    console.log(`${kernel} ${size} done`);
  }

  for (const n of [IN_CACHE, OUT_OF_CACHE]) {
    const size = `n=${n}`;
    const xs = Float64Array.from({ length: n }, (_, i) => Math.sin(i) + 1), ys = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const x = resident(nl, xs), y = resident(nl, ys);
    const jx = xs.slice(), jy = ys.slice();
    const vec = { kind: "vec", n };
    await bench("dot", size, 16 * n, (t) => nl.blas.dot(x, y, { threads: t }), () => js.dot(jx, jy), vec, "dot",
      [{ name: "numlane 1t copy-in", threads: 1, fn: () => nl.blas.dot(xs, ys, { threads: 1 }) }]);
    await bench("nrm2", size, 8 * n, (t) => nl.blas.nrm2(x, { threads: t }), () => js.nrm2(jx), vec, "nrm2");
    await bench("axpy", size, 24 * n, (t) => nl.blas.axpy(1e-9, x, y, { threads: t, inPlace: true }), () => js.axpy(1e-9, jx, jy), vec, "axpy");
    await bench("scal", size, 16 * n, (t) => nl.blas.scal(1.0000001, x, { threads: t, inPlace: true }), () => js.scal(1.0000001, jx), vec, "scal");
    const z = nl.alloc(n), jz = new Float64Array(n);
    await bench("copy", size, 16 * n, (t) => nl.blas.copy(x, z, { threads: t, inPlace: true }), () => js.copy(jx, jz), vec, "copy");
    nl.free(x); nl.free(y); nl.free(z);
  }

  for (const m of [256, 2048]) {
    const size = `${m}×${m}`;
    const a = Float64Array.from({ length: m * m }, (_, i) => Math.sin(i));
    const A = new DenseMatrix(m, m, resident(nl, a));
    const x = resident(nl, Float64Array.from({ length: m }, (_, i) => Math.cos(i)));
    const yOut = nl.alloc(m), jy = new Float64Array(m), jx = x.slice();
    const setup = { kind: "gemv", m, n: m };
    await bench("gemv A·x", size, 8 * m * m, (t) => nl.blas.gemv(A, x, { threads: t, y: yOut, beta: 0, inPlace: true }),
      () => js.gemv(a, m, m, jx, jy), setup, "gemv");
    await bench("gemv Aᵀ·x", size, 8 * m * m, (t) => nl.blas.gemv(A, x, { threads: t, trans: true, y: yOut, beta: 0, inPlace: true }),
      () => js.gemvT(a, m, m, jx, jy), setup, "gemvT");
    nl.free(A.data); nl.free(x); nl.free(yOut);
  }

  const lap20 = readMatrixMarket(readFileSync(new URL("../data/matrices/lap3D_7pt_n20.mtx", import.meta.url), "utf8"));
  for (const [label, S] of [["lap3D 20³ (mtx)", lap20], ["lap3D 100³", laplacian3d(100)]]) {
    const H = new CsrMatrix(S.rows, S.cols, resident(nl, S.indptr), resident(nl, S.indices), resident(nl, S.data));
    const x = nl.alloc(S.cols); x.fill(1);
    const yOut = nl.alloc(S.rows), jy = new Float64Array(S.rows), jx = new Float64Array(S.cols).fill(1);
    const bytes = 12 * S.nnz + 12 * S.rows + 8 * S.cols;
    const setup = { kind: "spmv", rows: S.rows, cols: S.cols, indptr: Array.from(S.indptr), indices: Array.from(S.indices), data: Array.from(S.data), n: 0 };
    await bench("spmv", `${label}, nnz ${S.nnz}`, bytes, (t) => nl.blas.spmv(H, x, { threads: t, y: yOut, beta: 0, inPlace: true }),
      () => js.spmv(S, jx, jy), setup, "spmv");
    nl.free(H.indptr); nl.free(H.indices); nl.free(H.data); nl.free(x); nl.free(yOut);
  }
  // Level 3: gemm, syrk, trsm against the wasm SIMD peak (simd_peak_f64, per
  // thread: a register-only loop and GEMM's micro-kernel on operands in L1;
  // the larger) and NumPy's matmul, SciPy's dsyrk and dtrsm (one OpenBLAS thread).
  const PEAK_ITERS = 5e7;
  const peakKernel = kernel("simd_peak_f64");
  const peaks = [];
  for (const variant of [0, 1]) {
    let flops = 0;
    const us = (await compare([{ name: "peak", fn: async () => (flops = (await launch(nl, peakKernel, { iters: PEAK_ITERS, variant }, { threads: 1 })).flops) }], { rounds: 7, minMs: 50 })).peak;
    peaks.push(flops / us / 1e3);
  }
  const peakGflops = Math.max(...peaks);
  console.log(`wasm SIMD peak (f64x2 mul+add, no FMA): register loop ${peaks[0].toFixed(1)}, GEMM's micro-kernel in L1 ${peaks[1].toFixed(1)} GFLOP/s per thread`);
  const level3 = [];
  // One level-3 benchmark: numlane on each thread count and the SciPy/NumPy op; flops of one call.
  async function bench3(kernel, m, flops, numlaneFn, pyOp) {
    const cases = threadCounts.map((t) => ({ name: `numlane ${t}t`, threads: t, fn: () => numlaneFn(t) }));
    if (py) {
      await py.ask({ op: "setup", kind: "level3", n: m });
      cases.push({ name: "NumPy", threads: 1, remote: async () => (await py.ask({ op: pyOp, ms: 200 })).us });
    }
    const t = await compare(cases, { rounds: m >= 2000 ? 3 : 7, minMs: 100 });
    for (const c of cases) {
      const gflops = flops / t[c.name] / 1e3;
      level3.push({ kernel, size: `${m}×${m}`, impl: c.name, "ms": t[c.name] / 1e3, "GFLOP/s": gflops, "% peak": (100 * gflops) / (peakGflops * c.threads), "× NumPy": t.NumPy ? t.NumPy / t[c.name] : undefined });
    }
    console.log(`${kernel} ${m}×${m} done`);
  }
  for (const m of [500, 1000, 2000]) {
    const A = new DenseMatrix(m, m, resident(nl, Float64Array.from({ length: m * m }, (_, i) => Math.sin(i))));
    const B = new DenseMatrix(m, m, resident(nl, Float64Array.from({ length: m * m }, (_, i) => Math.cos(i))));
    const C = new DenseMatrix(m, m, nl.alloc(m * m));
    await bench3("gemm", m, 2 * m ** 3, (t) => nl.blas.gemm(A, B, { C, inPlace: true, threads: t }), "gemm");
    if (m === 1000) {
      // syrk AᵀA (lower) and trsm with m right-hand sides: m³ flops each; T well conditioned (diagonal m).
      const T = new DenseMatrix(m, m, resident(nl, Float64Array.from({ length: m * m }, (_, i) => (i % (m + 1) === 0 ? m : Math.sin(i)))));
      await bench3("syrk AᵀA", m, m ** 3, (t) => nl.blas.syrk(A, { trans: true, C, inPlace: true, threads: t }), "syrk");
      await bench3("trsm lower", m, m ** 3, (t) => nl.blas.trsm(T, B, { threads: t }), "trsm");
      nl.free(T.data);
    }
    nl.free(A.data); nl.free(B.data); nl.free(C.data);
  }
  py?.close();
  printTable(rows);
  printTable(level3);

  // The pool's own costs, on all threads: an empty launch, and one barrier phase
  // ((time of P barriers − empty launch) / P).
  // Each through the launch path every kernel takes (scope, parameter block, run, result block).
  const PHASES = 2000, noop = kernel("spmd_noop"), barriers = kernel("spmd_barriers");
  const launches = [], phase = [];
  for (let r = 0; r < 31; r++) {
    let t0 = performance.now();
    for (let i = 0; i < 200; i++) await launch(nl, noop, {}, { threads: all });
    const empty = ((performance.now() - t0) * 1e3) / 200;
    t0 = performance.now();
    await launch(nl, barriers, { phases: PHASES }, { threads: all });
    phase.push((((performance.now() - t0) * 1e3) - empty) / PHASES);
    launches.push(empty);
  }
  const overhead = { threads: all, "launch µs (median)": median(launches), "barrier phase µs (median)": median(phase) };
  console.log(`\nSPMD launch of an empty kernel on ${all} threads: ${overhead["launch µs (median)"].toFixed(2)} µs; one barrier phase: ${overhead["barrier phase µs (median)"].toFixed(3)} µs (medians of 31)`);

  const pick = (kernel, size, impl) => rows.find((r) => r.kernel === kernel && r.size === size && r.impl === impl);
  const targets = {
    "out-of-cache dot ≥ 85% triad (1t)": pick("dot", `n=${OUT_OF_CACHE}`, "numlane 1t")["% triad"],
    "out-of-cache axpy ≥ 85% triad (1t)": pick("axpy", `n=${OUT_OF_CACHE}`, "numlane 1t")["% triad"],
    [`out-of-cache dot ≥ 85% triad (${all}t)`]: pick("dot", `n=${OUT_OF_CACHE}`, `numlane ${all}t`)?.["% triad"],
    [`out-of-cache axpy ≥ 85% triad (${all}t)`]: pick("axpy", `n=${OUT_OF_CACHE}`, `numlane ${all}t`)?.["% triad"],
    "in-cache dot ≥ 2× plain JS": pick("dot", `n=${IN_CACHE}`, "numlane 1t")["× plain JS"],
    "gemm 2000² ≥ 70% wasm SIMD peak (1t)": level3.find((r) => r.size === "2000×2000" && r.impl === "numlane 1t")["% peak"],
    "empty launch ≤ 20 µs": overhead["launch µs (median)"],
    "barrier phase ≤ 2 µs": overhead["barrier phase µs (median)"],
  };
  console.log("\ntargets:");
  for (const [k, v] of Object.entries(targets)) if (v !== undefined) console.log(`  ${k}: ${v.toFixed(2)}`);
  writeResults("blas", {
    machine: machine(), bandwidth: { oneThread: bw1.gbps, allThreads: bwAll.gbps, threads: all },
    peers: { numpy: py?.versions }, results: rows, level3, simdPeakGflopsPerThread: peakGflops, simdPeaks: { registerLoop: peaks[0], microKernelL1: peaks[1] }, overhead, targets,
  });
  await nl.close();
}
