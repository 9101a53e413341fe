// NumPy's .npy format, version 1.0, for float64/float32 arrays in C order:
// what numpy.load and torch (via numpy) read as they are. Bytes only; writing
// the file is the caller's (runtime-specific) business.
import { NumlaneError } from "../errors.js";
import { floatArray, integer } from "../validate.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Magic, version (2 bytes) and the header length (uint16 LE) come before the header text. */
const PREAMBLE = MAGIC.length + 4;
/** NumPy pads the header so that the data starts on a multiple of this. */
const ALIGN = 64;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The .npy bytes of `data` (float64 → '<f8', float32 → '<f4') with the given C-order shape. */
export function encodeNpy(data: Float64Array | Float32Array, shape: readonly number[]): Uint8Array {
  floatArray("data", data);
  if (!Array.isArray(shape)) throw new NumlaneError("invalid-type", "expected an array of dimensions", "shape");
  let size = 1;
  shape.forEach((d, i) => { size *= integer(`shape[${i}]`, d, 0, Number.MAX_SAFE_INTEGER); });
  if (size !== data.length) throw new NumlaneError("invalid-shape", `shape (${shape.join(", ")}) holds ${size} values, data has ${data.length}`, "shape");
  const descr = data instanceof Float64Array ? "<f8" : "<f4";
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  // Spaces, then a newline, up to the alignment.
  const total = Math.ceil((PREAMBLE + header.length + 1) / ALIGN) * ALIGN;
  header = header.padEnd(total - PREAMBLE - 1, " ") + "\n";
  if (header.length > 0xffff) throw new NumlaneError("invalid-shape", "too many dimensions for a version 1.0 header", "shape");
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1; // version 1.0
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[PREAMBLE + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, total);
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  } else if (data instanceof Float64Array) {
    for (let i = 0; i < data.length; i++) body.setFloat64(8 * i, data[i], true);
  } else {
    for (let i = 0; i < data.length; i++) body.setFloat32(4 * i, data[i], true);
  }
  return out;
}
