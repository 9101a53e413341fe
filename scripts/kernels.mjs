// The boundary between host and kernels, generated from one source: each
// kernel's descriptor (assembly/<family>/kernels.json) and its implementation's
// signature in the AssemblyScript source. Writes
//   assembly/generated/kernels.ts  the exported entry of every kernel: it reads
//                                  the kernel's parameter block and calls the
//                                  implementation (one calling convention)
//   assembly/generated/layouts.ts  result-block slots (enum <Kernel>Out) and the
//                                  reason codes, for the kernels
//   src/generated/kernels.ts       the same descriptors for the host (names,
//                                  parameter slots, result slots, reasons,
//                                  workspace functions)
// A file is rewritten only when its text changes (the asc builds are skipped
// while their .wasm is newer than every kernel source).
//
// Descriptor (one entry per kernel, keyed by its exported name):
//   "doc":       what it computes (copied to both sides)
//   "from":      module of the implementation, relative to the family folder
//   "impl":      the implementation's name (default: the kernel's); its
//                signature is the parameter list, in order, ending in
//                (team: usize, tid: i32, nthreads: i32)
//   "out":       names of the result block's f64 slots (parameter "out")
//   "workspace": an exported function of some of the kernel's scalar
//                parameters (and nthreads) giving the bytes parameter "work"
//                needs; the kernel carves its scratch from it
//
// Codes (assembly/<family>/codes.json, optional): { "Name": ["a", "b", …] },
// the names of a family's variants (rules, updates) in code order: enum Name
// for the kernels (members a = 0, b = 1, …; "-" becomes "_"), and Name, the
// names by code, for the host.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const ASSEMBLY = join(ROOT, "assembly");
const SPMD_TAIL = ["team: usize", "tid: i32", "nthreads: i32"];

/** How a parameter's f64 slot becomes the implementation's argument. */
const FROM_SLOT = {
  usize: (v) => `<usize>${v}`,
  i32: (v) => `<i32>${v}`,
  u32: (v) => `<u32>${v}`,
  f64: (v) => v,
  f32: (v) => `<f32>${v}`,
  bool: (v) => `${v} != 0`,
};

const fail = (msg) => { throw new Error(`scripts/kernels.mjs: ${msg}`); };

/** Parameters of `export function name(...)` in `source`: [{ name, type }]. */
function signature(source, name, file) {
  const start = source.search(new RegExp(`export function ${name}\\s*\\(`));
  if (start < 0) fail(`${file} exports no function ${name}`);
  let i = source.indexOf("(", start) + 1, depth = 1;
  const open = i;
  for (; depth > 0; i++) {
    if (source[i] === "(") depth++;
    else if (source[i] === ")") depth--;
  }
  const list = source.slice(open, i - 1).replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, "");
  return list.split(",").map((p) => p.trim()).filter(Boolean).map((p) => {
    const m = /^(\w+)\s*:\s*(\w+)$/.exec(p);
    if (!m) fail(`${file}: ${name}: cannot read parameter "${p}"`);
    if (!(m[2] in FROM_SLOT)) fail(`${file}: ${name}: parameter ${m[1]} has type ${m[2]}; slots hold ${Object.keys(FROM_SLOT).join(", ")}`);
    return { name: m[1], type: m[2] };
  });
}

const pascal = (s) => s.replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase());

function write(file, text) {
  if (existsSync(file) && readFileSync(file, "utf8") === text) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function generate() {
  const reasons = JSON.parse(readFileSync(join(ASSEMBLY, "core/reasons.json"), "utf8"));
  const kernels = [], codes = {};
  for (const family of readdirSync(ASSEMBLY).sort()) {
    const codesFile = join(ASSEMBLY, family, "codes.json");
    if (existsSync(codesFile)) {
      for (const [name, names] of Object.entries(JSON.parse(readFileSync(codesFile, "utf8")))) {
        if (name in codes) fail(`${relative(ROOT, codesFile)}: ${name} is declared twice`);
        codes[name] = names;
      }
    }
    const file = join(ASSEMBLY, family, "kernels.json");
    if (!existsSync(file)) continue;
    for (const [name, d] of Object.entries(JSON.parse(readFileSync(file, "utf8")))) {
      const known = new Set(["doc", "from", "impl", "out", "workspace"]);
      for (const key of Object.keys(d)) if (!known.has(key)) fail(`${relative(ROOT, file)}: ${name}: unknown key ${key}`);
      if (!d.doc || !d.from) fail(`${relative(ROOT, file)}: ${name} needs "doc" and "from"`);
      const srcFile = join(ASSEMBLY, family, `${d.from}.ts`);
      const source = readFileSync(srcFile, "utf8");
      const impl = d.impl ?? name;
      const params = signature(source, impl, relative(ROOT, srcFile));
      const tail = params.splice(params.length - 3, 3).map((p) => `${p.name}: ${p.type}`);
      if (tail.join() !== SPMD_TAIL.join()) fail(`${impl} must end in (${SPMD_TAIL.join(", ")}), got (${tail.join(", ")})`);
      const names = params.map((p) => p.name);
      if (d.out && !names.includes("out")) fail(`${name} declares "out" slots but ${impl} takes no parameter out`);
      if (!d.out && names.includes("out")) fail(`${name}: ${impl} takes out; declare its slots ("out")`);
      let workspace;
      if (d.workspace) {
        if (!names.includes("work")) fail(`${name} declares a workspace but ${impl} takes no parameter work`);
        const args = signature(source, d.workspace, relative(ROOT, srcFile));
        for (const a of args) {
          if (a.name !== "nthreads" && !names.includes(a.name)) fail(`${d.workspace}: ${a.name} is not a parameter of ${impl}`);
        }
        workspace = { fn: d.workspace, args };
      } else if (names.includes("work")) fail(`${name}: ${impl} takes work; declare its size ("workspace")`);
      kernels.push({ name, family, from: d.from, impl, doc: d.doc, params, out: d.out ?? [], workspace });
    }
  }
  const header = "// Generated by scripts/kernels.mjs from assembly/*/kernels.json and the kernels' signatures: do not edit.\n";

  // The kernels' entries.
  const imports = new Map();
  for (const k of kernels) {
    const mod = `../${k.family}/${k.from}`;
    if (!imports.has(mod)) imports.set(mod, new Set());
    imports.get(mod).add(`${k.impl} as ${k.name}_impl`);
    if (k.workspace) imports.get(mod).add(`${k.workspace.fn} as ${k.name}_workspace_impl`);
  }
  let as = header;
  for (const [mod, names] of imports) as += `import { ${[...names].join(", ")} } from "${mod}";\n`;
  for (const k of kernels) {
    const args = k.params.map((p, i) => FROM_SLOT[p.type](`load<f64>(params, ${8 * i})`));
    as += `\n/** ${k.doc} */\nexport function ${k.name}(params: usize, team: usize, tid: i32, nthreads: i32): void {\n`;
    as += `  ${k.name}_impl(\n    ${[...args, "team", "tid", "nthreads"].join(",\n    ")},\n  );\n}\n`;
    if (k.workspace) {
      const wargs = k.workspace.args.map((a) => `${a.name}: ${a.type}`).join(", ");
      as += `\n/** Bytes of ${k.name}'s workspace. */\nexport function ${k.name}_workspace(${wargs}): f64 {\n`;
      as += `  return <f64>${k.name}_workspace_impl(${k.workspace.args.map((a) => a.name).join(", ")});\n}\n`;
    }
  }
  write(join(ASSEMBLY, "generated/kernels.ts"), as);

  // Result slots and reason codes, for the kernels.
  let layouts = header;
  layouts += "\n// Why a kernel stopped: one table for every family (assembly/core/reasons.json).\n";
  reasons.forEach((r, i) => { layouts += `/** ${r.doc} */\nexport const ${r.name.toUpperCase().replace(/-/g, "_")}: i32 = ${i};\n`; });
  for (const [name, names] of Object.entries(codes)) {
    layouts += `\nexport const enum ${name} {\n${names.map((c, i) => `  ${c.replace(/-/g, "_")} = ${i},\n`).join("")}}\n`;
  }
  for (const k of kernels.filter((k) => k.out.length)) {
    layouts += `\n/** ${k.name}'s result block (f64 slots). */\nexport const enum ${pascal(k.name)}Out {\n`;
    k.out.forEach((o, i) => { layouts += `  ${o} = ${i},\n`; });
    layouts += "}\n";
  }
  write(join(ASSEMBLY, "generated/layouts.ts"), layouts);

  // The host's descriptors.
  let ts = header;
  ts += `\n/** Why a kernel stopped, by the code it writes to its result slot "reason". */\n`;
  ts += `export const REASONS = ${JSON.stringify(reasons.map((r) => r.name))} as const;\n`;
  ts += "export type KernelReason = (typeof REASONS)[number];\n";
  for (const [name, names] of Object.entries(codes)) {
    ts += `\n/** ${name}: the names by the code the kernels take. */\nexport const ${name} = ${JSON.stringify(names)} as const;\n`;
  }
  ts += `
/** One kernel's interface: what the generic launch path (TurnScope.launch) needs. */
export interface KernelDescriptor {
  readonly name: string;
  /** Parameter names in slot order (f64 slots of the parameter block). */
  readonly params: readonly string[];
  /** Result slot names (f64 slots of parameter "out"). */
  readonly out: readonly string[];
  /** The exported function giving parameter "work"'s bytes, and the parameters it reads. */
  readonly workspace?: { readonly fn: string; readonly args: readonly string[] };
  /** Slot of parameter "out" (−1: none), where the launch puts the result block's address. */
  readonly outSlot: number;
  /**
   * Stores every parameter but "out" into the block at f64 index \`at\`, one
   * named load per slot (lean callers, Pool.direct, need it cheap); "work"
   * from \`work\` when given, else from the parameters. False if one was
   * missing or NaN (it would reach the kernel as 0: a wrong address).
   */
  write(f64: Float64Array, at: number, params: Readonly<Record<string, number>>, work?: number): boolean;
}
`;
  for (const k of kernels) {
    const ws = k.workspace ? `, workspace: { fn: "${k.name}_workspace", args: ${JSON.stringify(k.workspace.args.map((a) => a.name))} }` : "";
    const stored = k.params.map((p, i) => [p.name, i]).filter(([p]) => p !== "out");
    const value = (p) => (p === "work" ? "w" : `p.${p}`);
    const type = `{ ${stored.map(([p]) => `readonly ${p}${p === "work" ? "?" : ""}: number`).join("; ")} }`;
    const body = stored.map(([p, i]) => `f64[at${i ? ` + ${i}` : ""}] = ${value(p)};`).join(" ");
    const hasWork = stored.some(([p]) => p === "work");
    const sum = (hasWork ? "const w = work === undefined ? p.work! : work; " : "") + (stored.length ? `const s = ${stored.map(([p]) => value(p)).join(" + ")}; ` : "");
    const write = `, write(f64: Float64Array, at: number, p: ${stored.length ? type : "object"}, work?: number): boolean { ${sum}${body} return ${stored.length ? "s === s" : "true"}; }`;
    const outSlot = k.params.findIndex((p) => p.name === "out");
    ts += `\n/** ${k.doc} */\nexport const ${k.name} = { name: "${k.name}", params: ${JSON.stringify(k.params.map((p) => p.name))}, out: ${JSON.stringify(k.out)}, outSlot: ${outSlot}${ws}${write} } as const satisfies KernelDescriptor;\n`;
  }
  write(join(ROOT, "src/generated/kernels.ts"), ts);
  return kernels;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kernels = generate();
  console.log(`${kernels.length} kernel descriptors`);
}
