// Parses an uploaded CSV off the page's thread: the file's text is read and
// parsed here, and the arrays come back transferred (no copy).
import { readRegressionCsv } from "../src/io/csv.js";

self.onmessage = async (e: MessageEvent<File>) => {
  try {
    const { A, b, features, target } = readRegressionCsv(await e.data.text());
    self.postMessage({ ok: true, rows: A.rows, cols: A.cols, data: A.data, b, features, target }, { transfer: [A.data.buffer, b.buffer] });
  } catch (err) {
    self.postMessage({ ok: false, message: `${e.data.name}: ${(err as Error).message.replace(/^text: /, "")}` });
  }
};
