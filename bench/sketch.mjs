// npm run bench -- sketch: least squares on tall dense problems (columns
// graded to a chosen condition number). numlane's Householder QR (blocked,
// compact WY, from 64 columns) on 1 thread and all threads; every sketch kind
// (sparse sign, CountSketch, Gaussian, SRHT, leverage sampling; d = 4n) in
// every sketched method (sketch-and-solve; sketch-and-precondition + LSQR and
// iterative sketching, both to rtol 1e-12) on all threads; against NumPy's
// lstsq (LAPACK gelsd) and SciPy's lstsq (gelsy), one OpenBLAS thread,
// interleaved in one run. nl.qr (R only) against NumPy's qr(mode="r")
// (dgeqrf) at 4000×400 and 8000×800. Residuals are reported relative to
// NumPy's, so accuracy sits beside speed.
// Sparse: a CsrMatrix of 10⁶ × 100 with 10 nonzeros a row (columns graded to
// cond 1 and 1e3), numlane's lsqr, lsmr and sketch-and-precondition on one
// thread against scipy.sparse.linalg.lsqr / lsmr, in process CPU time
// (process.cpuUsage; time.process_time), medians of interleaved rounds; each
// numlane method run to SciPy lsqr's normal-equation residual or better.
// SKETCH_BENCH=sparse runs the sparse part alone (bench/results/sketch-sparse.json).
import { fileURLToPath } from "node:url";
import { init, CsrMatrix, DenseMatrix } from "../dist/index.js";
import { compare, machine, printTable, pythonPeer, writeResults } from "./lib.mjs";

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

/** Median process CPU µs of each case over interleaved rounds (c.fn in this process; c.remote reports its own). */
async function compareCpu(cases, rounds) {
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

export default async function main() {
  process.env.OPENBLAS_NUM_THREADS = "1";
  const nl = await init();
  const all = nl.info.threads;
  const threads = [1, ...(all > 1 ? [all] : [])];
  const py = await pythonPeer(fileURLToPath(new URL("./sketch_peer.py", import.meta.url)));
  if (py) console.log(`NumPy ${py.versions.numpy}, SciPy ${py.versions.scipy} (OPENBLAS_NUM_THREADS=1)`);
  const rows = [];
  if (process.env.SKETCH_BENCH === "sparse") {
    await sparse(nl, py, rows);
    py?.close();
    printTable(rows);
    writeResults("sketch-sparse", { machine: machine(), peers: { numpy: py?.versions }, results: rows });
    return nl.close();
  }
  const record = async (problem, cases, t, refName, refRes) => {
    for (const c of cases) {
      const r = c.fn ? await c.fn() : undefined;
      rows.push({
        problem, impl: c.name, ms: t[c.name] / 1e3, "GFLOP/s": undefined,
        iterations: r?.iterations, reason: r?.reason,
        "res / NumPy res − 1": r?.residualNorm !== undefined && refRes ? r.residualNorm / refRes - 1 : undefined,
        "× NumPy": t[refName] ? t[refName] / t[c.name] : undefined,
      });
    }
  };
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
    const t = await compare(cases, { rounds: 5, minMs: 1 });
    await record(`lstsq ${m}×${n}, cond ${cond.toExponential(0)}`, cases, t, "NumPy lstsq (gelsd)", refRes);
    console.log(`lstsq ${m}×${n} done`);
  }
  // The QR factorization alone (R), against LAPACK's dgeqrf through NumPy.
  for (const [m, n] of [[4000, 400], [8000, 800]]) {
    const { A } = problem(m, n, 1e2);
    const cases = threads.map((t) => ({ name: `numlane qr (R) ${t}t`, fn: () => nl.qr(A, { threads: t }) }));
    if (py) {
      await py.ask({ op: "setup", m, n, cond: 1e2 });
      cases.push({ name: "NumPy qr R (dgeqrf)", remote: async () => (await py.ask({ op: "qr" })).us });
    }
    const t = await compare(cases, { rounds: 5, minMs: 1 });
    await record(`qr ${m}×${n}`, cases, t, "NumPy qr R (dgeqrf)");
    for (const c of cases) {
      // Householder QR: 2mn² − 2n³/3 flops.
      const row = rows.find((r) => r.problem === `qr ${m}×${n}` && r.impl === c.name);
      row["GFLOP/s"] = (2 * m * n * n - (2 * n ** 3) / 3) / (t[c.name] * 1e3);
    }
    console.log(`qr ${m}×${n} done`);
  }
  await sparse(nl, py, rows);
  py?.close();
  printTable(rows);
  writeResults("sketch", { machine: machine(), peers: { numpy: py?.versions }, results: rows });
  await nl.close();
}
