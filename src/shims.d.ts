// comlink ships its Node adapter as .mjs with a .d.ts that TypeScript does not pair with it.
declare module "comlink/dist/esm/node-adapter.mjs" {
  import type { Endpoint } from "comlink";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  export default function nodeEndpoint(nep: any): Endpoint;
}

// Edge entries import the wasm as a module; their runtimes compile it ahead of the script.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
declare module "*.wasm?module" {
  const module: WebAssembly.Module;
  export default module;
}

/** The web pool worker's bundled source (scripts/build.mjs), started from a Blob URL. */
declare const __NUMLANE_WEB_WORKER__: string;

/** The web proxy worker's bundled source (scripts/build.mjs): long calls off a page's main thread (runtime/proxy.ts). */
declare const __NUMLANE_PROXY_WORKER__: string;
