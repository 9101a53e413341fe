// The runtime vectors' hashes (test/runtimes/vectors.mjs) against the ones
// recorded in test/runtimes/fixtures/vector-hashes.json: refactors of the
// host/kernel boundary must not change a bit. A numerical change made on
// purpose updates the fixture in the same commit (the file's hashes are
// what `node scripts/vector-hashes.mjs` prints) and says why.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as lib from "../dist/index.js";
import { runVectors } from "./runtimes/vectors.mjs";

const recorded = JSON.parse(readFileSync(new URL("./runtimes/fixtures/vector-hashes.json", import.meta.url), "utf8"));

describe("runtime vectors", () => {
  for (const opts of [{ threads: 2 }, { build: "single" as const }]) {
    it(`hash as recorded (${JSON.stringify(opts)})`, async () => {
      const nl = await lib.init(opts);
      try {
        const { hashes } = await runVectors(lib, nl);
        const changed = Object.keys(recorded.hashes).filter((name) => hashes[name] !== recorded.hashes[name]);
        expect(changed).toEqual([]);
        expect(Object.keys(hashes).sort()).toEqual(Object.keys(recorded.hashes).sort());
      } finally {
        await nl.close();
      }
    }, 120_000);
  }
});
