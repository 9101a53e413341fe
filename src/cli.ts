#!/usr/bin/env node
// The `numlane` command: a tour of what numlane does, and solvers and fits on
// your own files. Each command lives in src/cli/.
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { init } from "./index.js";
import { NumlaneError } from "./errors.js";
import { suggest } from "./validate.js";
import type { Numlane } from "./context.js";
import { flagOf, parseCommand, threadsOption, usage, UsageError, type CommandSpec, type Parsed } from "./cli/args.js";
import { solve, solveSpec } from "./cli/solve.js";
import { lasso, lassoSpec, logistic, logisticSpec, lstsq, lstsqSpec } from "./cli/fit.js";
import { tour, tourSpec } from "./cli/tour.js";
import { generateCommand, generateSpec } from "./cli/generate.js";
import { workerCommand, workerSpec } from "./cli/queue.js";

/** package.json's version, put in by the build. */
declare const __NUMLANE_VERSION__: string;
const version = __NUMLANE_VERSION__;

const infoSpec: CommandSpec = { name: "info", positionals: [], summary: "What init() chose on this machine (runtime, build, threads, and why).", options: {} };
const benchSpec: CommandSpec = {
  name: "bench",
  positionals: ["[family]"],
  summary: "Benchmarks against peers (blas, softmax, krylov, bcd, sketch, runtimes; all without a family); writes bench/results/<family>.json.\n" +
    "Runs from a source checkout only (the benchmarks and their peers are not in the package).",
  notes: "--json prints bench/results/<family>.json afterwards. --threads is refused: the benchmarks sweep thread counts themselves.",
  options: {},
};

type Command = { spec: CommandSpec } & (
  | { run: (nl: Numlane, args: Parsed) => Promise<number> }
  /** A command that makes its own context (numlane worker: on its solver thread): main makes none. */
  | { runAlone: (args: Parsed) => Promise<number> });
const COMMANDS: Record<string, Command> = {
  tour: { spec: tourSpec, run: tour },
  info: { spec: infoSpec, run: async (nl) => { console.log(JSON.stringify(nl.info, null, 2)); return 0; } },
  solve: { spec: solveSpec, run: solve },
  lstsq: { spec: lstsqSpec, run: lstsq },
  lasso: { spec: lassoSpec, run: lasso },
  logistic: { spec: logisticSpec, run: logistic },
  generate: { spec: generateSpec, run: generateCommand },
  worker: { spec: workerSpec, runAlone: workerCommand },
};

const HELP = `numlane ${version} — WebAssembly SIMD numerics

usage: numlane <command> [arguments] [options]

commands:
${[...Object.values(COMMANDS).map((c) => c.spec), benchSpec].map((s) => `  ${`${s.name} ${s.positionals.join(" ")}`.padEnd(24)}${s.summary.split("\n")[0]}`).join("\n")}

Every command takes --help, --json and --threads N|auto.
numlane --version prints the version.
`;

function bench(args: Parsed): number {
  if (args.values.threads !== undefined) throw new UsageError("numlane bench: --threads is refused: the benchmarks sweep thread counts themselves");
  const script = fileURLToPath(new URL("../bench/run.mjs", import.meta.url));
  if (!existsSync(script)) throw new Error("numlane bench: the benchmarks live in a source checkout (bench/ is not in the package): run `npm run bench` there");
  const family = args.positionals[0];
  const run = spawnSync(process.execPath, [script, ...(family ? [family] : [])], { stdio: ["inherit", args.values.json ? "ignore" : "inherit", "inherit"] });
  if (run.status === 0 && args.values.json) {
    const results = fileURLToPath(new URL(`../bench/results/${family ?? ""}`, import.meta.url));
    if (family) process.stdout.write(readFileSync(results + ".json", "utf8"));
    else console.log(JSON.stringify({ results }));
  }
  return run.status ?? 1;
}

async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === "--help" || name === "-h" || name === "help") { process.stdout.write(HELP); return name === undefined ? 2 : 0; }
  if (name === "--version" || name === "-v") { console.log(version); return 0; }
  if (name === "bench") {
    const args = parseCommand(benchSpec, argv.slice(1));
    if (args.values.help) { process.stdout.write(usage(benchSpec)); return 0; }
    return bench(args);
  }
  const command = COMMANDS[name];
  if (!command) {
    const hint = suggest(name, [...Object.keys(COMMANDS), "bench"]);
    throw new UsageError(`numlane: unknown command ${name}; ${hint.startsWith("did") ? hint : `commands: ${Object.keys(COMMANDS).join(", ")}, bench`}`);
  }
  const args = parseCommand(command.spec, argv.slice(1));
  if (args.values.help) { process.stdout.write(usage(command.spec)); return 0; }
  if ("runAlone" in command) return command.runAlone(args);
  const nl = await init({ threads: threadsOption(args) });
  try {
    return await command.run(nl, args);
  } finally {
    await nl.close();
  }
}

main(process.argv.slice(2)).then((status) => { process.exitCode = status; }, (e) => {
  // One line: the message, naming the file and line or the flag at fault.
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof NumlaneError && e.argument?.startsWith("opts.")) message = `${flagOf(e.argument)}: ${message.slice(e.argument.length + 2)}`;
  process.stderr.write(`${message.split("\n")[0]}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
