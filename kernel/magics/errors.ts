/**
 * Errors a magic raises. They become the cell's error outcome (ename,
 * evalue); the kernel keeps running.
 */
import type { CellOutcome } from "../execution/types";

export class MagicError extends Error {
  constructor(
    readonly ename: string,
    message: string,
  ) {
    super(message);
  }
}

/** Bad magic name or arguments (IPython's UsageError). */
export class UsageError extends MagicError {
  constructor(message: string) {
    super("UsageError", message);
  }
}

export function errorOutcome(ename: string, evalue: string): CellOutcome {
  return { status: "error", ename, evalue, traceback: [`${ename}: ${evalue}`] };
}

/** Any thrown value as an error outcome. */
export function toErrorOutcome(e: unknown): CellOutcome {
  if (e instanceof MagicError) return errorOutcome(e.ename, e.message);
  if (e instanceof Error) {
    return { status: "error", ename: e.name || "Error", evalue: e.message, traceback: (e.stack ?? `${e.name}: ${e.message}`).split("\n") };
  }
  return errorOutcome("Error", String(e));
}
