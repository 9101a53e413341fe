// Prints the runtime vectors' hashes (test/runtimes/vectors.mjs) on Node, in
// the form of test/runtimes/fixtures/vector-hashes.json: after `npm run build`,
// `node scripts/vector-hashes.mjs > test/runtimes/fixtures/vector-hashes.json`
// records a numerical change made on purpose.
import * as lib from "../dist/index.js";
import { runVectors } from "../test/runtimes/vectors.mjs";

const nl = await lib.init({ threads: 2 });
try {
  const { all, hashes } = await runVectors(lib, nl);
  console.log(JSON.stringify({ all, hashes }, null, 1));
} finally {
  await nl.close();
}
