// Command-line parsing for `numlane`: node:util's parseArgs with strict
// options, the options every command shares, and errors that say what to
// type instead.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { NumlaneError } from "../errors.js";
import { suggest } from "../validate.js";

/** A mistake on the command line: one line on stderr, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** The value's placeholder in --help, e.g. "N" or "x.mtx". */
  value?: string;
  help: string;
  /** The values a string option accepts (others are refused with a suggestion). */
  choices?: readonly string[];
  default?: string | boolean;
}

export interface CommandSpec {
  name: string;
  /** Positional arguments as --help shows them; "[b.mtx]" is optional. */
  positionals: string[];
  summary: string;
  /** Paragraphs after the options in --help. */
  notes?: string;
  options: Record<string, OptionSpec>;
}

/** What every command accepts. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", help: "this help" },
  json: { type: "boolean", help: "the whole result as JSON on stdout" },
  threads: { type: "string", value: "N|auto", help: "threads to use (default auto: as many as pay off)" },
};

/** `numlane <command> --help`. */
export function usage(spec: CommandSpec): string {
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.value ? ` ${o.value}` : ""}`;
    const extra = [o.choices ? `one of ${o.choices.join(", ")}` : "", o.default !== undefined && o.default !== false ? `default ${o.default}` : ""]
      .filter(Boolean).join("; ");
    return [flag, o.help + (extra ? ` (${extra})` : "")];
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return `usage: numlane ${spec.name} ${spec.positionals.join(" ")}${spec.positionals.length ? " " : ""}[options]\n\n${spec.summary}\n\noptions:\n` +
    rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join("\n") + "\n" + (spec.notes ? `\n${spec.notes}\n` : "");
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses a command's arguments (after the command's name); refuses unknown flags, bad choices and missing positionals. */
export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const flags = Object.keys(options).map((k) => `--${k}`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv, strict: true, allowPositionals: true, allowNegative: true,
      options: Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }])),
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const flag = /'([^']+)'/.exec((e as Error).message)?.[1] ?? "?";
      const name = flag.replace(/^--no-/, "--").split("=")[0];
      throw new UsageError(`numlane ${spec.name}: unknown option ${flag}; ${suggest(name, flags)}`);
    }
    if (code?.startsWith("ERR_PARSE_ARGS")) throw new UsageError(`numlane ${spec.name}: ${(e as Error).message.replace(/\s+/g, " ")}`);
    throw e;
  }
  const values = parsed.values as Parsed["values"];
  for (const [name, o] of Object.entries(options)) {
    const v = values[name];
    if (v === undefined && o.default !== undefined) values[name] = o.default;
    if (o.choices && typeof v === "string" && !o.choices.includes(v)) {
      throw new UsageError(`numlane ${spec.name}: --${name} ${v} is not one of ${o.choices.join(", ")}` +
        (suggest(v, o.choices).startsWith("did") ? `; ${suggest(v, o.choices)}` : ""));
    }
  }
  const required = spec.positionals.filter((p) => !p.startsWith("[")).length;
  const { positionals } = parsed;
  if (!values.help && positionals.length < required) {
    throw new UsageError(`numlane ${spec.name}: expected ${spec.positionals.join(" ")}; see numlane ${spec.name} --help`);
  }
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(`numlane ${spec.name}: unexpected argument ${positionals[spec.positionals.length]}; see numlane ${spec.name} --help`);
  }
  return { values, positionals };
}

/** A number-valued option: undefined if not given; a UsageError if not a number in range. */
export function numberOption(parsed: Parsed, name: string, { integer = false, min = -Infinity } = {}): number | undefined {
  const raw = parsed.values[name];
  if (raw === undefined) return undefined;
  const v = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min) {
    throw new UsageError(`--${name}: expected ${integer ? "an integer" : "a number"}${min > -Infinity ? ` ≥ ${min}` : ""}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

/** --threads: "auto" or a positive integer, as init() takes it. */
export function threadsOption(parsed: Parsed): number | "auto" {
  return parsed.values.threads === undefined || parsed.values.threads === "auto" ? "auto" : numberOption(parsed, "threads", { integer: true, min: 1 })!;
}

/** A file's text; a missing or unreadable file is one line naming it. */
export function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : (e as Error).message}`);
  }
}

/** Runs a text reader on a file; its errors ("text: line 3: …") name the file instead. */
export function readFile<T>(file: string, reader: (text: string) => T): T {
  const text = readText(file);
  try {
    return reader(text);
  } catch (e) {
    if (e instanceof NumlaneError && e.argument === "text") throw new Error(`${file}: ${e.message.slice("text: ".length)}`);
    throw e;
  }
}

/** opts.maxIter → --max-iter: the flag behind an option the API refused. */
export function flagOf(argument: string): string {
  return "--" + argument.replace(/^opts\./, "").replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}
