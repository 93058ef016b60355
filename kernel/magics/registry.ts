/**
 * The magic registry: every magic has a name, a kind (line `%` or cell
 * `%%`), a one-line usage and a help text. Unknown names get close matches
 * by Damerau-Levenshtein distance (a swap of neighbours is one edit, so
 * `%tiem` suggests `%time`), or as a prefix.
 */
import type { CellExecutor, CellIO, CellOutcome } from "../execution/types";
import { damerauDistance } from "../../src/text/edit-distance";
export { damerauDistance };

export interface MagicContext {
  /** The TypeScript executor below the magics layer. */
  inner: CellExecutor;
  io: CellIO;
  /** Run TypeScript (line magics in it too) through the inner executor, with this cell's io unless given. */
  run(code: string, io?: CellIO): Promise<CellOutcome>;
  /** Define a notebook variable `name` holding `value` (visible to later cells and in inner.locals). */
  bind(name: string, value: unknown): Promise<void>;
  /** True once the user asked to interrupt this cell. */
  interrupted(): boolean;
  /** Register cleanup for an interrupt (e.g. kill a child process); returns an unregister function. */
  onInterrupt(fn: () => void): () => void;
  /** The whole registry, for %lsmagic. */
  registry: MagicRegistry;
}

interface MagicBase {
  name: string;
  /** e.g. "%timeit [-n N] [-r R] statement" */
  usage: string;
  help: string;
  /** Whether the cell magic's body is TypeScript (completion and inspection then work in it). */
  bodyIsCode?: boolean;
}

export interface LineMagic extends MagicBase {
  kind: "line";
  run(args: string, ctx: MagicContext): Promise<CellOutcome | void>;
}

export interface CellMagic extends MagicBase {
  kind: "cell";
  run(args: string, body: string, ctx: MagicContext): Promise<CellOutcome | void>;
}

export type Magic = LineMagic | CellMagic;

export class MagicRegistry {
  private readonly line = new Map<string, LineMagic>();
  private readonly cell = new Map<string, CellMagic>();

  add(...magics: Magic[]): this {
    for (const m of magics) {
      if (m.kind === "line") this.line.set(m.name, m);
      else this.cell.set(m.name, m);
    }
    return this;
  }

  getLine(name: string): LineMagic | undefined {
    return this.line.get(name);
  }

  getCell(name: string): CellMagic | undefined {
    return this.cell.get(name);
  }

  lineNames(): string[] {
    return [...this.line.keys()].sort();
  }

  cellNames(): string[] {
    return [...this.cell.keys()].sort();
  }

  /** Known magics close to `name` (as `%x` / `%%x`), nearest first. */
  suggest(name: string, cellKind: boolean): string[] {
    const all = [
      ...this.lineNames().map((n) => ({ n, label: `%${n}`, same: !cellKind })),
      ...this.cellNames().map((n) => ({ n, label: `%%${n}`, same: cellKind })),
    ];
    const lower = name.toLowerCase();
    const maxDist = Math.max(1, Math.floor(name.length / 3));
    return all
      .map((x) => ({ ...x, d: x.n.startsWith(lower) && lower.length >= 2 ? 0.5 : damerauDistance(lower, x.n.toLowerCase()) }))
      .filter((x) => x.d <= maxDist)
      .sort((a, b) => a.d - b.d || Number(b.same) - Number(a.same) || a.label.localeCompare(b.label))
      .slice(0, 4)
      .map((x) => x.label);
  }
}


/** The help text shown for `%name?`. */
export function helpText(m: Magic): string {
  return `Usage: ${m.usage}\n\n${m.help.trim()}\n`;
}
