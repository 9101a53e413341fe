// npm run bench -- queue: the job queue (numlane/queue) on this machine.
// Systems per second on 1,000 Darcy 64² systems (COUNT to change), chunks of
// the default size: the local chunked run (1 thread), and 1 and 2 `numlane
// worker` processes (1 thread each) on a redis-server of our own on loopback;
// the queue's overhead per chunk on a worker's critical path, its solver
// thread (its time beyond building and solving, and its idle time between
// chunks: whatever of storing a result, BullMQ's completion and fetching the
// next job the prefetch did not hide), and a 1-worker run's wall time beyond
// solves and builds. CPU seconds of each process (Linux: /proc), which the
// other users of a shared machine inflate less than wall time: the local
// chunks', the workers' (split by thread: solver, main, V8's helpers), the
// coordinator's and redis-server's, and each one's minor page faults (MB
// of fresh memory touched: ~3 ms of CPU a MB on this VM). ROUNDS (default 3)
// rounds, each local then 1 then 2 workers, each worker set timed on its
// first run (cold) and its second (warm); the tables give each round's
// rows, then per run the median and range over rounds, and last the two
// targets of issue 16 (2 workers ≥ 1.6× one; the queue's overhead ≤ 2 % of
// solve time, beside the worker's whole time beyond building and solving).
// Writes bench/results/queue.json.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { init } from "../dist/index.js";
import { DEFAULT_CHUNK, enqueueSequence, generateChunked, solveChunk } from "../dist/queue.js";
import { machine, printTable, writeResults } from "./lib.mjs";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";

const COUNT = Number(process.env.COUNT ?? 1000), GRID = 64, CHUNK = Number(process.env.CHUNK ?? DEFAULT_CHUNK), ROUNDS = Number(process.env.ROUNDS ?? 3);
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const opts = { family: "darcy", grid: GRID, count: COUNT, seed: 0, chunk: CHUNK };
if (spawnSync("redis-server", ["--version"]).error) { console.error("bench queue: needs redis-server on PATH"); process.exit(1); }

const port = await new Promise((resolve) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const url = `redis://127.0.0.1:${port}`;
const started = [];
const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
started.push(redis);
await new Promise((r) => setTimeout(r, 500));

/** A process's CPU seconds so far (user + system; its threads and reaped children included), NaN off Linux. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return NaN; }
}
/** A process's minor page faults so far, in MB of 4 KB pages (first touches of fresh memory: ~3 ms a MB on this VM), NaN off Linux. */
function faultMB(pid) {
  try { return (Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[7]) * 4) / 1024; } catch { return NaN; }
}
/** CPU seconds and minor faults (MB) of each live thread of a process, by thread id (Linux: /proc/<pid>/task). */
function threadCpu(pid) {
  const out = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
        out.set(Number(tid), { cpu: (Number(f[11]) + Number(f[12])) / 100, faults: (Number(f[7]) * 4) / 1024 });
      } catch { /* the thread ended */ }
    }
  } catch { /* not Linux, or the process ended */ }
  return out;
}
/**
 * A worker process's CPU seconds and faults (MB) between two threadCpu
 * snapshots, by thread: its main thread (Redis, BullMQ), its solver thread
 * (the busiest other one: builds, checks, solves) and the rest (V8's
 * compiler and GC helpers, libuv's pool).
 */
function splitWorkerCpu(pid, before, after) {
  const z = () => ({ cpu: 0, faults: 0 });
  let main = z(), solver = z(), rest = z();
  for (const [tid, s] of after) {
    const b = before.get(tid), d = { cpu: s.cpu - (b?.cpu ?? 0), faults: s.faults - (b?.faults ?? 0) };
    if (tid === pid) main = d;
    else if (d.cpu > solver.cpu) { rest = { cpu: rest.cpu + solver.cpu, faults: rest.faults + solver.faults }; solver = d; }
    else rest = { cpu: rest.cpu + d.cpu, faults: rest.faults + d.faults };
  }
  return { main, solver, rest };
}
const ownCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** Starts n workers; resolves with their per-chunk reports (filled as they come) once all serve (each has printed its {"serving"} line). */
async function startWorkers(n) {
  const reports = [], procs = [];
  await Promise.all(Array.from({ length: n }, (_, worker) => new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, "worker", "--queue", url, "--threads", "1", "--json"], { stdio: ["ignore", "pipe", "inherit"] });
    procs.push(p); started.push(p);
    let buf = "";
    p.stdout.on("data", (d) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop();
      for (const l of lines) {
        if (!l.startsWith("{")) continue;
        const m = JSON.parse(l);
        if ("serving" in m) resolve();
        else reports.push({ ...m, worker });
      }
    });
    p.once("exit", (code) => reject(new Error(`worker exited ${code}`)));
  })));
  return { reports, cpu: () => procs.reduce((a, p) => a + cpuSeconds(p.pid), 0), faults: () => procs.reduce((a, p) => a + faultMB(p.pid), 0), threads: () => procs.map((p) => [p.pid, threadCpu(p.pid)]), stop: () => Promise.all(procs.map((p) => new Promise((r) => { p.removeAllListeners("exit"); p.once("exit", r); p.kill("SIGTERM"); }))) };
}

const rows = [];
try {
  const nl = await init({ threads: 1 });
  for (let round = 1; round <= ROUNDS; round++) {
    const t0 = performance.now(), load0 = loadavg()[0];
    const local = await generateChunked(nl, { ...opts, threads: 1 });
    const localWall = (performance.now() - t0) / 1e3;
    // The same chunks again, one after the other as the local run solves them
    // (solveChunk, what a worker's solver thread runs): each chunk's time
    // beyond its build and solves, which a local chunked run pays as well,
    // and their CPU time (this process runs nothing else meanwhile).
    let localInChunk = 0;
    const c0 = ownCpu();
    for (let k = 0; k < local.meta.chunks; k++) {
      const job = { family: "darcy", params: local.meta.params, solver: local.meta.solver, chunk: k, systems: local.meta.solveOrder.slice(k * CHUNK, (k + 1) * CHUNK) };
      const t = performance.now();
      const r = await solveChunk(nl, job, { threads: 1 });
      localInChunk += (performance.now() - t) / 1e3 - r.buildSeconds - r.seconds.reduce((a, b) => a + b, 0);
    }
    const localChunksCpu = ownCpu() - c0;
    const solveLocal = local.meta.seconds.reduce((a, b) => a + b, 0);
    const localInChunkMs = (localInChunk / local.meta.chunks) * 1e3;
    rows.push({
      round, run: "local, chunked (1 thread)", workers: 0, load: (load0 + loadavg()[0]) / 2, seconds: localWall, "systems/s": COUNT / localWall, "solve s": solveLocal,
      "build s": local.meta.buildSeconds, "tour s": local.meta.orderSeconds, "in-chunk ms/chunk": localInChunkMs, "chunks' CPU s": localChunksCpu,
    });
    const one = {};
    for (const n of [1, 2]) {
      const w = await startWorkers(n);
      // Twice on the same workers: "cold" is their first run (each fresh
      // process compiles the kernels and warms its JIT and heap as it goes),
      // "warm" the next, as a long-running worker serves a run.
      for (const phase of ["cold", "warm"]) {
      const first = w.reports.length;
      const t0ms = Date.now(), t = performance.now(), l0 = loadavg()[0], coordinator0 = ownCpu(), redis0 = cpuSeconds(redis.pid), workers0 = w.cpu(), threads0 = w.threads();
      const faults0 = [w.faults(), faultMB(process.pid), faultMB(redis.pid)];
      const r = await enqueueSequence(opts, { connection: url });
      const faults = [w.faults(), faultMB(process.pid), faultMB(redis.pid)].map((f, i) => f - faults0[i]);
      const split = w.threads().map(([pid, t], i) => splitWorkerCpu(pid, threads0[i][1], t));
      const wall = (performance.now() - t) / 1e3;
      const workersCpu = w.cpu() - workers0, coordinatorCpu = ownCpu() - coordinator0, redisCpu = cpuSeconds(redis.pid) - redis0;
      const reports = w.reports.slice(first);
      if (process.env.QUEUE_BENCH_DEBUG) console.error(phase, n, reports.length, JSON.stringify(reports.map((c) => [c.worker, c.chunk, c.buildSeconds.toFixed(3), c.solveSeconds.toFixed(3), ((c.startedAt - t0ms) / 1e3).toFixed(3), ((c.finishedAt - t0ms) / 1e3).toFixed(3)])));
      const solve = reports.reduce((a, c) => a + c.solveSeconds, 0), build = reports.reduce((a, c) => a + c.buildSeconds, 0);
      const row = {
        round, run: `queue, ${n} worker${n > 1 ? "s" : ""} (1 thread each), ${phase}`, workers: n, phase, load: (l0 + loadavg()[0]) / 2, seconds: wall, "systems/s": COUNT / wall,
        "solve s": solve, "build s": r.meta.buildSeconds + build, "tour s": r.meta.orderSeconds,
        "workers' CPU s": workersCpu, "coordinator CPU s": coordinatorCpu, "redis CPU s": redisCpu,
        // Σ over the workers, by thread (splitWorkerCpu).
        ...Object.fromEntries(["solver", "main", "rest"].flatMap((t) => ["CPU s", "faults MB"].map((m) => [`${t} ${m}`, split.reduce((a, c) => a + c[t][m === "CPU s" ? "cpu" : "faults"], 0)]))),
        "workers' faults MB": faults[0], "coordinator faults MB": faults[1], "redis faults MB": faults[2],
        // The workers' CPU beyond what the same chunks cost in one process.
        "workers' CPU vs local %": (100 * (workersCpu - localChunksCpu)) / localChunksCpu,
      };
      // The queue's cost on a worker's critical path (its solver thread): its
      // time from its first chunk's start to its last chunk's end beyond
      // building and solving.
      // Where a run's wall time goes besides solving: until the first chunk starts (the plan, enqueueing, the fetch),
      // and the workers' idle time at the end (each one's last chunk done before the run's last: Σ over the workers).
      row["first start s"] = (Math.min(...reports.map((c) => c.startedAt)) - t0ms) / 1e3;
      const lastDone = (w) => Math.max(...reports.filter((c) => c.worker === w).map((c) => c.finishedAt), t0ms);
      row["idle at end s"] = Array.from({ length: n }, (_, w) => lastDone(w)).reduce((a, d, _, all) => a + (Math.max(...all) - d) / 1e3, 0);
      const span = reports.reduce((a, c) => a + (c.finishedAt - c.startedAt) / 1e3, 0);
      const gaps = reports.slice(1).reduce((a, c, i) => a + Math.max(0, c.startedAt - reports[i].finishedAt) / 1e3, 0);
      const overhead = (n === 1 ? gaps : NaN) + span - solve - build;
      if (n === 1) {
        one[phase] = row;
        row["overhead/chunk ms"] = (overhead / r.meta.chunks) * 1e3;
        // Its two parts: inside a chunk beyond building and solves (solveSequence's own checks and copies), and the thread idle between chunks.
        row["in-chunk ms/chunk"] = ((span - solve - build) / r.meta.chunks) * 1e3;
        row["between ms/chunk"] = (gaps / r.meta.chunks) * 1e3;
        row["overhead % of solve"] = (100 * overhead) / solve;
        // The queue's own part: beyond what the same chunks cost inside a local run.
        row["queue's own ms/chunk"] = row["overhead/chunk ms"] - localInChunkMs;
        row["queue's own % of solve"] = (100 * row["queue's own ms/chunk"] * r.meta.chunks) / 1e3 / solve;
        // What the run took beyond its solves and builds, coordinator included (the tail: the last chunk's transfer).
        row["wall beyond solve+build s"] = wall - r.meta.buildSeconds - r.meta.orderSeconds - solve - build;
      } else {
        row["speed-up vs 1 worker"] = row["systems/s"] / one[phase]["systems/s"];
      }
      rows.push(row);
      }
      await w.stop();
    }
  }
  await nl.close();
} finally {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
}
// Per run over the rounds: the median, and the range when there are several.
const numeric = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !["round", "run", "workers"].includes(k));
const median = (v) => { const s = [...v].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const summary = [...new Set(rows.map((r) => r.run))].map((run) => {
  const of = rows.filter((r) => r.run === run);
  return { round: "median", run, workers: of[0].workers, phase: of[0].phase, ...Object.fromEntries(numeric.filter((k) => of.every((r) => typeof r[k] === "number")).map((k) => [k, median(of.map((r) => r[k]))])),
    ...(of.length > 1 && { ranges: Object.fromEntries(numeric.filter((k) => of.every((r) => typeof r[k] === "number")).map((k) => [k, [Math.min(...of.map((r) => r[k])), Math.max(...of.map((r) => r[k]))]])) }) };
});
const columns = ["round", "run", "load", "seconds", "systems/s", "speed-up vs 1 worker", "first start s", "idle at end s", "solve s", "build s", "tour s", "overhead/chunk ms", "overhead % of solve", "in-chunk ms/chunk", "between ms/chunk",
  "queue's own ms/chunk", "queue's own % of solve", "wall beyond solve+build s"];
printTable([...rows, ...summary].map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? ""]))));
// CPU seconds and page faults by process (workers: Σ over them, by thread).
const cpuColumns = ["round", "run", "chunks' CPU s", "workers' CPU s", "workers' CPU vs local %", "solver CPU s", "main CPU s", "rest CPU s", "coordinator CPU s", "redis CPU s",
  "workers' faults MB", "solver faults MB", "main faults MB", "coordinator faults MB", "redis faults MB"];
console.log();
printTable([...rows, ...summary].map((r) => Object.fromEntries(cpuColumns.map((c) => [c, r[c] ?? ""]))));
const range = (s, k, digits) => s.ranges ? ` (range ${s.ranges[k].map((v) => v.toFixed(digits)).join("–")})` : "";
console.log(`\ntargets (medians over ${ROUNDS} round${ROUNDS > 1 ? "s" : ""}, load ${rows.map((r) => r.load.toFixed(1)).join(", ")}):`);
for (const phase of ["cold", "warm"]) {
  const one = summary.find((s) => s.workers === 1 && s.phase === phase), two = summary.find((s) => s.workers === 2 && s.phase === phase);
  console.log(` ${phase} workers (${phase === "cold" ? "their first run" : "their second run"}):`);
  console.log(`  2 workers / 1 worker: ${two["speed-up vs 1 worker"].toFixed(2)}×${range(two, "speed-up vs 1 worker", 2)}; target ≥ 1.6×`);
  console.log(`  the queue's overhead (a worker's time beyond building and solving, less what the same chunks cost in a local run): ${one["queue's own % of solve"].toFixed(2)} % of solve time${range(one, "queue's own % of solve", 2)}, ${one["queue's own ms/chunk"].toFixed(1)} ms a chunk; target ≤ 2 %`);
  console.log(`   (with solveSequence's own per-chunk checks and copies, which the local run pays as well: ${one["overhead % of solve"].toFixed(2)} %${range(one, "overhead % of solve", 2)}, ${one["overhead/chunk ms"].toFixed(1)} ms a chunk)`);
}
writeResults("queue", { machine: machine(), loadAverage: loadavg(), count: COUNT, grid: GRID, chunk: CHUNK, rounds: ROUNDS, rows, summary });
