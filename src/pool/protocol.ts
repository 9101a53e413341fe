// The control block in shared memory through which the host launches SPMD
// kernels on the workers: no postMessage on the hot path, only Atomics.
// Offsets are in 32-bit words from the block's start unless named *_BYTE.
export const CTL_KERNEL = 0;       // index into kernelNames(module)
export const CTL_NARGS = 1;        // number of f64 argument slots used
export const CTL_TID_BASE = 2;     // worker w runs as tid (w + base)
export const CTL_NTHREADS = 3;     // threads in this launch, the caller included
export const CTL_NWORKERS = 4;     // workers taking part in this launch
export const CTL_STOP = 5;         // 1: workers leave their serve loop
export const CTL_DONE = 16;        // workers that finished this launch (own cache line)
export const CTL_FAILED = 32;      // workers whose kernel threw
export const CTL_ARGS_BYTE = 256;  // f64 argument slots
export const CTL_MAX_ARGS = 24;
export const CTL_TEAM_BYTE = 512;  // the kernels' team block (assembly/core/team.ts)
export const CTL_SOLO_TEAM_BYTE = 768; // team block for calls on the caller alone
export const CTL_MAILBOX_BYTE = 1024;  // one word per worker, 64 bytes apart
export const CTL_MAILBOX_STRIDE = 16;  // words
export const MAX_WORKERS = 64;
export const CTL_BYTES = CTL_MAILBOX_BYTE + MAX_WORKERS * 64;

// Team block offsets (bytes), mirrored from assembly/core/team.ts.
export const TEAM_ABORT_BYTE = 128;
export const TEAM_PROGRESS_ITER_BYTE = 192;
export const TEAM_PROGRESS_VALUE_BYTE = 200;

/** Polls before sleeping when waiting for a launch or its end. */
export const SPIN = 20000;

export const mailboxWord = (worker: number) => (CTL_MAILBOX_BYTE >> 2) + worker * CTL_MAILBOX_STRIDE;

/** Kernel names in export order: host and workers index kernels the same way. */
export function kernelNames(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name);
}

/** What a worker needs to join the pool. */
export interface WorkerSetup {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: number;    // byte address of the control block
  index: number;  // worker number, 0-based
}

/** The API each worker exposes through comlink. */
export interface WorkerApi {
  setup(s: WorkerSetup): void;
  /** Runs launches until told to stop; resolves then. */
  serve(): void;
}
