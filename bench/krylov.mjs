// npm run bench -- krylov: whole CG solves (Jacobi-preconditioned, rtol 1e-8,
// b = A·1) on the real matrices in data/matrices and a 100³ Laplacian;
// numlane on 1 thread and all threads (the solve runs inside wasm, one
// launch), against SciPy's cg (Debian, one OpenBLAS thread) and a plain
// JavaScript CG, interleaved in one run. Reports the median solve time, the
// iterations, and the memory traffic per iteration against the triad bandwidth.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { init, CsrMatrix, readMatrixMarket } from "../dist/index.js";
import { compare, convectionDiffusion, gbps, laplacian3d, machine, printTable, pythonPeer, triadBandwidth, writeResults } from "./lib.mjs";

const RTOL = 1e-8;

/** Plain JavaScript Jacobi-PCG, written as one would by hand. */
function jsCg(A, b, rtol) {
  const n = A.rows, { indptr, indices, data } = A;
  const dinv = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let k = indptr[i]; k < indptr[i + 1]; k++) if (indices[k] === i) dinv[i] = 1 / data[k];
  const x = new Float64Array(n), r = b.slice(), z = new Float64Array(n), p = new Float64Array(n), q = new Float64Array(n);
  let rz = 0, rr = 0, bb = 0;
  for (let i = 0; i < n; i++) { z[i] = dinv[i] * r[i]; p[i] = z[i]; rz += r[i] * z[i]; bb += b[i] * b[i]; }
  const tol = rtol * Math.sqrt(bb);
  let k = 0;
  for (; k < 10 * n; k++) {
    let pq = 0;
    for (let i = 0; i < n; i++) { let s = 0; for (let j = indptr[i]; j < indptr[i + 1]; j++) s += data[j] * p[indices[j]]; q[i] = s; pq += p[i] * s; }
    const alpha = rz / pq;
    rr = 0; let rzn = 0;
    for (let i = 0; i < n; i++) { x[i] += alpha * p[i]; r[i] -= alpha * q[i]; z[i] = dinv[i] * r[i]; rr += r[i] * r[i]; rzn += r[i] * z[i]; }
    if (Math.sqrt(rr) <= tol) { k++; break; }
    const beta = rzn / rz; rz = rzn;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  }
  return { x, iterations: k };
}


export default async function main() {
  process.env.OPENBLAS_NUM_THREADS = "1";
  const nl = await init();
  const all = nl.info.threads;
  const bw1 = await triadBandwidth(nl, 1), bwAll = await triadBandwidth(nl, all);
  console.log(`triad bandwidth: ${bw1.gbps.toFixed(1)} GB/s (1 thread), ${bwAll.gbps.toFixed(1)} GB/s (${all} threads)`);
  const py = await pythonPeer(fileURLToPath(new URL("./krylov_peer.py", import.meta.url)));
  if (py) console.log(`SciPy ${py.versions.scipy} (OPENBLAS_NUM_THREADS=1)`);
  const problems = ["gr_900_900_crg", "ani4", "lap3D_7pt_n20"].map((name) => ({
    name, path: fileURLToPath(new URL(`../data/matrices/${name}.mtx`, import.meta.url)),
  }));
  problems.push({ name: "lap3D 100³", k: 100 });
  const rows = [];
  for (const pr of problems) {
    const A = pr.path ? readMatrixMarket(readFileSync(pr.path, "utf8")) : laplacian3d(pr.k);
    const b = await nl.blas.spmv(A, new Float64Array(A.cols).fill(1));
    const mine = await nl.cg(A, b, { rtol: RTOL, preconditioner: "jacobi" });
    const js = jsCg(A, b, RTOL);
    const cases = [1, ...(all > 1 ? [all] : [])].map((t) => ({
      name: `numlane ${t}t`, threads: t, fn: () => nl.cg(A, b, { rtol: RTOL, preconditioner: "jacobi", threads: t }),
    }));
    cases.push({ name: "plain JS", threads: 1, fn: () => jsCg(A, b, RTOL) });
    let pyIters;
    if (py) {
      pyIters = (await py.ask({ op: "setup", ...(pr.path ? { path: pr.path } : { k: pr.k }), jacobi: true, rtol: RTOL })).iterations;
      cases.push({ name: "SciPy cg", threads: 1, remote: async () => (await py.ask({ op: "solve" })).us });
    }
    const big = A.nnz > 1e6;
    const t = await compare(cases, { rounds: big ? 5 : 11, minMs: big ? 1 : 20 });
    // Per iteration: one SpMV (12 B per nonzero + row pointers) and ~10 vector sweeps of n doubles.
    const perIter = 12 * A.nnz + 4 * A.rows + 8 * 10 * A.rows;
    const iters = { "numlane 1t": mine.iterations, [`numlane ${all}t`]: mine.iterations, "plain JS": js.iterations, "SciPy cg": pyIters };
    for (const c of cases) {
      const us = t[c.name], it = iters[c.name];
      rows.push({
        matrix: `${pr.name} (n ${A.rows}, nnz ${A.nnz})`, impl: c.name, "ms": us / 1e3, iterations: it,
        "µs/iter": us / it, "% triad": (100 * gbps(perIter * it, us)) / (c.threads > 1 ? bwAll.gbps : bw1.gbps),
        "× SciPy": t["SciPy cg"] ? t["SciPy cg"] / us : undefined, "× plain JS": t["plain JS"] / us,
      });
    }
    console.log(`${pr.name} done`);
  }
  // A sequence: A(μ) = L + μ·D on a 40³ Laplacian (D a positive diagonal), 8 values
  // of μ listed shuffled; numlane plain CG per system vs solveSequence (sorted,
  // recycled, k = 8). Iterations summed over the sequence.
  const L = laplacian3d(40), mus = [0.3, 0.05, 0.25, 0, 0.15, 0.35, 0.1, 0.2];
  const family = mus.map((mu) => {
    const data = L.data.slice();
    for (let i = 0; i < L.rows; i++) for (let k = L.indptr[i]; k < L.indptr[i + 1]; k++) if (L.indices[k] === i) data[k] += 0.05 * mu * (1 + Math.sin(i));
    return { A: new CsrMatrix(L.rows, L.cols, L.indptr, L.indices, data), b: Float64Array.from({ length: L.rows }, (_, i) => Math.cos(i * 0.37)) };
  });
  let plainIters = 0, recIters = 0;
  const seqCases = [
    { name: "numlane cg each", threads: 1, fn: async () => { plainIters = 0; for (const s of family) plainIters += (await nl.cg(s.A, s.b, { rtol: RTOL, threads: 1 })).iterations; } },
    { name: "numlane solveSequence k=8", threads: 1, fn: async () => { recIters = (await nl.solveSequence(family, { rtol: RTOL, threads: 1, recycle: { k: 8 } })).totalIterations; } },
  ];
  const ts = await compare(seqCases, { rounds: 5, minMs: 1 });
  for (const c of seqCases) {
    const it = c.name.includes("each") ? plainIters : recIters;
    rows.push({ matrix: `sequence of 8, lap3D 40³ + μD (n ${L.rows})`, impl: c.name, ms: ts[c.name] / 1e3, iterations: it, "µs/iter": ts[c.name] / it,
      "% triad": undefined, "× SciPy": undefined, "× plain JS": undefined });
  }
  // A nonsymmetric sequence: −Δu + w·∇u on a 50×50 grid, the wind w drifting
  // over 8 systems, b drifting too. GMRES(30) per system vs GCRO-DR(30, 10)
  // carrying its space (solveSequence, given order); SciPy's gmres(restart=30)
  // and gcrotmk(m=20, k=10, CU carried with discard_C since A changes: C = A·U is recomputed) alike.
  // Iterations: Arnoldi steps (numlane, SciPy gmres), matvecs (gcrotmk).
  const CD = 50, winds = Array.from({ length: 8 }, (_, t) => [40 + 4 * t, 15 - 2 * t]);
  const cdFamily = winds.map(([wx, wy], t) => ({
    A: convectionDiffusion(CD, wx, wy), b: Float64Array.from({ length: CD * CD }, (_, i) => 1 + Math.sin(i * 0.05 + 0.2 * t)),
  }));
  const gm = { method: "gmres", order: "given", rtol: RTOL, restart: 30, threads: 1 };
  const cdIters = {};
  const cdCases = [
    { name: "numlane GMRES(30) each", threads: 1, fn: async () => { cdIters["numlane GMRES(30) each"] = (await nl.solveSequence(cdFamily, gm)).totalIterations; } },
    { name: "numlane GCRO-DR(30,10)", threads: 1, fn: async () => { cdIters["numlane GCRO-DR(30,10)"] = (await nl.solveSequence(cdFamily, { ...gm, recycle: { k: 10 } })).totalIterations; } },
  ];
  if (py) {
    const its = await py.ask({ op: "sequence", N: CD, winds, rtol: RTOL, restart: 30, k: 10 });
    cdIters["SciPy gmres(30) each"] = its.gmres;
    cdIters["SciPy gcrotmk(20,10) CU"] = its.gcrotmk;
    cdCases.push({ name: "SciPy gmres(30) each", threads: 1, remote: async () => (await py.ask({ op: "sequence_time", recycle: false })).us });
    cdCases.push({ name: "SciPy gcrotmk(20,10) CU", threads: 1, remote: async () => (await py.ask({ op: "sequence_time", recycle: true })).us });
  }
  const tcd = await compare(cdCases, { rounds: 5, minMs: 1 });
  for (const c of cdCases) {
    const it = cdIters[c.name];
    rows.push({ matrix: `sequence of 8, convection–diffusion 50² drifting (n ${CD * CD})`, impl: c.name, ms: tcd[c.name] / 1e3, iterations: it, "µs/iter": tcd[c.name] / it,
      "% triad": undefined, "× SciPy": tcd["SciPy gmres(30) each"] ? tcd["SciPy gmres(30) each"] / tcd[c.name] : undefined, "× plain JS": undefined,
      "× GMRES(30)": tcd["numlane GMRES(30) each"] / tcd[c.name] });
  }
  py?.close();
  printTable(rows);
  writeResults("krylov", { machine: machine(), bandwidth: { oneThread: bw1.gbps, allThreads: bwAll.gbps, threads: all }, peers: { scipy: py?.versions }, rtol: RTOL, results: rows });
  await nl.close();
}
