// The shared test vectors of the runtime matrix: a fixed set of blas, softmax,
// cg, gmres, GCRO-DR, lasso, lassoPath, logisticRegression, bcd, lstsq and sketch calls on deterministic inputs, hashed (SHA-256 over the outputs'
// bytes). Plain JavaScript with web APIs only, so Node, Deno, Bun, Chromium
// and workerd all run this very file; every one must produce Node's hashes.

/** mulberry32 (src/sequence.ts's seededRandom; this file imports nothing): a tiny deterministic generator, so no data files are needed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(Type, n, seed, lo = -1, hi = 1) {
  const r = rng(seed), out = new Type(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** 5-point Laplacian on an m×m grid, plus a small random diagonal shift so it is not too easy. */
function laplacian(lib, m, seed) {
  const r = rng(seed), n = m * m, I = [], J = [], V = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    const k = i * m + j;
    I.push(k); J.push(k); V.push(4 + 0.1 * r());
    if (i > 0) { I.push(k); J.push(k - m); V.push(-1); }
    if (i < m - 1) { I.push(k); J.push(k + m); V.push(-1); }
    if (j > 0) { I.push(k); J.push(k - 1); V.push(-1); }
    if (j < m - 1) { I.push(k); J.push(k + 1); V.push(-1); }
  }
  return lib.CsrMatrix.fromCoo(n, n, I, J, V);
}

/** Convection–diffusion on an m×m grid (upwind): nonsymmetric, for GMRES. */
function convection(lib, m, seed) {
  const r = rng(seed), n = m * m, I = [], J = [], V = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    const k = i * m + j, c = 0.5 + r();
    I.push(k); J.push(k); V.push(4.5 + 2 * c); // diagonally dominant: GMRES converges in tens of steps
    if (i > 0) { I.push(k); J.push(k - m); V.push(-1 - c); }
    if (i < m - 1) { I.push(k); J.push(k + m); V.push(-1); }
    if (j > 0) { I.push(k); J.push(k - 1); V.push(-1 - 0.5 * c); }
    if (j < m - 1) { I.push(k); J.push(k + 1); V.push(-1); }
  }
  return lib.CsrMatrix.fromCoo(n, n, I, J, V);
}

/** A random sparse n×n matrix, `per` entries a row. */
function sparse(lib, n, per, seed) {
  const r = rng(seed), I = [], J = [], V = [];
  for (let i = 0; i < n; i++) for (let k = 0; k < per; k++) { I.push(i); J.push(Math.floor(r() * n)); V.push(r() - 0.5); }
  return lib.CsrMatrix.fromCoo(n, n, I, J, V);
}

/** b = D·x + noise with every fifth x nonzero: a lasso problem with a sparse, non-trivial solution. */
function planted(D, seed) {
  const r = rng(seed), { rows, cols, data } = D, b = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j += 5) s += data[i * cols + j] * (1 + (j % 3));
    b[i] = s + 0.1 * (r() - 0.5);
  }
  return b;
}

/** The 5-point Poisson matrix on an m×m grid, unshifted: condition ~ m², so CG takes thousands of iterations at m = 400. */
function poisson(lib, m) {
  const n = m * m, indptr = new Int32Array(n + 1), indices = new Int32Array(5 * n), data = new Float64Array(5 * n);
  let nnz = 0;
  const put = (j, v) => { indices[nnz] = j; data[nnz++] = v; };
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    const k = i * m + j;
    if (i > 0) put(k - m, -1);
    if (j > 0) put(k - 1, -1);
    put(k, 4);
    if (j < m - 1) put(k + 1, -1);
    if (i < m - 1) put(k + m, -1);
    indptr[k + 1] = nnz;
  }
  return new lib.CsrMatrix(n, n, indptr, indices.slice(0, nnz), data.slice(0, nnz));
}

/**
 * The long solve of the freeze test (fixtures/long-calls.html): CG on the
 * 400×400 Poisson grid (160,000 unknowns), which froze a tab for seconds when
 * it ran on the page's thread. Returns the system and the call's promise.
 */
export function longSolve(lib, nl, opts = {}) {
  const A = poisson(lib, 400), b = uniform(Float64Array, A.rows, 40);
  return { A, b, result: nl.cg(A, b, { rtol: 1e-10, ...opts }) };
}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const bytesOf = (v) => typeof v === "number" ? new Uint8Array(Float64Array.of(v).buffer)
  : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** SHA-256 (hex) of a number's or typed array's bytes. */
export const sha256 = async (value) => hex(await crypto.subtle.digest("SHA-256", bytesOf(value)));

/**
 * Runs every vector on `nl` (a context from `lib.init`) and returns
 * { hashes: { name: sha256 }, all: sha256 of the concatenated hashes }.
 * Sizes are large enough that every call spreads over the context's threads.
 */
export async function runVectors(lib, nl) {
  const n = 200_003;
  const x = uniform(Float64Array, n, 1), y = uniform(Float64Array, n, 2);
  const A = new lib.DenseMatrix(600, 500, uniform(Float64Array, 600 * 500, 3));
  const v = uniform(Float64Array, 500, 4), w = uniform(Float64Array, 600, 5);
  const S = sparse(lib, 30_000, 12, 6), s = uniform(Float64Array, 30_000, 7);
  const L = laplacian(lib, 120, 8), b = uniform(Float64Array, 120 * 120, 9);
  const batch32 = uniform(Float32Array, 256 * 1500, 10, -30, 30);
  const row64 = uniform(Float64Array, 250_000, 11, -700, 700);
  const D = new lib.DenseMatrix(3000, 120, uniform(Float64Array, 3000 * 120, 17)), d = planted(D, 18);

  const results = {
    dot: await nl.blas.dot(x, y),
    nrm2: await nl.blas.nrm2(x),
    axpy: await nl.blas.axpy(0.75, x, y),
    scal: await nl.blas.scal(-1.25, x),
    gemv: await nl.blas.gemv(A, v),
    gemvT: await nl.blas.gemv(A, w, { trans: true }),
    spmv: await nl.blas.spmv(S, s),
    softmax_f32_twopass: await nl.softmax(batch32, { rows: 256, algorithm: "two-pass" }),
    softmax_f32_threepass: await nl.softmax(batch32, { rows: 256, algorithm: "three-pass" }),
    softmax_f32_online: await nl.softmax(batch32, { rows: 256, algorithm: "online" }),
    softmax_f32_blocked: await nl.softmax(batch32, { rows: 3, algorithm: "blocked" }), // long rows: with one chunk a row, blocked = three-pass
    softmax_f64: await nl.softmax(row64),
    logSoftmax_f32: await nl.logSoftmax(batch32, { rows: 256 }),
    logSoftmax_f64: await nl.logSoftmax(row64, { algorithm: "two-pass" }),
  };
  // Problem families: plain JavaScript with their own cos/exp/log (engines' Math.exp may differ in the last bit).
  for (const [name, set] of [
    ["darcy", lib.problems.darcy({ grid: 24, count: 3, seed: 5 })],
    ["heat", lib.problems.heat({ grid: 16, count: 2, seed: 5 })],
    ["convection", lib.problems.convectionDiffusion({ grid: 16, count: 3, seed: 5 })],
  ]) results[`problems_${name}`] = Float64Array.from([...set.inputs, ...set.systems.flatMap((sys) => [...sys.features, ...sys.A.data, ...sys.b])]);
  const cg = await nl.cg(L, b, { preconditioner: "jacobi", rtol: 1e-10 });
  results.cg_x = cg.x;
  results.cg_iterations = cg.iterations;
  results.cg_history = cg.residualHistory;
  // Recycled CG: three solves sharing a space (deflation, and the Ritz update with its tridiagonal-QL eigen-solve in wasm).
  const cgSpace = nl.recycleSpace({ k: 3, ell: 12 });
  const recycled = [];
  for (let t = 0; t < 3; t++) recycled.push(await nl.cg(L, uniform(Float64Array, L.rows, 70 + t), { preconditioner: "jacobi", rtol: 1e-10, recycle: cgSpace }));
  results.recycled_cg_x = Float64Array.from(recycled.flatMap((r) => [r.iterations, ...r.x]));
  results.recycled_cg_space = Float64Array.from([...cgSpace.ritzValues, ...cgSpace.vectors]);
  // Coarse-space deflation over a Darcy sequence (aggregation on the host, E's envelope Cholesky in wasm).
  const coarseSeq = await nl.solveSequence(lib.problems.darcy({ grid: 20, count: 3, seed: 9 }).systems, { preconditioner: "jacobi", rtol: 1e-10, coarse: { aggregateSize: 12 } });
  results.coarse_cg_x = Float64Array.from([...coarseSeq.order, ...coarseSeq.iterations, ...coarseSeq.solutions.flatMap((x) => [...x])]);

  const N = convection(lib, 60, 25), g = uniform(Float64Array, 60 * 60, 26);
  const gm = await nl.gmres(N, g, { preconditioner: "jacobi", rtol: 1e-10, restart: 20, maxIter: 500 });
  results.gmres_iterations = gm.iterations;
  results.gmres_x = gm.x;
  results.gmres_history = gm.residualHistory;
  // GCRO-DR: two systems sharing a recycle space (its harmonic Ritz eigen-solves run in wasm).
  const space = nl.recycleSpace({ k: 4 });
  const gc1 = await nl.gmres(N, g, { rtol: 1e-10, restart: 10, recycle: space });
  const gc2 = await nl.gmres(convection(lib, 60, 28), g, { rtol: 1e-10, restart: 10, recycle: space, preconditioner: "jacobi" });
  results.gcrodr_iterations = Float64Array.of(gc1.iterations, gc2.iterations);
  results.gcrodr_x = Float64Array.from([...gc1.x, ...gc2.x]);
  results.gcrodr_space = space.vectors;
  // The two-level preconditioner (coarse correction, then Jacobi): GMRES alone, and GCRO-DR over a Helmholtz sequence with the auto judge.
  const twoLevel = await nl.gmres(N, g, { rtol: 1e-10, restart: 10, coarse: { aggregateSize: 10 } });
  const helmholtz = await nl.solveSequence(lib.problems.helmholtz({ grid: 16, count: 4, seed: 3 }).systems, { method: "gmres", restart: 12, recycle: { k: 3 }, coarse: true, rtol: 1e-10 });
  results.two_level_gmres_x = Float64Array.from([twoLevel.iterations, ...twoLevel.x, ...helmholtz.order, ...helmholtz.iterations, ...helmholtz.solutions.flatMap((x) => [...x])]);

  const lasso = await nl.lasso(D, d, { lambda: 0.01, tol: 1e-8 });
  results.lasso_x = lasso.x;
  results.lasso_history = lasso.history;
  results.lasso_objective = lasso.objective;
  // The default λ grid too: it once came from JS's pow, which differs by an ulp between engines.
  const path = await nl.lassoPath(D, d, { nLambdas: 8, tol: 1e-6 });
  results.lassoPath_lambdas = path.lambdas;
  results.lassoPath_x = Float64Array.from(path.fits.flatMap((f) => [...f.x]));

  // Logistic regression: labels from a planted separator with noise, L2 and L1.
  const G = new lib.DenseMatrix(1000, 30, uniform(Float64Array, 1000 * 30, 27));
  const Y = Float64Array.from(planted(G, 28), (v, i) => ((v + 0.3 * Math.sin(i)) > 0 ? 1 : -1));
  for (const penalty of ["l2", "l1"]) {
    const lr = await nl.logisticRegression(G, Y, { penalty, C: 0.5, tol: 1e-6 });
    results[`logistic_${penalty}_x`] = lr.x;
    results[`logistic_${penalty}_objective`] = lr.objective;
  }
  // Multinomial L1 and elastic net (glmnet's class-at-a-time steps) with intercepts and sample weights.
  const Yc = Float64Array.from(Y, (v, i) => (v > 0 ? 1 : 0) + (i % 3 === 0 ? 1 : 0)), Sw = Float64Array.from(Y, (_, i) => 0.5 + (i % 7) / 7);
  for (const [name, o] of [["l1", { penalty: "l1" }], ["enet", { penalty: "elasticnet", l1Ratio: 0.5 }]]) {
    const lr = await nl.logisticRegression(G, Yc, { multiClass: "multinomial", ...o, C: 0.5, sampleWeight: Sw, tol: 1e-7 });
    results[`logistic_multinomial_${name}_x`] = Float64Array.from([...lr.x, ...lr.intercept]);
    results[`logistic_multinomial_${name}_objective`] = lr.objective;
  }

  // nl.bcd: greedy scans (fixed and variable blocks), greedy working sets, a seeded random rule, Newton and line-search steps, the softmax loss, and message passing.
  const bcdRuns = [
    ["ls_gsq", { loss: "least-squares", A: D, b: d, penalty: { l1: 0.01 } }, { partition: "order", blockSize: 4, rule: "gsq", tol: 1e-8 }],
    ["ls_random", { loss: "least-squares", A: D, b: d, penalty: { l1: 0.01, l2: 0.01 } }, { partition: "avg", blockSize: 3, rule: "random", update: "line-search", seed: 5, tol: 1e-8 }],
    ["logistic_gsl", { loss: "logistic", A: G, y: Y, penalty: { l1: 1e-3 } }, { partition: "variable", blockSize: 4, rule: "gsl", tol: 1e-7 }],
    ["ls_workingset", { loss: "least-squares", A: D, b: d, penalty: { l1: 0.01 } }, { workingSet: true, rule: "gsl", tol: 1e-10 }],
    ["softmax", { loss: "softmax", A: G, y: Float64Array.from(Y, (v, i) => (v > 0 ? 1 : 0) + (i % 3 === 0 ? 1 : 0)), classes: 3, penalty: { l2: 1e-2 } }, { partition: "variable", blockSize: 6, rule: "gsd", tol: 1e-7 }],
  ];
  const grid = laplacian(lib, 40, 31);
  const Wi = [], Wj = [], Wv = [];
  for (let r = 0; r < grid.rows; r++) for (let q = grid.indptr[r]; q < grid.indptr[r + 1]; q++) if (grid.indices[q] !== r) { Wi.push(r); Wj.push(grid.indices[q]); Wv.push(1 + ((r + grid.indices[q]) % 5)); }
  const Wg = lib.CsrMatrix.fromCoo(grid.rows, grid.cols, Wi, Wj, Wv);
  const labelled = Uint8Array.from({ length: grid.rows }, (_, k) => (k % 9 === 0 ? 1 : 0));
  const labels = Float64Array.from({ length: grid.rows }, (_, k) => (k % 2 ? 1 : -1) * (1 + (k % 7)));
  bcdRuns.push(["labelprop", { loss: "label-propagation", W: Wg, labels, labelled }, { tol: 1e-9 }]);
  for (const [name, problem, o] of bcdRuns) {
    const r = await nl.bcd(problem, o);
    results[`bcd_${name}_x`] = r.x;
    results[`bcd_${name}_objective`] = r.objective;
    results[`bcd_${name}_iterations`] = r.iterations;
  }

  const T = new lib.DenseMatrix(6000, 40, uniform(Float64Array, 6000 * 40, 21)), t = uniform(Float64Array, 6000, 22);
  for (const method of ["qr", "sketch-and-precondition", "iterative-sketching"]) {
    const ls = await nl.lstsq(T, t, method === "qr" ? { method } : { method, seed: 7 }); // qr refuses a seed
    results[`lstsq_${method}_x`] = ls.x;
    if (method !== "qr") results[`lstsq_${method}_iterations`] = ls.iterations; // qr: always 0
  }
  for (const kind of ["sparse-sign", "countsketch", "gaussian", "srht", "leverage"]) results[`sketch_${kind}`] = (await nl.sketch(T, { kind, size: 200, seed: 3 })).data;
  results.leverageScores = await nl.leverageScores(T, { seed: 3 });

  const hashes = {};
  for (const [name, value] of Object.entries(results)) hashes[name] = await sha256(value);
  const all = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(Object.values(hashes).join(""))));
  return { hashes, all };
}

/**
 * signal and onProgress in this runtime: an aborted signal rejects every
 * family with AbortError before running; cg, lasso and lstsq report progress; with workers, an
 * abort mid-solve stops the solve and the pool stays usable.
 */
export async function runControls(lib, nl) {
  const out = {};
  const aborted = new AbortController();
  aborted.abort();
  const rejects = async (p) => { try { await p; return "resolved"; } catch (e) { return e?.name ?? String(e); } };
  const x = uniform(Float64Array, 1000, 12);
  const L = laplacian(lib, 60, 13), b = uniform(Float64Array, 3600, 14);
  out.preAbort = {
    blas: await rejects(nl.blas.dot(x, x, { signal: aborted.signal })),
    softmax: await rejects(nl.softmax(x, { signal: aborted.signal })),
    cg: await rejects(nl.cg(L, b, { signal: aborted.signal })),
    gmres: await rejects(nl.gmres(L, b, { signal: aborted.signal })),
    lasso: await rejects(nl.lasso([[1, 2], [3, 4]], Float64Array.of(1, 2), { lambda: 0.1, signal: aborted.signal })),
    logistic: await rejects(nl.logisticRegression([[1, 2], [3, 4]], Float64Array.of(1, -1), { signal: aborted.signal })),
    lstsq: await rejects(nl.lstsq([[1, 2], [3, 4], [5, 7]], Float64Array.of(1, 2, 3), { signal: aborted.signal })),
  };
  const seen = [];
  const r = await nl.cg(L, b, { rtol: 1e-12, onProgress: (p) => seen.push(p.iteration) });
  out.progress = { calls: seen.length, last: seen[seen.length - 1], iterations: r.iterations };
  const sweeps = [];
  const D = new lib.DenseMatrix(400, 50, uniform(Float64Array, 400 * 50, 19));
  const lasso = await nl.lasso(D, planted(D, 20), { lambda: 0.01, tol: 1e-10, onProgress: (p) => sweeps.push(p.iteration) });
  out.lassoProgress = { calls: sweeps.length, last: sweeps[sweeps.length - 1], iterations: lasso.iterations };
  const steps = [];
  const T = new lib.DenseMatrix(2000, 20, uniform(Float64Array, 2000 * 20, 23));
  const ls = await nl.lstsq(T, uniform(Float64Array, 2000, 24), { method: "sketch-and-precondition", onProgress: (p) => steps.push(p.iteration) });
  out.lstsqProgress = { calls: steps.length, last: steps[steps.length - 1], iterations: ls.iterations };
  if (nl.info.workers > 0) {
    // rtol 0 on a big grid: thousands of iterations, so the abort comes first.
    const big = laplacian(lib, 200, 15), bb = uniform(Float64Array, 200 * 200, 16);
    const c = new AbortController();
    // A proxy worker (info.proxy) reports progress only when its kernel ends: abort on a timer there.
    if (nl.info.proxy) setTimeout(() => c.abort(), 100);
    out.midAbort = await rejects(nl.cg(big, bb, { rtol: 0, maxIter: 1e6, signal: c.signal, onProgress: (p) => { if (p.iteration > 20) c.abort(); } }));
    out.afterAbort = await nl.blas.dot(x, x) > 0 && (await nl.cg(L, b, { rtol: 1e-8 })).converged;
  }
  let badInput;
  try { await nl.blas.dot(x, new Float64Array(3)); } catch (e) { badInput = e instanceof lib.NumlaneError ? e.code : String(e); }
  out.badInput = badInput;
  return out;
}

/**
 * The first `count` CG solves of the process (Darcy 128², Jacobi, rtol 1e-8,
 * one thread): wall ms and iterations each, so the first solve's speed can
 * be set against a warm one's (bench/runtimes.mjs).
 */
async function firstSolves(lib, count) {
  const systems = lib.problems.darcy({ grid: 128, count, seed: 3 }).systems;
  const nl = await lib.init({ threads: 1 });
  try {
    const out = [];
    for (const s of systems) {
      const t = performance.now();
      const r = await nl.cg(s.A, s.b, { rtol: 1e-8, preconditioner: "jacobi" });
      out.push({ ms: performance.now() - t, iterations: r.iterations });
    }
    return out;
  } finally {
    await nl.close();
  }
}

/**
 * What each runtime's runner does: cold start (import + init) of the entry,
 * then the vectors under every configuration the runtime supports.
 * `load` imports numlane; `configs` are init() options to try in turn.
 */
export async function runMatrix(load, configs, solves = 0) {
  const t0 = performance.now();
  const lib = await load();
  const t1 = performance.now();
  const first = await lib.init();
  const t2 = performance.now();
  const cold = { importMs: t1 - t0, initMs: t2 - t1, totalMs: t2 - t0, info: first.info };
  await first.close();
  if (solves > 0) cold.solves = await firstSolves(lib, solves);
  const runs = [];
  for (const opts of configs) {
    const nl = await lib.init(opts);
    try {
      const vectors = await runVectors(lib, nl);
      const controls = await runControls(lib, nl);
      runs.push({ opts, info: nl.info, ...vectors, controls });
    } finally {
      await nl.close();
    }
  }
  return { cold, runs };
}
