// Shared benchmark machinery: interleaved sampling of peers in one run,
// medians, ratios, the machine's bandwidth measured from inside wasm, a
// Python peer process (Debian's python3 with NumPy/SciPy), JSON results.
import { spawn } from "node:child_process";
import { writeFileSync, mkdirSync, existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { CsrMatrix } from "../dist/index.js";

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Calls per sample so that one sample lasts at least `minMs`. */
async function calibrate(fn, minMs) {
  let k = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) await fn();
    const dt = performance.now() - t0;
    if (dt >= minMs || k >= 1 << 20) return k;
    k = Math.min(1 << 20, Math.max(k * 2, Math.ceil((k * minMs) / Math.max(dt, 1e-3))));
  }
}

/**
 * Times every case in the same run, interleaved round by round so that
 * machine noise hits all peers alike; each round takes the cases in a new
 * (seeded) order, so no case always follows the same one (and pays for its
 * garbage: a forced GC between samples was tried, and it slowed tfjs-wasm's
 * small calls 1.5–2×). Returns { name: median µs per call }.
 * A case is { name, fn } where fn may be async; or { name, remote } where
 * remote(rounds) is called once per round and returns µs per call.
 */
export async function compare(cases, { rounds = 15, minMs = 4 } = {}) {
  const ks = new Map();
  for (const c of cases) if (c.fn) { await c.fn(); ks.set(c.name, await calibrate(c.fn, minMs)); }
  const samples = new Map(cases.map((c) => [c.name, []]));
  let seed = 12345;
  const order = [...cases];
  for (let r = 0; r < rounds; r++) {
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const c of order) {
      if (c.remote) { samples.get(c.name).push(await c.remote()); continue; }
      const k = ks.get(c.name);
      const t0 = performance.now();
      for (let i = 0; i < k; i++) await c.fn();
      samples.get(c.name).push(((performance.now() - t0) * 1e3) / k);
    }
  }
  return Object.fromEntries([...samples].map(([n, s]) => [n, median(s)]));
}

/** Bytes/µs → GB/s. */
export const gbps = (bytes, us) => bytes / us / 1e3;

/**
 * Memory bandwidth from inside wasm: the STREAM triad a = b + s·c on arrays
 * far larger than the caches, counting 24 bytes per element as STREAM does.
 */
export async function triadBandwidth(nl, threads, n = 1 << 22) {
  const a = nl.alloc(n), b = nl.alloc(n), c = nl.alloc(n);
  b.fill(1); c.fill(2);
  const r = await compare([{ name: "triad", fn: () => nl.blas.triad(b, c, 3, { out: a, threads }) }], { rounds: 11 });
  nl.free(a); nl.free(b); nl.free(c);
  return { us: r.triad, gbps: gbps(24 * n, r.triad) };
}

/**
 * A long-lived Debian python3 that times NumPy/SciPy calls on request, so
 * Python peers interleave with the JavaScript ones. Returns undefined (and
 * says why) when python3-numpy is missing.
 */
export async function pythonPeer(script) {
  const py = "/usr/bin/python3";
  if (!existsSync(py)) { console.warn("python peer skipped: /usr/bin/python3 missing"); return undefined; }
  const child = spawn(py, [script], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const pending = [];
  lines.on("line", (l) => pending.shift()?.(JSON.parse(l)));
  const ask = (msg) => new Promise((resolve) => { pending.push(resolve); child.stdin.write(JSON.stringify(msg) + "\n"); });
  const hello = await Promise.race([ask({ op: "hello" }), new Promise((r) => setTimeout(() => r(undefined), 20000))]);
  if (!hello?.ok) { console.warn(`python peer skipped: ${hello?.error ?? "no answer"}`); child.kill(); return undefined; }
  return { versions: hello.versions, ask, close: () => child.kill() };
}

export function writeResults(family, result) {
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  const file = new URL(`./results/${family}.json`, import.meta.url);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  console.log(`\nwrote bench/results/${family}.json`);
}

/** Prints rows (objects with the same keys) as an aligned table. */
export function printTable(rows) {
  if (!rows.length) return;
  const keys = Object.keys(rows[0]);
  const cell = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v ?? ""));
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (vals) => vals.map((v, i) => v.padStart(widths[i])).join("  ");
  console.log(line(keys));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(keys.map((k) => cell(r[k]))));
}

export function machine() {
  return { node: process.version, platform: `${process.platform}-${process.arch}`, date: new Date().toISOString() };
}

/** The 7-point Laplacian on a k³ grid (what data/matrices/lap3D_7pt_n20.mtx is for k = 20). */
export function laplacian3d(k) {
  const n = k * k * k, I = [], J = [], V = [];
  const id = (a, b, c) => (a * k + b) * k + c;
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let c = 0; c < k; c++) {
    const r = id(a, b, c);
    I.push(r); J.push(r); V.push(6);
    for (const [da, db, dc] of [[-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0], [0, 0, -1], [0, 0, 1]]) {
      const A = a + da, B = b + db, C = c + dc;
      if (A >= 0 && A < k && B >= 0 && B < k && C >= 0 && C < k) { I.push(r); J.push(id(A, B, C)); V.push(-1); }
    }
  }
  return CsrMatrix.fromCoo(n, n, I, J, V);
}

/** −Δu + w·∇u on an N×N grid (h = 1/(N+1)), central differences: the peer builds the same. */
export function convectionDiffusion(N, wx, wy) {
  const h = 1 / (N + 1), I = [], J = [], V = [];
  for (let a = 0; a < N; a++) for (let c = 0; c < N; c++) {
    const r = a * N + c;
    I.push(r); J.push(r); V.push(4);
    for (const [aa, cc, v] of [[a, c - 1, -1 - (wx * h) / 2], [a, c + 1, -1 + (wx * h) / 2], [a - 1, c, -1 - (wy * h) / 2], [a + 1, c, -1 + (wy * h) / 2]]) {
      if (aa >= 0 && aa < N && cc >= 0 && cc < N) { I.push(r); J.push(aa * N + cc); V.push(v); }
    }
  }
  return CsrMatrix.fromCoo(N * N, N * N, I, J, V);
}
