// npm run bench -- <family>: runs bench/<family>.mjs (all families without an argument).
import { readdirSync, readFileSync } from "node:fs";

const here = new URL("./", import.meta.url);
// A family is a module with a default export; other .mjs files here are scripts run on their own (node bench/<file>.mjs).
const families = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && /^export default /m.test(readFileSync(new URL(f, here), "utf8")))
  .map((f) => f.slice(0, -4));
const wanted = process.argv.slice(2);
for (const f of wanted) if (!families.includes(f)) { console.error(`unknown family ${f}; have: ${families.join(", ")}`); process.exit(2); }
for (const f of wanted.length ? wanted : families) {
  console.log(`\n=== ${f} ===`);
  await (await import(new URL(`./${f}.mjs`, here))).default();
}
