// numlane/queue: a dataset generator run past one machine on BullMQ + Redis.
// The coordinator sorts the whole family (the tour solveSequence's "sorted"
// order would take), cuts the tour into chunks, and enqueues one job per
// chunk carrying its recipe (family, parameters, solver settings, indices),
// never matrices; workers rebuild those systems, solve them in the given
// order (recycle space and learned ω stay within a chunk) and return the
// solutions; the coordinator assembles the same arrays and meta as
// generateChunked, the local run with the same chunking, bit for bit.
// Node only (tested on Node 20); bullmq and ioredis are optional peers, imported when first used.
import { randomUUID } from "node:crypto";
import { abortError, NumlaneError } from "./errors.js";
import type { Numlane } from "./context.js";
import type { CgReason } from "./krylov.js";
import { sequenceOptions, solverSettings, type DatasetMeta, type GenerateOptions, type GenerateResult, type SolverSettings } from "./generate.js";
import { familyKeys, PROBLEM_FAMILIES, problemSet, type ProblemFamily } from "./problems.js";
import { featureRows, solveOrder } from "./sequence.js";
import { MAXIMUM_BYTES } from "./runtime/heap.js";
import { checkOptions, integer, type OptionKeys } from "./validate.js";

declare const __NUMLANE_VERSION__: string;

/** Systems per chunk unless told: long enough for recycling and ω learning to pay, short enough that a lost chunk costs little. */
export const DEFAULT_CHUNK = 100;
/** The BullMQ queue's name unless told. */
export const DEFAULT_QUEUE = "numlane";
/** Tries per chunk (a worker's error or its death): then the run fails naming the chunk. */
const CHUNK_ATTEMPTS = 3;
// A dead worker's chunk is taken back once its lock lapses (not renewed for
// LOCK_MS) at the next stall check (every STALL_CHECK_MS); a live worker
// renews its lock every LOCK_MS / 2 between systems.
const LOCK_MS = 15_000, STALL_CHECK_MS = 5_000;
/** A worker reports a chunk's progress at most this often. */
const PROGRESS_MS = 250;
/** The coordinator builds the family this many systems at a time (for their inputs and features). */
const PLAN_BATCH = 1000;

/** Where Redis is: "redis://[:password@]host:port[/db]", or ioredis options. */
export type Connection = string | { host?: string; port?: number; password?: string; db?: number; [option: string]: unknown };

/** generate()'s options with the chunk size; the solve order is always the sorted tour. */
export type ChunkedOptions = Pick<GenerateOptions, "family" | "dtype" | "method" | "preconditioner" | "omega" | "rtol" | "maxIter" | "restart" | "recycle"
  | "threads" | "signal" | "grid" | "count" | "seed"> & {
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

/** What a queued run saw besides the dataset. */
export interface QueueRunStats {
  /** Jobs taken back from a worker that stopped renewing its lock (died or hung), and re-run. */
  stalled: number;
  /** Results of a chunk after its first (ignored: each system is written once). */
  duplicates: number;
  /** Jobs that failed an attempt and were retried. */
  retried: number;
}

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
export interface ChunkPayload extends ChunkFacts { solutions: Float64Array }
/**
 * A chunk job's return value: its facts, and the Redis key of its solutions'
 * bytes. Kept out of the job (which BullMQ stores as JSON, and again in its
 * events stream): raw bytes are 3/4 of base64 and written once.
 */
export interface ChunkReceipt extends ChunkFacts { key: string }
/** A result nobody collects (its run died) leaves Redis after this long. */
const RESULT_TTL_SECONDS = 7 * 24 * 3600;
const resultKey = (queue: string, jobId: string) => `numlane:${queue}:result:${jobId}`;

const CHUNKED_KEYS: OptionKeys<ChunkedOptions> = {
  family: true, dtype: true, method: true, preconditioner: true, omega: true, rtol: true, maxIter: true, restart: true,
  recycle: true, threads: true, signal: true, onProgress: true, chunk: true,
} as OptionKeys<ChunkedOptions>;

/** A run's plan: its family's inputs and facts, settings filled in, and the sorted tour cut into chunks. */
interface Plan {
  family: ProblemFamily;
  /** The family's options, defaults filled in. */
  params: Record<string, unknown>;
  inputs: Float64Array;
  inputShape: number[];
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

function plan(opts: ChunkedOptions): Plan {
  if (opts === null || typeof opts !== "object") throw new NumlaneError("invalid-type", "expected an options object", "opts");
  const family = opts.family;
  if (!PROBLEM_FAMILIES.includes(family)) {
    throw new NumlaneError("invalid-value", `unknown family ${JSON.stringify(family)}; expected ${PROBLEM_FAMILIES.join(", ")}`, "opts.family");
  }
  checkOptions("opts", opts, { ...CHUNKED_KEYS, ...familyKeys(family) } as OptionKeys<ChunkedOptions>);
  const { family: _f, dtype: dtypeOpt, method, preconditioner, omega, rtol, maxIter, restart, recycle, threads: _t, signal: _s, onProgress: _p,
    chunk: chunkOpt, ...familyOpts } = opts;
  const dtype = dtypeOpt ?? "float64";
  if (dtype !== "float64" && dtype !== "float32") throw new NumlaneError("invalid-value", `expected "float32" or "float64", got ${JSON.stringify(dtype)}`, "opts.dtype");
  const chunk = integer("opts.chunk", chunkOpt ?? DEFAULT_CHUNK, 1);
  const solver = solverSettings(family, { method, preconditioner, omega, rtol, maxIter, restart, recycle, order: "sorted" });
  const built = performance.now();
  // The family in batches, keeping only inputs and features: the coordinator
  // never holds every matrix at once (the family's own memory check applies to a batch).
  const first = problemSet(family, familyOpts, [0]);
  const count = first.params.count as number, grid = first.params.grid as number, N = grid * grid, perInput = first.inputs.length;
  const solutionBytes = count * N * (8 + (dtype === "float32" ? 4 : 0)) + count * perInput * 8;
  if (solutionBytes > MAXIMUM_BYTES) {
    throw new NumlaneError("out-of-memory", `${count} inputs and solutions on a ${grid}×${grid} grid need ${(solutionBytes / 2 ** 30).toFixed(1)} GiB, more than numlane's ${MAXIMUM_BYTES / 2 ** 30} GiB; split the run (by seed) or use a smaller grid`, "opts.count");
  }
  const inputs = new Float64Array(count * perInput);
  const features = new Array<{ features: Float64Array }>(count);
  for (let at = 0; at < count; at += PLAN_BATCH) {
    const part = problemSet(family, familyOpts, Array.from({ length: Math.min(PLAN_BATCH, count - at) }, (_, i) => at + i));
    inputs.set(part.inputs, at * perInput);
    part.systems.forEach((sys, i) => { features[at + i] = { features: sys.features }; });
  }
  const buildSeconds = (performance.now() - built) / 1e3;
  // The tour solveSequence's "sorted" takes: a short path through the systems' features.
  const ordered = performance.now();
  const tour = solveOrder(featureRows(features)!);
  const orderSeconds = (performance.now() - ordered) / 1e3;
  const chunks: number[][] = [];
  for (let at = 0; at < tour.length; at += chunk) chunks.push(tour.slice(at, at + chunk));
  return {
    family, params: first.params, inputs, inputShape: [count, ...first.inputShape.slice(1)], count, N,
    solver, dtype, chunk, chunks, buildSeconds, orderSeconds,
  };
}

/** Each chunk's recipe, as its job carries it. */
function chunkJobs(p: Plan): ChunkJob[] {
  return p.chunks.map((systems, chunk) => ({ family: p.family, params: p.params, solver: p.solver, chunk, systems }));
}

/**
 * Solves one chunk: builds just its systems from the recipe and solves them
 * in the job's order with the run's solver settings (recycle space and ω
 * learned afresh). What a worker does with a job, and what the local chunked
 * run does chunk after chunk.
 */
export async function solveChunk(nl: Numlane, job: ChunkJob, opts: { threads?: number; signal?: AbortSignal; onSolved?: (solved: number) => void } = {}): Promise<ChunkPayload & { buildSeconds: number }> {
  if (!PROBLEM_FAMILIES.includes(job.family)) throw new NumlaneError("invalid-value", `unknown family ${JSON.stringify(job.family)}`, "job.family");
  const built = performance.now();
  const { systems } = problemSet(job.family, job.params, job.systems);
  const buildSeconds = (performance.now() - built) / 1e3;
  const seconds = new Array<number>(systems.length).fill(0);
  let solved = 0;
  const r = await nl.solveSequence(systems, {
    ...sequenceOptions({ ...job.solver, order: "given" }),
    ...(opts.threads !== undefined && { threads: opts.threads }),
    ...(opts.signal && { signal: opts.signal }),
    onSolved: ({ system, seconds: s }) => { seconds[system] = s; opts.onSolved?.(++solved); },
  });
  const N = systems[0].b.length, x = new Float64Array(systems.length * N);
  r.solutions.forEach((xi, i) => x.set(xi, i * N));
  return { chunk: job.chunk, solutions: x, iterations: r.iterations, reasons: r.reasons, seconds, buildSeconds };
}

/** Collects chunk results into the dataset, each chunk (so each system) once. */
class Assembly {
  readonly count: number;
  readonly N: number;
  readonly solutions: Float64Array | Float32Array;
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
    this.solutions = new (p.dtype === "float32" ? Float32Array : Float64Array)(this.count * this.N).fill(NaN);
    this.iterations = new Array(this.count).fill(null);
    this.reasons = new Array(this.count).fill(null);
    this.seconds = new Array(this.count).fill(null);
  }

  /** Takes a chunk's result; false (and nothing written) if that chunk was taken already. */
  accept(r: ChunkPayload): boolean {
    const systems = this.p.chunks[r.chunk];
    if (systems === undefined) throw new NumlaneError("invalid-value", `chunk ${r.chunk} is not in this run (${this.p.chunks.length} chunks)`, "result.chunk");
    if (this.done.has(r.chunk)) { this.duplicates++; return false; }
    const x = r.solutions, N = this.N;
    if (x.length !== systems.length * N || r.iterations.length !== systems.length) {
      throw new NumlaneError("invalid-shape", `chunk ${r.chunk}'s result holds ${x.length} values for ${systems.length} systems of ${N}`, "result");
    }
    systems.forEach((s, i) => {
      this.solutions.set(x.subarray(i * N, (i + 1) * N), s * N);
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
    const { solver, dtype, chunk, chunks, buildSeconds, orderSeconds } = this.p;
    const inputs = dtype === "float32" ? Float32Array.from(this.p.inputs) : this.p.inputs;
    const meta: ChunkedMeta = {
      family: this.p.family, params: this.p.params, seed: this.p.params.seed as number, dtype,
      inputShape: this.p.inputShape, solutionShape: [this.count, this.p.params.grid as number, this.p.params.grid as number],
      solver, status: "complete", solved: this.solved,
      allConverged: this.reasons.every((r) => r === "converged"),
      iterations: this.iterations, reasons: this.reasons, seconds: this.seconds, solveOrder: chunks.flat(),
      buildSeconds, solveSeconds: (performance.now() - this.started) / 1e3,
      numlaneVersion: __NUMLANE_VERSION__, chunk, chunks: chunks.length, orderSeconds,
    };
    return { inputs, solutions: this.solutions, meta };
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

type BullMQ = typeof import("bullmq");
let bullmq: Promise<BullMQ> | undefined;
/** bullmq, loaded on first use (an optional peer dependency: programs that never queue need not install it). */
function loadBullMQ(): Promise<BullMQ> {
  // ioredis is bullmq's optional peer: without it bullmq fails only when connecting, as an event.
  bullmq ??= Promise.all([import("bullmq"), import("ioredis")]).then(([b]) => b, (e) => {
    bullmq = undefined;
    throw new NumlaneError("unsupported", `numlane/queue needs bullmq and ioredis (npm install bullmq ioredis): ${(e as Error).message}`, "bullmq");
  });
  return bullmq;
}

/** ioredis options from a redis:// URL (or the options as given). */
export function connectionOptions(connection: Connection): Record<string, unknown> {
  // Workers block on Redis: ioredis must retry for ever rather than fail a command.
  if (typeof connection === "object" && connection !== null) return { ...connection, maxRetriesPerRequest: null };
  if (typeof connection !== "string") throw new NumlaneError("invalid-type", "expected a redis:// URL or connection options", "connection");
  let url: URL;
  try { url = new URL(connection); } catch { url = new URL("invalid:"); }
  if (url.protocol !== "redis:" || url.hostname === "") throw new NumlaneError("invalid-value", `expected redis://HOST:PORT, got ${JSON.stringify(connection)}`, "connection");
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new NumlaneError("invalid-value", `database ${url.pathname.slice(1)} is not a number`, "connection");
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : 6379, db, maxRetriesPerRequest: null,
    ...(url.password && { password: decodeURIComponent(url.password) }), ...(url.username && { username: decodeURIComponent(url.username) }),
  };
}

export interface EnqueueOptions {
  connection: Connection;
  /** Default DEFAULT_QUEUE. */
  queue?: string;
}

/**
 * Runs `opts` (generate's options and `chunk`) on the queue's workers and
 * returns what generateChunked would, assembled as chunks come back, with
 * what the queue saw. Rejects if a chunk fails for good (CHUNK_ATTEMPTS tries, or stalled too often), and with an AbortError when `signal` fires.
 */
export async function enqueueSequence(opts: ChunkedOptions, queueOpts: EnqueueOptions): Promise<ChunkedResult & { stats: QueueRunStats }> {
  const p = plan(opts);
  const { Queue, QueueEvents } = await loadBullMQ();
  const connection = connectionOptions(queueOpts?.connection);
  const name = queueOpts.queue ?? DEFAULT_QUEUE;
  const run = randomUUID(), jobIds = new Map<string, number>();
  // Results travel in the events stream too: keep it short (the coordinator reads it live).
  const queue = new Queue<ChunkJob, ChunkReceipt>(name, { connection, streams: { events: { maxLen: 1000 } } });
  const events = new QueueEvents(name, { connection });
  const out = new Assembly(p);
  const stats: QueueRunStats = { stalled: 0, duplicates: 0, retried: 0 };
  const inChunk = new Map<number, number>();
  const report = () => opts.onProgress?.({ solved: out.solved + [...inChunk.values()].reduce((a, b) => a + b, 0), count: out.count });
  try {
    await events.waitUntilReady();
    const finished = new Promise<void>((resolve, reject) => {
      const fail = (e: unknown) => reject(e);
      opts.signal?.addEventListener("abort", () => fail(abortError(opts.signal!)), { once: true });
      events.on("completed", ({ jobId }) => {
        const chunk = jobIds.get(jobId);
        if (chunk === undefined) return;
        queue.getJob(jobId).then(async (job) => {
          if (!job) return;
          inChunk.delete(chunk);
          const { key, ...facts } = job.returnvalue;
          const redis = await queue.backend.client as unknown as { getBuffer(key: string): Promise<Buffer | null>; del(key: string): Promise<unknown> };
          const bytes = await redis.getBuffer(key);
          if (bytes === null) throw new NumlaneError("invalid-value", `chunk ${chunk}'s solutions are gone from Redis (key ${key})`, "queue");
          // Copied out: a Buffer need not sit on an 8-byte boundary.
          out.accept({ ...facts, solutions: new Float64Array(new Uint8Array(bytes).buffer) });
          await redis.del(key);
          await job.remove();
          report();
          if (out.complete) resolve();
        }).catch(fail);
      });
      events.on("progress", ({ jobId, data }) => {
        const chunk = jobIds.get(jobId);
        if (chunk !== undefined && typeof data === "number") { inChunk.set(chunk, data); report(); }
      });
      events.on("stalled", ({ jobId }) => { if (jobIds.has(jobId)) { stats.stalled++; inChunk.delete(jobIds.get(jobId)!); } });
      events.on("failed", ({ jobId, failedReason }) => {
        const chunk = jobIds.get(jobId);
        if (chunk === undefined) return;
        inChunk.delete(chunk);
        // Failed for good only if BullMQ left it failed: a retried job is back
        // waiting, while one that stalled too often fails at once, whatever its attempts.
        queue.getJobState(jobId).then((state) => {
          if (state !== "failed") { stats.retried++; return; }
          fail(new NumlaneError("worker-died", `chunk ${chunk} failed: ${failedReason}`, "queue"));
        }).catch(fail);
      });
    });
    const jobs = chunkJobs(p).map((data) => {
      const jobId = `${run}-${data.chunk}`;
      jobIds.set(jobId, data.chunk);
      return { name: "chunk", data, opts: { jobId, attempts: CHUNK_ATTEMPTS, removeOnFail: false } };
    });
    if (opts.signal?.aborted) throw abortError(opts.signal);
    await queue.addBulk(jobs);
    await finished;
  } finally {
    // An abandoned run leaves no work behind for the workers.
    if (!out.complete) await Promise.all([...jobIds.keys()].map((id) => queue.remove(id).catch(() => 0)));
    await events.close();
    await queue.close();
  }
  stats.duplicates = out.duplicates;
  return { ...out.result(), stats };
}

export interface WorkerOptions {
  connection: Connection;
  /** Default DEFAULT_QUEUE. */
  queue?: string;
  /** Threads of the worker's own context (when `nl` is not given), and of each solve. */
  threads?: number;
  /** A context to solve with (else one is made, and closed with the worker). */
  nl?: Numlane;
  /**
   * Called as each chunk is done: its time beyond building its systems from
   * the recipe (buildSeconds), of which solveSeconds in the solves proper;
   * when it started and finished (ms since the epoch, fractional).
   */
  onChunk?: (r: { chunk: number; systems: number; seconds: number; buildSeconds: number; solveSeconds: number; startedAt: number; finishedAt: number }) => void;
}

export interface QueueWorker {
  /** Finishes the chunk in hand (its result is delivered), then stops. */
  close(): Promise<void>;
}

/** Serves chunk jobs until closed: builds each chunk's systems (those only) from its recipe and solves them. */
export async function runWorker(opts: WorkerOptions): Promise<QueueWorker> {
  const { Worker } = await loadBullMQ();
  const connection = connectionOptions(opts?.connection);
  const own = opts.nl === undefined;
  const nl = opts.nl ?? await (await import("./index.js")).init(opts.threads !== undefined ? { threads: opts.threads } : {});
  const name = opts.queue ?? DEFAULT_QUEUE;
  // The worker's own Redis client, for the results (set once the worker exists).
  const results: { client?: Promise<{ set(...args: unknown[]): Promise<unknown> }> } = {};
  const worker = new Worker<ChunkJob, ChunkReceipt>(name, async (job) => {
    const started = performance.now();
    let reported = started;
    const { buildSeconds, solutions, ...r } = await solveChunk(nl, job.data, {
      ...(opts.threads !== undefined && { threads: opts.threads }),
      // Progress at most every PROGRESS_MS (and at the end): each report is a Redis round trip and an event.
      onSolved: (n) => {
        const now = performance.now();
        if (now - reported < PROGRESS_MS && n < job.data.systems.length) return;
        reported = now;
        void job.updateProgress(n);
      },
    });
    const finished = performance.now();
    opts.onChunk?.({
      chunk: job.data.chunk, systems: job.data.systems.length, seconds: (finished - started) / 1e3 - buildSeconds, buildSeconds,
      solveSeconds: r.seconds.reduce((a, b) => a + b, 0), startedAt: performance.timeOrigin + started, finishedAt: performance.timeOrigin + finished,
    });
    const key = resultKey(name, job.id!);
    await (await results.client!).set(key, Buffer.from(solutions.buffer, solutions.byteOffset, solutions.byteLength), "EX", RESULT_TTL_SECONDS);
    return { ...r, key };
  }, { connection, concurrency: 1, lockDuration: LOCK_MS, stalledInterval: STALL_CHECK_MS, maxStalledCount: CHUNK_ATTEMPTS - 1 });
  results.client = worker.backend.client;
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      if (own) await nl.close();
    },
  };
}
