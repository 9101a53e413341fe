// npm run bench -- sequence-tools: the parts solveSequence is built from, one
// thread. (1) nl.sequenceOrder on 10⁴ and 10⁵ systems of 64 features
// (Gaussian, and clustered: 20 centres), wall and CPU time, path length
// against SKR's exact greedy nearest-neighbour tour (10⁴ only: it is O(s²)).
// (2) A solve's fixed cost (cg with maxIter 0) with the matrix passed plainly
// and prepared (nl.prepare), and solveSequence's per system, n = 128² and 512². (3) omega "learn" on 100
// lognormal Darcy systems against each fixed ω of its 10-point grid.
import { init, problems } from "../dist/index.js";
import { machine, median, printTable, writeResults } from "./lib.mjs";
import { rng } from "../test/runtimes/vectors.mjs";
import { greedyTour, pathLength, points } from "../test/tours.mjs";

export default async function () {
  const nl = await init({ threads: 1 });
  const results = { machine: machine(), sorting: [], fixedCost: [], learn: {} };

  for (const s of [1e4, 1e5]) {
    for (const kind of ["gaussian", "clustered"]) {
      const X = points(s, 64, kind, rng(7));
      const systems = X.map((features) => ({ A: [[1]], b: Float64Array.of(1), features }));
      const cpu = process.cpuUsage(), t0 = performance.now();
      const order = nl.sequenceOrder(systems);
      const wall = (performance.now() - t0) / 1e3, used = process.cpuUsage(cpu);
      const row = { systems: s, kind, seconds: wall, cpuSeconds: (used.user + used.system) / 1e6, path: pathLength(X, order) };
      if (s <= 1e4) {
        const g0 = performance.now();
        row.greedyPath = pathLength(X, greedyTour(X));
        row.greedySeconds = (performance.now() - g0) / 1e3;
        row.ratio = row.path / row.greedyPath;
      }
      results.sorting.push(row);
    }
  }
  console.log("\nsequenceOrder, 64 features, one thread");
  printTable(results.sorting);

  for (const grid of [128, 512]) {
    const { systems: [sys] } = problems.darcy({ grid, count: 1, seed: 1 });
    const P = nl.prepare(sys.A);
    const plain = [], prepared = [];
    for (let k = 0; k < 9; k++) {
      let t = performance.now(); await nl.cg(sys.A, sys.b, { maxIter: 0 }); plain.push(performance.now() - t);
      t = performance.now(); await nl.cg(P, sys.b, { maxIter: 0 }); prepared.push(performance.now() - t);
    }
    P.free();
    // solveSequence's cost per system on top of the solves: 6 systems sharing a pattern, maxIter 0.
    const { systems } = problems.darcy({ grid, count: 6, seed: 2 });
    const perSystem = [];
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      await nl.solveSequence(systems, { maxIter: 0, order: "given" });
      perSystem.push((performance.now() - t) / systems.length);
    }
    results.fixedCost.push({ n: grid * grid, plainMs: median(plain), preparedMs: median(prepared), sequencePerSystemMs: median(perSystem) });
  }
  console.log("\nfixed cost of a solve (cg, maxIter 0, median of 9; solveSequence: per system, median of 3)");
  printTable(results.fixedCost);

  const { systems } = problems.darcy({ grid: 64, count: 100, seed: 1 });
  const grid = [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9];
  const fixed = {};
  for (const omega of grid) fixed[omega] = (await nl.solveSequence(systems, { preconditioner: "ssor", omega, rtol: 1e-8 })).totalIterations;
  const best = Math.min(...Object.values(fixed));
  const learnt = [];
  for (const seed of [0, 1, 2]) {
    const r = await nl.solveSequence(systems, { preconditioner: "ssor", omega: "learn", rtol: 1e-8, seed });
    if (!r.reasons.every((x) => x === "converged")) throw new Error("a learnt solve did not converge");
    learnt.push({ seed, iterations: r.totalIterations, overBest: r.totalIterations / best, againstOmega1: r.totalIterations / fixed[1] });
  }
  results.learn = { family: "darcy lognormal 64², 100 systems, rtol 1e-8", fixed, best, learnt };
  console.log("\nomega \"learn\" (100 Darcy 64² systems); fixed:", JSON.stringify(fixed));
  printTable(learnt);
  writeResults("sequence-tools", results);
  await nl.close();
}
