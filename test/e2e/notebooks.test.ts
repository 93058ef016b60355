/**
 * Every shipped notebook, executed headless by the runner on the default
 * backend: no cell may fail (check cells throw when a claim stops holding),
 * and the committed copies must carry their outputs (what GitHub shows).
 *
 * REGLAB_SKIP_NOTEBOOKS=1 skips the execution (for quick local runs).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
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

test("every notebook executes headless without a failing cell", { skip: process.env.REGLAB_SKIP_NOTEBOOKS === "1" ? "REGLAB_SKIP_NOTEBOOKS=1" : false, timeout: 40 * 60_000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-nb-test-"));
  try {
    const r = spawnSync(process.execPath, [path.join(root, "bin", "reglab.js"), "run", dir, "--out", out], { encoding: "utf8" });
    // The runner's own summary (cells, failures, seconds per notebook) is the useful log.
    const summary = r.stdout.split("\n").filter((l) => /: (ok|FAILED|failed|error)|cells run/i.test(l));
    console.log(summary.join("\n"));
    assert.equal(r.status, 0, `reglab run failed (exit ${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
    for (const nb of notebooks) {
      const book = read(path.join(out, nb));
      const errors = book.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === "error");
      assert.equal(errors.length, 0, `${nb}: ${errors.map((e) => `${e.ename}: ${e.evalue}`).join("; ")}`);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
