/**
 * Every shipped notebook, executed headless on the default backend by
 * `reglab check notebooks/`: each committed output must still follow from
 * the code (sanitized comparison, see kernel/runner/check.ts), so a failing
 * check cell (it throws when a claim stops holding) or a stale output fails
 * here. The committed copies must carry their outputs (what GitHub shows).
 *
 * REGLAB_SKIP_NOTEBOOKS=1 skips the execution (for quick local runs).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "../support/paths";

const root = REPO_ROOT;
const dir = path.join(root, "notebooks");
const notebooks = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !f.endsWith(".out.ipynb")).sort();

interface Cell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Array<{ output_type: string; ename?: string; evalue?: string; data?: Record<string, unknown> }>;
}

const read = (file: string): { cells: Cell[]; metadata: { kernelspec?: { name?: string } } } => JSON.parse(fs.readFileSync(file, "utf8"));
const text = (s: string | string[]): string => (Array.isArray(s) ? s.join("") : s);

for (const nb of notebooks) {
  test(`committed ${nb} is a reglab notebook stored with its outputs`, () => {
    const book = read(path.join(dir, nb));
    assert.equal(book.metadata.kernelspec?.name, "reglab");
    const code = book.cells.filter((c) => c.cell_type === "code" && text(c.source).trim() !== "");
    assert.ok(code.length > 0, "no code cells");
    const unexecuted = code.filter((c) => c.execution_count == null).length;
    assert.equal(unexecuted, 0, `${unexecuted} code cell(s) have no execution count: run \`npm start\` and commit the result`);
    const errors = code.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === "error");
    assert.deepEqual(errors.map((e) => `${e.ename}: ${e.evalue}`), [], "committed outputs contain errors");
  });
}

test("reglab check notebooks/: every committed output follows from its code", {
  skip: process.env.REGLAB_SKIP_NOTEBOOKS === "1" ? "REGLAB_SKIP_NOTEBOOKS=1" : false, timeout: 40 * 60_000
}, () => {
  const r = spawnSync(process.execPath, [path.join(root, "bin", "reglab.js"), "check", dir, "--quiet"], {
    encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }
  });
  // check's own report (per notebook: match or the diff of each differing cell) is the useful log.
  console.log(r.stdout.slice(-8000));
  assert.equal(r.status, 0, `reglab check notebooks/ failed (exit ${r.status}):\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-3000)}`);
  for (const nb of notebooks) assert.match(
    r.stdout, new RegExp(`${nb.replace(/[.]/g, "\\.")}: ok — \\d+ cells match`), `${nb} not reported as matching`
  );
});
