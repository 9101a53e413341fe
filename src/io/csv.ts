// Numeric CSV with a header row (the shape of data/datasets/*.csv): every
// field a number, comma-separated, one record per line. Regression data keep
// the target in the last column (readRegressionCsv splits it off).
import { NumlaneError } from "../errors.js";
import { DenseMatrix } from "../matrix.js";

export interface Csv {
  header: string[];
  /** rows × header.length, row-major. */
  data: DenseMatrix;
}

export function readCsv(text: string): Csv {
  if (typeof text !== "string") throw new NumlaneError("invalid-type", "expected the file's text as a string", "text");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new NumlaneError("invalid-value", "expected a header row and at least one data row", "text");
  const header = lines[0].split(",").map((h) => h.trim());
  const cols = header.length;
  const data = new Float64Array((lines.length - 1) * cols);
  for (let r = 1; r < lines.length; r++) {
    const fields = lines[r].split(",");
    if (fields.length !== cols) throw new NumlaneError("invalid-shape", `line ${r + 1} has ${fields.length} fields, the header ${cols}`, "text");
    for (let c = 0; c < cols; c++) {
      const f = fields[c].trim();
      const v = Number(f);
      if (f === "" || !Number.isFinite(v)) throw new NumlaneError("invalid-value", `line ${r + 1}, column "${header[c]}": "${f}" is not a finite number`, "text");
      data[(r - 1) * cols + c] = v;
    }
  }
  return { header, data: new DenseMatrix(lines.length - 1, cols, data) };
}

/** Features A (every column but the last) and target b (the last), with their names. */
export function readRegressionCsv(text: string): { A: DenseMatrix; b: Float64Array; features: string[]; target: string } {
  const { header, data } = readCsv(text);
  const m = data.rows, p = data.cols - 1;
  if (p < 1) throw new NumlaneError("invalid-shape", "expected at least one feature column before the target", "text");
  const a = new Float64Array(m * p), b = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    a.set(data.data.subarray(i * (p + 1), i * (p + 1) + p), i * p);
    b[i] = data.data[i * (p + 1) + p];
  }
  return { A: new DenseMatrix(m, p, a), b, features: header.slice(0, p), target: header[p] };
}
