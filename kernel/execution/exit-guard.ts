/**
 * Cells must not end the kernel: `process.exit()`, `process.abort()`,
 * `process.reallyExit()` and `process.kill(<the kernel's own pid or group>,
 * sig)` throw an {@link ExitDisabledError} explaining what to do instead,
 * and the kernel runs on with every variable intact.
 *
 * Policy: the guard is installed once, by process-hooks.ts at kernel start, and
 * stays installed (a timer or callback that calls process.exit() after its
 * cell finished is stopped too). The kernel's own exits (shutdown_request,
 * SIGTERM) go through {@link exitKernel}, which uses the original function.
 * `process.kill(pid, 0)` (an existence check) and signals to other
 * processes are allowed.
 */

export class ExitDisabledError extends Error {
  constructor(what: string) {
    super(
      `${what} is disabled in reglab cells: it would stop the kernel and lose every variable. ` +
        "To start over, restart the kernel (Kernel → Restart); to stop a cell early, throw an Error or interrupt it.",
    );
    this.name = "ExitDisabledError";
  }
}

type ProcessWithReallyExit = NodeJS.Process & { reallyExit?: (code?: number) => never };

const proc = process as ProcessWithReallyExit;
const realExit: (code?: number) => never = process.exit.bind(process);
// process.exit() calls process.reallyExit() by name, so the original must be put back before exiting.
const realReallyExit = proc.reallyExit;
let installed = false;

/** End the kernel process (for the kernel's own shutdown paths only). */
export function exitKernel(code = 0): never {
  if (realReallyExit) proc.reallyExit = realReallyExit;
  return realExit(code);
}

function isSelf(pid: number): boolean {
  // 0 and -pgid address the process group the kernel is in; -1 is every process we may signal.
  return pid === process.pid || pid === 0 || pid === -1 || pid === -process.pid;
}

/** Replace process.exit & co. with functions that throw (idempotent). */
export function installExitGuard(): void {
  if (installed) return;
  installed = true;
  const realKill = process.kill.bind(process);
  proc.exit = function exit(): never {
    throw new ExitDisabledError("process.exit()");
  } as typeof process.exit;
  proc.abort = function abort(): never {
    throw new ExitDisabledError("process.abort()");
  };
  if (typeof proc.reallyExit === "function") {
    proc.reallyExit = function reallyExit(): never {
      throw new ExitDisabledError("process.reallyExit()");
    };
  }
  proc.kill = function kill(pid: number, signal?: string | number): true {
    if (isSelf(Number(pid)) && signal !== 0 && signal !== "0") {
      throw new ExitDisabledError(`process.kill(${String(pid)}${signal === undefined ? "" : `, ${JSON.stringify(signal)}`})`);
    }
    return realKill(pid, signal);
  };
}
