// npm run bench -- sketch: least squares on tall dense problems (columns
// graded to a chosen condition number), numlane's Householder QR and
// sketch-and-precondition (sparse sign sketch, d = 4n, LSQR to rtol 1e-12) on
// 1 thread and all threads, against NumPy's lstsq (LAPACK gelsd) and SciPy's
// lstsq (gelsy), one OpenBLAS thread, interleaved in one run. Residuals are
// reported relative to NumPy's, so accuracy sits beside speed.
import { fileURLToPath } from "node:url";
import { init, DenseMatrix } from "../dist/index.js";
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

export default async function main() {
  process.env.OPENBLAS_NUM_THREADS = "1";
  const nl = await init();
  const all = nl.info.threads;
  const py = await pythonPeer(fileURLToPath(new URL("./sketch_peer.py", import.meta.url)));
  if (py) console.log(`NumPy ${py.versions.numpy}, SciPy ${py.versions.scipy} (OPENBLAS_NUM_THREADS=1)`);
  const rows = [];
  for (const [m, n, cond] of [[20000, 100, 1e3], [100000, 50, 1e6], [4000, 400, 1e2]]) {
    const { A, b } = problem(m, n, cond);
    let refRes;
    const cases = [];
    for (const t of [1, ...(all > 1 ? [all] : [])]) {
      for (const method of ["qr", "sketch-and-precondition"]) cases.push({ name: `numlane ${method} ${t}t`, fn: () => nl.lstsq(A, b, { method, threads: t }), method, t });
    }
    if (py) {
      refRes = (await py.ask({ op: "setup", m, n, cond })).res;
      cases.push({ name: "NumPy lstsq (gelsd)", remote: async () => (await py.ask({ op: "numpy" })).us });
      cases.push({ name: "SciPy lstsq (gelsy)", remote: async () => (await py.ask({ op: "scipy" })).us });
    }
    const t = await compare(cases, { rounds: 7, minMs: 1 });
    for (const c of cases) {
      const r = c.fn ? await c.fn() : undefined;
      rows.push({
        problem: `${m}×${n}, cond ${cond.toExponential(0)}`, impl: c.name, ms: t[c.name] / 1e3,
        iterations: r?.iterations, "res / NumPy res − 1": r && refRes ? r.residualNorm / refRes - 1 : undefined,
        "× NumPy": t["NumPy lstsq (gelsd)"] ? t["NumPy lstsq (gelsd)"] / t[c.name] : undefined,
      });
    }
    console.log(`${m}×${n} done`);
  }
  py?.close();
  printTable(rows);
  writeResults("sketch", { machine: machine(), peers: { numpy: py?.versions }, results: rows });
  await nl.close();
}
