// What every entry (index.ts for Node, entries/* for the others) exports
// besides init(): types and helpers that need no context. Add new ones here,
// and to test/surface.test.ts's list. Only the public API: the engine, pool,
// heap, launch protocol and kernel descriptors stay internal (members a public
// class needs but callers must not see carry the JSDoc tag "internal", which
// tsconfig's stripInternal drops from the published types; this comment must
// not spell the tag, or the export below it would be dropped too).
export { NumlaneError, type NumlaneErrorCode } from "./errors.js";
export { DenseMatrix, CsrMatrix, type Layout, type MatrixLike } from "./matrix.js";
export { readMatrixMarket, writeMatrixMarket } from "./io/matrix-market.js";
export { readCsv, readRegressionCsv, type Csv } from "./io/csv.js";
export type { Numlane, InitOptions, Info, Build, WasmSource } from "./context.js";
export type { Blas, StrideOptions, UpdateOptions, GemvOptions, GemmOptions, Triangle, SyrkOptions, TrsmOptions, TriadOptions } from "./blas.js";
export type { RuntimeName } from "./runtime/features.js";
export type { TypedArrayType } from "./runtime/heap.js";
export type { FloatArray } from "./validate.js";
export type { RecyclingVerdict } from "./recycle-policy.js";
export { MAX_THREADS, type CallOptions } from "./engine.js";
export type { SoftmaxOptions, SoftmaxAlgorithm } from "./softmax.js";
export { RecycleSpace } from "./krylov.js";
export { PreparedMatrix } from "./operator.js";
export type { BcdOptions, BcdProblem, BcdPenalty, BcdLoss, BcdPartition, BcdRule, BcdUpdate } from "./bcd/generic.js";
export type { BcdResult, BcdReason, LassoOptions, LassoPathOptions, LassoPathResult, LassoResult, LogisticOptions, LogisticReason, LogisticResult } from "./bcd.js";
export type { CgOptions, CgResult, CgReason, GmresOptions, GmresResult, GmresReason, Preconditioner, RecycleOptions, LinearSystem, SequenceOptions, SequenceOrderOptions, SequenceResult, SolverMatrix } from "./krylov.js";
export type { LeverageOptions, LstsqMethod, LstsqOptions, LstsqReason, LstsqResult, QrResult, SketchKind, SketchOptions } from "./sketch.js";
export type { Progress } from "./pool/pool.js";
export { problems, PROBLEM_FAMILIES, type Problems, type ProblemFamily, type ProblemSet, type ProblemSystem, type PoissonOptions, type DarcyOptions, type HelmholtzOptions, type ConvectionDiffusionOptions, type HeatOptions, type FieldOptions } from "./problems.js";
export { generate, type GenerateOptions, type GenerateResult, type GenerateProgress, type SolvedSystem, type DatasetMeta, type Dtype } from "./generate.js";
export { encodeNpy } from "./io/npy.js";
