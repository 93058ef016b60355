/**
 * Turning what a cell threw into Jupyter's (ename, evalue, traceback), with
 * stack locations mapped back to the cell's own lines.
 *
 * tslab executes its compiled JavaScript, not the cell: a stack frame points
 * at a line of that JS. The executor registers each compiled cell under a
 * unique script name (`__reglab_cell_<k>__`); here a JS line is mapped to the
 * cell line with the same statement text (types erased, `exports.x`
 * rewritten), which is exact for most statements and a best guess
 * otherwise.
 */
import { inspect } from "util";

export interface CompiledCell {
  /** The cell's source (TypeScript). */
  source: string;
  /** The exact code given to vm.runInThisContext (tslab's wrapper included). */
  js: string;
}

export const CELL_SCRIPT_PREFIX = "__reglab_cell_";

export function cellScriptName(k: number): string {
  return `${CELL_SCRIPT_PREFIX}${k}__`;
}

const WRAPPER_PREFIX = /^\(async function\(exports, require\) \{ |^\(function\(exports, require\) \{ /;

function normalize(s: string): string {
  return s
    .replace(WRAPPER_PREFIX, "")
    .replace(/exports\.tsLastExpr\s*=\s*/g, "")
    .replace(/\bexports\./g, "")
    .replace(/\s+/g, "")
    .replace(/;+$/, "");
}

/** 1-based cell line for 1-based compiled line `jsLine`, or null when no line matches. */
export function mapLine(cell: CompiledCell, jsLine: number): number | null {
  const jsLines = cell.js.split("\n");
  const target = normalize(jsLines[jsLine - 1] ?? "");
  if (!target) return null;
  const srcLines = cell.source.split("\n").map(normalize);
  let best = -1;
  let bestScore = 0;
  for (let i = 0; i < srcLines.length; i++) {
    const s = srcLines[i];
    if (!s) continue;
    let score = 0;
    if (s === target) score = 4;
    else if (s.includes(target) && target.length >= 3) score = 3;
    else if (target.includes(s) && s.length >= 3) score = 2;
    else {
      // Types are erased in JS: compare the longest common prefix.
      let n = 0;
      while (n < s.length && n < target.length && s[n] === target[n]) n++;
      if (n >= Math.min(8, target.length)) score = 1 + n / 1000;
    }
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best >= 0 ? best + 1 : null;
}

export interface ErrorReport {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** How tslab wraps a compiled cell: `(async function(exports, require) { ... \n})(__tslab__.exports, __tslab__.require)`. */
const WRAPPER_TAIL_SOURCE = String.raw`\}\)\(__tslab__\.exports, __tslab__\.require\)`;
const WRAPPER_TAIL = new RegExp(`^${WRAPPER_TAIL_SOURCE}$`);
/** A whole compiled cell as tslab runs it. */
export const WRAPPED_CELL = new RegExp(String.raw`^\((async )?function\(exports, require\) \{ [\s\S]*\n` + WRAPPER_TAIL_SOURCE + "$");
const INTERNAL_FRAME = /\((node:|.*[\\/]tslab[\\/]dist[\\/]|.*[\\/]kernel[\\/]execution[\\/])|^\s*at (node:|.*[\\/]tslab[\\/]dist[\\/])/;

/**
 * Describe a thrown value. `cells` maps script names to compiled cells;
 * `current` is the script name of the cell that is running (frames there
 * say "line N of this cell").
 */
export function describeThrown(value: unknown, cells: ReadonlyMap<string, CompiledCell>, current: string | null): ErrorReport {
  if (!(value instanceof Error) && !(value && typeof value === "object" && "stack" in value && "message" in value)) {
    const evalue = inspect(value, { depth: 2, colors: false });
    return { ename: "Uncaught", evalue, traceback: [`Uncaught ${evalue}`] };
  }
  const err = value as Error;
  const ename = err.name || err.constructor?.name || "Error";
  const evalue = String(err.message ?? "");
  const traceback = [`${ename}: ${evalue}`];
  const stack = typeof err.stack === "string" ? err.stack.split("\n") : [];
  for (const line of stack) {
    if (!/^\s+at /.test(line)) continue;
    const m = /^(\s+at )(?:(.*) \()?(__reglab_cell_\d+__):(\d+):(\d+)\)?$/.exec(line);
    if (m) {
      const [, at, fn, script, jsLine] = m;
      const cell = cells.get(script);
      // The wrapper's invocation line: every frame below it is kernel machinery.
      if (cell && WRAPPER_TAIL.test(cell.js.split("\n")[Number(jsLine) - 1] ?? "")) break;
      const where = script === current ? "this cell" : "an earlier cell";
      const n = cell ? mapLine(cell, Number(jsLine)) : null;
      const loc = n === null ? where : `line ${n} of ${where}`;
      traceback.push(fn ? `${at}${fn} (${loc})` : `${at}${loc}`);
      if (cell && n !== null) traceback.push(`        ${cell.source.split("\n")[n - 1].trim()}`);
      continue;
    }
    if (INTERNAL_FRAME.test(line)) continue;
    traceback.push(line);
  }
  return { ename, evalue, traceback };
}
