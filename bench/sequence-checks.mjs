// node bench/sequence-checks.mjs [dist]: CPU time of solveSequence's checks
// before its first solve, on one chunk of the queue bench (100 Darcy 64²
// systems, one pattern): the call is refused right after them (omega
// "learn" without SSOR is checked after every system), R times (default 40).
// Another build's dist (e.g. main's, for before/after) as the argument.
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";

const dist = process.argv[2] ? pathToFileURL(`${process.argv[2]}/`).href : new URL("../dist/", import.meta.url).href;
const { init, problems } = await import(new URL("index.js", dist));
const nl = await init({ threads: 1 });
const { systems } = problems.darcy({ grid: 64, count: 100, seed: 0 });
const R = Number(process.env.R ?? 40), cpu = [], wall = [];
for (let r = 0; r < R; r++) {
  const c = process.cpuUsage(), t = performance.now();
  try {
    await nl.solveSequence(systems, { preconditioner: "jacobi", omega: "learn" });
  } catch (e) {
    if (!/learn/.test(e.message)) throw e;
  }
  wall.push(performance.now() - t);
  const d = process.cpuUsage(c);
  cpu.push((d.user + d.system) / 1e3);
}
await nl.close();
const sorted = (a) => [...a].sort((x, y) => x - y);
console.log(`${dist}: checks of 100 Darcy 64² systems, ms: CPU median ${sorted(cpu)[R >> 1].toFixed(2)} min ${sorted(cpu)[0].toFixed(2)}, wall median ${sorted(wall)[R >> 1].toFixed(2)} min ${sorted(wall)[0].toFixed(2)} (load ${loadavg()[0].toFixed(1)})`);
