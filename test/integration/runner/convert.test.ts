/**
 * `reglab convert`: text twins in jupytext's percent format. Every shipped
 * notebook round-trips ipynb → ts → ipynb byte for byte (outputs from the
 * paired notebook) and ts → ipynb → ts; an edited cell comes back without
 * its stale outputs; jupytext's own YAML header is read.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cliBuilt, reglab, ROOT } from "../../support/notebooks";
import { notebookToPercent, percentToNotebook } from "../../../kernel/runner/convert";
import { parseNotebook, serializeNotebook } from "../../../kernel/runner/notebook";

const skip = cliBuilt() ? false : "the reglab CLI is not built (npm run build)";
const shipped = fs
  .readdirSync(path.join(ROOT, "notebooks"))
  .filter((f) => f.endsWith(".ipynb") && !f.endsWith(".out.ipynb"))
  .sort();

describe("reglab convert", { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-convert-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of shipped) {
    it(`${name}: ipynb → ts → ipynb and ts → ipynb → ts are byte-stable`, () => {
      const original = fs.readFileSync(path.join(ROOT, "notebooks", name));
      const nb = path.join(dir, name);
      const ts = nb.replace(/\.ipynb$/, ".ts");
      fs.writeFileSync(nb, original);
      assert.equal(reglab(["convert", nb, "--to", "ts"]).status, 0);
      const twin = fs.readFileSync(ts, "utf8");
      assert.match(twin, /^\/\/ ---\n\/\/ jupyter:\n/);
      assert.match(twin, /^\/\/ %% \[markdown\]/m);
      const back = reglab(["convert", ts, "--to", "ipynb"]);
      assert.equal(back.status, 0, back.stderr);
      assert.match(back.stdout, /outputs kept for \d+ cells from the paired/);
      assert.ok(fs.readFileSync(nb).equals(original), `${name} changed on the round trip`);
      fs.rmSync(nb);
      assert.equal(reglab(["convert", ts, "--to", "ipynb"]).status, 0, "without a paired notebook");
      fs.rmSync(ts);
      assert.equal(reglab(["convert", nb, "--to", "ts"]).status, 0);
      assert.equal(fs.readFileSync(ts, "utf8"), twin, "ts → ipynb → ts");
    });
  }

  it("an edited cell loses its outputs, unchanged ones keep theirs; tags and raw cells survive", () => {
    const nb = parseNotebook(
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "reglab" }, language_info: { name: "typescript" } },
        cells: [
          { cell_type: "markdown", id: "m", metadata: {}, source: "# T\n\ntext\n" },
          {
            cell_type: "code",
            id: "a",
            metadata: { tags: ["reglab-check-skip"] },
            source: "1 + 1",
            execution_count: 1,
            outputs: [{ output_type: "stream", name: "stdout", text: "2\n" }],
          },
          {
            cell_type: "code",
            id: "b",
            metadata: {},
            source: "2 + 2\n\n",
            execution_count: 2,
            outputs: [{ output_type: "stream", name: "stdout", text: "4\n" }],
          },
          { cell_type: "raw", id: "r", metadata: {}, source: "raw text" },
        ],
      }),
      "t.ipynb",
    ).notebook;
    const text = notebookToPercent(nb);
    assert.match(text, /^\/\/ %% tags=\["reglab-check-skip"\]\n1 \+ 1\n$/m);
    assert.match(text, /^\/\/ %% \[raw\]\n\/\/ raw text$/m);
    assert.doesNotMatch(text, /language_info/, "run metadata stays in the notebook");
    const edited = text.replace("2 + 2", "2 + 3");
    const back = percentToNotebook(edited, "t.ts", nb);
    assert.deepEqual(
      back.cells.map((c) => [c.id, c.source, (c.outputs ?? []).length]),
      [
        ["m", "# T\n\ntext\n", 0],
        ["a", "1 + 1", 1],
        [back.cells[2].id, "2 + 3\n\n", 0],
        ["r", "raw text", 0],
      ],
    );
    assert.notEqual(back.cells[2].id, "b");
    assert.deepEqual(back.cells[1].metadata, { tags: ["reglab-check-skip"] });
    assert.deepEqual(back.metadata.language_info, { name: "typescript" });
    assert.equal(serializeNotebook(percentToNotebook(text, "t.ts", nb)), serializeNotebook(nb));
  });

  it("reads a header as jupytext writes it (nested YAML), and refuses code that looks like a marker", () => {
    const jt = [
      "// ---",
      "// jupyter:",
      "//   jupytext:",
      "//     text_representation:",
      "//       extension: .ts",
      "//       format_name: percent",
      "//   kernelspec:",
      "//     display_name: TypeScript (reglab)",
      "//     language: typescript",
      "//     name: reglab",
      "// ---",
      "",
      "// %%",
      "const x = 1;",
      "",
    ].join("\n");
    const nb = percentToNotebook(jt, "j.ts");
    assert.deepEqual(nb.metadata, { kernelspec: { display_name: "TypeScript (reglab)", language: "typescript", name: "reglab" } });
    assert.deepEqual(
      nb.cells.map((c) => c.source),
      ["const x = 1;"],
    );
    nb.cells[0].source = "// %% not a cell";
    assert.throws(() => notebookToPercent(nb, "j.ipynb"), /cell 1, line 1 starts with "\/\/ %%"/);
  });

  it("usage: --to is required", () => {
    const r = reglab(["convert", "x.ipynb"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--to ts or --to ipynb/);
  });
});
