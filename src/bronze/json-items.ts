/**
 * The items of a top-level JSON array as their source text, or undefined when `text` holds some
 * other JSON value. `text` must already be valid JSON (check with `JSON.parse` first): this only
 * finds the item boundaries. Working on source text, not parsed values, keeps every item exactly
 * as written: a number such as `895954260133011192` keeps its digits instead of becoming the
 * nearest double, and a key given twice stays as written, so ingest and erasure read the same
 * user id from the item (see `userIdSql`). Line breaks between tokens become spaces (a line
 * break cannot occur inside a JSON string), so each item is one line.
 *
 * @example
 * ```ts
 * jsonArrayItems('[{"fullVisitorId": 895954260133011192},\n "x"]');
 * // ['{"fullVisitorId": 895954260133011192}', '"x"']
 * jsonArrayItems('{"a": 1}'); // undefined
 * ```
 */
export function jsonArrayItems(text: string): string[] | undefined {
  let at = skipSpace(text, 0);
  if (text.charCodeAt(at) === BOM) at = skipSpace(text, at + 1);
  if (text[at] !== '[') return undefined;
  const items: string[] = [];
  let depth = 0;
  let start = at + 1;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i);
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
      if (depth === 0) {
        push(items, text, start, i);
        return items;
      }
    } else if (c === COMMA && depth === 1) {
      push(items, text, start, i);
      start = i + 1;
    }
  }
  return undefined; // unterminated: not valid JSON after all
}

const BOM = 0xfeff;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function push(items: string[], text: string, from: number, to: number): void {
  const item = text.slice(from, to).trim();
  if (item !== '') items.push(item.replace(/[\r\n]+/g, ' '));
}

/** The index of the quote closing the string that opens at `open`. */
function endOfString(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return text.length;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}
