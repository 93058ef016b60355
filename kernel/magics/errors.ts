/**
 * Errors a magic raises. They become the cell's error outcome (ename,
 * evalue); the kernel keeps running.
 */
import type { CellOutcome } from "../execution/types";
import { UsageError } from "../options";

export class MagicError extends Error {
  constructor(
    readonly ename: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorOutcome(ename: string, evalue: string): CellOutcome {
  return { status: "error", ename, evalue, traceback: [`${ename}: ${evalue}`] };
}

/** Any thrown value as an error outcome. */
export function toErrorOutcome(e: unknown): CellOutcome {
  // A bad magic name or arguments is IPython's UsageError (the class is shared with the CLI).
  if (e instanceof MagicError || e instanceof UsageError) return errorOutcome(e.ename, e.message);
  if (e instanceof Error) {
    return { status: "error", ename: e.name || "Error", evalue: e.message, traceback: (e.stack ?? `${e.name}: ${e.message}`).split("\n") };
  }
  return errorOutcome("Error", String(e));
}
