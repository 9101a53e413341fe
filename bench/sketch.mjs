// npm run bench -- sketch: least squares, in process CPU time (process.cpuUsage;
// the peer's time.process_time), medians of interleaved rounds with their
// ranges, OpenBLAS on one thread. Parts (SKETCH_BENCH=part[,part]; all by
// default, written to bench/results/sketch.json; a selection to
// bench/results/sketch-<part>[-<part>…].json):
// - dense: tall problems (columns graded to a chosen condition number):
//   Householder QR on 1 thread and all threads, every sketch kind (sparse
//   sign, CountSketch, Gaussian, SRHT, leverage sampling; d = 4n) in every
//   sketched method (sketch-and-solve; sketch-and-precondition + LSQR and
//   iterative sketching, both to rtol 1e-12) on all threads, against NumPy's
//   lstsq (LAPACK gelsd) and SciPy's lstsq (gelsy). Residuals relative to
//   NumPy's, so accuracy sits beside speed.
// - qr: nl.qr (R only) against NumPy's qr(mode="r") (dgeqrf) at 4000×400 and 8000×800.
// - gemm: one-thread gemm against the wasm SIMD peak measured two ways, at
//   square sizes and at the shapes of blocked QR's trailing update.
// - big: 100000×500 on one thread against gelsd and gelsy.
// - sparse: a CsrMatrix of 10⁶ × 100 with 10 nonzeros a row (columns graded
//   to cond 1 and 1e3), numlane's lsqr, lsmr and sketch-and-precondition on
//   one thread against scipy.sparse.linalg.lsqr / lsmr; each numlane method
//   run to SciPy lsqr's normal-equation residual or better.
import { fileURLToPath } from "node:url";
import { init, CsrMatrix, DenseMatrix } from "../dist/index.js";
import { machine, printTable, pythonPeer, writeResults } from "./lib.mjs";
import { kernel, launch } from "./blas.mjs";

/** murmur3's finaliser of k, as a number in [−0.5, 0.5): the same bits in bench/sketch_peer.py. */
function hash(k) {
  let h = k >>> 0;
  h = (h ^ (h >>> 16)) >>> 0; h = Math.imul(h, 0x85ebca6b) >>> 0; h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0; h = (h ^ (h >>> 16)) >>> 0;
  return h / 2 ** 32 - 0.5;
}

function problem(m, n, cond) {
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] = hash(i * n + j) * cond ** (-j / Math.max(1, n - 1));
  return { A: new DenseMatrix(m, n, a), b: Float64Array.from({ length: m }, (_, i) => hash(m * n + i)) };
}

/** Row i: one nonzero in each of k blocks of n/k columns, at hash(i·k + t) in block t; values hashed, columns graded to cond (bench/sketch_peer.py builds the same). */
function sparseProblem(m, n, k, cond) {
  const w = n / k, indptr = new Int32Array(m + 1), indices = new Int32Array(m * k), data = new Float64Array(m * k);
  for (let id = 0; id < m * k; id++) {
    const col = Math.floor((hash(id) + 0.5) * w) + (id % k) * w;
    indices[id] = col;
    data[id] = hash(id + m * k) * cond ** (-col / Math.max(1, n - 1));
  }
  for (let i = 0; i <= m; i++) indptr[i] = i * k;
  return { A: new CsrMatrix(m, n, indptr, indices, data), b: Float64Array.from({ length: m }, (_, i) => hash(2 * m * k + i)) };
}

/** Median process CPU µs of each case over interleaved rounds (c.fn in this process; c.remote reports its own); `ranges` (if given) gets each case's [min, max]. */
async function compareCpu(cases, rounds, ranges) {
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (const c of cases) if (c.fn) await c.fn(); // warm
  for (let r = 0; r < rounds; r++) {
    for (const c of r % 2 ? [...cases].reverse() : cases) {
      if (c.remote) { samples.get(c.name).push(await c.remote()); continue; }
      const u0 = process.cpuUsage();
      await c.fn();
      const u = process.cpuUsage(u0);
      samples.get(c.name).push(u.user + u.system);
    }
  }
  const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  if (ranges) for (const [n, v] of samples) ranges[n] = [Math.min(...v), Math.max(...v)];
  return Object.fromEntries([...samples].map(([n, s]) => [n, med(s)]));
}

/** The sparse part: 10⁶ × 100, 10 nonzeros a row, against SciPy's lsqr and lsmr to the same normal-equation residual. */
async function sparse(nl, py, rows) {
  const [m, n, k] = [1_000_000, 100, 10];
  for (const cond of [1, 1e3]) {
    const { A, b } = sparseProblem(m, n, k, cond);
    const problem = `sparse lstsq ${m}×${n}, ${k} nnz/row, cond ${cond}`;
    const tol = 1e-8, maxiter = 10_000;
    let scipy;
    if (py) {
      await py.ask({ op: "setup_sparse", m, n, k, cond });
      scipy = await py.ask({ op: "lsqr", tol, maxiter });
    }
    // numlane's lsqr and lsmr with SciPy's tolerances; sketch-and-precondition with rtol = the normal residual SciPy's lsqr reached.
    const rtol = scipy ? scipy.normal : tol;
    const results = {};
    const cases = [
      { name: "numlane lsqr 1t", fn: async () => (results["numlane lsqr 1t"] = await nl.lstsq(A, b, { method: "lsqr", atol: tol, btol: tol, maxIter: maxiter, threads: 1 })) },
      { name: "numlane lsmr 1t", fn: async () => (results["numlane lsmr 1t"] = await nl.lstsq(A, b, { method: "lsmr", atol: tol, btol: tol, maxIter: maxiter, threads: 1 })) },
      ...["countsketch", "sparse-sign"].map((sketch) => ({ name: `numlane sketch-and-precondition ${sketch} 1t`, fn: async () => (results[`numlane sketch-and-precondition ${sketch} 1t`] = await nl.lstsq(A, b, { method: "sketch-and-precondition", sketch, rtol, threads: 1 })) })),
    ];
    if (py) {
      for (const op of ["lsqr", "lsmr"]) {
        const name = `SciPy ${op}`;
        cases.push({ name, remote: async () => { const r = await py.ask({ op, tol, maxiter }); results[name] = { iterations: r.iterations, residualNorm: r.res, normalResidual: r.normal }; return r.us; } });
      }
    }
    const t = await compareCpu(cases, 5);
    for (const c of cases) {
      const r = results[c.name];
      rows.push({
        problem, impl: c.name, ms: t[c.name] / 1e3, "GFLOP/s": undefined, iterations: r?.iterations, reason: r?.reason,
        "res / NumPy res − 1": scipy && r ? r.residualNorm / scipy.res - 1 : undefined,
        "× NumPy": undefined, "‖Aᵀr‖/(‖A‖‖r‖)": r?.normalResidual, "CPU × SciPy lsqr": t["SciPy lsqr"] ? t[c.name] / t["SciPy lsqr"] : undefined,
      });
    }
    console.log(`${problem} done`);
  }
}

const KINDS = ["sparse-sign", "countsketch", "gaussian", "srht", "leverage"];
const SKETCHED = ["sketch-and-solve", "sketch-and-precondition", "iterative-sketching"];
const PARTS = ["dense", "qr", "gemm", "big", "sparse"];

/** One row per case of a dense comparison (CPU medians t, [min, max] ranges), x NumPy = ref's time over the case's. */
async function record(rows, problem, cases, t, ranges, refName, refRes) {
  for (const c of cases) {
    const r = c.fn ? await c.fn() : undefined;
    rows.push({
      problem, impl: c.name, ms: t[c.name] / 1e3, "range ms": ranges[c.name].map((v) => +(v / 1e3).toPrecision(3)).join("–"), "GFLOP/s": undefined,
      iterations: r?.iterations, reason: r?.reason,
      "res / NumPy res − 1": r?.residualNorm !== undefined && refRes ? r.residualNorm / refRes - 1 : undefined,
      "× NumPy": t[refName] ? t[refName] / t[c.name] : undefined,
      "CPU / peer": t[refName] ? t[c.name] / t[refName] : undefined,
    });
  }
}

/** Dense lstsq: every method and sketch against gelsd and gelsy. */
async function dense(nl, py, rows, threads, all) {
  for (const [m, n, cond] of [[20000, 100, 1e3], [100000, 50, 1e6], [4000, 400, 1e2]]) {
    const { A, b } = problem(m, n, cond);
    let refRes;
    const cases = [];
    for (const t of threads) cases.push({ name: `numlane qr ${t}t`, fn: () => nl.lstsq(A, b, { method: "qr", threads: t }) });
    for (const method of SKETCHED) {
      for (const sketch of KINDS) cases.push({ name: `numlane ${method} ${sketch} ${all}t`, fn: () => nl.lstsq(A, b, { method, sketch, threads: all }) });
    }
    for (const t of threads.slice(0, -1)) {
      cases.push({ name: `numlane sketch-and-precondition sparse-sign ${t}t`, fn: () => nl.lstsq(A, b, { method: "sketch-and-precondition", threads: t }) });
      cases.push({ name: `numlane iterative-sketching sparse-sign ${t}t`, fn: () => nl.lstsq(A, b, { method: "iterative-sketching", threads: t }) });
    }
    if (py) {
      refRes = (await py.ask({ op: "setup", m, n, cond })).res;
      cases.push({ name: "NumPy lstsq (gelsd)", remote: async () => (await py.ask({ op: "numpy" })).us });
      cases.push({ name: "SciPy lstsq (gelsy)", remote: async () => (await py.ask({ op: "scipy" })).us });
    }
    const ranges = {};
    const t = await compareCpu(cases, 5, ranges);
    await record(rows, `lstsq ${m}×${n}, cond ${cond.toExponential(0)}`, cases, t, ranges, "NumPy lstsq (gelsd)", refRes);
    console.log(`lstsq ${m}×${n} done`);
  }
}

/** 100000 × 500 (the size): QR, sketch-and-solve and sketch-and-precondition on one thread against gelsd and gelsy. */
async function big(nl, py, rows) {
  const [m, n, cond] = [100000, 500, 1e2];
  const { A, b } = problem(m, n, cond);
  const cases = [
    { name: "numlane qr 1t", fn: () => nl.lstsq(A, b, { method: "qr", threads: 1 }) },
    { name: "numlane sketch-and-solve sparse-sign 1t", fn: () => nl.lstsq(A, b, { method: "sketch-and-solve", threads: 1 }) },
    { name: "numlane sketch-and-precondition sparse-sign 1t", fn: () => nl.lstsq(A, b, { method: "sketch-and-precondition", threads: 1 }) },
    { name: "numlane iterative-sketching sparse-sign 1t", fn: () => nl.lstsq(A, b, { method: "iterative-sketching", threads: 1 }) },
  ];
  let refRes;
  if (py) {
    refRes = (await py.ask({ op: "setup", m, n, cond })).res;
    cases.push({ name: "NumPy lstsq (gelsd)", remote: async () => (await py.ask({ op: "numpy" })).us });
    cases.push({ name: "SciPy lstsq (gelsy)", remote: async () => (await py.ask({ op: "scipy" })).us });
  }
  const ranges = {};
  const t = await compareCpu(cases, 3, ranges);
  await record(rows, `lstsq ${m}×${n}, cond ${cond.toExponential(0)}`, cases, t, ranges, "NumPy lstsq (gelsd)", refRes);
  console.log(`lstsq ${m}×${n} done`);
}

/** The QR factorization alone (R), against LAPACK's dgeqrf through NumPy; 2mn² − 2n³/3 flops. */
async function qr(nl, py, rows, threads) {
  for (const [m, n] of [[4000, 400], [8000, 800]]) {
    const { A } = problem(m, n, 1e2);
    const cases = threads.map((t) => ({ name: `numlane qr (R) ${t}t`, fn: () => nl.qr(A, { threads: t }) }));
    if (py) {
      await py.ask({ op: "setup", m, n, cond: 1e2 });
      cases.push({ name: "NumPy qr R (dgeqrf)", remote: async () => (await py.ask({ op: "qr" })).us });
    }
    const ranges = {};
    const t = await compareCpu(cases, 7, ranges);
    await record(rows, `qr ${m}×${n}`, cases, t, ranges, "NumPy qr R (dgeqrf)");
    for (const c of cases) rows.find((r) => r.problem === `qr ${m}×${n}` && r.impl === c.name)["GFLOP/s"] = (2 * m * n * n - (2 * n ** 3) / 3) / (t[c.name] * 1e3);
    console.log(`qr ${m}×${n} done`);
  }
}

/**
 * gemm on one thread against the wasm SIMD peak, both ways simd_peak_f64
 * measures it (a register-only loop; GEMM's micro-kernel on L1-resident
 * operands): square sizes, and the shapes of blocked QR's trailing update at
 * 4000×400 and 8000×800 (W = VᵀC: 32 × n−32 × m; C − V·W: m × n−32 × 32).
 */
async function gemm(nl, rows) {
  const peakKernel = kernel("simd_peak_f64"), ITERS = 2e7;
  const peak = {};
  const peakCases = [0, 1].map((variant) => ({ name: variant ? "micro-kernel in L1" : "register loop", fn: async () => (peak[variant] = (await launch(nl, peakKernel, { iters: ITERS, variant }, { threads: 1 })).flops) }));
  const pr = {};
  const pt = await compareCpu(peakCases, 9, pr);
  const gf = (c, i) => peak[i] / pt[c.name] / 1e3;
  const regPeak = gf(peakCases[0], 0), kernelPeak = gf(peakCases[1], 1), best = Math.max(regPeak, kernelPeak);
  for (const [i, c] of peakCases.entries()) {
    rows.push({
      problem: "wasm SIMD peak (f64x2 mul + add, 1 thread)", impl: c.name, ms: pt[c.name] / 1e3, "range ms": pr[c.name].map((v) => +(v / 1e3).toPrecision(3)).join("–"), "GFLOP/s": gf(c, i),
      "% register peak": (100 * gf(c, i)) / regPeak, "% kernel peak": (100 * gf(c, i)) / kernelPeak, "% peak": (100 * gf(c, i)) / best,
    });
  }
  console.log(`peak: register loop ${regPeak.toFixed(1)}, micro-kernel in L1 ${kernelPeak.toFixed(1)} GFLOP/s`);
  const shapes = [[500, 500, 500], [1000, 1000, 1000], [2000, 2000, 2000], [32, 368, 4000, true], [4000, 368, 32], [32, 768, 8000, true], [8000, 768, 32]];
  for (const [m, n, k, tA] of shapes) {
    const A = tA ? new DenseMatrix(k, m, nl.alloc(m * k).fill(0.5), "column-major") : new DenseMatrix(m, k, nl.alloc(m * k).fill(0.5), "column-major");
    const B = new DenseMatrix(k, n, nl.alloc(k * n).fill(0.25), "column-major"), C = new DenseMatrix(m, n, nl.alloc(m * n), "column-major");
    const reps = Math.max(1, Math.round(1e9 / (2 * m * n * k)));
    const cases = [{ name: "numlane gemm 1t", fn: async () => { for (let i = 0; i < reps; i++) await nl.blas.gemm(A, B, { C, inPlace: true, threads: 1, transA: !!tA }); } }];
    const r = {};
    const t = await compareCpu(cases, 7, r);
    const g = (2 * m * n * k * reps) / t[cases[0].name] / 1e3;
    rows.push({
      problem: `gemm ${tA ? "Aᵀ·B" : "A·B"} m ${m}, n ${n}, k ${k}`, impl: cases[0].name, ms: t[cases[0].name] / 1e3 / reps,
      "range ms": r[cases[0].name].map((v) => +(v / 1e3 / reps).toPrecision(3)).join("–"), "GFLOP/s": g,
      "% register peak": (100 * g) / regPeak, "% kernel peak": (100 * g) / kernelPeak, "% peak": (100 * g) / best,
    });
    nl.free(A.data); nl.free(B.data); nl.free(C.data);
  }
  console.log("gemm done");
}

export default async function main() {
  process.env.OPENBLAS_NUM_THREADS = "1";
  const nl = await init();
  const all = nl.info.threads;
  const threads = [1, ...(all > 1 ? [all] : [])];
  const parts = process.env.SKETCH_BENCH ? process.env.SKETCH_BENCH.split(",") : PARTS;
  for (const p of parts) if (!PARTS.includes(p)) throw new Error(`SKETCH_BENCH: unknown part ${p}; have ${PARTS.join(", ")}`);
  const py = parts.some((p) => p !== "gemm") ? await pythonPeer(fileURLToPath(new URL("./sketch_peer.py", import.meta.url))) : undefined;
  if (py) console.log(`NumPy ${py.versions.numpy}, SciPy ${py.versions.scipy} (OPENBLAS_NUM_THREADS=1)`);
  const rows = [];
  if (parts.includes("dense")) await dense(nl, py, rows, threads, all);
  if (parts.includes("qr")) await qr(nl, py, rows, threads);
  if (parts.includes("gemm")) await gemm(nl, rows);
  if (parts.includes("big")) await big(nl, py, rows);
  if (parts.includes("sparse")) await sparse(nl, py, rows);
  py?.close();
  printTable(rows);
  // Every part writes sketch.json; a selection sketch-<part>[-<part>…].json.
  writeResults(PARTS.every((p) => parts.includes(p)) ? "sketch" : `sketch-${parts.join("-")}`, { machine: machine(), parts, peers: { numpy: py?.versions }, results: rows });
  await nl.close();
}
