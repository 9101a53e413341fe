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
  /** The current line's 1-based number (0 before the first). */
  number = 0;
  /** The current line is text[start, end), without its line break. */
  start = 0;
  end = 0;
  private pos: number;

  constructor(readonly text: string) {
    this.pos = text.charCodeAt(0) === BOM ? 1 : 0;
  }

  /** Moves to the next line; false at the end of the text. */
  next(): boolean {
    const { text } = this;
    if (this.pos > text.length || (this.pos === text.length && this.number > 0)) return false;
    let end = text.indexOf("\n", this.pos);
    if (end < 0) end = text.length;
    this.start = this.pos;
    this.end = end > this.pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    this.pos = end + 1;
    this.number++;
    return true;
  }

  /** The current line, without its line break. */
  get line(): string {
    return this.text.slice(this.start, this.end);
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

const isDigit = (c: number) => c >= 48 && c <= 57;
const isBlank = (c: number) => c === 32 || c === 9;

/**
 * The fast path for a plain line of `count` numbers separated by spaces or
 * tabs: the first count − 1 sizes (as parseSize), the last a decimal (as
 * parseDecimal(s, integer)), or all sizes if `lastIsSize`. Fills `out` and
 * returns true; false for anything else (other blanks, comments, wrong
 * forms), which callers then read through fields() for the general rules and
 * error messages. Accepts only what that path would accept, with the same values.
 */
export function scanNumbers(lines: LineReader, count: number, lastIsSize: boolean, integer: boolean, out: Float64Array): boolean {
  const { text, end } = lines;
  let p = lines.start;
  for (let f = 0; f < count; f++) {
    const fieldStart = p;
    while (p < end && isBlank(text.charCodeAt(p))) p++;
    if (p === end || (f > 0 && p === fieldStart)) return false;
    const a = p;
    if (f < count - 1 || lastIsSize) {
      let v = 0;
      while (p < end && isDigit(text.charCodeAt(p))) v = v * 10 + text.charCodeAt(p++) - 48;
      if (p === a || v > MAX_SIZE) return false;
      out[f] = v;
    } else {
      let c = text.charCodeAt(p);
      if (c === 43 || c === 45) c = text.charCodeAt(++p);
      let digits = 0;
      while (p < end && isDigit(c)) { digits++; c = text.charCodeAt(++p); }
      if (!integer && c === 46) {
        c = text.charCodeAt(++p);
        while (p < end && isDigit(c)) { digits++; c = text.charCodeAt(++p); }
      }
      if (digits === 0) return false;
      if (!integer && (c === 101 || c === 69)) {
        c = text.charCodeAt(++p);
        if (c === 43 || c === 45) c = text.charCodeAt(++p);
        const e = p;
        while (p < end && isDigit(c)) c = text.charCodeAt(++p);
        if (p === e) return false;
      }
      out[f] = Number(text.slice(a, p));
      if (!Number.isFinite(out[f])) return false; // overflow: reported by the general path
    }
    if (p < end && !isBlank(text.charCodeAt(p))) return false;
  }
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  return p === end;
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
