// The control block in shared memory through which the host launches SPMD
// kernels on the workers: no postMessage on the hot path, only Atomics.
// Offsets are in 32-bit words from the block's start unless named *_BYTE.
export const CTL_KERNEL = 0;       // index into kernelNames(module)
export const CTL_PARAMS = 1;       // address of the launch's parameter block (every kernel takes one)
export const CTL_NTHREADS = 3;     // threads in this launch, the caller included
export const CTL_NWORKERS = 4;     // workers taking part in this launch
export const CTL_STOP = 5;         // 1: workers leave their serve loop
export const CTL_DONE = 16;        // workers that finished this launch (own cache line)
export const CTL_FAILED = 32;      // workers whose kernel threw
export const CTL_TEAM_BYTE = 512;  // the kernels' team block (assembly/core/team.ts)
export const CTL_SOLO_TEAM_BYTE = 768; // team block for calls on the caller alone
export const CTL_MAILBOX_BYTE = 1024;  // one 64-byte line per worker (MB_* words)
export const CTL_MAILBOX_STRIDE = 16;  // words

// A worker's mailbox line, in words from its start.
export const MB_LAUNCH = 0; // bumped by the host for each launch the worker takes part in
export const MB_ACK = 1;    // the launch (MB_LAUNCH value) the worker last picked up, or ACK_REFUSED
export const MB_DONE = 2;   // the launch the worker last finished
export const MB_EPOCH = 3;  // the worker's incarnation: one whose epoch is not this one leaves
export const MB_EXIT = 4;   // test only: EXIT_BEFORE_ACK / EXIT_IN_LAUNCH make the worker exit at its next launch
export const EXIT_BEFORE_ACK = 1; // as it picks the launch up, before acknowledging it
export const EXIT_IN_LAUNCH = 2;  // after taking the launch up, before finishing it (a death mid-kernel)
export const MB_TID = 5;    // the worker's thread id in the launch
/** MB_ACK claimed by the host for a worker it gave up before the worker acknowledged: it may no longer. */
export const ACK_REFUSED = -1;

/** The most threads a context may have (init's `threads`): one worker each, one mailbox line each. */
export const MAX_THREADS = 64;
export const CTL_BYTES = CTL_MAILBOX_BYTE + MAX_THREADS * CTL_MAILBOX_STRIDE * 4;

// Team block offsets (bytes), mirrored from assembly/core/team.ts.
export const TEAM_COUNT_BYTE = 0;
export const TEAM_GENERATION_BYTE = 64;
export const TEAM_ABORT_BYTE = 128;
export const TEAM_JOINED_BYTE = 224;  // workers that took the launch up
export const TEAM_MEMBERS_BYTE = 228; // workers in the launch
export const TEAM_CALLER_BLOCKED_BYTE = 232; // 1: the host's thread is a member, blocked in the launch
export const TEAM_ASLEEP_BYTE = 248;  // threads asleep in a barrier (the kernels' own bookkeeping; reset per launch)
/** Abort flag value that also releases every barrier: a team member died. */
export const TEAM_BROKEN = 2;
/** Abort flag value a barrier sets when every thread sleeps in it: the launch fails instead of hanging. */
export const TEAM_DEADLOCK = 3;
export const TEAM_PROGRESS_ITER_BYTE = 192;
export const TEAM_PROGRESS_VALUE_BYTE = 200;

/** Polls before sleeping when waiting for a launch or its end. */
export const SPIN = 20000;

/** Word `field` (MB_*) of `worker`'s mailbox line. */
export const mailboxWord = (worker: number, field = MB_LAUNCH) => (CTL_MAILBOX_BYTE >> 2) + worker * CTL_MAILBOX_STRIDE + field;

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
  epoch: number;  // its incarnation (MB_EPOCH)
}

/** The API each worker exposes through comlink. */
export interface WorkerApi {
  setup(s: WorkerSetup): void;
  /** Runs launches until told to stop; resolves then. */
  serve(): void;
}
