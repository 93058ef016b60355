/** Reading a cell's outputs in protocol tests: one copy of the helpers every kernel suite needs. */
import assert from "node:assert/strict";
import type { CellResult } from "../../kernel/runner/execute-cell";
import type { ErrorOutput, NbOutput } from "../../kernel/runner/outputs";

/** The text of a cell's `name` stream outputs, joined. */
export function streamText(outputs: NbOutput[], name: "stdout" | "stderr" = "stdout"): string {
  return outputs.map((o) => (o.output_type === "stream" && o.name === name ? o.text : "")).join("");
}

/** The text/plain of the cell's execute_result, or undefined when it has none. */
export function resultText(r: CellResult): string | undefined {
  const o = r.outputs.find((x) => x.output_type === "execute_result");
  return o && o.output_type === "execute_result" ? String(o.data["text/plain"]) : undefined;
}

/** The cell's error output; fails the test when there is none. */
export function errorOf(r: CellResult): ErrorOutput {
  const o = r.outputs.find((x) => x.output_type === "error");
  assert.ok(o && o.output_type === "error", `expected an error output, got ${JSON.stringify(r.outputs).slice(0, 500)}`);
  return o;
}
