/**
 * Notebook reading (nbformat 4.0–4.5 fixtures, malformed input) and writing
 * (Jupyter's layout, checked against Python's nbformat when available; atomic).
 */
import { execFileSync } from "child_process";
import fs from "fs";
import os from "os";
import path from "path";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  NotebookError,
  parseNotebook,
  readNotebook,
  serializeNotebook,
  splitLines,
  writeFileAtomic,
  writeNotebook,
} from "../../../kernel/runner/notebook";
import { FIXTURES } from "../../support/paths";

// Compiled to dist/test/; fixtures stay in the source tree.
const FIX = path.join(FIXTURES, "runner");
const fixture = (name: string) => path.join(FIX, name);

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "reglab-nbtest-"));
}

function hasNbformat(): boolean {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import nbformat"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("readNotebook", () => {
  for (const minor of [0, 1, 2, 3, 4, 5]) {
    it(`reads nbformat 4.${minor}`, () => {
      const { notebook, warnings } = readNotebook(fixture(`v4.${minor}.ipynb`));
      assert.deepEqual(warnings, []);
      assert.equal(notebook.nbformat, 4);
      assert.equal(notebook.nbformat_minor, minor);
      assert.deepEqual(notebook.metadata, { custom: { keep: [1, 2] } });
      const [md, c1, c2] = notebook.cells;
      assert.equal(md.cell_type, "markdown");
      assert.equal(md.source, "# Title\ntext é ✓");
      // source as a string and as a list of lines
      assert.equal(c1.source, "x = 1\nx + 1");
      assert.equal(c2.source, "print('a')\nprint('b')");
      assert.equal(c1.execution_count, 3);
      assert.equal(c2.execution_count, null);
      assert.deepEqual(c1.outputs?.[0], { output_type: "stream", name: "stdout", text: "old\nlines\n" });
      const d = c1.outputs?.[1];
      assert.ok(d && d.output_type === "display_data");
      assert.equal(d.data["text/plain"], "a\nb");
      assert.equal(d.data["image/png"], "iVBORw0KGgo=\n");
      assert.deepEqual(d.metadata, { "image/png": { width: 2 } });
      if (minor === 5)
        assert.deepEqual(
          notebook.cells.map((c) => c.id),
          ["cell-0", "cell-1", "cell-2", "cell-3"],
        );
    });
  }

  it("warns about a minor version above 5 and reads it", () => {
    const { notebook, warnings } = readNotebook(fixture("v4.6.ipynb"));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /4\.6.*newer than 4\.5/);
    assert.equal(notebook.cells[0].source, "1");
  });

  const bad: Array<[string, RegExp]> = [
    ["missing.ipynb", /missing\.ipynb: no such file/],
    ["bad-json.ipynb", /not valid JSON: .*line 3, column \d+/],
    ["not-notebook.ipynb", /not a notebook: no "cells" or "nbformat" key/],
    ["v3.ipynb", /nbformat 3 is not supported.*nbconvert/],
    ["bad-source.ipynb", /cell 1: "source" must be a string or a list of strings/],
  ];
  for (const [name, re] of bad) {
    it(`rejects ${name} clearly`, () => {
      assert.throws(
        () => readNotebook(fixture(name)),
        (e: unknown) => e instanceof NotebookError && re.test(e.message),
      );
    });
  }

  it("rejects other non-notebooks", () => {
    const cases: Array<[string, RegExp]> = [
      ["", /empty/],
      ["[1, 2]", /not an object/],
      ['{"nbformat": 5, "nbformat_minor": 0, "cells": []}', /nbformat 5 is not supported/],
      ['{"nbformat": 4, "nbformat_minor": 4, "cells": {}}', /"cells" must be a list/],
      [
        '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "sql", "source": ""}]}',
        /cell 1: unknown cell_type "sql"/,
      ],
      [
        '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, ' +
          '"cells": [{"cell_type": "code", "source": "", "outputs": [{"output_type": "weird"}]}]}',
        /cell 1, output 1: unknown output_type "weird"/,
      ],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => parseNotebook(text, "x.ipynb"),
        (e: unknown) => e instanceof NotebookError && re.test(e.message),
        text,
      );
    }
  });
});

describe("writing notebooks", () => {
  it("splits lines like Python's splitlines(keepends=True)", () => {
    assert.deepEqual(splitLines(""), []);
    assert.deepEqual(splitLines("a"), ["a"]);
    assert.deepEqual(splitLines("a\n"), ["a\n"]);
    assert.deepEqual(splitLines("a\n\nb"), ["a\n", "\n", "b"]);
  });

  for (const minor of [0, 3, 5]) {
    it(`round-trips nbformat 4.${minor} as 4.5 with cell ids, keeping content`, () => {
      const src = fixture(`v4.${minor}.ipynb`);
      const before = readNotebook(src).notebook;
      const dir = tmpdir();
      const out = path.join(dir, "out.ipynb");
      writeNotebook(out, readNotebook(src).notebook);
      const text = fs.readFileSync(out, "utf8");
      assert.ok(text.endsWith("}\n"));
      assert.ok(text.startsWith('{\n "cells": [\n  {\n'), "1-space indentation, sorted keys");
      assert.ok(text.includes("é ✓"), "non-ASCII kept as is");
      const raw = JSON.parse(text);
      assert.equal(raw.nbformat_minor, 5);
      const ids = raw.cells.map((c: { id: string }) => c.id);
      assert.equal(new Set(ids).size, ids.length);
      for (const id of ids) assert.match(id, /^[a-zA-Z0-9_-]{1,64}$/);
      if (minor === 5) assert.deepEqual(ids, ["cell-0", "cell-1", "cell-2", "cell-3"]);
      assert.deepEqual(raw.cells[1].source, ["x = 1\n", "x + 1"]);
      assert.deepEqual(raw.cells[1].outputs[1].data["text/plain"], ["a\n", "b"]);
      assert.equal(raw.cells[1].outputs[1].data["image/png"], "iVBORw0KGgo=\n");
      assert.equal("outputs" in raw.cells[0], false, "markdown cells have no outputs");
      const again = readNotebook(out).notebook;
      assert.deepEqual(again.metadata, before.metadata);
      assert.deepEqual(
        again.cells.map((c) => [c.cell_type, c.source, c.outputs, c.metadata]),
        before.cells.map((c) => [c.cell_type, c.source, c.outputs, c.metadata]),
      );
      fs.rmSync(dir, { recursive: true });
    });
  }

  it(
    "writes exactly what Python's nbformat writes, and it validates",
    { skip: hasNbformat() ? false : "skipped: /usr/bin/python3 has no nbformat" },
    () => {
      const dir = tmpdir();
      for (const minor of [0, 2, 4, 5]) {
        const out = path.join(dir, `v4.${minor}.ipynb`);
        writeNotebook(out, readNotebook(fixture(`v4.${minor}.ipynb`)).notebook);
        const py =
          "import nbformat, sys\nt = open(sys.argv[1], encoding='utf-8').read()\n" +
          "nb = nbformat.reads(t, 4)\nnbformat.validate(nb)\nsys.stdout.write(nbformat.writes(nb) + '\\n')";
        const pyText = execFileSync("/usr/bin/python3", ["-c", py, out], { encoding: "utf8" });
        assert.equal(fs.readFileSync(out, "utf8"), pyText);
      }
      fs.rmSync(dir, { recursive: true });
    },
  );

  it("replaces duplicate and invalid cell ids", () => {
    const { notebook } = parseNotebook(
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          { cell_type: "code", id: "same", source: "", metadata: {}, outputs: [] },
          { cell_type: "code", id: "same", source: "", metadata: {}, outputs: [] },
          { cell_type: "markdown", id: "has space", source: "", metadata: {} },
        ],
      }),
      "x.ipynb",
    );
    const raw = JSON.parse(serializeNotebook(notebook));
    const ids: string[] = raw.cells.map((c: { id: string }) => c.id);
    assert.equal(ids[0], "same");
    assert.equal(new Set(ids).size, 3);
    assert.match(ids[2], /^[a-zA-Z0-9_-]+$/);
  });

  it("replaces a file atomically (new inode, mode kept, no temp file left)", () => {
    const dir = tmpdir();
    const f = path.join(dir, "n.ipynb");
    fs.writeFileSync(f, "old");
    fs.chmodSync(f, 0o640);
    const inode = fs.statSync(f).ino;
    writeFileAtomic(f, "new");
    assert.equal(fs.readFileSync(f, "utf8"), "new");
    assert.notEqual(fs.statSync(f).ino, inode, "written by rename, not in place");
    assert.equal(fs.statSync(f).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(dir), ["n.ipynb"]);
    fs.rmSync(dir, { recursive: true });
  });

  it("leaves the target and no temp file behind when the rename fails", () => {
    const dir = tmpdir();
    // A non-empty directory where the notebook should go: rename must fail.
    const target = path.join(dir, "n.ipynb");
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "keep"), "x");
    assert.throws(() => writeFileAtomic(target, "new"));
    assert.deepEqual(fs.readdirSync(dir), ["n.ipynb"]);
    assert.equal(fs.readFileSync(path.join(target, "keep"), "utf8"), "x");
    fs.rmSync(dir, { recursive: true });
  });
});
