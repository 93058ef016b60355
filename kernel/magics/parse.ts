/**
 * Finding magics in a cell without touching TypeScript.
 *
 * Conventions (IPython's, adapted to TypeScript):
 * - A cell magic `%%name args` is the first non-blank line; the rest of the
 *   cell is its body, passed verbatim.
 * - A line magic `%name args` is a whole line that starts (after optional
 *   spaces/tabs) with `%` directly followed by a letter or `_`, at bracket
 *   depth 0, outside strings, template literals and comments. So `a % b`,
 *   `x %= 2`, `"%d"`, `// %time` and a `%x` line inside a multi-line
 *   template literal or inside `(...)`/`{...}` are all left alone.
 * - `%name?` / `%%name?` (or `??`) asks for that magic's help.
 *
 * A small hand scanner tracks string/template/comment/regex state; it only
 * needs to be right about where code is, not about its meaning.
 */

const PERCENT_AT_LINE_START = /^[ \t]*%/m;

/**
 * The layer's fast path: a cell with no line starting with `%` cannot hold
 * a magic (one indexOf, then one regex only if there is a `%` at all).
 */
export function mayHaveMagic(code: string): boolean {
  return code.indexOf("%") !== -1 && PERCENT_AT_LINE_START.test(code);
}

export interface MagicCall {
  name: string;
  /** Everything after the name, trimmed. */
  args: string;
  /** `%name?`: show help instead of running. */
  help: boolean;
}

export interface LineMagicSegment extends MagicCall {
  kind: "line";
  /** Offsets of the magic's line in the cell (end excludes the newline). */
  start: number;
  end: number;
}

export interface CodeSegment {
  kind: "code";
  code: string;
  start: number;
}

export type Segment = LineMagicSegment | CodeSegment;

export interface CellMagicCall extends MagicCall {
  body: string;
  /** Offset of the body in the cell. */
  bodyStart: number;
  /** Offsets of the `%%` line. */
  start: number;
  end: number;
}

export interface ParsedCell {
  cellMagic: CellMagicCall | null;
  /** Code and line magics in order (empty when there is a cell magic). */
  segments: Segment[];
}

const MAGIC_HEAD = /^(%{1,2})([A-Za-z_][A-Za-z0-9_]*)(\?\??)?(?=\s|$)/;

/** Parse `%name args` / `%%name? args` text (no leading whitespace). */
export function parseMagicLine(line: string): (MagicCall & { cell: boolean }) | null {
  const m = MAGIC_HEAD.exec(line);
  if (!m) return null;
  return { cell: m[1] === "%%", name: m[2], help: m[3] !== undefined, args: line.slice(m[0].length).trim() };
}

export function parseCell(code: string): ParsedCell {
  // Cell magic: first non-blank line.
  const lead = /^[ \t\r\n]*/.exec(code)![0].length;
  if (code.startsWith("%%", lead)) {
    const nl = code.indexOf("\n", lead);
    const end = nl === -1 ? code.length : nl;
    const head = parseMagicLine(code.slice(lead, end).replace(/\r$/, ""));
    if (head && head.cell) {
      const bodyStart = nl === -1 ? code.length : nl + 1;
      return {
        cellMagic: { name: head.name, args: head.args, help: head.help, body: code.slice(bodyStart), bodyStart, start: lead, end },
        segments: [],
      };
    }
  }
  return { cellMagic: null, segments: splitSegments(code) };
}

/** Code and line-magic segments of `code` (no cell magic: for cell bodies and %run files). */
export function splitSegments(code: string): Segment[] {
  const segments: Segment[] = [];
  let pos = 0;
  for (const l of findLineMagics(code)) {
    if (l.start > pos) segments.push({ kind: "code", code: code.slice(pos, l.start), start: pos });
    segments.push(l);
    pos = Math.min(code.length, l.end + 1);
  }
  if (pos < code.length) segments.push({ kind: "code", code: code.slice(pos), start: pos });
  return segments;
}

/** The cell with every magic line replaced by spaces: same length, same offsets. */
export function blankMagics(code: string): string {
  const parsed = parseCell(code);
  if (parsed.cellMagic) {
    const c = parsed.cellMagic;
    return code.slice(0, c.start) + " ".repeat(c.end - c.start) + code.slice(c.end);
  }
  let out = code;
  for (const s of parsed.segments) {
    if (s.kind === "line") out = out.slice(0, s.start) + " ".repeat(s.end - s.start) + out.slice(s.end);
  }
  return out;
}

/** Characters after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER = new Set("(,=:[!&|?{};+-*%<>~^".split(""));
const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "void",
  "yield",
  "await",
  "delete",
  "throw",
  "new",
]);

/** Line magics at the top level of plain code. */
export function findLineMagics(code: string): LineMagicSegment[] {
  const out: LineMagicSegment[] = [];
  const n = code.length;
  let i = 0;
  let depth = 0;
  // Open `${` of template literals: the brace depth at which each resumes the template.
  const templateStack: number[] = [];
  let atLineStart = true;
  let lastSignificant = ""; // last non-space code char, or a keyword, for the regex heuristic

  const skipString = (q: string): void => {
    i++;
    while (i < n) {
      const c = code[i];
      if (c === "\\") i += 2;
      else if (c === q || c === "\n") {
        i++;
        return;
      } else i++;
    }
  };
  /** Scan template text from i (just after ` or }); stops after the closing ` or at `${`. */
  const skipTemplate = (): void => {
    while (i < n) {
      const c = code[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        return;
      } else if (c === "$" && code[i + 1] === "{") {
        i += 2;
        templateStack.push(depth);
        depth++;
        return;
      } else i++;
    }
  };

  while (i < n) {
    const c = code[i];
    if (atLineStart) {
      let j = i;
      while (j < n && (code[j] === " " || code[j] === "\t")) j++;
      if (code[j] === "%" && depth === 0 && templateStack.length === 0 && /[A-Za-z_]/.test(code[j + 1] ?? "")) {
        let end = code.indexOf("\n", j);
        if (end === -1) end = n;
        const head = parseMagicLine(code.slice(j, end).replace(/\r$/, ""));
        if (head && !head.cell) {
          out.push({ kind: "line", name: head.name, args: head.args, help: head.help, start: i, end });
          i = end;
          lastSignificant = ";";
          continue;
        }
      }
      atLineStart = false;
    }
    if (c === "\n") {
      atLineStart = true;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "'" || c === '"') {
      skipString(c);
      lastSignificant = "a";
    } else if (c === "`") {
      i++;
      skipTemplate();
      lastSignificant = "a";
    } else if (c === "/" && code[i + 1] === "/") {
      const nl = code.indexOf("\n", i);
      i = nl === -1 ? n : nl;
    } else if (c === "/" && code[i + 1] === "*") {
      const close = code.indexOf("*/", i + 2);
      i = close === -1 ? n : close + 2;
    } else if (c === "/" && (lastSignificant === "" || REGEX_AFTER.has(lastSignificant) || REGEX_AFTER_WORDS.has(lastSignificant))) {
      // Regex literal: skip to the closing / (outside a [...] class).
      i++;
      let inClass = false;
      while (i < n && code[i] !== "\n") {
        const d = code[i];
        if (d === "\\") i += 2;
        else {
          i++;
          if (d === "[") inClass = true;
          else if (d === "]") inClass = false;
          else if (d === "/" && !inClass) break;
        }
      }
      lastSignificant = "a";
    } else if (c === "(" || c === "[" || c === "{") {
      depth++;
      i++;
      lastSignificant = c;
    } else if (c === ")" || c === "]" || c === "}") {
      depth = Math.max(0, depth - 1);
      i++;
      lastSignificant = c;
      if (c === "}" && templateStack.length && templateStack[templateStack.length - 1] === depth) {
        templateStack.pop();
        skipTemplate();
        lastSignificant = "a";
      }
    } else if (/[A-Za-z_$0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z_$0-9]/.test(code[j])) j++;
      lastSignificant = code.slice(i, j);
      if (!REGEX_AFTER_WORDS.has(lastSignificant)) lastSignificant = "a";
      i = j;
    } else {
      lastSignificant = c;
      i++;
    }
  }
  return out;
}

const HELP_REQUEST = /^(?:(\?\??)\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)|([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*(\?\??))$/;

/**
 * IPython's help syntax on a whole cell: `name?`, `a.b.c?`, `?name` (details: `??`).
 * Not TypeScript (a trailing `?` never parses), so there is no ambiguity.
 */
export function parseHelpRequest(code: string): { expr: string; detail: 0 | 1 } | null {
  const m = HELP_REQUEST.exec(code.trim());
  if (!m) return null;
  const marks = m[1] ?? m[4];
  return { expr: m[2] ?? m[3], detail: marks === "??" ? 1 : 0 };
}
