/**
 * Shorthand properties of variables from earlier cells (`({ q })`): tslab
 * alone fails with "q is not defined"; the kernel expands them first.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { KernelClient } from "../../../kernel/protocol/client";
import { type CellResult, executeCell } from "../../../kernel/runner/execute-cell";
import { expandShorthand, mapColumn } from "../../../kernel/execution/shorthand";
import { useTestKernel } from "../../support/kernel-fixture";

test("expandShorthand rewrites object-literal shorthand only, keeping lines", () => {
  const src = "const o = { q, n: 2 };\nconst { a, b } = o; // binding pattern: untouched\n({ é, $x } = z);\nconst s = '{ q }';";
  const e = expandShorthand(src);
  assert.equal(
    e.code,
    "const o = { q: q, n: 2 };\nconst { a, b } = o; // binding pattern: untouched\n({ é: é, $x: $x } = z);\nconst s = '{ q }';",
  );
  assert.equal(e.code.split("\n").length, src.split("\n").length);
  assert.equal(expandShorthand("let a = 1 % 2").code, "let a = 1 % 2");
  // Column of `n` (16 in the original line 1) is 19 in the expanded text.
  assert.equal(src.indexOf("n: 2") + 1, 16);
  assert.equal(e.code.indexOf("n: 2") + 1, 19);
  assert.equal(mapColumn(e, 1, 19), 16);
  assert.equal(mapColumn(e, 2, 7), 7);
});

let kc: KernelClient;
const text = (r: CellResult): string =>
  r.outputs.map(
    (o) => (o.output_type === "execute_result" ? String(o.data["text/plain"]) : o.output_type === "error" ? `${o.ename}: ${o.evalue}` : "")
  ).join("");

useTestKernel("reglab-shorthand-", (k) => ({ kc } = k));

test("earlier cells' variables work in shorthand properties; type errors keep the cell's columns", { timeout: 60_000 }, async () => {
  assert.equal((await executeCell(kc, "const q = 1;\nlet r = 2;\nfunction f() { return 3; }")).status, "ok");
  assert.equal(text(await executeCell(kc, "({ q })")), "{ q: 1 }");
  assert.equal(text(await executeCell(kc, "const o = { q, r, n: f() };\no")), "{ q: 1, r: 2, n: 3 }");
  const bad = await executeCell(kc, "const p = { q, n: nope };");
  assert.equal(bad.status, "error");
  // `nope` starts at column 19 of what the user wrote (22 after expansion).
  assert.match(text(bad), /1:19 - Cannot find name 'nope'/);
});
