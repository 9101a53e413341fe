// npm run bench -- bcd. Part 1, nl.lasso: Lasso fits (scikit-learn's objective, tol 1e-4, no
// intercept) on the diabetes and digits data and a 20000×200 synthetic
// problem, numlane on 1 thread and all threads against scikit-learn's Lasso
// (Debian, one OpenBLAS thread) and a plain JavaScript coordinate descent,
// interleaved in one run. The sweep counts are reported beside the times:
// the same rule should stop both at the same sweep.
// Part 2, nl.bcd: least squares (Lasso), binary and multinomial logistic
// regression and label propagation, a few partition/rule/update settings
// each, against scikit-learn (Lasso, LogisticRegression lbfgs) and SciPy's
// spsolve; the stopping rules differ, so each row also reports its objective
// above the best one found in the run.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { init, DenseMatrix, CsrMatrix, readMatrixMarket } from "../dist/index.js";
import { compare, machine, printTable, pythonPeer, writeResults } from "./lib.mjs";

const TOL = 1e-4;

/** Plain JavaScript cyclic coordinate descent with the same stopping rule. */
function jsLasso(cols, n, p, b, lambda, tol) {
  const x = new Float64Array(p), r = b.slice(), sq = new Float64Array(p);
  let bb = 0;
  for (let i = 0; i < n; i++) bb += b[i] * b[i];
  for (let j = 0; j < p; j++) { let s = 0; for (let i = 0; i < n; i++) s += cols[j * n + i] ** 2; sq[j] = s; }
  const ln = lambda * n;
  let it = 0;
  for (; it < 100000; it++) {
    let dmax = 0, xmax = 0;
    for (let j = 0; j < p; j++) {
      if (sq[j] === 0) continue;
      let g = 0;
      for (let i = 0; i < n; i++) g += cols[j * n + i] * r[i];
      const t = g + x[j] * sq[j], mag = Math.abs(t) - ln;
      const next = mag > 0 ? Math.sign(t) * mag / sq[j] : 0, d = next - x[j];
      if (d !== 0) { for (let i = 0; i < n; i++) r[i] -= d * cols[j * n + i]; x[j] = next; }
      dmax = Math.max(dmax, Math.abs(d)); xmax = Math.max(xmax, Math.abs(next));
    }
    if (xmax === 0 || dmax / xmax < tol) {
      let dual = 0, l1 = 0, rr = 0, rb = 0;
      for (let j = 0; j < p; j++) { let g = 0; for (let i = 0; i < n; i++) g += cols[j * n + i] * r[i]; dual = Math.max(dual, Math.abs(g)); l1 += Math.abs(x[j]); }
      for (let i = 0; i < n; i++) { rr += r[i] * r[i]; rb += r[i] * b[i]; }
      const c = dual > ln ? ln / dual : 1;
      const gap = (dual > ln ? 0.5 * (rr + rr * c * c) : rr) + ln * l1 - c * rb;
      if (gap <= tol * bb) { it++; break; }
    }
  }
  return { x, iterations: it };
}

function csv(rel) {
  const rows = readFileSync(new URL(rel, import.meta.url), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  const p = rows[0].length - 1;
  return { A: new DenseMatrix(rows.length, p, Float64Array.from(rows.flatMap((r) => r.slice(0, p)))), b: Float64Array.from(rows, (r) => r[p]) };
}

function synthetic(n, p) {
  const a = new Float64Array(n * p);
  for (let i = 0; i < n * p; i++) a[i] = Math.sin(i * 1.3 + 0.2);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = 0.1 * Math.cos(i * 0.7); for (let j = 0; j < p; j += 7) s += a[i * p + j]; b[i] = s; }
  return { A: new DenseMatrix(n, p, a), b };
}

export default async function main() {
  process.env.OPENBLAS_NUM_THREADS = "1";
  const nl = await init();
  const all = nl.info.threads;
  const py = await pythonPeer(fileURLToPath(new URL("./bcd_peer.py", import.meta.url)));
  if (py) console.log(`scikit-learn ${py.versions.sklearn} (OPENBLAS_NUM_THREADS=1)`);
  const problems = [
    { name: "diabetes 442×10", ...csv("../data/datasets/diabetes.csv"), lambda: 0.01, peer: { csv: fileURLToPath(new URL("../data/datasets/diabetes.csv", import.meta.url)) } },
    { name: "digits 1797×64", ...csv("../data/datasets/digits.csv"), lambda: 0.01, peer: { csv: fileURLToPath(new URL("../data/datasets/digits.csv", import.meta.url)) } },
    { name: "synthetic 20000×200", ...synthetic(20000, 200), lambda: 0.001, peer: { n: 20000, p: 200 } },
  ];
  const rows = [];
  for (const pr of problems) {
    const { A, b, lambda } = pr, n = A.rows, p = A.cols;
    const cols = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) cols[j * n + i] = A.data[i * p + j];
    const mine = await nl.lasso(A, b, { lambda, tol: TOL });
    const js = jsLasso(cols, n, p, b, lambda, TOL);
    const cases = [1, ...(all > 1 ? [all] : [])].map((t) => ({ name: `numlane ${t}t`, fn: () => nl.lasso(A, b, { lambda, tol: TOL, threads: t }) }));
    cases.push({ name: "plain JS", fn: () => jsLasso(cols, n, p, b, lambda, TOL) });
    let skIters;
    if (py) {
      skIters = (await py.ask({ op: "setup", ...pr.peer, lambda, tol: TOL })).iterations;
      cases.push({ name: "scikit-learn", remote: async () => (await py.ask({ op: "fit" })).us });
    }
    const t = await compare(cases, { rounds: 11, minMs: 20 });
    const iters = { "plain JS": js.iterations, "scikit-learn": skIters };
    for (const c of cases) {
      rows.push({
        problem: pr.name, λ: lambda, impl: c.name, ms: t[c.name] / 1e3, sweeps: iters[c.name] ?? mine.iterations,
        "× scikit-learn": t["scikit-learn"] ? t["scikit-learn"] / t[c.name] : undefined, "× plain JS": t["plain JS"] / t[c.name],
      });
    }
    console.log(`${pr.name} done`);
  }
  const bcdRows = py ? await bcdBench(nl, py, all) : [];
  py?.close();
  printTable(rows);
  printTable(bcdRows);
  writeResults("bcd", { machine: machine(), peers: { sklearn: py?.versions }, tol: TOL, results: rows, bcd: bcdRows });
  await nl.close();
}

/** Edge weights |a_ij| (i ≠ j) of a Matrix Market matrix: a graph for label propagation. */
function graph(rel) {
  const A = readMatrixMarket(readFileSync(new URL(rel, import.meta.url), "utf8"));
  const i = [], j = [], v = [];
  for (let r = 0; r < A.rows; r++) for (let q = A.indptr[r]; q < A.indptr[r + 1]; q++) if (A.indices[q] !== r) { i.push(r); j.push(A.indices[q]); v.push(Math.abs(A.data[q])); }
  return CsrMatrix.fromCoo(A.rows, A.cols, i, j, v);
}

async function bcdBench(nl, py, all) {
  const path = (rel) => fileURLToPath(new URL(rel, import.meta.url));
  const diabetes = csv("../data/datasets/diabetes.csv"), digits = csv("../data/datasets/digits.csv");
  const W = graph("../data/matrices/lap3D_7pt_n20.mtx");
  const labelled = Uint8Array.from({ length: W.rows }, (_, k) => (k % 7 === 0 ? 1 : 0));
  const labels = Float64Array.from({ length: W.rows }, (_, k) => (k < W.rows / 2 ? 1 : -1));
  const digits0 = digits.b.map((v) => (v === 0 ? 1 : -1));
  const n = (d) => d.A.rows;
  const problems = [
    {
      name: "lasso diabetes 442×10, λ=0.01", problem: { loss: "least-squares", A: diabetes.A, b: diabetes.b, penalty: { l1: 0.01 } },
      peer: { kind: "least-squares", csv: path("../data/datasets/diabetes.csv"), l1: 0.01, tol: 1e-6 },
      settings: { "cyclic coordinate newton": { rule: "cyclic" }, "variable/4 gsl newton": { partition: "variable", blockSize: 4, rule: "gsl" } },
    },
    {
      name: "lasso digits 1797×64, λ=0.01", problem: { loss: "least-squares", A: digits.A, b: digits.b, penalty: { l1: 0.01 } },
      peer: { kind: "least-squares", csv: path("../data/datasets/digits.csv"), l1: 0.01, tol: 1e-6 },
      settings: { "cyclic coordinate newton": { rule: "cyclic" }, "variable/8 gsl newton": { partition: "variable", blockSize: 8, rule: "gsl" } },
    },
    {
      name: "logistic L2 digits 0-vs-rest 1797×64, C=1", problem: { loss: "logistic", A: digits.A, y: digits0, penalty: { l2: 1 / n(digits) } },
      peer: { kind: "logistic", csv: path("../data/datasets/digits.csv"), positive: 0, l2: 1 / n(digits), tol: 1e-8 },
      settings: { "cyclic coordinate newton": { rule: "cyclic" }, "order/8 gsq newton": { partition: "order", blockSize: 8, rule: "gsq" } },
    },
    {
      name: "multinomial digits 1797×64×10, C=0.001", problem: { loss: "softmax", A: digits.A, y: digits.b, classes: 10, penalty: { l2: 1 / (0.001 * n(digits)) } },
      peer: { kind: "softmax", csv: path("../data/datasets/digits.csv"), l2: 1 / (0.001 * n(digits)), tol: 1e-8 },
      settings: { "variable/16 gsd newton (logisticRegression's default)": { partition: "variable", blockSize: 16, rule: "gsd" } },
    },
    {
      name: "label propagation 20³ grid graph (lap3D_7pt_n20)", problem: { loss: "label-propagation", W, labels, labelled },
      peer: { kind: "label-propagation", mtx: path("../data/matrices/lap3D_7pt_n20.mtx") },
      settings: { "forest message-passing": { partition: "forest" }, "red-black message-passing": { partition: "red-black" } },
    },
  ];
  const rows = [];
  for (const pr of problems) {
    const peer = await py.ask({ op: "setup-bcd", ...pr.peer });
    const peerName = pr.peer.kind === "label-propagation" ? "SciPy spsolve" : `scikit-learn ${pr.peer.kind === "least-squares" ? "Lasso" : "LogisticRegression lbfgs"}`;
    const cases = [], fits = {};
    for (const [label, o] of Object.entries(pr.settings)) {
      const opts = { tol: 1e-6, maxIter: 10_000_000, ...o };
      for (const t of [1, ...(all > 1 ? [all] : [])]) {
        const name = `nl.bcd ${label} ${t}t`;
        fits[name] = await nl.bcd(pr.problem, { ...opts, threads: t });
        cases.push({ name, fn: () => nl.bcd(pr.problem, { ...opts, threads: t }) });
      }
    }
    cases.push({ name: peerName, remote: async () => (await py.ask({ op: "fit-bcd" })).us });
    const t = await compare(cases, { rounds: 5, minMs: 1 });
    const best = Math.min(peer.objective, ...Object.values(fits).map((f) => f.objective));
    for (const c of cases) {
      const f = fits[c.name];
      const obj = f ? f.objective : peer.objective;
      rows.push({
        problem: pr.name, impl: c.name, ms: t[c.name] / 1e3, iterations: f ? f.iterations : peer.iterations,
        "objective − best (rel)": (obj - best) / Math.abs(best), [`× peer`]: t[peerName] / t[c.name],
      });
    }
    console.log(`${pr.name} done`);
  }
  return rows;
}
