/**
 * An executor that runs nothing and knows no names: the baseline for what the
 * layers around an executor cost (the bench's magics overhead) and the base of
 * test doubles that override only what they script.
 */
import type { CellExecutor, CellIO, CellOutcome, CompletionResult, InspectResult } from "./types";

export class NullExecutor implements CellExecutor {
  readonly locals: Record<string, unknown> = {};
  async run(_code: string, _io: CellIO): Promise<CellOutcome> {
    return { status: "ok", hasValue: false };
  }
  complete(): CompletionResult {
    return { matches: [], cursorStart: 0, cursorEnd: 0 };
  }
  inspect(): InspectResult {
    return { found: false, data: {} };
  }
  isComplete(): { status: "complete" } {
    return { status: "complete" };
  }
  interrupt(): void {}
  reset(): void {}
  close(): void {}
}
