// numlane solve A.mtx [b.mtx]: CG or GMRES on a Matrix Market system.
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { CsrMatrix, DenseMatrix } from "../matrix.js";
import { readMatrixMarket, writeMatrixMarket } from "../io/matrix-market.js";
import type { Numlane } from "../context.js";
import type { Preconditioner } from "../krylov.js";
import { numberOption, readFile, UsageError, type CommandSpec, type Parsed } from "./args.js";
import { PROGRESS_OPTION, progressLine, residualFraction } from "./progress.js";

/** Entries of x shown on the terminal without --out or --json. */
const SHOWN_ENTRIES = 5;
/** A matrix this close to its transpose (relative) is solved by CG under --method auto. */
const SYMMETRY_TOL = 1e-10;

export const solveSpec: CommandSpec = {
  name: "solve",
  positionals: ["A.mtx", "[b.mtx]"],
  summary: "Solves A·x = b for a sparse or dense Matrix Market matrix A (b = A·1 if b.mtx is not given, so x should be 1).",
  notes: "Exit status 0 when the returned x meets the tolerance (checked on the true residual), 3 when the solver stopped\n" +
    "for another reason (the reason is printed), 2 for a bad command line, 1 for a bad file.",
  options: {
    method: { type: "string", value: "M", choices: ["auto", "cg", "gmres"], default: "auto", help: "auto: CG if A is symmetric, else GMRES" },
    preconditioner: { type: "string", value: "P", choices: ["none", "jacobi", "ssor", "ic0"], default: "jacobi", help: "GMRES takes none or jacobi" },
    rtol: { type: "string", value: "R", help: "stop when ‖b − A·x‖ ≤ max(rtol·‖b‖, atol) (default 1e-8)" },
    atol: { type: "string", value: "A", help: "absolute tolerance (default 0)" },
    "max-iter": { type: "string", value: "N", help: "iterations allowed (default 10·n)" },
    restart: { type: "string", value: "M", help: "GMRES: Krylov basis size per cycle (default min(30, n))" },
    coarse: { type: "boolean", help: "a coarse space of aggregates: CG deflates it, GMRES preconditions with it (then Jacobi)" },
    out: { type: "string", short: "o", value: "x.mtx", help: "write the whole solution x there (Matrix Market, n×1)" },
    ...PROGRESS_OPTION,
  },
};

/** A right-hand side file as a vector of length n: an n×1 or 1×n matrix, dense or sparse. */
function readVector(file: string, n: number): Float64Array {
  const m = readFile(file, readMatrixMarket);
  const dense = m instanceof CsrMatrix ? m.toDense() : m;
  if (!((dense.rows === n && dense.cols === 1) || (dense.rows === 1 && dense.cols === n))) {
    throw new UsageError(`${file}: b is ${dense.rows}×${dense.cols}; A has ${n} rows, so b must be ${n}×1`);
  }
  return Float64Array.from({ length: n }, (_, i) => (dense.rows === n ? dense.get(i, 0) : dense.get(0, i)));
}

export async function solve(nl: Numlane, args: Parsed): Promise<number> {
  const [fileA, fileB] = args.positionals;
  const m = readFile(fileA, readMatrixMarket);
  const A = m instanceof CsrMatrix ? m : CsrMatrix.fromDense(m as DenseMatrix);
  if (A.rows !== A.cols) throw new UsageError(`${fileA}: A is ${A.rows}×${A.cols}; solve needs a square matrix`);
  const b = fileB ? readVector(fileB, A.rows) : await nl.blas.spmv(A, new Float64Array(A.cols).fill(1));
  const asked = args.values.method as "auto" | "cg" | "gmres";
  const symmetric = A.asymmetry() <= SYMMETRY_TOL;
  const method = asked === "auto" ? (symmetric ? "cg" : "gmres") : asked;
  const preconditioner = args.values.preconditioner as Preconditioner;
  if (method === "gmres" && preconditioner !== "none" && preconditioner !== "jacobi") {
    throw new UsageError(`--preconditioner ${preconditioner}: GMRES takes none or jacobi`);
  }
  const rtol = numberOption(args, "rtol", { min: 0 }), atol = numberOption(args, "atol", { min: 0 });
  const maxIter = numberOption(args, "max-iter", { integer: true, min: 1 });
  const restart = numberOption(args, "restart", { integer: true, min: 1 });
  if (restart !== undefined && method !== "gmres") throw new UsageError("--restart: only GMRES restarts; add --method gmres");

  const normB = await nl.blas.nrm2(b);
  const bar = progressLine(args, method, (p) => `iteration ${p.iteration}  ‖r‖ = ${p.value.toExponential(3)}`,
    residualFraction(Math.max((rtol ?? 1e-8) * normB, atol ?? 0)));
  const coarse = args.values.coarse === true;
  if (coarse && method === "gmres" && preconditioner === "none") throw new UsageError("--coarse: GMRES's coarse correction is followed by Jacobi; drop --preconditioner none");
  const common = { rtol, atol, maxIter, onProgress: bar.onProgress, ...(coarse && { coarse: true }) };
  const t0 = performance.now();
  const r = method === "cg"
    ? await nl.cg(A, b, { ...common, preconditioner })
    : await nl.gmres(A, b, { ...common, restart, preconditioner: preconditioner as "none" | "jacobi" });
  const ms = performance.now() - t0;
  bar.done();

  const out = args.values.out as string | undefined;
  if (out) writeFileSync(out, writeMatrixMarket(new DenseMatrix(A.rows, 1, r.x)));
  const summary = {
    matrix: fileA, rhs: fileB ?? "A·1", rows: A.rows, nnz: A.nnz, symmetric, method, preconditioner, ...(r.coarse && { coarse: r.coarse }),
    reason: r.reason, converged: r.converged, iterations: r.iterations, residualNorm: r.residualNorm,
    relativeResidual: normB > 0 ? r.residualNorm / normB : r.residualNorm, ms: +ms.toFixed(3),
  };
  if (args.values.json) {
    console.log(JSON.stringify({ ...summary, x: out ? { file: out, entries: r.x.length } : Array.from(r.x) }, null, 2));
  } else {
    const coarseNote = r.coarse ? `, coarse space of ${r.coarse.aggregates} aggregates${r.coarse.used ? "" : " (not used: E = ZᵀAZ could not be factored)"}` : "";
    console.log(`${fileA}: ${A.rows}×${A.cols}, ${A.nnz} nonzeros, ${symmetric ? "symmetric" : "nonsymmetric"}; ${method}, preconditioner ${preconditioner}${coarseNote}`);
    console.log(`${r.reason} after ${r.iterations} iterations: ‖b − A·x‖ = ${r.residualNorm.toExponential(3)} ` +
      `(relative ${summary.relativeResidual.toExponential(3)}), ${ms.toFixed(1)} ms`);
    if (out) console.log(`x (${r.x.length} entries) written to ${out}`);
    else {
      const shown = Array.from(r.x.subarray(0, SHOWN_ENTRIES), (v) => v.toPrecision(8)).join(", ");
      console.log(`x = [${shown}${r.x.length > SHOWN_ENTRIES ? `, …] (${r.x.length} entries: --out x.mtx writes them all, --json prints them)` : "]"}`);
    }
  }
  return r.converged ? 0 : 3;
}
