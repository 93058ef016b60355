/**
 * The one owner of the kernel process's global hooks. Installed once, at
 * kernel start (`installProcessHooks()` is idempotent): module resolution
 * for reglab, the `vm` hook that names compiled cells, stdout/stderr
 * redirection, the exit guard, the async-error listeners, the signal
 * listeners. This is the only module that adds or removes `process`
 * listeners; the executor and main.ts register callbacks here instead.
 *
 * Foreign error listeners. Some packages add their own
 * `uncaughtException` / `unhandledRejection` listeners that rethrow
 * (tfjs-backend-wasm's Emscripten glue does, when the backend initialises),
 * so any async error would end the kernel. Every listener added for those
 * two events by anyone else — at any time: a backend switch, `%backend`,
 * `useBackend`, a cell's import — is noted when added (`newListener`) and
 * removed on the next tick, with one line on the kernel's stderr naming the
 * package. If someone removes ours (tfjs' own cleanup helper removes every
 * listener), ours are put back.
 */
import vm from "vm";
import { installExitGuard } from "./exit-guard";
import { installReglabResolution } from "./resolve-reglab";
import { installStreamRedirection, kernelLog } from "./streams";

export type AsyncErrorKind = "Unhandled promise rejection" | "Uncaught exception";
type ErrorEvent = "uncaughtException" | "unhandledRejection";
const ERROR_EVENTS: readonly ErrorEvent[] = ["uncaughtException", "unhandledRejection"];

/** Rewrites the options of a `vm.runInThisContext` call (a compiled cell), or returns null to leave it alone. */
export type ScriptHook = (code: string, options: vm.RunningScriptOptions | string | undefined) => vm.RunningScriptOptions | null;

type Listener = (...args: unknown[]) => void;
/** process typed as a plain emitter: its per-event overloads do not accept a union of event names. */
const emitter: NodeJS.EventEmitter = process;

/** Who added a listener, from the stack at `newListener` time: a package name, "a cell", or a file. */
export function listenerOrigin(stack: string): string {
  for (const line of stack.split("\n").slice(1)) {
    if (/node:events|node:internal|process-hooks\.[jt]s/.test(line)) continue;
    if (/__reglab_cell_\d+__/.test(line)) return "a cell";
    const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(line);
    if (m) return m[1].replace(/\\/g, "/");
    const f = /\(?((?:[A-Za-z]:)?[\\/][^():]+):\d+:\d+\)?\s*$/.exec(line);
    if (f) return f[1];
  }
  return "unknown code";
}

class ProcessHooks {
  private installed = false;
  private asyncErrorSink: ((kind: AsyncErrorKind, err: unknown) => void) | null = null;
  private scriptHook: ScriptHook | null = null;
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();
  private readonly own: Record<ErrorEvent, Listener>;
  /** Foreign listeners seen being added, with who added them. */
  private readonly origins = new WeakMap<Listener, string>();
  private sweepScheduled = false;

  constructor() {
    this.own = {
      uncaughtException: (err: unknown) => this.reportAsync("Uncaught exception", err),
      unhandledRejection: (reason: unknown) => this.reportAsync("Unhandled promise rejection", reason),
    };
  }

  install(): this {
    if (this.installed) return this;
    this.installed = true;
    installReglabResolution();
    installStreamRedirection();
    installExitGuard();
    this.installVmHook();
    for (const ev of ERROR_EVENTS) emitter.on(ev, this.own[ev]);
    process.on("newListener", (event: string | symbol, listener: Listener) => {
      if (!isErrorEvent(event) || listener === this.own[event]) return;
      this.origins.set(listener, listenerOrigin(new Error().stack ?? ""));
      this.scheduleSweep();
    });
    process.on("removeListener", (event: string | symbol, listener: Listener) => {
      if (isErrorEvent(event) && listener === this.own[event]) this.scheduleSweep();
    });
    return this;
  }

  /** Where async errors go (the executor: the running cell's stderr, or the next cell's). */
  onAsyncError(sink: (kind: AsyncErrorKind, err: unknown) => void): void {
    this.asyncErrorSink = sink;
  }

  /** The executor's hook that gives each compiled cell its script name. */
  onCompiledScript(hook: ScriptHook): void {
    this.scriptHook = hook;
  }

  /** The kernel's handler for a signal (one per signal; a second call replaces the first). */
  onSignal(signal: NodeJS.Signals, handler: () => void): void {
    const had = this.signalHandlers.has(signal);
    this.signalHandlers.set(signal, handler);
    if (!had) process.on(signal, () => this.signalHandlers.get(signal)?.());
  }

  /**
   * Remove every foreign `uncaughtException`/`unhandledRejection` listener and put ours back
   * if someone removed them. Returns who added the removed ones. Runs by itself after any
   * listener is added; callers may run it after loading a module, too (cheap).
   */
  sweepForeignListeners(): string[] {
    const removed: string[] = [];
    if (!this.installed) return removed;
    for (const ev of ERROR_EVENTS) {
      for (const l of emitter.listeners(ev) as Listener[]) {
        if (l === this.own[ev]) continue;
        const who = this.origins.get(l) ?? "unknown code";
        emitter.removeListener(ev, l);
        removed.push(who);
        kernelLog(`removed an ${ev} listener added by ${who} (it would end the kernel on an async error; the kernel reports those itself)`);
      }
      if (!emitter.listeners(ev).includes(this.own[ev])) {
        emitter.on(ev, this.own[ev]);
        kernelLog(`put back the kernel's ${ev} listener (something removed it)`);
      }
    }
    return removed;
  }

  /** Our own listeners, for tests: the ones that must be the only ones. */
  ownListeners(): Readonly<Record<ErrorEvent, Listener>> {
    return this.own;
  }

  private scheduleSweep(): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    process.nextTick(() => {
      this.sweepScheduled = false;
      this.sweepForeignListeners();
    });
  }

  private reportAsync(kind: AsyncErrorKind, err: unknown): void {
    const sink = this.asyncErrorSink;
    if (!sink) {
      kernelLog(`${kind}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return;
    }
    try {
      sink(kind, err);
    } catch (e) {
      kernelLog(`reporting an async error failed: ${String(e)}`);
    }
  }

  private installVmHook(): void {
    const orig = vm.runInThisContext;
    const hooks = this;
    const hooked = function (code: string, options?: vm.RunningScriptOptions | string) {
      const rewritten = hooks.scriptHook && typeof code === "string" ? hooks.scriptHook(code, options) : null;
      return orig.call(vm, code, rewritten ?? options);
    };
    vm.runInThisContext = hooked as typeof vm.runInThisContext;
  }
}

function isErrorEvent(event: string | symbol): event is ErrorEvent {
  return event === "uncaughtException" || event === "unhandledRejection";
}

const hooks = new ProcessHooks();

/** Install every process-level hook (once) and return their owner. */
export function installProcessHooks(): ProcessHooks {
  return hooks.install();
}

export type { ProcessHooks };
