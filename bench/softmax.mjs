// npm run bench -- softmax: numlane's four algorithms (and auto), 1 thread and
// all threads, against naive JavaScript, tfjs-backend-wasm (XNNPACK, SIMD)
// and onnxruntime-web (a one-node Softmax model), interleaved in one run.
// numlane is timed as users call it: copy in, kernel, a fresh output array;
// "auto (…)" is a call with no options (auto algorithm and thread count), and
// the "nl.alloc" rows keep input and output in wasm memory (zero copy).
// tfjs is timed three ways (see loadTfjs), so every numlane row also gets a
// like-for-like ratio: plain arrays against tfjs from an array, zero copy
// against tfjs resident in + out, "nl.alloc in, fresh out" against tfjs's
// resident input read back into a fresh array ("vs tfjs", the column of
// earlier runs, is always against that last one).
// Reports medians, ratios, and GB/s (n·4 bytes in + out) against the STREAM
// triad bandwidth measured in the same run.
import { createRequire } from "node:module";
import v8 from "node:v8";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { init } from "../dist/index.js";
import { compare, gbps, machine, printTable, triadBandwidth, writeResults } from "./lib.mjs";
import { kernel, launch } from "./blas.mjs";

const require = createRequire(import.meta.url);
// The relaxed-SIMD build (opt-in, init({ build: "relaxed" })) is measured too:
// Node 20 has relaxed SIMD behind this flag (Deno, Bun and Chromium by default).
v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
const ALGS = ["two-pass", "three-pass", "online", "blocked", "auto"];
const SHAPES = [[1, 1e3], [1, 1e4], [1, 1e5], [1, 1e6], [1, 1e7], [1000, 1000]];

function naiveSoftmax(x, rows, cols) {
  const y = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > m) m = x[o + j];
    let s = 0;
    for (let j = 0; j < cols; j++) { const e = Math.exp(x[o + j] - m); y[o + j] = e; s += e; }
    const inv = 1 / s;
    for (let j = 0; j < cols; j++) y[o + j] *= inv;
  }
  return y;
}

export async function loadTfjs() {
  try {
    const tf = await import("@tensorflow/tfjs-core");
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
    wasm.setWasmPaths(dist + "/");
    wasm.setThreadsCount?.(1);
    await tf.setBackend("wasm");
    await tf.ready();
    // Three ways to call it, each the like of one of numlane's:
    //   run:       input tensor resident in tfjs's wasm heap (made once per
    //              shape), result read back into a fresh array (dataSync);
    //   resident:  input and output stay in its heap (no read-back), as
    //              numlane's nl.alloc in + out (zero copy);
    //   fromArray: a tensor made from the array each call, result read back,
    //              as numlane called on plain arrays.
    // tfjs-wasm runs kernels synchronously, so `resident` times the kernel.
    return {
      name: `tfjs-wasm ${tf.version_core}`,
      prepare: (x, rows, cols) => {
        const t = tf.tensor2d(x, [rows, cols]);
        // No tf.tidy here: tidy walks a returned typed array element by element
        // (10× the kernel's time at n = 1e4); dispose explicitly instead.
        return {
          run: () => { const y = tf.softmax(t); const d = y.dataSync(); y.dispose(); return d; },
          resident: () => { tf.softmax(t).dispose(); },
          fromArray: () => { const a = tf.tensor2d(x, [rows, cols]); const y = tf.softmax(a); const d = y.dataSync(); y.dispose(); a.dispose(); return d; },
          dispose: () => t.dispose(),
        };
      },
    };
  } catch (e) {
    console.warn(`tfjs-backend-wasm peer skipped: ${e.message}`);
    return undefined;
  }
}

// ---- a one-node Softmax ONNX model, protobuf written by hand -------------------
const varint = (n) => { const b = []; do { let c = n & 0x7f; n = Math.floor(n / 128); if (n) c |= 0x80; b.push(c); } while (n); return b; };
const field = (num, bytes) => [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
const fieldInt = (num, v) => [...varint(num << 3), ...varint(v)];
const str = (s) => [...new TextEncoder().encode(s)];
function softmaxModel() {
  const dim = (name) => field(1, field(2, str(name)));                        // Dimension.dim_param
  const tensorType = field(1, [...fieldInt(1, 1), ...field(2, [...dim("R"), ...dim("C")])]); // TypeProto.tensor_type: FLOAT, [R, C]
  const valueInfo = (name) => [...field(1, str(name)), ...field(2, tensorType)];
  const node = [...field(1, str("x")), ...field(2, str("y")), ...field(4, str("Softmax"))]; // axis defaults to −1 (opset 13)
  const graph = [...field(1, node), ...field(2, str("softmax")), ...field(11, valueInfo("x")), ...field(12, valueInfo("y"))];
  const opset = [...field(1, []), ...fieldInt(2, 13)];
  return new Uint8Array([...fieldInt(1, 8), ...field(7, graph), ...field(8, opset)]);
}

export async function loadOrt() {
  try {
    const ort = await import("onnxruntime-web");
    const dist = dirname(require.resolve("onnxruntime-web")) + "/"; // …/onnxruntime-web/dist/
    ort.env.wasm.wasmPaths = pathToFileURL(dist).href;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
    const session = await ort.InferenceSession.create(softmaxModel(), { executionProviders: ["wasm"] });
    return {
      name: `onnxruntime-web ${ort.env.versions?.web ?? ""}`.trim(),
      softmax: async (x, rows, cols) => (await session.run({ x: new ort.Tensor("float32", x, [rows, cols]) })).y.data,
    };
  } catch (e) {
    console.warn(`onnxruntime-web peer skipped: ${e.message}`);
    return undefined;
  }
}

/**
 * NUMLANE_BENCH=kernels npm run bench -- softmax: the kernels alone (data
 * already in wasm memory, one thread, called directly), timed in CPU time
 * (process.cpuUsage, median of 15 interleaved rounds), so that other jobs on
 * a busy machine do not count: the figures behind chooseAlgorithm.
 */
async function kernels(nl) {
  const heap = nl.engine.heap, pool = nl.engine.pool;
  const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const rows = [];
  for (const dt of ["f32", "f64"]) {
    for (const n of [1e3, 1e4, 1e5, 1e6, ...(dt === "f32" ? [1e7] : [])]) {
      const T = dt === "f32" ? Float32Array : Float64Array;
      const ks = Object.fromEntries(["twopass", "threepass", "online", "blocked"].map((a) => [a, kernel(`softmax_${dt}_${a}`)]));
      const x = nl.alloc(n, T), y = nl.alloc(n, T), sp = heap.alloc(nl.engine.workspace(ks.threepass, { cols: n }, 1));
      for (let i = 0; i < n; i++) x[i] = Math.sin(i * 12.9898) * 100;
      const fns = Object.fromEntries(Object.entries(ks).map(([a, k]) => [a, pool.direct(k)]));
      const params = { x: x.byteOffset, y: y.byteOffset, rows: 1, cols: n, work: sp };
      const reps = Math.max(1, Math.round(3e6 / n)), res = { twopass: [], threepass: [], online: [], blocked: [] };
      for (const a in fns) for (let i = 0; i < reps; i++) fns[a](params);
      for (let round = 0; round < (n >= 1e7 ? 5 : 15); round++) {
        for (const a in fns) {
          const u0 = process.cpuUsage();
          for (let i = 0; i < reps; i++) fns[a](params);
          const u = process.cpuUsage(u0);
          res[a].push((u.user + u.system) / reps);
        }
      }
      rows.push({ dtype: dt, n: n.toExponential(0), "two-pass µs": med(res.twopass), "three-pass µs": med(res.threepass), "online µs": med(res.online), "blocked µs": med(res.blocked),
        "three-pass ns/elem": (1e3 * med(res.threepass)) / n, "two/three": med(res.twopass) / med(res.threepass), "blocked/three": med(res.blocked) / med(res.threepass) });
      nl.free(x); nl.free(y); heap.free(sp);
    }
  }
  printTable(rows);
}

/**
 * NUMLANE_BENCH=cpu npm run bench -- softmax: whole calls, one thread, against
 * tfjs-wasm, in CPU time like `kernels` (steadier than wall time when other
 * jobs share the cores; GC and page faults still count).
 */
async function cpuCalls(nl) {
  const tfjs = await loadTfjs();
  const nlr = await init({ build: "relaxed" });
  const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const rows = [];
  for (const [r, c] of SHAPES) {
    const n = r * c, label = r === 1 ? `n=${n.toExponential(0)}` : `${r}×${c}`;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 12.9898) * 100;
    const xa = nl.alloc(n, Float32Array), ya = nl.alloc(n, Float32Array), out = new Float32Array(n);
    const xra = nlr.alloc(n, Float32Array), yra = nlr.alloc(n, Float32Array);
    xa.set(x); xra.set(x);
    const tfx = tfjs?.prepare(x, r, c);
    const cases = {
      "tfjs-wasm": tfx?.run,
      "tfjs-wasm resident in+out": tfx?.resident,
      "tfjs-wasm from array": tfx?.fromArray,
      "naive JS": () => naiveSoftmax(x, r, c),
      "auto 1t": () => nl.softmax(x, { rows: r, threads: 1 }),
      "two-pass 1t": () => nl.softmax(x, { rows: r, threads: 1, algorithm: "two-pass" }),
      "auto 1t, out": () => nl.softmax(x, { rows: r, threads: 1, out }),
      "auto 1t nl.alloc in, fresh out": () => nl.softmax(xa, { rows: r, threads: 1 }),
      "auto 1t nl.alloc in+out": () => nl.softmax(xa, { rows: r, threads: 1, out: ya }),
      "two-pass 1t nl.alloc in+out": () => nl.softmax(xa, { rows: r, threads: 1, out: ya, algorithm: "two-pass" }),
      [`relaxed build (${nlr.info.build}) auto 1t`]: () => nlr.softmax(x, { rows: r, threads: 1 }),
      "relaxed build two-pass 1t nl.alloc in+out": () => nlr.softmax(xra, { rows: r, threads: 1, out: yra, algorithm: "two-pass" }),
      "relaxed build auto 1t nl.alloc in+out": () => nlr.softmax(xra, { rows: r, threads: 1, out: yra }),
    };
    if (!tfx) for (const k of ["tfjs-wasm", "tfjs-wasm resident in+out", "tfjs-wasm from array"]) delete cases[k];
    const reps = Math.max(1, Math.round(2e6 / n)), res = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (const k in cases) for (let i = 0; i < reps; i++) await cases[k]();
    for (let round = 0; round < (n >= 1e7 ? 5 : 11); round++) {
      for (const [k, f] of Object.entries(cases)) {
        const u0 = process.cpuUsage();
        for (let i = 0; i < reps; i++) await f();
        const u = process.cpuUsage(u0);
        res[k].push((u.user + u.system) / reps);
      }
    }
    const tf = res["tfjs-wasm"] ? med(res["tfjs-wasm"]) : undefined;
    // Like for like (as in the main run): plain arrays vs tfjs from an array,
    // zero copy (nl.alloc in+out) vs tfjs resident in + out, resident input
    // with a fresh output vs tfjs's resident input read back.
    const like = (k) => k.includes("in, fresh out") || k === "tfjs-wasm" ? tf
      : k.includes("in+out") ? (res["tfjs-wasm resident in+out"] ? med(res["tfjs-wasm resident in+out"]) : undefined)
      : !k.startsWith("tfjs") && k !== "naive JS" ? (res["tfjs-wasm from array"] ? med(res["tfjs-wasm from array"]) : undefined) : undefined;
    const naive = med(res["naive JS"]);
    for (const k in res) {
      const l = like(k);
      rows.push({ shape: label, impl: k, "CPU µs": med(res[k]), "vs tfjs": tf ? med(res[k]) / tf : undefined, "like for like": l ? med(res[k]) / l : undefined, "× naive": naive / med(res[k]) });
    }
    tfx?.dispose(); nl.free(xa); nl.free(ya); nlr.free(xra); nlr.free(yra);
  }
  printTable(rows);
  writeResults("softmax-cpu", { machine: machine(), relaxedBuild: nlr.info.build, peers: { tfjs: tfjs?.name }, results: rows });
  await nlr.close();
}

/**
 * NUMLANE_BENCH=batches npm run bench -- softmax: row-major batches of short
 * and long rows (10 classes, 100, 1000, 10 000, GPT-2's 50 257-entry vocabulary),
 * zero copy on 1 and 2 threads against tfjs-wasm with its input and output
 * resident (like for like), interleaved; written to bench/results/softmax-batches.json.
 */
async function batches(nl) {
  const tfjs = await loadTfjs();
  const rows = [];
  for (const [r, c] of [[10000, 10], [10000, 100], [1000, 1000], [100, 10000], [64, 50257]]) {
    const n = r * c;
    const xa = nl.alloc(n, Float32Array), ya = nl.alloc(n, Float32Array);
    for (let i = 0; i < n; i++) xa[i] = Math.sin(i * 12.9898) * 10;
    const tfx = tfjs?.prepare(xa.slice(), r, c);
    const cases = [
      { name: "1t", fn: () => nl.softmax(xa, { rows: r, threads: 1, out: ya }) },
      { name: "2t", fn: () => nl.softmax(xa, { rows: r, threads: 2, out: ya }) },
    ];
    if (tfx) cases.push({ name: "tfjs", fn: tfx.resident });
    const t = await compare(cases, { rounds: 15, minMs: 20 });
    rows.push({ shape: `${r}×${c}`, "numlane 1t µs": t["1t"], "numlane 2t µs": t["2t"], "tfjs-wasm µs": t.tfjs,
      "1t ÷ tfjs": t.tfjs ? t["1t"] / t.tfjs : undefined, "2t speed-up": t["1t"] / t["2t"], "ns per row 1t": (1e3 * t["1t"]) / r });
    tfx?.dispose(); nl.free(xa); nl.free(ya);
  }
  printTable(rows);
  writeResults("softmax-batches", { machine: machine(), peers: { tfjs: tfjs?.name }, results: rows });
}

/**
 * NUMLANE_BENCH=ulp npm run bench -- softmax: the exps' max error over EVERY
 * f32 of [−87.3, 88.7] (both signs; the test sweeps every 29th), for the
 * threads build and the relaxed one: exp_f32x4, the three-pass exp(t ≤ 0),
 * the two-pass p·2^n (vexp_f32_ulp variants 0, 1, 2). Takes ~4 minutes.
 */
async function ulpSweep() {
  for (const build of ["threads", "relaxed"]) {
    const c = await init({ build });
    const ulp = kernel("vexp_f32_ulp");
    const rows = [];
    for (const [variant, lo, hi, name] of [[0, -87.3, 88.7, "exp_f32x4"], [1, -87.3, 0, "three-pass exp(t ≤ 0)"], [2, -87.3, 88.7, "two-pass p·2^n"]]) {
      const r = await launch(c, ulp, { lo, hi, step: 1, variant }, {});
      rows.push({ build: c.info.build, exp: name, "max ULP": r.maxUlp, "at x": r.at, values: r.tested });
    }
    printTable(rows);
    await c.close();
  }
}

/**
 * NUMLANE_BENCH=tiering npm run bench -- softmax: µs per call of the f32
 * three-pass kernel on a fresh context, call by call, for rows of 2048 and
 * 65536: how long V8 runs its baseline (Liftoff) code before the optimized
 * (TurboFan) code takes over.
 */
async function tiering() {
  for (const n of [2048, 65536]) {
    const c = await init({ threads: 1 });
    const heap = c.engine.heap, k = kernel("softmax_f32_threepass"), f = c.engine.pool.direct(k);
    const base = heap.alloc(2 * n * 4 + 512 + c.engine.workspace(k, { cols: n }, 1));
    heap.f32.fill(1, base >> 2, (base >> 2) + n);
    const params = { x: base, y: base + n * 4 + 256, rows: 1, cols: n, work: base + 2 * n * 4 + 512 };
    const us = [];
    for (let i = 0; i < 400; i++) {
      const t0 = performance.now();
      f(params);
      us.push((performance.now() - t0) * 1e3);
    }
    console.log(`n = ${n}: µs per call, every 20th of 400 calls:`, us.filter((_, i) => i % 20 === 0).map((u) => u.toFixed(1)).join(" "));
    await c.close();
  }
}

export default async function main() {
  if (process.env.NUMLANE_BENCH === "ulp") { await ulpSweep(); process.exit(0); }
  if (process.env.NUMLANE_BENCH === "tiering") { await tiering(); process.exit(0); }
  const nl = await init();
  if (process.env.NUMLANE_BENCH === "batches") { await batches(nl); await nl.close(); process.exit(0); }
  if (process.env.NUMLANE_BENCH === "kernels") { await kernels(nl); await nl.close(); process.exit(0); }
  if (process.env.NUMLANE_BENCH === "cpu") { await cpuCalls(nl); await nl.close(); process.exit(0); }
  const all = nl.info.threads;
  const bw1 = await triadBandwidth(nl, 1), bwAll = await triadBandwidth(nl, all);
  console.log(`triad bandwidth: ${bw1.gbps.toFixed(1)} GB/s (1 thread), ${bwAll.gbps.toFixed(1)} GB/s (${all} threads)`);
  const tfjs = await loadTfjs(), ort = await loadOrt();
  const nlr = await init({ build: "relaxed" });
  console.log(`relaxed-SIMD build: ${nlr.info.build}${nlr.info.reason ? ` (${nlr.info.reason})` : ""}`);
  const rows = [], results = [], speedups = [];
  for (const [r, c] of SHAPES) {
    const n = r * c, label = r === 1 ? `n=${n.toExponential(0)}` : `${r}×${c}`;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 12.9898) * 100;  // uniform-ish in [−100, 100]
    const cases = [];
    for (const alg of ALGS) cases.push({ name: `numlane ${alg} 1t`, threads: 1, fn: () => nl.softmax(x, { rows: r, algorithm: alg, threads: 1 }) });
    if (all > 1) for (const alg of ALGS) cases.push({ name: `numlane ${alg} ${all}t`, threads: all, fn: () => nl.softmax(x, { rows: r, algorithm: alg, threads: all }) });
    // What a caller gets with no options at all: auto algorithm and auto thread count.
    // (Its thread count adapts to running timings above 2^17 elements: see autoThreads in src/softmax.ts.)
    cases.push({ name: "numlane auto", threads: 0, fn: () => nl.softmax(x, { rows: r }) });
    // Zero copy: input and output live in wasm memory (nl.alloc), as tfjs's input
    // tensor lives in its wasm heap; the result is written into `out`.
    const xa = nl.alloc(n, Float32Array), ya = nl.alloc(n, Float32Array);
    xa.set(x);
    cases.push({ name: "numlane auto 1t nl.alloc", threads: 1, fn: () => nl.softmax(xa, { rows: r, threads: 1, out: ya }) });
    cases.push({ name: "numlane two-pass 1t nl.alloc", threads: 1, fn: () => nl.softmax(xa, { rows: r, threads: 1, out: ya, algorithm: "two-pass" }) });
    // tfjs's terms exactly: input resident in wasm memory, a fresh output array per call.
    cases.push({ name: "numlane auto 1t nl.alloc in, fresh out", threads: 1, fn: () => nl.softmax(xa, { rows: r, threads: 1 }) });
    if (all > 1) cases.push({ name: `numlane auto ${all}t nl.alloc`, threads: all, fn: () => nl.softmax(xa, { rows: r, threads: all, out: ya }) });
    // The opt-in relaxed-SIMD (FMA) build: plain arrays, and zero copy on 1 and all threads.
    const xra = nlr.alloc(n, Float32Array), yra = nlr.alloc(n, Float32Array);
    xra.set(x);
    cases.push({ name: "numlane relaxed auto 1t", threads: 1, fn: () => nlr.softmax(x, { rows: r, threads: 1 }) });
    cases.push({ name: "numlane relaxed auto 1t nl.alloc", threads: 1, fn: () => nlr.softmax(xra, { rows: r, threads: 1, out: yra }) });
    cases.push({ name: "numlane relaxed two-pass 1t nl.alloc", threads: 1, fn: () => nlr.softmax(xra, { rows: r, threads: 1, out: yra, algorithm: "two-pass" }) });
    if (all > 1) cases.push({ name: `numlane relaxed auto ${all}t nl.alloc`, threads: all, fn: () => nlr.softmax(xra, { rows: r, threads: all, out: yra }) });
    const tfx = tfjs?.prepare(x, r, c);
    if (tfx) {
      cases.push({ name: "tfjs-wasm", threads: 1, fn: tfx.run });
      cases.push({ name: "tfjs-wasm resident in+out", threads: 1, fn: tfx.resident });
      cases.push({ name: "tfjs-wasm from array", threads: 1, fn: tfx.fromArray });
    }
    if (ort) cases.push({ name: "onnxruntime-web", threads: 1, fn: () => ort.softmax(x, r, c) });
    cases.push({ name: "naive JS", threads: 1, fn: () => naiveSoftmax(x, r, c) });
    const big = n >= 1e7;
    const t = await compare(cases, { rounds: big ? 7 : 15, minMs: big ? 1 : 20 });
    tfx?.dispose();
    nl.free(xa); nl.free(ya); nlr.free(xra); nlr.free(yra);
    const ref = t["tfjs-wasm"];
    // Like for like: numlane on plain arrays against tfjs from an array; zero
    // copy (nl.alloc in + out) against tfjs resident in + out; resident input
    // with a fresh output against tfjs's resident input read back (`ref`).
    const like = (name) => name.includes("nl.alloc in, fresh out") || name === "tfjs-wasm" ? ref
      : name.includes("nl.alloc") || name.includes("resident") ? t["tfjs-wasm resident in+out"]
      : name.startsWith("numlane") || name.includes("from array") ? t["tfjs-wasm from array"] : undefined;
    if (all > 1) {
      speedups.push({
        shape: label,
        "auto 1t µs": t["numlane auto 1t"], [`auto ${all}t µs`]: t[`numlane auto ${all}t`], "speed-up": t["numlane auto 1t"] / t[`numlane auto ${all}t`],
        "nl.alloc 1t µs": t["numlane auto 1t nl.alloc"], [`nl.alloc ${all}t µs`]: t[`numlane auto ${all}t nl.alloc`],
        "nl.alloc speed-up": t["numlane auto 1t nl.alloc"] / t[`numlane auto ${all}t nl.alloc`],
      });
    }
    const plan = nl.softmaxPlan(x, { rows: r });
    for (const k of cases) {
      const threads = k.threads || plan.threads;
      const us = t[k.name], bw = threads === 1 ? bw1.gbps : bwAll.gbps;
      const row = {
        shape: label, impl: k.threads ? k.name : `${k.name} (now ${plan.algorithm}, ${plan.threads}t)`, "µs": us,
        "vs tfjs": ref ? us / ref : undefined,
        "vs tfjs like for like": like(k.name) ? us / like(k.name) : undefined,
        "vs naive": t["naive JS"] / us,
        "GB/s": gbps(8 * n, us),
        "% triad": (100 * gbps(8 * n, us)) / bw,
      };
      rows.push(row);
      results.push({ ...row });
    }
    console.log(`${label} done`);
  }
  printTable(rows);
  if (speedups.length) { console.log(`\n${all} threads vs 1 (auto algorithm; copying path and nl.alloc zero-copy path):`); printTable(speedups); }
  writeResults("softmax", {
    machine: machine(), bandwidth: { oneThread: bw1.gbps, allThreads: bwAll.gbps, threads: all },
    peers: { tfjs: tfjs?.name, onnx: ort?.name }, relaxedBuild: nlr.info.build, results, speedups,
  });
  await nl.close();
  await nlr.close();
  process.exit(0);
}
