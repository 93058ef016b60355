/**
 * `reglab run` end to end with Debian's IPython kernel (--kernel-argv), so
 * the runner is tested independently of reglab's own kernel. Skipped when
 * /usr/bin/python3 lacks ipykernel.
 */
import { execFileSync, spawn } from "child_process";
import fs from "fs";
import os from "os";
import path from "path";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runCommand } from "../../../kernel/runner/run";
import { FIXTURES, REPO_ROOT } from "../../support/paths";

const FIX = path.join(FIXTURES, "runner");
const ROOT = REPO_ROOT;
const IPY = JSON.stringify(["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"]);

function skipReason(): string | false {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import ipykernel"], { stdio: "ignore" });
    return false;
  } catch {
    return "skipped: /usr/bin/python3 cannot import ipykernel (apt-get install python3-ipykernel)";
  }
}
const skip = skipReason();

/** Copy fixtures into a fresh temp dir. */
function workdir(...names: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-runtest-"));
  for (const n of names) fs.copyFileSync(path.join(FIX, n), path.join(dir, n));
  return dir;
}

interface Cell {
  cell_type: string;
  source: string[];
  execution_count?: number | null;
  outputs?: Array<Record<string, unknown>>;
}
function load(file: string): { metadata: Record<string, unknown>; cells: Cell[]; nbformat_minor: number } {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}
const text = (v: unknown) => (Array.isArray(v) ? v.join("") : v);
/** A readable summary of a code cell's outputs. */
function outs(c: Cell): string[] {
  return (c.outputs ?? []).map((o) => {
    if (o.output_type === "stream") return `${o.name}:${text(o.text)}`;
    if (o.output_type === "error") return `error:${o.ename}`;
    const data = o.data as Record<string, unknown>;
    return `${o.output_type}:${text(data["text/html"] ?? data["text/plain"])}`;
  });
}

describe("reglab run with ipykernel", { skip }, () => {
  it("runs a notebook and stores stream, display_data and execute_result", async () => {
    const dir = workdir("py-small.ipynb");
    const input = path.join(dir, "py-small.ipynb");
    const original = fs.readFileSync(input, "utf8");
    const code = await runCommand([input, "--kernel-argv", IPY, "--quiet"]);
    assert.equal(code, 0);
    assert.equal(fs.readFileSync(input, "utf8"), original, "input untouched without --inplace");
    const nb = load(path.join(dir, "py-small.out.ipynb"));
    assert.equal(nb.nbformat_minor, 5);
    const code_ = nb.cells.filter((c) => c.cell_type === "code");
    assert.deepEqual(outs(code_[0]), ["stdout:hello\n", "stderr:warn\n"]);
    assert.deepEqual(outs(code_[1]), [], "empty cell not executed");
    assert.equal(code_[1].execution_count, null);
    assert.deepEqual(outs(code_[2]), ["display_data:<b>bold</b>"]);
    assert.deepEqual(code_[2].outputs?.[0].metadata, { note: "m" });
    assert.deepEqual(outs(code_[3]), [`execute_result:${6 * 7}`]);
    // execution counts: increasing, and the execute_result carries its cell's count
    const counts = [code_[0], code_[2], code_[3]].map((c) => c.execution_count as number);
    assert.ok(counts[0] < counts[1] && counts[1] < counts[2]);
    assert.equal(code_[3].outputs?.[0].execution_count, counts[2]);
    // other metadata kept; a custom kernel keeps the notebook's kernelspec; language_info from kernel_info
    assert.deepEqual(nb.metadata.custom, { keep: true });
    assert.deepEqual(nb.metadata.kernelspec, { name: "python3", display_name: "Python 3", language: "python" });
    assert.equal((nb.metadata.language_info as { name: string }).name, "python");
    assert.equal(nb.cells[0].cell_type, "markdown");
    assert.deepEqual(nb.cells[0].source, ["# Title\n", "text é ✓"]);
    fs.rmSync(dir, { recursive: true });
  });

  it("stops at a failing cell, exits non-zero and writes the partial notebook", async () => {
    const dir = workdir("py-error.ipynb");
    const code = await runCommand([dir, "--kernel-argv", IPY, "--quiet", "--out", path.join(dir, "out")]);
    assert.equal(code, 1);
    const nb = load(path.join(dir, "out", "py-error.ipynb"));
    assert.deepEqual(nb.cells.map(outs), [["stdout:before\n"], ["error:ValueError"], []]);
    assert.equal(nb.cells[2].execution_count, null, "the cell after the failure is cleared, not stale");
    fs.rmSync(dir, { recursive: true });
  });

  it("continues past a failing cell with --allow-errors", async () => {
    const dir = workdir("py-error.ipynb");
    const input = path.join(dir, "py-error.ipynb");
    const code = await runCommand([input, "--kernel-argv", IPY, "--quiet", "--allow-errors", "--inplace"]);
    assert.equal(code, 0);
    const nb = load(input);
    assert.deepEqual(nb.cells.map(outs), [["stdout:before\n"], ["error:ValueError"], ["stdout:after\n"]]);
    fs.rmSync(dir, { recursive: true });
  });

  it("interrupts a cell over --timeout; with --allow-errors the kernel goes on", async () => {
    const dir = workdir("py-loop.ipynb");
    const input = path.join(dir, "py-loop.ipynb");
    const code = await runCommand([input, "--kernel-argv", IPY, "--quiet", "--allow-errors", "--timeout", "1"]);
    assert.equal(code, 0);
    const nb = load(path.join(dir, "py-loop.out.ipynb"));
    assert.deepEqual(nb.cells.map(outs), [["stdout:start\n"], ["error:KeyboardInterrupt", "error:CellTimeoutError"], ["stdout:later\n"]]);
    fs.rmSync(dir, { recursive: true });
  });

  it("a timeout without --allow-errors stops the notebook", async () => {
    const dir = workdir("py-loop.ipynb");
    const input = path.join(dir, "py-loop.ipynb");
    const code = await runCommand([input, "--kernel-argv", IPY, "--quiet", "--timeout", "0.5"]);
    assert.equal(code, 1);
    const nb = load(path.join(dir, "py-loop.out.ipynb"));
    assert.deepEqual(nb.cells.map(outs), [["stdout:start\n"], ["error:KeyboardInterrupt", "error:CellTimeoutError"], []]);
    fs.rmSync(dir, { recursive: true });
  });

  it("reports a kernel that dies mid-cell and writes the partial notebook", async () => {
    const dir = workdir("py-die.ipynb");
    const input = path.join(dir, "py-die.ipynb");
    const code = await runCommand([input, "--kernel-argv", IPY, "--quiet", "--allow-errors"]);
    assert.equal(code, 1, "a dead kernel stops the notebook even with --allow-errors");
    const nb = load(path.join(dir, "py-die.out.ipynb"));
    assert.deepEqual(nb.cells.map(outs), [["stdout:start\n"], ["error:KernelDied"], []]);
    assert.match(String(nb.cells[1].outputs?.[0].evalue), /signal SIGKILL/);
    fs.rmSync(dir, { recursive: true });
  });

  it("reports a kernel that does not start and writes nothing", async () => {
    const dir = workdir("py-small.ipynb");
    const argv = JSON.stringify(["/usr/bin/python3", "-c", "import sys; sys.exit('no kernel {connection_file}')"]);
    const code = await runCommand([dir, "--kernel-argv", argv, "--quiet"]);
    assert.equal(code, 1);
    assert.deepEqual(fs.readdirSync(dir), ["py-small.ipynb"]);
    fs.rmSync(dir, { recursive: true });
  });

  it("refuses to run anything when one notebook is malformed, leaving files untouched", async () => {
    const dir = workdir("py-small.ipynb", "bad-json.ipynb", "not-notebook.ipynb");
    const before = new Map(fs.readdirSync(dir).map((n) => [n, fs.readFileSync(path.join(dir, n))]));
    const code = await runCommand([dir, "--kernel-argv", IPY, "--quiet", "--inplace"]);
    assert.equal(code, 2);
    assert.deepEqual(fs.readdirSync(dir).sort(), [...before.keys()].sort());
    for (const [n, bytes] of before) assert.ok(fs.readFileSync(path.join(dir, n)).equals(bytes), `${n} changed`);
    fs.rmSync(dir, { recursive: true });
  });

  it("rejects bad arguments with exit 2", async () => {
    assert.equal(await runCommand([]), 2);
    assert.equal(await runCommand(["x.ipynb", "--inplace", "--out", "d"]), 2);
    assert.equal(await runCommand(["x.ipynb", "--timeout", "soon"]), 2);
    assert.equal(await runCommand(["x.ipynb", "--kernel-argv", '["python3"]']), 2);
  });

  it("on SIGINT interrupts the running cell, writes what ran and exits 130", async () => {
    const dir = workdir("py-loop.ipynb");
    const input = path.join(dir, "py-loop.ipynb");
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "reglab.js"), "run", input, "--kernel-argv", IPY, "--timeout", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let sent = false;
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      // Cell 1's line is printed when cell 2 (the infinite loop) is about to start.
      if (out.includes("[1/3] ok") && !sent) {
        sent = true;
        setTimeout(() => child.kill("SIGINT"), 300);
      }
    });
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    assert.equal(code, 130, out);
    const nb = load(path.join(dir, "py-loop.out.ipynb"));
    assert.deepEqual(nb.cells.map(outs), [["stdout:start\n"], ["error:KeyboardInterrupt"], []]);
    fs.rmSync(dir, { recursive: true });
  });
});
