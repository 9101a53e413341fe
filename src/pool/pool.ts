// SPMD launches over shared memory. One launch runs a kernel on `threads`
// threads at once, each with its own (tid, nthreads); a multi-phase kernel
// synchronises with the barrier in the team block and runs to its end inside
// wasm. The hot path is Atomics on the control block (protocol.ts); comlink
// only sets workers up and shuts them down.
import type { Remote } from "comlink";
import { NumlaneError, abortError } from "../errors.js";
import type { Heap } from "../runtime/heap.js";
import { abortSignal, callback } from "../validate.js";
import {
  CTL_ARGS_BYTE, CTL_BYTES, CTL_DONE, CTL_FAILED, CTL_KERNEL, CTL_MAX_ARGS, CTL_NARGS, CTL_NTHREADS,
  CTL_NWORKERS, CTL_SOLO_TEAM_BYTE, CTL_STOP, CTL_TEAM_BYTE, CTL_TID_BASE, SPIN, TEAM_ABORT_BYTE,
  TEAM_PROGRESS_ITER_BYTE, TEAM_PROGRESS_VALUE_BYTE, kernelNames, mailboxWord, type WorkerApi,
} from "./protocol.js";

type Kernel = (...args: number[]) => void;

/** A started worker, whatever the runtime's worker API. */
export interface WorkerHandle {
  api: Remote<WorkerApi>;
  terminate(): void | Promise<unknown>;
}

/**
 * A worker's comlink API whose setup() also rejects if the worker reports an
 * error before it is set up (`watch` installs the listener and returns its
 * removal): a worker that never starts would otherwise leave init() waiting
 * forever. Later errors take the runtime's usual course.
 */
export function guardStart(remote: Remote<WorkerApi>, watch: (fail: (e: unknown) => void) => () => void): Remote<WorkerApi> {
  const api = {
    async setup(s: Parameters<WorkerApi["setup"]>[0]) {
      let unwatch = () => {};
      const failed = new Promise<never>((_, reject) => (unwatch = watch(reject)));
      try {
        return await Promise.race([remote.setup(s), failed]);
      } finally {
        unwatch();
      }
    },
    serve: () => remote.serve(),
  };
  return api as unknown as Remote<WorkerApi>;
}

export interface Progress {
  /** Iterations (or items) done so far, as the kernel reports them. */
  iteration: number;
  /** The kernel's figure of merit at that point, e.g. a residual norm. */
  value: number;
}

export interface RunOptions {
  /** Threads for this launch, the caller's included; clamped to the pool. */
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** A long launch never blocks the caller: it runs on workers only. */
  long?: boolean;
}

export class Pool {
  private readonly fns: Kernel[];
  private readonly index = new Map<string, number>();
  private readonly teamPtr: number;
  private readonly soloTeamPtr: number;
  /** The turn launching on the workers now, and the calls waiting for theirs, first come first served. */
  private holder: Turn | undefined;
  private readonly waiting: { grant(): void; fail(e: unknown): void }[] = [];
  private closed = false;
  private readonly serving: Promise<unknown>[] = [];

  private constructor(
    module: WebAssembly.Module,
    instance: WebAssembly.Instance,
    readonly heap: Heap,
    readonly ctlPtr: number,
    private readonly workers: WorkerHandle[],
    /** The caller may block (Atomics.wait) — true off a browser's main thread. */
    private readonly canBlock: boolean,
  ) {
    const exports = instance.exports as Record<string, Kernel>;
    this.fns = kernelNames(module).map((n, i) => (this.index.set(n, i), exports[n]));
    this.teamPtr = ctlPtr + CTL_TEAM_BYTE;
    this.soloTeamPtr = ctlPtr + CTL_SOLO_TEAM_BYTE;
  }

  /**
   * The control block as an Int32Array. Re-made on each use: with unshared
   * memory (single build) growth detaches older views.
   */
  private get ctl(): Int32Array {
    const i32 = this.heap.i32;
    return new Int32Array(i32.buffer, this.ctlPtr, CTL_BYTES >> 2);
  }

  /** Builds the pool: the caller's own instance plus `workers`, each joined to the memory. */
  static async create(
    module: WebAssembly.Module,
    instance: WebAssembly.Instance,
    heap: Heap,
    workers: WorkerHandle[],
    canBlock: boolean,
  ): Promise<Pool> {
    const ctl = heap.alloc(CTL_BYTES);
    heap.u8.fill(0, ctl, ctl + CTL_BYTES);
    const pool = new Pool(module, instance, heap, ctl, workers, canBlock);
    try {
      await Promise.all(workers.map((w, index) => w.api.setup({ module, memory: heap.memory, ctl, index })));
    } catch (e) {
      heap.free(ctl); // the caller may retry without workers on the same heap
      throw e;
    }
    for (const w of workers) pool.serving.push(w.api.serve());
    return pool;
  }

  /** The most threads one launch can use. */
  get maxThreads(): number {
    return Math.max(1, this.workers.length);
  }

  has(kernel: string): boolean {
    return this.index.has(kernel);
  }

  private threadsOf(opts: RunOptions): number {
    return Math.max(1, Math.min(opts.threads ?? 1, this.maxThreads));
  }

  /**
   * Whether launches like `opts` run on the calling thread at once: a short
   * one-thread call does; a long one goes to a worker so the caller stays
   * responsive (abort, progress) — unless there are none.
   */
  private runsHere(opts: RunOptions): boolean {
    return this.threadsOf(opts) === 1 && (!opts.long || this.workers.length === 0);
  }

  /**
   * Waits for the pool's turn for a call whose launches look like `opts`,
   * before the call copies its inputs in: calls queued behind others hold no
   * wasm memory. Launches through the turn skip the queue until its
   * release(); a call that runs here at once gets a turn without waiting.
   */
  async turn(opts: RunOptions): Promise<Turn> {
    checkRunOptions(opts);
    if (this.closed) throw closedError();
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if (this.runsHere(opts)) return new Turn(this, false);
    const turn = new Turn(this, true);
    if (this.holder !== undefined || this.waiting.length > 0) {
      const signal = opts.signal;
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(abortError(signal));
        };
        const entry = {
          grant: () => (signal?.removeEventListener("abort", onAbort), resolve()),
          fail: (e: unknown) => (signal?.removeEventListener("abort", onAbort), reject(e)),
        };
        signal?.addEventListener("abort", onAbort);
        this.waiting.push(entry);
      });
    }
    this.holder = turn;
    return turn;
  }

  /** @internal Turn.release(): the next call waiting gets the pool. */
  release(turn: Turn): void {
    if (this.holder !== turn) return;
    this.holder = undefined;
    this.waiting.shift()?.grant();
  }

  /** Runs `kernel(...args, team, tid, nthreads)` on every thread of the launch, in the pool's turn. */
  async run(kernel: string, args: number[], opts: RunOptions = {}): Promise<void> {
    const turn = await this.turn(opts);
    try {
      await this.launch(kernel, args, opts, turn);
    } finally {
      turn.release();
    }
  }

  /** @internal Turn.run(): one launch, the caller holding the pool's turn when it needs one. */
  async launch(kernel: string, args: number[], opts: RunOptions, turn: Turn): Promise<void> {
    checkRunOptions(opts);
    if (this.closed) throw closedError();
    const k = this.index.get(kernel);
    if (k === undefined) throw new Error(`numlane: no kernel named ${kernel}`);
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if (this.runsHere(opts)) {
      this.runSolo(k, args);
      // Nothing can interrupt a kernel on the calling thread; the caller still
      // hears where a long one ended (single build, edge runtimes).
      if (opts.long && opts.onProgress) this.reportSolo(opts.onProgress);
      return;
    }
    // A turn taken for one-thread work cannot launch on the workers: queue.
    if (this.holder !== turn) return this.run(kernel, args, opts);
    const threads = this.threadsOf(opts);
    if (!opts.long && this.canBlock) this.launchBlocking(k, args, threads);
    else await this.launchDetached(k, args, threads, opts);
  }

  /**
   * The calling thread's own `kernel` as a plain function of the kernel's
   * arguments (team, tid 0, nthreads 1 appended): for lean one-thread calls of
   * short kernels that would otherwise spend longer in run() than in wasm.
   */
  direct(kernel: string): (...args: number[]) => void {
    const k = this.index.get(kernel);
    if (k === undefined) throw new Error(`numlane: no kernel named ${kernel}`);
    const fn = this.fns[k], team = this.soloTeamPtr;
    const guard = (e: unknown): never => {
      throw new NumlaneError("kernel-failed", `kernel ${kernel} trapped: ${(e as Error).message}`);
    };
    if (fn.length === 8) {
      return (a, b, c, d, e) => {
        if (this.closed) throw closedError();
        try { fn(a, b, c, d, e, team, 0, 1); } catch (err) { guard(err); }
      };
    }
    return (...args) => {
      if (this.closed) throw closedError();
      try { fn(...args, team, 0, 1); } catch (err) { guard(err); }
    };
  }

  /** The whole kernel on the calling thread (nthreads = 1: barriers are no-ops). */
  runSolo(k: number, args: number[]): void {
    const i32 = this.heap.i32;
    i32[(this.soloTeamPtr + TEAM_ABORT_BYTE) >> 2] = 0;
    i32[(this.soloTeamPtr + TEAM_PROGRESS_ITER_BYTE) >> 2] = 0;
    try {
      this.fns[k](...args, this.soloTeamPtr, 0, 1);
    } catch (e) {
      throw new NumlaneError("kernel-failed", `kernel ${this.nameOf(k)} trapped: ${(e as Error).message}`);
    }
  }

  private reportSolo(onProgress: (p: Progress) => void): void {
    const iteration = this.heap.i32[(this.soloTeamPtr + TEAM_PROGRESS_ITER_BYTE) >> 2];
    const value = this.heap.f64[(this.soloTeamPtr + TEAM_PROGRESS_VALUE_BYTE) >> 3];
    onProgress({ iteration, value });
  }

  private prepare(k: number, args: number[], nthreads: number, tidBase: number, nworkers: number): void {
    if (args.length > CTL_MAX_ARGS) throw new Error("numlane: too many kernel arguments");
    const ctl = this.ctl;
    ctl[CTL_KERNEL] = k;
    ctl[CTL_NARGS] = args.length;
    ctl[CTL_NTHREADS] = nthreads;
    ctl[CTL_TID_BASE] = tidBase;
    ctl[CTL_NWORKERS] = nworkers;
    this.heap.f64.set(args, (this.ctlPtr + CTL_ARGS_BYTE) >> 3);
    Atomics.store(ctl, CTL_DONE, 0);
    Atomics.store(ctl, CTL_FAILED, 0);
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2, 0);
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_PROGRESS_ITER_BYTE) >> 2, 0);
    for (let w = 0; w < nworkers; w++) {
      const box = mailboxWord(w);
      Atomics.add(ctl, box, 1);
      Atomics.notify(ctl, box, 1);
    }
  }

  /** The caller is thread 0 and blocks until the workers are done. */
  private launchBlocking(k: number, args: number[], threads: number): void {
    const ctl = this.ctl;
    const nworkers = threads - 1;
    this.prepare(k, args, threads, 1, nworkers);
    let failure: unknown;
    try {
      this.fns[k](...args, this.teamPtr, 0, threads);
    } catch (e) {
      failure = e;
    }
    let done = Atomics.load(ctl, CTL_DONE);
    for (let i = 0; i < SPIN && done !== nworkers; i++) done = Atomics.load(ctl, CTL_DONE);
    while ((done = Atomics.load(ctl, CTL_DONE)) !== nworkers) Atomics.wait(ctl, CTL_DONE, done);
    if (failure !== undefined || Atomics.load(ctl, CTL_FAILED) !== 0) {
      throw new NumlaneError("kernel-failed", `kernel ${this.nameOf(k)} trapped${failure ? `: ${(failure as Error).message}` : ""}`);
    }
  }

  /** Workers do everything; the caller awaits without blocking, relaying progress and abort. */
  private async launchDetached(k: number, args: number[], threads: number, opts: RunOptions): Promise<void> {
    const ctl = this.ctl;
    const abortWord = (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2;
    const onAbort = () => Atomics.store(ctl, abortWord, 1);
    opts.signal?.addEventListener("abort", onAbort);
    try {
      this.prepare(k, args, threads, 0, threads);
      let lastIter = -1;
      // A callback that throws stops the launch; the call rejects with its
      // error only once every worker has left the kernel.
      let callbackFailure: { error: unknown } | undefined;
      const report = () => {
        if (!opts.onProgress || callbackFailure) return;
        const iteration = Atomics.load(ctl, (CTL_TEAM_BYTE + TEAM_PROGRESS_ITER_BYTE) >> 2);
        if (iteration === lastIter) return;
        lastIter = iteration;
        const value = this.heap.f64[(this.teamPtr + TEAM_PROGRESS_VALUE_BYTE) >> 3];
        try {
          opts.onProgress({ iteration, value });
        } catch (error) {
          callbackFailure = { error };
          onAbort();
        }
      };
      let done: number;
      while ((done = Atomics.load(ctl, CTL_DONE)) !== threads) {
        await waitChange(ctl, CTL_DONE, done, opts.onProgress ? 50 : 1000);
        report();
      }
      report(); // a launch that ended before the first poll still reports where it ended
      if (callbackFailure) throw callbackFailure.error;
      if (Atomics.load(ctl, CTL_FAILED) !== 0) {
        throw new NumlaneError("kernel-failed", `kernel ${this.nameOf(k)} trapped`);
      }
      if (opts.signal?.aborted) throw abortError(opts.signal);
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  private nameOf(k: number): string {
    for (const [name, i] of this.index) if (i === k) return name;
    return String(k);
  }

  /** Stops the workers after the launches in flight; the pool is unusable after. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.fail(closedError());
    while (this.holder) await new Promise((r) => setTimeout(r, 1));
    const ctl = this.ctl;
    Atomics.store(ctl, CTL_STOP, 1);
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.add(ctl, mailboxWord(w), 1);
      Atomics.notify(ctl, mailboxWord(w));
    }
    await Promise.allSettled(this.serving);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * One call's right to launch on the pool (Pool.turn): its launches skip the
 * queue until release(), which the call makes when it has freed its memory.
 */
export class Turn {
  constructor(private readonly pool: Pool, private readonly held: boolean) {}

  run(kernel: string, args: number[], opts: RunOptions = {}): Promise<void> {
    return this.pool.launch(kernel, args, opts, this);
  }

  release(): void {
    if (this.held) this.pool.release(this);
  }
}

const closedError = () => new NumlaneError("closed", "this numlane context was closed");

/** The options every call hands the pool, checked before anything runs. */
export function checkRunOptions(opts: RunOptions): void {
  // The same checks as every method's checkOptions (validate.ts), for launches that bypass it.
  if (opts.onProgress !== undefined) callback("opts.onProgress", opts.onProgress);
  if (opts.signal !== undefined) abortSignal("opts.signal", opts.signal);
}

/** Resolves when ctl[index] may have changed from `value`, or after `timeoutMs`. */
function waitChange(ctl: Int32Array, index: number, value: number, timeoutMs: number): Promise<unknown> {
  const waitAsync = (Atomics as unknown as {
    waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<unknown> | string };
  }).waitAsync;
  if (waitAsync) {
    const r = waitAsync(ctl, index, value, timeoutMs);
    return r.async ? (r.value as Promise<unknown>) : Promise.resolve();
  }
  // No Atomics.waitAsync (older Firefox): poll.
  return new Promise((r) => setTimeout(r, 1));
}
