// numlane lstsq | lasso | logistic data.csv: fits to a numeric CSV with a
// header row, the target in the last column.
//
// The intercept (on by default, --no-intercept to leave it out) is not a
// penalized coefficient. Least squares and the lasso center the features and
// the target, fit w to the centered data and report c = ȳ − x̄·w: the exact
// minimizer over (w, c), since for any w the best c makes the residual's mean
// zero. The logistic loss has no such closed form: the features are centered
// and nl.logisticRegression fits its unpenalized intercept b to them, so
// c = b − x̄·w.
import { performance } from "node:perf_hooks";
import { DenseMatrix } from "../matrix.js";
import { readRegressionCsv } from "../io/csv.js";
import type { Numlane } from "../context.js";
import type { LstsqMethod, SketchKind } from "../sketch.js";
import { numberOption, readFile, UsageError, type CommandSpec, type OptionSpec, type Parsed } from "./args.js";
import { PROGRESS_OPTION, progressLine } from "./progress.js";
import { KINDS as SKETCH_KIND_NAMES } from "../sketch.js";

/** More distinct targets than this is not a classification problem. */
const MAX_CLASSES = 1000;

const intercept: OptionSpec = { type: "boolean", default: true, help: "fit an unpenalized intercept (--no-intercept: none)" };
const csvNote = "data.csv: a header row of names, then numeric rows; the last column is the target.";

export const lstsqSpec: CommandSpec = {
  name: "lstsq",
  positionals: ["data.csv"],
  summary: "Least squares: the w minimizing ‖b − A·w − c‖ (A the features, b the target, c the intercept).",
  notes: csvNote,
  options: {
    method: { type: "string", value: "M", choices: ["auto", "qr", "sketch-and-solve", "sketch-and-precondition", "iterative-sketching"], default: "auto", help: "how" },
    sketch: { type: "string", value: "K", choices: SKETCH_KIND_NAMES, help: "the sketch of the sketched methods (default sparse-sign)" },
    "sketch-size": { type: "string", value: "N", help: "rows of the sketch (default 4·features)" },
    seed: { type: "string", value: "N", help: "seed of the sketch (default 1)" },
    rtol: { type: "string", value: "R", help: "iterative methods' tolerance (default 1e-12)" },
    intercept,
  },
};

export const lassoSpec: CommandSpec = {
  name: "lasso",
  positionals: ["data.csv"],
  summary: "The lasso by coordinate descent: w minimizing ‖b − A·w − c‖²/(2n) + λ‖w‖₁ (scikit-learn's Lasso(alpha=λ)).",
  notes: csvNote,
  options: {
    lambda: { type: "string", value: "λ", default: "1", help: "the L1 weight λ ≥ 0" },
    tol: { type: "string", value: "T", help: "stop when the duality gap ≤ tol·‖b‖²/n (default 1e-4)" },
    "max-iter": { type: "string", value: "N", help: "sweeps allowed (default 1000)" },
    intercept,
    ...PROGRESS_OPTION,
  },
};

export const logisticSpec: CommandSpec = {
  name: "logistic",
  positionals: ["data.csv"],
  summary: "Logistic regression: w minimizing ½‖w‖², ‖w‖₁ or ρ‖w‖₁ + (1 − ρ)/2·‖w‖² (elastic net) + C·Σ log-loss\n" +
    "(L2: L-BFGS; L1, elastic net: coordinate descent). Two classes in the target: binary; more: multinomial (softmax loss,\n" +
    "L2, L1 or elastic net). Labels may be any numbers.",
  notes: csvNote + "\nThe intercept (one per class) is unpenalized.",
  options: {
    C: { type: "string", value: "C", default: "1", help: "inverse regularization strength (scikit-learn's C)" },
    penalty: { type: "string", value: "P", choices: ["l2", "l1", "elasticnet"], default: "l2", help: "the penalty (elasticnet: with --l1-ratio)" },
    "l1-ratio": { type: "string", value: "R", help: "--penalty elasticnet only, and required there: the L1 share ρ in [0, 1] (scikit-learn's l1_ratio)" },
    tol: { type: "string", value: "T", help: "L2: stop when ‖gradient‖ ≤ tol × its first; L1, elastic net: a sweep's largest optimality violation ≤ tol × the first's (default 1e-6)" },
    "max-iter": { type: "string", value: "N", help: "L-BFGS steps (L2) or sweeps (L1, elastic net) allowed (default 1000)" },
    intercept,
    ...PROGRESS_OPTION,
  },
};

interface Data {
  file: string;
  A: DenseMatrix;
  b: Float64Array;
  features: string[];
  target: string;
  /** Column means (zeros without an intercept). */
  mean: Float64Array;
}

/** Reads the CSV; with an intercept, A's columns come back centered and `mean` holds their means. */
function readData(file: string, center: boolean): Data {
  const { A, b, features, target } = readFile(file, readRegressionCsv);
  const m = A.rows, p = A.cols, mean = new Float64Array(p);
  if (center) {
    for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) mean[j] += A.data[i * p + j];
    for (let j = 0; j < p; j++) mean[j] /= m;
    for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) A.data[i * p + j] -= mean[j];
  }
  return { file, A, b, features, target, mean };
}

const meanOf = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

function printCoefficients(features: string[], w: ArrayLike<number>, interceptValue: number | undefined): void {
  const rows: [string, number][] = features.map((f, j) => [f, w[j]]);
  if (interceptValue !== undefined) rows.unshift(["(intercept)", interceptValue]);
  const width = Math.max(...rows.map(([f]) => f.length));
  for (const [f, v] of rows) console.log(`  ${f.padEnd(width)}  ${v.toPrecision(10).padStart(18)}`);
}

export async function lstsq(nl: Numlane, args: Parsed): Promise<number> {
  const withIntercept = args.values.intercept as boolean;
  const d = readData(args.positionals[0], withIntercept);
  const yMean = withIntercept ? meanOf(d.b) : 0;
  const b = withIntercept ? d.b.map((v) => v - yMean) : d.b;
  const opts = {
    method: args.values.method as LstsqMethod, sketch: args.values.sketch as SketchKind | undefined,
    sketchSize: numberOption(args, "sketch-size", { integer: true, min: 1 }), seed: numberOption(args, "seed", { integer: true, min: 0 }),
    rtol: numberOption(args, "rtol", { min: 0 }),
  };
  const t0 = performance.now();
  const r = await nl.lstsq(d.A, b, opts);
  const ms = performance.now() - t0;
  const c = withIntercept ? yMean - dot(d.mean, r.x) : undefined;
  const ok = r.reason === "solved" || r.reason === "converged";
  if (args.values.json) {
    console.log(JSON.stringify({
      file: d.file, rows: d.A.rows, features: d.features, target: d.target, intercept: c ?? null, coefficients: Array.from(r.x),
      residualNorm: r.residualNorm, method: r.method, reason: r.reason, iterations: r.iterations, sketchSize: r.sketchSize,
      conditionEstimate: r.conditionEstimate, ms: +ms.toFixed(3),
    }, null, 2));
    return ok ? 0 : 3;
  }
  console.log(`${d.file}: ${d.A.rows} rows, ${d.A.cols} features, target "${d.target}"${withIntercept ? ", with an intercept" : ""}`);
  printCoefficients(d.features, r.x, c);
  console.log(`residual norm ‖b − A·w${withIntercept ? " − c" : ""}‖ = ${r.residualNorm.toPrecision(10)}`);
  console.log(`method ${r.method}${r.sketchSize ? ` (sketch ${opts.sketch ?? "sparse-sign"}, ${r.sketchSize} rows, ${r.iterations} iterations)` : ""}, ${r.reason}, ` +
    `cond ≈ ${r.conditionEstimate.toExponential(2)}${withIntercept ? " (centered features)" : ""}, ${ms.toFixed(2)} ms`);
  return ok ? 0 : 3;
}

export async function lasso(nl: Numlane, args: Parsed): Promise<number> {
  const withIntercept = args.values.intercept as boolean;
  const d = readData(args.positionals[0], withIntercept);
  const yMean = withIntercept ? meanOf(d.b) : 0;
  const b = withIntercept ? d.b.map((v) => v - yMean) : d.b;
  const lambda = numberOption(args, "lambda", { min: 0 })!;
  const bar = progressLine(args, "lasso", (p) => `sweep ${p.iteration}  gap ${p.value.toExponential(2)}`);
  const t0 = performance.now();
  // Centred here (as lstsq is), so the fit itself takes no intercept.
  const r = await nl.lasso(d.A, b, { lambda, fitIntercept: false, tol: numberOption(args, "tol", { min: 0 }), maxIter: numberOption(args, "max-iter", { integer: true, min: 1 }), onProgress: bar.onProgress });
  const ms = performance.now() - t0;
  bar.done();
  const c = withIntercept ? yMean - dot(d.mean, r.x) : undefined;
  const nonzero = r.x.reduce((k, v) => k + (v !== 0 ? 1 : 0), 0);
  if (args.values.json) {
    console.log(JSON.stringify({
      file: d.file, rows: d.A.rows, features: d.features, target: d.target, lambda, intercept: c ?? null, coefficients: Array.from(r.x),
      nonzero, objective: r.objective, gap: r.gap, reason: r.reason, converged: r.converged, iterations: r.iterations, ms: +ms.toFixed(3),
    }, null, 2));
    return r.converged ? 0 : 3;
  }
  console.log(`${d.file}: ${d.A.rows} rows, ${d.A.cols} features, target "${d.target}", λ = ${lambda}${withIntercept ? ", with an intercept" : ""}`);
  printCoefficients(d.features, r.x, c);
  console.log(`${nonzero} of ${r.x.length} coefficients nonzero; objective ${r.objective.toPrecision(10)}`);
  console.log(`${r.reason} after ${r.iterations} sweeps, duality gap ${r.gap?.toExponential(2)}, ${ms.toFixed(2)} ms`);
  return r.converged ? 0 : 3;
}

export async function logistic(nl: Numlane, args: Parsed): Promise<number> {
  const withIntercept = args.values.intercept as boolean;
  const penalty = args.values.penalty as "l1" | "l2" | "elasticnet";
  const l1Ratio = numberOption(args, "l1-ratio", { min: 0 });
  if (penalty !== "elasticnet" && l1Ratio !== undefined) throw new UsageError(`--l1-ratio is for --penalty elasticnet (the penalty is ${penalty})`);
  if (penalty === "elasticnet" && l1Ratio === undefined) throw new UsageError("--penalty elasticnet needs --l1-ratio R, the L1 share in [0, 1]");
  if (l1Ratio !== undefined && l1Ratio > 1) throw new UsageError(`--l1-ratio: expected a number in [0, 1], got ${l1Ratio}`);
  const d = readData(args.positionals[0], withIntercept);
  const m = d.A.rows, p = d.A.cols;
  const classes = [...new Set(d.b)].sort((u, v) => u - v);
  if (classes.length < 2) throw new UsageError(`${d.file}: the target "${d.target}" holds one value only; logistic regression needs two classes or more`);
  if (classes.length > MAX_CLASSES) throw new UsageError(`${d.file}: the target "${d.target}" holds ${classes.length} distinct values; logistic regression needs class labels (lstsq or lasso fit a continuous target)`);
  const binary = classes.length === 2;
  // The features, centered.
  const A = d.A;
  const index = new Map(classes.map((c, k) => [c, k]));
  const y = binary ? d.b.map((v) => (v === classes[1] ? 1 : -1)) : d.b.map((v) => index.get(v)!);
  const C = numberOption(args, "C", { min: 0 })!;
  if (!(C > 0)) throw new UsageError("--C: expected a number > 0");
  const bar = progressLine(args, "logistic", (pr) => `sweep ${pr.iteration}  ${pr.value.toExponential(2)}`);
  const t0 = performance.now();
  const r = await nl.logisticRegression(A, y, {
    C, penalty, ...(l1Ratio !== undefined ? { l1Ratio } : {}), fitIntercept: withIntercept, tol: numberOption(args, "tol", { min: 0 }),
    maxIter: numberOption(args, "max-iter", { integer: true, min: 1 }), onProgress: bar.onProgress,
    ...(binary ? {} : { multiClass: "multinomial" as const, classes: classes.length }),
  });
  const ms = performance.now() - t0;
  bar.done();
  // One row of coefficients per class (binary: the positive class only, as scikit-learn), and its intercept.
  const k = binary ? 1 : classes.length;
  const coefficients: Float64Array[] = [], intercepts: number[] = [];
  for (let c = 0; c < k; c++) {
    const w = r.x.subarray(c * p, c * p + p);
    coefficients.push(w.slice());
    intercepts.push(!withIntercept ? 0 : r.intercept[c] - dot(d.mean, w));
  }
  // Training accuracy from the fitted model (uncentered features).
  let correct = 0;
  for (let i = 0; i < m; i++) {
    const x = Array.from({ length: p }, (_, j) => d.A.data[i * p + j] + d.mean[j]);
    const scores = coefficients.map((w, c) => dot(w, x) + intercepts[c]);
    const predicted = binary ? classes[scores[0] > 0 ? 1 : 0] : classes[scores.indexOf(Math.max(...scores))];
    if (predicted === d.b[i]) correct++;
  }
  const result = {
    file: d.file, rows: m, features: d.features, target: d.target, classes, multinomial: !binary, C, penalty: args.values.penalty, l1Ratio: l1Ratio ?? null,
    intercepts: withIntercept ? intercepts : null, coefficients: coefficients.map((w) => Array.from(w)),
    trainingAccuracy: correct / m, objective: r.objective, reason: r.reason, converged: r.converged, iterations: r.iterations, ms: +ms.toFixed(3),
  };
  if (args.values.json) {
    console.log(JSON.stringify(result, null, 2));
    return r.converged ? 0 : 3;
  }
  console.log(`${d.file}: ${m} rows, ${p} features, target "${d.target}" with classes ${classes.join(", ")}; ` +
    `${binary ? "binary" : "multinomial"}, C = ${C}, ${args.values.penalty}${l1Ratio !== undefined ? ` (l1 ratio ${l1Ratio})` : ""}${withIntercept ? ", with an intercept" : ""}`);
  for (let c = 0; c < k; c++) {
    if (!binary || classes.length > 2) console.log(`class ${classes[c]}:`);
    else console.log(`class ${classes[1]} against ${classes[0]}:`);
    printCoefficients(d.features, coefficients[c], withIntercept ? intercepts[c] : undefined);
  }
  console.log(`training accuracy ${(100 * result.trainingAccuracy).toFixed(2)}%; objective ${r.objective.toPrecision(10)}`);
  console.log(`${r.reason} after ${r.iterations} ${penalty === "l2" ? "L-BFGS steps" : binary ? "sweeps" : "block updates"}, ${ms.toFixed(2)} ms`);
  return r.converged ? 0 : 3;
}
