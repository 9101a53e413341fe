// SPMD launches over shared memory. One launch runs a kernel on `threads`
// threads at once, each with its own (tid, nthreads); a multi-phase kernel
// synchronises with the barrier in the team block and runs to its end inside
// wasm. The hot path is Atomics on the control block (protocol.ts); comlink
// only sets workers up and shuts them down.
import type { Remote } from "comlink";
import { NumlaneError, abortError } from "../errors.js";
import type { Heap } from "../runtime/heap.js";
import type { KernelDescriptor } from "../generated/kernels.js";
import { abortSignal, callback } from "../validate.js";
import {
  CTL_BYTES, CTL_DONE, CTL_FAILED, CTL_KERNEL, CTL_NTHREADS, CTL_PARAMS,
  CTL_NWORKERS, CTL_SOLO_TEAM_BYTE, CTL_STOP, CTL_TEAM_BYTE, EXIT_BEFORE_ACK, EXIT_IN_LAUNCH, MB_ACK, MB_DONE, MB_EPOCH, MB_EXIT, MB_TID,
  ACK_REFUSED, SPIN, TEAM_ABORT_BYTE, TEAM_ASLEEP_BYTE, TEAM_BROKEN, TEAM_DEADLOCK, TEAM_COUNT_BYTE, TEAM_GENERATION_BYTE, TEAM_CALLER_BLOCKED_BYTE, TEAM_JOINED_BYTE, TEAM_MEMBERS_BYTE,
  TEAM_PROGRESS_ITER_BYTE, TEAM_PROGRESS_VALUE_BYTE, kernelNames, mailboxWord, type WorkerApi,
} from "./protocol.js";

/** A kernel's entry (assembly/generated/kernels.ts): its parameter block, then the team's. */
type Kernel = (params: number, team: number, tid: number, nthreads: number) => void;

/** A started worker, whatever the runtime's worker API. */
export interface WorkerHandle {
  api: Remote<WorkerApi>;
  terminate(): void | Promise<unknown>;
  /** Calls `listener` once if the worker's thread ends (crash, out of memory, terminate()). */
  onExit?(listener: () => void): void;
  /** Lets the process exit while the worker is idle (unref), or not (ref): Node. */
  ref?(): void;
  unref?(): void;
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

/** Bytes of the block direct kernels write their parameters and results into. */
const DIRECT_BYTES = 512;

/** A kernel's parameters by name for a direct call: all but "out" (the pool's result slots). */
export type DirectParams<K extends KernelDescriptor> = { readonly [P in Exclude<K["params"][number], "out">]: number };

/** K run on the calling thread (Pool.direct). */
export interface DirectKernel<K extends KernelDescriptor> {
  (params: DirectParams<K>): void;
  /** Result slot `name` of the last call. */
  result(name: K["out"][number]): number;
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

/**
 * How long a launch may sit un-acknowledged by a worker before the worker is
 * given up for dead (a live one picks a launch up within microseconds; this
 * leaves room for a heavily loaded machine). Barriers wait as long before they
 * break a team with a member missing (DEAD_AFTER_NAPS, assembly/core/team.ts).
 */
const ACK_TIMEOUT_MS = 3000;
/** How often a detached launch looks at its workers when nothing else wakes it. */
const DETACHED_POLL_MS = 50;
/**
 * How long the survivors of a broken detached launch get to leave the kernel
 * (a solver whose abort test sat with the dead thread would run on to its
 * iteration limit) before they are ended and replaced too.
 */
const BREAK_GRACE_MS = 100;
/**
 * How long the caller of a blocking launch, its own share done, blocks for
 * the workers' before it waits asynchronously, where it can hear a worker die.
 */
const BLOCKING_WAIT_MS = 1000;
/**
 * How long a broken blocking launch waits to hear a worker's exit event, or
 * for a stalled worker to finish, before it gives up the unfinished ones.
 */
const STALL_GRACE_MS = 1000;

/** One worker of the pool and its incarnation (MB_EPOCH); a dead one is replaced by a fresh slot. */
interface Slot {
  handle: WorkerHandle;
  index: number;
  epoch: number;
  dead: boolean;
  /** Its thread has ended: it can no longer touch memory. */
  gone: boolean;
}

/** One launch on the workers: each participant and the MB_LAUNCH value it must acknowledge and finish. */
interface Launch {
  /** The control block (shared memory: the view stays valid as memory grows). */
  ctl: Int32Array;
  slots: Slot[];
  seqs: number[];
  /** Set once a participant died: the team was broken and the call rejects with worker-died. */
  broken: boolean;
}

export class Pool {
  private readonly fns: Kernel[];
  private readonly index = new Map<string, number>();
  private readonly teamPtr: number;
  private readonly soloTeamPtr: number;
  /** The parameter and result block every direct kernel shares (see direct()). */
  private readonly directPtr: number;
  /** The turn launching on the workers now, and the calls waiting for theirs, first come first served. */
  private holder: Turn | undefined;
  private readonly waiting: { grant(): void; fail(e: unknown): void }[] = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The detached launch in flight, which close() aborts and waits for. */
  private inFlight: Promise<unknown> | undefined;
  /** Replacements of dead workers under way; launches wait for them. */
  private readonly repairs = new Set<Promise<void>>();
  private readonly slots: Slot[] = [];

  private constructor(
    private readonly module: WebAssembly.Module,
    instance: WebAssembly.Instance,
    readonly heap: Heap,
    readonly ctlPtr: number,
    /** The caller may block (Atomics.wait) — true off a browser's main thread. */
    private readonly canBlock: boolean,
    /** Starts a replacement for a dead worker. */
    private readonly startWorker?: (index: number) => WorkerHandle,
  ) {
    const exports = instance.exports as Record<string, Kernel>;
    this.fns = kernelNames(module).map((n, i) => (this.index.set(n, i), exports[n]));
    this.teamPtr = ctlPtr + CTL_TEAM_BYTE;
    this.soloTeamPtr = ctlPtr + CTL_SOLO_TEAM_BYTE;
    this.directPtr = ctlPtr + CTL_BYTES;
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
    startWorker?: (index: number) => WorkerHandle,
  ): Promise<Pool> {
    // The direct block (Pool.direct) follows the control block, in the same allocation.
    const ctl = heap.alloc(CTL_BYTES + DIRECT_BYTES);
    heap.u8.fill(0, ctl, ctl + CTL_BYTES + DIRECT_BYTES);
    const pool = new Pool(module, instance, heap, ctl, canBlock, startWorker);
    const slots = workers.map((handle, index) => ({ handle, index, epoch: 0, dead: false, gone: false }));
    try {
      await Promise.all(slots.map((s) => pool.join(s)));
    } catch (e) {
      heap.free(ctl); // the caller may retry without workers on the same heap
      throw e;
    }
    pool.slots.push(...slots);
    return pool;
  }

  /** Sets a worker up on the memory and starts its serve loop; it then holds no process open while idle. */
  private async join(slot: Slot): Promise<void> {
    Atomics.store(this.ctl, mailboxWord(slot.index, MB_EPOCH), slot.epoch);
    Atomics.store(this.ctl, mailboxWord(slot.index, MB_EXIT), 0);
    // A fresh incarnation starts with every launch so far acknowledged (its
    // predecessor's may have been refused, giveUp).
    Atomics.store(this.ctl, mailboxWord(slot.index, MB_ACK), Atomics.load(this.ctl, mailboxWord(slot.index)));
    await slot.handle.api.setup({ module: this.module, memory: this.heap.memory, ctl: this.ctlPtr, index: slot.index, epoch: slot.epoch });
    slot.handle.onExit?.(() => {
      slot.gone = true;
      this.giveUp(slot);
      Atomics.notify(this.ctl, CTL_DONE); // wakes a detached launch waiting on it
    });
    // serve() settles when the pool stops or replaced the worker, never for one
    // that died; a serve loop that ends otherwise (it threw) serves no more:
    // in every runtime, browsers included (no exit event there), that is a death.
    const left = () => {
      if (this.closed || slot.dead) return;
      this.giveUp(slot);
      Atomics.notify(this.ctl, CTL_DONE);
    };
    slot.handle.api.serve().then(left, left);
    slot.handle.unref?.();
  }

  /**
   * Marks a worker dead (its thread ended, or it left a launch un-acknowledged):
   * a launch it was in breaks, and a fresh worker takes its place.
   */
  private giveUp(slot: Slot): void {
    if (slot.dead || this.closed) return;
    slot.dead = true;
    const ctl = this.ctl;
    // A worker given up before it acknowledged the launch posted to it is
    // counted out of that launch (settled()), so it must never take it up:
    // claim its acknowledgement. If it acknowledged first, the claim fails and
    // the launch waits for it to finish or end.
    const ack = mailboxWord(slot.index, MB_ACK), acked = Atomics.load(ctl, ack);
    if (acked !== Atomics.load(ctl, mailboxWord(slot.index))) Atomics.compareExchange(ctl, ack, acked, ACK_REFUSED);
    // Should it still be alive after all, it leaves at its next launch.
    Atomics.store(ctl, mailboxWord(slot.index, MB_EPOCH), slot.epoch + 1);
    Atomics.notify(ctl, CTL_DONE); // wakes a detached launch waiting on it
    const repair = this.replace(slot).finally(() => this.repairs.delete(repair));
    this.repairs.add(repair);
  }

  private async replace(dead: Slot): Promise<void> {
    dead.handle.ref?.(); // a call may be waiting for the replacement: keep the process up until it is in
    try {
      await dead.handle.terminate();
    } catch { /* already gone */ }
    dead.gone = true;
    Atomics.notify(this.ctl, CTL_DONE);
    if (this.closed || !this.startWorker) return;
    const at = this.slots.indexOf(dead);
    let fresh: Slot | undefined;
    try {
      fresh = { handle: this.startWorker(dead.index), index: dead.index, epoch: dead.epoch + 1, dead: false, gone: false };
      await this.join(fresh);
    } catch {
      // No replacement (out of memory?): the pool goes on with one worker fewer.
      this.slots.splice(at, 1);
      if (fresh) await Promise.resolve(fresh.handle.terminate()).catch(() => {});
      return;
    }
    if (this.closed) {
      await fresh.handle.terminate();
      return;
    }
    this.slots[at] = fresh;
  }

  /** The most threads one launch can use. */
  get maxThreads(): number {
    return Math.max(1, this.slots.length);
  }

  has(kernel: string): boolean {
    return this.index.has(kernel);
  }

  /**
   * A kernel's descriptor function (a workspace size, say) called on the
   * caller's own instance: pure, no memory touched, so no turn needed.
   */
  call(fn: string, args: number[]): number {
    const k = this.index.get(fn);
    if (k === undefined) throw new Error(`numlane: no kernel function named ${fn}`);
    return (this.fns[k] as unknown as (...a: number[]) => number)(...args);
  }

  private threadsOf(opts: RunOptions): number {
    const asked = opts.threads ?? 1;
    if (!Number.isInteger(asked) || asked < 1) throw new Error(`numlane: internal error: a launch asked for ${asked} threads`);
    return Math.min(asked, this.maxThreads);
  }

  /**
   * Whether launches like `opts` run on the calling thread at once: a short
   * one-thread call does; a long one goes to a worker so the caller stays
   * responsive (abort, progress) — unless there are none.
   */
  private runsHere(opts: RunOptions): boolean {
    return this.threadsOf(opts) === 1 && (!opts.long || this.slots.length === 0);
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

  /** Runs `kernel(params, team, tid, nthreads)` on every thread of the launch, in the pool's turn. */
  async run(kernel: string, params: number, opts: RunOptions = {}): Promise<void> {
    const turn = await this.turn(opts);
    try {
      await this.launch(kernel, params, opts, turn);
    } finally {
      turn.release();
    }
  }

  /** @internal Turn.run(): one launch, the caller holding the pool's turn when it needs one. */
  async launch(kernel: string, params: number, opts: RunOptions, turn: Turn): Promise<void> {
    checkRunOptions(opts);
    if (this.closed) throw closedError();
    const k = this.index.get(kernel);
    if (k === undefined) throw new Error(`numlane: no kernel named ${kernel}`);
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if (this.runsHere(opts)) {
      this.runSolo(k, params);
      // Nothing can interrupt a kernel on the calling thread; the caller still
      // hears where a long one ended (single build, edge runtimes).
      if (opts.long && opts.onProgress) this.reportSolo(opts.onProgress);
      return;
    }
    // A turn taken for one-thread work cannot launch on the workers: queue.
    if (this.holder !== turn) return this.run(kernel, params, opts);
    while (this.repairs.size > 0) await Promise.all(this.repairs);
    if (this.closed) throw closedError();
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const threads = this.threadsOf(opts);
    if (!opts.long && this.canBlock) {
      const pending = this.launchBlocking(k, params, threads);
      if (pending) {
        await this.watchBlocking(pending.launch);
        this.finishBlocking(k, pending.launch, pending.failure);
      }
      return;
    }
    const detached = this.launchDetached(k, params, threads, opts);
    this.inFlight = detached;
    try {
      await detached;
    } finally {
      this.inFlight = undefined;
    }
  }

  /**
   * K on the calling thread (team of one: tid 0, nthreads 1) as a plain
   * function of its parameters by name: for lean one-thread calls of short
   * kernels that would otherwise spend longer in run() than in wasm. Every
   * direct kernel writes its parameter block into the pool's one fixed block
   * (nothing allocated per call), its result slots right after it, zeroed
   * before each call; "work", if K takes one, is the caller's to reserve
   * (Engine.workspace gives its size).
   */
  direct<K extends KernelDescriptor>(k: K): DirectKernel<K> {
    const index = this.index.get(k.name);
    if (index === undefined) throw new Error(`numlane: no kernel named ${k.name}`);
    const names = k.params, count = names.length, outs = k.out.length;
    if (8 * (count + outs) > DIRECT_BYTES) throw new Error(`numlane: ${k.name} has too many parameters for a direct call`);
    const fn = this.fns[index], team = this.soloTeamPtr, block = this.directPtr;
    const at = block >> 3, outAt = at + count, outSlot = names.indexOf("out");
    const run = ((params: Readonly<Record<string, number>>) => {
      if (this.closed) throw closedError();
      const f64 = this.heap.f64;
      if (!k.write(f64, at, params)) {
        const bad = names.filter((q) => q !== "out" && !(typeof params[q] === "number" && params[q] === params[q]));
        throw new Error(`numlane: internal error: ${k.name} called with ${bad.map((q) => `${q} = ${String(params[q])}`).join(", ")}`);
      }
      if (outSlot >= 0) f64[at + outSlot] = 8 * outAt;
      for (let i = 0; i < outs; i++) f64[outAt + i] = 0;
      try {
        fn(block, team, 0, 1);
      } catch (e) {
        throw new NumlaneError("kernel-failed", `kernel ${k.name} trapped: ${(e as Error).message}`);
      }
    }) as unknown as DirectKernel<K>;
    run.result = (name) => this.heap.f64[outAt + k.out.indexOf(name)];
    return run;
  }

  /** The whole kernel on the calling thread (nthreads = 1: barriers are no-ops). */
  runSolo(k: number, params: number): void {
    const i32 = this.heap.i32;
    i32[(this.soloTeamPtr + TEAM_ABORT_BYTE) >> 2] = 0;
    i32[(this.soloTeamPtr + TEAM_PROGRESS_ITER_BYTE) >> 2] = 0;
    try {
      this.fns[k](params, this.soloTeamPtr, 0, 1);
    } catch (e) {
      throw new NumlaneError("kernel-failed", `kernel ${this.nameOf(k)} trapped: ${(e as Error).message}`);
    }
  }

  private reportSolo(onProgress: (p: Progress) => void): void {
    const iteration = this.heap.i32[(this.soloTeamPtr + TEAM_PROGRESS_ITER_BYTE) >> 2];
    const value = this.heap.f64[(this.soloTeamPtr + TEAM_PROGRESS_VALUE_BYTE) >> 3];
    onProgress({ iteration, value });
  }

  /** Posts a launch to the first `nworkers` workers (all alive: launches wait for repairs), as tids tidBase, tidBase + 1, … */
  private prepare(k: number, params: number, nthreads: number, tidBase: number, nworkers: number): Launch {
    const slots = this.slots.slice(0, nworkers);
    const lost = slots.find((s) => s.dead);
    if (lost) throw workerDied(`pool worker ${lost.index} died and could not be replaced`);
    const ctl = this.ctl;
    ctl[CTL_KERNEL] = k;
    ctl[CTL_PARAMS] = params;
    ctl[CTL_NTHREADS] = nthreads;
    ctl[CTL_NWORKERS] = nworkers;
    Atomics.store(ctl, CTL_DONE, 0);
    Atomics.store(ctl, CTL_FAILED, 0);
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2, 0);
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_PROGRESS_ITER_BYTE) >> 2, 0);
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_COUNT_BYTE) >> 2, 0); // a broken launch may have left arrivals behind
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_JOINED_BYTE) >> 2, 0);
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_ASLEEP_BYTE) >> 2, 0);
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_MEMBERS_BYTE) >> 2, nworkers);
    Atomics.store(ctl, (CTL_TEAM_BYTE + TEAM_CALLER_BLOCKED_BYTE) >> 2, tidBase === 1 ? 1 : 0);
    const seqs = slots.map((s, i) => {
      ctl[mailboxWord(s.index, MB_TID)] = tidBase + i;
      const box = mailboxWord(s.index);
      const seq = Atomics.add(ctl, box, 1) + 1;
      Atomics.notify(ctl, box, 1);
      return seq;
    });
    return { ctl, slots, seqs, broken: false };
  }

  private finished(launch: Launch, i: number): boolean {
    return Atomics.load(launch.ctl, mailboxWord(launch.slots[i].index, MB_DONE)) === launch.seqs[i];
  }

  /**
   * Whether no participant can still touch the launch's memory: each finished,
   * or is dead and either never took the launch up or its thread has ended.
   */
  private settled(launch: Launch): boolean {
    return launch.slots.every((s, i) => this.finished(launch, i) || (s.dead && (s.gone || !this.acked(launch, i))));
  }

  private acked(launch: Launch, i: number): boolean {
    return Atomics.load(launch.ctl, mailboxWord(launch.slots[i].index, MB_ACK)) === launch.seqs[i];
  }

  /**
   * A participant died: the abort flag, set to TEAM_BROKEN, ends long kernels
   * and releases every barrier (the generation bump wakes those asleep in one),
   * so the survivors leave the kernel.
   */
  private breakTeam(launch: Launch): void {
    if (launch.broken) return;
    launch.broken = true;
    const ctl = this.ctl;
    // A deadlock the kernels found themselves stays the reason.
    const abort = (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2;
    for (let flag = Atomics.load(ctl, abort); flag < TEAM_BROKEN;) {
      const seen = Atomics.compareExchange(ctl, abort, flag, TEAM_BROKEN);
      if (seen === flag) break;
      flag = seen;
    }
    const generation = (CTL_TEAM_BYTE + TEAM_GENERATION_BYTE) >> 2;
    Atomics.add(ctl, generation, 1);
    Atomics.notify(ctl, generation);
  }

  /**
   * The caller is thread 0 and blocks until the workers are done. Blocked, it
   * cannot hear a worker's exit event: a worker that has not taken the launch
   * up after ACK_TIMEOUT_MS is dead (a barrier waiting on it breaks the team
   * itself after as long, so the caller's own share returns).
   */
  private launchBlocking(k: number, params: number, threads: number): { launch: Launch; failure: unknown } | undefined {
    const ctl = this.ctl;
    const nworkers = threads - 1;
    const launch = this.prepare(k, params, threads, 1, nworkers);
    const deadline = performance.now() + ACK_TIMEOUT_MS;
    let failure: unknown;
    try {
      this.fns[k](params, this.teamPtr, 0, threads);
    } catch (e) {
      failure = e;
    }
    // A barrier that waited ACK_TIMEOUT_MS broke the team: find out why where exit events are heard.
    if (Atomics.load(ctl, (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2) >= TEAM_BROKEN) return { launch, failure };
    // Every worker took the launch up, yet one may still die in it, which this
    // blocked thread cannot hear: past BLOCKING_WAIT_MS, watch asynchronously.
    const blockUntil = performance.now() + BLOCKING_WAIT_MS;
    let done = Atomics.load(ctl, CTL_DONE);
    for (let i = 0; i < SPIN && done !== nworkers; i++) done = Atomics.load(ctl, CTL_DONE);
    while ((done = Atomics.load(ctl, CTL_DONE)) !== nworkers) {
      const unacked = launch.slots.filter((_, i) => !this.acked(launch, i));
      const now = performance.now();
      if (unacked.length === 0) {
        if (now >= blockUntil) return { launch, failure };
        Atomics.wait(ctl, CTL_DONE, done, blockUntil - now);
        continue;
      }
      if (deadline > now) {
        Atomics.wait(ctl, CTL_DONE, done, deadline - now);
        continue;
      }
      unacked.forEach((s) => this.giveUp(s));
      break;
    }
    this.finishBlocking(k, launch, failure);
    return undefined;
  }

  /** A blocking launch's workers, watched without blocking: a death (exit event) breaks the team. */
  private async watchBlocking(launch: Launch): Promise<void> {
    const ctl = this.ctl;
    let brokenAt = 0;
    while (!this.settled(launch)) {
      await waitChange(ctl, CTL_DONE, Atomics.load(ctl, CTL_DONE), DETACHED_POLL_MS);
      const brokenByBarrier = Atomics.load(ctl, (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2) >= TEAM_BROKEN;
      brokenAt = this.supervise(launch, brokenAt, STALL_GRACE_MS, brokenByBarrier);
    }
  }

  /**
   * One look at a launch being waited on asynchronously: a dead member (or
   * `teamBroken`) breaks the team; members still in the kernel `grace` ms
   * after that are given up. Returns when the team was broken (0: not yet).
   */
  private supervise(launch: Launch, brokenAt: number, grace: number, teamBroken = false): number {
    const now = performance.now();
    if (!launch.broken && (teamBroken || launch.slots.some((s) => s.dead))) {
      this.breakTeam(launch);
      return now;
    }
    if (launch.broken && now - brokenAt > grace) launch.slots.forEach((s, i) => { if (!this.finished(launch, i)) this.giveUp(s); });
    return brokenAt;
  }

  /** The end of a blocking launch: a dead or late worker, or a trap, rejects the call. */
  private finishBlocking(k: number, launch: Launch, failure: unknown): void {
    const ctl = this.ctl;
    if (launch.slots.some((s) => s.dead) || Atomics.load(ctl, (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2) === TEAM_BROKEN) {
      this.breakTeam(launch);
      // The survivors pass their barriers at once; wait for them to be out of the kernel.
      while (!this.settled(launch)) Atomics.wait(ctl, CTL_DONE, Atomics.load(ctl, CTL_DONE), 1);
      const dead = launch.slots.find((s) => s.dead);
      if (dead || Atomics.load(ctl, (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2) !== TEAM_DEADLOCK) {
        throw workerDied(dead ? `pool worker ${dead.index} died during ${this.nameOf(k)}` : `a pool worker took up the launch of ${this.nameOf(k)} too late`);
      }
      throw deadlocked(this.nameOf(k));
    }
    if (failure !== undefined || Atomics.load(ctl, CTL_FAILED) !== 0) {
      throw new NumlaneError("kernel-failed", `kernel ${this.nameOf(k)} trapped${failure ? `: ${(failure as Error).message}` : ""}`);
    }
  }

  /** Workers do everything; the caller awaits without blocking, relaying progress and abort. */
  private async launchDetached(k: number, params: number, threads: number, opts: RunOptions): Promise<void> {
    const ctl = this.ctl;
    const abortWord = (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2;
    const onAbort = () => Atomics.compareExchange(ctl, abortWord, 0, 1);
    opts.signal?.addEventListener("abort", onAbort);
    const launch = this.prepare(k, params, threads, 0, threads);
    // Awaited results must arrive even if nothing else keeps the process alive.
    for (const s of launch.slots) s.handle.ref?.();
    try {
      const deadline = performance.now() + ACK_TIMEOUT_MS;
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
      let brokenAt = 0;
      while (!this.settled(launch)) {
        await waitChange(ctl, CTL_DONE, Atomics.load(ctl, CTL_DONE), DETACHED_POLL_MS);
        report();
        if (this.closed) onAbort();
        const now = performance.now();
        if (now > deadline) launch.slots.forEach((s, i) => { if (!this.acked(launch, i)) this.giveUp(s); });
        brokenAt = this.supervise(launch, brokenAt, BREAK_GRACE_MS);
      }
      report(); // a launch that ended before the first poll still reports where it ended
      if (this.closed) throw closedError();
      if (launch.broken) throw workerDied(`pool worker ${launch.slots.find((s) => s.dead)!.index} died during ${this.nameOf(k)}`);
      if (Atomics.load(ctl, abortWord) === TEAM_DEADLOCK) throw deadlocked(this.nameOf(k));
      if (callbackFailure) throw callbackFailure.error;
      if (Atomics.load(ctl, CTL_FAILED) !== 0) {
        throw new NumlaneError("kernel-failed", `kernel ${this.nameOf(k)} trapped`);
      }
      if (opts.signal?.aborted) throw abortError(opts.signal);
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      for (const s of launch.slots) s.handle.unref?.();
    }
  }

  private nameOf(k: number): string {
    for (const [name, i] of this.index) if (i === k) return name;
    return String(k);
  }

  /**
   * @internal Test only: ends worker `index` as a crash would — "now"
   * (terminated while idle or mid-launch), "in-next-launch" (it exits after
   * taking its next launch up, as a death mid-kernel), or "at-next-launch" (it exits as it
   * picks its next launch up, before acknowledging it).
   */
  killWorker(index: number, when: "now" | "at-next-launch" | "in-next-launch"): Promise<unknown> | void {
    const slot = this.slots[index];
    if (!slot) throw new Error(`numlane: no pool worker ${index}`);
    if (when === "now") return slot.handle.terminate();
    Atomics.store(this.ctl, mailboxWord(index, MB_EXIT), when === "at-next-launch" ? EXIT_BEFORE_ACK : EXIT_IN_LAUNCH);
  }

  /**
   * Ends the pool: calls waiting for their turn reject with "closed", the
   * launch in flight is aborted (and its call rejects with "closed"), then
   * the workers stop. Every later call rejects with "closed".
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.fail(closedError());
    const ctl = this.ctl;
    if (this.inFlight) {
      Atomics.compareExchange(ctl, (CTL_TEAM_BYTE + TEAM_ABORT_BYTE) >> 2, 0, 1);
      Atomics.notify(ctl, CTL_DONE); // wake its wait now rather than at the next poll
      await this.inFlight.catch(() => {});
    }
    await Promise.allSettled(this.repairs);
    Atomics.store(ctl, CTL_STOP, 1);
    for (const s of this.slots) {
      Atomics.add(ctl, mailboxWord(s.index), 1);
      Atomics.notify(ctl, mailboxWord(s.index));
    }
    await Promise.allSettled(this.slots.map((s) => s.handle.terminate()));
  }
}

/**
 * One call's right to launch on the pool (Pool.turn): its launches skip the
 * queue until release(), which the call makes when it has freed its memory.
 */
export class Turn {
  constructor(private readonly pool: Pool, private readonly held: boolean) {}

  run(kernel: string, params: number, opts: RunOptions = {}): Promise<void> {
    return this.pool.launch(kernel, params, opts, this);
  }

  release(): void {
    if (this.held) this.pool.release(this);
  }
}

const closedError = () => new NumlaneError("closed", "this numlane context was closed");
const deadlocked = (kernel: string) => new NumlaneError("kernel-failed",
  `the threads of kernel ${kernel} stopped at different barriers, a bug in numlane (please report it); the call is abandoned, later calls run as before`);
const workerDied = (message: string) => new NumlaneError("worker-died", `${message}; it is being replaced, later calls run as before`);

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
