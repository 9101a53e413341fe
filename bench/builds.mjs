// node bench/builds.mjs <checkoutA> <checkoutB> [threads]: the same calls on
// two builds of numlane (each checkout's dist/, built), interleaved round by
// round in one process, median µs per call and B/A. For refactors that must
// not change speed (e.g. the host/kernel boundary): build the commit before
// in a worktree, then compare. Also checks that both give the same bits.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compare, machine, printTable, writeResults } from "./lib.mjs";

const [dirA, dirB, threadsArg] = process.argv.slice(2);
if (!dirA || !dirB) { console.error("usage: node bench/builds.mjs <checkoutA> <checkoutB> [threads]"); process.exit(2); }
const threads = Number(threadsArg ?? 1);
const load = (dir) => import(pathToFileURL(resolve(dir, "dist/index.js")).href);

/** A deterministic stream in [-0.5, 0.5). */
function uniform(n, seed, Type = Float64Array) {
  let s = seed >>> 0;
  return Type.from({ length: n }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5);
}
function laplacian(lib, N) {
  const n = N * N, rows = [0], cols = [], vals = [];
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    const add = (c, v) => { cols.push(c); vals.push(v); };
    if (i > 0) add((i - 1) * N + j, -1);
    if (j > 0) add(i * N + j - 1, -1);
    add(i * N + j, 4.01);
    if (j < N - 1) add(i * N + j + 1, -1);
    if (i < N - 1) add((i + 1) * N + j, -1);
    rows.push(cols.length);
  }
  return new lib.CsrMatrix(n, n, Int32Array.from(rows), Int32Array.from(cols), Float64Array.from(vals));
}
/** Convection–diffusion on N², nonsymmetric (upwind). */
function convection(lib, N) {
  const L = laplacian(lib, N), data = L.data.slice();
  for (let i = 0; i < N * N; i++) for (let k = L.indptr[i]; k < L.indptr[i + 1]; k++) if (L.indices[k] === i - 1) data[k] -= 0.6;
  return new lib.CsrMatrix(L.rows, L.cols, L.indptr, L.indices, data);
}

function cases(lib, nl) {
  const x100 = uniform(100, 1), y100 = uniform(100, 2), x1k = uniform(1000, 3), y1k = uniform(1000, 4), x1m = uniform(1 << 20, 5), y1m = uniform(1 << 20, 6);
  const A = new lib.DenseMatrix(600, 500, uniform(600 * 500, 7)), v = uniform(500, 8);
  const L = laplacian(lib, 64), b = uniform(64 * 64, 9), C = convection(lib, 48), c = uniform(48 * 48, 10);
  const batch = uniform(256 * 1500, 11, Float32Array);
  const D = new lib.DenseMatrix(400, 50, uniform(400 * 50, 12)), d = uniform(400, 13), sign = d.map((t) => (t > 0 ? 1 : -1));
  const T = new lib.DenseMatrix(6000, 40, uniform(6000 * 40, 14)), t = uniform(6000, 15);
  return {
    "dot n=100": () => nl.blas.dot(x100, y100),
    "dot n=1000": () => nl.blas.dot(x1k, y1k),
    "dot n=2^20": () => nl.blas.dot(x1m, y1m),
    "gemv 600×500": () => nl.blas.gemv(A, v),
    "softmax f32 256×1500": () => nl.softmax(batch, { rows: 256 }),
    "cg 64² rtol 1e-8": () => nl.cg(L, b, { rtol: 1e-8 }),
    "cg 64² jacobi maxIter 0": () => nl.cg(L, b, { preconditioner: "jacobi", maxIter: 0 }),
    "gmres(30) 48², 300 steps": () => nl.gmres(C, c, { rtol: 1e-12, restart: 30, maxIter: 300 }),
    "lasso 400×50": () => nl.lasso(D, d, { lambda: 0.01 }),
    "logistic 400×50": () => nl.logisticRegression(D, sign),
    "lstsq sketch 6000×40": () => nl.lstsq(T, t, { method: "sketch-and-precondition", seed: 1 }),
    "lstsq qr 6000×40": () => nl.lstsq(T, t, { method: "qr" }),
  };
}

const [libA, libB] = await Promise.all([load(dirA), load(dirB)]);
const [nlA, nlB] = await Promise.all([libA.init({ threads }), libB.init({ threads })]);
try {
  const a = cases(libA, nlA), b = cases(libB, nlB);
  // Same bits first (a refactor's other promise).
  const differ = [];
  for (const name of Object.keys(a)) {
    const [ra, rb] = [await a[name](), await b[name]()];
    const bytes = (r) => JSON.stringify(r, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v));
    if (bytes(ra) !== bytes(rb)) differ.push(name);
  }
  const timed = await compare(Object.keys(a).flatMap((name) => [{ name: `A ${name}`, fn: a[name] }, { name: `B ${name}`, fn: b[name] }]));
  const rows = Object.keys(a).map((name) => ({
    case: name, "A µs": +timed[`A ${name}`].toFixed(1), "B µs": +timed[`B ${name}`].toFixed(1),
    "B/A": +(timed[`B ${name}`] / timed[`A ${name}`]).toFixed(3), "same bits": !differ.includes(name),
  }));
  printTable(rows);
  writeResults("builds", { machine: machine(), threads, a: resolve(dirA), b: resolve(dirB), rows });
} finally {
  await Promise.all([nlA.close(), nlB.close()]);
}
