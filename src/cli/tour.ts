// numlane tour: every family on small real data shipped with the package
// (dist/data, copied there by the build), with timings.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { CsrMatrix, DenseMatrix } from "../matrix.js";
import { readMatrixMarket } from "../io/matrix-market.js";
import { readRegressionCsv } from "../io/csv.js";
import type { Numlane } from "../context.js";
import { readFile, type CommandSpec, type Parsed } from "./args.js";

/** The families the tour runs, in order; it reports each one it ran. */
export const TOUR_FAMILIES = ["blas", "cg", "gmres", "lasso", "bcd", "logistic", "lstsq", "softmax"] as const;
type Family = (typeof TOUR_FAMILIES)[number];

/** The data files the tour reads, relative to data/; scripts/build.mjs copies them into dist/data. */
export const TOUR_DATA = ["matrices/gr_900_900_crg.mtx", "matrices/ani4.mtx", "matrices/lap3D_7pt_n20.mtx", "datasets/diabetes.csv", "datasets/iris.csv"];

export const tourSpec: CommandSpec = {
  name: "tour",
  positionals: [],
  summary: `Every family (${TOUR_FAMILIES.join(", ")}) on built-in real data, with answers checked and median timings.`,
  options: {},
};

/** A file of the tour's data, shipped beside the CLI in dist/data (an error, never a silent skip, if it is missing). */
function dataFile(rel: string): string {
  const p = fileURLToPath(new URL("./data/" + rel, import.meta.url));
  if (!existsSync(p)) throw new Error(`${p}: the tour's data is missing from this installation (the build copies data/ into dist/data)`);
  return p;
}
const matrix = (name: string) => readFile(dataFile(`matrices/${name}.mtx`), readMatrixMarket) as CsrMatrix;

/** Median wall time of fn in microseconds over `reps` runs. */
async function time(fn: () => Promise<unknown>, reps = 21, warmup = 2): Promise<number> {
  // Untimed calls first: V8 runs a kernel's baseline code until it has
  // compiled the optimized one, and softmax's auto settles its thread count.
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t.push((performance.now() - t0) * 1e3);
  }
  return t.sort((a, b) => a - b)[reps >> 1];
}

export async function tour(nl: Numlane, args: Parsed): Promise<number> {
  const json = !!args.values.json;
  const records: Record<string, unknown>[] = [];
  const ran = new Set<Family>();
  /** One line of the tour: printed now (text) or kept for the JSON at the end. */
  const say = (family: Family | undefined, text: string, figures: Record<string, unknown> = {}) => {
    if (family) { ran.add(family); records.push({ family, ...figures }); }
    if (!json) console.log(text);
  };
  say(undefined, `numlane on ${nl.info.runtime}: build ${nl.info.build}, ${nl.info.threads} thread(s)` +
    `${nl.info.reason ? ` (${nl.info.reason})` : ""}, relaxed SIMD ${nl.info.relaxedSimd ? "available" : "absent"}\n`);
  say(undefined, "BLAS (f64, SIMD):");
  const n = 1 << 20;
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const y = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
  const d = await nl.blas.dot(x, y);
  let us = await time(() => nl.blas.dot(x, y));
  say("blas", `  dot   n=${n}: ${d.toPrecision(12)}  median ${us.toFixed(0)} µs`, { case: "dot", n, value: d, us });
  const r2 = await nl.blas.nrm2(x);
  us = await time(() => nl.blas.nrm2(x));
  say("blas", `  nrm2  n=${n}: ${r2.toPrecision(12)}  median ${us.toFixed(0)} µs`, { case: "nrm2", n, value: r2, us });
  {
    const A = matrix("lap3D_7pt_n20");
    const ones = new Float64Array(A.cols).fill(1);
    const norm = await nl.blas.nrm2(await nl.blas.spmv(A, ones));
    us = await time(() => nl.blas.spmv(A, ones));
    say("blas", `  spmv  lap3D_7pt_n20 (${A.rows}×${A.cols}, nnz ${A.nnz}): ‖A·1‖ = ${norm.toPrecision(8)}  median ${us.toFixed(0)} µs`,
      { case: "spmv lap3D_7pt_n20", value: norm, us });
  }

  say(undefined, "\nconjugate gradients (the whole solve inside wasm), A·x = A·1 on real matrices:");
  for (const name of ["gr_900_900_crg", "ani4", "lap3D_7pt_n20"]) {
    const A = matrix(name);
    const b = await nl.blas.spmv(A, new Float64Array(A.cols).fill(1));
    for (const preconditioner of ["jacobi", "ic0"] as const) {
      const r = await nl.cg(A, b, { rtol: 1e-10, preconditioner });
      let err = 0;
      for (const v of r.x) err = Math.max(err, Math.abs(v - 1));
      us = await time(() => nl.cg(A, b, { rtol: 1e-10, preconditioner }), 5);
      say("cg", `  ${name.padEnd(15)} n=${String(A.rows).padEnd(5)} ${preconditioner.padEnd(6)}: ${r.reason} in ${r.iterations} iterations, ` +
        `‖b − A·x‖ = ${r.residualNorm.toExponential(1)}, max |x − 1| = ${err.toExponential(1)}  median ${(us / 1e3).toFixed(1)} ms`,
        { case: `${name} ${preconditioner}`, reason: r.reason, iterations: r.iterations, residualNorm: r.residualNorm, maxError: err, us });
    }
  }

  {
    // gr_900_900_crg plus a skew convection term along the grid's rows: nonsymmetric.
    say(undefined, "\nGMRES(20) against recycled GCRO-DR(20, 8), gr_900_900_crg + convection, 4 right-hand sides in turn:");
    const G = matrix("gr_900_900_crg");
    const I: number[] = [], J: number[] = [], V: number[] = [];
    for (let i = 0; i < G.rows; i++) for (let k = G.indptr[i]; k < G.indptr[i + 1]; k++) { I.push(i); J.push(G.indices[k]); V.push(G.data[k]); }
    for (let i = 0; i < G.rows; i++) {
      if (i % 30 < 29) { I.push(i); J.push(i + 1); V.push(0.3); }
      if (i % 30 > 0) { I.push(i); J.push(i - 1); V.push(-0.3); }
    }
    const A = CsrMatrix.fromCoo(G.rows, G.cols, I, J, V);
    const rhs = [0, 1, 2, 3].map((t) => Float64Array.from({ length: A.rows }, (_, i) => Math.sin(0.01 * i * (t + 1)) + 0.1 * t));
    const run = async (recycle: boolean) => {
      const space = recycle ? nl.recycleSpace({ k: 8 }) : undefined, its: number[] = [], reasons: string[] = [];
      for (const b of rhs) { const r = await nl.gmres(A, b, { restart: 20, rtol: 1e-10, recycle: space }); its.push(r.iterations); reasons.push(r.reason); }
      return { its, reasons };
    };
    for (const recycle of [false, true]) {
      const { its, reasons } = await run(recycle);
      us = await time(() => run(recycle), 5);
      say("gmres", `  ${recycle ? "GCRO-DR(20, 8)" : "GMRES(20)     "}: ${[...new Set(reasons)].join("/")}, iterations ${its.join(", ")}  median ${(us / 1e3).toFixed(1)} ms for the four`,
        { case: recycle ? "GCRO-DR(20, 8)" : "GMRES(20)", reasons, iterations: its, us });
    }
  }

  {
    say(undefined, "\nlasso by coordinate descent (scikit-learn's Lasso: its objective, an intercept, the duality-gap rule), diabetes 442×10:");
    const { A, b } = readFile(dataFile("datasets/diabetes.csv"), readRegressionCsv);
    const p = A.cols;
    // The diabetes features are centred already: centring b too makes nl.bcd's problem (no intercept) the lasso's.
    const yMean = b.reduce((s, v) => s + v, 0) / b.length, bc = b.map((v) => v - yMean);
    for (const lambda of [0.01, 0.1, 1]) {
      const r = await nl.lasso(A, b, { lambda });
      us = await time(() => nl.lasso(A, b, { lambda }), 11);
      const nonzero = Array.from(r.x).filter((v) => v !== 0).length;
      say("lasso", `  λ = ${String(lambda).padEnd(4)}: ${r.reason} in ${r.iterations} sweeps, gap ${r.gap!.toExponential(1)}, ` +
        `${nonzero} of ${p} coefficients nonzero  median ${(us / 1e3).toFixed(2)} ms`,
        { case: `lambda ${lambda}`, reason: r.reason, iterations: r.iterations, gap: r.gap, nonzero, us });
    }
    say(undefined, "  nl.bcd, same problem (λ = 0.1), block updates to a 1e-8 relative optimality violation:");
    for (const [label, o] of [["cyclic coordinates", { rule: "cyclic" }], ["GSL rule, variable blocks of 4, Newton", { rule: "gsl", partition: "variable", blockSize: 4 }]] as const) {
      const r = await nl.bcd({ loss: "least-squares", A, b: bc, penalty: { l1: 0.1 } }, { ...o, tol: 1e-8 });
      say("bcd", `    ${label.padEnd(40)}: ${r.reason} in ${r.iterations} block updates, objective ${r.objective.toPrecision(12)}`,
        { case: label, reason: r.reason, iterations: r.iterations, objective: r.objective });
    }
  }

  {
    say(undefined, "\nlogistic regression (multinomial, L2, C = 1), iris 150×4, 3 classes:");
    const { A, b } = readFile(dataFile("datasets/iris.csv"), readRegressionCsv);
    const classes = 3, p = A.cols;
    const r = await nl.logisticRegression(A, b, { multiClass: "multinomial", classes });
    us = await time(() => nl.logisticRegression(A, b, { multiClass: "multinomial", classes }), 5);
    let correct = 0;
    for (let i = 0; i < A.rows; i++) {
      const scores = Array.from({ length: classes }, (_, k) => { let s = r.intercept[k]; for (let j = 0; j < p; j++) s += r.x[k * p + j] * A.data[i * p + j]; return s; });
      if (scores.indexOf(Math.max(...scores)) === b[i]) correct++;
    }
    const solver = r.cgIterations === undefined ? "L-BFGS" : "Newton";
    say("logistic", `  ${r.reason} in ${r.iterations} ${solver} iterations (intercepts fitted), objective ${r.objective.toPrecision(10)}, ` +
      `training accuracy ${(100 * correct / A.rows).toFixed(1)}%  median ${(us / 1e3).toFixed(1)} ms`,
      { case: "iris multinomial", reason: r.reason, iterations: r.iterations, objective: r.objective, accuracy: correct / A.rows, us });
  }

  {
    say(undefined, "\nleast squares, 20000×100 dense, columns graded to cond 1e4:");
    const m = 20000, cols = 100;
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
    const a = new Float64Array(m * cols);
    for (let i = 0; i < m; i++) for (let j = 0; j < cols; j++) a[i * cols + j] = rand() * 1e4 ** (-j / (cols - 1));
    const A = new DenseMatrix(m, cols, a), b = Float64Array.from({ length: m }, rand);
    const runs = [["qr"], ["sketch-and-solve"], ["sketch-and-precondition"], ["sketch-and-precondition", "srht"], ["iterative-sketching"]] as const;
    for (const [method, sketch] of runs) {
      const r = await nl.lstsq(A, b, { method, sketch });
      us = await time(() => nl.lstsq(A, b, { method, sketch }), 5);
      const name = sketch ? `${method} (${sketch})` : method;
      say("lstsq", `  ${name.padEnd(30)}: ${r.reason}, ‖b − A·x‖ = ${r.residualNorm.toPrecision(10)}, cond ≈ ${r.conditionEstimate.toExponential(1)}` +
        `${r.iterations ? `, ${r.iterations} iterations` : ""}  median ${(us / 1e3).toFixed(1)} ms`,
        { case: name, reason: r.reason, residualNorm: r.residualNorm, iterations: r.iterations, us });
    }
  }

  say(undefined, "\nsoftmax (f32, SIMD, rows split across threads):");
  const rows = 1000, cols = 1000;
  const logits = Float32Array.from({ length: rows * cols }, (_, i) => 20 * Math.sin(i * 0.618));
  const out = new Float32Array(rows * cols);
  for (const algorithm of ["auto", "two-pass", "three-pass", "online", "blocked"] as const) {
    const p = await nl.softmax(logits, { rows, algorithm });
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += p[r * cols + c];
      worst = Math.max(worst, Math.abs(s - 1));
    }
    // Short calls: V8 optimizes a kernel after it has run for a while (~20 of these).
    // Timed into one preallocated `out`: a fresh 4 MB result is new memory each
    // time glibc hands out a new mapping, and faulting it in cost 10–15 ms here
    // (977 page faults), ten times the kernel, at random (softmax-notes.md).
    us = await time(() => nl.softmax(logits, { rows, algorithm, out }), 21, 30);
    say("softmax", `  ${algorithm.padEnd(10)} ${rows}×${cols}: max |Σp − 1| = ${worst.toExponential(1)}  median ${us.toFixed(0)} µs into out`,
      { case: algorithm, maxSumError: worst, us });
  }

  const missing = TOUR_FAMILIES.filter((f) => !ran.has(f));
  if (json) console.log(JSON.stringify({ info: nl.info, families: [...ran], results: records }, null, 2));
  else console.log(`\nfamilies run: ${[...ran].join(", ")}${missing.length ? `; NOT run: ${missing.join(", ")}` : " (every family)"}`);
  return missing.length ? 1 : 0;
}
