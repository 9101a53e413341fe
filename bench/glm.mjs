// npm run bench -- glm: nl.lasso and nl.lassoPath against scikit-learn's Lasso
// and lasso_path (Debian, one OpenBLAS thread), one thread each side, in CPU
// time (process.cpuUsage / time.process_time), interleaved round by round in
// a fresh order, medians. Data from bench/glm_peer.py, so both sides fit the
// same numbers: 10000×1000 Gaussian (λ = 0.05) and AR(1) ρ = 0.9 (λ = 0.2)
// designs with 5% of the true coefficients nonzero, and breast_cancer
// (569×30). Both sides use tol 1e-4 and the same duality-gap rule; Lasso fits
// an intercept (both defaults), lasso_path none (nl.lassoPath: fitIntercept
// false). The objective reached and the sweep counts are reported beside the
// times, so equal work can be checked.
//
// GLM_PART=sparse runs only the long sparse part: a 10⁵×10⁵ CSR design at
// 0.1% density (text-like: 10⁷ nonzeros) and a GLM_SPARSE_LAMBDAS-λ path
// (default 20, down to 1e-2·λ_max) on each side once, numlane with and
// without screening, with each process's peak resident memory.
import { readFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { init, CsrMatrix, DenseMatrix } from "../dist/index.js";
import { machine, median, printTable, pythonPeer, writeResults } from "./lib.mjs";

const TOL = 1e-4;
const ROUNDS = Number(process.env.GLM_ROUNDS ?? 5); // GLM_ROUNDS=n
// GLM_SETS=name,name picks some.
const SETS = [
  { name: "gaussian", lambda: 0.05, path: 100 },
  { name: "ar1", lambda: 0.2, path: 100 },
  { name: "breast_cancer", path: 100 },
].filter((s) => !process.env.GLM_SETS || process.env.GLM_SETS.split(",").includes(s.name));

/** CPU µs (all of this process's threads: the caller and the pool's worker) of one call. */
async function cpu(fn) {
  const c0 = process.cpuUsage();
  const r = await fn();
  const c = process.cpuUsage(c0);
  return { us: c.user + c.system, r };
}

export default async function glm() {
  if (process.env.GLM_PART === "sparse") return sparsePath();
  const py = await pythonPeer(fileURLToPath(new URL("./glm_peer.py", import.meta.url)));
  if (!py) return;
  const nl = await init({ threads: 1 });
  const dir = mkdtempSync(join(tmpdir(), "numlane-glm-"));
  const rows = [];
  try {
    for (const set of SETS) {
      const { n, p } = await py.ask({ op: "data", name: set.name, out: join(dir, set.name) });
      const raw = (ext) => { const b = readFileSync(join(dir, `${set.name}.${ext}`)); return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8).slice(); };
      const A = new DenseMatrix(n, p, raw("X")), y = raw("y");
      const cases = [];
      if (set.lambda !== undefined) {
        cases.push({
          what: `Lasso λ = ${set.lambda}`,
          nl: async () => { const { us, r } = await cpu(() => nl.lasso(A, y, { lambda: set.lambda, tol: TOL })); return { us, sweeps: r.iterations, objective: r.objective }; },
          sk: () => py.ask({ op: "lasso", name: set.name, alpha: set.lambda, tol: TOL }),
        });
      }
      // The path by default (Gram matrix, screening), without screening (the method before it), and over a working set.
      for (const variant of [{}, { screening: false }, { workingSet: true }]) {
        const label = Object.entries(variant).map(([k, v]) => `${k} ${v}`).join(", ");
        cases.push({
          what: `path, ${set.path} λ${label ? `, ${label}` : ""}`,
          nl: async () => {
            const { us, r } = await cpu(() => nl.lassoPath(A, y, { nLambdas: set.path, tol: TOL, fitIntercept: false, ...variant }));
            return { us, sweeps: r.fits.reduce((s, f) => s + f.iterations, 0), objective: r.fits[r.fits.length - 1].objective };
          },
          sk: () => py.ask({ op: "path", name: set.name, n: set.path, tol: TOL }),
        });
      }
      for (const c of cases) {
        const samples = { nl: [], sk: [] };
        let last = {};
        for (let round = 0; round < ROUNDS; round++) {
          for (const side of round % 2 ? ["sk", "nl"] : ["nl", "sk"]) {
            const s = await c[side]();
            samples[side].push(s.us);
            last[side] = s;
          }
        }
        const tnl = median(samples.nl), tsk = median(samples.sk);
        rows.push({
          data: `${set.name} ${n}×${p}`, fit: c.what, numlane_ms: tnl / 1e3, sklearn_ms: tsk / 1e3, ratio: tnl / tsk,
          sweeps: `${last.nl.sweeps} / ${last.sk.sweeps}`, objective_rel_diff: (last.nl.objective - last.sk.objective) / last.sk.objective,
        });
        printTable(rows.slice(-1));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    py.close();
    await nl.close();
  }
  console.log("\nnumlane / scikit-learn, CPU time, one thread each, medians of", ROUNDS, "interleaved rounds:");
  printTable(rows);
  writeResults("glm", { machine: machine(), peers: py.versions, tol: TOL, rounds: ROUNDS, clock: "CPU time", rows });
}

/** The 10⁵×10⁵ CSR path (GLM_PART=sparse): one run a side, CPU time and peak RSS. */
async function sparsePath() {
  const py = await pythonPeer(fileURLToPath(new URL("./glm_peer.py", import.meta.url)));
  if (!py) return;
  const size = Number(process.env.GLM_SPARSE_N ?? 100_000), count = Number(process.env.GLM_SPARSE_LAMBDAS ?? 20), eps = 1e-2;
  const nl = await init({ threads: 1 });
  const dir = mkdtempSync(join(tmpdir(), "numlane-glm-"));
  const rows = [];
  try {
    const { n, p, nnz } = await py.ask({ op: "sparse_data", n: size, p: size, density: 1e-3, out: join(dir, "sparse") });
    const file = (ext) => readFileSync(join(dir, `sparse.${ext}`));
    const typed = (b, T) => new T(b.buffer, b.byteOffset, b.byteLength / T.BYTES_PER_ELEMENT).slice();
    const S = new CsrMatrix(n, p, typed(file("indptr"), Int32Array), typed(file("indices"), Int32Array), typed(file("data"), Float64Array));
    const y = typed(file("y"), Float64Array);
    rmSync(dir, { recursive: true, force: true });
    const data = `CSR ${n}×${p}, ${nnz} nonzeros`;
    for (const screening of [true, false]) {
      const { us, r } = await cpu(() => nl.lassoPath(S, y, { nLambdas: count, eps, tol: TOL, fitIntercept: false, screening }));
      const last = r.fits[r.fits.length - 1];
      rows.push({
        data, fit: `nl.lassoPath, ${count} λ, screening ${screening}`, ms: us / 1e3, sweeps: r.fits.reduce((s, f) => s + f.iterations, 0),
        objective: last.objective, nonzero: last.x.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0), converged: r.fits.every((f) => f.converged),
        maxrss_mb: process.resourceUsage().maxRSS / 1024,
      });
      printTable(rows.slice(-1));
    }
    const sk = await py.ask({ op: "sparse_path", n: count, eps, tol: TOL });
    rows.push({ data, fit: `lasso_path, ${count} λ`, ms: sk.us / 1e3, sweeps: sk.sweeps, objective: sk.objective, nonzero: sk.nonzero, converged: "", maxrss_mb: sk.maxrss_mb });
    printTable(rows.slice(-1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    py.close();
    await nl.close();
  }
  console.log("\nCPU time, one thread each, one run each; peak RSS of each process:");
  printTable(rows);
  writeResults("glm-sparse", { machine: machine(), peers: py.versions, tol: TOL, clock: "CPU time", rows });
}
