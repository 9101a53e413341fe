// Numeric CSV with a header row (the shape of data/datasets/*.csv): every
// field a decimal number, comma-separated, one record per line (LF or CRLF,
// blank lines skipped, a byte-order mark ignored). Fields may be quoted as
// RFC 4180 writes them ("a,b", "say ""x"""), but a record may not span lines.
// Regression data keep the target in the last column (readRegressionCsv
// splits it off).
import { NumlaneError } from "../errors.js";
import { DenseMatrix } from "../matrix.js";
import { LineReader, parseDecimal } from "./text.js";

export interface Csv {
  header: string[];
  /** rows × header.length, row-major. */
  data: DenseMatrix;
}

function bad(code: "invalid-value" | "invalid-shape", line: number, message: string): NumlaneError {
  return new NumlaneError(code, `line ${line}: ${message}`, "text");
}

/** The fields of one CSV line, quotes removed; null when a quote is left open. */
function splitFields(line: string): string[] | null {
  if (!line.includes('"')) return line.split(",");
  const fields: string[] = [];
  let field = "", quoted = false;
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if (quoted) {
      if (c !== '"') field += c;
      else if (line[k + 1] === '"') { field += '"'; k++; }
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") { fields.push(field); field = ""; }
    else field += c;
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}

export function readCsv(text: string): Csv {
  if (typeof text !== "string") throw new NumlaneError("invalid-type", "expected the file's text as a string", "text");
  const lines = new LineReader(text);
  const fieldsOf = () => {
    const f = splitFields(lines.line);
    if (!f) throw bad("invalid-value", lines.number, "a quoted field is not closed on its line (records spanning lines are not supported)");
    return f;
  };
  let header: string[] | undefined;
  while (!header && lines.next()) if (lines.line.trim() !== "") header = fieldsOf().map((h) => h.trim());
  if (!header) throw new NumlaneError("invalid-value", "expected a header row and at least one data row; the text is empty", "text");
  const headerLine = lines.number, cols = header.length;
  if (header.every((h) => parseDecimal(h) !== undefined)) {
    throw bad("invalid-value", headerLine, "the first row holds only numbers; a header row of column names is required");
  }
  // Grown as rows arrive: never more than the text's values (blank lines cost nothing).
  let data = new Float64Array(Math.max(cols, 1)), rows = 0;
  while (lines.next()) {
    if (lines.line.trim() === "") continue;
    const fields = fieldsOf();
    if (fields.length !== cols) throw bad("invalid-shape", lines.number, `has ${fields.length} fields, the header ${cols}`);
    if ((rows + 1) * cols > data.length) {
      const grown = new Float64Array(2 * data.length);
      grown.set(data);
      data = grown;
    }
    for (let c = 0; c < cols; c++) {
      const f = fields[c].trim();
      const v = parseDecimal(f);
      if (v === undefined || !Number.isFinite(v)) {
        const what = v === undefined ? "is not a decimal number" : "is outside the range of float64";
        throw bad("invalid-value", lines.number, `column ${c + 1} ("${header[c]}"): "${f}" ${what}`);
      }
      data[rows * cols + c] = v;
    }
    rows++;
  }
  if (rows === 0) throw bad("invalid-value", headerLine, "expected at least one data row after the header");
  return { header, data: new DenseMatrix(rows, cols, data.slice(0, rows * cols)) };
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
