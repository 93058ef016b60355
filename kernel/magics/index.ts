/**
 * The magics layer: a CellExecutor that runs IPython-style magics itself
 * and hands plain TypeScript to the executor it wraps.
 *
 * - A cell without `%` goes straight to `inner` (one indexOf, no parsing).
 * - A cell magic (`%%name args` first line) gets the rest of the cell.
 * - Line magics split the cell: code before runs, then the magic, then the
 *   code after; the cell's value is the last segment's value. An error stops
 *   the cell. Line magics also work inside the TypeScript body of a cell
 *   magic (%%time, %%capture, %%tfleak, %%sweep) and in %run files.
 * - Completion, inspection and isComplete see the cell with magic lines
 *   blanked to same-length spaces, so cursor offsets stay valid.
 */
import type { CellExecutor, CellIO, CellOutcome, CompletionResult, InspectResult } from "../execution/types";
import { blankMagics, mayHaveMagic, parseCell, parseHelpRequest, splitSegments, type MagicCall, type Segment } from "./parse";
import { MagicRegistry, helpText, type MagicContext } from "./registry";
import { MagicError, toErrorOutcome } from "./errors";
import { UsageError } from "../options";
import { defaultMagics } from "./all";

export { MagicRegistry, type Magic, type MagicContext, type LineMagic, type CellMagic } from "./registry";
export { parseCell, findLineMagics, blankMagics, mayHaveMagic } from "./parse";
export { MagicError } from "./errors";
export { UsageError } from "../options";

const HANDOFF = Symbol.for("reglab.magics.handoff");
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const EXIT = /^\s*(exit|quit)(\(\))?;?\s*$/;
const OK_NO_VALUE: CellOutcome = { status: "ok", hasValue: false };

/** A cell whose answer goes to the front end's pager (JupyterLab's pager; consoles print it). */
function pager(data: Record<string, unknown>): CellOutcome {
  return { status: "ok", hasValue: false, payload: [{ source: "page", data, start: 0 }] };
}

export interface MagicsLayerOptions {
  registry?: MagicRegistry;
  /**
   * Point process.stdout/stderr at an io. The owner of the cell's output (the
   * protocol handler) points them at the cell; the layer uses this only while a
   * magic runs code into another io (%%capture) and to point them back after.
   * Default: nothing (kernel/main.ts passes the kernel's redirection).
   */
  redirectStreams?: ((io: CellIO | null) => void) | null;
}

export class MagicsLayer implements CellExecutor {
  readonly registry: MagicRegistry;
  private interruptHandlers = new Set<() => void>();
  private interruptFlag = false;
  private readonly redirect: ((io: CellIO | null) => void) | null;

  constructor(
    readonly inner: CellExecutor,
    options: MagicsLayerOptions = {},
  ) {
    this.registry = options.registry ?? defaultMagics();
    this.redirect = options.redirectStreams ?? null;
  }

  get locals(): Record<string, unknown> {
    return this.inner.locals;
  }

  async run(code: string, io: CellIO): Promise<CellOutcome> {
    const help = parseHelpRequest(code);
    if (help) return this.inspectToPager(help.expr, help.detail, io);
    // IPython's exit/quit: ask a console front end to exit (jupyter console does; notebooks ignore it).
    if (EXIT.test(code)) return { status: "ok", hasValue: false, payload: [{ source: "ask_exit", keepkernel: false }] };
    if (!mayHaveMagic(code)) return this.inner.run(code, io);
    const parsed = parseCell(code);
    if (!parsed.cellMagic && !parsed.segments.some((s) => s.kind === "line")) return this.inner.run(code, io);
    this.interruptFlag = false;
    try {
      if (parsed.cellMagic) return await this.runMagic(parsed.cellMagic, true, this.context(io), parsed.cellMagic.body);
      return await this.runSegments(parsed.segments, io);
    } catch (e) {
      return toErrorOutcome(e);
    } finally {
      this.interruptHandlers.clear();
    }
  }

  /**
   * TypeScript that may hold line magics (a cell magic's body, a %run file,
   * a sweep run): magics run here, the rest goes to inner. Magic errors throw.
   */
  private async runCode(code: string, io: CellIO): Promise<CellOutcome> {
    if (!mayHaveMagic(code)) return this.inner.run(code, io);
    const segments = splitSegments(code);
    if (!segments.some((s) => s.kind === "line")) return this.inner.run(code, io);
    return this.runSegments(segments, io);
  }

  private async runSegments(segments: Segment[], io: CellIO): Promise<CellOutcome> {
    const ctx = this.context(io);
    let last: CellOutcome = OK_NO_VALUE;
    for (const seg of segments) {
      if (seg.kind === "code") {
        if (seg.code.trim() === "") continue;
        last = await this.inner.run(seg.code, io);
      } else {
        last = await this.runMagic(seg, false, ctx, "");
      }
      if (last.status === "error") return last;
      if (this.interruptFlag) throw new MagicError("KeyboardInterrupt", "interrupted");
    }
    return last;
  }

  private async runMagic(call: MagicCall, cell: boolean, ctx: MagicContext, body: string): Promise<CellOutcome> {
    const magic = cell ? this.registry.getCell(call.name) : this.registry.getLine(call.name);
    if (!magic) {
      const label = `${cell ? "%%" : "%"}${call.name}`;
      const close = this.registry.suggest(call.name, cell);
      const hint = close.length ? ` Did you mean: ${close.join(", ")}?` : " Run %lsmagic to list the magics.";
      throw new UsageError(`${cell ? "Cell" : "Line"} magic function \`${label}\` not found.${hint}`);
    }
    if (call.help) return pager({ "text/plain": helpText(magic) });
    const out = magic.kind === "cell" ? await magic.run(call.args, body, ctx) : await magic.run(call.args, ctx);
    return out ?? OK_NO_VALUE;
  }

  /** `expr?` / `expr??`: what inspection says about `expr`, as a pager payload (IPython's `?`). */
  private inspectToPager(expr: string, detail: 0 | 1, io: CellIO): CellOutcome {
    const r = this.inner.inspect(expr, expr.length, detail);
    if (!r.found) {
      io.stdout(`Object \`${expr}\` not found.\n`);
      return OK_NO_VALUE;
    }
    return pager(r.data);
  }

  private context(io: CellIO): MagicContext {
    const ctx: MagicContext = {
      inner: this.inner,
      io,
      registry: this.registry,
      run: async (code, other) => {
        if (!other || other === io) return this.runCode(code, io);
        this.redirect?.(other);
        try {
          return await this.runCode(code, other);
        } finally {
          this.redirect?.(io);
        }
      },
      bind: async (name, value) => {
        if (!IDENT.test(name)) throw new UsageError(`"${name}" is not a valid variable name.`);
        const g = globalThis as Record<symbol, unknown>;
        g[HANDOFF] = value;
        try {
          // `any`: the value's type is only known at run time.
          const out = await this.inner.run(`const ${name}: any = (globalThis as any)[Symbol.for("reglab.magics.handoff")];`, io);
          if (out.status === "error") throw new MagicError(out.ename, `could not define ${name}: ${out.evalue}`);
        } finally {
          delete g[HANDOFF];
        }
      },
      interrupted: () => this.interruptFlag,
      onInterrupt: (fn) => {
        this.interruptHandlers.add(fn);
        return () => this.interruptHandlers.delete(fn);
      },
    };
    return ctx;
  }

  complete(code: string, cursorPos: number): CompletionResult {
    if (!mayHaveMagic(code)) return this.inner.complete(code, cursorPos);
    const names = this.completeMagicName(code, cursorPos);
    if (names) return names;
    const view = this.codeView(code);
    if (view === null) return { matches: [], cursorStart: cursorPos, cursorEnd: cursorPos };
    return this.inner.complete(view, cursorPos);
  }

  inspect(code: string, cursorPos: number, detailLevel: number): InspectResult {
    if (!mayHaveMagic(code)) return this.inner.inspect(code, cursorPos, detailLevel);
    const word = this.magicAt(code, cursorPos);
    if (word) {
      const m = word.cell ? this.registry.getCell(word.name) : this.registry.getLine(word.name);
      if (m) return { found: true, data: { "text/plain": helpText(m) } };
    }
    const view = this.codeView(code);
    if (view === null) return { found: false, data: {} };
    return this.inner.inspect(view, cursorPos, detailLevel);
  }

  isComplete(code: string): { status: "complete" | "incomplete" | "invalid" | "unknown"; indent?: string } {
    if (parseHelpRequest(code) || EXIT.test(code)) return { status: "complete" };
    if (!mayHaveMagic(code)) return this.inner.isComplete(code);
    const view = this.codeView(code);
    if (view === null) return { status: "complete" };
    return this.inner.isComplete(view);
  }

  /** The cell as TypeScript (magic lines blanked), or null when its body is not TypeScript. */
  private codeView(code: string): string | null {
    const parsed = parseCell(code);
    if (parsed.cellMagic) {
      const m = this.registry.getCell(parsed.cellMagic.name);
      if (!m || !m.bodyIsCode) return null;
    }
    return blankMagics(code);
  }

  /** `%na|` → magic names starting with "na". */
  private completeMagicName(code: string, cursorPos: number): CompletionResult | null {
    const lineStart = code.lastIndexOf("\n", cursorPos - 1) + 1;
    const m = /^[ \t]*(%%?)([A-Za-z_0-9]*)$/.exec(code.slice(lineStart, cursorPos));
    if (!m) return null;
    const first = code.slice(0, lineStart).trim() === "";
    const word = m[2];
    const cells = first
      ? this.registry
          .cellNames()
          .filter((n) => n.startsWith(word))
          .map((n) => `%%${n}`)
      : [];
    const lines = this.registry
      .lineNames()
      .filter((n) => n.startsWith(word))
      .map((n) => `%${n}`);
    // Line magics anywhere; cell magics (%%x) only on the first line.
    const filtered = m[1] === "%%" ? cells : [...lines, ...cells];
    const prefixLen = m[1].length + word.length;
    return { matches: [...new Set(filtered)], cursorStart: cursorPos - prefixLen, cursorEnd: cursorPos };
  }

  private magicAt(code: string, cursorPos: number): { name: string; cell: boolean } | null {
    const lineStart = code.lastIndexOf("\n", cursorPos - 1) + 1;
    let lineEnd = code.indexOf("\n", cursorPos);
    if (lineEnd === -1) lineEnd = code.length;
    const m = /^[ \t]*(%%?)([A-Za-z_][A-Za-z_0-9]*)/.exec(code.slice(lineStart, lineEnd));
    if (!m || cursorPos > lineStart + m[0].length) return null;
    return { name: m[2], cell: m[1] === "%%" };
  }

  interrupt(): void {
    this.interruptFlag = true;
    for (const fn of this.interruptHandlers) {
      try {
        fn();
      } catch {
        // an interrupt handler must not stop the others
      }
    }
    this.inner.interrupt();
  }

  reset(): void {
    this.inner.reset();
  }

  close(): void {
    this.inner.close();
  }
}

/** Wrap the TypeScript executor with the magics layer (kernel/main.ts's entry point). */
export function createMagicsLayer(inner: CellExecutor, options?: MagicsLayerOptions): CellExecutor {
  return new MagicsLayer(inner, options);
}
