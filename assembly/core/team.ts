// A team is the set of threads running one SPMD launch. Its state lives in a
// small block of (shared) memory that the host allocates and hands to every
// kernel as `team`; kernels keep no state of their own.
//
// Layout (byte offsets; each hot word on its own 64-byte line):
//   0   barrier arrival count (i32)
//   64  barrier generation    (i32)
//   128 abort flag            (i32)  set by the host, polled by long kernels;
//                                    TEAM_BROKEN (a member died) also releases barriers
//   192 progress: iteration   (i32)  written by tid 0 of long kernels
//   200 progress: value       (f64)  e.g. a residual norm
//   224 joined                (i32)  workers that took the launch up (each adds 1)
//   228 members               (i32)  workers in the launch (set by the host)
//   232 caller blocked        (i32)  1: the host's thread is a member, blocked in the launch
//   240 abort as agreed       (i32 × 2) tid 0's reading of the abort flag, by step parity (abortAgreed)
//   248 asleep                (i32)  threads asleep in a barrier: the generation they wait on
//                                    (low 24 bits) << 8 | their number (see barrier)
export const TEAM_COUNT: usize = 0;
export const TEAM_GENERATION: usize = 64;
export const TEAM_ABORT: usize = 128;
export const TEAM_PROGRESS_ITER: usize = 192;
export const TEAM_PROGRESS_VALUE: usize = 200;
export const TEAM_JOINED: usize = 224;
export const TEAM_MEMBERS: usize = 228;
export const TEAM_CALLER_BLOCKED: usize = 232;
export const TEAM_ABORT_AGREED: usize = 240;
export const TEAM_ASLEEP: usize = 248;
export const TEAM_BYTES: usize = 256;
/** Abort flag value the host sets when a team member died: barriers no longer wait. */
export const TEAM_BROKEN: i32 = 2;
/**
 * Abort flag value a barrier sets when every thread of the team sleeps in a
 * barrier of the same generation: none can arrive to release it (the threads
 * disagree on the barrier count, a bug), so the launch fails instead of hanging.
 */
export const TEAM_DEADLOCK: i32 = 3;

// Busy-wait this many polls before sleeping: a barrier phase on idle cores
// then costs well under a microsecond instead of a futex round trip.
const SPIN: i32 = 20000;

// A barrier's sleep is cut into naps so that a wait on a worker that never
// took the launch up (it died) ends: after DEAD_AFTER_NAPS naps with a member
// missing, the team is broken. 300 × 10 ms: the host's ACK_TIMEOUT_MS (pool.ts).
const NAP_NS: i64 = 10_000_000;
const DEAD_AFTER_NAPS: i32 = 300;

/** Waits until all `nthreads` threads of the team have arrived. */
export function barrier(team: usize, nthreads: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  if (nthreads <= 1) return;
  // Read the generation before arriving: the last thread bumps it only after
  // every thread has arrived, so nobody can miss the release.
  const gen = atomic.load<i32>(team + TEAM_GENERATION);
  if (atomic.add<i32>(team + TEAM_COUNT, 1) == nthreads - 1) {
    atomic.store<i32>(team + TEAM_COUNT, 0);
    atomic.add<i32>(team + TEAM_GENERATION, 1);
    atomic.notify(team + TEAM_GENERATION, -1);
    return;
  }
  for (let i = 0; i < SPIN; i++) {
    if (atomic.load<i32>(team + TEAM_GENERATION) != gen) return;
  }
  // Breaking the team bumps the generation, waking this wait; later barriers
  // of the broken launch return here without sleeping.
  let naps = 0;
  let registered = false;
  const tag = (gen & 0xFFFFFF) << 8; // TEAM_ASLEEP's generation field for `gen`
  while (atomic.load<i32>(team + TEAM_GENERATION) == gen) {
    if (atomic.load<i32>(team + TEAM_ABORT) >= TEAM_BROKEN) return;
    if (atomic.wait<i32>(team + TEAM_GENERATION, gen, NAP_NS) != AtomicWaitResult.TIMED_OUT) continue;
    naps++;
    // Asleep a whole nap: count this thread among those waiting on `gen`.
    // When all nthreads are, nobody is left to arrive and release them.
    if (!registered) {
      registered = true;
      let word = atomic.load<i32>(team + TEAM_ASLEEP);
      for (;;) {
        const next = (word & ~0xFF) == tag ? word + 1 : tag | 1;
        const seen = atomic.cmpxchg<i32>(team + TEAM_ASLEEP, word, next);
        if (seen == word) break;
        word = seen;
      }
    }
    if (atomic.load<i32>(team + TEAM_ASLEEP) == (tag | nthreads)
      && atomic.load<i32>(team + TEAM_GENERATION) == gen) {
      breakTeam(team, TEAM_DEADLOCK);
      return;
    }
    // The host, blocked in its own share of the launch, cannot break the team
    // itself: a member that never took the launch up is dead, and when the host
    // is a member, so may be one that did (it cannot hear a worker's exit) —
    // it then hears it once this barrier, and so its share, returns.
    if (naps >= DEAD_AFTER_NAPS && (atomic.load<i32>(team + TEAM_JOINED) < atomic.load<i32>(team + TEAM_MEMBERS)
      || atomic.load<i32>(team + TEAM_CALLER_BLOCKED) != 0)) {
      breakTeam(team, TEAM_BROKEN);
      return;
    }
  }
}

/** Ends the launch with abort value `why` (TEAM_BROKEN or TEAM_DEADLOCK; the first break's stays) and releases every barrier. */
function breakTeam(team: usize, why: i32): void {
  let flag = atomic.load<i32>(team + TEAM_ABORT);
  while (flag < TEAM_BROKEN) {
    const seen = atomic.cmpxchg<i32>(team + TEAM_ABORT, flag, why);
    if (seen == flag) break;
    flag = seen;
  }
  atomic.add<i32>(team + TEAM_GENERATION, 1);
  atomic.notify(team + TEAM_GENERATION, -1);
}

/** Publishes a long kernel's progress (tid 0): the value first, then the iteration the host polls. */
export function reportProgress(team: usize, iter: i32, value: f64): void {
  store<f64>(team + TEAM_PROGRESS_VALUE, value);
  if (ASC_FEATURE_THREADS) atomic.store<i32>(team + TEAM_PROGRESS_ITER, iter);
  else store<i32>(team + TEAM_PROGRESS_ITER, iter);
}

/** True once the host has asked the launch to stop. */
export function aborted(team: usize): bool {
  if (ASC_FEATURE_THREADS) return atomic.load<i32>(team + TEAM_ABORT) != 0;
  return load<i32>(team + TEAM_ABORT) != 0;
}

/**
 * Whether the host asked the launch to stop, as every thread of the team
 * agrees at `step`: threads that read the flag themselves could disagree and
 * leave one waiting at a barrier for ever. tid 0 posts its reading, a barrier
 * publishes it. Slots alternate by step parity, so a post never overwrites
 * one that a slow thread has yet to read (a barrier lies between).
 */
// @ts-ignore: decorator
@inline export function abortAgreed(team: usize, step: i32, tid: i32, nthreads: i32): bool {
  const slot = team + TEAM_ABORT_AGREED + (<usize>(step & 1) << 2);
  // Plain accesses: the barrier's atomics order the post before every read
  // (a sequentially consistent store here cost coordinate descent ~10 % a step).
  if (tid == 0) store<i32>(slot, aborted(team) ? 1 : 0);
  barrier(team, nthreads);
  return load<i32>(slot) != 0;
}

/** First index of thread `tid`'s share of `count` items split evenly. */
// @ts-ignore: decorator
@inline export function rangeStart(count: i32, tid: i32, nthreads: i32): i32 {
  return <i32>((<i64>count * tid) / nthreads);
}
