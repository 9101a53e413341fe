// The chunk contract of a dataset run past one machine (numlane/queue on
// BullMQ, the edge consumer on a Cloudflare Queue): the whole family sorted
// once (the tour solveSequence's "sorted" order would take), the tour cut
// into chunks, each chunk a recipe (family, parameters, solver settings,
// indices) that any worker rebuilds and solves as its own sequence (recycle
// space and learned ω stay within a chunk), and the results assembled into
// the same arrays and meta as the local run with the same chunking, bit for bit.
// Runtime-neutral: no Node built-ins.
import { abortError, NumlaneError } from "./errors.js";
import type { Numlane } from "./context.js";
import type { CgReason } from "./krylov.js";
import { sequenceOptions, solverSettings, type DatasetMeta, type GenerateOptions, type GenerateResult, type SolverSettings } from "./generate.js";
import { familyKeys, PROBLEM_FAMILIES, problemFeatures, problemSet, type ProblemFamily } from "./problems.js";
import { featureRows, solveOrder } from "./sequence.js";
import { MAXIMUM_BYTES } from "./runtime/heap.js";
import { callback, checkOptions, integer, type OptionKeys } from "./validate.js";

declare const __NUMLANE_VERSION__: string;

/** Systems per chunk unless told: long enough for recycling and ω learning to pay, short enough that a lost chunk costs little. */
export const DEFAULT_CHUNK = 100;


/** generate()'s options with the chunk size; the solve order is always the sorted tour. */
export type ChunkedOptions = Pick<GenerateOptions, "family" | "dtype" | "method" | "preconditioner" | "omega" | "rtol" | "maxIter" | "restart" | "recycle"
  | "coarse" | "threads" | "signal" | "grid" | "count" | "seed"> & {
  /** Systems per chunk (default DEFAULT_CHUNK). */
  chunk?: number;
  onProgress?: (p: { solved: number; count: number }) => void;
  [familyOption: string]: unknown;
};

export interface ChunkedMeta extends DatasetMeta {
  /** Systems per chunk, and the number of chunks (the solve order is their concatenation). */
  chunk: number;
  chunks: number;
  /** Time spent finding the tour (after buildSeconds, before solveSeconds). */
  orderSeconds: number;
}
export interface ChunkedResult extends GenerateResult { meta: ChunkedMeta }


/** A chunk job's data: the recipe of its systems. */
export interface ChunkJob {
  family: ProblemFamily;
  /** The family's options, defaults filled in (ProblemSet.params). */
  params: Record<string, unknown>;
  solver: SolverSettings;
  /** Index of the chunk in the run, and its systems (indices into the family) in solve order. */
  chunk: number;
  systems: number[];
}

/** A chunk's per-system facts, in the job's order. */
export interface ChunkFacts {
  chunk: number;
  iterations: number[];
  reasons: CgReason[];
  seconds: number[];
}
/** A solved chunk: its facts and solutions (float64, C order, in the job's order). */
export interface ChunkPayload extends ChunkFacts {
  solutions: Float64Array;
  /** The chunk's systems' inputs (fields or parameters), C order, in the job's order. */
  inputs: Float64Array;
}

const CHUNKED_KEYS: OptionKeys<ChunkedOptions> = {
  family: true, dtype: true, method: true, preconditioner: true, omega: true, rtol: true, maxIter: true, restart: true,
  recycle: true, coarse: true, threads: true, signal: true, onProgress: true, chunk: true,
} as OptionKeys<ChunkedOptions>;

/**
 * A run's plan: its family's facts, settings filled in, and the sorted tour
 * cut into chunks. Only the systems' features are drawn here (what the tour
 * needs); their inputs come back with each chunk's solutions, from the
 * worker that built the chunk's systems anyway.
 */
export interface Plan {
  family: ProblemFamily;
  /** The family's options, defaults filled in. */
  params: Record<string, unknown>;
  inputShape: number[];
  /** Input values per system (a field's N, or a few parameters). */
  perInput: number;
  count: number;
  /** Unknowns per system. */
  N: number;
  solver: SolverSettings;
  dtype: "float32" | "float64";
  chunk: number;
  chunks: number[][];
  buildSeconds: number;
  orderSeconds: number;
}

export function plan(opts: ChunkedOptions, check?: (shape: Pick<Plan, "chunk" | "N" | "solver">) => void): Plan {
  if (opts === null || typeof opts !== "object") throw new NumlaneError("invalid-type", "expected an options object", "opts");
  const family = opts.family;
  if (!PROBLEM_FAMILIES.includes(family)) {
    throw new NumlaneError("invalid-value", `unknown family ${JSON.stringify(family)}; expected ${PROBLEM_FAMILIES.join(", ")}`, "opts.family");
  }
  checkOptions("opts", opts, { ...CHUNKED_KEYS, ...familyKeys(family) } as OptionKeys<ChunkedOptions>);
  const { family: _f, dtype: dtypeOpt, method, preconditioner, omega, rtol, maxIter, restart, recycle, coarse, threads: _t, signal: _s, onProgress: _p,
    chunk: chunkOpt, ...familyOpts } = opts;
  const dtype = dtypeOpt ?? "float64";
  if (dtype !== "float64" && dtype !== "float32") throw new NumlaneError("invalid-value", `expected "float32" or "float64", got ${JSON.stringify(dtype)}`, "opts.dtype");
  const chunk = integer("opts.chunk", chunkOpt ?? DEFAULT_CHUNK, 1);
  const solver = solverSettings(family, { method, preconditioner, omega, rtol, maxIter, restart, recycle, coarse, order: "sorted" });
  const built = performance.now();
  // System 0 built for the family's parameters and shapes; the rest only drawn.
  const first = problemSet(family, familyOpts, [0]);
  const count = first.params.count as number, grid = first.params.grid as number, N = grid * grid, perInput = first.inputs.length;
  check?.({ chunk, N, solver });
  const solutionBytes = count * (N + perInput) * (8 + (dtype === "float32" ? 4 : 0));
  if (solutionBytes > MAXIMUM_BYTES) {
    throw new NumlaneError("out-of-memory", `${count} inputs and solutions on a ${grid}×${grid} grid need ${(solutionBytes / 2 ** 30).toFixed(1)} GiB, more than numlane's ${MAXIMUM_BYTES / 2 ** 30} GiB; split the run (by seed) or use a smaller grid`, "opts.count");
  }
  const features = problemFeatures(family, familyOpts).map((f) => ({ features: f }));
  const buildSeconds = (performance.now() - built) / 1e3;
  // The tour solveSequence's "sorted" takes: a short path through the systems' features.
  const ordered = performance.now();
  const tour = solveOrder(featureRows(features)!);
  const orderSeconds = (performance.now() - ordered) / 1e3;
  const chunks: number[][] = [];
  for (let at = 0; at < tour.length; at += chunk) chunks.push(tour.slice(at, at + chunk));
  return {
    family, params: first.params, inputShape: [count, ...first.inputShape.slice(1)], perInput, count, N,
    solver, dtype, chunk, chunks, buildSeconds, orderSeconds,
  };
}

/** Each chunk's recipe, as its job carries it. */
export function chunkJobs(p: Plan): ChunkJob[] {
  return p.chunks.map((systems, chunk) => ({ family: p.family, params: p.params, solver: p.solver, chunk, systems }));
}

export interface SolveChunkOptions {
  threads?: number;
  signal?: AbortSignal;
  onSolved?: (solved: number) => void;
  /**
   * Memory for the chunk's values, used when large enough (else fresh
   * memory): a worker hands the last chunks' buffers back in, since first
   * touches of fresh memory cost ~3 ms a MB on a VM (the values of 100
   * Darcy 64² systems are 6.6 MB).
   */
  into?: ArrayBuffer;
}
const SOLVE_CHUNK_KEYS: OptionKeys<SolveChunkOptions> = { threads: true, signal: true, onSolved: true, into: true };

/**
 * Solves one chunk: builds just its systems from the recipe and solves them
 * in the job's order with the run's solver settings (recycle space and ω
 * learned afresh). What a worker does with a job, and what the local chunked
 * run does chunk after chunk. `values` is how a worker hands the chunk over
 * (one Redis value, one R2 object): its solutions then its inputs, one array
 * of which `solutions` and `inputs` are views, each solution written once, as it comes.
 */
export async function solveChunk(nl: Numlane, job: ChunkJob, opts: SolveChunkOptions = {}): Promise<ChunkPayload & { values: Float64Array; buildSeconds: number }> {
  if (!PROBLEM_FAMILIES.includes(job.family)) throw new NumlaneError("invalid-value", `unknown family ${JSON.stringify(job.family)}`, "job.family");
  checkOptions("opts", opts, SOLVE_CHUNK_KEYS);
  if (opts.into !== undefined && !(opts.into instanceof ArrayBuffer)) throw new NumlaneError("invalid-type", "expected an ArrayBuffer", "opts.into");
  const built = performance.now();
  const { systems, inputs } = problemSet(job.family, job.params, job.systems);
  const buildSeconds = (performance.now() - built) / 1e3;
  const N = systems[0].b.length, split = systems.length * N, length = split + inputs.length;
  const values = opts.into && opts.into.byteLength >= 8 * length ? new Float64Array(opts.into, 0, length) : new Float64Array(length);
  values.set(inputs, split);
  const seconds = new Array<number>(systems.length).fill(0);
  let solved = 0;
  const r = await nl.solveSequence(systems, {
    ...sequenceOptions({ ...job.solver, order: "given" }),
    ...(opts.threads !== undefined && { threads: opts.threads }),
    ...(opts.signal && { signal: opts.signal }),
    onSolved: ({ system, result, seconds: s }) => { values.set(result.x, system * N); seconds[system] = s; opts.onSolved?.(++solved); },
  });
  return {
    chunk: job.chunk, values, solutions: values.subarray(0, split), inputs: values.subarray(split),
    iterations: r.iterations, reasons: r.reasons, seconds, buildSeconds,
  };
}

/** Collects chunk results into the dataset, each chunk (so each system) once. */
export class Assembly {
  readonly count: number;
  readonly N: number;
  readonly solutions: Float64Array | Float32Array;
  readonly inputs: Float64Array | Float32Array;
  readonly iterations: (number | null)[];
  readonly reasons: (CgReason | null)[];
  readonly seconds: (number | null)[];
  private readonly done = new Set<number>();
  solved = 0;
  duplicates = 0;
  private readonly started = performance.now();

  constructor(private readonly p: Plan) {
    this.count = p.count;
    this.N = p.N;
    const Type = p.dtype === "float32" ? Float32Array : Float64Array;
    // Not filled: each page is first touched as its chunk arrives, while the
    // workers solve (filling 65 MB for 1,000 Darcy 64² systems held up the
    // enqueueing by ~0.2 s); result() is only for a complete run.
    this.solutions = new Type(this.count * this.N);
    this.inputs = new Type(this.count * p.perInput);
    this.iterations = new Array(this.count).fill(null);
    this.reasons = new Array(this.count).fill(null);
    this.seconds = new Array(this.count).fill(null);
  }

  /** A chunk's values (solveChunk's: solutions then inputs) split back into solutions and inputs. */
  unpack(chunk: number, values: Float64Array): Pick<ChunkPayload, "solutions" | "inputs"> {
    const systems = this.p.chunks[chunk]?.length ?? 0, split = systems * this.N;
    if (values.length !== systems * (this.N + this.p.perInput)) {
      throw new NumlaneError("invalid-shape", `chunk ${chunk}'s values are ${values.length}, expected ${systems * (this.N + this.p.perInput)}`, "result");
    }
    return { solutions: values.subarray(0, split), inputs: values.subarray(split) };
  }

  /** Takes a chunk's result; false (and nothing written) if that chunk was taken already. */
  accept(r: ChunkPayload): boolean {
    const systems = this.p.chunks[r.chunk];
    if (systems === undefined) throw new NumlaneError("invalid-value", `chunk ${r.chunk} is not in this run (${this.p.chunks.length} chunks)`, "result.chunk");
    if (this.done.has(r.chunk)) { this.duplicates++; return false; }
    const x = r.solutions, N = this.N, P = this.p.perInput;
    if (x.length !== systems.length * N || r.inputs.length !== systems.length * P || r.iterations.length !== systems.length) {
      throw new NumlaneError("invalid-shape", `chunk ${r.chunk}'s result holds ${x.length} values and ${r.inputs.length} inputs for ${systems.length} systems of ${N}`, "result");
    }
    systems.forEach((s, i) => {
      this.solutions.set(x.subarray(i * N, (i + 1) * N), s * N);
      this.inputs.set(r.inputs.subarray(i * P, (i + 1) * P), s * P);
      this.iterations[s] = r.iterations[i];
      this.reasons[s] = r.reasons[i];
      this.seconds[s] = r.seconds[i];
    });
    this.done.add(r.chunk);
    this.solved += systems.length;
    return true;
  }

  get complete(): boolean { return this.done.size === this.p.chunks.length; }

  result(): ChunkedResult {
    if (!this.complete) throw new NumlaneError("invalid-value", `${this.p.chunks.length - this.done.size} of ${this.p.chunks.length} chunks have no result yet`, "run");
    const { solver, dtype, chunk, chunks, buildSeconds, orderSeconds } = this.p;
    const meta: ChunkedMeta = {
      family: this.p.family, params: this.p.params, seed: this.p.params.seed as number, dtype,
      inputShape: this.p.inputShape, solutionShape: [this.count, this.p.params.grid as number, this.p.params.grid as number],
      solver, status: "complete", solved: this.solved,
      allConverged: this.reasons.every((r) => r === "converged"),
      iterations: this.iterations, reasons: this.reasons, seconds: this.seconds, solveOrder: chunks.flat(),
      buildSeconds, solveSeconds: (performance.now() - this.started) / 1e3,
      numlaneVersion: __NUMLANE_VERSION__, chunk, chunks: chunks.length, orderSeconds,
    };
    return { inputs: this.inputs, solutions: this.solutions, meta };
  }
}

/**
 * The local run with the same chunking as a queued one: the sorted tour cut
 * into `chunk`-system pieces, each solved as its own sequence, one after the
 * other. A queued run's arrays equal this one's bit for bit. With chunk ≥
 * count it is generate() (order "sorted").
 */
export async function generateChunked(nl: Numlane, opts: ChunkedOptions): Promise<ChunkedResult> {
  const p = plan(opts);
  const out = new Assembly(p);
  for (const job of chunkJobs(p)) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const before = out.solved;
    out.accept(await solveChunk(nl, job, {
      ...(opts.threads !== undefined && { threads: opts.threads }), ...(opts.signal && { signal: opts.signal }),
      onSolved: (n) => opts.onProgress?.({ solved: before + n, count: out.count }),
    }));
  }
  return out.result();
}


/** A chunk job as the edge consumer's Queue carries it: the job and the run it belongs to. */
export interface EdgeChunkJob {
  run: string;
  job: ChunkJob;
}

/**
 * About how much memory one chunk takes in a consumer: its matrices' values
 * and right-hand sides, its solutions, and one solve's wasm memory (the
 * matrix, CG's vectors, the recycle space and its kept residuals).
 */
export function edgeChunkBytes(p: Pick<Plan, "chunk" | "N" | "solver">): number {
  const k = p.solver.recycle ?? 0, kept = k > 0 ? Math.max(4 * k, 40) : 0;
  return p.chunk * p.N * (5 * 8 + 8 + 8) + p.N * (5 * 12 + 8 * (12 + 2 * k + kept));
}

/**
 * A run solved chunk by chunk elsewhere (the edge consumer), assembled: the
 * plan is made again from the same options (the same tour and chunks), and
 * `get(key)` returns the bytes the consumer stored under the run for
 * "chunk-<k>.json" (facts) and "chunk-<k>.f64" (solveChunk's values), or undefined
 * while a chunk is missing (then this rejects naming it).
 */
export async function collectChunks(opts: ChunkedOptions, get: (key: string) => Promise<ArrayBuffer | undefined>): Promise<ChunkedResult> {
  callback("get", get);
  const p = plan(opts);
  const out = new Assembly(p);
  for (let chunk = 0; chunk < p.chunks.length; chunk++) {
    const facts = await get(`chunk-${chunk}.json`), values = await get(`chunk-${chunk}.f64`);
    if (facts === undefined || values === undefined) throw new NumlaneError("invalid-value", `chunk ${chunk} of ${p.chunks.length} has no result yet`, "run");
    const f = JSON.parse(new TextDecoder().decode(facts)) as ChunkFacts;
    out.accept({ ...f, chunk, ...out.unpack(chunk, new Float64Array(values)) });
  }
  return out.result();
}
