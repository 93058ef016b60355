/**
 * The seam between transport (the Jupyter handler), parsing (magics) and
 * execution (tslab). The handler talks to a CellExecutor; the magics layer
 * is a CellExecutor that wraps the TypeScript one.
 */
import type { DisplayContent, MimeBundle } from "../../src/display/transport";
import type { Payload } from "../protocol/messages";

/** Where a running cell's output goes; the handler binds it to the cell's request. */
export interface CellIO {
  stdout(text: string): void;
  stderr(text: string): void;
  display(content: DisplayContent, update: boolean): void;
  /** clear_output (optional: an io that captures has nothing to clear). */
  clear?(wait: boolean): void;
}

export type CellOutcome =
  /** `hasValue` is false when the cell has no last expression or it is null/undefined. */
  | { status: "ok"; hasValue: boolean; value?: unknown; payload?: Payload[] }
  | { status: "error"; ename: string; evalue: string; traceback: string[] };

export interface CompletionResult {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
}

export interface InspectResult {
  found: boolean;
  data: MimeBundle;
}

export interface CellExecutor {
  /** Run one cell. Never throws for user errors: they come back as an error outcome. */
  run(code: string, io: CellIO): Promise<CellOutcome>;
  complete(code: string, cursorPos: number): CompletionResult;
  inspect(code: string, cursorPos: number, detailLevel: number): InspectResult;
  isComplete(code: string): { status: "complete" | "incomplete" | "invalid" | "unknown"; indent?: string };
  /** Stop a pending await (a busy synchronous loop is stopped by SIGINT itself). */
  interrupt(): void;
  /** The notebook's top-level variables, for %who and friends. */
  readonly locals: Record<string, unknown>;
  /** Forget all variables and declarations. */
  reset(): void;
  close(): void;
}
