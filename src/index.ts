// numlane's face, Node entry (package.json `node` condition; Bun too): wasm
// from disk, pool on worker_threads. The other runtimes' entries are in
// entries/; what they all export besides init() is listed once, in exports.ts.
import { initWith, type InitOptions, type Numlane } from "./context.js";
import { nodePlatform } from "./runtime/node.js";

export * from "./exports.js";
// Node only: writes generate()'s result as .npy files and meta.json.
export { writeDataset, prepareDatasetDir, DATASET_FILES } from "./io/write-dataset.js";

/** Loads numlane and starts its worker pool. */
export function init(opts?: InitOptions): Promise<Numlane> {
  return initWith(nodePlatform, opts);
}
