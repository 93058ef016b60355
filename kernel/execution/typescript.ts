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
import { installReglabResolution } from "./resolve-reglab";
import { kernelLog, redirectStreams } from "./streams";
import { cellScriptName, describeThrown, type CompiledCell, type ErrorReport } from "./errors";

// Deep imports of tslab (typed by its own .d.ts files).
import type { Converter, Diagnostic } from "tslab/dist/converter";
import type { Executor } from "tslab/dist/executor";

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

const DISPLAY_SINK = Symbol.for("reglab.displaySink");
const WRAPPED_CELL = /^\((async )?function\(exports, require\) \{ [\s\S]*\n\}\)\(__tslab__\.exports, __tslab__\.require\)$/;
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

export class TypeScriptExecutor implements CellExecutor {
  private readonly executor: Executor;
  private readonly convs: ConverterSet;
  private io: CellIO | null = null;
  private backendPending: string | false;

  // Per-run capture (reset at the start of each run).
  private value: { has: boolean; value?: unknown } = { has: false };
  private diagnostics: Diagnostic[] | null = null;
  private diagnosticLines: string[] = [];
  /** The running cell after shorthand expansion (see shorthand.ts). */
  private expanded: Expanded | null = null;
  private thrown: unknown[] = [];

  private running = false;
  private readonly lateErrors: string[] = [];

  private runIndex = 0;
  private currentScript: string | null = null;
  private pendingSource: string | null = null;
  private readonly cells = new Map<string, CompiledCell>();

  constructor(opts: TypeScriptExecutorOptions = {}) {
    installReglabResolution();
    const rootDir = path.resolve(opts.rootDir ?? process.cwd());
    this.backendPending = opts.backend === undefined ? process.env.REGLAB_BACKEND?.trim() || "auto" : opts.backend;

    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const conv = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
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
        this.value = { has: true, value: v };
      },
      error: (...args: unknown[]) => this.onError(args),
    });
    this.installVmHook();
    this.installDisplaySink();
    if (opts.catchAsyncErrors !== false) this.installAsyncErrorReporting();
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
    const guard = <A extends unknown[], R>(what: string, f: (...a: A) => R) =>
      (...a: A): R => {
        try {
          return f(...a);
        } catch (e) {
          this.replaceNodeConverter(c);
          const why = e instanceof Error ? e.message : String(e);
          const err = new Error(`the TypeScript compiler failed on this cell (${why}) during ${what}; nothing ran, and the compiler was restarted (earlier cells are kept)`);
          err.name = e instanceof RangeError ? "RangeError" : "CompilerError";
          throw err;
        }
      };
    const convert = c.convert.bind(c);
    c.convert = guard("compilation", (prevDecl: string, src: string) => {
      const r = convert(prevDecl, src);
      this.diagnostics = r.diagnostics;
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
    if (args.length === 5 && args[0] === "%s%d:%d - %s") {
      const [, file, line, col, message] = args;
      // Diagnostics in the cell itself: columns of the text the user wrote, not of the expanded text.
      const c = file === "" && this.expanded ? mapColumn(this.expanded, Number(line), Number(col)) : col;
      this.diagnosticLines.push(`${String(file)}${String(line)}:${String(c)} - ${String(message)}`);
    } else {
      this.thrown.push(args[0]);
    }
  }

  /** Give each compiled cell a unique script name and keep its code, for stack mapping. */
  private installVmHook(): void {
    const self = this;
    const orig = vm.runInThisContext;
    const hooked = function (code: string, options?: vm.RunningScriptOptions | string) {
      if (self.pendingSource !== null && typeof code === "string" && WRAPPED_CELL.test(code)) {
        const name = cellScriptName(++self.runIndex);
        self.cells.set(name, { source: self.pendingSource, js: code });
        if (self.cells.size > KEEP_CELLS) self.cells.delete(self.cells.keys().next().value as string);
        self.currentScript = name;
        self.pendingSource = null;
        const opts: vm.RunningScriptOptions = typeof options === "object" && options ? { ...options } : {};
        opts.filename = name;
        return orig.call(vm, code, opts);
      }
      return orig.call(vm, code, options);
    };
    vm.runInThisContext = hooked as typeof vm.runInThisContext;
  }

  private installDisplaySink(): void {
    const sink = (content: Parameters<CellIO["display"]>[0], update: boolean): void => {
      const io = this.io;
      if (io) io.display(content, update === true);
      else kernelLog("display outside a cell dropped");
    };
    (globalThis as Record<symbol, unknown>)[DISPLAY_SINK] = sink;
    try {
      // Keep tslab.display / tslab.newDisplay() working.
      // eslint-disable-next-line @typescript-eslint/no-var-requires
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
  private installAsyncErrorReporting(): void {
    const report = (kind: string, err: unknown): void => {
      const r = describeThrown(err, this.cells, this.running ? this.currentScript : null);
      const text = `${kind}: ${r.traceback.join("\n")}\n`;
      if (this.io && this.running) this.io.stderr(text);
      else {
        kernelLog(text.trimEnd());
        this.lateErrors.push(text);
        if (this.lateErrors.length > 20) this.lateErrors.splice(0, this.lateErrors.length - 20);
      }
    };
    process.on("unhandledRejection", (reason) => report("Unhandled promise rejection", reason));
    process.on("uncaughtException", (err) => report("Uncaught exception", err));
  }

  private async selectBackendOnce(io: CellIO): Promise<void> {
    const name = this.backendPending;
    if (name === false) return;
    this.backendPending = false;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
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
    this.io = io;
    this.running = true;
    try {
      return await this.runCell(code, io);
    } finally {
      this.running = false;
    }
  }

  private async runCell(code: string, io: CellIO): Promise<CellOutcome> {
    redirectStreams(io);
    for (const text of this.lateErrors.splice(0)) io.stderr(`(raised after an earlier cell had finished) ${text}`);
    await this.selectBackendOnce(io);
    this.value = { has: false };
    this.diagnostics = null;
    this.diagnosticLines = [];
    this.thrown = [];
    this.currentScript = null;
    this.expanded = expandShorthand(code);
    this.pendingSource = this.expanded.code;
    let ok: boolean;
    try {
      ok = await this.executor.execute(this.expanded.code);
    } catch (e) {
      // tslab itself failed (a bug, or a converter crash): report, never throw.
      ok = false;
      this.thrown.push(e);
    } finally {
      this.pendingSource = null;
    }
    // Node reports unhandled rejections after the microtask queue drains: one macrotask turn lets
    // a promise the cell rejected without awaiting be reported in this cell.
    await new Promise<void>((r) => setImmediate(r));
    if (ok) {
      return this.value.has ? { status: "ok", hasValue: true, value: this.value.value } : { status: "ok", hasValue: false };
    }
    return { status: "error", ...this.errorReport() };
  }

  private errorReport(): ErrorReport {
    if (this.diagnosticLines.length > 0) {
      const codes = (this.diagnostics ?? []).map((d) => d.code);
      const syntax = codes.length > 0 && codes.every((c) => c >= 1000 && c < 2000);
      const ename = syntax ? "SyntaxError" : "TSError";
      const evalue = this.diagnosticLines.join("\n");
      return { ename, evalue, traceback: [`${ename}: ${this.diagnosticLines.length} error(s)`, ...this.diagnosticLines] };
    }
    if (this.thrown.length > 0) {
      const e = this.thrown[0];
      const kind = isInterrupt(e);
      if (kind) {
        const evalue = kind === "await" ? "interrupted while awaiting" : "interrupted while running";
        return { ename: "Interrupted", evalue, traceback: [`Interrupted: ${evalue}`] };
      }
      return describeThrown(e, this.cells, this.currentScript);
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
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { printQuickInfo } = require("tslab/dist/inspect") as typeof import("tslab/dist/inspect");
      return { found: true, data: { "text/plain": printQuickInfo(info) } };
    } catch (e) {
      kernelLog(`inspect failed: ${String(e)}`);
      return { found: false, data: {} };
    }
  }

  isComplete(code: string): { status: "complete" | "incomplete" | "invalid" | "unknown"; indent?: string } {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { isCompleteCode } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
      const r = isCompleteCode(code);
      return r.completed ? { status: "complete" } : { status: "incomplete", indent: r.indent ?? "" };
    } catch {
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
  }

  close(): void {
    this.executor.close();
  }
}
