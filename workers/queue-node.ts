// numlane/queue's solver thread (worker_threads): a worker's chunks are
// solved here, one after the other in the order handed over, so that its
// main thread stays free for Redis while a chunk solves (storing the last
// chunk's result, BullMQ's completion, lock renewals, the next fetch): a
// one-thread context runs its kernels on the calling thread, and a chunk's
// solveSequence yields to no event until it ends.
import { parentPort, workerData } from "node:worker_threads";
import { init } from "../src/index.js";
import { chunkJobs, plan, solveChunk } from "../src/chunks.js";
import { NumlaneError } from "../src/errors.js";
import type { SolverData, SolverReply, SolverRequest } from "../src/queue.js";

const port = parentPort!;
const { threads, stop, progress: progressBuffer } = workerData as SolverData;
const stopping = new Int32Array(stop), progress = new Int32Array(progressBuffer);
const reply = (m: SolverReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const failure = (e: unknown, id?: number): SolverReply => ({
  ...(id !== undefined && { id }),
  error: { message: e instanceof Error ? e.message : String(e), ...(e instanceof NumlaneError && { code: e.code, argument: e.argument }) },
});
const epochMs = () => performance.timeOrigin + performance.now();

try {
  const nl = await init(threads !== undefined ? { threads } : {});
  // Before the first job: a small chunk (20 Darcy 32² systems, the default
  // solver: ~0.1 s), so that the kernels a chunk runs are past V8's baseline
  // tier and the builders are compiled when real work arrives (a fresh
  // worker's first chunks otherwise ran ~20 % slower).
  const [warmUp] = chunkJobs(plan({ family: "darcy", grid: 32, count: 20, seed: 0, chunk: 20 }));
  await solveChunk(nl, warmUp, threads !== undefined ? { threads } : {});
  // One chunk at a time, in order (with a pool of several threads a solve
  // lets the next message in before it ends).
  let queue = Promise.resolve();
  // The last values buffer handed back (SolverRequest): the next chunk's values go there when they fit.
  let spare: ArrayBuffer | undefined;
  port.on("message", (m: SolverRequest) => { queue = queue.then(() => handle(m)); });
  const handle = async (m: SolverRequest): Promise<void> => {
    if ("close" in m) { await nl.close(); port.close(); return; }
    if ("recycle" in m) { spare = m.recycle; return; }
    const { id, job } = m;
    if (Atomics.load(stopping, 0) === 1) return reply({ id, declined: true });
    try {
      const startedAt = epochMs();
      // The count first, then the id (SolverData.progress).
      Atomics.store(progress, 1, 0);
      Atomics.store(progress, 0, id);
      // The main thread fetches the next job once this one is about to end:
      // its time left, at its pace so far, within the lead the main thread asks for.
      const systems = job.systems.length;
      let ending = false;
      const end = () => { ending = true; reply({ id, ending: true }); };
      if (systems <= 1) end();
      const onSolved = (solved: number) => {
        Atomics.store(progress, 1, solved);
        if (!ending && ((epochMs() - startedAt) / solved) * (systems - solved) <= Atomics.load(progress, 2) / 1000) end();
      };
      const into = spare;
      spare = undefined;
      const { solutions: _x, inputs: _i, ...r } = await solveChunk(nl, job, { ...(threads !== undefined && { threads }), onSolved, ...(into && { into }) });
      // The values' buffer moves to the main thread (no copy), and comes back once stored.
      reply({ id, result: { ...r, startedAt, finishedAt: epochMs() } }, [r.values.buffer as ArrayBuffer]);
    } catch (e) {
      reply(failure(e, id));
    }
  };
  reply({ ready: true });
} catch (e) {
  reply(failure(e));
}
