// The proxy worker for long calls on pages without pool workers
// (src/runtime/proxy.ts), exposed through comlink. scripts/build.mjs bundles
// it into the web entry as a string, started from a Blob URL.
import * as Comlink from "comlink";
import { createProxyApi } from "../src/runtime/proxy.js";

Comlink.expose(createProxyApi());
