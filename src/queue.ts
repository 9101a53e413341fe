// numlane/queue: a dataset generator run past one machine on BullMQ + Redis.
// The coordinator sorts the whole family, cuts the tour into chunks and
// enqueues one job per chunk carrying its recipe (the chunk contract:
// src/chunks.ts), never matrices; workers rebuild those systems, solve them
// and return the solutions; the coordinator assembles the same arrays and
// meta as generateChunked, the local run with the same chunking, bit for bit.
// Node only (tested on Node 20); bullmq and ioredis are optional peers, imported when first used.
import { randomUUID } from "node:crypto";
import { abortError, NumlaneError } from "./errors.js";
import { linkOptions, ResultLink } from "./result-link.js";
import { Assembly, chunkJobs, plan, type ChunkFacts, type ChunkJob, type ChunkedOptions, type ChunkedResult, type solveChunk } from "./chunks.js";

export { collectChunks, DEFAULT_CHUNK, generateChunked, solveChunk } from "./chunks.js";
export type { ChunkedMeta, ChunkedOptions, ChunkedResult, ChunkFacts, ChunkJob, ChunkPayload, EdgeChunkJob, SolveChunkOptions } from "./chunks.js";

/** The BullMQ queue's name unless told. */
export const DEFAULT_QUEUE = "numlane";
/** Tries per chunk (a worker's error or its death): then the run fails naming the chunk. */
const CHUNK_ATTEMPTS = 3;
// A dead worker's chunk is taken back once its lock lapses (not renewed for
// LOCK_MS) at the next stall check (every STALL_CHECK_MS); a live worker's
// main thread renews its locks every LOCK_MS / 2, while its solver thread solves.
const LOCK_MS = 15_000, STALL_CHECK_MS = 5_000;
/** A worker reports a chunk's progress at most this often: each report is a Redis round trip and an event. */
const PROGRESS_MS = 250;
/** How often the coordinator also asks Redis which of its jobs are done (enqueueSequence). */
const SWEEP_MS = 5_000;

/** Where Redis is: "redis://[:password@]host:port[/db]", or ioredis options. */
export type Connection = string | { host?: string; port?: number; password?: string; db?: number; [option: string]: unknown };

/** What a queued run saw besides the dataset. */
export interface QueueRunStats {
  /** Jobs taken back from a worker that stopped renewing its lock (died or hung), and re-run. */
  stalled: number;
  /** Results of a chunk after its first (ignored: each system is written once). */
  duplicates: number;
  /** Jobs that failed an attempt and were retried. */
  retried: number;
  /** Jobs whose completion or failure was found by the coordinator's periodic check, their event having been missed (the events stream is capped). */
  missedEvents: number;
}

/**
 * A chunk job's return value: its facts, and the Redis key of its solutions' and inputs'
 * bytes. Kept out of the job (which BullMQ stores as JSON, and again in its
 * events stream): raw bytes are 3/4 of base64 and written once (src/result-link.ts).
 */
export interface ChunkReceipt extends ChunkFacts { key: string }
/** A result nobody collects (its run died) leaves Redis after this long. */
const RESULT_TTL_SECONDS = 7 * 24 * 3600;
const resultKey = (queue: string, jobId: string) => `numlane:${queue}:result:${jobId}`;

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
  // Made once the jobs are queued: the first touch of its arrays (~0.2 s for
  // 1,000 Darcy 64² systems on a VM) then overlaps the workers' first chunks
  // instead of holding them up. Results are collected only after it is made.
  let out: Assembly | undefined, made!: () => void;
  const stats: QueueRunStats = { stalled: 0, duplicates: 0, retried: 0, missedEvents: 0 };
  const inChunk = new Map<number, number>();
  const report = () => out && opts.onProgress?.({ solved: out.solved + [...inChunk.values()].reduce((a, b) => a + b, 0), count: p.count });
  // A chunk's bytes: read through the result link into one buffer reused chunk after chunk (so one chunk at a time), else through ioredis.
  const link = linkOptions(connection), results = link && new ResultLink(link);
  let sweep: ReturnType<typeof setInterval> | undefined;
  let scratch: Float64Array | undefined, collecting = new Promise<void>((resolve) => made = resolve);
  const collect = (chunk: number, key: string, facts: ChunkFacts) => collecting = collecting.then(async () => {
    const assembly = out!;
    const redis = await queue.backend.client as unknown as { getBuffer(key: string): Promise<Buffer | null>; del(key: string): Promise<unknown> };
    let values: Float64Array | undefined;
    if (results) {
      const length = (p.N + p.perInput) * (p.chunks[chunk]?.length ?? 0);
      if (!scratch || scratch.length < length) scratch = new Float64Array(length);
      const bytes = new Uint8Array(scratch.buffer, 0, 8 * length);
      const got = await results.get(key, (b, at) => {
        if (at + b.byteLength > bytes.byteLength) throw new NumlaneError("invalid-shape", `chunk ${chunk}'s result is longer than its ${length} values`, "result");
        bytes.set(b, at);
      });
      if (got !== null) values = scratch.subarray(0, got / 8);
    } else {
      const bytes = await redis.getBuffer(key);
      // Read in place when the Buffer sits on an 8-byte boundary, else copied out.
      if (bytes !== null) values = bytes.byteOffset % 8 === 0 && bytes.length % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8) : new Float64Array(new Uint8Array(bytes).buffer);
    }
    if (values === undefined) throw new NumlaneError("invalid-value", `chunk ${chunk}'s solutions are gone from Redis (key ${key})`, "queue");
    assembly.accept({ ...facts, ...assembly.unpack(chunk, values) });
    await (results ? results.del(key) : redis.del(key));
  });
  try {
    await events.waitUntilReady();
    // Events are how chunks are noticed, but the events stream is capped and a
    // coordinator that falls behind or reconnects can miss some: every
    // SWEEP_MS it also lists the queue's completed and failed jobs and takes
    // those of this run it has not heard of, so a missed event delays a chunk
    // by seconds instead of leaving the run waiting for ever.
    const heard = new Set<string>();
    const finished = new Promise<void>((resolve, reject) => {
      const fail = (e: unknown) => reject(e);
      opts.signal?.addEventListener("abort", () => fail(abortError(opts.signal!)), { once: true });
      const completed = (jobId: string) => {
        const chunk = jobIds.get(jobId);
        if (chunk === undefined || heard.has(jobId)) return;
        heard.add(jobId);
        queue.getJob(jobId).then(async (job) => {
          if (!job) return;
          inChunk.delete(chunk);
          const { key, ...facts } = job.returnvalue;
          await collect(chunk, key, facts);
          await job.remove();
          report();
          if (out!.complete) resolve();
        }).catch(fail);
      };
      const failed = (jobId: string, failedReason: string) => {
        const chunk = jobIds.get(jobId);
        if (chunk === undefined) return;
        inChunk.delete(chunk);
        // Failed for good only if BullMQ left it failed: a retried job is back
        // waiting, while one that stalled too often fails at once, whatever its attempts.
        queue.getJobState(jobId).then((state) => {
          if (state !== "failed") { stats.retried++; return; }
          fail(new NumlaneError("worker-died", `chunk ${chunk} failed: ${failedReason}`, "queue"));
        }).catch(fail);
      };
      events.on("completed", ({ jobId }) => completed(jobId));
      events.on("progress", ({ jobId, data }) => {
        const chunk = jobIds.get(jobId);
        if (chunk === undefined || typeof data !== "number") return;
        inChunk.set(chunk, data);
        // A throwing onProgress fails the run, as it does from a completion (BullMQ would log and drop it).
        try { report(); } catch (e) { fail(e); }
      });
      events.on("stalled", ({ jobId }) => { if (jobIds.has(jobId)) { stats.stalled++; inChunk.delete(jobIds.get(jobId)!); } });
      events.on("failed", ({ jobId, failedReason }) => failed(jobId, failedReason));
      let sweeping = false;
      sweep = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        Promise.all([queue.getRanges(["completed"], 0, -1), queue.getRanges(["failed"], 0, -1)]).then(async ([done, failures]) => {
          for (const id of done) if (jobIds.has(id) && !heard.has(id)) { stats.missedEvents++; completed(id); }
          for (const id of failures) {
            if (!jobIds.has(id)) continue;
            stats.missedEvents++;
            failed(id, (await queue.getJob(id))?.failedReason ?? "unknown");
          }
        }).catch(() => undefined).finally(() => { sweeping = false; });
      }, SWEEP_MS);
    });
    const jobs = chunkJobs(p).map((data) => {
      const jobId = `${run}-${data.chunk}`;
      jobIds.set(jobId, data.chunk);
      return { name: "chunk", data, opts: { jobId, attempts: CHUNK_ATTEMPTS, removeOnFail: false } };
    });
    if (opts.signal?.aborted) throw abortError(opts.signal);
    await queue.addBulk(jobs);
    out = new Assembly(p);
    made();
    await finished;
  } finally {
    clearInterval(sweep);
    // An abandoned run leaves no work behind for the workers.
    if (!out?.complete) await Promise.all([...jobIds.keys()].map((id) => queue.remove(id).catch(() => 0)));
    results?.close();
    await events.close();
    await queue.close();
  }
  stats.duplicates = out!.duplicates;
  return { ...out!.result(), stats };
}

export interface WorkerOptions {
  connection: Connection;
  /** Default DEFAULT_QUEUE. */
  queue?: string;
  /** Threads of the worker's context (on its solver thread) and of each solve; default: every core. */
  threads?: number;
  /**
   * Called as each chunk is done: its time on the solver thread beyond
   * building its systems from the recipe (buildSeconds), of which solveSeconds
   * in the solves proper; when the thread started and finished it (ms since
   * the epoch, fractional).
   */
  onChunk?: (r: { chunk: number; systems: number; seconds: number; buildSeconds: number; solveSeconds: number; startedAt: number; finishedAt: number }) => void;
}

export interface QueueWorker {
  /** Finishes the chunk being solved (its result is delivered), gives back any job fetched for after it, then stops. */
  close(): Promise<void>;
}

/**
 * @internal What runWorker tells its solver thread (workers/queue-node.ts): a
 * chunk to solve (`id` names its replies), a chunk's values buffer handed back
 * once stored (for a later chunk's values: SolveChunkOptions.into), or to close.
 */
export type SolverRequest = { id: number; job: ChunkJob } | { recycle: ArrayBuffer } | { close: true };
/**
 * @internal What the solver thread answers about chunk `id`: that it is
 * about to end (time to fetch the next job: SolverData.progress), its result
 * (the values transferred, not copied; when the thread started and finished
 * it, ms since the epoch), declined (the worker is stopping: not started),
 * or an error. Without an id: the thread is up, or failed to start. (Progress
 * goes through SolverData.progress.)
 */
export type SolverReply =
  | { ready: true }
  | { id: number; ending: true }
  | { id: number; result: ChunkResult }
  | { id: number; declined: true }
  | { id?: number; error: { message: string; code?: NumlaneError["code"]; argument?: string } };
/**
 * @internal The solver thread's options (workerData); `stop`: an Int32Array word set
 * to 1 when the worker stops; `progress`: three Int32Array words, the id of the
 * chunk being solved and its systems solved so far, which the main thread
 * reads every PROGRESS_MS (stored, not posted: a message per report could
 * hold the solver thread for milliseconds on a busy machine), and the lead
 * (µs) the main thread wants before a chunk's end to fetch the next job.
 */
export interface SolverData { threads?: number; stop: SharedArrayBuffer; progress: SharedArrayBuffer }
type ChunkResult = Omit<Awaited<ReturnType<typeof solveChunk>>, "solutions" | "inputs"> & { startedAt: number; finishedAt: number };

/**
 * A worker's solver thread. Chunks are handed to it as soon as they are
 * fetched and it solves them one after the other, so it never waits for the
 * main thread, which meanwhile stores the last chunk's result in Redis and
 * fetches the next job. Started again for the next chunk if it dies.
 */
class SolverThread {
  private thread?: Promise<Thread>;
  private readonly stopWord = new SharedArrayBuffer(4);
  private readonly progress = new Int32Array(new SharedArrayBuffer(12)).fill(-1);
  private poller?: ReturnType<typeof setInterval>;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: ChunkResult | undefined) => void; reject: (e: Error) => void; onSolved: (n: number) => void; onEnding: () => void; reported: number }>();

  constructor(private readonly threads: number | undefined) {}

  /** Resolves once the thread's context is up (rejects with its error). */
  ready(): Promise<Thread> {
    this.thread ??= this.start();
    return this.thread;
  }

  /**
   * Solves `job` after the chunks handed over before it; undefined if
   * declined (stop() came first). `onEnding`: once, when its time left is
   * within the lead (setLead).
   */
  async solve(job: ChunkJob, onSolved: (n: number) => void, onEnding: () => void): Promise<ChunkResult | undefined> {
    const thread = await this.ready(), id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onSolved, onEnding, reported: 0 });
      this.poller ??= setInterval(() => this.poll(), PROGRESS_MS).unref();
      thread.postMessage({ id, job } satisfies SolverRequest);
    });
  }

  /** Reports the progress word's count to its chunk when it grew (the thread zeroes the count before it stores a new id: a count read between two equal ids is that chunk's). */
  private poll(): void {
    const id = Atomics.load(this.progress, 0), solved = Atomics.load(this.progress, 1);
    const p = this.pending.get(id);
    if (p && Atomics.load(this.progress, 0) === id && solved > p.reported) {
      p.reported = solved;
      p.onSolved(solved);
    }
  }

  private settled(id: number | undefined): void {
    if (id !== undefined) this.pending.delete(id);
    if (this.pending.size === 0 && this.poller) { clearInterval(this.poller); this.poller = undefined; }
  }

  /** How long (ms) before a chunk's estimated end its onEnding is wanted. */
  setLead(ms: number): void {
    Atomics.store(this.progress, 2, Math.round(ms * 1000));
  }

  /** Hands a chunk's values buffer back (moved, not copied) once its bytes are stored. */
  recycle(buffer: ArrayBuffer): void {
    void this.thread?.then((t) => t.postMessage({ recycle: buffer } satisfies SolverRequest, [buffer]), () => undefined);
  }

  /** From now on the thread starts no chunk: it declines those waiting. */
  stop(): void {
    Atomics.store(new Int32Array(this.stopWord), 0, 1);
  }

  async close(): Promise<void> {
    const thread = this.thread && await this.thread.catch(() => undefined);
    this.thread = undefined;
    if (!thread) return;
    const exited = new Promise((resolve) => thread.once("exit", resolve));
    thread.postMessage({ close: true } satisfies SolverRequest);
    await exited;
  }

  private async start(): Promise<Thread> {
    const { startNodeWorker } = await import("./runtime/node.js");
    const workerData: SolverData = { threads: this.threads, stop: this.stopWord, progress: this.progress.buffer as SharedArrayBuffer };
    const thread: Thread = startNodeWorker(new URL("./queue-node.js", import.meta.url), { workerData });
    return new Promise((resolve, reject) => {
      const died = (e: Error) => {
        this.thread = undefined;
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        this.settled(undefined);
      };
      thread.on("message", (m: SolverReply) => {
        if ("ready" in m) return resolve(thread);
        const p = m.id === undefined ? undefined : this.pending.get(m.id);
        if ("ending" in m) return p?.onEnding();
        this.settled(m.id);
        if ("result" in m) p?.resolve(m.result);
        else if ("declined" in m) p?.resolve(undefined);
        else {
          const { message, code, argument } = m.error;
          const e = code ? new NumlaneError(code, argument ? message.slice(argument.length + 2) : message, argument) : new Error(message);
          if (p) p.reject(e); else died(e);
        }
      });
      thread.once("error", died);
      thread.once("exit", (code) => died(new NumlaneError("worker-died", `the solver thread exited (code ${code})`, "worker")));
    });
  }
}
type Thread = import("node:worker_threads").Worker;

/**
 * Serves chunk jobs until closed: builds each chunk's systems (those only)
 * from its recipe and solves them on the worker's solver thread. The next
 * job is fetched only as the chunk being solved is about to end (within a
 * few fetch round trips of its estimated end), and handed to the thread at
 * once: the hand-over stays hidden, and no job waits behind a chunk here
 * while another worker idles (BullMQ's own loop fetches a job ahead as soon
 * as one starts). The last chunk's result goes to Redis meanwhile.
 */
export async function runWorker(opts: WorkerOptions): Promise<QueueWorker> {
  const { Worker } = await loadBullMQ();
  const connection = connectionOptions(opts?.connection);
  const name = opts.queue ?? DEFAULT_QUEUE;
  const solver = new SolverThread(opts.threads);
  await solver.ready();
  // The results' connection: the result link, else the worker's own ioredis client.
  const link = linkOptions(connection), direct = link && new ResultLink(link);
  // Fetched by hand (BullMQ's manual mode): no processor, so no loop of its own; we renew the locks and run the stall checks.
  const worker = new Worker<ChunkJob, ChunkReceipt>(name, null, { connection, autorun: false, lockDuration: LOCK_MS, stalledInterval: STALL_CHECK_MS, maxStalledCount: CHUNK_ATTEMPTS - 1 });
  await worker.waitUntilReady();
  await worker.startStalledCheckTimer();
  // The jobs held here (their locks renewed), each with its life's promise (close() waits for them).
  const held = new Map<{ job: Job; token: string }, Promise<void>>();
  let closing = false, solving = 0, tokens = 0;
  let fetching: { block: boolean; done: Promise<void> } | undefined;
  // A fetch's round trip (ms), smoothed: the lead asked of the solver thread is a few of them.
  let fetchMs = 2;
  const lead = () => Math.min(4 * fetchMs + 1, 1000);
  solver.setLead(lead());
  const renewal = setInterval(() => {
    for (const { job, token } of held.keys()) job.extendLock(token, LOCK_MS).catch(() => undefined);
  }, LOCK_MS / 2);

  /** One job's life here: solved, its result stored and the job completed; or failed (BullMQ retries it); or, declined as the worker stops, given back. */
  const serve = (h: { job: Job; token: string }) => {
    const { job, token } = h;
    solving++;
    const life = (async () => {
      let r: ChunkResult | undefined;
      try {
        r = await solver.solve(job.data, (n) => void job.updateProgress(n).catch(() => undefined), () => { if (solving === 1) fetchNext(false); });
      } catch (e) {
        await job.moveToFailed(e as Error, token, false).catch(() => undefined);
        return;
      } finally {
        if (--solving === 0) fetchNext(true);
      }
      if (r === undefined) {
        await job.moveToWait(token).catch(() => undefined);
        return;
      }
      const { values, buildSeconds, startedAt, finishedAt, ...facts } = r;
      try {
        // A throwing onChunk fails the job (BullMQ retries it), as any error here does.
        opts.onChunk?.({
          chunk: job.data.chunk, systems: job.data.systems.length, seconds: (finishedAt - startedAt) / 1e3 - buildSeconds, buildSeconds,
          solveSeconds: facts.seconds.reduce((a, b) => a + b, 0), startedAt, finishedAt,
        });
        const key = resultKey(name, job.id!), bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
        if (direct) await direct.set(key, bytes, RESULT_TTL_SECONDS);
        else await (await worker.backend.client as unknown as { set(...args: unknown[]): Promise<unknown> }).set(key, bytes, "EX", RESULT_TTL_SECONDS);
        solver.recycle(values.buffer as ArrayBuffer);
        // A job whose lock lapsed (this worker stalled) is refused here: another worker re-runs it, and the coordinator takes the first result.
        await job.moveToCompleted({ ...facts, key }, token, false);
      } catch (e) {
        await job.moveToFailed(e as Error, token, false).catch(() => undefined);
      }
    })().finally(() => held.delete(h));
    held.set(h, life);
  };

  /**
   * Fetches a job and hands it over: without blocking when one is about to
   * end (none waiting: the next try is when the thread is idle), else
   * waiting for one (BullMQ's block, ~5 s at a time) until closed.
   */
  const fetchNext = (block: boolean) => {
    if (closing || fetching) return;
    const done = (async () => {
      const token = `${worker.id}:${tokens++}`, t = performance.now();
      try {
        const job = await worker.getNextJob(token, { block });
        if (!block) { fetchMs = 0.75 * fetchMs + 0.25 * (performance.now() - t); solver.setLead(lead()); }
        if (job && closing) await job.moveToWait(token).catch(() => undefined);
        else if (job) serve({ job, token });
      } catch {
        // Redis unreachable: ioredis reconnects; try again shortly.
        if (!closing) await new Promise((r) => setTimeout(r, 1000));
      }
    })().finally(() => {
      fetching = undefined;
      if (solving === 0) fetchNext(true);
    });
    fetching = { block, done };
  };
  fetchNext(true);

  return {
    async close() {
      closing = true;
      solver.stop();
      // A fetch without blocking ends in a round trip (its job is given back); a blocking one ends as the worker closes.
      if (fetching && !fetching.block) await fetching.done;
      while (held.size > 0) await Promise.all(held.values());
      clearInterval(renewal);
      // Forced: what it would wait for is only the blocking fetch (every job here is settled).
      await worker.close(true);
      await fetching?.done;
      await solver.close();
      direct?.close();
    },
  };
}
type Job = import("bullmq").Job<ChunkJob, ChunkReceipt>;
