// Node only (exported by src/index.ts, not the web or edge entries): writes a
// generate() result as DIR/inputs.npy, DIR/solutions.npy and DIR/meta.json.
import { access, constants, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NumlaneError } from "../errors.js";
import type { GenerateResult } from "../generate.js";
import { encodeNpy } from "./npy.js";

/** The files written, by name. */
export const DATASET_FILES = { inputs: "inputs.npy", solutions: "solutions.npy", meta: "meta.json" } as const;

/**
 * Creates `dir` if missing and checks it can be written, so a run that could
 * not save its dataset fails before solving rather than after.
 */
export async function prepareDatasetDir(dir: string): Promise<void> {
  if (typeof dir !== "string" || dir === "") throw new NumlaneError("invalid-type", "expected a directory path", "dir");
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new NumlaneError("invalid-value", `cannot write the dataset there: ${(e as Error).message}`, "dir");
  }
}

/** Writes the dataset into `dir` (created if missing); returns the paths written. */
export async function writeDataset(dir: string, result: GenerateResult): Promise<string[]> {
  if (!result?.solutions) throw new NumlaneError("invalid-value", "has no solutions (a sink took them): nothing to write", "result");
  const { inputs, solutions, meta } = result;
  const files: [string, Uint8Array | string][] = [
    [DATASET_FILES.inputs, encodeNpy(inputs, meta.inputShape)],
    [DATASET_FILES.solutions, encodeNpy(solutions, meta.solutionShape)],
    [DATASET_FILES.meta, JSON.stringify(meta, null, 2) + "\n"],
  ];
  await prepareDatasetDir(dir);
  try {
    for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  } catch (e) {
    throw new NumlaneError("invalid-value", `cannot write the dataset there: ${(e as Error).message}`, "dir");
  }
  return files.map(([name]) => join(dir, name));
}
