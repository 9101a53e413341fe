// The job queue on the command line (src/queue.ts): `numlane generate …
// --queue redis://HOST:PORT [--chunk N]` coordinates a run on the queue's
// workers, and `numlane worker --queue redis://HOST:PORT` is one of them.
import { DEFAULT_CHUNK, enqueueSequence, runWorker, type ChunkedOptions, type ChunkedResult } from "../queue.js";
import type { GenerateOptions } from "../generate.js";
import { numberOption, threadsOption, UsageError, type CommandSpec, type OptionSpec, type Parsed } from "./args.js";

/** generate's flags for a queued run. */
export const QUEUE_GENERATE_OPTIONS: Record<string, OptionSpec> = {
  queue: { type: "string", value: "URL", help: "run on the workers of this queue (redis://HOST:PORT): see numlane worker" },
  chunk: { type: "string", value: "N", help: `with --queue: systems per job (default ${DEFAULT_CHUNK}); recycling and ω learning stay within a chunk` },
};

/** `generate --queue`: the run on the queue's workers, the same result a local run with the same chunking gives. */
export async function queuedGenerate(args: Parsed, opts: GenerateOptions, onProgress?: (p: { solved: number; count: number }) => void): Promise<ChunkedResult> {
  if (opts.order === "given") throw new UsageError("--order given: a queued run solves the sorted tour in chunks");
  const { order: _o, ...rest } = opts;
  const chunk = numberOption(args, "chunk", { integer: true, min: 1 });
  const queued: ChunkedOptions = { ...rest, ...(chunk !== undefined && { chunk }), ...(onProgress && { onProgress }) };
  return enqueueSequence(queued, { connection: String(args.values.queue) });
}

/** `--chunk` without `--queue` would be silently ignored: refused. */
export function checkQueueFlags(args: Parsed): void {
  if (args.values.chunk !== undefined && args.values.queue === undefined) throw new UsageError("--chunk: only with --queue (a local run is one sequence)");
}

export const workerSpec: CommandSpec = {
  name: "worker",
  positionals: [],
  summary: "Serves `numlane generate --queue` runs: solves chunk jobs from the queue until SIGINT or SIGTERM.",
  notes: "Solves on a thread of its own, and fetches the next chunk as one is about to end. Prints a line once it serves\n" +
    "(with --json: {\"serving\": URL, \"pid\": N}), then one per chunk. On SIGINT/SIGTERM it finishes the chunk\n" +
    "being solved, gives back one fetched for after it, and exits 0. A worker killed outright loses nothing: its chunks\n" +
    "are taken back within about 20 s and re-run by another worker.",
  options: {
    queue: { type: "string", value: "URL", help: "the queue's Redis (redis://HOST:PORT)" },
  },
};

export async function workerCommand(args: Parsed): Promise<number> {
  if (args.values.queue === undefined) throw new UsageError("numlane worker: --queue redis://HOST:PORT is required");
  const json = Boolean(args.values.json);
  const threads = threadsOption(args);
  const worker = await runWorker({
    connection: String(args.values.queue), ...(threads !== "auto" && { threads }),
    onChunk: (c) => {
      if (json) console.log(JSON.stringify(c));
      else console.log(`chunk ${c.chunk}: ${c.systems} systems built in ${c.buildSeconds.toFixed(2)} s, solved in ${c.seconds.toFixed(2)} s`);
    },
  });
  console.log(json ? JSON.stringify({ serving: String(args.values.queue), pid: process.pid }) : `numlane worker: serving ${args.values.queue} (pid ${process.pid})`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await worker.close();
  return 0;
}
