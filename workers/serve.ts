// A pool worker's side of the launch protocol (src/pool/protocol.ts): wait on
// its mailbox word, run its share of the kernel on its own instance of the
// module over the shared memory, count itself done, repeat.
import {
  CTL_ARGS_BYTE, CTL_DONE, CTL_FAILED, CTL_KERNEL, CTL_NARGS, CTL_NTHREADS, CTL_NWORKERS,
  CTL_STOP, CTL_TEAM_BYTE, CTL_TID_BASE, SPIN, kernelNames, mailboxWord,
  type WorkerApi, type WorkerSetup,
} from "../src/pool/protocol.js";

type Kernel = (...args: number[]) => void;

export function createWorkerApi(): WorkerApi {
  let state: { fns: Kernel[]; ctl: Int32Array; args: Float64Array; team: number; index: number; seen: number } | undefined;
  return {
    setup({ module, memory, ctl, index }: WorkerSetup) {
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      const exports = instance.exports as Record<string, Kernel>;
      const words = new Int32Array(memory.buffer, ctl, 1024);
      state = {
        fns: kernelNames(module).map((n) => exports[n]),
        ctl: words,
        args: new Float64Array(memory.buffer, ctl + CTL_ARGS_BYTE, 32),
        team: ctl + CTL_TEAM_BYTE,
        index,
        // Read the mailbox now, while the host awaits setup() and launches
        // nothing: serve() starts later, after launches may have been posted.
        seen: Atomics.load(words, mailboxWord(index)),
      };
    },
    serve() {
      if (!state) throw new Error("numlane worker: serve() before setup()");
      const { fns, ctl, args, team, index } = state;
      const box = mailboxWord(index);
      const argv: number[] = [];
      let seen = state.seen;
      for (;;) {
        let now = seen;
        for (let i = 0; i < SPIN && (now = Atomics.load(ctl, box)) === seen; i++);
        while ((now = Atomics.load(ctl, box)) === seen) Atomics.wait(ctl, box, seen);
        seen = now;
        if (Atomics.load(ctl, CTL_STOP) !== 0) return;
        const nargs = ctl[CTL_NARGS];
        argv.length = nargs + 3;
        for (let i = 0; i < nargs; i++) argv[i] = args[i];
        argv[nargs] = team;
        argv[nargs + 1] = index + ctl[CTL_TID_BASE];
        argv[nargs + 2] = ctl[CTL_NTHREADS];
        try {
          fns[ctl[CTL_KERNEL]].apply(null, argv);
        } catch {
          Atomics.add(ctl, CTL_FAILED, 1);
        }
        if (Atomics.add(ctl, CTL_DONE, 1) + 1 === ctl[CTL_NWORKERS]) Atomics.notify(ctl, CTL_DONE);
      }
    },
  };
}
