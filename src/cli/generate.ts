// numlane generate FAMILY --grid N --count K --out DIR: a seeded problem
// family solved as one sequence (src/generate.ts), written as DIR/inputs.npy,
// DIR/solutions.npy and DIR/meta.json (src/io/write-dataset.ts).
import { generate, type GenerateOptions, type GenerateProgress } from "../generate.js";
import { familyKeys, PROBLEM_FAMILIES, type ProblemFamily } from "../problems.js";
import { writeDataset } from "../io/write-dataset.js";
import type { Numlane } from "../context.js";
import { numberOption, UsageError, type CommandSpec, type Parsed } from "./args.js";
import { PROGRESS_OPTION, progressLine } from "./progress.js";
import { checkQueueFlags, QUEUE_GENERATE_OPTIONS, queuedGenerate } from "./queue.js";

export const generateSpec: CommandSpec = {
  name: "generate",
  positionals: ["family"],
  summary: `A dataset of PDE solutions: a seeded family (${PROBLEM_FAMILIES.join(", ")}) of count systems on an N×N grid,\n` +
    "solved as one sequence, written as DIR/inputs.npy, DIR/solutions.npy and DIR/meta.json.",
  notes: "Family options (refused by families that lack them): --modes, --alpha, --tau (poisson, darcy, heat: the random field),\n" +
    "--coefficient (darcy), --wavenumbers lo,hi (helmholtz), --diffusion, --speed (convection-diffusion), --dt lo,hi (heat).\n" +
    "Exit status 0 when every system converged, 3 otherwise (meta.json says which did not).",
  options: {
    grid: { type: "string", value: "N", help: "grid size: N×N unknowns per system" },
    count: { type: "string", value: "K", help: "number of systems" },
    seed: { type: "string", value: "S", help: "seed (default 0: the same systems in every runtime)" },
    out: { type: "string", short: "o", value: "DIR", help: "directory to write (created if missing)" },
    dtype: { type: "string", value: "T", choices: ["float64", "float32"], help: "of the arrays written (default float64)" },
    method: { type: "string", value: "M", choices: ["cg", "gmres"], help: "default cg for poisson, darcy, heat, else gmres" },
    preconditioner: { type: "string", value: "P", choices: ["none", "jacobi", "ssor", "ic0"], help: "default jacobi (ssor with --omega)" },
    omega: { type: "string", value: "ω|learn", help: "SSOR's ω for every system, or learn it along the sequence" },
    rtol: { type: "string", value: "R", help: "default 1e-8" },
    "max-iter": { type: "string", value: "N", help: "iterations allowed per system" },
    restart: { type: "string", value: "M", help: "GMRES's steps per cycle" },
    recycle: { type: "string", value: "k", help: "recycle k vectors from each solve to the next (default 0)" },
    coarse: { type: "boolean", help: "a coarse space of aggregates in every solve: CG deflates it, GMRES preconditions with it" },
    order: { type: "string", value: "O", choices: ["sorted", "given"], help: "solve order (default sorted: similar systems in turn)" },
    modes: { type: "string", value: "M", help: "field: expansion modes per direction" },
    alpha: { type: "string", value: "α", help: "field: smoothness exponent" },
    tau: { type: "string", value: "τ", help: "field: inverse length scale" },
    coefficient: { type: "string", value: "C", choices: ["lognormal", "piecewise"], help: "darcy's coefficient" },
    wavenumbers: { type: "string", value: "lo,hi", help: "helmholtz: range of k" },
    diffusion: { type: "string", value: "ε", help: "convection-diffusion: ε" },
    speed: { type: "string", value: "|w|", help: "convection-diffusion: wind speed" },
    dt: { type: "string", value: "lo,hi", help: "heat: range of Δt" },
    ...QUEUE_GENERATE_OPTIONS,
    ...PROGRESS_OPTION,
  },
};

/** The flags that are some family's own options (named as the options). */
const FAMILY_FLAGS = ["modes", "alpha", "tau", "coefficient", "wavenumbers", "diffusion", "speed", "dt"] as const;

/** "lo,hi" as a pair of numbers. */
function range(args: Parsed, name: string): [number, number] | undefined {
  const raw = args.values[name];
  if (raw === undefined) return undefined;
  const parts = String(raw).split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
  if (parts.length !== 2 || !parts.every(Number.isFinite)) throw new UsageError(`--${name}: expected lo,hi (two numbers), got ${JSON.stringify(raw)}`);
  return parts as [number, number];
}

export async function generateCommand(nl: Numlane, args: Parsed): Promise<number> {
  const family = args.positionals[0] as ProblemFamily;
  if (!PROBLEM_FAMILIES.includes(family)) throw new UsageError(`numlane generate: unknown family ${family}; families: ${PROBLEM_FAMILIES.join(", ")}`);
  checkQueueFlags(args);
  const out = args.values.out as string | undefined;
  if (!out) throw new UsageError("numlane generate: --out DIR is required (the dataset is written there)");
  const grid = numberOption(args, "grid", { integer: true, min: 1 }), count = numberOption(args, "count", { integer: true, min: 1 });
  if (grid === undefined || count === undefined) throw new UsageError("numlane generate: --grid N and --count K are required");
  const omega = args.values.omega === "learn" ? "learn" : numberOption(args, "omega");
  const given = {
    family, grid, count, seed: numberOption(args, "seed", { integer: true, min: 0 }),
    dtype: args.values.dtype, method: args.values.method, preconditioner: args.values.preconditioner, omega,
    rtol: numberOption(args, "rtol", { min: 0 }), maxIter: numberOption(args, "max-iter", { integer: true, min: 1 }),
    restart: numberOption(args, "restart", { integer: true, min: 1 }), recycle: numberOption(args, "recycle", { integer: true, min: 0 }),
    coarse: args.values.coarse as boolean | undefined, order: args.values.order, modes: numberOption(args, "modes", { integer: true, min: 1 }), alpha: numberOption(args, "alpha"),
    tau: numberOption(args, "tau"), coefficient: args.values.coefficient, wavenumbers: range(args, "wavenumbers"),
    diffusion: numberOption(args, "diffusion"), speed: numberOption(args, "speed"), dt: range(args, "dt"),
  };
  const own = familyKeys(family);
  for (const flag of FAMILY_FLAGS) {
    if (given[flag] !== undefined && !own[flag]) throw new UsageError(`--${flag}: ${family} has no such option (see numlane generate --help)`);
  }
  // Only the options given: a family refuses keys it does not have, even undefined ones.
  const opts = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as GenerateOptions;
  const bar = progressLine<GenerateProgress>(args, "generate", (p) => `system ${p.solved}/${count}` + (p.iteration !== undefined ? `  iteration ${p.iteration}` : ""),
    (p) => p.solved / count);
  const result = args.values.queue !== undefined ? await queuedGenerate(args, opts, bar.onProgress) : await generate(nl, { ...opts, onProgress: bar.onProgress });
  bar.done();
  const files = await writeDataset(out, result);
  const { meta } = result;
  if (args.values.json) {
    console.log(JSON.stringify({ files, meta }, null, 2));
  } else {
    const iterations = meta.iterations.filter((v): v is number => v !== null);
    console.log(`${family}: ${count} systems on a ${grid}×${grid} grid (seed ${meta.seed}), ${meta.solver.method} + ${meta.solver.preconditioner}, ` +
      `${meta.allConverged ? "all converged" : `${meta.reasons.filter((r) => r !== "converged").length} did not converge`}`);
    console.log(`iterations ${Math.min(...iterations)}–${Math.max(...iterations)} (total ${iterations.reduce((s, v) => s + v, 0)}), ` +
      `built in ${meta.buildSeconds.toFixed(2)} s, solved in ${meta.solveSeconds.toFixed(2)} s`);
    console.log(`written: ${files.join(", ")}`);
  }
  return meta.allConverged ? 0 : 3;
}
