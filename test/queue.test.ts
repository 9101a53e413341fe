// The job queue (numlane/queue) on a real Redis: a redis-server of our own on
// loopback (persistence off), two `numlane worker` processes, one of them
// killed with SIGKILL mid-run; the dataset must hold every system once and
// equal, bit for bit, the local run with the same chunking. Everything
// started here is stopped by process id. Without redis-server the Redis
// tests are skipped with a warning, unless CI is set (then they fail).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeNpy, generate, init, NumlaneError, problems, type Numlane } from "../dist/index.js";
import { Queue } from "bullmq";
import { enqueueSequence, generateChunked, runWorker, solveChunk, type ChunkedResult } from "../dist/queue.js";
import { matvec, norm } from "./helpers.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const redisMissing = spawnSync("redis-server", ["--version"]).error !== undefined;
if (redisMissing && !process.env.CI) console.warn("numlane queue tests: skipping the Redis tests: no redis-server on PATH (under CI=1 this fails)");
const withRedis = redisMissing && !process.env.CI ? describe.skip : describe;

const sha256 = (a: Float64Array | Float32Array, shape: number[]) => createHash("sha256").update(encodeNpy(a, shape)).digest("hex");

/** The arrays' hashes and the per-system facts that must match between two runs. */
function fingerprint(r: ChunkedResult | Awaited<ReturnType<typeof generate>>) {
  return {
    inputs: sha256(r.inputs, r.meta.inputShape), solutions: sha256(r.solutions!, r.meta.solutionShape),
    iterations: r.meta.iterations, reasons: r.meta.reasons, solveOrder: r.meta.solveOrder,
  };
}

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

describe("generateChunked (the local run a queued one must equal)", () => {
  it("with one chunk is generate() bit for bit (sorted order, recycling and ω learned along the whole tour)", async () => {
    const opts = { family: "darcy" as const, grid: 20, count: 24, seed: 3, recycle: 4, omega: "learn" as const };
    const one = await generateChunked(nl, { ...opts, chunk: 24 });
    const whole = await generate(nl, opts);
    expect(fingerprint(one)).toEqual(fingerprint(whole));
    expect(one.meta.chunks).toBe(1);
    // Coarse-space deflation travels in the recipe too.
    const coarse = { family: "darcy" as const, grid: 20, count: 12, seed: 3, coarse: true };
    const chunked = await generateChunked(nl, { ...coarse, chunk: 12 });
    expect(chunked.meta.solver.coarse).toBe(true);
    expect(fingerprint(chunked)).toEqual(fingerprint(await generate(nl, coarse)));
  });

  it("the coordinator's family, built 1,000 systems at a time, is generate()'s: inputs, solutions and order, 3 families", async () => {
    for (const family of ["darcy", "heat", "convection-diffusion"] as const) {
      const opts = { family, grid: 6, count: 2345, seed: 9 };
      expect(fingerprint(await generateChunked(nl, { ...opts, chunk: 2345 })), family).toEqual(fingerprint(await generate(nl, opts)));
    }
  });

  it("in chunks: each chunk a sequence of its own (so different iterations), every solution's true residual within rtol", async () => {
    const r = await generateChunked(nl, { family: "darcy", grid: 20, count: 24, seed: 3, recycle: 4, chunk: 5 });
    expect(r.meta.chunks).toBe(5);
    expect([...r.meta.solveOrder].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    // The tour is generate's, cut in pieces.
    const whole = await generate(nl, { family: "darcy", grid: 20, count: 24, seed: 3, recycle: 4 });
    expect(r.meta.solveOrder).toEqual(whole.meta.solveOrder);
    const set = problems.darcy({ grid: 20, count: 24, seed: 3 }), N = 400;
    set.systems.forEach((s, i) => {
      const x = Float64Array.from(r.solutions!.subarray(i * N, (i + 1) * N));
      expect(norm(matvec(s.A, x).map((v, k) => s.b[k] - v))).toBeLessThanOrEqual(1e-8 * norm(s.b));
    });
    expect(r.meta.allConverged).toBe(true);
  });

  it("solveChunk's `into`: the values land in the given buffer (stale contents and all) with the same bits as in fresh memory; too small, fresh memory; bad, refused", async () => {
    const params = problems.darcy({ grid: 12, count: 9, seed: 4 }, [0]).params;
    const solver = { method: "cg", preconditioner: "jacobi", rtol: 1e-8, recycle: 0, coarse: false, order: "sorted" } as const;
    const job = { family: "darcy" as const, params, solver, chunk: 0, systems: [5, 1, 7] };
    const fresh = await solveChunk(nl, job, { threads: 1 });
    const into = new Float64Array(fresh.values.length + 10).fill(12345).buffer;
    const reused = await solveChunk(nl, job, { threads: 1, into });
    expect(reused.values.buffer).toBe(into);
    expect(Buffer.from(reused.values.buffer, 0, reused.values.byteLength).equals(Buffer.from(fresh.values.buffer, 0, fresh.values.byteLength))).toBe(true);
    const small = new ArrayBuffer(8);
    expect((await solveChunk(nl, job, { threads: 1, into: small })).values.buffer).not.toBe(small);
    for (const [opts, argument] of [[{ into: new Float64Array(4) }, "opts.into"], [{ into: new SharedArrayBuffer(1024) }, "opts.into"], [{ recycle: true }, "opts.recycle"]] as const) {
      await expect(solveChunk(nl, job, opts as never)).rejects.toMatchObject({ name: "NumlaneError", argument });
    }
  });

  it("a worker builds just its chunk's systems: each the same bits as in the whole family, for every family", () => {
    const only = [7, 2, 11];
    for (const [name, build] of Object.entries(problems)) {
      const whole = build({ grid: 6, count: 12, seed: 4 }), part = build({ grid: 6, count: 12, seed: 4 }, only);
      const per = whole.inputs.length / 12;
      expect(part.inputShape, name).toEqual([3, ...whole.inputShape.slice(1)]);
      expect(part.params, name).toEqual(whole.params);
      only.forEach((s, i) => {
        expect(part.inputs.subarray(i * per, (i + 1) * per), name).toEqual(whole.inputs.subarray(s * per, (s + 1) * per));
        const [a, b] = [part.systems[i], whole.systems[s]];
        expect([a.A.data, a.A.indices, a.A.indptr, a.b, a.features], `${name} system ${s}`).toEqual([b.A.data, b.A.indices, b.A.indptr, b.b, b.features]);
      });
      for (const bad of [[12], [-1], [1.5]]) {
        expect(() => build({ grid: 6, count: 12 }, bad)).toThrow(expect.objectContaining({ code: "invalid-value", argument: "only[0]" }));
      }
    }
  });

  it("refuses bad input before solving or connecting", async () => {
    const bad: [object, string][] = [
      [{ family: "darcy", grid: 8, count: 4, chunk: 0 }, "opts.chunk"],
      [{ family: "darcy", grid: 8, count: 4, chunk: 1.5 }, "opts.chunk"],
      [{ family: "lava", grid: 8, count: 4 }, "opts.family"],
      [{ family: "darcy", grid: 8, count: 4, order: "given" }, "opts.order"],
      [{ family: "darcy", grid: 8, count: 4, wavenumbers: [1, 2] }, "opts.wavenumbers"],
    ];
    for (const [opts, argument] of bad) {
      const e = await enqueueSequence(opts as never, { connection: "redis://127.0.0.1:1" }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NumlaneError);
      expect((e as NumlaneError).argument).toBe(argument);
    }
    for (const connection of ["http://127.0.0.1:6379", "redis://", "not a url", 42]) {
      const e = await enqueueSequence({ family: "darcy", grid: 8, count: 4 }, { connection: connection as never }).catch((x: unknown) => x);
      expect((e as NumlaneError).argument).toBe("connection");
    }
  });
});

/** A port free on loopback now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    }).on("error", reject);
  });
}

/** Resolves once Redis answers PING. */
async function redisReady(port: number): Promise<void> {
  for (let t = 0; t < 100; t++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once("error", () => resolve(false));
      s.connect(port, "127.0.0.1", () => s.write("PING\r\n"));
      s.once("data", (d) => { s.destroy(); resolve(d.toString().startsWith("+PONG")); });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("redis-server did not start");
}

/** A Redis command's raw reply (inline command: arguments without spaces). */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    s.once("error", reject);
    s.connect(port, "127.0.0.1", () => s.write(command + "\r\n"));
    s.once("data", (d) => { s.destroy(); resolve(d.toString()); });
  });
}

/** `numlane worker` as a child process; resolves once it serves. */
function startWorker(url: string): Promise<{ proc: ChildProcess; out: string[] }> {
  const proc = spawn(process.execPath, [CLI, "worker", "--queue", url, "--threads", "1"], { stdio: ["ignore", "pipe", "pipe"] });
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    proc.stdout!.on("data", (d) => {
      out.push(...String(d).split("\n").filter(Boolean));
      if (out.some((l) => l.startsWith("numlane worker: serving"))) resolve({ proc, out });
    });
    proc.stderr!.on("data", (d) => out.push(String(d)));
    proc.once("exit", (code) => reject(new Error(`worker exited (${code}) before serving: ${out.join("\n")}`)));
  });
}

const exited = (p: ChildProcess) => new Promise<number | null>((resolve) => {
  if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode);
  else p.once("exit", (code) => resolve(code));
});

withRedis("on BullMQ + Redis (loopback)", () => {
  let redis: ChildProcess, url: string, dir: string, port: number;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    port = await freePort();
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await redisReady(port);
    url = `redis://127.0.0.1:${port}`;
    dir = mkdtempSync(join(tmpdir(), "numlane-queue-"));
    for (let i = 0; i < 2; i++) workers.push((await startWorker(url)).proc);
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
    if (redis && redis.exitCode === null) { redis.kill("SIGTERM"); await exited(redis); }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A queue of its own, served by one in-process worker (1 thread, `onChunk` as given): `body` gets its jobs' handle; after it, the worker is closed and the queue emptied. */
  async function withOwnQueue(queue: string, body: (jobs: Queue) => Promise<void>, onChunk?: Parameters<typeof runWorker>[0]["onChunk"]): Promise<void> {
    const jobs = new Queue(queue, { connection: { host: "127.0.0.1", port } });
    const worker = await runWorker({ connection: url, queue, threads: 1, ...(onChunk && { onChunk }) });
    try {
      await body(jobs);
    } finally {
      await worker.close();
      await jobs.obliterate({ force: true });
      await jobs.close();
    }
  }

  it("1,000 Darcy 32² systems, one worker SIGKILLed mid-run: every system once, arrays equal the local chunked run's", async () => {
    const opts = { family: "darcy" as const, grid: 32, count: 1000, seed: 1, chunk: 50 };
    let killedAt = -1;
    const queued = await enqueueSequence({
      ...opts,
      onProgress: ({ solved }) => {
        if (killedAt < 0 && solved >= 300) { killedAt = solved; workers[0].kill("SIGKILL"); }
      },
    }, { connection: url });
    expect(killedAt).toBeGreaterThanOrEqual(300);
    expect(await exited(workers[0])).toBe(null);   // killed by the signal
    // The killed worker's chunk was taken back and re-run by the other.
    expect(queued.stats.stalled).toBeGreaterThanOrEqual(1);
    expect(queued.meta.solved).toBe(1000);
    expect([...queued.meta.solveOrder].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(queued.meta.iterations.every((v) => typeof v === "number" && v > 0)).toBe(true);
    expect(queued.solutions!.every((v) => Number.isFinite(v))).toBe(true);
    expect(queued.meta.allConverged).toBe(true);
    // Local, on 2 threads (the workers ran 1): the same bits.
    const local = await generateChunked(nl, opts);
    expect(fingerprint(queued)).toEqual(fingerprint(local));
    // Nothing left behind in Redis: results collected and deleted, jobs removed.
    expect(await redisCommand(port, "KEYS numlane:*")).toBe("*0\r\n");
    expect(await redisCommand(port, "LLEN bull:numlane:wait")).toBe(":0\r\n");
  }, 240_000);

  it("convection-diffusion with GCRO-DR recycling and `numlane generate --queue`: the same files as the local chunked run", async () => {
    const args = ["generate", "convection-diffusion", "--grid", "16", "--count", "40", "--seed", "2", "--recycle", "4", "--chunk", "7",
      "--queue", url, "--out", dir, "--threads", "1"];
    const run = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const local = await generateChunked(nl, { family: "convection-diffusion", grid: 16, count: 40, seed: 2, recycle: 4, chunk: 7 });
    expect(readFileSync(join(dir, "inputs.npy")).equals(encodeNpy(local.inputs, local.meta.inputShape))).toBe(true);
    expect(readFileSync(join(dir, "solutions.npy")).equals(encodeNpy(local.solutions!, local.meta.solutionShape))).toBe(true);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    expect(meta).toMatchObject({ chunk: 7, chunks: 6, solved: 40, iterations: local.meta.iterations, solveOrder: local.meta.solveOrder });
    expect(meta.solver).toEqual(local.meta.solver);
  }, 180_000);

  it("an aborted run rejects with an AbortError and takes its waiting chunks off the queue", async () => {
    const ac = new AbortController();
    const run = enqueueSequence({
      family: "darcy", grid: 32, count: 400, seed: 5, chunk: 20, signal: ac.signal,
      onProgress: ({ solved }) => { if (solved >= 20) ac.abort(); },
    }, { connection: url });
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(await redisCommand(port, "LLEN bull:numlane:wait")).toBe(":0\r\n");
  }, 60_000);

  it("a worker closed mid-run finishes the chunk it is solving and gives back the one it fetched ahead; another finishes the run, each chunk once", async () => {
    // A queue of its own, so that the CLI workers above take none of these jobs.
    const queue = "give-back", opts = { family: "darcy" as const, grid: 32, count: 300, seed: 7, chunk: 50 };
    const first: { chunk: number }[] = [], second: { chunk: number }[] = [];
    const one = await runWorker({ connection: url, queue, threads: 1, onChunk: (c) => first.push(c) });
    const run = enqueueSequence(opts, { connection: url, queue });
    const jobs = new Queue(queue, { connection: { host: "127.0.0.1", port } });
    try {
      // Once it holds two jobs (one solving, one fetched ahead), it is told to stop.
      while ((await jobs.getActiveCount()) < 2) await new Promise((r) => setTimeout(r, 2));
      await one.close();
      expect(await jobs.getActiveCount()).toBe(0);
      // It finished what it held and gave the job fetched ahead back: not every chunk, and (below) each exactly once, none retried.
      // (When a chunk starts on the solver thread is not what close() promises: the one being handed over may start just after.)
      expect(first.length).toBeLessThan(6);
      const two = await runWorker({ connection: url, queue, threads: 1, onChunk: (c) => second.push(c) });
      const queued = await run;
      await two.close();
      expect([...first, ...second].map((c) => c.chunk).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(queued.stats).toEqual({ stalled: 0, duplicates: 0, retried: 0, missedEvents: 0 });
      expect(fingerprint(queued)).toEqual(fingerprint(await generateChunked(nl, opts)));
    } finally {
      await jobs.obliterate({ force: true });
      await jobs.close();
    }
  }, 120_000);

  it("a worker takes its next job only as its chunk is about to end: it holds one job, two only briefly (BullMQ's own loop holds two throughout)", async () => {
    const queue = "no-hoard", opts = { family: "darcy" as const, grid: 32, count: 300, seed: 17, chunk: 50 };
    await withOwnQueue(queue, async (jobs) => {
      let done = false;
      const run = enqueueSequence(opts, { connection: url, queue }).finally(() => { done = true; });
      const held: number[] = [];
      while (!done) {
        const active = await jobs.getActiveCount();
        if (active > 0) held.push(active);
        await new Promise((r) => setTimeout(r, 2));
      }
      const queued = await run;
      expect(Math.max(...held)).toBeLessThanOrEqual(2);
      // Two jobs are held only from a chunk's "ending" (a few ms before its end) to its completion.
      expect(held.filter((a) => a === 2).length / held.length).toBeLessThan(0.3);
      expect(held.length).toBeGreaterThan(20);
      expect(fingerprint(queued)).toEqual(fingerprint(await generateChunked(nl, opts)));
    });
  }, 60_000);

  it("results travel the same bits through the result link with a database (SELECT) and through ioredis (an option only ioredis knows)", async () => {
    const opts = { family: "darcy" as const, grid: 12, count: 30, seed: 11, chunk: 10 };
    const local = fingerprint(await generateChunked(nl, opts));
    for (const [queue, connection] of [["link-db", `redis://127.0.0.1:${port}/3`], ["ioredis", { host: "127.0.0.1", port, connectTimeout: 10_000 }]] as const) {
      const worker = await runWorker({ connection, queue, threads: 1 });
      try {
        const queued = await enqueueSequence(opts, { connection, queue });
        expect(fingerprint(queued), queue).toEqual(local);
        expect(queued.stats).toEqual({ stalled: 0, duplicates: 0, retried: 0, missedEvents: 0 });
      } finally {
        await worker.close();
        const jobs = new Queue(queue, { connection: typeof connection === "string" ? { host: "127.0.0.1", port, db: 3 } : connection });
        await jobs.obliterate({ force: true });
        await jobs.close();
      }
    }
    // Every result read and deleted (database 0: the ioredis run).
    expect(await redisCommand(port, "KEYS numlane:ioredis:*")).toBe("*0\r\n");
  }, 60_000);

  it("a chunk that throws on the solver thread fails its job with the thread's error, and the worker serves on", async () => {
    await withOwnQueue("bad-recipe", async (jobs) => {
      const solver = { method: "cg", preconditioner: "jacobi", rtol: 1e-8, recycle: 0, coarse: false, order: "sorted" };
      const bad = await jobs.add("chunk", { family: "lava", params: {}, solver, chunk: 0, systems: [0] }, { attempts: 1 });
      const good = await jobs.add("chunk", { family: "darcy", params: problems.darcy({ grid: 8, count: 3, seed: 1 }, [0]).params, solver, chunk: 0, systems: [2, 0] }, { attempts: 1 });
      while (!["failed", "completed"].includes(await bad.getState()) || !["failed", "completed"].includes(await good.getState())) await new Promise((r) => setTimeout(r, 10));
      expect(await bad.getState()).toBe("failed");
      expect((await jobs.getJob(bad.id!))!.failedReason).toMatch(/^job\.family: unknown family "lava"/);
      expect(await good.getState()).toBe("completed");
      const { iterations, key } = (await jobs.getJob(good.id!))!.returnvalue;
      expect(iterations).toHaveLength(2);
      expect(await redisCommand(port, `DEL ${key}`)).toBe(":1\r\n");
    });
  }, 60_000);

  it("an onChunk that throws fails that attempt (retried, not stalled) and the worker serves on", async () => {
    let calls = 0;
    await withOwnQueue("throwing-callback", async (jobs) => {
      const solver = { method: "cg", preconditioner: "jacobi", rtol: 1e-8, recycle: 0, coarse: false, order: "sorted" };
      const params = problems.darcy({ grid: 8, count: 3, seed: 1 }, [0]).params;
      const first = await jobs.add("chunk", { family: "darcy", params, solver, chunk: 0, systems: [1, 2] }, { attempts: 2 });
      while ((await first.getState()) !== "completed") await new Promise((r) => setTimeout(r, 10));
      const done = (await jobs.getJob(first.id!))!;
      // The first attempt failed with the callback's error, the second completed; the job never stalled.
      expect(done.attemptsMade).toBe(2);
      expect(done.stalledCounter).toBe(0);
      expect(done.stacktrace?.[0]).toMatch(/onChunk failed/);
      const next = await jobs.add("chunk", { family: "darcy", params, solver, chunk: 1, systems: [0] }, { attempts: 1 });
      while ((await next.getState()) !== "completed") await new Promise((r) => setTimeout(r, 10));
      expect(calls).toBe(3);
      for (const j of [done, (await jobs.getJob(next.id!))!]) expect(await redisCommand(port, `DEL ${j.returnvalue.key}`)).toBe(":1\r\n");
    }, () => { if (++calls === 1) throw new Error("onChunk failed"); });
  }, 60_000);

  it("chunks whose events the coordinator missed (its events connection dropped while the stream was trimmed) are found by its periodic check: the run ends, the same bits", async () => {
    const opts = { family: "darcy" as const, grid: 16, count: 480, seed: 13, chunk: 6 };
    const trimmer = new Socket();
    await new Promise<void>((resolve) => trimmer.connect(port, "127.0.0.1", resolve));
    trimmer.on("data", () => undefined);
    // (The aborted run above may have left results of its in-flight chunks: only this run's must be gone.)
    const before = (await redisCommand(port, "KEYS numlane:*")).split("\r\n").filter((l) => l.startsWith("numlane:")).sort();
    let done = false;
    const run = enqueueSequence(opts, { connection: url }).finally(() => { done = true; });
    // Every ~20 ms the coordinator's blocked XREAD connection is killed (ioredis reconnects it; the kill
    // is repeated, so it also lands once the connection first exists), and the events stream is emptied
    // every 2 ms meanwhile: completions in those windows are never read.
    const sabotage = (async () => {
      while (!done) {
        for (const line of (await redisCommand(port, "CLIENT LIST")).split("\n")) {
          const id = /^id=(\d+) .*cmd=xread/.exec(line)?.[1];
          if (id) await redisCommand(port, `CLIENT KILL ID ${id}`);
        }
        for (let i = 0; i < 10 && !done; i++) {
          trimmer.write("XTRIM bull:numlane:events MAXLEN 0\r\n");
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    })();
    try {
      const queued = await run;
      expect(queued.stats.missedEvents).toBeGreaterThan(0);
      expect(queued.meta.solved).toBe(480);
      expect(fingerprint(queued)).toEqual(fingerprint(await generateChunked(nl, opts)));
      expect((await redisCommand(port, "KEYS numlane:*")).split("\r\n").filter((l) => l.startsWith("numlane:")).sort()).toEqual(before);
    } finally {
      await sabotage;
      trimmer.destroy();
    }
  }, 120_000);

  it("an onProgress that throws fails the run with its error, from a chunk's progress as from its completion", async () => {
    // Chunks of ~0.4 s: the first report is a progress event (every 250 ms), before any chunk completes.
    let calls = 0;
    const run = enqueueSequence({
      family: "darcy", grid: 64, count: 200, seed: 19, chunk: 100,
      onProgress: () => { if (++calls === 1) throw new Error("onProgress failed"); },
    }, { connection: url });
    await expect(run).rejects.toThrow("onProgress failed");
  }, 60_000);

  it("the CLI refuses --chunk without --queue; a worker stops cleanly on SIGTERM (exit 0)", async () => {
    const r = spawnSync(process.execPath, [CLI, "generate", "darcy", "--grid", "8", "--count", "4", "--chunk", "2", "--out", dir], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--chunk: only with --queue/);
    const w = workers[1];
    w.kill("SIGTERM");
    expect(await exited(w)).toBe(0);
  }, 60_000);
});
