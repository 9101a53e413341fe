// The numlane lab (bundled by web-demo/build.mjs): live panels on numlane's
// API in a browser tab. Plots through uPlot. Every long run has progress and a
// Cancel; window.lab exposes the last results for the browser tests.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { CsrMatrix, DenseMatrix, generate, init, readMatrixMarket, type Numlane } from "../dist/web.js";
import { bcdProblem, laplacian2d, laplacianNnz, LAB, lstsqProblem } from "./problems.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const lab: Record<string, unknown> = {};
(window as unknown as { lab: typeof lab }).lab = lab;
const nextFrame = () => new Promise<void>((r) => setTimeout(r, 0));
const PALETTE = ["#2f6fdf", "#d9480f", "#2b8a3e", "#9c36b5", "#e67700", "#0b7285", "#c2255c"];

/** Log-axis labels: the powers of ten only, as 1e-8. */
const powersOfTen = (_u: uPlot, ticks: number[]) => ticks.map((v) => { const e = Math.log10(v); return Math.abs(e - Math.round(e)) < 1e-9 ? `1e${Math.round(e)}` : ""; });

/** A line plot; `log.y` puts y on a log scale; `pointsOnly` draws no lines (for measurements in no useful order). */
function plot(parent: HTMLElement, title: string, xLabel: string, yLabel: string, series: string[], log: { y?: boolean } = {}, pointsOnly = false): uPlot {
  return new uPlot({
    title, width: 460, height: 260,
    scales: { x: { time: false }, y: log.y ? { distr: 3, log: 10 } : {} },
    axes: [{ label: xLabel }, { label: yLabel, size: 70, ...(log.y ? { values: powersOfTen } : {}) }],
    series: [{ label: xLabel }, ...series.map((label, k) => ({
      label, stroke: PALETTE[k % PALETTE.length], width: 2, points: { show: true, size: pointsOnly ? 7 : 4 }, ...(pointsOnly ? { paths: () => null } : {}),
    }))],
  }, [[], ...series.map(() => [])], parent);
}

/**
 * One long run of a panel: its buttons, progress bar and Cancel, and the page's
 * heartbeat (a 10 ms timer whose largest gap says whether the page kept responding).
 */
function longRun(name: string, body: (signal: AbortSignal, progress: (f: number) => void) => Promise<string>): void {
  const run = $<HTMLButtonElement>(`${name}-run`), cancel = $<HTMLButtonElement>(`${name}-cancel`), bar = $<HTMLProgressElement>(`${name}-progress`), out = $(`${name}-out`);
  run.onclick = async () => {
    const controller = new AbortController();
    cancel.onclick = () => controller.abort();
    run.disabled = true; cancel.disabled = false; bar.value = 0;
    out.textContent = "running…";
    let last = performance.now(), gap = 0;
    const beat = setInterval(() => { const now = performance.now(); gap = Math.max(gap, now - last); last = now; }, 10);
    lab[`${name}Status`] = "running";
    try {
      out.textContent = await body(controller.signal, (f) => { if (Number.isFinite(f)) bar.value = Math.min(1, Math.max(0, f)); });
      lab[`${name}Status`] = "done";
    } catch (e) {
      const cancelled = (e as Error).name === "AbortError";
      out.textContent = cancelled ? "cancelled" : `error: ${(e as Error).message}`;
      lab[`${name}Status`] = cancelled ? "cancelled" : "error";
    } finally {
      clearInterval(beat);
      lab[`${name}HeartbeatGap`] = gap;
      $("heartbeat").textContent = `${gap.toFixed(0)} ms (${name})`;
      run.disabled = false; cancel.disabled = true;
    }
  };
}

function cgPanel(nl: Numlane): void {
  let chart: uPlot | undefined;
  longRun("cg", async (signal, progress) => {
    const [kind, name] = $<HTMLSelectElement>("cg-matrix").value.split(":");
    let A: CsrMatrix;
    const owned: (Int32Array | Float64Array)[] = [];
    if (kind === "grid") {
      // With workers, built in numlane's shared memory (nl.alloc): the long solve then copies
      // nothing on the page's thread. The proxy worker gets copies of plain arrays instead.
      const N = Number(name), n = N * N, nnz = laplacianNnz(N);
      const into = nl.info.proxy ? undefined : { indptr: nl.alloc(n + 1, Int32Array), indices: nl.alloc(nnz, Int32Array), data: nl.alloc(nnz, Float64Array) };
      if (into) owned.push(into.indptr, into.indices, into.data);
      const g = laplacian2d(N, into);
      A = new CsrMatrix(n, n, g.indptr, g.indices, g.data);
    } else {
      const m = readMatrixMarket(await (await fetch(`./data/matrices/${name}.mtx`)).text());
      A = m instanceof CsrMatrix ? m : CsrMatrix.fromDense(m);
    }
    try {
      return await solveAndPlot(A, signal, progress);
    } finally {
      for (const a of owned) nl.free(a);
    }
  });

  async function solveAndPlot(A: CsrMatrix, signal: AbortSignal, progress: (f: number) => void): Promise<string> {
    const b = await nl.blas.spmv(A, new Float64Array(A.cols).fill(1));
    const rtol = Number($<HTMLInputElement>("cg-rtol").value);
    const preconditioner = $<HTMLSelectElement>("cg-precond").value as "none";
    const goal = rtol * (await nl.blas.nrm2(b));
    chart?.destroy();
    chart = plot($("cg-plot"), "residual ‖r‖ against iteration", "iteration", "‖r‖", ["‖r‖"], { y: true });
    const its: number[] = [], res: number[] = [];
    let pending = false;
    // The heartbeat during the solve alone (longRun's covers the set-up on the page's thread too).
    let last = performance.now(), solveGap = 0;
    const beat = setInterval(() => { const now = performance.now(); solveGap = Math.max(solveGap, now - last); last = now; }, 10);
    const t0 = performance.now();
    const r = await nl.cg(A, b, {
      rtol, preconditioner, signal,
      onProgress: (p) => {
        its.push(p.iteration); res.push(p.value);
        progress(Math.log(res[0] / p.value) / Math.log(res[0] / goal));
        if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; chart!.setData([its, res]); }); }
      },
    });
    const ms = performance.now() - t0;
    clearInterval(beat);
    lab.cgSolveGap = Math.max(solveGap, performance.now() - last);
    its.push(r.iterations); res.push(r.residualNorm);
    chart.setData([its, res]);
    progress(r.converged ? 1 : 0);
    let err = 0;
    for (const v of r.x) err = Math.max(err, Math.abs(v - 1));
    lab.cg = { matrix: $<HTMLSelectElement>("cg-matrix").value, preconditioner, rtol, reason: r.reason, iterations: r.iterations, residualNorm: r.residualNorm, maxError: err, ms, reports: its.length - 1 };
    return `${A.rows} unknowns, ${A.nnz} nonzeros, preconditioner ${preconditioner}\n${r.reason} after ${r.iterations} iterations in ${ms.toFixed(0)} ms\n` +
      `‖b − A·x‖ = ${r.residualNorm.toExponential(3)}, max |x − 1| = ${err.toExponential(3)}`;
  }
}

/** An uploaded CSV, parsed in a worker (the page's thread only receives the arrays). */
function parseCsvOffThread(file: File): Promise<{ A: DenseMatrix; b: Float64Array; name: string }> {
  const worker = new Worker("./csv-worker.js", { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      worker.terminate();
      const d = e.data;
      if (d.ok) resolve({ A: new DenseMatrix(d.rows, d.cols, d.data), b: d.b, name: file.name });
      else reject(new Error(d.message));
    };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
    worker.postMessage(file);
  });
}

function lstsqPanel(nl: Numlane): void {
  let charts: uPlot[] = [];
  longRun("lstsq", async (signal, progress) => {
    const { m, n, methods, sketchFactors } = LAB.lstsq;
    let A: DenseMatrix, b: Float64Array, label: string;
    if ($<HTMLSelectElement>("lstsq-source").value === "upload") {
      const file = $<HTMLInputElement>("lstsq-file").files?.[0];
      if (!file) throw new Error("choose a CSV file first");
      ({ A, b, name: label } = await parseCsvOffThread(file));
    } else {
      const p = lstsqProblem(m, n);
      A = new DenseMatrix(m, n, p.a); b = p.b; label = `generated ${m}×${n}`;
    }
    const sizes = sketchFactors.map((f) => f * A.cols).filter((s) => s <= A.rows);
    if (!sizes.length) throw new Error(`${A.rows}×${A.cols}: too few rows for a sketch of 2× the columns`);
    const total = 1 + methods.length * sizes.length;
    const t0 = performance.now();
    const qr = await nl.lstsq(A, b, { method: "qr", signal });
    const qrMs = performance.now() - t0;
    progress(1 / total);
    const rows: Record<string, unknown>[] = [{ method: "qr", sketchSize: 0, residualNorm: qr.residualNorm, excess: 0, xError: 0, ms: qrMs, reason: qr.reason }];
    charts.forEach((c) => c.destroy());
    charts = [
      plot($("lstsq-plots"), "accuracy: (‖r‖ − ‖r_qr‖)/‖r_qr‖", "sketch rows", "excess residual", [...methods], { y: true }),
      plot($("lstsq-plots"), `time (qr: ${qrMs.toFixed(1)} ms)`, "sketch rows", "ms", [...methods]),
    ];
    const excess: (number | null)[][] = methods.map(() => []), times: (number | null)[][] = methods.map(() => []);
    let done = 1;
    for (const size of sizes) {
      for (const [k, method] of methods.entries()) {
        const t = performance.now();
        const r = await nl.lstsq(A, b, { method, sketchSize: size, signal });
        const ms = performance.now() - t;
        let dx = 0, nx = 0;
        for (let j = 0; j < A.cols; j++) { dx += (r.x[j] - qr.x[j]) ** 2; nx += qr.x[j] ** 2; }
        const ex = (r.residualNorm - qr.residualNorm) / qr.residualNorm;
        rows.push({ method, sketchSize: size, residualNorm: r.residualNorm, excess: ex, xError: Math.sqrt(dx / nx), ms, reason: r.reason });
        // Below rounding the excess can be 0 or negative: shown at 1e-16.
        excess[k].push(Math.max(ex, 1e-16)); times[k].push(ms);
        progress(++done / total);
      }
      const xs = sizes.slice(0, excess[0].length);
      charts[0].setData([xs, ...excess] as uPlot.AlignedData);
      charts[1].setData([xs, ...times] as uPlot.AlignedData);
      await nextFrame();
    }
    lab.lstsq = { data: label, rows: A.rows, cols: A.cols, results: rows };
    return `${label} (${A.rows}×${A.cols}); QR: ‖r‖ = ${qr.residualNorm.toPrecision(12)} in ${qrMs.toFixed(1)} ms\n` +
      rows.slice(1).map((r) => `${String(r.method).padEnd(24)} ${String(r.sketchSize).padStart(5)} rows: excess ${(r.excess as number).toExponential(1)}, ` +
        `‖x − x_qr‖/‖x_qr‖ ${(r.xError as number).toExponential(1)}, ${(r.ms as number).toFixed(1)} ms, ${r.reason}`).join("\n");
  });
}

/** Row-wise softmax in plain JavaScript (max, exp and sum, scale), the baseline. */
function softmaxJs(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) { const e = Math.exp(x[o + c] - max); out[o + c] = e; sum += e; }
    const inv = 1 / sum;
    for (let c = 0; c < cols; c++) out[o + c] *= inv;
  }
}

function softmaxPanel(nl: Numlane): void {
  let chart: uPlot | undefined;
  longRun("softmax", async (signal, progress) => {
    const { rows, cols, reps, algorithms } = LAB.softmax;
    const n = rows * cols;
    const x = Float32Array.from({ length: n }, (_, i) => 20 * Math.sin(i * 0.618));
    const threadCounts = [...new Set([1, nl.info.threads])];
    const cases = [{ name: "plain JavaScript", threads: 1, algorithm: undefined as (typeof algorithms)[number] | undefined },
      ...algorithms.flatMap((algorithm) => threadCounts.map((threads) => ({ name: `${algorithm}, ${threads} thread${threads > 1 ? "s" : ""}`, threads, algorithm })))];
    const ref = new Float32Array(n), out = new Float32Array(n);
    const results: Record<string, number | string>[] = [];
    for (const [k, c] of cases.entries()) {
      const once = c.algorithm ? () => nl.softmax(x, { rows, algorithm: c.algorithm, threads: c.threads, out, signal }) : async () => softmaxJs(x, rows, cols, ref);
      // Untimed calls first (V8 optimizes a kernel after a few runs), then the median of reps.
      for (let i = 0; i < 3; i++) await once();
      const t: number[] = [];
      for (let i = 0; i < reps; i++) {
        if (signal.aborted) throw new DOMException("cancelled", "AbortError");
        const t0 = performance.now();
        await once();
        t.push(performance.now() - t0);
        await nextFrame();
      }
      const ms = t.sort((a, b) => a - b)[reps >> 1];
      let diff = 0;
      if (c.algorithm) for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(out[i] - ref[i]));
      // Bytes moved: each float32 read once and written once.
      results.push({ case: c.name, ms, elementsPerSecond: n / (ms / 1e3), gbPerSecond: (8 * n) / (ms / 1e3) / 1e9, maxDiffFromJs: diff });
      progress((k + 1) / cases.length);
    }
    chart?.destroy();
    chart = new uPlot({
      title: "softmax throughput (GB/s)", width: 620, height: 260, scales: { x: { time: false, range: [-0.5, results.length - 0.5] } },
      axes: [{ values: (_u, ticks) => ticks.map((i) => (Number.isInteger(i) && results[i] ? String(results[i].case).replace("plain JavaScript", "JS").replace(/, (\d+) threads?/, " ×$1") : "")), size: 40, rotate: -20 }, { label: "GB/s" }],
      series: [{}, { label: "GB/s", fill: "#2f6fdf88", stroke: "#2f6fdf", paths: uPlot.paths.bars!({ size: [0.6] }), points: { show: false } }],
    }, [results.map((_, i) => i), results.map((r) => r.gbPerSecond as number)], $("softmax-plot"));
    $("softmax-table").innerHTML = `<table><tr><th>case</th><th>median ms</th><th>elements/s</th><th>GB/s</th><th>max |p − p_js|</th></tr>` +
      results.map((r) => `<tr><td>${r.case}</td><td>${(r.ms as number).toFixed(2)}</td><td>${(r.elementsPerSecond as number).toExponential(2)}</td>` +
        `<td>${(r.gbPerSecond as number).toFixed(2)}</td><td>${r.case === "plain JavaScript" ? "" : (r.maxDiffFromJs as number).toExponential(1)}</td></tr>`).join("") + "</table>";
    lab.softmax = { rows, cols, results };
    const js = results[0].ms as number, best = results.slice(1).reduce((a, r) => ((r.ms as number) < (a.ms as number) ? r : a));
    return `${rows}×${cols} float32; fastest: ${best.case}, ${(js / (best.ms as number)).toFixed(1)}× plain JavaScript`;
  });
}

function bcdPanel(nl: Numlane): void {
  let charts: uPlot[] = [];
  longRun("bcd", async (signal, progress) => {
    const { m, n, l1, rules, budgets } = LAB.bcd;
    const p = bcdProblem(m, n);
    const problem = { loss: "least-squares" as const, A: new DenseMatrix(m, n, p.a), b: p.b, penalty: { l1 } };
    // f*: a run to a tight tolerance (the greedy GSQ rule gets there fastest).
    const best = await nl.bcd(problem, { rule: "gsq", tol: 1e-13, maxIter: 1000 * n, signal });
    charts.forEach((c) => c.destroy());
    charts = [
      plot($("bcd-plots"), "f(x) − f* against block updates", "block updates", "f − f*", [...rules], { y: true }),
      plot($("bcd-plots"), "f(x) − f* against time", "ms", "f − f*", [...rules], { y: true }, true),
    ];
    // An untimed call per rule first: the first launches of a kernel run before V8 has optimized it.
    for (const rule of rules) await nl.bcd(problem, { rule, maxIter: n, signal });
    const runs: Record<string, { updates: number[]; objective: number[]; ms: number[] }> = {};
    let fStar = best.objective, done = 0;
    for (const rule of rules) {
      const r = (runs[rule] = { updates: [] as number[], objective: [] as number[], ms: [] as number[] });
      for (const budget of budgets) {
        const maxIter = Math.round(budget * n);
        const t0 = performance.now();
        const fit = await nl.bcd(problem, { rule, maxIter, tol: 1e-13, signal });
        r.ms.push(performance.now() - t0); r.updates.push(fit.iterations); r.objective.push(fit.objective);
        fStar = Math.min(fStar, fit.objective);
        progress(++done / (rules.length * budgets.length));
      }
      // One x-axis per plot: the budgets (in updates) for the first, each rule's own times on the second.
      const gap = (o: number[]) => o.map((f) => Math.max(f - fStar, 1e-14));
      charts[0].setData([budgets.map((b) => Math.round(b * n)), ...rules.map((q) => (runs[q] ? gap(runs[q].objective) : budgets.map(() => null)))] as uPlot.AlignedData);
      // uPlot wants one shared, sorted x: the union of times, each series filled where it has a point
      // (points only: on a busy machine a smaller budget can take longer than a larger one).
      const times = [...new Set(Object.values(runs).flatMap((q) => q.ms))].sort((a, b) => a - b);
      charts[1].setData([times, ...rules.map((q) => times.map((t) => { const i = runs[q]?.ms.indexOf(t) ?? -1; return i >= 0 ? Math.max(runs[q].objective[i] - fStar, 1e-14) : null; }))] as uPlot.AlignedData);
      await nextFrame();
    }
    lab.bcd = { m, n, l1, fStar, best: { objective: best.objective, iterations: best.iterations, reason: best.reason }, runs };
    return `f* = ${fStar.toPrecision(12)} (GSQ to tol 1e-13: ${best.reason} in ${best.iterations} updates)\n` +
      rules.map((q) => `${q.padEnd(10)} after ${budgets.at(-1)! * n} updates: f − f* = ${(runs[q].objective.at(-1)! - fStar).toExponential(2)} in ${runs[q].ms.at(-1)!.toFixed(1)} ms`).join("\n");
  });
}

/** A field on an N×N grid as a heat map (blue low, red high) on a canvas, scaled to `range` (default: its min and max). */
function heatMap(canvas: HTMLCanvasElement, v: ArrayLike<number>, N: number, range?: [number, number]): void {
  let [lo, hi] = range ?? [Infinity, -Infinity];
  if (!range) for (let i = 0; i < N * N; i++) { lo = Math.min(lo, v[i]); hi = Math.max(hi, v[i]); }
  const image = new ImageData(N, N);
  for (let i = 0; i < N * N; i++) {
    const t = hi > lo ? (v[i] - lo) / (hi - lo) : 0.5;
    image.data.set([Math.round(255 * t), Math.round(255 * (1 - Math.abs(2 * t - 1)) * 0.8), Math.round(255 * (1 - t)), 255], 4 * i);
  }
  const scratch = new OffscreenCanvas(N, N);
  scratch.getContext("2d")!.putImageData(image, 0, 0);
  const ctx = canvas.getContext("2d")!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}

/**
 * The base map painted on `canvas` (grid × grid cells, all 1 at first): a
 * drag paints a disc of the brush's factor. `painted()` is undefined while
 * every cell is 1 (the family's own fields), else the map.
 */
function paintableMap(canvas: HTMLCanvasElement, grid: number): { painted(): Float64Array | undefined } {
  const map = new Float64Array(grid * grid).fill(1);
  const draw = () => {
    // On a log scale: ×0.1 blue, ×1 green, ×10 red.
    heatMap(canvas, Float64Array.from(map, (v) => Math.log10(v)), grid, [-1, 1]);
    $("seq-painted").textContent = map.some((v) => v !== 1)
      ? `${map.filter((v) => v !== 1).length} of ${grid * grid} cells painted: a = map × the random field`
      : "nothing painted: a = the random field alone";
  };
  const paintAt = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    const cx = ((e.clientX - r.left) / r.width) * grid, cy = ((e.clientY - r.top) / r.height) * grid;
    const factor = Number($<HTMLSelectElement>("seq-brush").value), radius = 2.5;
    for (let i = Math.max(0, Math.floor(cy - radius)); i < Math.min(grid, Math.ceil(cy + radius)); i++) {
      for (let j = Math.max(0, Math.floor(cx - radius)); j < Math.min(grid, Math.ceil(cx + radius)); j++) {
        if ((i + 0.5 - cy) ** 2 + (j + 0.5 - cx) ** 2 <= radius * radius) map[i * grid + j] = factor;
      }
    }
    draw();
  };
  let down = false;
  canvas.addEventListener("pointerdown", (e) => { down = true; canvas.setPointerCapture(e.pointerId); paintAt(e); });
  canvas.addEventListener("pointermove", (e) => { if (down) paintAt(e); });
  canvas.addEventListener("pointerup", () => { down = false; });
  $("seq-clear").onclick = () => { map.fill(1); draw(); };
  draw();
  return { painted: () => (map.some((v) => v !== 1) ? map.slice() : undefined) };
}

function sequencesPanel(nl: Numlane): void {
  let charts: uPlot[] = [];
  const paint = paintableMap($<HTMLCanvasElement>("seq-paint"), LAB.sequences.grid);
  longRun("seq", async (signal, progress) => {
    const { family, grid, count, strategies } = LAB.sequences;
    const seed = Number($<HTMLInputElement>("seq-seed").value), coefficient = $<HTMLSelectElement>("seq-coefficient").value as "lognormal";
    const painted = paint.painted(), base = painted && { base: painted };
    const names = Object.keys(strategies);
    charts.forEach((c) => c.destroy());
    charts = [
      plot($("seq-plots"), "CG iterations per system", "system (family order)", "iterations", names),
      plot($("seq-plots"), "cumulative solve time", "system (solve order)", "ms", names),
      plot($("seq-plots"), "convergence of the system just solved", "iteration", "‖r‖", names, { y: true }),
    ];
    // Each strategy's latest residual history, redrawn once a frame as systems are solved.
    const histories: (Float64Array | undefined)[] = names.map(() => undefined);
    let drawing = false;
    const drawHistories = () => {
      drawing = false;
      const longest = Math.max(0, ...histories.map((h) => h?.length ?? 0));
      const x = Array.from({ length: longest }, (_, i) => i);
      charts[2].setData([x, ...histories.map((h) => x.map((i) => (h && i < h.length ? h[i] : null)))] as uPlot.AlignedData);
    };
    // Untimed first: the first solves run before V8 has optimized the kernels (else "plain", run first, pays for it).
    await generate(nl, { family, grid, count: 2, seed, coefficient, ...base, signal });
    const x = Array.from({ length: count }, (_, i) => i);
    const iterations: (number | null)[][] = [], cumulative: (number | null)[][] = [];
    const results: Record<string, { iterations: (number | null)[]; reasons: unknown[]; solveSeconds: number; allConverged: boolean; solveOrder: number[]; lastHistory: number[] }> = {};
    for (const [k, name] of names.entries()) {
      let first: Float64Array | Float32Array | undefined;
      const r = await generate(nl, {
        family, grid, count, seed, coefficient, ...base, ...strategies[name], signal,
        onProgress: (p) => progress((k + p.solved / p.count) / names.length),
        sink: (solved) => {
          if (solved.system === 0) first = solved.solution;
          histories[k] = solved.residualHistory;
          if (!drawing) { drawing = true; requestAnimationFrame(drawHistories); }
        },
      });
      const m = r.meta;
      results[name] = {
        iterations: m.iterations, reasons: m.reasons, solveSeconds: m.solveSeconds, allConverged: m.allConverged, solveOrder: m.solveOrder,
        lastHistory: Array.from(histories[k] ?? []),
      };
      iterations.push(m.iterations);
      let t = 0;
      cumulative.push(m.solveOrder.map((i) => (t += 1e3 * (m.seconds[i] ?? 0))));
      charts[0].setData([x, ...iterations, ...names.slice(k + 1).map(() => x.map(() => null))] as uPlot.AlignedData);
      charts[1].setData([x, ...cumulative, ...names.slice(k + 1).map(() => x.map(() => null))] as uPlot.AlignedData);
      if (k === 0) {
        heatMap($<HTMLCanvasElement>("seq-field"), r.inputs.subarray(0, grid * grid).map(Math.log), grid);
        heatMap($<HTMLCanvasElement>("seq-solution"), first!, grid);
      }
      await nextFrame();
    }
    lab.seq = { family, grid, count, seed, coefficient, base: painted && Array.from(painted), results };
    const total = (n: string) => results[n].iterations.reduce((s: number, v) => s + (v ?? 0), 0);
    return names.map((n) => `${n.padEnd(10)} ${String(total(n)).padStart(6)} iterations, ${(1e3 * results[n].solveSeconds).toFixed(0).padStart(5)} ms, ` +
      `${results[n].allConverged ? "all converged" : "NOT all converged"}`).join("\n");
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const nl = await init();
  $("info").textContent = `ready in ${(performance.now() - t0).toFixed(0)} ms; ${nl.info.runtime}, build ${nl.info.build}, ${nl.info.threads} thread(s)` +
    `${nl.info.reason ? ` (${nl.info.reason})` : ""}; crossOriginIsolated ${self.crossOriginIsolated}`;
  cgPanel(nl);
  lstsqPanel(nl);
  softmaxPanel(nl);
  bcdPanel(nl);
  sequencesPanel(nl);
  Object.assign(lab, { ready: true, info: nl.info });
}

main().catch((e) => { $("info").textContent = `numlane could not start: ${(e as Error).message}`; lab.error = (e as Error).message; });
