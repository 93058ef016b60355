/**
 * `reglab run` end to end with reglab's own kernel (the default launch,
 * kernelArgv()). Skipped when the kernel's CLI is not built.
 */
import fs from "fs";
import os from "os";
import path from "path";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runCommand } from "../../../kernel/runner/run";
import { CLI, FIXTURES } from "../../support/paths";

const FIX = path.join(FIXTURES, "runner");

const skip = fs.existsSync(CLI) ? false : `skipped: the reglab kernel is not built (${CLI} missing)`;

function workdir(...names: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-runtest-"));
  for (const n of names) fs.copyFileSync(path.join(FIX, n), path.join(dir, n));
  return dir;
}

interface Cell {
  source: string[];
  execution_count?: number | null;
  outputs?: Array<Record<string, unknown>>;
}
function load(file: string): { metadata: Record<string, unknown>; cells: Cell[] } {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}
const text = (v: unknown) => (Array.isArray(v) ? v.join("") : v);
function outs(c: Cell): string[] {
  return (c.outputs ?? []).map((o) => {
    if (o.output_type === "stream") return `${o.name}:${text(o.text)}`;
    if (o.output_type === "error") return `error:${o.ename}:${o.evalue}`;
    const data = o.data as Record<string, unknown>;
    return `${o.output_type}:${text(data["text/html"] ?? data["text/plain"])}`;
  });
}

describe("reglab run with the reglab kernel", { skip }, () => {
  it("runs TypeScript cells with --allow-errors and records the reglab kernelspec", async () => {
    const dir = workdir("ts-small.ipynb");
    const input = path.join(dir, "ts-small.ipynb");
    const code = await runCommand([input, "--quiet", "--allow-errors"]);
    assert.equal(code, 0);
    const nb = load(path.join(dir, "ts-small.out.ipynb"));
    assert.deepEqual(nb.cells.map(outs), [
      ["stdout:hello\n", "stderr:warn\n"],
      ["display_data:<b>bold</b>"],
      [],
      [`execute_result:${6 * 7}`],
      [`stdout:${fs.realpathSync(dir)}\n1\n`],
      ["error:Error:boom"],
      ["stdout:after\n"],
    ]);
    assert.equal(nb.cells[2].execution_count, null, "the empty cell is skipped");
    assert.deepEqual(nb.metadata.kernelspec, { name: "reglab", display_name: "TypeScript (reglab)", language: "typescript" });
    assert.equal((nb.metadata.language_info as { name: string }).name, "typescript");
    assert.deepEqual(nb.metadata.custom, { keep: true });
    fs.rmSync(dir, { recursive: true });
  });

  it("stops at the failing cell without --allow-errors", async () => {
    const dir = workdir("ts-small.ipynb");
    const input = path.join(dir, "ts-small.ipynb");
    const code = await runCommand([input, "--quiet", "--inplace"]);
    assert.equal(code, 1);
    const nb = load(input);
    assert.deepEqual(nb.cells.slice(5).map(outs), [["error:Error:boom"], []]);
    assert.ok(typeof nb.cells[4].execution_count === "number");
    assert.equal(nb.cells[6].execution_count, null);
    fs.rmSync(dir, { recursive: true });
  });

  it("interrupts a busy loop over --timeout and goes on with --allow-errors", async () => {
    const dir = workdir("ts-loop.ipynb");
    const input = path.join(dir, "ts-loop.ipynb");
    const code = await runCommand([input, "--quiet", "--allow-errors", "--timeout", "2"]);
    assert.equal(code, 0);
    const nb = load(path.join(dir, "ts-loop.out.ipynb"));
    assert.deepEqual(outs(nb.cells[0]), ["stdout:start\n"]);
    const loop = nb.cells[1].outputs ?? [];
    assert.equal(loop[loop.length - 1].ename, "CellTimeoutError");
    assert.match(String(loop[loop.length - 1].evalue), /interrupted$/, "the kernel survived the interrupt");
    assert.deepEqual(outs(nb.cells[2]), ["stdout:later\n"]);
    fs.rmSync(dir, { recursive: true });
  });
});
