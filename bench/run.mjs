// npm run bench -- <family>: runs bench/<family>.mjs (all families without an argument).
import { readdirSync } from "node:fs";

const here = new URL("./", import.meta.url);
const families = readdirSync(here).filter((f) => f.endsWith(".mjs") && !["run.mjs", "lib.mjs"].includes(f)).map((f) => f.slice(0, -4));
const wanted = process.argv.slice(2);
for (const f of wanted) if (!families.includes(f)) { console.error(`unknown family ${f}; have: ${families.join(", ")}`); process.exit(2); }
for (const f of wanted.length ? wanted : families) {
  console.log(`\n=== ${f} ===`);
  await (await import(new URL(`./${f}.mjs`, here))).default();
}
