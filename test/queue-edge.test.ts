// The edge variant of the queue (dist/queue-edge.js) in workerd through
// miniflare: a run planned by the Worker, its chunk jobs consumed from a
// Cloudflare Queue one message at a time with the single build, results in
// R2; assembled, the arrays equal the local run's with the same chunking bit
// for bit, each system once, even when a consumer dies mid-chunk (the
// message is retried). Loopback only: miniflare serves nothing outside.
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, NumlaneError, type Numlane } from "../dist/index.js";
import { collectChunks, generateChunked, type ChunkedOptions } from "../dist/queue.js";

const RECIPE: ChunkedOptions = { family: "darcy", grid: 16, count: 36, seed: 4, chunk: 8, recycle: 4, rtol: 1e-9 };

let mf: Miniflare, nl: Numlane;
beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    scriptPath: "dist/queue-edge.js",
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2025-01-01",
    queueProducers: { NUMLANE_JOBS: { queueName: "numlane-jobs" } },
    queueConsumers: { "numlane-jobs": { maxBatchSize: 1, maxBatchTimeout: 0, maxRetries: 3 } },
    r2Buckets: ["NUMLANE_RESULTS"],
    bindings: { NUMLANE_TEST_DIE_IN_CHUNK: "2" },
  });
  nl = await init({ build: "single" });
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
  await nl?.close();
});

const call = async (path: string, init?: RequestInit) => {
  const r = await mf.dispatchFetch(`http://numlane.test${path}`, init);
  return { status: r.status, body: await r.json() as any };
};

describe("queue-edge (Cloudflare Queue consumer in workerd)", () => {
  it("solves every chunk once, bit-identical to the local chunked run, through a consumer death mid-chunk", async () => {
    const started = await call("/runs", { method: "POST", body: JSON.stringify({ ...RECIPE, run: "t1" }) });
    expect(started).toEqual({ status: 200, body: { run: "t1", chunks: 5, count: 36 } });
    const deadline = Date.now() + 120_000;
    let done = 0;
    while (done < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      done = (await call("/runs/t1")).body.done;
    }
    expect(done).toBe(5);
    const bucket = await mf.getR2Bucket("NUMLANE_RESULTS");
    const get = async (key: string) => (await (await bucket.get(`t1/${key}`))?.arrayBuffer()) ?? undefined;
    const edge = await collectChunks(RECIPE, get);
    const local = await generateChunked(nl, RECIPE);
    expect(edge.solutions).toEqual(local.solutions);
    expect(edge.inputs).toEqual(local.inputs);
    expect(edge.meta.iterations).toEqual(local.meta.iterations);
    expect(edge.meta.solveOrder).toEqual(local.meta.solveOrder);
    expect(edge.meta.allConverged).toBe(true);
    // Chunk 2's consumer died after writing its solutions; the retry rewrote them and wrote its facts once.
    const attempts = await Promise.all([0, 1, 2, 3, 4].map(async (k) => JSON.parse(new TextDecoder().decode((await get(`chunk-${k}.json`))!)).attempts));
    expect(attempts).toEqual([1, 1, 2, 1, 1]);
    // The Worker's own GET serves the same bytes (what a collector outside uses).
    const over = await mf.dispatchFetch("http://numlane.test/runs/t1/chunk-0.f64");
    expect(new Float64Array(await over.arrayBuffer())).toEqual(new Float64Array((await get("chunk-0.f64"))!));
  }, 180_000);

  it("refuses a bad recipe before enqueueing anything, and a chunk too big for an isolate", async () => {
    const bad = await call("/runs", { method: "POST", body: JSON.stringify({ ...RECIPE, grid: -1 }) });
    expect([bad.status, bad.body.code, bad.body.argument]).toEqual([400, "invalid-size", "opts.grid"]);
    const typo = await call("/runs", { method: "POST", body: JSON.stringify({ ...RECIPE, recylce: 2 }) });
    expect([typo.status, typo.body.argument]).toEqual([400, "opts.recylce"]);
    const big = await call("/runs", { method: "POST", body: JSON.stringify({ family: "darcy", grid: 256, count: 400, chunk: 400 }) });
    expect([big.status, big.body.code, big.body.argument]).toEqual([400, "out-of-memory", "opts.chunk"]);
    expect((await call("/runs/none")).body).toEqual({ run: "none", done: 0 });
    // Collecting a run that is not there says which chunk is missing.
    await expect(collectChunks(RECIPE, async () => undefined)).rejects.toThrow(NumlaneError);
    await expect(collectChunks(RECIPE, "bucket" as never)).rejects.toMatchObject({ code: "invalid-type", argument: "get" });
  }, 60_000);
});
