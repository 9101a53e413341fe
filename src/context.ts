// init() and the context it returns: picks the build and thread count,
// instantiates the wasm over one memory, starts the pool, and exposes the
// families. Runtime specifics come in through a Platform (runtime/*.ts).
import { Blas } from "./blas.js";
import { Softmax, type SoftmaxAlgorithm, type SoftmaxOptions } from "./softmax.js";
import { Krylov, RecycleSpace, type CgOptions, type CgResult, type GmresOptions, type GmresResult, type RecycleOptions, type LinearSystem, type SequenceOptions, type SequenceOrderOptions, type SequenceResult, type SolverMatrix } from "./krylov.js";
import type { CsrMatrix, DenseMatrix, MatrixLike } from "./matrix.js";
import { holding, prepareMatrix, type PreparedMatrix } from "./operator.js";
import { Bcd, type BcdResult, type LassoOptions, type LassoPathOptions, type LassoPathResult, type LassoResult, type LogisticOptions, type LogisticResult } from "./bcd.js";
import type { BcdOptions, BcdProblem } from "./bcd/generic.js";
import { Sketch, type LeverageOptions, type LstsqOptions, type LstsqResult, type QrResult, type SketchOptions } from "./sketch.js";
import { Engine, MAX_THREADS, type CallOptions } from "./engine.js";
import { NumlaneError } from "./errors.js";
import { Pool, type WorkerHandle } from "./pool/pool.js";
import { detectFeatures, type RuntimeName } from "./runtime/features.js";
import { Heap, MAXIMUM_BYTES, MAXIMUM_PAGES, type TypedArrayType } from "./runtime/heap.js";
import { checkOptions, integer, type OptionKeys } from "./validate.js";
import { problems, type Problems } from "./problems.js";
import { generate, type GenerateOptions, type GenerateResult } from "./generate.js";

export type Build = "threads" | "single" | "relaxed";
/** The wasm files: the builds, and relaxed-single (the relaxed build without threads, for Engine.local). */
export type WasmBuild = Build | "relaxed-single";
export type WasmSource = WebAssembly.Module | URL | string | ArrayBuffer | ArrayBufferView;

/** How one runtime finds the wasm, starts workers and counts cores. */
export interface Platform {
  runtime: RuntimeName;
  /** Compiles numlane's own wasm for `build`. */
  loadWasm(build: WasmBuild): Promise<WebAssembly.Module>;
  /** Compiles wasm from a URL or path the caller gave. */
  loadWasmFrom?(source: URL | string): Promise<WebAssembly.Module>;
  cores(): number;
  /** Starts pool worker `index`; absent where the runtime has no workers. */
  startWorker?(index: number): WorkerHandle;
  /** The caller may block on Atomics.wait (not on a browser's main thread). */
  canBlock: boolean;
  /**
   * A fresh ArrayBuffer of `bytes` whose contents need not be zeroed, for
   * results the caller overwrites whole before returning them (Node: an
   * unpooled Buffer's memory), which saves zeroing what the copy overwrites
   * (figures: bench/results/host-notes.md).
   */
  newUninitializedBuffer?(bytes: number): ArrayBuffer;
}

export interface InitOptions {
  /** Threads for the pool: a number, or "auto" (default) for the cores available. */
  threads?: number | "auto";
  /** numlane's wasm as a Module, URL, path or bytes; by default the runtime finds it. */
  wasm?: WasmSource;
  /**
   * Force a build; by default "threads" where shared memory exists, else
   * "single". "relaxed" (opt-in) is the threads build with relaxed SIMD:
   * fused multiply-adds make the exps faster, and results, equally
   * accurate, differ in the last bits from the other builds (which agree bit
   * for bit with each other). Where the engine lacks relaxed SIMD (Node 20
   * without --experimental-wasm-relaxed-simd) the threads build runs, and
   * info.reason says so.
   */
  build?: Build;
}
const INIT_KEYS: OptionKeys<InitOptions> = { threads: true, wasm: true, build: true };

export interface Info {
  threads: number;
  simd: boolean;
  relaxedSimd: boolean;
  sharedMemory: boolean;
  runtime: RuntimeName;
  build: Build;
  /** Why fewer threads than asked for (or than cores) are used, if so. */
  reason?: string;
  /** The most wasm memory problems may use, in bytes. */
  memoryLimit: number;
  /**
   * Pool workers started. Long calls (solvers) run on them, so they can be
   * aborted mid-way and never block the caller; with none they run on the
   * calling thread.
   */
  workers: number;
  /**
   * Browsers without pool workers (no cross-origin isolation, or the single
   * build forced): the one worker is a proxy that runs long calls on copies
   * of their inputs, one at a time, reporting progress when each kernel ends;
   * an abort terminates it and a fresh one takes the next call.
   */
  proxy?: boolean;
}

const BUILDS: readonly string[] = ["threads", "single", "relaxed"];
const INITIAL_PAGES = 64;   // 4 MiB: small start, grown on demand
const ALLOC_TYPES: readonly unknown[] = [Float64Array, Float32Array, Int32Array];

export class Numlane {
  /** Level-1/2 BLAS and CSR SpMV. */
  readonly blas: Blas;
  /** @internal */
  readonly engine: Engine;

  /** @internal init() makes contexts. */
  constructor(readonly info: Info, engine: Engine) {
    this.engine = engine;
    this.blas = new Blas(engine);
    this.softmaxFamily = new Softmax(engine);
    this.krylov = new Krylov(engine);
    this.bcdFamily = new Bcd(engine);
    this.sketchFamily = new Sketch(engine);
  }

  private readonly sketchFamily: Sketch;

  /** A sketch S·A on its own (sparse sign, CountSketch, Gaussian, SRHT or leverage sampling), reproducible from its seed. */
  sketch(A: CsrMatrix | DenseMatrix | number[][], opts: SketchOptions): Promise<DenseMatrix> {
    return this.sketchFamily.sketch(A, opts);
  }

  /** The R factor of a Householder QR of a tall A (blocked, compact WY, from 64 columns). */
  qr(A: CsrMatrix | DenseMatrix | number[][], opts?: CallOptions): Promise<QrResult> {
    return this.sketchFamily.qr(A, opts);
  }

  /** Approximate statistical leverage scores of A's rows (from a fast sketch and R⁻¹, as Drineas et al.). */
  leverageScores(A: CsrMatrix | DenseMatrix | number[][], opts?: LeverageOptions): Promise<Float64Array> {
    return this.sketchFamily.leverageScores(A, opts);
  }

  /** Least squares min ‖A·x − b‖ (A tall): Householder QR, or sketched (sketch-and-solve, sketch-and-precondition + LSQR, iterative sketching). */
  lstsq(A: CsrMatrix | DenseMatrix | number[][], b: Float64Array, opts?: LstsqOptions): Promise<LstsqResult> {
    return this.sketchFamily.lstsq(A, b, opts);
  }

  private readonly bcdFamily: Bcd;

  /** Block coordinate descent on least squares, logistic or softmax losses with l1/l2/x ≥ 0 penalties: partitions, greedy rules, Newton updates. */
  bcd(problem: BcdProblem, opts?: BcdOptions): Promise<BcdResult> {
    return this.bcdFamily.bcd(problem, opts);
  }

  /** Lasso / elastic net (scikit-learn's ElasticNet objective, with an intercept by default) by coordinate descent with a duality-gap stop. */
  lasso(A: CsrMatrix | DenseMatrix | number[][], b: Float64Array, opts: LassoOptions): Promise<LassoResult> {
    return this.bcdFamily.lasso(A, b, opts);
  }

  /** Logistic regression, binary (labels −1/1) or multinomial, L2 (L-BFGS or trust-region Newton) or L1 (newGLMNET), with intercepts and sample weights. */
  logisticRegression(A: CsrMatrix | DenseMatrix | number[][], y: Float64Array | Int32Array | number[], opts?: LogisticOptions): Promise<LogisticResult> {
    return this.bcdFamily.logisticRegression(A, y, opts);
  }

  /** The lasso along a decreasing sequence of λ, warm-started (scikit-learn's lasso_path). */
  lassoPath(A: CsrMatrix | DenseMatrix | number[][], b: Float64Array, opts?: LassoPathOptions): Promise<LassoPathResult> {
    return this.bcdFamily.lassoPath(A, b, opts);
  }

  private readonly krylov: Krylov;

  /** Conjugate gradients for A·x = b, A symmetric positive definite; the solve runs inside wasm. */
  cg(A: SolverMatrix, b: Float64Array, opts?: CgOptions): Promise<CgResult> {
    return holding([{ matrix: A, name: "A" }], () => this.krylov.cg(A, b, opts));
  }

  /** Restarted GMRES for a general (nonsymmetric) square system; the solve runs inside wasm. */
  gmres(A: SolverMatrix, b: Float64Array, opts?: GmresOptions): Promise<GmresResult> {
    return holding([{ matrix: A, name: "A" }], () => this.krylov.gmres(A, b, opts));
  }

  /** Solves related SPD systems in similarity order, recycling a Krylov subspace between them. */
  solveSequence(systems: LinearSystem[], opts?: SequenceOptions): Promise<SequenceResult> {
    const matrices = Array.isArray(systems) ? systems.map((sys, i) => ({ matrix: sys?.A, name: `systems[${i}].A` })) : [];
    return holding(matrices, () => this.krylov.solveSequence(systems, opts));
  }

  /**
   * A sparse matrix prepared for repeated solves and products: checked, its
   * symmetry measured, and copied into wasm memory once (a copy: later
   * changes to A's arrays change nothing). Pass it to cg, gmres,
   * solveSequence or blas.spmv; free() it when done.
   */
  prepare(A: MatrixLike): PreparedMatrix {
    return prepareMatrix(this.engine.heap, A);
  }

  /** The order solveSequence solves `systems` in (a permutation of their indices): similar systems next to each other. */
  sequenceOrder(systems: LinearSystem[], opts?: SequenceOrderOptions): number[] {
    return this.krylov.sequenceOrder(systems, opts);
  }

  /** A recycle space to pass as `recycle` to successive cg() calls on related systems. */
  recycleSpace(opts: RecycleOptions): RecycleSpace {
    return new RecycleSpace(opts);
  }

  private readonly softmaxFamily: Softmax;

  /** Softmax of one row or each row of a rows × cols row-major batch. */
  softmax<T extends Float32Array | Float64Array>(x: T, opts?: SoftmaxOptions): Promise<T> {
    return this.softmaxFamily.softmax(x, opts);
  }

  /** The algorithm and thread count nl.softmax would use for `x` with `opts` (what "auto" picks). */
  softmaxPlan(x: Float32Array | Float64Array, opts?: SoftmaxOptions): { algorithm: Exclude<SoftmaxAlgorithm, "auto">; threads: number } {
    return this.softmaxFamily.plan(x, opts);
  }

  /** Log-softmax, likewise. */
  logSoftmax<T extends Float32Array | Float64Array>(x: T, opts?: SoftmaxOptions): Promise<T> {
    return this.softmaxFamily.logSoftmax(x, opts);
  }

  /**
   * A typed array living in wasm memory: pass it to any method and no copy is
   * made. With the "threads" build it stays valid until freed; with "single"
   * memory growth detaches it (as for any non-shared wasm memory), so
   * allocate what you need up front there. Free it with nl.free().
   */
  alloc(length: number): Float64Array;
  alloc<T extends Float64Array | Float32Array | Int32Array>(length: number, type: TypedArrayType<T>): T;
  alloc(length: number, type: unknown = Float64Array): Float64Array | Float32Array | Int32Array {
    integer("length", length, 0);
    if (!ALLOC_TYPES.includes(type as TypedArrayType<Float64Array>)) {
      throw new NumlaneError("invalid-type", "expected Float64Array, Float32Array or Int32Array (the constructor)", "type");
    }
    return this.engine.heap.allocView(type as TypedArrayType<Float64Array>, length);
  }

  /**
   * Returns an array from alloc() to the heap. Only that exact array, once:
   * a freed array, a sub-array or another context's is refused.
   */
  free(view: Float64Array | Float32Array | Int32Array): void {
    this.engine.heap.freeView(view);
  }

  /** Seeded problem families (Poisson, Darcy, Helmholtz, convection–diffusion, heat): sequences of systems sharing one pattern, with features. */
  readonly problems: Problems = problems;

  /** A dataset: a problem family solved as one sequence (solveSequence), inputs and solutions as C-order arrays, and meta. */
  generate(opts: GenerateOptions): Promise<GenerateResult> {
    return generate(this, opts);
  }

  /** Ends the workers; afterwards a Node process can exit on its own. */
  async close(): Promise<void> {
    await this.engine.close();
  }
}

async function compile(platform: Platform, build: Build, source?: WasmSource): Promise<WebAssembly.Module> {
  if (source === undefined) return platform.loadWasm(build);
  const module = await compileGiven(platform, source);
  checkNumlaneModule(module);
  return module;
}

async function compileGiven(platform: Platform, source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof URL || typeof source === "string") {
    let bytes: ArrayBuffer;
    try {
      if (platform.loadWasmFrom) return await platform.loadWasmFrom(source);
      const res = await fetch(source);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      bytes = await res.arrayBuffer();
    } catch (e) {
      if (e instanceof WebAssembly.CompileError) throw notWasm(e);
      throw new NumlaneError("wasm-not-found", `${String(source)} could not be read: ${(e as Error).message}`, "wasm");
    }
    return compileBytes(bytes);
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return compileBytes(source as BufferSource);
  throw new NumlaneError("invalid-type", "expected a WebAssembly.Module, URL, path or bytes", "wasm");
}

const notWasm = (e: Error) => new NumlaneError("invalid-value", `is not a valid wasm module (${e.message})`, "wasm");

async function compileBytes(bytes: BufferSource): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    // Edge runtimes forbid run-time compilation ("Wasm code generation disallowed
    // by embedder"; workerd raises it as a CompileError, so this comes first).
    if (!/disallowed|not allowed/i.test((e as Error).message)) throw e instanceof WebAssembly.CompileError ? notWasm(e) : e;
    throw new NumlaneError("unsupported", `this runtime refuses to compile wasm at run time (${(e as Error).message}); pass an imported WebAssembly.Module, or use numlane's edge entry`, "wasm");
  }
}

/**
 * A module given to init must be one of numlane's builds: it imports only
 * env.memory and exports heap_base (where the host's heap starts).
 */
function checkNumlaneModule(module: WebAssembly.Module): void {
  const imports = WebAssembly.Module.imports(module);
  const foreign = imports.find((i) => i.module !== "env" || i.name !== "memory" || i.kind !== "memory");
  if (foreign || imports.length !== 1) {
    const what = foreign ? `imports ${foreign.module}.${foreign.name} (a ${foreign.kind})` : "does not import env.memory";
    throw new NumlaneError("invalid-value", `is not one of numlane's wasm builds: it ${what}`, "wasm");
  }
  if (!WebAssembly.Module.exports(module).some((e) => e.name === "heap_base" && e.kind === "function")) {
    throw new NumlaneError("invalid-value", "is not one of numlane's wasm builds: it does not export heap_base", "wasm");
  }
}

export async function initWith(platform: Platform, opts: InitOptions = {}): Promise<Numlane> {
  checkOptions("opts", opts, INIT_KEYS, "");
  const features = detectFeatures();
  if (!features.simd) {
    throw new NumlaneError("unsupported", "this JavaScript engine lacks WebAssembly SIMD (128-bit), which numlane requires; Node ≥ 16.4, Deno, Bun, Chrome ≥ 91, Firefox ≥ 89 and Safari ≥ 16.4 have it");
  }
  const cores = platform.cores();
  const asked = opts.threads === undefined || opts.threads === "auto" ? Math.min(cores, MAX_THREADS) : integer("threads", opts.threads, 1, MAX_THREADS);
  // Every reason the context runs with less than the threads build on the
  // cores asked for goes into info.reason, whether or not it changed the count.
  const reasons: string[] = [];
  if (typeof opts.threads !== "number" && cores > MAX_THREADS) reasons.push(`"auto" takes at most ${MAX_THREADS} threads (numlane's limit), of ${cores} cores`);
  if (!features.sharedMemory) reasons.push(features.sharedMemoryReason ?? "no shared memory");
  if (!platform.startWorker) reasons.push(`${platform.runtime} offers no workers: numlane runs on the calling thread`);
  if (opts.build !== undefined && !BUILDS.includes(opts.build)) {
    throw new NumlaneError("invalid-value", `expected "threads", "single" or "relaxed", got ${JSON.stringify(opts.build)}`, "build");
  }
  let build: Build = opts.build ?? (features.sharedMemory && platform.startWorker ? "threads" : "single");
  if (build === "relaxed" && !features.relaxedSimd) {
    reasons.push("this engine lacks relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; Deno, Bun and Chromium have it): the threads build runs instead");
    build = "threads";
  }
  if (build !== "single" && !features.sharedMemory) build = "single";
  let threads = asked;
  if (threads > 1 && (build === "single" || !platform.startWorker)) {
    if (!reasons.length) reasons.push("the single build runs on one thread");
    threads = 1;
  }
  let module = await compile(platform, build, opts.wasm);
  const makeMemory = (shared: boolean) =>
    new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared } as WebAssembly.MemoryDescriptor);
  let memory = makeMemory(build !== "single");
  let instance: WebAssembly.Instance;
  // A module the caller gave that numlane's memory does not fit is named as the culprit.
  const instantiate = async () => {
    try {
      return await WebAssembly.instantiate(module, { env: { memory } });
    } catch (e) {
      if (opts.wasm === undefined || !(e instanceof WebAssembly.LinkError)) throw e;
      throw new NumlaneError("invalid-value", `does not link with numlane's ${build} memory: ${e.message}`, "wasm");
    }
  };
  try {
    instance = await instantiate();
  } catch (e) {
    if (!(e instanceof NumlaneError) || build === "single") throw e;
    // A caller-supplied module that wants unshared memory is the single build.
    reasons.push("the wasm given is the single build");
    build = "single";
    threads = 1;
    memory = makeMemory(false);
    instance = await instantiate();
  }
  const heapBase = (instance.exports.heap_base as () => number)();
  const heap = new Heap(memory, heapBase, MAXIMUM_PAGES);
  const workers: WorkerHandle[] = [];
  // A caller that may not block (a page's main thread) gets one worker even
  // for one thread, so long calls leave it free and can be aborted.
  const count = threads > 1 ? threads : build !== "single" && !platform.canBlock && platform.startWorker ? 1 : 0;
  let pool: Pool;
  try {
    for (let i = 0; i < count; i++) workers.push(platform.startWorker!(i));
    pool = await Pool.create(module, instance, heap, workers, platform.canBlock, (i) => platform.startWorker!(i));
  } catch (e) {
    if (count === 0) throw e;
    // Workers refused (a page's CSP, a sandbox): numlane still works, on the calling thread.
    await Promise.allSettled(workers.map((w) => w.terminate()));
    workers.length = 0;
    reasons.push(`workers could not start (${(e as Error).message}): numlane runs on the calling thread`);
    threads = 1;
    pool = await Pool.create(module, instance, heap, workers, platform.canBlock);
  }
  const info: Info = {
    threads,
    simd: features.simd,
    relaxedSimd: features.relaxedSimd,
    sharedMemory: features.sharedMemory,
    runtime: platform.runtime,
    build,
    memoryLimit: MAXIMUM_BYTES,
    workers: workers.length,
  };
  if (reasons.length) info.reason = reasons.join("; ");
  const engine = new Engine(heap, pool, threads, platform.newUninitializedBuffer);
  // The private instance runs the same kernels unshared: the single build, or
  // relaxed-single for "relaxed" (so results keep their bits either way).
  if (build !== "single" && opts.wasm === undefined) {
    engine.startLocal(async () => {
      const single = await platform.loadWasm(build === "relaxed" ? "relaxed-single" : "single");
      const localMemory = makeMemory(false);
      const local = await WebAssembly.instantiate(single, { env: { memory: localMemory } });
      const localHeap = new Heap(localMemory, (local.exports.heap_base as () => number)(), MAXIMUM_PAGES);
      return Pool.create(single, local, localHeap, [], platform.canBlock);
    });
  }
  return new Numlane(info, engine);
}
