// The worker pool: concurrency, recovery after bad calls, cancellation,
// closing (Node must exit on its own), and the barrier inside wasm.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, NumlaneError, type Numlane } from "../dist/index.js";
import { uniform } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

describe("pool", () => {
  it("info says what was chosen", () => {
    expect(nl.info).toMatchObject({ threads: 2, build: "threads", simd: true, sharedMemory: true, runtime: "node" });
  });

  it("many concurrent calls, threaded and not, all get their own right answer", async () => {
    const big = uniform(400_000, 1), small = uniform(100, 2);
    const bigDot = await nl.blas.dot(big, big, { threads: 1 });
    const smallDot = await nl.blas.dot(small, small, { threads: 1 });
    const calls = Array.from({ length: 200 }, (_, i) =>
      i % 3 === 0 ? nl.blas.dot(small, small) : nl.blas.dot(big, big, { threads: 2 }));
    const got = await Promise.all(calls);
    got.forEach((v, i) => expect(v).toBe(i % 3 === 0 ? smallDot : bigDot));
    expect(nl.engine.heap.bytesInUse).toBeLessThan(1 << 16); // every call freed its memory
  });

  it("stays usable after calls that failed validation", async () => {
    const x = uniform(300_000, 3);
    for (let i = 0; i < 5; i++) {
      await expect(nl.blas.dot(x, new Float64Array(3))).rejects.toBeInstanceOf(NumlaneError);
    }
    expect(await nl.blas.dot(x, x)).toBeGreaterThan(0);
  });

  it("an aborted signal rejects with AbortError before running", async () => {
    const c = new AbortController();
    c.abort();
    await expect(nl.blas.dot(uniform(10, 1), uniform(10, 2), { signal: c.signal })).rejects.toMatchObject({ name: "AbortError" });
    expect(await nl.blas.nrm2(Float64Array.of(3, 4))).toBe(5);
  });

  it("the barrier holds: many phases on 1, 2 and 3 threads finish", async () => {
    for (const threads of [1, 2]) {
      await nl.engine.pool.run("spmd_barriers", [10_000], { threads });
      await nl.engine.pool.run("spmd_barriers", [1_000], { threads, long: true });
    }
    const nl3 = await init({ threads: 3 });
    await nl3.engine.pool.run("spmd_barriers", [2_000], { threads: 3 });
    await nl3.close();
  });

  it("close() lets Node exit on its own, and later calls say the context is closed", async () => {
    const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `
      const { init } = await import(${JSON.stringify(entry)});
      const nl = await init({ threads: 2 });
      const x = new Float64Array(500000).fill(1);
      console.log(await nl.blas.dot(x, x, { threads: 2 }));
      await nl.close();
      try { await nl.blas.dot(x, x, { threads: 2 }); } catch (e) { console.log(e.code); }`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(["500000", "closed"]);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
