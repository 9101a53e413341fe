// numlane/queue-edge: the chunk contract (src/chunks.ts) on Cloudflare: a
// Worker module that plans a run and enqueues its chunks on a Queue
// (POST /runs), consumes them one message at a time with the single build
// (the queue handler), and keeps each solved chunk in an R2 bucket, where a
// collector (collectEdgeRun in numlane/queue, or anything that can GET
// /runs/<run>/<key>) assembles the same arrays as the local run with the same
// chunking, bit for bit. Bindings: NUMLANE_JOBS (a Queue producer) and
// NUMLANE_RESULTS (an R2 bucket); the Queue's consumer is this Worker.
// Deploy recipe: docs/scale.md.
import single from "./numlane-single.wasm";
import { initWith, type Numlane } from "../context.js";
import { edgePlatform } from "../runtime/edge.js";
import { chunkJobs, edgeChunkBytes, plan, solveChunk, type ChunkedOptions, type EdgeChunkJob } from "../chunks.js";
import { NumlaneError } from "../errors.js";

/** The parts of the Workers runtime's types this module uses. */
interface QueueMessage<T> { readonly body: T; readonly attempts: number; ack(): void; retry(): void }
interface MessageBatch<T> { readonly messages: readonly QueueMessage<T>[] }
interface Queue<T> { sendBatch(messages: { body: T }[]): Promise<void> }
interface R2Object { arrayBuffer(): Promise<ArrayBuffer> }
interface R2Bucket {
  put(key: string, value: ArrayBuffer | ArrayBufferView | string): Promise<unknown>;
  get(key: string): Promise<R2Object | null>;
  list(opts: { prefix: string; cursor?: string }): Promise<{ objects: { key: string }[]; truncated: boolean; cursor?: string }>;
}
export interface EdgeEnv {
  NUMLANE_JOBS: Queue<EdgeChunkJob>;
  NUMLANE_RESULTS: R2Bucket;
  /** Test only: the chunk whose first attempt dies between its two writes (a consumer killed mid-chunk). */
  NUMLANE_TEST_DIE_IN_CHUNK?: string;
}

/** Messages per sendBatch (the Queues limit). */
const SEND_BATCH = 100;
/** Memory one chunk may take in the isolate (128 MiB, minus room for the runtime and the module). */
const ISOLATE_BUDGET_BYTES = 96 << 20;

let context: Promise<Numlane> | undefined;
/** One numlane per isolate, kept across messages (its wasm memory stays grown). */
const numlane = () => (context ??= initWith(edgePlatform(single), { threads: 1 }));

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status, headers: { "content-type": "application/json" } });

async function startRun(request: Request, env: EdgeEnv): Promise<Response> {
  const opts = await request.json() as ChunkedOptions & { run?: string };
  const { run = crypto.randomUUID(), ...chunked } = opts;
  if (typeof run !== "string" || !/^[\w-]{1,64}$/.test(run)) throw new NumlaneError("invalid-value", "expected 1–64 letters, digits, - or _", "run");
  // Checked before the family is built and sorted: a chunk must fit one isolate.
  const p = plan(chunked, (shape) => {
    const need = edgeChunkBytes(shape);
    if (need > ISOLATE_BUDGET_BYTES) {
      throw new NumlaneError("out-of-memory", `a chunk of ${shape.chunk} systems of ${shape.N} unknowns needs about ${(need / 2 ** 20).toFixed(0)} MiB, more than an isolate's ${ISOLATE_BUDGET_BYTES / 2 ** 20}; use a smaller chunk`, "opts.chunk");
    }
  });
  const jobs = chunkJobs(p).map((job) => ({ body: { run, job } }));
  for (let at = 0; at < jobs.length; at += SEND_BATCH) await env.NUMLANE_JOBS.sendBatch(jobs.slice(at, at + SEND_BATCH));
  return json({ run, chunks: jobs.length, count: p.count });
}

/** Chunks of `run` done so far (their facts are written last, so a listed one is whole). */
async function runStatus(run: string, env: EdgeEnv): Promise<Response> {
  let done = 0, cursor: string | undefined;
  do {
    const page = await env.NUMLANE_RESULTS.list({ prefix: `${run}/`, ...(cursor && { cursor }) });
    done += page.objects.filter((o) => o.key.endsWith(".json")).length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return json({ run, done });
}

export default {
  async fetch(request: Request, env: EdgeEnv): Promise<Response> {
    const parts = new URL(request.url).pathname.split("/").filter(Boolean);
    try {
      if (parts[0] !== "runs") return json({ error: "not found" }, 404);
      if (request.method === "POST" && parts.length === 1) return await startRun(request, env);
      if (request.method === "GET" && parts.length === 2) return await runStatus(parts[1], env);
      if (request.method === "GET" && parts.length === 3) {
        const object = await env.NUMLANE_RESULTS.get(`${parts[1]}/${parts[2]}`);
        return object ? new Response(await object.arrayBuffer()) : json({ error: "not found" }, 404);
      }
      return json({ error: "not found" }, 404);
    } catch (e) {
      const bad = e instanceof NumlaneError;
      return json({ error: (e as Error).message, ...(bad && { code: e.code, argument: e.argument }) }, bad ? 400 : 500);
    }
  },

  /**
   * One chunk per message: solved, then its solutions and inputs and then its facts
   * written under the run (a retry rewrites both with the same bits, so the
   * collector takes every system once). A failed chunk is retried by the Queue.
   */
  async queue(batch: MessageBatch<EdgeChunkJob>, env: EdgeEnv): Promise<void> {
    const nl = await numlane();
    for (const message of batch.messages) {
      const { run, job } = message.body;
      try {
        const { values, solutions: _x, inputs: _i, buildSeconds: _b, ...facts } = await solveChunk(nl, job, { threads: 1 });
        await env.NUMLANE_RESULTS.put(`${run}/chunk-${job.chunk}.f64`, values);
        if (env.NUMLANE_TEST_DIE_IN_CHUNK === String(job.chunk) && message.attempts === 1) throw new Error(`test: consumer died in chunk ${job.chunk}`);
        await env.NUMLANE_RESULTS.put(`${run}/chunk-${job.chunk}.json`, JSON.stringify({ ...facts, attempts: message.attempts }));
        message.ack();
      } catch (e) {
        console.error(`numlane: run ${run} chunk ${job.chunk} attempt ${message.attempts}: ${(e as Error).message}`);
        message.retry();
      }
    }
  },
};
