// The worker pool: concurrency, recovery after bad calls, cancellation,
// closing (Node must exit on its own), and the barrier inside wasm.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, NumlaneError, type Numlane } from "../dist/index.js";
import { uniform } from "./helpers.js";
import * as K from "../src/generated/kernels.js";
import type { RunOptions } from "../src/pool/pool.js";

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
    // Short one-thread calls keep a lean region for good (Heap.lean): allocated by now.
    const held = nl.engine.heap.bytesInUse;
    expect(held).toBeLessThan(1 << 17);
    const calls = Array.from({ length: 200 }, (_, i) =>
      i % 3 === 0 ? nl.blas.dot(small, small) : nl.blas.dot(big, big, { threads: 2 }));
    const got = await Promise.all(calls);
    got.forEach((v, i) => expect(v).toBe(i % 3 === 0 ? smallDot : bigDot));
    expect(nl.engine.heap.bytesInUse).toBe(held); // every call freed its memory
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
    const barriers = async (c: Numlane, phases: number, opts: RunOptions) => {
      const scope = await c.engine.scope(opts);
      try {
        await scope.launch(K.spmd_barriers, { phases }, opts);
      } finally {
        scope.free();
      }
    };
    for (const threads of [1, 2]) {
      await barriers(nl, 10_000, { threads });
      await barriers(nl, 1_000, { threads, long: true });
    }
    const nl3 = await init({ threads: 3 });
    await barriers(nl3, 2_000, { threads: 3 });
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

describe("worker threads under Node's command-line options", () => {
  // V8 options (as Node 20 needs for relaxed SIMD) pass to a worker only by
  // inheritance, and --input-type (node -e) not at all: with either, and with
  // both, the pool must still start its workers.
  it("starts workers with a V8 option given, from a file and from node -e", async () => {
    const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `
      const { init } = await import(${JSON.stringify(entry)});
      const nl = await init({ threads: 2 });
      console.log(JSON.stringify({ workers: nl.info.workers, reason: nl.info.reason ?? null }));
      await nl.close();`;
    const dir = mkdtempSync(join(tmpdir(), "numlane-argv-"));
    const file = join(dir, "start.mjs");
    writeFileSync(file, script);
    try {
      for (const argv of [["--no-liftoff", file], ["--no-liftoff", "--input-type=module", "-e", script], ["--input-type=module", "-e", script]]) {
        const r = spawnSync(process.execPath, argv, { encoding: "utf8", timeout: 20_000 });
        expect(r.stderr).toBe("");
        expect(JSON.parse(r.stdout), argv.slice(0, 2).join(" ")).toEqual({ workers: 2, reason: null });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("launch protocol", () => {
  // The host writes the team block the kernels read: its offsets (protocol.ts)
  // must be assembly/core/team.ts's, and the block must fit its slots.
  it("the host's team-block offsets are the kernels'", async () => {
    const P = await import("../src/pool/protocol.js");
    const team = readFileSync(fileURLToPath(new URL("../assembly/core/team.ts", import.meta.url)), "utf8");
    const kernel = (name: string) => {
      const m = new RegExp(`export const ${name}: (?:usize|i32) = (\\d+);`).exec(team);
      if (!m) throw new Error(`assembly/core/team.ts has no ${name}`);
      return Number(m[1]);
    };
    const pairs: [string, number][] = [
      ["TEAM_COUNT", P.TEAM_COUNT_BYTE], ["TEAM_GENERATION", P.TEAM_GENERATION_BYTE], ["TEAM_ABORT", P.TEAM_ABORT_BYTE],
      ["TEAM_PROGRESS_ITER", P.TEAM_PROGRESS_ITER_BYTE], ["TEAM_PROGRESS_VALUE", P.TEAM_PROGRESS_VALUE_BYTE],
      ["TEAM_JOINED", P.TEAM_JOINED_BYTE], ["TEAM_MEMBERS", P.TEAM_MEMBERS_BYTE], ["TEAM_CALLER_BLOCKED", P.TEAM_CALLER_BLOCKED_BYTE],
      ["TEAM_ASLEEP", P.TEAM_ASLEEP_BYTE], ["TEAM_BROKEN", P.TEAM_BROKEN], ["TEAM_DEADLOCK", P.TEAM_DEADLOCK],
    ];
    for (const [name, host] of pairs) expect(host, name).toBe(kernel(name));
    const bytes = kernel("TEAM_BYTES");
    expect(P.CTL_SOLO_TEAM_BYTE - P.CTL_TEAM_BYTE).toBeGreaterThanOrEqual(bytes);
    expect(P.CTL_MAILBOX_BYTE - P.CTL_SOLO_TEAM_BYTE).toBeGreaterThanOrEqual(bytes);
    // A barrier waits as long for a missing member as the host waits for an acknowledgement.
    const constant = (source: string, name: string) => Number(new RegExp(`const ${name}(?:: \\w+)? = ([\\d_]+);`).exec(source)![1].replace(/_/g, ""));
    const pool = readFileSync(fileURLToPath(new URL("../src/pool/pool.ts", import.meta.url)), "utf8");
    expect(constant(team, "NAP_NS") / 1e6 * constant(team, "DEAD_AFTER_NAPS")).toBe(constant(pool, "ACK_TIMEOUT_MS"));
  });

  // The host counts a worker it gave up before the worker acknowledged the
  // launch out of that launch; a worker that wakes late must then leave it
  // alone (it would otherwise run against the next launch's team block).
  it("a worker whose acknowledgement the host refused does not take the launch up", async () => {
    const P = await import("../src/pool/protocol.js");
    const { createWorkerApi } = await import("../workers/serve.js");
    const ctx = await init({ threads: 1 });
    try {
      const pool = ctx.engine.pool as unknown as { module: WebAssembly.Module };
      const heap = ctx.engine.heap;
      const ctlPtr = heap.alloc(P.CTL_BYTES);
      const ctl = new Int32Array(heap.memory.buffer, ctlPtr, P.CTL_BYTES >> 2);
      ctl.fill(0);
      let exited = false;
      const api = createWorkerApi(() => { exited = true; });
      api.setup({ module: pool.module, memory: heap.memory, ctl: ctlPtr, index: 0, epoch: 0 });
      // A launch is posted, then the worker is given up before it wakes: the host claims its acknowledgement.
      ctl[P.mailboxWord(0, P.MB_TID)] = 1;
      Atomics.add(ctl, P.mailboxWord(0), 1);
      Atomics.store(ctl, P.mailboxWord(0, P.MB_ACK), P.ACK_REFUSED);
      api.serve(); // returns instead of running the launch (or waiting for another)
      expect(exited).toBe(false);
      expect(ctl[P.mailboxWord(0, P.MB_ACK)]).toBe(P.ACK_REFUSED);
      expect(ctl[P.mailboxWord(0, P.MB_DONE)]).toBe(0);
      expect(ctl[P.CTL_DONE]).toBe(0);
      expect(ctl[(P.CTL_TEAM_BYTE + P.TEAM_JOINED_BYTE) >> 2]).toBe(0);
      heap.free(ctlPtr);
    } finally {
      await ctx.close();
    }
  });
});
