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
// Part 3, the paper's dataset A (1000×10000 sparse): its least-squares figure
// for every rule (bench/results/bcd-datasetA.svg) and a lasso to a 1e-8
// relative duality gap against scikit-learn's Lasso on the same CSR.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { init, DenseMatrix, CsrMatrix, readMatrixMarket } from "../dist/index.js";
import { compare, machine, median, printTable, pythonPeer, writeResults } from "./lib.mjs";

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
  process.env.OPENBLAS_CORETYPE = "Haswell";
  const nl = await init();
  const all = nl.info.threads;
  const py = await pythonPeer(fileURLToPath(new URL("./bcd_peer.py", import.meta.url)));
  if (py) console.log(`scikit-learn ${py.versions.sklearn} (OPENBLAS_NUM_THREADS=1)`);
  // NUMLANE_BCD_PART=datasetA runs part 3 alone (its results go to bench/results/bcd-datasetA.json).
  if (process.env.NUMLANE_BCD_PART === "datasetA") {
    const out = await datasetABench(nl, py);
    py?.close();
    printTable(out.lasso);
    writeResults("bcd-datasetA", { machine: machine(), peers: { sklearn: py?.versions }, ...out });
    await nl.close();
    return;
  }
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
  const datasetAOut = await datasetABench(nl, py);
  py?.close();
  printTable(rows);
  printTable(bcdRows);
  printTable(datasetAOut.lasso);
  writeResults("bcd", { machine: machine(), peers: { sklearn: py?.versions }, tol: TOL, results: rows, bcd: bcdRows, datasetA: datasetAOut });
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

// ---- Part 3: the paper's dataset A (Nutini, Laradji & Schmidt, fig. 4 recipe) ----------------

/** Seeded uniform [0, 1) (mulberry32) and standard normal (Box–Muller) draws. */
function seeded(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/**
 * Dataset A: X = (randn + 1)·diag(10·randn), each entry kept with probability
 * 10·log(n)/n (6.9 % at n = 1000), a 10 %-sparse Gaussian truth w, y = X·w + randn.
 */
export function datasetA(n = 1000, p = 10000, seed = 1) {
  const { uniform, normal } = seeded(seed);
  const scale = Float64Array.from({ length: p }, () => 10 * normal());
  const keep = (10 * Math.log(n)) / n;
  const indptr = new Int32Array(n + 1), indices = [], data = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) if (uniform() < keep) { indices.push(j); data.push((normal() + 1) * scale[j]); }
    indptr[i + 1] = indices.length;
  }
  const A = new CsrMatrix(n, p, indptr, Int32Array.from(indices), Float64Array.from(data));
  const w = Float64Array.from({ length: p }, () => (uniform() < 0.1 ? normal() : 0));
  const b = Float64Array.from({ length: n }, (_, i) => {
    let s = normal();
    for (let k = indptr[i]; k < indptr[i + 1]; k++) s += A.data[k] * w[A.indices[k]];
    return s;
  });
  return { A, b };
}

/** Lasso's duality gap (scikit-learn's form: ½‖r‖² + λn‖x‖₁ against the scaled dual), relative to ‖b‖². */
function lassoRelativeGap(A, b, x, lambda) {
  const n = A.rows, r = b.slice(), atr = new Float64Array(A.cols);
  for (let i = 0; i < n; i++) for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) r[i] -= A.data[k] * x[A.indices[k]];
  for (let i = 0; i < n; i++) for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) atr[A.indices[k]] += A.data[k] * r[i];
  const ln = lambda * n;
  let dual = 0, l1 = 0, rr = 0, rb = 0, bb = 0;
  for (let j = 0; j < A.cols; j++) { dual = Math.max(dual, Math.abs(atr[j])); l1 += Math.abs(x[j]); }
  for (let i = 0; i < n; i++) { rr += r[i] * r[i]; rb += r[i] * b[i]; bb += b[i] * b[i]; }
  const c = dual > ln ? ln / dual : 1;
  return (0.5 * rr * (1 + c * c) + ln * l1 - c * rb) / bb;
}

/** Process CPU seconds (all threads: the workers' too) of one call. */
async function cpuSeconds(fn) {
  const t0 = process.cpuUsage();
  const out = await fn();
  const t = process.cpuUsage(t0);
  return { out, s: (t.user + t.system) / 1e6 };
}

/** The figure's settings: every block rule on fixed blocks of 5 with gradient (Lipschitz) steps, and variable blocks with Newton steps. */
const DATASET_A_SETTINGS = {
  "cyclic": { rule: "cyclic", update: "lipschitz" },
  "random": { rule: "random", update: "lipschitz" },
  "lipschitz": { rule: "lipschitz", update: "lipschitz" },
  "gs": { rule: "gs", update: "lipschitz" },
  "gsl": { rule: "gsl", update: "lipschitz" },
  "gsd": { rule: "gsd", update: "lipschitz" },
  "gsq": { rule: "gsq", update: "lipschitz" },
  "variable gsl newton": { partition: "variable", rule: "gsl", update: "newton" },
  "variable gsd newton": { partition: "variable", rule: "gsd", update: "newton" },
};
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#000000"];

/** One panel: log10(objective) of each series against x (log10 x when logX). */
function panel(series, key, { x0, y0, w, h, title, xlabel, logX }) {
  const fx = (v) => (logX ? Math.log10(v) : v);
  const pts = series.flatMap((s) => s.points.filter((q) => q.objective > 0 && q[key] > 0));
  const xs = pts.map((q) => fx(q[key])), ys = pts.map((q) => Math.log10(q.objective));
  const xmin = Math.min(...xs), xmax = Math.max(...xs), ymin = Math.floor(Math.min(...ys)), ymax = Math.ceil(Math.max(...ys));
  const X = (v) => x0 + ((fx(v) - xmin) / (xmax - xmin || 1)) * w, Y = (v) => y0 + h - ((Math.log10(v) - ymin) / (ymax - ymin || 1)) * h;
  const out = [`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#888"/>`,
    `<text x="${x0 + w / 2}" y="${y0 - 8}" text-anchor="middle" font-size="14">${title}</text>`,
    `<text x="${x0 + w / 2}" y="${y0 + h + 34}" text-anchor="middle" font-size="12">${xlabel}</text>`];
  for (let e = ymin; e <= ymax; e++) {
    const y = y0 + h - ((e - ymin) / (ymax - ymin || 1)) * h;
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${x0 - 6}" y="${y + 4}" text-anchor="end" font-size="10">1e${e}</text>`);
  }
  for (let t = 0; t <= 4; t++) {
    const v = xmin + ((xmax - xmin) * t) / 4, x = x0 + (w * t) / 4;
    const label = logX ? (10 ** v).toPrecision(2) : v.toPrecision(3);
    out.push(`<text x="${x}" y="${y0 + h + 16}" text-anchor="middle" font-size="10">${label}</text>`);
  }
  series.forEach((s, k) => {
    const d = s.points.filter((q) => q.objective > 0 && q[key] > 0).map((q, i) => `${i ? "L" : "M"}${X(q[key]).toFixed(1)},${Y(q.objective).toFixed(1)}`).join(" ");
    out.push(`<path d="${d}" fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="1.6"/>`);
  });
  return out.join("\n");
}

function figureSvg(series, caption) {
  const W = 1100, H = 470;
  const legend = series.map((s, k) => `<line x1="940" x2="965" y1="${70 + 20 * k}" y2="${70 + 20 * k}" stroke="${COLORS[k % COLORS.length]}" stroke-width="2.5"/><text x="972" y="${74 + 20 * k}" font-size="12">${s.name}</text>`).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
${panel(series, "iterations", { x0: 70, y0: 40, w: 380, h: 340, title: "objective against iterations", xlabel: "block updates (log scale)", logX: true })}
${panel(series, "seconds", { x0: 530, y0: 40, w: 380, h: 340, title: "objective against seconds", xlabel: "CPU seconds (log scale; each point one run from x = 0, set-up included)", logX: true })}
${legend}
<text x="70" y="${H - 20}" font-size="11">${caption}</text>
</svg>
`;
}

/**
 * The paper's least-squares figure on dataset A (objective ½‖Ax − b‖²/n; n < p so its minimum is 0):
 * each setting run from x = 0 for a log-spaced number of block updates, its objective and CPU seconds per run.
 */
async function datasetAFigure(nl, A, b) {
  const counts = [1, 3, 10, 30, 100, 300, 1000, 3000, 10000];
  const series = [];
  for (const [name, o] of Object.entries(DATASET_A_SETTINGS)) {
    const points = [];
    for (const k of counts) {
      const { out: r, s } = await cpuSeconds(() => nl.bcd({ loss: "least-squares", A, b }, { ...o, blockSize: 5, tol: 0, maxIter: k, threads: 1 }));
      points.push({ iterations: r.iterations, seconds: s, objective: r.objective });
    }
    series.push({ name, points });
    console.log(`  ${name}: objective after ${counts.at(-1)} updates ${points.at(-1).objective.toExponential(3)} in ${points.at(-1).seconds.toFixed(2)} s`);
  }
  const svg = figureSvg(series, `dataset A (Nutini, Laradji & Schmidt): 1000×10000, ${(100 * A.nnz / (A.rows * A.cols)).toFixed(1)} % nonzero, least squares, blocks of 5; nl.bcd on 1 thread`);
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/bcd-datasetA.svg", import.meta.url), svg);
  console.log("wrote bench/results/bcd-datasetA.svg");
  return series;
}

/** Dataset A lasso to a 1e-8 relative duality gap: nl.bcd's greedy settings against scikit-learn's Lasso on the same CSR, CPU seconds, interleaved. */
async function datasetALasso(nl, py, A, b, { lambdaRatio = 0.1, rounds = 5 } = {}) {
  const n = A.rows, atb = new Float64Array(A.cols);
  for (let i = 0; i < n; i++) for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) atb[A.indices[k]] += A.data[k] * b[i];
  const lambda = (lambdaRatio * atb.reduce((m, v) => Math.max(m, Math.abs(v)), 0)) / n;
  const base = `${tmpdir()}/numlane-bcd-datasetA`;
  writeFileSync(`${base}.indptr`, new Uint8Array(A.indptr.buffer)); writeFileSync(`${base}.indices`, new Uint8Array(A.indices.buffer));
  writeFileSync(`${base}.data`, new Uint8Array(A.data.buffer)); writeFileSync(`${base}.b`, new Uint8Array(b.buffer));
  const sk = await py.ask({ op: "setup-csr", base, n, p: A.cols, lambda, tol: 1e-8 });
  const skGap = lassoRelativeGap(A, b, Float64Array.from(sk.x), lambda);
  // Greedy working sets (celer / skglm form, nl.bcd's workingSet: tol is the relative gap itself) and, for
  // comparison, the best greedy variable-block setting before them (tol on the violation, tightened until its
  // gap met 1e-8).
  const settings = {
    "working set, gsl": { workingSet: true, rule: "gsl", tol: 1e-8 },
    "working set, gs": { workingSet: true, rule: "gs", tol: 1e-8 },
    "variable/5 gsl newton, activeSet": { partition: "variable", blockSize: 5, rule: "gsl", activeSet: true, update: "newton", tol: 1e-9 },
  };
  const problem = { loss: "least-squares", A, b, penalty: { l1: lambda } };
  const cases = [], fits = {};
  for (const [label, o] of Object.entries(settings)) {
    const opts = { ...o, maxIter: 2 ** 30, threads: 1 };
    fits[label] = await nl.bcd(problem, opts);
    cases.push({ name: label, run: async () => (await cpuSeconds(() => nl.bcd(problem, opts))).s });
  }
  cases.push({ name: "scikit-learn Lasso (sparse X)", run: async () => (await py.ask({ op: "fit-csr" })).us / 1e6 });
  const samples = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) for (const c of r % 2 ? [...cases].reverse() : cases) samples[c.name].push(await c.run());
  const peer = median(samples["scikit-learn Lasso (sparse X)"]);
  return cases.map((c) => {
    const f = fits[c.name], s = median(samples[c.name]);
    return {
      problem: `dataset A lasso λ=${lambdaRatio}·λmax`, impl: c.name, "cpu s": s, iterations: f ? f.iterations : sk.iterations,
      "rel gap": f ? lassoRelativeGap(A, b, f.x, lambda) : skGap, objective: f ? f.objective : sk.objective, "× scikit-learn time": s / peer,
    };
  });
}

/** Part 3: the figure (SVG) and the lasso race on dataset A. */
async function datasetABench(nl, py) {
  const { A, b } = datasetA();
  console.log(`dataset A: ${A.rows}×${A.cols}, ${A.nnz} nonzeros`);
  const figure = await datasetAFigure(nl, A, b);
  const lasso = [];
  if (py) for (const lambdaRatio of [0.1, 0.01]) lasso.push(...(await datasetALasso(nl, py, A, b, { lambdaRatio })));
  return { figure, lasso };
}
