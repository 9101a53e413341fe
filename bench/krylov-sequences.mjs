// node bench/krylov-sequences.mjs [count]: the kernel-side speed of recycled
// CG and of GMRES, one thread, against SciPy (Debian's, one OpenBLAS thread)
// in the same run. Times are process CPU time (user + system), medians of
// interleaved rounds, so a loaded host's scheduling does not count; every
// answer's true residual is checked. NUMLANE_DIST=path/to/dist runs another
// build of numlane (a before/after comparison).
//   1. lognormal Darcy flow on 128² cells (cell-centred finite volumes,
//      harmonic-mean transmissibilities, a = exp(g), g a Gaussian random field
//      with covariance (−Δ + 9)^−2 by a truncated cosine expansion), Jacobi,
//      rtol 1e-8: independent nl.cg, solveSequence with recycle { k: 16 }
//      ("auto": deflation dropped when it does not pay; "always"), SciPy cg.
//   2. −Δu + w·∇u on 48² (central differences, wind (60, 20)), GMRES(40),
//      rtol 1e-8: nl.gmres against scipy.sparse.linalg.gmres(restart=40).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { convectionDiffusion, median } from "./lib.mjs";

const dist = process.env.NUMLANE_DIST ?? new URL("../dist/", import.meta.url).pathname;
const { init, CsrMatrix } = await import(`${dist.replace(/\/$/, "")}/index.js`);
const count = +(process.argv[2] ?? 50), ROUNDS = 3, RTOL = 1e-8;

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) | 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

/** Darcy's −∇·(a∇u) = 1 on N² cells, u = 0 on the boundary; a = exp(g). */
function darcy(N, seed, modes = 16) {
  const r = rng(seed), h = 1 / N, gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
  const coef = [];
  for (let i = 0; i < modes; i++) for (let j = 0; j < modes; j++) coef.push(i + j === 0 ? 0 : gauss() * (Math.PI ** 2 * (i * i + j * j) + 9) ** -1 * 6);
  const cosines = (c, i) => Math.cos(Math.PI * i * (c + 0.5) * h);
  const a = new Float64Array(N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
    let g = 0;
    for (let i = 0; i < modes; i++) for (let j = 0; j < modes; j++) g += coef[i * modes + j] * cosines(x, i) * cosines(y, j);
    a[y * N + x] = Math.exp(g);
  }
  const I = [], J = [], V = [];
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
    const k = y * N + x;
    let d = 0;
    for (const [xx, yy] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
      if (xx < 0 || yy < 0 || xx >= N || yy >= N) { d += 2 * a[k]; continue; }
      const t = (2 * a[k] * a[yy * N + xx]) / (a[k] + a[yy * N + xx]);
      d += t; I.push(k); J.push(yy * N + xx); V.push(-t);
    }
    I.push(k); J.push(k); V.push(d);
  }
  return { A: CsrMatrix.fromCoo(N * N, N * N, I, J, V), b: new Float64Array(N * N).fill(h * h) };
}


const relResidual = (A, b, x) => {
  let rr = 0, bb = 0;
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) s += A.data[k] * x[A.indices[k]];
    rr += (b[i] - s) ** 2; bb += b[i] ** 2;
  }
  return Math.sqrt(rr / bb);
};
const cpuMs = async (fn) => { const t = process.cpuUsage(); const r = await fn(); const d = process.cpuUsage(t); return [(d.user + d.system) / 1e3, r]; };

/** SciPy's CPU ms per round (median) and iterations, for the systems written to a JSON file. */
function scipy(kind, systems, extra) {
  const file = `/tmp/numlane-bench-${process.pid}.json`;
  writeFileSync(file, JSON.stringify({ kind, rounds: ROUNDS, rtol: RTOL, ...extra,
    systems: systems.map(({ A, b }) => ({ n: A.rows, indptr: Array.from(A.indptr), indices: Array.from(A.indices), data: Array.from(A.data), b: Array.from(b) })) }));
  const run = spawnSync("/usr/bin/python3", ["-c", `
import json, sys, time, numpy as np, scipy.sparse as sp, scipy.sparse.linalg as sl
d = json.load(open(sys.argv[1])); mats = [(sp.csr_matrix((s["data"], s["indices"], s["indptr"]), shape=(s["n"], s["n"])), np.array(s["b"])) for s in d["systems"]]
ts, its, worst = [], 0, 0.0
for r in range(d["rounds"]):
    its = 0; t = time.process_time()
    for A, b in mats:
        cnt = [0]
        def cb(_): cnt[0] += 1
        if d["kind"] == "cg":
            M = sp.diags(1 / A.diagonal())
            x, info = sl.cg(A, b, tol=d["rtol"], atol=0, M=M, maxiter=10 * A.shape[0], callback=cb)
        else:
            x, info = sl.gmres(A, b, tol=d["rtol"], atol=0, restart=d["restart"], maxiter=100000, callback=cb, callback_type="pr_norm")
        its += cnt[0]; worst = max(worst, np.linalg.norm(b - A @ x) / np.linalg.norm(b))
    ts.append((time.process_time() - t) * 1e3)
print(json.dumps({"ms": sorted(ts)[len(ts) // 2], "iterations": its, "worst": worst}))
`, file], { env: { ...process.env, OPENBLAS_NUM_THREADS: "1" }, maxBuffer: 1 << 26 });
  if (run.status !== 0) return undefined;
  return JSON.parse(run.stdout.toString());
}

const nl = await init({ threads: 1 });
const rows = [];
// 1. Darcy: shuffled seeds, so "given" is a shuffled order.
const seeds = Array.from({ length: count }, (_, i) => 1 + ((i * 37) % count));
const darcySystems = seeds.map((s) => darcy(128, s));
const cases = {
  "nl.cg each": async () => { let its = 0, worst = 0; for (const { A, b } of darcySystems) { const r = await nl.cg(A, b, { preconditioner: "jacobi", rtol: RTOL }); its += r.iterations; worst = Math.max(worst, relResidual(A, b, r.x)); } return { its, worst }; },
  "solveSequence k=16 (auto)": async () => { const r = await nl.solveSequence(darcySystems, { preconditioner: "jacobi", rtol: RTOL, recycle: { k: 16 } }); return { its: r.totalIterations, worst: Math.max(...darcySystems.map(({ A, b }, i) => relResidual(A, b, r.solutions[i]))), note: r.recycling?.used === false ? "deflation dropped" : "" }; },
  "solveSequence k=16 (always)": async () => { const r = await nl.solveSequence(darcySystems, { preconditioner: "jacobi", rtol: RTOL, recycle: { k: 16, deflate: "always" } }); return { its: r.totalIterations, worst: Math.max(...darcySystems.map(({ A, b }, i) => relResidual(A, b, r.solutions[i]))) }; },
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []])), info = {};
await nl.cg(darcySystems[0].A, darcySystems[0].b, { preconditioner: "jacobi" });
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    try { const [ms, r] = await cpuMs(fn); times[name].push(ms); info[name] = r; } catch (e) { info[name] = { error: String(e.message ?? e).slice(0, 60) }; }
  }
}
const py = scipy("cg", darcySystems, {});
const plainMs = median(times["nl.cg each"]);
for (const name of Object.keys(cases)) {
  if (!times[name].length) { rows.push({ problem: `Darcy 128² × ${count}`, impl: name, note: info[name].error }); continue; }
  const ms = median(times[name]);
  rows.push({ problem: `Darcy 128² × ${count}`, impl: name, "CPU ms": ms.toFixed(0), iterations: info[name].its, "× nl.cg each": (ms / plainMs).toFixed(2), "× SciPy": py ? (ms / py.ms).toFixed(2) : "", "worst rel. residual": info[name].worst.toExponential(1), note: info[name].note ?? "" });
}
if (py) rows.push({ problem: `Darcy 128² × ${count}`, impl: "SciPy cg each (Jacobi)", "CPU ms": py.ms.toFixed(0), iterations: py.iterations, "× nl.cg each": (py.ms / plainMs).toFixed(2), "× SciPy": "1.00", "worst rel. residual": py.worst.toExponential(1), note: "" });
// 2. GMRES(40).
const cd = [{ A: convectionDiffusion(48, 60, 20), b: Float64Array.from({ length: 48 * 48 }, (_, i) => 1 + Math.sin(i * 0.05)) }];
const gm = [];
let gmIts = 0, gmWorst = 0;
for (let round = 0; round < 3 * ROUNDS; round++) {
  const [ms, r] = await cpuMs(() => nl.gmres(cd[0].A, cd[0].b, { restart: 40, rtol: RTOL }));
  gm.push(ms); gmIts = r.iterations; gmWorst = relResidual(cd[0].A, cd[0].b, r.x);
}
const pyg = scipy("gmres", cd, { restart: 40, rounds: 3 * ROUNDS });
const gms = median(gm);
rows.push({ problem: "conv.–diff. 48², GMRES(40)", impl: "nl.gmres", "CPU ms": gms.toFixed(1), iterations: gmIts, "× SciPy": pyg ? (gms / pyg.ms).toFixed(2) : "", "worst rel. residual": gmWorst.toExponential(1) });
if (pyg) rows.push({ problem: "conv.–diff. 48², GMRES(40)", impl: "SciPy gmres", "CPU ms": pyg.ms.toFixed(1), iterations: pyg.iterations, "× SciPy": "1.00", "worst rel. residual": pyg.worst.toExponential(1) });
console.table(rows);
await nl.close();
