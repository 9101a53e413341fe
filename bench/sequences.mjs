// npm run bench -- sequences: sequences of related systems, the issue-10
// table. (1) 50 lognormal Darcy systems on 128² cells (independent draws,
// so in no particular order), Jacobi, rtol 1e-8: numlane's independent cg
// (plain, and with coarse-space deflation), solveSequence sorted + recycled
// (k 16) and sorted + coarse deflation, SciPy cg one by one. (2) 40
// convection–diffusion and 40 Helmholtz systems on 48², rtol 1e-8:
// numlane's GMRES(40) one by one (plain, and two-level), solveSequence
// GCRO-DR(40, 10) sorted (plain, and two-level), SciPy gmres(restart=40) one
// by one. Interleaved rounds, medians of wall and of process CPU time
// (steadier on a loaded host; it sums the threads, so compare 1t rows on
// it), every solution's true residual checked. (3) generate darcy --grid 64
// --count 1000 (the library call the CLI makes) against a SciPy loop doing
// the same job (field, assembly, cg).
// NUMLANE_BENCH_THREADS=1,2 picks thread counts (default 1 and 2).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { generate, init, problems } from "../dist/index.js";
import { machine, median, printTable, pythonPeer, writeResults } from "./lib.mjs";
const RESULTS = new URL("./results/sequences.json", import.meta.url);

const RTOL = 1e-8;
const SEQUENCE = { grid: 128, count: 50, seed: 1 };
const NONSYMMETRIC = { grid: 48, count: 40, seed: 1, restart: 40, k: 10 };
const GENERATE = { grid: 64, count: 1000, seed: 1 };
const ROUNDS = 3;

/** max over systems of ‖b − A·x‖/‖b‖, in plain float64. */
function worstResidual(systems, solutions) {
  let worst = 0;
  systems.forEach(({ A, b }, s) => {
    const x = solutions[s];
    let rr = 0, bb = 0;
    for (let i = 0; i < A.rows; i++) {
      let ax = 0;
      for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) ax += A.data[k] * x[A.indices[k]];
      rr += (b[i] - ax) ** 2;
      bb += b[i] ** 2;
    }
    worst = Math.max(worst, Math.sqrt(rr / bb));
  });
  return worst;
}

/** OpenBLAS on one thread, and on its Haswell kernels where the CPU has AVX2 and FMA (as numlane's peers always run). */
function peerEnvironment() {
  process.env.OPENBLAS_NUM_THREADS = "1";
  let cpu = "";
  try { cpu = readFileSync("/proc/cpuinfo", "utf8"); } catch { /* not Linux */ }
  if (/\bavx2\b/.test(cpu) && /\bfma\b/.test(cpu)) process.env.OPENBLAS_CORETYPE = "Haswell";
  return { OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? "(auto)" };
}

/** A case solving each system of `systems` by its own call. */
function oneByOne(systems, name, t, solve) {
  return {
    name: `${name} ${t}t`,
    run: async () => {
      const xs = [], its = [];
      for (const s of systems) {
        const r = await solve(s);
        xs.push(r.x); its.push(r.iterations);
      }
      return { solutions: xs, iterations: its.reduce((a, b) => a + b, 0) };
    },
  };
}

/** Hands the peer a sequence (one pattern; every system's values and b) through temporary files. */
async function loadPeer(py, name, systems) {
  const dir = mkdtempSync(join(tmpdir(), "numlane-sequences-"));
  const n = systems[0].A.rows, nnz = systems[0].A.nnz;
  const values = new Float64Array(systems.length * nnz), rhs = new Float64Array(systems.length * n);
  systems.forEach((s, i) => { values.set(s.A.data, i * nnz); rhs.set(s.b, i * n); });
  const file = (f, a) => { const p = join(dir, f); writeFileSync(p, new Uint8Array(a.buffer, a.byteOffset, a.byteLength)); return p; };
  await py.ask({ op: "load", name, n, count: systems.length, indptr: file("indptr", systems[0].A.indptr), indices: file("indices", systems[0].A.indices), values: file("values", values), rhs: file("rhs", rhs) });
  rmSync(dir, { recursive: true, force: true });
}

/** Runs every case ROUNDS times in a new seeded order each round: wall and CPU samples, iterations, the worst true residual, the recycling verdict. */
async function interleaved(cases, systems) {
  const samples = new Map(cases.map((c) => [c.name, []])), cpuSamples = new Map(cases.map((c) => [c.name, []]));
  const facts = new Map();
  let seed = 2026;
  const order = [...cases];
  for (let round = 0; round < ROUNDS; round++) {
    // A new seeded order each round, so no case always follows the same one.
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const c of order) {
      let seconds, cpuSeconds, iterations, worst, recycling;
      if (c.remote) {
        const r = await c.remote();
        seconds = r.us / 1e6; cpuSeconds = r.cpuUs / 1e6; iterations = r.iterations; worst = r.worstResidual;
      } else {
        const t0 = performance.now(), c0 = process.cpuUsage();
        const r = await c.run();
        seconds = (performance.now() - t0) / 1e3;
        const cu = process.cpuUsage(c0);
        cpuSeconds = (cu.user + cu.system) / 1e6;
        iterations = r.iterations;
        recycling = r.recycling;
        worst = worstResidual(systems, r.solutions);
      }
      samples.get(c.name).push(seconds);
      cpuSamples.get(c.name).push(cpuSeconds);
      const prev = facts.get(c.name);
      facts.set(c.name, { iterations, worstResidual: Math.max(worst, prev?.worstResidual ?? 0), recycling });
      console.log(`  round ${round + 1}: ${c.name}: ${seconds.toFixed(2)} s (CPU ${cpuSeconds.toFixed(2)} s), ${iterations} iterations, worst true residual ${worst.toExponential(2)}`);
    }
  }
  return { samples, cpuSamples, facts };
}

/** One row per case: medians, ratios to `baseName` (same thread count; "<baseName> <t>t") and to the peer, iterations, residuals. */
function tableRows(cases, { samples, cpuSamples, facts }, baseName, peerName, threadCounts) {
  const base = (t, m) => median(m.get(`${baseName} ${t}t`));
  const peer = samples.has(peerName) ? median(samples.get(peerName)) : undefined, peerCpu = peer !== undefined ? median(cpuSamples.get(peerName)) : undefined;
  return cases.map((c) => {
    const s = median(samples.get(c.name)), cpu = median(cpuSamples.get(c.name)), f = facts.get(c.name);
    const t = c.remote ? threadCounts[0] : Number(/(\d+)t$/.exec(c.name)[1]);
    const baseFacts = facts.get(`${baseName} ${t}t`);
    return {
      case: c.name, "median s": s, "vs base": s / base(t, samples), "vs peer": peer ? s / peer : undefined,
      "median CPU s": cpu, "CPU vs base": cpu / base(t, cpuSamples), "CPU vs peer": peerCpu ? cpu / peerCpu : undefined,
      iterations: f.iterations, "iters vs base": f.iterations / baseFacts.iterations, "worst ‖r‖/‖b‖": f.worstResidual.toExponential(1),
      "meets rtol": f.worstResidual <= RTOL, ...(f.recycling && { recycling: f.recycling.used ? "kept" : "dropped" }),
    };
  });
}

export default async function main() {
  const env = peerEnvironment();
  const threadCounts = (process.env.NUMLANE_BENCH_THREADS ?? "1,2").split(",").map(Number);
  const nl = await init({ threads: Math.max(...threadCounts) });
  const py = await pythonPeer(fileURLToPath(new URL("./sequences_peer.py", import.meta.url)));
  if (py) console.log(`SciPy ${py.versions.scipy}, NumPy ${py.versions.numpy}, ${JSON.stringify(env)}`);

  // NUMLANE_SEQUENCES_PART=darcy,nonsymmetric,generate (any of them; default all) runs those
  // parts; the results file keeps the previous run's figures for the others.
  const parts = new Set((process.env.NUMLANE_SEQUENCES_PART ?? "darcy,nonsymmetric,generate").split(","));
  const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : {};
  let darcyResult = previous.sequence, nonsymmetricResult = previous.nonsymmetric, generateResult = previous.generate;

  // (1) The Darcy sequence.
  if (parts.has("darcy")) {
  const set = problems.darcy(SEQUENCE);
  const systems = set.systems;
  const n = systems[0].A.rows;
  if (py) await loadPeer(py, "darcy", systems);
  const cases = [];
  const sequence = (name, t, opts) => ({
    name: `${name} ${t}t`,
    run: async () => {
      const r = await nl.solveSequence(systems, { rtol: RTOL, preconditioner: "jacobi", order: "sorted", ...opts, threads: t });
      return { solutions: r.solutions, iterations: r.totalIterations, recycling: r.recycling };
    },
  });
  for (const t of threadCounts) {
    cases.push(oneByOne(systems, "numlane cg independent", t, (s) => nl.cg(s.A, s.b, { rtol: RTOL, preconditioner: "jacobi", threads: t })));
    cases.push(oneByOne(systems, "numlane cg independent+coarse", t, (s) => nl.cg(s.A, s.b, { rtol: RTOL, preconditioner: "jacobi", coarse: true, threads: t })));
    cases.push(sequence("numlane solveSequence sorted+coarse", t, { coarse: true }));
    cases.push(sequence("numlane solveSequence sorted+recycle16", t, { recycle: { k: 16 } }));
  }
  if (py) cases.push({ name: "SciPy cg one by one 1t", remote: () => py.ask({ op: "sequence", name: "darcy", method: "cg", rtol: RTOL }) });
  const darcy = await interleaved(cases, systems);
  const rows = tableRows(cases, darcy, "numlane cg independent", "SciPy cg one by one 1t", threadCounts);
  console.log(`\n${SEQUENCE.count} lognormal Darcy systems, ${SEQUENCE.grid}² cells (n = ${n}), Jacobi, rtol ${RTOL}; medians of ${ROUNDS} interleaved rounds`);
  printTable(rows);

  darcyResult = { ...SEQUENCE, coefficient: "lognormal", preconditioner: "jacobi", rtol: RTOL, rounds: ROUNDS, samples: Object.fromEntries(darcy.samples), cpuSamples: Object.fromEntries(darcy.cpuSamples), rows };
  }

  // (2) Nonsymmetric and indefinite sequences: GMRES(40) against GCRO-DR(40, 10).
  if (parts.has("nonsymmetric")) {
  const { restart, k } = NONSYMMETRIC;
  const nonsymmetric = {};
  for (const [family, make] of [["convection-diffusion", problems.convectionDiffusion], ["helmholtz", problems.helmholtz]]) {
    const fam = make({ grid: NONSYMMETRIC.grid, count: NONSYMMETRIC.count, seed: NONSYMMETRIC.seed }).systems;
    if (py) await loadPeer(py, family, fam);
    const gcases = [];
    for (const t of threadCounts) {
      for (const [label, extra] of [["", {}], ["+coarse", { coarse: true }]]) {
        gcases.push(oneByOne(fam, `numlane GMRES(${restart}) one by one${label}`, t, (s) => nl.gmres(s.A, s.b, { rtol: RTOL, restart, ...extra, threads: t })));
        gcases.push({
          name: `numlane solveSequence GCRO-DR(${restart},${k}) sorted${label} ${t}t`,
          run: async () => {
            const r = await nl.solveSequence(fam, { method: "gmres", rtol: RTOL, restart, recycle: { k }, order: "sorted", ...extra, threads: t });
            return { solutions: r.solutions, iterations: r.totalIterations, recycling: r.recycling };
          },
        });
      }
    }
    const peerName = `SciPy gmres(${restart}) one by one 1t`;
    if (py) gcases.push({ name: peerName, remote: () => py.ask({ op: "sequence", name: family, method: "gmres", restart, maxSteps: 10 * fam[0].A.rows, rtol: RTOL }) });
    const measured = await interleaved(gcases, fam);
    const grows = tableRows(gcases, measured, `numlane GMRES(${restart}) one by one`, peerName, threadCounts);
    console.log(`\n${NONSYMMETRIC.count} ${family} systems, ${NONSYMMETRIC.grid}² (n = ${fam[0].A.rows}), rtol ${RTOL}; medians of ${ROUNDS} interleaved rounds`);
    printTable(grows);
    nonsymmetric[family] = { samples: Object.fromEntries(measured.samples), cpuSamples: Object.fromEntries(measured.cpuSamples), rows: grows };
  }

  nonsymmetricResult = { ...NONSYMMETRIC, rtol: RTOL, rounds: ROUNDS, ...nonsymmetric };
  }

  // (3) The generator against a SciPy loop.
  if (parts.has("generate")) {
  const gen = [];
  const genCases = [
    { name: "numlane generate darcy 1t", threads: 1 },
    { name: "numlane generate darcy --recycle 16 1t", threads: 1, recycle: 16 },
    { name: "numlane generate darcy --coarse 1t", threads: 1, coarse: true },
  ];
  if (py) genCases.push({ name: "SciPy loop (field, assemble, cg)", remote: true });
  for (const c of genCases) {
    let seconds, iterations, worst;
    if (c.remote) {
      const r = await py.ask({ op: "generate", n: GENERATE.grid, count: GENERATE.count, seed: GENERATE.seed });
      seconds = r.us / 1e6; iterations = r.iterations; worst = r.worstResidual;
    } else {
      const t0 = performance.now();
      const r = await generate(nl, { family: "darcy", ...GENERATE, threads: c.threads, ...(c.recycle && { recycle: c.recycle }), ...(c.coarse && { coarse: true }) });
      seconds = (performance.now() - t0) / 1e3;
      iterations = r.meta.iterations.reduce((a, b) => a + b, 0);
      const N = GENERATE.grid ** 2;
      const rebuilt = problems.darcy(GENERATE).systems;
      worst = worstResidual(rebuilt, rebuilt.map((_, s) => r.solutions.subarray(s * N, (s + 1) * N)));
      c.buildSeconds = r.meta.buildSeconds;
      c.order = r.meta.solver.order;
    }
    gen.push({ case: c.name, "s per system": seconds / GENERATE.count, "total s": seconds, iterations, "worst ‖r‖/‖b‖": worst.toExponential(1), "meets rtol": worst <= RTOL, ...(c.buildSeconds !== undefined && { "of which building s": c.buildSeconds }) });
  }
  console.log(`\ngenerate darcy --grid ${GENERATE.grid} --count ${GENERATE.count} (one run each; numlane: order sorted, Jacobi cg)`);
  printTable(gen);
  generateResult = { ...GENERATE, rtol: RTOL, rows: gen };
  }

  writeResults("sequences", {
    machine: machine(), peer: py ? { ...py.versions, ...env } : undefined,
    sequence: darcyResult, nonsymmetric: nonsymmetricResult, generate: generateResult,
  });
  py?.close();
  await nl.close();
}
