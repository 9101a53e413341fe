// npm run bench -- runtimes: what numlane costs to ship and to start in each
// runtime. Sizes: each wasm build raw and gzipped, and each entry's JS.
// Cold start: import + init() measured inside the runtime in a fresh process
// (Node, Deno, Bun), a fresh browser context (Chromium, with and without
// COOP/COEP), and for workerd from spawn to the first answer of a request that
// runs init(), next to a worker without numlane (workerd's own start-up).
// First solves: in the same fresh processes and browser contexts, the first
// SOLVES CG solves (Darcy 128², Jacobi, one thread) in µs per iteration: the
// first against the warm ones (the median of the third onwards).
// Medians of REPS; writes bench/results/runtimes.json.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  PAGE, ROOT, binary, browserMounts, launchChromium, makeProject, runCli, runPage, serve, startWorkerd,
} from "../test/runtimes/harness.mjs";
import { machine, median, printTable, writeResults } from "./lib.mjs";

const REPS = 7;
const SOLVES = 6;

function sizes() {
  const files = ["numlane-threads.wasm", "numlane-single.wasm", "index.js", "web.js", "workerd.js", "edge-light.js"];
  return files.map((f) => {
    const bytes = readFileSync(join(ROOT, "dist", f));
    return { file: `dist/${f}`, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs });

export default async function bench() {
  const project = makeProject();
  const rows = [];
  const solveRows = [];
  /** µs per iteration of solve i in each run, then the first against the warm ones. */
  const addSolves = (runtime, note, runs) => {
    const perIt = (i) => runs.map((r) => (1000 * r.cold.solves[i].ms) / r.cold.solves[i].iterations);
    const first = median(perIt(0)), second = median(perIt(1));
    const warm = median(runs.flatMap((r) => r.cold.solves.slice(2).map((s) => (1000 * s.ms) / s.iterations)));
    solveRows.push({ runtime, note, "1st µs/it": first, "2nd µs/it": second, "warm µs/it": warm, "1st/warm": first / warm, "2nd/warm": second / warm });
  };
  const add = (runtime, entry, info, importMs, initMs, totalMs, note = "") =>
    rows.push({ runtime, entry, build: info?.build, threads: String(info?.threads ?? ""), importMs: importMs?.median, initMs: initMs?.median, "cold ms": totalMs.median, note, _samples: { importMs, initMs, totalMs } });
  try {
    for (const rt of ["node", "deno", "bun"]) {
      if (binary(rt).missing) { console.warn(`skipping ${rt}: ${binary(rt).missing}`); continue; }
      const runs = [];
      for (let i = 0; i < REPS; i++) runs.push(await runCli(rt, project, [], SOLVES));
      addSolves(rt, "", runs);
      add(rt, runs[0].entry.replace(/.*\/dist\//, "dist/"), runs[0].cold.info,
        summary(runs.map((r) => r.cold.importMs)), summary(runs.map((r) => r.cold.initMs)), summary(runs.map((r) => r.cold.totalMs)),
        `process start→exit ${median(runs.map((r) => r.wallMs)).toFixed(0)} ms`);
    }
    if (!binary("chromium").missing) {
      const server = await serve(await browserMounts(project));
      const browser = await launchChromium();
      try {
        for (const [prefix, note] of [["/coi/", "COOP/COEP"], ["/plain/", "not isolated"]]) {
          const runs = [];
          for (let i = 0; i < REPS; i++) {
            const context = await browser.newContext(); // empty cache: a first visit
            try { runs.push(await runPage(context, `${server.origin}${prefix}${PAGE}?configs=[]&solves=${SOLVES}`)); } finally { await context.close(); }
          }
          addSolves("chromium", note, runs);
          add("chromium", "dist/web.js", runs[0].cold.info, summary(runs.map((r) => r.cold.importMs)),
            summary(runs.map((r) => r.cold.initMs)), summary(runs.map((r) => r.cold.totalMs)), note);
        }
      } finally {
        await browser.close();
        await server.close();
      }
    } else console.warn(`skipping chromium: ${binary("chromium").missing}`);
    if (!binary("workerd").missing) {
      const withNumlane = [], bare = [];
      let info;
      for (let i = 0; i < REPS; i++) {
        const b = await startWorkerd(project, { bare: true });
        bare.push(b.startMs); await b.stop();
        const w = await startWorkerd(project);
        withNumlane.push(w.startMs); info = w.first.info; await w.stop();
      }
      add("workerd", "dist/workerd.js", info, undefined, undefined, summary(withNumlane),
        `spawn→first init() answer; a worker without numlane: ${median(bare).toFixed(0)} ms`);
      rows[rows.length - 1]._samples.bareMs = summary(bare);
    } else console.warn(`skipping workerd: ${binary("workerd").missing}`);
  } finally {
    project.cleanup();
  }
  const size = sizes();
  console.log("\nsizes (bytes)");
  printTable(size);
  console.log(`\ncold start: import + init(), median of ${REPS} fresh starts (ms)`);
  printTable(rows.map(({ _samples, ...r }) => r));
  console.log(`\nfirst solves: CG on Darcy 128² (Jacobi, one thread) in a fresh process or context, µs per iteration (wall), median of ${REPS}`);
  printTable(solveRows);
  writeResults("runtimes", { machine: { ...machine(), loadavg: loadavg() }, reps: REPS, sizes: size, coldStart: rows.map(({ _samples, ...r }) => ({ ...r, ..._samples })), firstSolves: solveRows });
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
