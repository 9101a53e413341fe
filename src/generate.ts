// The dataset generator (SKR's use case end to end): a seeded problem family
// solved as one sequence by nl.solveSequence (its ordering and recycling),
// inputs and solutions returned as C-order arrays for .npy files, with the
// facts a dataset needs (meta). Runtime-neutral: writing files is
// io/write-dataset.ts's business (Node), or the caller's through `sink`.
import { abortError, NumlaneError } from "./errors.js";
import type { Numlane } from "./context.js";
import type { CgReason, CgResult, SequenceOptions } from "./krylov.js";
import { familyKeys, PROBLEM_FAMILIES, problemSet, type ProblemFamily } from "./problems.js";
import { MAXIMUM_BYTES } from "./runtime/heap.js";
import { boolean, callback, checkOptions, integer, requireOptions, type OptionKeys } from "./validate.js";

declare const __NUMLANE_VERSION__: string;

export type Dtype = "float32" | "float64";

/** Generator options; the family's own options (grid, count, seed, coefficient, …) sit beside them. */
export interface GenerateOptions {
  family: ProblemFamily;
  /** Of the inputs and solutions returned; default "float64" (solves run in float64 either way). */
  dtype?: Dtype;
  /** Default "cg" for the SPD families (poisson, darcy, heat), "gmres" for helmholtz and convection-diffusion. */
  method?: "cg" | "gmres";
  /** Default "jacobi" ("ssor" when omega is given). */
  preconditioner?: SequenceOptions["preconditioner"];
  /** SSOR's ω for every system (sets preconditioner "ssor"); passed to solveSequence as it is. */
  omega?: SequenceOptions["omega"];
  /** Default 1e-8. */
  rtol?: number;
  maxIter?: number;
  /** GMRES's steps per cycle. */
  restart?: number;
  /** Recycle a space of this many vectors from each solve to the next; default 0 (none). */
  recycle?: number;
  /** A coarse space of aggregates in every solve (SequenceOptions.coarse: CG deflates it, GMRES preconditions with it); default false. */
  coarse?: boolean;
  /** "sorted" (default, solveSequence's similarity order) or "given". */
  order?: "sorted" | "given";
  threads?: number;
  signal?: AbortSignal;
  /** Progress: systems solved so far, and the solve in hand's iteration and residual. */
  onProgress?: (p: GenerateProgress) => void;
  /**
   * Called with each system as it is solved (in solve order); with a sink the
   * result carries no solutions array (the sink has them), for runs larger than memory would like.
   */
  sink?: (s: SolvedSystem) => void;
  grid: number;
  count: number;
  seed?: number;
  [familyOption: string]: unknown;
}

export interface GenerateProgress {
  solved: number;
  count: number;
  /** The system being solved (index in the family), and its solver's progress. */
  system?: number;
  iteration?: number;
  value?: number;
}

export interface SolvedSystem {
  /** Index in the family. */
  system: number;
  input: Float64Array | Float32Array;
  solution: Float64Array | Float32Array;
  iterations: number;
  reason: CgReason;
  seconds: number;
  /** ‖r_k‖ of the solve, k = 0..iterations (the first 2²⁰; as CgResult.residualHistory). */
  residualHistory: Float64Array;
}

export interface DatasetMeta {
  family: ProblemFamily;
  /** The family's options, defaults filled in (seed, grid and count among them). */
  params: Record<string, unknown>;
  seed: number;
  dtype: Dtype;
  inputShape: number[];
  solutionShape: number[];
  solver: { method: "cg" | "gmres"; preconditioner: string; omega?: unknown; rtol: number; maxIter?: number; restart?: number; recycle: number; coarse: boolean; order: "sorted" | "given" };
  /** "aborted": the signal fired; `solved` systems have solutions (the rest are NaN). */
  status: "complete" | "aborted";
  solved: number;
  /** Every system's reason "converged" (the true residual meets rtol). */
  allConverged: boolean;
  /** Per system, in the family's order (null where not solved). */
  iterations: (number | null)[];
  reasons: (CgReason | null)[];
  seconds: (number | null)[];
  /** The solve order (indices into the family), as far as it got. */
  solveOrder: number[];
  buildSeconds: number;
  solveSeconds: number;
  numlaneVersion: string;
}

export interface GenerateResult {
  /** C order, shape meta.inputShape: the coefficient fields (count × N × N) or parameters (count × p). */
  inputs: Float64Array | Float32Array;
  /** C order, count × N × N; absent when a sink took them. */
  solutions?: Float64Array | Float32Array;
  meta: DatasetMeta;
}

const GENERATE_KEYS: OptionKeys<Omit<GenerateOptions, "grid" | "count" | "seed">> = {
  family: true, dtype: true, method: true, preconditioner: true, omega: true, rtol: true, maxIter: true, restart: true,
  recycle: true, coarse: true, order: true, threads: true, signal: true, onProgress: true, sink: true,
};
const SPD_FAMILIES: readonly ProblemFamily[] = ["poisson", "darcy", "heat"];

export type SolverSettings = DatasetMeta["solver"];

/** The solver settings a run records, defaults filled in (generate's and the queue's one source for them). */
export function solverSettings(family: ProblemFamily, opts: Pick<GenerateOptions, "method" | "preconditioner" | "omega" | "rtol" | "maxIter" | "restart" | "recycle" | "coarse" | "order">): SolverSettings {
  const { omega, maxIter, restart } = opts;
  return {
    method: opts.method ?? (SPD_FAMILIES.includes(family) ? "cg" : "gmres"),
    preconditioner: opts.preconditioner ?? (omega !== undefined ? "ssor" : "jacobi"),
    rtol: opts.rtol ?? 1e-8,
    recycle: integer("opts.recycle", opts.recycle ?? 0, 0, 64),
    coarse: boolean("opts.coarse", opts.coarse ?? false),
    order: opts.order ?? "sorted",
    ...(omega !== undefined && { omega }), ...(maxIter !== undefined && { maxIter }), ...(restart !== undefined && { restart }),
  };
}

/** solveSequence's options for those settings. */
export function sequenceOptions(solver: SolverSettings): SequenceOptions {
  const { method, preconditioner, rtol, order, omega, maxIter, restart, recycle, coarse } = solver;
  return {
    method, preconditioner: preconditioner as SequenceOptions["preconditioner"], rtol, order,
    ...(omega !== undefined && { omega: omega as SequenceOptions["omega"] }),
    ...(maxIter !== undefined && { maxIter }),
    ...(restart !== undefined && { restart }),
    ...(recycle > 0 && { recycle: { k: recycle } }),
    ...(coarse && { coarse: true }),
  };
}

/** Builds the family, solves it as one sequence, and returns inputs, solutions and meta. */
export async function generate(nl: Numlane, opts: GenerateOptions): Promise<GenerateResult> {
  // Not an object: refused as such (its keys are checked once the family is known).
  if (opts === null || typeof opts !== "object") requireOptions("opts", opts, GENERATE_KEYS as OptionKeys<GenerateOptions>);
  const family = opts.family;
  if (!PROBLEM_FAMILIES.includes(family)) {
    throw new NumlaneError("invalid-value", `unknown family ${JSON.stringify(family)}; expected ${PROBLEM_FAMILIES.join(", ")}`, "opts.family");
  }
  // Every key is the generator's or the family's; checkOptions suggests among both.
  checkOptions("opts", opts, { ...GENERATE_KEYS, ...familyKeys(family) } as OptionKeys<GenerateOptions>);
  const { family: _f, dtype: dtypeOpt, method: methodOpt, preconditioner: preOpt, omega, rtol: rtolOpt, maxIter, restart,
    recycle: recycleOpt, coarse: coarseOpt, order: orderOpt, threads, signal, onProgress, sink, ...familyOpts } = opts;
  const dtype = dtypeOpt ?? "float64";
  if (dtype !== "float64" && dtype !== "float32") throw new NumlaneError("invalid-value", `expected "float32" or "float64", got ${JSON.stringify(dtype)}`, "opts.dtype");
  const solver = solverSettings(family, { method: methodOpt, preconditioner: preOpt, omega, rtol: rtolOpt, maxIter, restart, recycle: recycleOpt, coarse: coarseOpt, order: orderOpt });
  if (sink !== undefined) callback("opts.sink", sink);
  // The solutions array (and its float32 copy) must fit too; the family checks its own arrays.
  const grid = integer("opts.grid", opts.grid, 1), count = integer("opts.count", opts.count, 1);
  const solutionBytes = count * grid * grid * (8 + (dtype === "float32" ? 4 : 0));
  if (sink === undefined && solutionBytes > MAXIMUM_BYTES) {
    throw new NumlaneError("out-of-memory", `${count} solutions on a ${grid}×${grid} grid need ${(solutionBytes / 2 ** 30).toFixed(1)} GiB, more than numlane's ${MAXIMUM_BYTES / 2 ** 30} GiB; use a smaller grid, fewer systems or a sink`, "opts.grid");
  }
  if (signal?.aborted) throw abortError(signal);

  const built = performance.now();
  const set = problemSet(family, familyOpts);
  const buildSeconds = (performance.now() - built) / 1e3;
  const N = grid * grid;
  const perInput = set.inputs.length / count;
  const inputs = dtype === "float32" ? Float32Array.from(set.inputs) : set.inputs;
  const Out = dtype === "float32" ? Float32Array : Float64Array;
  const solutions = sink === undefined ? new Out(count * N).fill(NaN) : undefined;
  const iterations: (number | null)[] = new Array(count).fill(null);
  const reasons: (CgReason | null)[] = new Array(count).fill(null);
  const seconds: (number | null)[] = new Array(count).fill(null);
  const solveOrder: number[] = [];

  const onSolved = ({ system, result, seconds: s }: { system: number; result: CgResult; seconds: number }) => {
    iterations[system] = result.iterations;
    reasons[system] = result.reason;
    seconds[system] = s;
    solveOrder.push(system);
    const solution = solutions ? solutions.subarray(system * N, (system + 1) * N) : new Out(N);
    solution.set(result.x);
    sink?.({ system, input: inputs.subarray(system * perInput, (system + 1) * perInput), solution, iterations: result.iterations, reason: result.reason, seconds: s, residualHistory: result.residualHistory });
    onProgress?.({ solved: solveOrder.length, count });
  };
  const started = performance.now();
  let status: DatasetMeta["status"] = "complete";
  try {
    await nl.solveSequence(set.systems, {
      ...sequenceOptions(solver), onSolved,
      ...(threads !== undefined && { threads }),
      ...(signal && { signal }),
      ...(onProgress && { onProgress: (p: { iteration: number; value: number; system: number }) => onProgress({ solved: solveOrder.length, count, ...p }) }),
    });
  } catch (e) {
    // A cancelled run returns what it has, saying how far it got.
    if (!(signal?.aborted && (e as Error).name === "AbortError")) throw e;
    status = "aborted";
  }
  const solveSeconds = (performance.now() - started) / 1e3;
  const meta: DatasetMeta = {
    family, params: set.params, seed: set.params.seed as number, dtype,
    inputShape: set.inputShape, solutionShape: [count, grid, grid],
    solver,
    status, solved: solveOrder.length,
    allConverged: reasons.every((r) => r === "converged"),
    iterations, reasons, seconds, solveOrder, buildSeconds, solveSeconds,
    numlaneVersion: __NUMLANE_VERSION__,
  };
  return { inputs, ...(solutions && { solutions }), meta };
}
