// Matrix Market text format: coordinate (sparse → CsrMatrix) and array
// (dense → DenseMatrix); real, integer and pattern fields; general,
// symmetric and skew-symmetric storage.
import { NumlaneError } from "../errors.js";
import { CsrMatrix, DenseMatrix } from "../matrix.js";

function bad(message: string): NumlaneError {
  return new NumlaneError("invalid-value", message, "text");
}

export function readMatrixMarket(text: string): CsrMatrix | DenseMatrix {
  if (typeof text !== "string") throw new NumlaneError("invalid-type", "expected the file's text as a string", "text");
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim().toLowerCase().split(/\s+/) ?? [];
  if (header[0] !== "%%matrixmarket" || header[1] !== "matrix") throw bad("not a Matrix Market matrix (first line must start with %%MatrixMarket matrix)");
  const [, , format, field, symmetry] = header;
  if (format !== "coordinate" && format !== "array") throw bad(`unknown format "${format}"`);
  if (!["real", "integer", "pattern", "double"].includes(field)) throw bad(`field "${field}" is not supported (real, integer, pattern)`);
  if (!["general", "symmetric", "skew-symmetric"].includes(symmetry)) throw bad(`symmetry "${symmetry}" is not supported`);
  if (field === "pattern" && format === "array") throw bad("pattern matrices must be in coordinate format");
  let li = 1;
  while (li < lines.length && (lines[li].startsWith("%") || lines[li].trim() === "")) li++;
  const size = (lines[li++] ?? "").trim().split(/\s+/).map(Number);
  const num = (s: string, what: string) => {
    const v = Number(s);
    if (s === undefined || s === "" || Number.isNaN(v)) throw bad(`line ${li}: ${what} "${s}" is not a number`);
    return v;
  };
  const mirror = symmetry !== "general";
  const sign = symmetry === "skew-symmetric" ? -1 : 1;
  if (format === "coordinate") {
    const [rows, cols, entries] = size;
    if (size.length < 3 || !size.every(Number.isInteger)) throw bad("the size line must be 'rows cols entries'");
    const I: number[] = [], J: number[] = [], V: number[] = [];
    for (let e = 0; e < entries; e++) {
      while (li < lines.length && lines[li].trim() === "") li++;
      if (li >= lines.length) throw bad(`expected ${entries} entries, found ${e}`);
      const t = lines[li++].trim().split(/\s+/);
      const i = num(t[0], "row") - 1, j = num(t[1], "column") - 1;
      if (!Number.isInteger(i) || i < 0 || i >= rows || !Number.isInteger(j) || j < 0 || j >= cols) {
        throw bad(`line ${li}: entry (${i + 1}, ${j + 1}) is outside a ${rows}×${cols} matrix`);
      }
      const v = field === "pattern" ? 1 : num(t[2], "value");
      I.push(i); J.push(j); V.push(v);
      if (mirror && i !== j) { I.push(j); J.push(i); V.push(sign * v); }
    }
    return CsrMatrix.fromCoo(rows, cols, I, J, V);
  }
  const [rows, cols] = size;
  if (size.length < 2 || !size.every(Number.isInteger)) throw bad("the size line must be 'rows cols'");
  const data = new Float64Array(rows * cols);
  const values = lines.slice(li).join(" ").trim().split(/\s+/).filter((s) => s !== "");
  let k = 0;
  // Column-major; symmetric storage lists the lower triangle only.
  for (let j = 0; j < cols; j++) {
    for (let i = mirror ? j : 0; i < rows; i++) {
      if (k >= values.length) throw bad(`expected more values (ran out at entry ${k + 1})`);
      const v = num(values[k++], "value");
      data[i * cols + j] = v;
      if (mirror && i !== j) data[j * cols + i] = sign * v;
    }
  }
  return new DenseMatrix(rows, cols, data);
}

export function writeMatrixMarket(m: CsrMatrix | DenseMatrix): string {
  const out: string[] = [];
  if (m instanceof CsrMatrix) {
    out.push("%%MatrixMarket matrix coordinate real general", `${m.rows} ${m.cols} ${m.nnz}`);
    for (let i = 0; i < m.rows; i++) {
      for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) out.push(`${i + 1} ${m.indices[k] + 1} ${m.data[k]}`);
    }
  } else if (m instanceof DenseMatrix) {
    out.push("%%MatrixMarket matrix array real general", `${m.rows} ${m.cols}`);
    for (let j = 0; j < m.cols; j++) for (let i = 0; i < m.rows; i++) out.push(String(m.get(i, j)));
  } else {
    throw new NumlaneError("invalid-type", "expected a CsrMatrix or DenseMatrix", "m");
  }
  return out.join("\n") + "\n";
}
