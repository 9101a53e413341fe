// Line-by-line reading shared by the text readers: no split of the whole
// text, 1-based line numbers for error messages, and the strict number forms
// they accept.

/** The largest size or index numlane reads (matrix indices are int32). */
export const MAX_SIZE = 2 ** 31 - 1;

const BOM = 0xfeff;
const SIZE = /^\d+$/;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Walks a text's lines (LF or CRLF; a leading byte-order mark is skipped). */
export class LineReader {
  /** The current line, without its line break. */
  line = "";
  /** The current line's 1-based number (0 before the first). */
  number = 0;
  private pos: number;

  constructor(private readonly text: string) {
    this.pos = text.charCodeAt(0) === BOM ? 1 : 0;
  }

  /** Moves to the next line; false at the end of the text. */
  next(): boolean {
    const { text } = this;
    if (this.pos > text.length || (this.pos === text.length && this.number > 0)) return false;
    let end = text.indexOf("\n", this.pos);
    if (end < 0) end = text.length;
    this.line = text.slice(this.pos, end > this.pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    this.pos = end + 1;
    this.number++;
    return true;
  }

  /** Characters after the current line. */
  get remaining(): number {
    return Math.max(0, this.text.length - this.pos);
  }

  /** The line starts with "%" (a Matrix Market comment). */
  isComment(): boolean {
    return this.line.trimStart().startsWith("%");
  }

  /** The current line's whitespace-separated fields ([] for a blank line). */
  fields(): string[] {
    const t = this.line.trim();
    return t === "" ? [] : t.split(/\s+/);
  }
}

/** A size or 1-based index: decimal digits only, at most MAX_SIZE; else undefined. */
export function parseSize(s: string): number | undefined {
  if (!SIZE.test(s)) return undefined;
  const v = Number(s);
  return v <= MAX_SIZE ? v : undefined;
}

/**
 * A decimal number (an optionally signed integer if `integer`): no hex, no
 * "Infinity"/"NaN", no empty string, as Number() would accept. The value may
 * still overflow to ±Infinity ("1e400"); callers decide.
 */
export function parseDecimal(s: string, integer = false): number | undefined {
  return (integer ? INTEGER : DECIMAL).test(s) ? Number(s) : undefined;
}
