#!/usr/bin/env node
// The `numlane` command: a tour of what numlane does, on built-in real data.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { init, readMatrixMarket, readRegressionCsv, CsrMatrix, DenseMatrix, type LstsqMethod, type Numlane, type SketchKind } from "./index.js";

const HELP = `numlane — WebAssembly SIMD numerics

usage:
  numlane tour              every family on built-in real data, with timings
  numlane info              what init() chose on this machine
  numlane solve A.mtx [b.mtx]  CG on a symmetric Matrix Market matrix, GMRES(30)
                            on a nonsymmetric one (b = A·1 if not given); prints the result
  numlane lstsq data.csv [--method M] [--sketch K] [--seed N] [--intercept] [--json]
                            least squares on a numeric CSV with a header row, the
                            last column the target: coefficients, residual norm,
                            method, timing (M: auto, qr, sketch-and-solve,
                            sketch-and-precondition, iterative-sketching;
                            K: sparse-sign, countsketch, gaussian, srht, leverage)
  numlane bench [family]    benchmarks against peers (from a source checkout)
  numlane --help
`;

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

/** A file from the checkout's data/ folder (real matrices and datasets). */
function dataFile(rel: string): string | undefined {
  const p = fileURLToPath(new URL("../data/" + rel, import.meta.url));
  return existsSync(p) ? p : undefined;
}

async function tour(nl: Numlane): Promise<void> {
  console.log(`numlane on ${nl.info.runtime}: build ${nl.info.build}, ${nl.info.threads} thread(s)` +
    `${nl.info.reason ? ` (${nl.info.reason})` : ""}, relaxed SIMD ${nl.info.relaxedSimd ? "available" : "absent"}\n`);
  console.log("BLAS (f64, SIMD):");
  const n = 1 << 20;
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const y = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
  const d = await nl.blas.dot(x, y);
  console.log(`  dot   n=${n}: ${d.toPrecision(12)}  median ${(await time(() => nl.blas.dot(x, y))).toFixed(0)} µs`);
  const r = await nl.blas.nrm2(x);
  console.log(`  nrm2  n=${n}: ${r.toPrecision(12)}  median ${(await time(() => nl.blas.nrm2(x))).toFixed(0)} µs`);
  const mtx = dataFile("matrices/lap3D_7pt_n20.mtx");
  if (mtx) {
    const A = readMatrixMarket(readFileSync(mtx, "utf8")) as CsrMatrix;
    const ones = new Float64Array(A.cols).fill(1);
    const b = await nl.blas.spmv(A, ones);
    console.log(`  spmv  lap3D_7pt_n20 (${A.rows}×${A.cols}, nnz ${A.nnz}): ‖A·1‖ = ${(await nl.blas.nrm2(b)).toPrecision(8)}` +
      `  median ${(await time(() => nl.blas.spmv(A, ones))).toFixed(0)} µs`);
  } else {
    console.log("  (data/matrices not found: skipping the Matrix Market SpMV)");
  }

  console.log("\nconjugate gradients (the whole solve inside wasm), A·x = A·1 on data/matrices:");
  for (const name of ["gr_900_900_crg", "ani4", "lap3D_7pt_n20"]) {
    const file = dataFile(`matrices/${name}.mtx`);
    if (!file) continue;
    const A = readMatrixMarket(readFileSync(file, "utf8")) as CsrMatrix;
    const b = await nl.blas.spmv(A, new Float64Array(A.cols).fill(1));
    for (const preconditioner of ["jacobi", "ic0"] as const) {
      const r = await nl.cg(A, b, { rtol: 1e-10, preconditioner });
      let err = 0;
      for (const v of r.x) err = Math.max(err, Math.abs(v - 1));
      const us = await time(() => nl.cg(A, b, { rtol: 1e-10, preconditioner }), 5);
      console.log(`  ${name.padEnd(15)} n=${String(A.rows).padEnd(5)} ${preconditioner.padEnd(6)}: ${r.reason} in ${r.iterations} iterations, ` +
        `‖b − A·x‖ = ${r.residualNorm.toExponential(1)}, max |x − 1| = ${err.toExponential(1)}  median ${(us / 1e3).toFixed(1)} ms`);
    }
  }

  const gr = dataFile("matrices/gr_900_900_crg.mtx");
  if (gr) {
    // gr_900_900_crg plus a skew convection term along the grid's rows: nonsymmetric.
    console.log("\nGMRES(20) against recycled GCRO-DR(20, 8), gr_900_900_crg + convection, 4 right-hand sides in turn:");
    const G = readMatrixMarket(readFileSync(gr, "utf8")) as CsrMatrix;
    const I: number[] = [], J: number[] = [], V: number[] = [];
    for (let i = 0; i < G.rows; i++) for (let k = G.indptr[i]; k < G.indptr[i + 1]; k++) { I.push(i); J.push(G.indices[k]); V.push(G.data[k]); }
    for (let i = 0; i < G.rows; i++) {
      if (i % 30 < 29) { I.push(i); J.push(i + 1); V.push(0.3); }
      if (i % 30 > 0) { I.push(i); J.push(i - 1); V.push(-0.3); }
    }
    const A = CsrMatrix.fromCoo(G.rows, G.cols, I, J, V);
    const rhs = [0, 1, 2, 3].map((t) => Float64Array.from({ length: A.rows }, (_, i) => Math.sin(0.01 * i * (t + 1)) + 0.1 * t));
    const run = async (recycle: boolean) => {
      const space = recycle ? nl.recycleSpace({ k: 8 }) : undefined, its: number[] = [];
      for (const b of rhs) its.push((await nl.gmres(A, b, { restart: 20, rtol: 1e-10, recycle: space })).iterations);
      return its;
    };
    for (const recycle of [false, true]) {
      const its = await run(recycle);
      const us = await time(() => run(recycle), 5);
      console.log(`  ${recycle ? "GCRO-DR(20, 8)" : "GMRES(20)     "}: iterations ${its.join(", ")}  median ${(us / 1e3).toFixed(1)} ms for the four`);
    }
  }

  const diabetes = dataFile("datasets/diabetes.csv");
  if (diabetes) {
    console.log("\nlasso by coordinate descent (scikit-learn's objective and duality-gap rule), diabetes 442×10:");
    const rows = readFileSync(diabetes, "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const p = rows[0].length - 1;
    const A = new DenseMatrix(rows.length, p, Float64Array.from(rows.flatMap((r) => r.slice(0, p))));
    const b = Float64Array.from(rows, (r) => r[p]);
    for (const lambda of [0.01, 0.1, 1]) {
      const r = await nl.lasso(A, b, { lambda });
      const us = await time(() => nl.lasso(A, b, { lambda }), 11);
      console.log(`  λ = ${String(lambda).padEnd(4)}: ${r.reason} in ${r.iterations} sweeps, gap ${r.gap!.toExponential(1)}, ` +
        `${Array.from(r.x).filter((v) => v !== 0).length} of ${p} coefficients nonzero  median ${(us / 1e3).toFixed(2)} ms`);
    }
    console.log("  nl.bcd, same problem (λ = 0.1), block updates to a 1e-8 relative optimality violation:");
    for (const [label, o] of [["cyclic coordinates", { rule: "cyclic" }], ["GSL rule, variable blocks of 4, Newton", { rule: "gsl", partition: "variable", blockSize: 4 }]] as const) {
      const r = await nl.bcd({ loss: "least-squares", A, b, penalty: { l1: 0.1 } }, { ...o, tol: 1e-8 });
      console.log(`    ${label.padEnd(40)}: ${r.reason} in ${r.iterations} block updates, objective ${r.objective.toPrecision(12)}`);
    }
  }

  {
    console.log("\nleast squares, 20000×100 dense, columns graded to cond 1e4:");
    const m = 20000, n = 100;
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
    const a = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] = rand() * 1e4 ** (-j / (n - 1));
    const A = new DenseMatrix(m, n, a), b = Float64Array.from({ length: m }, rand);
    const runs = [["qr"], ["sketch-and-solve"], ["sketch-and-precondition"], ["sketch-and-precondition", "srht"], ["iterative-sketching"]] as const;
    for (const [method, sketch] of runs) {
      const r = await nl.lstsq(A, b, { method, sketch });
      const us = await time(() => nl.lstsq(A, b, { method, sketch }), 5);
      const name = sketch ? `${method} (${sketch})` : method;
      console.log(`  ${name.padEnd(30)}: ‖b − A·x‖ = ${r.residualNorm.toPrecision(10)}, cond ≈ ${r.conditionEstimate.toExponential(1)}` +
        `${r.iterations ? `, ${r.iterations} iterations` : ""}  median ${(us / 1e3).toFixed(1)} ms`);
    }
  }

  console.log("\nsoftmax (f32, SIMD, rows split across threads):");
  const rows = 1000, cols = 1000;
  const logits = Float32Array.from({ length: rows * cols }, (_, i) => 20 * Math.sin(i * 0.618));
  for (const algorithm of ["auto", "two-pass", "three-pass", "online", "blocked"] as const) {
    const p = await nl.softmax(logits, { rows, algorithm });
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += p[r * cols + c];
      worst = Math.max(worst, Math.abs(s - 1));
    }
    // Short calls: V8 optimizes a kernel after it has run for a while (~20 of these).
    const us = await time(() => nl.softmax(logits, { rows, algorithm }), 21, 30);
    console.log(`  ${algorithm.padEnd(10)} ${rows}×${cols}: max |Σp − 1| = ${worst.toExponential(1)}  median ${us.toFixed(0)} µs`);
  }
}

async function solve(nl: Numlane, files: string[]): Promise<void> {
  if (!files[0]) throw new Error("usage: numlane solve A.mtx [b.mtx]");
  const m = readMatrixMarket(readFileSync(files[0], "utf8"));
  const A = m instanceof CsrMatrix ? m : CsrMatrix.fromDense(m);
  let b: Float64Array;
  if (files[1]) {
    const B = readMatrixMarket(readFileSync(files[1], "utf8"));
    b = (B instanceof CsrMatrix ? B.toDense() : B).data;
  } else {
    b = await nl.blas.spmv(A, new Float64Array(A.cols).fill(1));
  }
  const t0 = performance.now();
  const onProgress = (p: { iteration: number; value: number }) => process.stderr.write(`\riteration ${p.iteration}  ‖r‖ = ${p.value.toExponential(3)}`);
  const symmetric = A.rows === A.cols && A.asymmetry() <= 1e-10;
  const r = symmetric ? await nl.cg(A, b, { preconditioner: "jacobi", onProgress }) : await nl.gmres(A, b, { preconditioner: "jacobi", onProgress });
  process.stderr.write("\n");
  console.log(JSON.stringify({
    n: A.rows, nnz: A.nnz, method: symmetric ? "cg" : "gmres", reason: r.reason, iterations: r.iterations, residualNorm: r.residualNorm,
    ms: +(performance.now() - t0).toFixed(2), x: Array.from(r.x.subarray(0, 10)),
  }, null, 2));
}

async function lstsq(nl: Numlane, args: string[]): Promise<void> {
  const file = args.find((a, i) => !a.startsWith("--") && !(i > 0 && ["--method", "--sketch", "--seed"].includes(args[i - 1])));
  if (!file) throw new Error("usage: numlane lstsq data.csv [--method M] [--sketch K] [--seed N] [--intercept] [--json]");
  const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  let { A, b, features, target } = readRegressionCsv(readFileSync(file, "utf8"));
  if (args.includes("--intercept")) {
    const p = A.cols, a = new Float64Array(A.rows * (p + 1));
    for (let i = 0; i < A.rows; i++) { a[i * (p + 1)] = 1; a.set(A.data.subarray(i * p, i * p + p), i * (p + 1) + 1); }
    A = new DenseMatrix(A.rows, p + 1, a);
    features = ["intercept", ...features];
  }
  const opts = {
    method: (flag("--method") ?? "auto") as LstsqMethod,
    sketch: flag("--sketch") as SketchKind | undefined,
    seed: flag("--seed") === undefined ? undefined : Number(flag("--seed")),
  };
  const t0 = performance.now();
  const r = await nl.lstsq(A, b, opts);
  const ms = performance.now() - t0;
  if (args.includes("--json")) {
    console.log(JSON.stringify({
      file, rows: A.rows, features, target, coefficients: Array.from(r.x), residualNorm: r.residualNorm, method: r.method, reason: r.reason,
      iterations: r.iterations, sketchSize: r.sketchSize, conditionEstimate: r.conditionEstimate, ms: +ms.toFixed(3),
    }, null, 2));
    return;
  }
  console.log(`${file}: ${A.rows} rows, ${A.cols} features, target "${target}"`);
  const width = Math.max(...features.map((f) => f.length));
  features.forEach((f, j) => console.log(`  ${f.padEnd(width)}  ${r.x[j].toPrecision(10).padStart(18)}`));
  console.log(`residual norm ‖b − A·x‖ = ${r.residualNorm.toPrecision(10)}`);
  console.log(`method ${r.method}${r.sketchSize ? ` (sketch ${opts.sketch ?? "sparse-sign"}, ${r.sketchSize} rows, ${r.iterations} iterations)` : ""}, ${r.reason}, ` +
    `cond ≈ ${r.conditionEstimate.toExponential(2)}, ${ms.toFixed(2)} ms`);
}

async function main(argv: string[]): Promise<void> {
  const cmd = argv[0] ?? "--help";
  if (cmd === "--help" || cmd === "-h" || cmd === "help") { process.stdout.write(HELP); return; }
  if (cmd === "bench") {
    const { spawnSync } = await import("node:child_process");
    const script = fileURLToPath(new URL("../bench/run.mjs", import.meta.url));
    if (!existsSync(script)) throw new Error("benchmarks live in a source checkout: run `npm run bench` there");
    spawnSync(process.execPath, [script, ...argv.slice(1)], { stdio: "inherit" });
    return;
  }
  const nl = await init();
  try {
    if (cmd === "info") console.log(JSON.stringify(nl.info, null, 2));
    else if (cmd === "tour") await tour(nl);
    else if (cmd === "solve") await solve(nl, argv.slice(1));
    else if (cmd === "lstsq") await lstsq(nl, argv.slice(1));
    else { process.stderr.write(`unknown command ${cmd}\n${HELP}`); process.exitCode = 2; }
  } finally {
    await nl.close();
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
