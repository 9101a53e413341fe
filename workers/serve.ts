// A pool worker's side of the launch protocol (src/pool/protocol.ts): wait on
// its mailbox word, acknowledge the launch, run its share of the kernel on its
// own instance of the module over the shared memory, count itself done, repeat.
import {
  CTL_BYTES, CTL_DONE, CTL_FAILED, CTL_KERNEL, CTL_NTHREADS, CTL_NWORKERS, CTL_PARAMS,
  CTL_STOP, CTL_TEAM_BYTE, EXIT_BEFORE_ACK, EXIT_IN_LAUNCH, MB_ACK, MB_DONE, MB_EPOCH, MB_EXIT, MB_TID, SPIN, TEAM_JOINED_BYTE, kernelNames, mailboxWord,
  type WorkerApi, type WorkerSetup,
} from "../src/pool/protocol.js";

/** A kernel's entry: its parameter block, then the team's. */
type Kernel = (params: number, team: number, tid: number, nthreads: number) => void;

/** `exit` ends this worker's thread at once (test-only deaths, MB_EXIT). */
export function createWorkerApi(exit: () => void): WorkerApi {
  let state: { fns: Kernel[]; ctl: Int32Array; team: number; index: number; epoch: number; seen: number; acked: number } | undefined;
  return {
    setup({ module, memory, ctl, index, epoch }: WorkerSetup) {
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      const exports = instance.exports as Record<string, Kernel>;
      const words = new Int32Array(memory.buffer, ctl, CTL_BYTES >> 2);
      state = {
        fns: kernelNames(module).map((n) => exports[n]),
        ctl: words,
        team: ctl + CTL_TEAM_BYTE,
        index,
        epoch,
        // Read the mailbox now, while the host awaits setup() and launches
        // nothing: serve() starts later, after launches may have been posted.
        seen: Atomics.load(words, mailboxWord(index)),
        acked: Atomics.load(words, mailboxWord(index, MB_ACK)),
      };
    },
    serve() {
      if (!state) throw new Error("numlane worker: serve() before setup()");
      const { fns, ctl, team, index, epoch } = state;
      const box = mailboxWord(index), ack = mailboxWord(index, MB_ACK), done = mailboxWord(index, MB_DONE);
      let seen = state.seen, acked = state.acked;
      for (;;) {
        let now = seen;
        for (let i = 0; i < SPIN && (now = Atomics.load(ctl, box)) === seen; i++);
        while ((now = Atomics.load(ctl, box)) === seen) Atomics.wait(ctl, box, seen);
        seen = now;
        if (Atomics.load(ctl, CTL_STOP) !== 0) return;
        // Replaced after the host gave this worker up for dead: leave the launch alone.
        if (Atomics.load(ctl, mailboxWord(index, MB_EPOCH)) !== epoch) return;
        const exitAt = Atomics.load(ctl, mailboxWord(index, MB_EXIT));
        if (exitAt === EXIT_BEFORE_ACK) { exit(); return; }
        // The host may have given this worker up and counted it out of the
        // launch (its MB_ACK is then ACK_REFUSED): then it must not take the launch up.
        if (Atomics.compareExchange(ctl, ack, acked, seen) !== acked) return;
        acked = seen;
        Atomics.add(ctl, (CTL_TEAM_BYTE + TEAM_JOINED_BYTE) >> 2, 1);
        if (exitAt === EXIT_IN_LAUNCH) { exit(); return; }
        try {
          fns[ctl[CTL_KERNEL]](ctl[CTL_PARAMS], team, ctl[mailboxWord(index, MB_TID)], ctl[CTL_NTHREADS]);
        } catch {
          Atomics.add(ctl, CTL_FAILED, 1);
        }
        Atomics.store(ctl, done, seen);
        if (Atomics.add(ctl, CTL_DONE, 1) + 1 === ctl[CTL_NWORKERS]) Atomics.notify(ctl, CTL_DONE);
      }
    },
  };
}
