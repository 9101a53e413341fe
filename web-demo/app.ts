// The web demo: numlane in a browser tab (bundled by web-demo/build.mjs).
import { CsrMatrix, DenseMatrix, init, readMatrixMarket, type Numlane } from "../dist/web.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ms = (t0: number) => `${(performance.now() - t0).toFixed(1)} ms`;

async function matrixFromSelection(): Promise<{ name: string; A: CsrMatrix }> {
  const file = $<HTMLInputElement>("upload").files?.[0];
  const text = file ? await file.text() : await (await fetch(`./data/matrices/${$<HTMLSelectElement>("matrix").value}.mtx`)).text();
  const m = readMatrixMarket(text);
  return { name: file?.name ?? $<HTMLSelectElement>("matrix").value, A: m instanceof CsrMatrix ? m : CsrMatrix.fromDense(m) };
}

function wireCg(nl: Numlane): void {
  let controller: AbortController | undefined;
  $("solve").onclick = async () => {
    const out = $("cg"), bar = $<HTMLProgressElement>("progress");
    controller = new AbortController();
    $<HTMLButtonElement>("cancel").disabled = false;
    $<HTMLButtonElement>("solve").disabled = true;
    try {
      const { name, A } = await matrixFromSelection();
      const b = await nl.blas.spmv(A, new Float64Array(A.cols).fill(1));
      const rtol = Number($<HTMLInputElement>("rtol").value);
      const first = { value: NaN };
      const t0 = performance.now();
      const r = await nl.cg(A, b, {
        rtol, preconditioner: $<HTMLInputElement>("jacobi").checked ? "jacobi" : "none", signal: controller.signal,
        onProgress: (p) => {
          if (Number.isNaN(first.value)) first.value = p.value;
          // Progress on a log scale from the first residual down to the target.
          const goal = Math.log(rtol * Math.hypot(...b.subarray(0, Math.min(b.length, 1e5))));
          bar.value = Math.min(1, Math.max(0, (Math.log(first.value) - Math.log(p.value)) / (Math.log(first.value) - goal)));
          out.textContent = `iteration ${p.iteration}: ‖r‖ = ${p.value.toExponential(3)}`;
        },
      });
      bar.value = r.converged ? 1 : bar.value;
      let err = 0;
      for (const v of r.x) err = Math.max(err, Math.abs(v - 1));
      out.textContent = `${name}: ${A.rows}×${A.cols}, ${A.nnz} nonzeros\n${r.reason} after ${r.iterations} iterations in ${ms(t0)}\n` +
        `‖b − A·x‖ = ${r.residualNorm.toExponential(3)}, max |x − 1| = ${err.toExponential(3)}`;
    } catch (e) {
      out.textContent = (e as Error).name === "AbortError" ? "cancelled" : `error: ${(e as Error).message}`;
    } finally {
      $<HTMLButtonElement>("cancel").disabled = true;
      $<HTMLButtonElement>("solve").disabled = false;
    }
  };
  $("cancel").onclick = () => controller?.abort();
}

function wireLasso(nl: Numlane): void {
  $("lasso").onclick = async () => {
    const out = $("lassoOut");
    try {
      const rows = (await (await fetch("./data/datasets/diabetes.csv")).text()).trim().split("\n");
      const names = rows[0].split(",").slice(0, -1);
      const data = rows.slice(1).map((l) => l.split(",").map(Number));
      const p = names.length;
      const A = new DenseMatrix(data.length, p, Float64Array.from(data.flatMap((r) => r.slice(0, p))));
      const b = Float64Array.from(data, (r) => r[p]);
      const t0 = performance.now();
      const r = await nl.lasso(A, b, { lambda: Number($<HTMLInputElement>("lambda").value) });
      out.textContent = `${r.reason} in ${r.iterations} sweeps (${ms(t0)}), duality gap ${r.gap?.toExponential(2)}\n` +
        names.map((n, j) => `${n.padEnd(4)} ${r.x[j].toFixed(2).padStart(9)}`).join("\n");
    } catch (e) {
      out.textContent = `error: ${(e as Error).message}`;
    }
  };
}

function wireSoftmax(nl: Numlane): void {
  $("softmax").onclick = async () => {
    const out = $("softmaxOut");
    const rows = 1000, cols = 1000;
    const x = Float32Array.from({ length: rows * cols }, (_, i) => 20 * Math.sin(i * 0.618));
    const algorithm = $<HTMLSelectElement>("alg").value as "auto";
    await nl.softmax(x, { rows, algorithm });
    const times: number[] = [];
    let y = new Float32Array(0);
    for (let k = 0; k < 9; k++) { const t0 = performance.now(); y = await nl.softmax(x, { rows, algorithm }); times.push(performance.now() - t0); }
    let worst = 0;
    for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += y[r * cols + c]; worst = Math.max(worst, Math.abs(s - 1)); }
    times.sort((a, b) => a - b);
    out.textContent = `${algorithm}: median ${times[4].toFixed(2)} ms over 9 runs; max |Σp − 1| over rows = ${worst.toExponential(1)}`;
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const nl = await init();
  $("info").textContent = `ready in ${ms(t0)} (import + init)\n` + JSON.stringify(nl.info, null, 2) +
    `\ncrossOriginIsolated: ${self.crossOriginIsolated}`;
  wireCg(nl);
  wireLasso(nl);
  wireSoftmax(nl);
  (window as unknown as { numlaneDemo: unknown }).numlaneDemo = { ready: true, info: nl.info };
}

main().catch((e) => { $("info").textContent = `numlane could not start: ${(e as Error).message}`; });
