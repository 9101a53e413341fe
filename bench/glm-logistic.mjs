// npm run bench -- glm-logistic: nl.logisticRegression against scikit-learn's
// LogisticRegression (liblinear, lbfgs; saga for the elastic net and multinomial L1), one thread each side
// (OPENBLAS_NUM_THREADS=1 for the peer), interleaved round by round, medians
// of CPU time (process.cpuUsage here, time.process_time there), each side's
// objective in numlane's scaling (½‖W‖², ‖W‖₁ or ρ‖w‖₁ + (1 − ρ)/2‖w‖², + C·Σ
// loss) beside it. Binary L1/L2 fits have no intercept (liblinear penalises its
// own); the elastic net and multinomial L1 (saga: standardised columns, which saga needs) have them. The peers run at
// scikit-learn's tol (1e-4); ours (L2: each solver, L-BFGS and TRON) is the
// loosest of 1000× LIBLINEAR's effective one, tol·max(min(#pos, #neg), 1)/n,
// and half-decades below it whose objective is within 1e-8 of every peer's. Results: bench/results/glm-logistic.json
// (GLM_LOGISTIC_PENALTIES=elasticnet,l1 and GLM_LOGISTIC_SETS=sparse,digits run those penalties and data sets
// only, into glm-logistic-<sets>-<penalties>.json).
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CsrMatrix, DenseMatrix, init } from "../dist/index.js";
import { machine, median, printTable, pythonPeer, writeResults } from "./lib.mjs";

const TOL = 1e-4;  // scikit-learn's default

const datasets = [
  { name: "breast_cancer", rounds: 15 },
  { name: "breast_cancer_scaled", rounds: 15 },
  { name: "synthetic", n: 10000, p: 1000, seed: 0, rounds: 3 },
  { name: "digits", rounds: 9 },
  // Text-like: 10⁵ × 10⁵ at 0.1% (10⁷ nonzeros), a CsrMatrix (read by its nonzeros, never densified).
  { name: "sparse", n: 100000, p: 100000, density: 0.001, seed: 0, rounds: 3 },
  { name: "wine_scaled", rounds: 9 },
  { name: "digits_scaled", rounds: 3 },
];

const problems = [
  { data: "breast_cancer", penalty: "l2", peers: ["liblinear", "lbfgs"] },
  { data: "breast_cancer", penalty: "l1", peers: ["liblinear"] },
  { data: "synthetic", penalty: "l2", peers: ["liblinear", "lbfgs"] },
  { data: "synthetic", penalty: "l1", peers: ["liblinear"] },
  { data: "sparse", penalty: "l1", peers: ["liblinear"] },
  { data: "sparse", penalty: "l2", peers: ["liblinear", "lbfgs"] },
  // lbfgs@100: scikit-learn's default max_iter, where lbfgs stops before its tol on digits.
  { data: "digits", penalty: "l2", multinomial: true, peers: ["lbfgs"] },
  { data: "digits", penalty: "l2", multinomial: true, peers: ["lbfgs@100"] },
  // saga is scikit-learn's one elastic-net solver (67 s a fit on the 10000×1000 set: not run).
  { data: "breast_cancer_scaled", penalty: "elasticnet", l1Ratio: 0.5, fitIntercept: true, peers: ["saga"] },
  // saga at its default tol stops ~1e-4 above the optimum: also to a tight objective (peer tol 1e-8).
  { data: "breast_cancer_scaled", penalty: "elasticnet", l1Ratio: 0.5, fitIntercept: true, peers: ["saga"], peerTol: 1e-8 },
  // Multinomial L1 with intercepts: saga is scikit-learn's only solver for it.
  { data: "wine_scaled", penalty: "l1", multinomial: true, peers: ["saga"] },
  { data: "wine_scaled", penalty: "l1", multinomial: true, peers: ["saga"], peerTol: 1e-8 },
  { data: "wine_scaled", penalty: "elasticnet", l1Ratio: 0.5, multinomial: true, peers: ["saga"] },
  { data: "digits_scaled", penalty: "l1", multinomial: true, peers: ["saga"] },
  { data: "digits_scaled", penalty: "elasticnet", l1Ratio: 0.5, multinomial: true, peers: ["saga"] },
].filter((pr) => (!process.env.GLM_LOGISTIC_PENALTIES || process.env.GLM_LOGISTIC_PENALTIES.split(",").includes(pr.penalty))
  && (!process.env.GLM_LOGISTIC_SETS || process.env.GLM_LOGISTIC_SETS.split(",").includes(pr.data)));

function cpu(fn) {
  const c0 = process.cpuUsage();
  return fn().then((r) => { const c = process.cpuUsage(c0); return { r, seconds: (c.user + c.system) / 1e6 }; });
}

export default async function main() {
  process.env.OPENBLAS_NUM_THREADS = "1";
  process.env.OPENBLAS_CORETYPE = "Haswell";
  const py = await pythonPeer(fileURLToPath(new URL("./glm_logistic_peer.py", import.meta.url)));
  if (!py) return;
  const nl = await init({ threads: 1 });
  const loaded = {};
  for (const d of datasets.filter((d) => problems.some((pr) => pr.data === d.name))) {
    const xfile = join(tmpdir(), `glm-logistic-${d.name}-X.f64`), yfile = join(tmpdir(), `glm-logistic-${d.name}-y.f64`);
    const { n, p, nnz } = await py.ask({ op: "data", ...d, xfile, yfile });
    // A small file's Buffer is a view into a shared pool: copy its own bytes.
    const bytes = (file) => { const b = readFileSync(file); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
    const X = new Float64Array(bytes(xfile)), y = new Float64Array(bytes(yfile));
    let A;
    if (nnz !== undefined) {
      A = new CsrMatrix(n, p, new Int32Array(bytes(xfile + ".indptr")), new Int32Array(bytes(xfile + ".indices")), X);
      rmSync(xfile + ".indptr"); rmSync(xfile + ".indices");
    } else A = new DenseMatrix(n, p, X);
    rmSync(xfile); rmSync(yfile);
    loaded[d.name] = { A, y, n, p, rounds: d.rounds };
  }
  const rows = [], results = [];
  for (const pr of problems) {
    const d = loaded[pr.data], C = 1;
    const fitIntercept = pr.fitIntercept ?? !!pr.multinomial;
    let labels, tol;
    if (pr.multinomial) { labels = Int32Array.from(d.y); tol = TOL; }
    else {
      labels = Float64Array.from(d.y, (v) => (v === 1 ? 1 : -1));
      const pos = labels.filter((v) => v > 0).length;
      tol = (TOL * Math.max(Math.min(pos, d.n - pos), 1)) / d.n;
    }
    // L2: both solvers, each at its own tol; L1: newGLMNET.
    const solvers = pr.penalty === "l2" ? ["lbfgs", "newton"] : [undefined];
    const fitOurs = (solver, t) => nl.logisticRegression(d.A, labels, {
      C, penalty: pr.penalty, ...(pr.l1Ratio !== undefined ? { l1Ratio: pr.l1Ratio } : {}), tol: t, fitIntercept, maxIter: 100000, ...(solver ? { solver } : {}), ...(pr.multinomial ? { multiClass: "multinomial" } : {}),
    });
    // A peer "solver@k" runs with max_iter k (default 10000).
    const peerFit = (peer) => py.ask({ op: "fit", name: pr.data, solver: peer.split("@")[0], penalty: pr.penalty, l1Ratio: pr.l1Ratio, C, tol: pr.peerTol ?? TOL, maxIter: +(peer.split("@")[1] ?? 10000), fitIntercept });
    const peerFits = await Promise.all(pr.peers.map(peerFit));
    // Equal objective: our loosest tol (from 1000× LIBLINEAR's effective one down by
    // half-decades) that reaches every peer's objective to 1e-8 (relative).
    const target = Math.min(...peerFits.map((f) => f.objective)) * (1 + 1e-8);
    const tols = {};
    for (const solver of solvers) {
      let t = Math.min(0.5, tol * 1000);
      for (let k = 0; k < 18 && (await fitOurs(solver, t)).objective > target; k++) t /= Math.sqrt(10);
      tols[solver ?? "glmnet"] = t;
    }
    const cases = solvers.map((solver) => ({
      name: `numlane${solver ? " " + solver : ""}`,
      run: async () => { const { r, seconds } = await cpu(() => fitOurs(solver, tols[solver ?? "glmnet"])); return { seconds, objective: r.objective, iterations: r.iterations, evaluations: r.evaluations }; },
    }));
    const ours = cases.map((c) => c.name);
    for (const peer of pr.peers) cases.push({ name: peer, run: () => peerFit(peer) });
    for (const c of cases.slice(0, solvers.length)) await c.run();  // warm-up: compile, first allocations
    const samples = new Map(cases.map((c) => [c.name, []]));
    const last = {};
    let seed = 7;
    for (let r = 0; r < d.rounds; r++) {
      const order = [...cases];
      for (let i = order.length - 1; i > 0; i--) { seed = (seed * 1103515245 + 12345) >>> 0; const j = seed % (i + 1); [order[i], order[j]] = [order[j], order[i]]; }
      for (const c of order) { const out = await c.run(); samples.get(c.name).push(out.seconds); last[c.name] = out; }
    }
    const ms = Object.fromEntries([...samples].map(([k, v]) => [k, median(v) * 1e3]));
    const label = `${pr.data} ${d.n}×${d.p}${d.A instanceof CsrMatrix ? ` CSR (${d.A.nnz} nonzeros)` : ""} ${pr.multinomial ? "multinomial " : "binary "}${pr.penalty}${pr.l1Ratio !== undefined ? ` ρ=${pr.l1Ratio}` : ""}${!pr.multinomial && fitIntercept ? " +intercept" : ""} C=1${pr.peerTol ? `, peer tol ${pr.peerTol}` : ""}`;
    const entry = {
      problem: label, ourTol: tols, ms,
      // CPU seconds of every round, per case: the ranges behind the medians.
      samples: Object.fromEntries([...samples].map(([k, v]) => [k, v.map((x) => x * 1e3)])),
      objective: Object.fromEntries(Object.entries(last).map(([k, v]) => [k, v.objective])),
      iterations: Object.fromEntries(Object.entries(last).map(([k, v]) => [k, v.iterations])),
      evaluations: Object.fromEntries(ours.map((k) => [k, last[k].evaluations])),
      // Each process's high-water mark so far (data, every fit before): run one set alone to read it as that set's.
      peakRssMB: { numlane: process.resourceUsage().maxRSS / 1024, peer: (await py.ask({ op: "rss" })).maxRssKB / 1024 },
    };
    results.push(entry);
    for (const solver of pr.peers) {
      for (const o of ours) {
        rows.push({
          problem: label, ours: o, peer: solver, "numlane ms": ms[o], "peer ms": ms[solver], ratio: ms[o] / ms[solver],
          "objective rel. diff": (entry.objective[o] - entry.objective[solver]) / Math.abs(entry.objective[solver]),
        });
      }
    }
    console.log(`${label}: ${JSON.stringify(entry.ms)} objectives ${JSON.stringify(entry.objective)}`);
  }
  printTable(rows);
  const only = [process.env.GLM_LOGISTIC_SETS, process.env.GLM_LOGISTIC_PENALTIES].filter(Boolean).flatMap((v) => v.split(","));
  writeResults(["glm-logistic", ...only].join("-"), { machine: machine(), peer: py.versions, threads: 1, timing: "median CPU seconds, interleaved", rows, results });
  py.close();
  await nl.close();
}
