// comlink ships its Node adapter as .mjs with a .d.ts that TypeScript does not pair with it.
declare module "comlink/dist/esm/node-adapter.mjs" {
  import type { Endpoint } from "comlink";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  export default function nodeEndpoint(nep: any): Endpoint;
}
