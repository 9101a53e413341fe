// The bad-input table: every public method, fed each kind of bad input that
// applies to it, must reject with a NumlaneError naming the argument (exact
// code and argument path), leave every input byte for byte as it was, and
// leave the context answering right afterwards. Run on a threads: 2 context
// and again on a threads: 1 one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { uniform } from "./helpers.js";

/** The kinds of bad input counted per method in the summary. */
type Kind =
  | "wrong type" | "Float32Array for Float64Array" | "NaN entry" | "Infinity entry" | "wrong length or shape"
  | "negative size" | "non-integer size" | "out-of-range option" | "unknown option key" | "options null"
  | "options not an object" | "null option value" | "signal {}" | "onProgress 5" | "detached buffer" | "empty" | "bad labels" | "missing required";

interface Case {
  method: string;
  kind: Kind;
  run: (nl: Numlane) => unknown;
  code: string;
  argument: string;
}

/** A Float64Array (or other type) whose buffer has been transferred away. */
function detached<T extends ArrayBufferView>(a: T): T {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
  return a;
}
const withEntry = (a: Float64Array, i: number, v: number) => { const c = a.slice(); c[i] = v; return c; };

// Fixtures: every typed array a case passes in (bad ones included) lives
// here, so the byte-for-byte check covers all of them.
const spdRows = [[4, -1, 0, 0], [-1, 4, -1, 0], [0, -1, 4, -1], [0, 0, -1, 4]];
const A = DenseMatrix.from(spdRows);
const Acsr = CsrMatrix.fromDense(A);
const Anan = new DenseMatrix(4, 4, withEntry(A.data, 5, NaN));
const Ainf = new DenseMatrix(4, 4, withEntry(A.data, 0, Infinity));
const Aasym = new DenseMatrix(4, 4, withEntry(A.data, 1, 3));
const wide = new DenseMatrix(2, 3, uniform(6, 11));
const empty = new DenseMatrix(0, 0, new Float64Array(0));
const emptyTall = new DenseMatrix(5, 0, new Float64Array(0));
const tall = new DenseMatrix(24, 3, uniform(72, 12));
const tallNan = new DenseMatrix(24, 3, withEntry(tall.data, 7, NaN));
const tallInf = new DenseMatrix(24, 3, withEntry(tall.data, 8, -Infinity));
const fx = {
  x: uniform(6, 1), y: uniform(6, 2), y5: uniform(5, 3), x32: new Float32Array(6), x12: uniform(12, 4),
  b: uniform(4, 5), b3: uniform(3, 6), b32: new Float32Array(4), bNan: withEntry(uniform(4, 5), 2, NaN), bInf: withEntry(uniform(4, 5), 1, Infinity),
  bt: uniform(24, 7), bt23: uniform(23, 7), bt32: new Float32Array(24), btNan: withEntry(uniform(24, 7), 3, NaN), btInf: withEntry(uniform(24, 7), 0, Infinity),
  labels: Float64Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 1 : -1)),
  labelsI: Int32Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 1 : -1)),
  labels01: Float64Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
  labels32: new Float32Array(24).fill(1),
  labelsShort: new Int32Array(23).fill(1),
  classes: Int32Array.from({ length: 24 }, (_, i) => i % 3),
  path: CsrMatrix.fromCoo(4, 4, [0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2], [1, 1, 2, 2, 1, 1]),
  pathLabels: Float64Array.of(1, 0, 0, -1), pathLabelled: Uint8Array.of(1, 0, 0, 1),
  s32: new Float32Array(12), s64: uniform(12, 8), s64b: uniform(11, 8),
  A, Acsr, Anan, Ainf, Aasym, wide, empty, emptyTall, tall, tallNan, tallInf,
};

/** Byte copies of every typed array in the fixtures (matrices' arrays included). */
function snapshot(): Map<ArrayBufferView, Uint8Array> {
  const out = new Map<ArrayBufferView, Uint8Array>();
  const visit = (v: unknown) => {
    if (ArrayBuffer.isView(v)) out.set(v, new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice());
    else if (v instanceof DenseMatrix) visit(v.data);
    else if (v instanceof CsrMatrix) [v.indptr, v.indices, v.data].forEach(visit);
  };
  Object.values(fx).forEach(visit);
  return out;
}
const changedArrays = (before: Map<ArrayBufferView, Uint8Array>) =>
  [...before].filter(([v, bytes]) => {
    const now = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    return now.length !== bytes.length || now.some((b, i) => b !== bytes[i]);
  }).length;

/** Cases every method with an options argument shares; `call` passes its options. */
function optionCases(method: string, call: (nl: Numlane, opts: unknown) => unknown, unknownKey: string, base: object = {}): Case[] {
  return [
    { method, kind: "unknown option key", run: (nl) => call(nl, { ...base, [unknownKey]: 1 }), code: "invalid-value", argument: `opts.${unknownKey}` },
    { method, kind: "options null", run: (nl) => call(nl, null), code: "invalid-type", argument: "opts" },
    { method, kind: "options not an object", run: (nl) => call(nl, "fast"), code: "invalid-type", argument: "opts" },
    { method, kind: "signal {}", run: (nl) => call(nl, { ...base, signal: {} }), code: "invalid-type", argument: "opts.signal" },
    { method, kind: "null option value", run: (nl) => call(nl, { ...base, signal: null }), code: "invalid-type", argument: "opts.signal" },
    { method, kind: "onProgress 5", run: (nl) => call(nl, { ...base, onProgress: 5 }), code: "invalid-type", argument: "opts.onProgress" },
    { method, kind: "out-of-range option", run: (nl) => call(nl, { ...base, threads: 0 }), code: "invalid-size", argument: "opts.threads" },
  ];
}

const any = (v: unknown) => v as never;
const cases: Case[] = [];
const add = (method: string, list: [Kind, (nl: Numlane) => unknown, string, string][]) =>
  list.forEach(([kind, run, code, argument]) => cases.push({ method, kind, run, code, argument }));

// ---- nl.blas ----
add("blas.dot", [
  ["wrong type", (nl) => nl.blas.dot(any([1, 2]), fx.y), "invalid-type", "x"],
  ["wrong type", (nl) => nl.blas.dot(fx.x, any("abc")), "invalid-type", "y"],
  ["Float32Array for Float64Array", (nl) => nl.blas.dot(any(fx.x32), fx.y), "invalid-type", "x"],
  ["detached buffer", (nl) => nl.blas.dot(detached(uniform(6, 1)), fx.y), "detached", "x"],
  ["wrong length or shape", (nl) => nl.blas.dot(fx.x, fx.y5), "invalid-shape", "y"],
  ["negative size", (nl) => nl.blas.dot(fx.x, fx.y, { n: -1 }), "invalid-size", "opts.n"],
  ["non-integer size", (nl) => nl.blas.dot(fx.x, fx.y, { n: 2.5 }), "invalid-size", "opts.n"],
  ["out-of-range option", (nl) => nl.blas.dot(fx.x, fx.y, { incx: 0 }), "invalid-size", "opts.incx"],
]);
cases.push(...optionCases("blas.dot", (nl, o) => nl.blas.dot(fx.x, fx.y, any(o)), "inc"));
add("blas.nrm2", [
  ["wrong type", (nl) => nl.blas.nrm2(any(null)), "invalid-type", "x"],
  ["Float32Array for Float64Array", (nl) => nl.blas.nrm2(any(fx.x32)), "invalid-type", "x"],
  ["detached buffer", (nl) => nl.blas.nrm2(detached(uniform(6, 1))), "detached", "x"],
  ["wrong length or shape", (nl) => nl.blas.nrm2(fx.x, { n: 4, incx: 2 }), "invalid-shape", "x"],
  ["negative size", (nl) => nl.blas.nrm2(fx.x, { incx: -1 }), "invalid-size", "opts.incx"],
  ["non-integer size", (nl) => nl.blas.nrm2(fx.x, { n: 1.5 }), "invalid-size", "opts.n"],
]);
cases.push(...optionCases("blas.nrm2", (nl, o) => nl.blas.nrm2(fx.x, any(o)), "incy2"));
for (const [method, call] of [
  ["blas.axpy", (nl: Numlane, x: unknown, y: unknown, o?: unknown) => nl.blas.axpy(2, any(x), any(y), any(o))],
  ["blas.copy", (nl: Numlane, x: unknown, y: unknown, o?: unknown) => nl.blas.copy(any(x), any(y), any(o))],
] as const) {
  add(method, [
    ["wrong type", (nl) => call(nl, [1, 2], fx.y), "invalid-type", "x"],
    ["wrong type", (nl) => call(nl, fx.x, new Int32Array(6)), "invalid-type", "y"],
    ["Float32Array for Float64Array", (nl) => call(nl, fx.x, fx.x32), "invalid-type", "y"],
    ["detached buffer", (nl) => call(nl, fx.x, detached(uniform(6, 2))), "detached", "y"],
    ["wrong length or shape", (nl) => call(nl, fx.x, fx.y5), "invalid-shape", "y"],
    ["negative size", (nl) => call(nl, fx.x, fx.y, { n: -2 }), "invalid-size", "opts.n"],
    ["non-integer size", (nl) => call(nl, fx.x, fx.y, { incy: 1.5 }), "invalid-size", "opts.incy"],
    ["out-of-range option", (nl) => call(nl, fx.x, fx.y, { inPlace: "yes" }), "invalid-type", "opts.inPlace"],
  ]);
  cases.push(...optionCases(method, (nl, o) => call(nl, fx.x, fx.y, o), "inplace"));
}
add("blas.axpy", [["wrong type", (nl) => nl.blas.axpy(any("2"), fx.x, fx.y), "invalid-type", "alpha"]]);
add("blas.scal", [
  ["wrong type", (nl) => nl.blas.scal(any(null), fx.x), "invalid-type", "alpha"],
  ["wrong type", (nl) => nl.blas.scal(2, any([1, 2])), "invalid-type", "x"],
  ["Float32Array for Float64Array", (nl) => nl.blas.scal(2, any(fx.x32)), "invalid-type", "x"],
  ["detached buffer", (nl) => nl.blas.scal(2, detached(uniform(6, 1))), "detached", "x"],
  ["wrong length or shape", (nl) => nl.blas.scal(2, fx.x, { n: 7 }), "invalid-shape", "x"],
  ["negative size", (nl) => nl.blas.scal(2, fx.x, { n: -1 }), "invalid-size", "opts.n"],
  ["non-integer size", (nl) => nl.blas.scal(2, fx.x, { incx: 0.5 }), "invalid-size", "opts.incx"],
  ["out-of-range option", (nl) => nl.blas.scal(2, fx.x, { inPlace: 1 as never }), "invalid-type", "opts.inPlace"],
]);
cases.push(...optionCases("blas.scal", (nl, o) => nl.blas.scal(2, fx.x, any(o)), "incX"));
add("blas.triad", [
  ["wrong type", (nl) => nl.blas.triad(any([1]), fx.y, 2), "invalid-type", "b"],
  ["Float32Array for Float64Array", (nl) => nl.blas.triad(fx.x, any(fx.x32), 2), "invalid-type", "c"],
  ["wrong type", (nl) => nl.blas.triad(fx.x, fx.y, any("2")), "invalid-value", "s"],
  ["NaN entry", (nl) => nl.blas.triad(fx.x, fx.y, NaN), "invalid-value", "s"],
  ["Infinity entry", (nl) => nl.blas.triad(fx.x, fx.y, Infinity), "invalid-value", "s"],
  ["detached buffer", (nl) => nl.blas.triad(detached(uniform(6, 1)), fx.y, 2), "detached", "b"],
  ["wrong length or shape", (nl) => nl.blas.triad(fx.x, fx.y5, 2), "invalid-shape", "c"],
  ["wrong length or shape", (nl) => nl.blas.triad(fx.x, fx.y, 2, { out: fx.y5 }), "invalid-shape", "opts.out"],
  ["Float32Array for Float64Array", (nl) => nl.blas.triad(fx.x, fx.y, 2, { out: any(fx.x32) }), "invalid-type", "opts.out"],
  ["wrong type", (nl) => nl.blas.triad(fx.x, fx.y, 2, { out: any(0) }), "invalid-type", "opts.out"],
]);
cases.push(...optionCases("blas.triad", (nl, o) => nl.blas.triad(fx.x, fx.y, 2, any(o)), "output"));
for (const [method, M] of [["blas.gemv", A], ["blas.spmv", Acsr]] as const) {
  const call = (nl: Numlane, m: unknown, x: unknown, o?: unknown) => (method === "blas.gemv" ? nl.blas.gemv(any(m), any(x), any(o)) : nl.blas.spmv(any(m), any(x), any(o)));
  add(method, [
    ["wrong type", (nl) => call(nl, method === "blas.gemv" ? 5 : A, fx.b), "invalid-type", "A"],
    ["wrong type", (nl) => call(nl, M, [1, 2, 3, 4]), "invalid-type", "x"],
    ["Float32Array for Float64Array", (nl) => call(nl, M, fx.b32), "invalid-type", "x"],
    ["detached buffer", (nl) => call(nl, M, detached(uniform(4, 5))), "detached", "x"],
    ["wrong length or shape", (nl) => call(nl, M, fx.b3), "invalid-shape", "x"],
    ["wrong length or shape", (nl) => call(nl, M, fx.b, { y: fx.b3 }), "invalid-shape", "opts.y"],
    ["Float32Array for Float64Array", (nl) => call(nl, M, fx.b, { y: fx.b32 }), "invalid-type", "opts.y"],
    ["out-of-range option", (nl) => call(nl, M, fx.b, { trans: "yes" }), "invalid-type", "opts.trans"],
    ["out-of-range option", (nl) => call(nl, M, fx.b, { alpha: "1" }), "invalid-type", "opts.alpha"],
    ["missing required", (nl) => call(nl, M, fx.b, { inPlace: true }), "invalid-value", "opts.inPlace"],
  ]);
  cases.push(...optionCases(method, (nl, o) => call(nl, M, fx.b, o), "transpose"));
}
add("blas.gemv", [["wrong length or shape", (nl) => nl.blas.gemv([[1, 2], [3]], fx.b3), "invalid-shape", "A"]]);

// ---- softmax family ----
for (const method of ["softmax", "logSoftmax", "softmaxPlan"] as const) {
  const call = (nl: Numlane, x: unknown, o?: unknown) => (nl[method] as (x: unknown, o: unknown) => unknown).call(nl, x, o);
  add(method, [
    ["wrong type", (nl) => call(nl, [1, 2, 3]), "invalid-type", "x"],
    ["wrong type", (nl) => call(nl, new Int32Array(3)), "invalid-type", "x"],
    ["detached buffer", (nl) => call(nl, detached(new Float32Array(12))), "detached", "x"],
    ["empty", (nl) => call(nl, new Float32Array(0)), "invalid-size", "x"],
    ["wrong length or shape", (nl) => call(nl, fx.s32, { rows: 5 }), "invalid-shape", "opts.rows"],
    ["negative size", (nl) => call(nl, fx.s32, { rows: -3 }), "invalid-size", "opts.rows"],
    ["non-integer size", (nl) => call(nl, fx.s32, { cols: 2.5 }), "invalid-size", "opts.cols"],
    ["out-of-range option", (nl) => call(nl, fx.s32, { algorithm: "fast" }), "invalid-value", "opts.algorithm"],
  ]);
  if (method !== "softmaxPlan") {
    add(method, [
      ["Float32Array for Float64Array", (nl) => call(nl, fx.s64, { out: fx.s32 }), "invalid-type", "opts.out"],
      ["wrong length or shape", (nl) => call(nl, fx.s64, { out: fx.s64b }), "invalid-shape", "opts.out"],
    ]);
  }
  cases.push(...optionCases(method, (nl, o) => call(nl, fx.s32, o), "row"));
}

// ---- Krylov ----
for (const method of ["cg", "gmres"] as const) {
  const call = (nl: Numlane, m: unknown, b: unknown, o?: unknown) => nl[method](any(m), any(b), any(o));
  add(method, [
    ["wrong type", (nl) => call(nl, "A", fx.b), "invalid-type", "A"],
    ["wrong type", (nl) => call(nl, A, [1, 2, 3, 4]), "invalid-type", "b"],
    ["Float32Array for Float64Array", (nl) => call(nl, A, fx.b32), "invalid-type", "b"],
    ["NaN entry", (nl) => call(nl, Anan, fx.b), "invalid-value", "A"],
    ["NaN entry", (nl) => call(nl, A, fx.bNan), "invalid-value", "b"],
    ["Infinity entry", (nl) => call(nl, A, fx.bInf), "invalid-value", "b"],
    ["Infinity entry", (nl) => call(nl, Ainf, fx.b), "invalid-value", "A"],
    ["wrong length or shape", (nl) => call(nl, wide, fx.b3), "invalid-shape", "A"],
    ["wrong length or shape", (nl) => call(nl, A, fx.b3), "invalid-shape", "b"],
    ["wrong length or shape", (nl) => call(nl, A, fx.b, { x0: fx.b3 }), "invalid-shape", "opts.x0"],
    ["detached buffer", (nl) => call(nl, A, detached(uniform(4, 5))), "detached", "b"],
    ["empty", (nl) => call(nl, empty, new Float64Array(0)), "invalid-size", "A"],
    ["negative size", (nl) => call(nl, A, fx.b, { maxIter: -1 }), "invalid-size", "opts.maxIter"],
    ["non-integer size", (nl) => call(nl, A, fx.b, { maxIter: 2.5 }), "invalid-size", "opts.maxIter"],
    ["out-of-range option", (nl) => call(nl, A, fx.b, { rtol: -1 }), "invalid-value", "opts.rtol"],
    ["out-of-range option", (nl) => call(nl, A, fx.b, { preconditioner: "ilu" }), "invalid-value", "opts.preconditioner"],
    ["wrong type", (nl) => call(nl, A, fx.b, { recycle: { k: 2 } }), "invalid-type", "opts.recycle"],
  ]);
  cases.push(...optionCases(method, (nl, o) => call(nl, A, fx.b, o), "tol"));
}
add("cg", [
  ["out-of-range option", (nl) => nl.cg(Aasym, fx.b), "invalid-value", "A"],
  ["out-of-range option", (nl) => nl.cg(A, fx.b, { preconditioner: "ssor", omega: 2 }), "invalid-value", "opts.omega"],
  ["out-of-range option", (nl) => nl.cg(A, fx.b, { omega: 1.2 }), "invalid-value", "opts.omega"],
]);
add("gmres", [["negative size", (nl) => nl.gmres(A, fx.b, { restart: 0 }), "invalid-size", "opts.restart"]]);
const system = () => ({ A, b: fx.b });
add("solveSequence", [
  ["wrong type", (nl) => nl.solveSequence(any(system())), "invalid-type", "systems"],
  ["empty", (nl) => nl.solveSequence([]), "invalid-size", "systems"],
  ["wrong type", (nl) => nl.solveSequence([system(), any(null)]), "invalid-type", "systems[1]"],
  ["wrong type", (nl) => nl.solveSequence([system(), { A: any("A"), b: fx.b }]), "invalid-type", "systems[1].A"],
  ["Float32Array for Float64Array", (nl) => nl.solveSequence([system(), { A, b: any(fx.b32) }]), "invalid-type", "systems[1].b"],
  ["NaN entry", (nl) => nl.solveSequence([system(), { A, b: fx.bNan }]), "invalid-value", "systems[1].b"],
  ["wrong length or shape", (nl) => nl.solveSequence([system(), { A, b: fx.b3 }]), "invalid-shape", "systems[1].b"],
  ["detached buffer", (nl) => nl.solveSequence([system(), { A, b: detached(uniform(4, 5)) }]), "detached", "systems[1].b"],
  ["unknown option key", (nl) => nl.solveSequence([system(), any({ A, b: fx.b, x0: fx.b })]), "invalid-value", "systems[1].x0"],
  ["out-of-range option", (nl) => nl.solveSequence([system()], { order: any("random") }), "invalid-value", "opts.order"],
  ["out-of-range option", (nl) => nl.solveSequence([system()], { method: any("bicg") }), "invalid-value", "opts.method"],
  ["out-of-range option", (nl) => nl.solveSequence([system()], { restart: 10 }), "invalid-value", "opts.restart"],
  ["negative size", (nl) => nl.solveSequence([system()], { recycle: { k: -1 } }), "invalid-size", "opts.recycle.k"],
  ["non-integer size", (nl) => nl.solveSequence([system()], { maxIter: 0.5 }), "invalid-size", "opts.maxIter"],
  ["unknown option key", (nl) => nl.solveSequence([system()], { recycle: any({ k: 2, l: 4 }) }), "invalid-value", "opts.recycle.l"],
]);
cases.push(...optionCases("solveSequence", (nl, o) => nl.solveSequence([system()], any(o)), "x0"));
add("recycleSpace", [
  ["missing required", (nl) => nl.recycleSpace(any(undefined)), "invalid-type", "opts"],
  ["options null", (nl) => nl.recycleSpace(any(null)), "invalid-type", "opts"],
  ["options not an object", (nl) => nl.recycleSpace(any(8)), "invalid-type", "opts"],
  ["wrong type", (nl) => nl.recycleSpace(any({ k: "8" })), "invalid-size", "opts.k"],
  ["missing required", (nl) => nl.recycleSpace(any({})), "invalid-size", "opts.k"],
  ["negative size", (nl) => nl.recycleSpace({ k: -1 }), "invalid-size", "opts.k"],
  ["non-integer size", (nl) => nl.recycleSpace({ k: 2.5 }), "invalid-size", "opts.k"],
  ["out-of-range option", (nl) => nl.recycleSpace({ k: 65 }), "invalid-size", "opts.k"],
  ["out-of-range option", (nl) => nl.recycleSpace({ k: 4, ell: 0 }), "invalid-size", "opts.ell"],
  ["NaN entry", (nl) => nl.recycleSpace({ k: NaN }), "invalid-size", "opts.k"],
  ["null option value", (nl) => nl.recycleSpace(any({ k: 4, ell: null })), "invalid-type", "opts.ell"],
  ["unknown option key", (nl) => nl.recycleSpace(any({ K: 4 })), "invalid-value", "opts.K"],
  ["signal {}", (nl) => nl.recycleSpace(any({ k: 4, signal: {} })), "invalid-value", "opts.signal"],
]);

// ---- coordinate descent ----
const lassoOpts = { lambda: 0.1 };
add("lasso", [
  ["wrong type", (nl) => nl.lasso(any(5), fx.bt, lassoOpts), "invalid-type", "A"],
  ["wrong type", (nl) => nl.lasso(tall, any([1]), lassoOpts), "invalid-type", "b"],
  ["Float32Array for Float64Array", (nl) => nl.lasso(tall, any(fx.bt32), lassoOpts), "invalid-type", "b"],
  ["NaN entry", (nl) => nl.lasso(tallNan, fx.bt, lassoOpts), "invalid-value", "A"],
  ["NaN entry", (nl) => nl.lasso(tall, fx.btNan, lassoOpts), "invalid-value", "b"],
  ["Infinity entry", (nl) => nl.lasso(tall, fx.btInf, lassoOpts), "invalid-value", "b"],
  ["wrong length or shape", (nl) => nl.lasso(tall, fx.bt23, lassoOpts), "invalid-shape", "b"],
  ["wrong length or shape", (nl) => nl.lasso(tall, fx.bt, { lambda: 0.1, x0: fx.b }), "invalid-shape", "opts.x0"],
  ["detached buffer", (nl) => nl.lasso(tall, detached(uniform(24, 7)), lassoOpts), "detached", "b"],
  ["empty", (nl) => nl.lasso(emptyTall, new Float64Array(5), lassoOpts), "invalid-size", "A"],
  ["missing required", (nl) => nl.lasso(tall, fx.bt, any(undefined)), "invalid-type", "opts"],
  ["missing required", (nl) => nl.lasso(tall, fx.bt, any({})), "invalid-value", "opts.lambda"],
  ["out-of-range option", (nl) => nl.lasso(tall, fx.bt, { lambda: -1 }), "invalid-value", "opts.lambda"],
  ["negative size", (nl) => nl.lasso(tall, fx.bt, { lambda: 0.1, maxIter: -5 }), "invalid-size", "opts.maxIter"],
  ["non-integer size", (nl) => nl.lasso(tall, fx.bt, { lambda: 0.1, maxIter: 1.5 }), "invalid-size", "opts.maxIter"],
  ["wrong length or shape", (nl) => nl.lasso(tall, fx.bt, { lambda: 0.1, sampleWeight: fx.b }), "invalid-shape", "opts.sampleWeight"],
  ["out-of-range option", (nl) => nl.lasso(tall, fx.bt, { lambda: 0.1, l1Ratio: 2 }), "invalid-value", "opts.l1Ratio"],
  ["wrong type", (nl) => nl.lasso(tall, fx.bt, { lambda: 0.1, fitIntercept: any(1) }), "invalid-type", "opts.fitIntercept"],
]);
cases.push(...optionCases("lasso", (nl, o) => nl.lasso(tall, fx.bt, any(o)), "normalize", lassoOpts));
add("lassoPath", [
  ["wrong type", (nl) => nl.lassoPath(any({}), fx.bt), "invalid-type", "A"],
  ["Float32Array for Float64Array", (nl) => nl.lassoPath(tall, any(fx.bt32)), "invalid-type", "b"],
  ["NaN entry", (nl) => nl.lassoPath(tall, fx.btNan), "invalid-value", "b"],
  ["NaN entry", (nl) => nl.lassoPath(tall, fx.bt, { lambdas: [0.1, NaN] }), "invalid-value", "opts.lambdas[1]"],
  ["Infinity entry", (nl) => nl.lassoPath(tallInf, fx.bt), "invalid-value", "A"],
  ["wrong length or shape", (nl) => nl.lassoPath(tall, fx.bt23), "invalid-shape", "b"],
  ["detached buffer", (nl) => nl.lassoPath(tall, detached(uniform(24, 7))), "detached", "b"],
  ["empty", (nl) => nl.lassoPath(tall, fx.bt, { lambdas: [] }), "invalid-size", "opts.lambdas"],
  ["wrong type", (nl) => nl.lassoPath(tall, fx.bt, { lambdas: any("0.1") }), "invalid-type", "opts.lambdas"],
  ["out-of-range option", (nl) => nl.lassoPath(tall, fx.bt, { lambdas: [0.1, -1] }), "invalid-value", "opts.lambdas[1]"],
  ["out-of-range option", (nl) => nl.lassoPath(tall, fx.bt, { lambdas: [0.1], nLambdas: 5 }), "invalid-value", "opts.nLambdas"],
  ["out-of-range option", (nl) => nl.lassoPath(tall, fx.bt, { eps: -1 }), "invalid-value", "opts.eps"],
  ["out-of-range option", (nl) => nl.lassoPath(tall, fx.bt, { eps: 0 }), "invalid-value", "opts.eps"],
  ["negative size", (nl) => nl.lassoPath(tall, fx.bt, { nLambdas: -3 }), "invalid-size", "opts.nLambdas"],
  ["non-integer size", (nl) => nl.lassoPath(tall, fx.bt, { nLambdas: 2.5 }), "invalid-size", "opts.nLambdas"],
]);
cases.push(...optionCases("lassoPath", (nl, o) => nl.lassoPath(tall, fx.bt, any(o)), "lambda"));
add("logisticRegression", [
  ["wrong type", (nl) => nl.logisticRegression(any("A"), fx.labels), "invalid-type", "A"],
  ["NaN entry", (nl) => nl.logisticRegression(tallNan, fx.labels), "invalid-value", "A"],
  ["Infinity entry", (nl) => nl.logisticRegression(tallInf, fx.labels), "invalid-value", "A"],
  ["empty", (nl) => nl.logisticRegression(emptyTall, new Float64Array(5)), "invalid-size", "A"],
  ["bad labels", (nl) => nl.logisticRegression(tall, fx.labels01), "invalid-value", "y"],
  ["bad labels", (nl) => nl.logisticRegression(tall, any(Array.from(fx.labels, (v, i) => (i === 3 ? "1" : v)))), "invalid-type", "y"],
  ["wrong type", (nl) => nl.logisticRegression(tall, any("labels")), "invalid-type", "y"],
  ["Float32Array for Float64Array", (nl) => nl.logisticRegression(tall, any(fx.labels32)), "invalid-type", "y"],
  ["wrong length or shape", (nl) => nl.logisticRegression(tall, fx.labelsShort), "invalid-shape", "y"],
  ["detached buffer", (nl) => nl.logisticRegression(tall, detached(Int32Array.from(fx.labelsI))), "detached", "y"],
  ["detached buffer", (nl) => nl.logisticRegression(tall, detached(Float64Array.from(fx.labels))), "detached", "y"],
  ["detached buffer", (nl) => nl.logisticRegression(tall, detached(Int32Array.from(fx.classes)), { multiClass: "multinomial" }), "detached", "y"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { C: -1 }), "invalid-value", "opts.C"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { C: 1, lambda: 1 }), "invalid-value", "opts.C"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: any("l0") }), "invalid-value", "opts.penalty"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { multiClass: any(true) }), "invalid-value", "opts.multiClass"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { classes: 3 }), "invalid-value", "opts.classes"],
  ["negative size", (nl) => nl.logisticRegression(tall, fx.labels, { maxIter: -1 }), "invalid-size", "opts.maxIter"],
  ["non-integer size", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", classes: 2.5 }), "invalid-size", "opts.classes"],
  ["unknown option key", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", bcd: any({ rules: "gs" }) }), "invalid-value", "opts.bcd.rules"],
  ["options null", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", bcd: any(null) }), "invalid-type", "opts.bcd"],
  ["wrong length or shape", (nl) => nl.logisticRegression(tall, fx.labels, { sampleWeight: new Float64Array(23).fill(1) }), "invalid-shape", "opts.sampleWeight"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { sampleWeight: Float64Array.from({ length: 24 }, (_, i) => (i === 5 ? -1 : 1)) }), "invalid-value", "opts.sampleWeight"],
  ["NaN entry", (nl) => nl.logisticRegression(tall, fx.labels, { sampleWeight: Float64Array.from({ length: 24 }, (_, i) => (i === 5 ? NaN : 1)) }), "invalid-value", "opts.sampleWeight"],
  ["wrong type", (nl) => nl.logisticRegression(tall, fx.labels, { sampleWeight: any("ones") }), "invalid-type", "opts.sampleWeight"],
  ["wrong type", (nl) => nl.logisticRegression(tall, fx.labels, { fitIntercept: any(1) }), "invalid-type", "opts.fitIntercept"],
  ["bad labels", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", classes: 2 }), "invalid-value", "y"],
  ["bad labels", (nl) => nl.logisticRegression(tall, Float64Array.from(fx.classes, (v, i) => (i === 2 ? 0.5 : v)), { multiClass: "multinomial" }), "invalid-value", "y"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", penalty: "l1", bcd: {} }), "invalid-value", "opts.fitIntercept"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", fitIntercept: false, bcd: {}, sampleWeight: new Float64Array(24).fill(1) }), "invalid-value", "opts.sampleWeight"],
  ["wrong length or shape", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", penalty: "l1", sampleWeight: new Float64Array(23).fill(1) }), "invalid-shape", "opts.sampleWeight"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", penalty: "l1", sampleWeight: Float64Array.from({ length: 24 }, (_, i) => (i === 5 ? -1 : 1)) }), "invalid-value", "opts.sampleWeight"],
  ["bad labels", (nl) => nl.logisticRegression(tall, Int32Array.from(fx.classes, (v, i) => (i === 4 ? 3 : v)), { multiClass: "multinomial", penalty: "l1", classes: 3 }), "invalid-value", "y"],
  ["bad labels", (nl) => nl.logisticRegression(tall, Int32Array.from(fx.classes, (v, i) => (i === 4 ? -1 : v)), { multiClass: "multinomial", penalty: "l1" }), "invalid-value", "y"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { solver: any("sag") }), "invalid-value", "opts.solver"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "l1", solver: "lbfgs" }), "invalid-value", "opts.solver"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "elasticnet", l1Ratio: 1.5 }), "invalid-value", "opts.l1Ratio"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "elasticnet", l1Ratio: -0.1 }), "invalid-value", "opts.l1Ratio"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "elasticnet", l1Ratio: NaN }), "invalid-value", "opts.l1Ratio"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "l1", l1Ratio: 0.5 }), "invalid-value", "opts.l1Ratio"],
  ["missing required", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "elasticnet" }), "invalid-value", "opts.l1Ratio"],
  ["wrong type", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "elasticnet", l1Ratio: any("0.5") }), "invalid-type", "opts.l1Ratio"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", penalty: "elasticnet", l1Ratio: 0.5, fitIntercept: false, bcd: {} }), "invalid-value", "opts.penalty"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", penalty: "elasticnet", l1Ratio: 1.5 }), "invalid-value", "opts.l1Ratio"],
  ["wrong length or shape", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", penalty: "elasticnet", l1Ratio: 0.5, x0: new Float64Array(3 * 3 + 1) }), "invalid-shape", "opts.x0"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", penalty: "l1", fitIntercept: false, intercept0: [0, 0, 0] }), "invalid-value", "opts.intercept0"],
  ["wrong type", (nl) => nl.logisticRegression(tall, fx.labels, { positive: any(1) }), "invalid-type", "opts.positive"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { positive: true, solver: "newton" }), "invalid-value", "opts.solver"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", positive: true }), "invalid-value", "opts.positive"],
  ["wrong length or shape", (nl) => nl.logisticRegression(tall, fx.labels, { x0: new Float64Array(2) }), "invalid-shape", "opts.x0"],
  ["wrong length or shape", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", x0: new Float64Array(3) }), "invalid-shape", "opts.x0"],
  ["wrong type", (nl) => nl.logisticRegression(tall, fx.labels, { x0: any("x0") }), "invalid-type", "opts.x0"],
  ["Float32Array for Float64Array", (nl) => nl.logisticRegression(tall, fx.labels, { x0: any(new Float32Array(3)) }), "invalid-type", "opts.x0"],
  ["NaN entry", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "l1", x0: [0, NaN, 0] }), "invalid-value", "opts.x0"],
  ["Infinity entry", (nl) => nl.logisticRegression(tall, fx.labels, { intercept0: Infinity }), "invalid-value", "opts.intercept0"],
  ["detached buffer", (nl) => nl.logisticRegression(tall, fx.labels, { x0: detached(new Float64Array(3)) }), "detached", "opts.x0"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { penalty: "l1", positive: true, x0: [0, -1, 0] }), "invalid-value", "opts.x0"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.labels, { fitIntercept: false, intercept0: 1 }), "invalid-value", "opts.intercept0"],
  ["wrong length or shape", (nl) => nl.logisticRegression(tall, fx.labels, { intercept0: [1, 2] }), "invalid-shape", "opts.intercept0"],
  ["out-of-range option", (nl) => nl.logisticRegression(tall, fx.classes, { multiClass: "multinomial", fitIntercept: false, bcd: {}, x0: new Float64Array(9) }), "invalid-value", "opts.x0"],
]);
cases.push(...optionCases("logisticRegression", (nl, o) => nl.logisticRegression(tall, fx.labels, any(o)), "intercept"));
const ls = () => ({ loss: "least-squares" as const, A: tall, b: fx.bt });
// A path 0–1–2–3 with its ends labelled.
const graph = () => ({ loss: "label-propagation" as const, W: fx.path, labels: fx.pathLabels, labelled: fx.pathLabelled });
add("bcd", [
  ["wrong type", (nl) => nl.bcd(any(null)), "invalid-type", "problem"],
  ["out-of-range option", (nl) => nl.bcd(any({ ...ls(), loss: "hinge" })), "invalid-value", "problem.loss"],
  ["unknown option key", (nl) => nl.bcd(any({ ...ls(), y: fx.labels })), "invalid-value", "problem.y"],
  ["unknown option key", (nl) => nl.bcd(any({ ...ls(), penalty: { l0: 1 } })), "invalid-value", "problem.penalty.l0"],
  ["options null", (nl) => nl.bcd(any({ ...ls(), penalty: null })), "invalid-type", "problem.penalty"],
  ["out-of-range option", (nl) => nl.bcd({ ...ls(), penalty: { l1: -1 } }), "invalid-value", "problem.penalty.l1"],
  ["wrong type", (nl) => nl.bcd(any({ ...ls(), A: "A" })), "invalid-type", "problem.A"],
  ["Float32Array for Float64Array", (nl) => nl.bcd(any({ ...ls(), b: fx.bt32 })), "invalid-type", "problem.b"],
  ["NaN entry", (nl) => nl.bcd({ ...ls(), b: fx.btNan }), "invalid-value", "problem.b"],
  ["Infinity entry", (nl) => nl.bcd({ ...ls(), A: tallInf }), "invalid-value", "problem.A"],
  ["wrong length or shape", (nl) => nl.bcd({ ...ls(), b: fx.bt23 }), "invalid-shape", "problem.b"],
  ["detached buffer", (nl) => nl.bcd({ ...ls(), b: detached(uniform(24, 7)) }), "detached", "problem.b"],
  ["empty", (nl) => nl.bcd({ ...ls(), A: emptyTall, b: new Float64Array(5) }), "invalid-size", "problem.A"],
  ["bad labels", (nl) => nl.bcd({ loss: "logistic", A: tall, y: fx.labels01 }), "invalid-value", "problem.y"],
  ["bad labels", (nl) => nl.bcd({ loss: "softmax", A: tall, y: fx.classes, classes: 2 }), "invalid-value", "problem.y"],
  ["negative size", (nl) => nl.bcd(ls(), { blockSize: -1 }), "invalid-size", "opts.blockSize"],
  ["non-integer size", (nl) => nl.bcd(ls(), { maxIter: 2.5 }), "invalid-size", "opts.maxIter"],
  ["out-of-range option", (nl) => nl.bcd(ls(), { rule: any("steepest") }), "invalid-value", "opts.rule"],
  ["out-of-range option", (nl) => nl.bcd(ls(), { activeSet: any("yes") }), "invalid-type", "opts.activeSet"],
  ["out-of-range option", (nl) => nl.bcd(ls(), { workingSet: any("yes") }), "invalid-type", "opts.workingSet"],
  ["wrong length or shape", (nl) => nl.bcd(ls(), { x0: fx.b }), "invalid-shape", "opts.x0"],
  ["wrong type", (nl) => nl.bcd(any({ ...graph(), labelled: new Int32Array(4) })), "invalid-type", "problem.labelled"],
  ["detached buffer", (nl) => nl.bcd({ ...graph(), labelled: detached(Uint8Array.of(1, 0, 0, 1)) }), "detached", "problem.labelled"],
  ["detached buffer", (nl) => nl.bcd({ ...graph(), labels: detached(Float64Array.of(1, 0, 0, -1)) }), "detached", "problem.labels"],
  ["unknown option key", (nl) => nl.bcd(any({ ...graph(), y: fx.labels })), "invalid-value", "problem.y"],
  ["wrong type", (nl) => nl.bcd(any({ ...graph(), W: A })), "invalid-type", "problem.W"],
]);
cases.push(...optionCases("bcd", (nl, o) => nl.bcd(ls(), any(o)), "blocksize"));

// ---- least squares and sketches ----
add("lstsq", [
  ["wrong type", (nl) => nl.lstsq(any(null), fx.bt), "invalid-type", "A"],
  ["wrong type", (nl) => nl.lstsq(tall, any([1, 2])), "invalid-type", "b"],
  ["Float32Array for Float64Array", (nl) => nl.lstsq(tall, any(fx.bt32)), "invalid-type", "b"],
  ["NaN entry", (nl) => nl.lstsq(tallNan, fx.bt), "invalid-value", "A"],
  ["NaN entry", (nl) => nl.lstsq(tall, fx.btNan), "invalid-value", "b"],
  ["Infinity entry", (nl) => nl.lstsq(tall, fx.btInf), "invalid-value", "b"],
  ["wrong length or shape", (nl) => nl.lstsq(wide, Float64Array.of(1, 2)), "invalid-shape", "A"],
  ["wrong length or shape", (nl) => nl.lstsq(tall, fx.bt23), "invalid-shape", "b"],
  ["detached buffer", (nl) => nl.lstsq(tall, detached(uniform(24, 7))), "detached", "b"],
  ["empty", (nl) => nl.lstsq(emptyTall, new Float64Array(5)), "invalid-size", "A"],
  ["out-of-range option", (nl) => nl.lstsq(tall, fx.bt, { method: any("svd") }), "invalid-value", "opts.method"],
  ["out-of-range option", (nl) => nl.lstsq(tall, fx.bt, { method: "sketch-and-solve", sketch: any("fourier") }), "invalid-value", "opts.sketch"],
  ["out-of-range option", (nl) => nl.lstsq(tall, fx.bt, { method: "qr", sketch: "gaussian" }), "invalid-value", "opts.sketch"],
  ["out-of-range option", (nl) => nl.lstsq(tall, fx.bt, { rtol: -1 }), "invalid-value", "opts.rtol"],
  ["negative size", (nl) => nl.lstsq(tall, fx.bt, { seed: -1 }), "invalid-size", "opts.seed"],
  ["non-integer size", (nl) => nl.lstsq(tall, fx.bt, { method: "sketch-and-solve", sketchSize: 10.5 }), "invalid-size", "opts.sketchSize"],
  // "auto" picks qr for this small A: a bad sketchSize is still refused, not ignored.
  ["wrong type", (nl) => nl.lstsq(tall, fx.bt, { sketchSize: any("x") }), "invalid-size", "opts.sketchSize"],
]);
cases.push(...optionCases("lstsq", (nl, o) => nl.lstsq(tall, fx.bt, any(o)), "tol"));
add("sketch", [
  ["wrong type", (nl) => nl.sketch(any("A"), { size: 8 }), "invalid-type", "A"],
  ["NaN entry", (nl) => nl.sketch(tallNan, { size: 8 }), "invalid-value", "A"],
  ["Infinity entry", (nl) => nl.sketch(tallInf, { size: 8 }), "invalid-value", "A"],
  ["empty", (nl) => nl.sketch(emptyTall, { size: 8 }), "invalid-size", "A"],
  ["missing required", (nl) => nl.sketch(tall, any(undefined)), "invalid-type", "opts"],
  ["missing required", (nl) => nl.sketch(tall, any({})), "invalid-size", "opts.size"],
  ["negative size", (nl) => nl.sketch(tall, { size: -8 }), "invalid-size", "opts.size"],
  ["non-integer size", (nl) => nl.sketch(tall, { size: 8.5 }), "invalid-size", "opts.size"],
  ["out-of-range option", (nl) => nl.sketch(tall, { size: 4 }), "invalid-size", "opts.size"],
  ["out-of-range option", (nl) => nl.sketch(tall, { size: 8, kind: any("fourier") }), "invalid-value", "opts.kind"],
  ["out-of-range option", (nl) => nl.sketch(tall, { size: 8, seed: 2 ** 60 }), "invalid-size", "opts.seed"],
]);
cases.push(...optionCases("sketch", (nl, o) => nl.sketch(tall, any(o)), "rows", { size: 8 }));
for (const method of ["leverageScores", "qr"] as const) {
  const call = (nl: Numlane, m: unknown, o?: unknown) => nl[method](any(m), any(o));
  add(method, [
    ["wrong type", (nl) => call(nl, 7), "invalid-type", "A"],
    ["wrong type", (nl) => call(nl, [[1, 2], [3, "4"]]), "invalid-type", "A"],
    ["NaN entry", (nl) => call(nl, tallNan), "invalid-value", "A"],
    ["Infinity entry", (nl) => call(nl, tallInf), "invalid-value", "A"],
    ["wrong length or shape", (nl) => call(nl, wide), "invalid-shape", "A"],
    ["wrong length or shape", (nl) => call(nl, [[1, 2], [3]]), "invalid-shape", "A"],
    ["empty", (nl) => call(nl, emptyTall), "invalid-shape", "A"],
  ]);
  cases.push(...optionCases(method, (nl, o) => call(nl, tall, o), "seeds"));
}
add("leverageScores", [
  ["negative size", (nl) => nl.leverageScores(tall, { seed: -1 }), "invalid-size", "opts.seed"],
  ["non-integer size", (nl) => nl.leverageScores(tall, { seed: 0.5 }), "invalid-size", "opts.seed"],
]);

// ---- memory ----
add("alloc", [
  ["negative size", (nl) => nl.alloc(-1), "invalid-size", "length"],
  ["non-integer size", (nl) => nl.alloc(2.5), "invalid-size", "length"],
  ["NaN entry", (nl) => nl.alloc(NaN), "invalid-size", "length"],
  ["Infinity entry", (nl) => nl.alloc(Infinity), "invalid-size", "length"],
  ["wrong type", (nl) => nl.alloc(any("8")), "invalid-size", "length"],
  ["wrong type", (nl) => nl.alloc(8, any("x")), "invalid-type", "type"],
  ["wrong type", (nl) => nl.alloc(8, any(Uint8Array)), "invalid-type", "type"],
]);
add("free", [
  ["wrong type", (nl) => nl.free(any("x")), "invalid-value", "view"],
  ["wrong type", (nl) => nl.free(fx.x), "invalid-value", "view"],
  ["wrong type", (nl) => nl.free(any(null)), "invalid-value", "view"],
  ["missing required", (nl) => nl.free(any(undefined)), "invalid-value", "view"],
  ["detached buffer", (nl) => nl.free(detached(uniform(4, 1))), "invalid-value", "view"],
]);

/** Runs the table on `nl`; returns the mismatches (empty when all is well) and the kinds per method. */
async function runTable(nl: Numlane, table: Case[]) {
  const mismatches: string[] = [];
  const kinds = new Map<string, Set<Kind>>();
  const before = snapshot();
  // Wasm memory the context holds (shared heap, and the private one-thread heap once loaded): a refused call leaves none behind.
  const inUse = () => {
    const e = (nl as unknown as { engine: { heap: { bytesInUse: number }; local?: { heap: { bytesInUse: number } } } }).engine;
    return [e.heap.bytesInUse, e.local?.heap.bytesInUse ?? NaN];
  };
  const heapBefore = inUse();
  for (const c of table) {
    let error: unknown;
    try {
      await c.run(nl);
    } catch (e) {
      error = e;
    }
    const label = `${c.method} [${c.kind}] expecting ${c.code} ${c.argument}`;
    if (!(error instanceof NumlaneError)) {
      mismatches.push(`${label}: got ${error === undefined ? "no error" : `${(error as Error).name}: ${(error as Error).message}`}`);
    } else if (error.code !== c.code || error.argument !== c.argument) {
      mismatches.push(`${label}: got ${error.code} ${error.argument} (${error.message})`);
    }
    const changed = changedArrays(before);
    if (changed) mismatches.push(`${label}: ${changed} input array(s) changed`);
    const heapNow = inUse();
    if (heapNow[0] !== heapBefore[0] || (heapNow[1] !== heapBefore[1] && !Number.isNaN(heapBefore[1]))) mismatches.push(`${label}: wasm heap in use ${heapBefore} → ${heapNow} bytes`);
    if (!kinds.has(c.method)) kinds.set(c.method, new Set());
    kinds.get(c.method)!.add(c.kind);
  }
  return { mismatches, kinds };
}

/** The context still answers right: a dot, a small CG and a softmax against plain float64 references. */
async function stillRight(nl: Numlane) {
  const x = uniform(5000, 21), y = uniform(5000, 22);
  let ref = 0;
  for (let i = 0; i < x.length; i++) ref += x[i] * y[i];
  expect(Math.abs((await nl.blas.dot(x, y)) - ref)).toBeLessThan(1e-12 * 5000);
  // CG on the 4×4 fixture against Gaussian elimination.
  const r = await nl.cg(A, fx.b, { rtol: 1e-12 });
  const M = spdRows.map((row, i) => [...row, fx.b[i]]);
  for (let k = 0; k < 4; k++) for (let i = k + 1; i < 4; i++) { const f = M[i][k] / M[k][k]; for (let j = k; j < 5; j++) M[i][j] -= f * M[k][j]; }
  const xs = new Array<number>(4);
  for (let i = 3; i >= 0; i--) { let s = M[i][4]; for (let j = i + 1; j < 4; j++) s -= M[i][j] * xs[j]; xs[i] = s / M[i][i]; }
  expect(r.reason).toBe("converged");
  for (let i = 0; i < 4; i++) expect(Math.abs(r.x[i] - xs[i])).toBeLessThan(1e-10);
  const s = await nl.softmax(fx.s64);
  const mx = Math.max(...fx.s64), e = Array.from(fx.s64, (v) => Math.exp(v - mx)), z = e.reduce((a, v) => a + v, 0);
  for (let i = 0; i < s.length; i++) expect(Math.abs(s[i] - e[i] / z)).toBeLessThan(1e-15);
}

describe("bad-input table", () => {
  let nl2: Numlane, nl1: Numlane;
  beforeAll(async () => {
    nl2 = await init({ threads: 2 });
    nl1 = await init({ threads: 1 });
    // The private one-thread instance loads in the background; the table wants it there (its heap is checked too).
    const loaded = (nl: Numlane) => (nl as unknown as { engine: { local?: unknown } }).engine.local !== undefined;
    for (let t = 0; t < 100 && !(loaded(nl1) && loaded(nl2)); t++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => { await nl2?.close(); await nl1?.close(); });

  it("every public method refuses each kind of bad input with the exact code and argument, inputs unchanged (threads: 2)", async () => {
    const { mismatches, kinds } = await runTable(nl2, cases);
    const summary = [...kinds].map(([m, k]) => `${m}: ${k.size} kinds, ${cases.filter((c) => c.method === m).length} cases`);
    console.log(`bad-input table: ${cases.length} cases over ${kinds.size} methods\n  ${summary.join("\n  ")}`);
    expect(mismatches).toEqual([]);
    // Methods that take arrays and options face at least ten kinds.
    const few = [...kinds].filter(([m, k]) => !["alloc", "free", "recycleSpace"].includes(m) && k.size < 10).map(([m]) => m);
    expect(few).toEqual([]);
    await stillRight(nl2);
  });

  it("the same table on a threads: 1 context", async () => {
    const { mismatches } = await runTable(nl1, cases);
    expect(mismatches).toEqual([]);
    await stillRight(nl1);
  });

  it("unknown option keys are refused with the nearest valid key suggested, or the list of them", async () => {
    const message = async (p: () => unknown) => { try { await p(); } catch (e) { return (e as Error).message; } return "no error"; };
    expect(await message(() => nl2.cg(A, fx.b, { tol: 1e-8 } as never))).toMatch(/did you mean rtol or atol\?/);
    expect(await message(() => nl2.cg(A, fx.b, { maxiter: 5 } as never))).toMatch(/did you mean maxIter\?/);
    expect(await message(() => nl2.blas.dot(fx.x, fx.y, { thread: 1 } as never))).toMatch(/did you mean threads\?/);
    const lasso = await message(() => nl2.lasso(tall, fx.bt, { lambda: 0.1, normalize: true } as never));
    expect(lasso).toMatch(/unknown option normalize; valid options are lambda, l1Ratio, fitIntercept, sampleWeight, positive, precompute, workingSet, screening, maxIter, tol, x0, signal, onProgress, threads/);
    expect(await message(() => nl2.lasso(tall, fx.bt, { lambda: 0.1, fit_intercept: true } as never))).toMatch(/did you mean fitIntercept\?/);
  });

  it("init refuses unknown and bad options before starting anything", async () => {
    const table: [unknown, string, string][] = [
      [{ thread: 2 }, "invalid-value", "thread"],
      [null, "invalid-type", "opts"],
      ["threads", "invalid-type", "opts"],
      [{ threads: 0 }, "invalid-size", "threads"],
      [{ threads: 2.5 }, "invalid-size", "threads"],
      [{ threads: -2 }, "invalid-size", "threads"],
      [{ build: "fast" }, "invalid-value", "build"],
      [{ wasm: 5 }, "invalid-type", "wasm"],
    ];
    const mismatches: string[] = [];
    for (const [opts, code, argument] of table) {
      try {
        const nl = await init(opts as never);
        await nl.close();
        mismatches.push(`${JSON.stringify(opts)}: no error`);
      } catch (e) {
        if (!(e instanceof NumlaneError) || e.code !== code || e.argument !== argument) mismatches.push(`${JSON.stringify(opts)}: ${(e as Error).name} ${(e as NumlaneError).code} ${(e as NumlaneError).argument}`);
      }
    }
    expect(mismatches).toEqual([]);
    await expect(init({ thread: 2 } as never)).rejects.toThrow(/did you mean threads\?/);
  });
});
