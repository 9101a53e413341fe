// Long calls off a page's main thread when the context has no pool workers
// (a page that is not cross-origin isolated, or the single build forced): a
// single-build kernel cannot be interrupted and runs for seconds on large
// problems, so on the page's own thread it freezes the tab and Cancel cannot
// be clicked. As onnxruntime-web's proxy mode does, one plain (non-shared)
// Worker runs its own one-thread context on the same wasm module; long calls
// go to it with copies of their inputs, one at a time, and an abort
// terminates it (rejecting at once) and starts a fresh one for the next call.
// Same module, same kernels, one thread: the same bits as on the page.
import * as Comlink from "comlink";
import type { Remote } from "comlink";
import { initWith, type Numlane, type Platform } from "../context.js";
import { NumlaneError, abortError } from "../errors.js";
import { RecycleSpace } from "../krylov.js";
import { CsrMatrix, DenseMatrix } from "../matrix.js";
import { detectRuntime } from "./features.js";

/**
 * The calls that can run for seconds, with the position of their options
 * argument: those the pool runs as `long`, and the whole-matrix QR and
 * sketches, which take seconds on one thread for large A (figures:
 * bench/results/host-notes.md).
 */
export const LONG_CALLS = {
  cg: 2, gmres: 2, solveSequence: 1, lasso: 2, lassoPath: 2, logisticRegression: 2, bcd: 1, lstsq: 2,
  qr: 1, sketch: 1, leverageScores: 1,
} as const satisfies Partial<Record<keyof Numlane, number>>;
export type LongCall = keyof typeof LONG_CALLS;

/** What the proxy worker sends back: the result and the recycle spaces' new state, or the error. */
type Reply =
  | { result: unknown; spaces: unknown[] }
  | { error: { name: string; message: string; code?: NumlaneError["code"]; argument?: string } };

/** The proxy worker's API (workers/proxy-web.ts exposes it through comlink). */
export interface ProxyApi {
  /** Starts the worker's context on `wasm` (the module, or bytes it compiles); returns the module. */
  setup(wasm: WebAssembly.Module | ArrayBuffer): Promise<WebAssembly.Module>;
  /**
   * Runs nl[method](...args) on packed arguments; the options' callbacks
   * (onProgress, …), named in `callbacks`, are called through `relay`.
   */
  call(method: LongCall, args: unknown[], callbacks: string[], relay?: (name: string, arg: unknown) => void): Promise<Reply>;
  /** Tests only: throws from a timer, as a crashing worker would (an "error" event on the page). */
  crash(): void;
}

/** A started proxy worker, whatever starts it (runtime/web.ts). */
export interface ProxyWorkerHandle {
  api: Remote<ProxyApi>;
  /** Rejects when the worker reports an error: it could not start, or it crashed. */
  failed: Promise<never>;
  terminate(): void;
}

// ---- Copies across the worker boundary -------------------------------------
// Structured cloning drops prototypes and copies a typed array's whole buffer
// (all of wasm memory, for an nl.alloc view), so arguments travel packed:
// every typed array an exact-size copy whose buffer is transferred, and
// numlane's own classes tagged and rebuilt on the other side.

const TAG = "__numlaneClass";
const CLASSES: Record<string, object> = {
  CsrMatrix: CsrMatrix.prototype, DenseMatrix: DenseMatrix.prototype, RecycleSpace: RecycleSpace.prototype,
};
const CLASS_OF = new Map(Object.entries(CLASSES).map(([name, proto]) => [proto, name]));

type Packed = { value: unknown; buffers: ArrayBuffer[]; spaces: RecycleSpace[] };

/**
 * `value` with every typed array replaced by an exact-size array of its own
 * (a copy when `copy`, else the array itself where it already owns its whole
 * buffer) and numlane's class instances tagged. Recycle spaces are listed in
 * `spaces`, by the index their tag carries: a call updates them in place.
 */
function pack(value: unknown, copy: boolean): Packed {
  const memo = new Map<object, unknown>();
  const buffers = new Set<ArrayBuffer>();
  const spaces: RecycleSpace[] = [];
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (memo.has(v)) return memo.get(v);
    if (ArrayBuffer.isView(v)) {
      if (v instanceof DataView) return v;
      const t = v as Float64Array;
      const own = copy || t.byteOffset !== 0 || t.byteLength !== t.buffer.byteLength || !(t.buffer instanceof ArrayBuffer) ? t.slice() : t;
      buffers.add(own.buffer as ArrayBuffer);
      memo.set(v, own);
      return own;
    }
    const proto = Object.getPrototypeOf(v);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      memo.set(v, out);
      for (const item of v) out.push(walk(item));
      return out;
    }
    const name = CLASS_OF.get(proto);
    if (name === undefined && proto !== Object.prototype && proto !== null) return v; // cloned as it is
    const props: Record<string, unknown> = {};
    const out = name === undefined ? props : { [TAG]: name, props, space: v instanceof RecycleSpace ? spaces.push(v) - 1 : -1 };
    memo.set(v, out);
    for (const key of Object.keys(v)) props[key] = walk((v as Record<string, unknown>)[key]);
    return out;
  };
  const packed = walk(value);
  return { value: packed, buffers: [...buffers], spaces };
}

/** The inverse of pack (in place on a structured clone): class instances rebuilt, recycle spaces listed. */
function unpack(value: unknown): { value: unknown; spaces: RecycleSpace[] } {
  const memo = new Map<object, unknown>();
  const spaces: RecycleSpace[] = [];
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
    if (memo.has(v)) return memo.get(v);
    if (Array.isArray(v)) {
      memo.set(v, v);
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i]);
      return v;
    }
    const tagged = v as { [TAG]?: string; props: Record<string, unknown>; space: number };
    const name = tagged[TAG];
    if (name === undefined) {
      memo.set(v, v);
      for (const key of Object.keys(v)) (v as Record<string, unknown>)[key] = walk((v as Record<string, unknown>)[key]);
      return v;
    }
    const instance = Object.create(CLASSES[name]);
    memo.set(v, instance);
    for (const key of Object.keys(tagged.props)) instance[key] = walk(tagged.props[key]);
    if (tagged.space >= 0) spaces[tagged.space] = instance;
    return instance;
  };
  return { value: walk(value), spaces };
}

// ---- Worker side -------------------------------------------------------------

/** The proxy worker's platform: it is handed its module and starts no workers of its own. */
const proxyWorkerPlatform: Platform = {
  runtime: detectRuntime(),
  loadWasm: () => Promise.reject(new Error("numlane: the proxy worker is handed its module")),
  cores: () => 1,
  canBlock: false,
};

/** The proxy worker's side: one one-thread single-build context, running the calls it is sent. */
export function createProxyApi(): ProxyApi {
  let nl: Numlane | undefined;
  return {
    async setup(wasm) {
      const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
      nl = await initWith(proxyWorkerPlatform, { wasm: module, threads: 1, build: "single" });
      return module;
    },
    async call(method, packedArgs, callbacks, relay) {
      const { value, spaces } = unpack(packedArgs);
      const args = value as unknown[];
      // Callbacks travel on their own channel: the reply waits until the page
      // has heard them all, so it never hears one after the result.
      const relayed: Promise<unknown>[] = [];
      if (relay && callbacks.length) {
        const at = LONG_CALLS[method];
        const opts = { ...(args[at] as object) } as Record<string, unknown>;
        for (const name of callbacks) opts[name] = (arg: unknown) => void relayed.push(Promise.resolve(relay(name, arg)));
        args[at] = opts;
      }
      try {
        const run = nl![method] as (...a: unknown[]) => Promise<unknown>;
        const result = pack(await run.apply(nl, args), false);
        await Promise.all(relayed);
        const state = pack(spaces.map((s) => ({ ...s })), false);
        return Comlink.transfer({ result: result.value, spaces: state.value as unknown[] }, [...result.buffers, ...state.buffers]);
      } catch (e) {
        await Promise.allSettled(relayed);
        const err = e as NumlaneError;
        return { error: { name: err?.name ?? "Error", message: err?.message ?? String(e), code: err?.code, argument: err?.argument } };
      } finally {
        (relay as Remote<unknown> | undefined)?.[Comlink.releaseProxy]();
      }
    },
    crash() {
      setTimeout(() => { throw new Error("numlane: proxy worker crash (test)"); });
    },
  };
}

// ---- Page side ---------------------------------------------------------------

function errorFrom(e: Extract<Reply, { error: unknown }>["error"]): Error {
  if (e.name === "NumlaneError" && e.code) {
    const err = new NumlaneError(e.code, e.message, undefined);
    return Object.assign(err, { argument: e.argument });
  }
  const Type = ({ TypeError, RangeError } as Record<string, ErrorConstructor>)[e.name] ?? Error;
  const err = new Type(e.message);
  err.name = e.name;
  return err;
}

const closedError = () => new NumlaneError("closed", "this numlane context was closed");
const workerDied = (e: unknown) => new NumlaneError("worker-died", `the worker running long calls failed: ${(e as Error)?.message ?? String(e)}`);

type Started = ProxyWorkerHandle & { ready: Promise<void> };

/** The page's side: queues long calls for the proxy worker, relays callbacks, aborts by replacing the worker. */
class LongCallProxy {
  private worker: Started;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Rejections of the calls waiting or running, for close(). */
  private readonly pending = new Set<(e: unknown) => void>();

  constructor(private readonly start: () => ProxyWorkerHandle, private wasm: WebAssembly.Module | ArrayBuffer) {
    this.worker = this.launch();
  }

  /** Resolves once the first worker is set up; rejects if it cannot start. */
  get ready(): Promise<void> {
    return this.worker.ready;
  }

  private launch(): Started {
    let w: ProxyWorkerHandle;
    try {
      w = this.start();
    } catch (e) { // e.g. a SecurityError from new Worker(): calls then run on the page
      const failed = Promise.reject(e) as Promise<never>;
      failed.catch(() => {});
      return { api: undefined as never, failed, terminate: () => {}, ready: failed };
    }
    const ready = Promise.race([w.api.setup(this.wasm), w.failed]).then((module) => { this.wasm = module; });
    ready.catch(() => { /* reported by the call that awaits it */ });
    const started = { ...w, ready };
    // A worker that crashes once running (idle, or under a call, which then
    // rejects) is replaced, so the next call finds a live one.
    ready.then(() => w.failed.catch(() => this.replace(started)), () => {});
    return started;
  }

  /** Tests only: makes the current worker crash. */
  async crashWorker(): Promise<void> {
    await this.worker.ready;
    await this.worker.api.crash();
  }

  /** Ends `w` (a call on it was aborted, or it failed) and starts its successor. */
  private replace(w: Started): void {
    w.terminate();
    if (this.worker === w && !this.closed) this.worker = this.launch();
  }

  /**
   * Runs a long call on the worker; `here` runs it on the page's thread
   * instead, for arguments that cannot be copied there (a detached array, a
   * function where data belongs: the page's own validation then reports them)
   * or when no worker could be started again after a failure.
   */
  async call(method: LongCall, args: unknown[], here: () => Promise<unknown>): Promise<unknown> {
    if (this.closed) throw closedError();
    const at = LONG_CALLS[method];
    const opts = args[at];
    let signal: AbortSignal | undefined;
    const callbacks: Record<string, (arg: unknown) => unknown> = {};
    const sent = args.slice();
    if (opts !== null && typeof opts === "object" && !Array.isArray(opts)) {
      const rest: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(opts)) {
        // The signal stays here (an abort ends the worker); callbacks (onProgress, …) are relayed;
        // anything else, a signal of the wrong type included, goes along for the worker's validation.
        if (key === "signal" && value instanceof AbortSignal) signal = value;
        else if (typeof value === "function") callbacks[key] = value as (arg: unknown) => unknown;
        else rest[key] = value;
      }
      sent[at] = rest;
    }
    if (signal?.aborted) throw abortError(signal);
    let packed: Packed;
    try {
      packed = pack(sent, true); // copied now: later changes to the inputs do not reach a queued call
    } catch {
      return here();
    }

    // One call at a time: an abort terminates the worker, so it must be running only the aborted call.
    const previous = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.tail = Promise.all([previous, mine]);
    let reject!: (e: unknown) => void;
    const stopped = new Promise<never>((_, r) => (reject = r));
    stopped.catch(() => { /* raced below; may also come while the call runs on the page */ });
    const onAbort = () => reject(abortError(signal));
    signal?.addEventListener("abort", onAbort);
    this.pending.add(reject);
    try {
      await Promise.race([previous, stopped]);
      const w = this.worker;
      try {
        await Promise.race([w.ready, stopped]);
      } catch (e) {
        if (this.closed || signal?.aborted) throw e;
        return await here(); // no worker could be started again
      }
      const names = Object.keys(callbacks);
      const relay = names.length ? Comlink.proxy((name: string, arg: unknown) => {
        try { callbacks[name](arg); } catch (e) { reject(e); } // a throwing callback fails its call, as on the page
      }) : undefined;
      let reply: Reply;
      try {
        reply = await Promise.race([
          w.api.call(method, Comlink.transfer(packed.value as unknown[], packed.buffers), names, relay),
          stopped,
          w.failed.catch((e) => Promise.reject(workerDied(e))),
        ]);
      } catch (e) {
        if ((e as Error)?.name === "DataCloneError") return await here(); // nothing reached the worker
        // The worker crashed, or the call was given up (aborted, closed, a
        // throwing callback) while its kernel still runs there: replace it.
        this.replace(w);
        throw e;
      }
      if ("error" in reply) throw errorFrom(reply.error);
      const result = unpack(reply.result).value;
      const state = unpack(reply.spaces).value as Record<string, unknown>[];
      packed.spaces.forEach((space, i) => Object.assign(space, state[i]));
      return result;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.pending.delete(reject);
      release();
    }
  }

  /** Rejects the calls waiting or running with `closed` and ends the worker. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const reject of this.pending) reject(closedError());
    this.worker.terminate();
  }
}

/**
 * Sends nl's long calls to a proxy worker made by `start`, running `wasm`
 * (the module of nl's single build, or its bytes). If no worker starts (a
 * Content-Security-Policy refusing blob: workers), nl keeps running them on
 * the calling thread and info.reason says so.
 */
export async function proxyLongCalls(nl: Numlane, start: () => ProxyWorkerHandle, wasm: WebAssembly.Module | ArrayBuffer): Promise<void> {
  let proxy: LongCallProxy | undefined;
  try {
    proxy = new LongCallProxy(start, wasm);
    await proxy.ready;
  } catch (e) {
    proxy?.close();
    const why = `a worker for long calls could not start (${(e as Error)?.message ?? String(e)}): they run on the page's thread and block it`;
    nl.info.reason = nl.info.reason ? `${nl.info.reason}; ${why}` : why;
    return;
  }
  const running = proxy;
  for (const method of Object.keys(LONG_CALLS) as LongCall[]) {
    const here = (nl[method] as (...a: unknown[]) => Promise<unknown>).bind(nl);
    (nl as unknown as Record<LongCall, unknown>)[method] = (...args: unknown[]) => running.call(method, args, () => here(...args));
  }
  const close = nl.close.bind(nl);
  nl.close = async () => {
    running.close();
    await close();
  };
  nl.info.workers = 1;
  nl.info.proxy = true;
  // Tests only (as Pool.killWorker): nl.longCalls.crashWorker().
  Object.defineProperty(nl, "longCalls", { value: running });
}
