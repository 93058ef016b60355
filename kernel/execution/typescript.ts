/**
 * The TypeScript cell executor: tslab's converter + executor (deep imports),
 * with per-cell capture of stdout/stderr, the last value, displays and
 * errors, behind the CellExecutor seam.
 *
 * tslab reports through the `console` given to createExecutor:
 * - `log(value)`: the last expression's value (only when it is not null/undefined);
 * - `error("%s%d:%d - %s", file, line, col, message)`: one type/syntax diagnostic
 *   (lines already in the cell's coordinates);
 * - `error(thrown)`: a runtime exception or rejection (from the awaited promise).
 */
import { requestInterrupt } from "../../src/runtime/interrupt";
import { expandShorthand, mapColumn, type Expanded } from "./shorthand";
import path from "path";
import vm from "vm";
import type { CellExecutor, CellIO, CellOutcome, CompletionResult, InspectResult } from "./types";
import { installProcessHooks, type ProcessHooks } from "./process-hooks";
import { kernelLog } from "./streams";
import { isCompleteTypeScript } from "./is-complete";
import { WRAPPED_CELL, cellScriptName, describeThrown, type CompiledCell, type ErrorReport } from "./errors";

// Deep imports of tslab (typed by its own .d.ts files).
import type { Converter, Diagnostic } from "tslab/dist/converter";
import type { Executor } from "tslab/dist/executor";
import { DISPLAY_SINK } from "../../src/display/transport";
import { loadConverter } from "./tslab-converter";

export interface TypeScriptExecutorOptions {
  /** Directory cells resolve relative imports and node_modules from (default: process.cwd()). */
  rootDir?: string;
  /**
   * tfjs backend to select once, before the first cell runs
   * (default: $REGLAB_BACKEND or "auto"); false: leave tfjs alone.
   */
  backend?: string | false;
  /** Report async errors raised after a cell (unhandled rejections, uncaught exceptions) to the cell's stderr. Default true. */
  catchAsyncErrors?: boolean;
}

/** How many compiled cells to keep for mapping stack frames of functions defined earlier. */
const KEEP_CELLS = 500;

/** Frames raised by interrupts: tslab's async interrupt, or vm's breakOnSigint. */
function isInterrupt(e: unknown): "await" | "sync" | null {
  if (!(e instanceof Error)) return null;
  if (e.message === "Interrupted asynchronously") return "await";
  if ((e as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") return "sync";
  return null;
}

class ConverterSet {
  private browserConv: Converter | null = null;
  constructor(
    /** Replaced after a compiler crash (see TypeScriptExecutor.wrapConverter); tslab reads it per call. */
    public node: Converter,
    private readonly make: () => Converter,
  ) {}
  get browser(): Converter {
    if (!this.browserConv) this.browserConv = this.make();
    return this.browserConv;
  }
  close(): void {
    this.node.close();
    this.browserConv?.close();
  }
}

/** Everything one run of a cell records: a fresh object per run, so no state leaks between cells. */
class CellRun {
  value: { has: boolean; value?: unknown } = { has: false };
  diagnostics: Diagnostic[] | null = null;
  diagnosticLines: string[] = [];
  thrown: unknown[] = [];
  /** The script name once tslab compiled the cell (see the vm hook). */
  script: string | null = null;
  /** The expanded source waiting for its compiled script (null once named). */
  pendingSource: string | null;

  constructor(
    readonly io: CellIO,
    /** The running cell after shorthand expansion (see shorthand.ts). */
    readonly expanded: Expanded,
  ) {
    this.pendingSource = expanded.code;
  }
}

export class TypeScriptExecutor implements CellExecutor {
  private readonly executor: Executor;
  private readonly convs: ConverterSet;
  private readonly hooks: ProcessHooks;
  private backendPending: string | false;
  /** The cell running now (null between cells). */
  private current: CellRun | null = null;
  /** The most recent cell: displays made after it finished (timers) go to its output. */
  private last: CellRun | null = null;
  private readonly lateErrors: string[] = [];
  private runIndex = 0;
  private readonly cells = new Map<string, CompiledCell>();
  private globalsDeclared = false;

  constructor(opts: TypeScriptExecutorOptions = {}) {
    this.hooks = installProcessHooks();
    const rootDir = path.resolve(opts.rootDir ?? process.cwd());
    this.backendPending = opts.backend === undefined ? process.env.REGLAB_BACKEND?.trim() || "auto" : opts.backend;

    const conv = loadConverter();
    const exec = require("tslab/dist/executor") as typeof import("tslab/dist/executor");
    // tslab's converter uses the TypeScript sys cwd as its root.
    const prevCwd = process.cwd();
    const chdir = prevCwd !== rootDir;
    if (chdir) process.chdir(rootDir);
    const makeNode = (): Converter => {
      const back = process.cwd();
      if (back !== rootDir) process.chdir(rootDir);
      try {
        return this.wrapConverter(conv.createConverter({ isJS: false, isBrowser: false }));
      } finally {
        if (back !== rootDir) process.chdir(back);
      }
    };
    this.makeNodeConverter = makeNode;
    let node: Converter;
    try {
      node = makeNode();
    } finally {
      if (chdir) process.chdir(prevCwd);
    }
    this.convs = new ConverterSet(node, () => conv.createConverter({ isJS: false, isBrowser: true }));
    this.executor = exec.createExecutor(rootDir, this.convs, {
      log: (v: unknown) => {
        if (this.current) this.current.value = { has: true, value: v };
      },
      error: (...args: unknown[]) => this.onError(args),
    });
    this.hooks.onCompiledScript((code, options) => this.nameScript(code, options));
    this.installDisplaySink();
    if (opts.catchAsyncErrors !== false) this.hooks.onAsyncError((kind, err) => this.reportAsync(kind, err));
  }

  /**
   * Record the diagnostics of each conversion (console.error loses their codes), and recover
   * from compiler crashes: when TypeScript throws inside tslab's converter (e.g. a stack
   * overflow on thousands of nested parentheses), the converter keeps a pending rebuild timer
   * and fails every later cell with "Unexpected pending rebuildTimer". The crashed converter is
   * replaced by a fresh one (earlier cells' declarations come back with the next cell's
   * `prevDecl`), and the cell gets a clear error.
   */
  private wrapConverter(c: Converter): Converter {
    const guard =
      <A extends unknown[], R>(what: string, f: (...a: A) => R) =>
      (...a: A): R => {
        try {
          return f(...a);
        } catch (e) {
          this.replaceNodeConverter(c);
          const why = e instanceof Error ? e.message : String(e);
          const err = new Error(
            `the TypeScript compiler failed on this cell (${why}) during ${what}; ` +
              "nothing ran, and the compiler was restarted (earlier cells are kept)",
          );
          err.name = e instanceof RangeError ? "RangeError" : "CompilerError";
          throw err;
        }
      };
    const convert = c.convert.bind(c);
    c.convert = guard("compilation", (prevDecl: string, src: string) => {
      const r = convert(prevDecl, src);
      if (this.current) this.current.diagnostics = r.diagnostics;
      return r;
    });
    c.complete = guard("completion", c.complete.bind(c));
    c.inspect = guard("inspection", c.inspect.bind(c));
    return c;
  }

  private makeNodeConverter: (() => Converter) | null = null;

  private replaceNodeConverter(crashed: Converter): void {
    if (!this.convs || this.convs.node !== crashed || !this.makeNodeConverter) return;
    try {
      crashed.close();
    } catch {
      // it is broken anyway
    }
    this.convs.node = this.makeNodeConverter();
    kernelLog("the TypeScript converter crashed and was replaced");
  }

  private onError(args: unknown[]): void {
    const run = this.current;
    if (!run) {
      kernelLog(`tslab reported an error outside a cell: ${String(args[0])}`);
      return;
    }
    if (args.length === 5 && args[0] === "%s%d:%d - %s") {
      const [, file, line, col, message] = args;
      // Diagnostics in the cell itself: columns of the text the user wrote, not of the expanded text.
      const c = file === "" ? mapColumn(run.expanded, Number(line), Number(col)) : col;
      run.diagnosticLines.push(`${String(file)}${String(line)}:${String(c)} - ${String(message)}`);
    } else {
      run.thrown.push(args[0]);
    }
  }

  /** Give each compiled cell a unique script name and keep its code, for stack mapping. */
  private nameScript(code: string, options: vm.RunningScriptOptions | string | undefined): vm.RunningScriptOptions | null {
    const run = this.current;
    if (!run || run.pendingSource === null || !WRAPPED_CELL.test(code)) return null;
    const name = cellScriptName(++this.runIndex);
    this.cells.set(name, { source: run.pendingSource, js: code });
    if (this.cells.size > KEEP_CELLS) this.cells.delete(this.cells.keys().next().value as string);
    run.script = name;
    run.pendingSource = null;
    return { ...(typeof options === "object" && options ? options : {}), filename: name };
  }

  private installDisplaySink(): void {
    const sink = (content: Parameters<CellIO["display"]>[0], update: boolean): void => {
      const io = (this.current ?? this.last)?.io;
      if (io) io.display(content, update === true);
      else kernelLog("display outside a cell dropped");
    };
    (globalThis as Record<symbol, unknown>)[DISPLAY_SINK] = sink;
    try {
      // Keep tslab.display / tslab.newDisplay() working.
      const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
      jupyter.lastWriteDisplayData = sink;
    } catch (e) {
      kernelLog(`tslab display hook unavailable: ${String(e)}`);
    }
  }

  /**
   * Async errors raised while a cell runs go to its stderr. Ones raised between cells (a timer
   * firing after its cell finished) would be published after that cell's idle status, where
   * clients drop them; they are logged and shown on the stderr of the next cell instead.
   */
  private reportAsync(kind: string, err: unknown): void {
    const run = this.current;
    const r = describeThrown(err, this.cells, run ? run.script : null);
    const text = `${kind}: ${r.traceback.join("\n")}\n`;
    if (run) run.io.stderr(text);
    else {
      kernelLog(text.trimEnd());
      this.lateErrors.push(text);
      if (this.lateErrors.length > 20) this.lateErrors.splice(0, this.lateErrors.length - 20);
    }
  }

  /**
   * Globals the kernel provides to cells but TypeScript's es20xx lib does not declare (`prompt`,
   * from kernel/protocol/stdin.ts): declared once (again after %reset) as tslab declarations, whose
   * uses tslab rewrites to `exports.<name>`, so the value goes on its exports too.
   */
  private async declareGlobals(): Promise<void> {
    if (this.globalsDeclared) return;
    this.globalsDeclared = true;
    const g = globalThis as Record<string, unknown>;
    if (typeof g.prompt !== "function") return;
    const hidden = new CellRun({ stdout: kernelLog, stderr: kernelLog, display: () => undefined }, expandShorthand(""));
    hidden.pendingSource = null;
    this.current = hidden;
    const ok = await this.executor.execute("declare function prompt(message?: string, _default?: string): string;");
    if (!ok) kernelLog(`declaring prompt() failed: ${hidden.diagnosticLines.join("; ")}`);
    this.locals.prompt = g.prompt;
  }

  private async selectBackendOnce(io: CellIO): Promise<void> {
    const name = this.backendPending;
    if (name === false) return;
    this.backendPending = false;
    const backend = require("../../src/backend") as typeof import("../../src/backend");
    try {
      const choice = await backend.useBackend(name as import("../../src/backend").BackendName, { quiet: true });
      kernelLog(`backend ${choice.backend} (${choice.reason})`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      io.stderr(`reglab: could not select the tfjs backend "${name}": ${msg}\nreglab: continuing on cpu\n`);
      kernelLog(`backend "${name}" failed (${msg}); using cpu`);
      try {
        await backend.useBackend("cpu", { quiet: true });
      } catch (e2) {
        kernelLog(`cpu backend failed too: ${String(e2)}`);
      }
    }
  }

  async run(code: string, io: CellIO): Promise<CellOutcome> {
    for (const text of this.lateErrors.splice(0)) io.stderr(`(raised after an earlier cell had finished) ${text}`);
    const outer = this.current;
    try {
      await this.declareGlobals();
      if (this.backendPending !== false) {
        // Async errors while the backend loads belong to this cell.
        this.current = new CellRun(io, expandShorthand(""));
        this.current.pendingSource = null;
        await this.selectBackendOnce(io);
      }
      const run = new CellRun(io, expandShorthand(code));
      this.current = run;
      this.last = run;
      return await this.runCell(run);
    } finally {
      this.current = outer;
      // A module the cell loaded (a backend, a package) may have added error listeners that rethrow.
      this.hooks.sweepForeignListeners();
    }
  }

  private async runCell(run: CellRun): Promise<CellOutcome> {
    let ok: boolean;
    try {
      ok = await this.executor.execute(run.expanded.code);
    } catch (e) {
      // tslab itself failed (a bug, or a converter crash): report, never throw.
      ok = false;
      run.thrown.push(e);
    } finally {
      run.pendingSource = null;
    }
    // Node reports unhandled rejections after the microtask queue drains: one macrotask turn lets
    // a promise the cell rejected without awaiting be reported in this cell.
    await new Promise<void>((r) => setImmediate(r));
    if (ok) return run.value.has ? { status: "ok", hasValue: true, value: run.value.value } : { status: "ok", hasValue: false };
    return { status: "error", ...this.errorReport(run) };
  }

  private errorReport(run: CellRun): ErrorReport {
    if (run.diagnosticLines.length > 0) {
      const codes = (run.diagnostics ?? []).map((d) => d.code);
      const syntax = codes.length > 0 && codes.every((c) => c >= 1000 && c < 2000);
      const ename = syntax ? "SyntaxError" : "TSError";
      const evalue = run.diagnosticLines.join("\n");
      return { ename, evalue, traceback: [`${ename}: ${run.diagnosticLines.length} error(s)`, ...run.diagnosticLines] };
    }
    if (run.thrown.length > 0) {
      const e = run.thrown[0];
      const kind = isInterrupt(e);
      if (kind) {
        const evalue = kind === "await" ? "interrupted while awaiting" : "interrupted while running";
        return { ename: "Interrupted", evalue, traceback: [`Interrupted: ${evalue}`] };
      }
      return describeThrown(e, this.cells, run.script);
    }
    return { ename: "Error", evalue: "the cell failed", traceback: ["Error: the cell failed (no details from tslab)"] };
  }

  complete(code: string, cursorPos: number): CompletionResult {
    try {
      const info = this.executor.complete(code, cursorPos);
      return { matches: info.candidates, cursorStart: info.start, cursorEnd: info.end };
    } catch (e) {
      kernelLog(`complete failed: ${String(e)}`);
      return { matches: [], cursorStart: cursorPos, cursorEnd: cursorPos };
    }
  }

  inspect(code: string, cursorPos: number, _detailLevel: number): InspectResult {
    try {
      const info = this.executor.inspect(code, cursorPos);
      if (!info) return { found: false, data: {} };
      const { printQuickInfo } = require("tslab/dist/inspect") as typeof import("tslab/dist/inspect");
      return { found: true, data: { "text/plain": printQuickInfo(info) } };
    } catch (e) {
      kernelLog(`inspect failed: ${String(e)}`);
      return { found: false, data: {} };
    }
  }

  isComplete(code: string): { status: "complete" | "incomplete" | "invalid" | "unknown"; indent?: string } {
    try {
      return isCompleteTypeScript(code);
    } catch (e) {
      kernelLog(`isComplete failed: ${String(e)}`);
      return { status: "unknown" };
    }
  }

  interrupt(): void {
    // Guarded async loops (train, sweeps) stop at their next step; see src/runtime/interrupt.ts.
    requestInterrupt();
    this.executor.interrupt();
  }

  get locals(): Record<string, unknown> {
    return this.executor.locals as Record<string, unknown>;
  }

  reset(): void {
    this.executor.reset();
    this.globalsDeclared = false;
  }

  close(): void {
    this.executor.close();
  }
}
