/**
 * `reglab check` end to end with the reglab kernel: a notebook run once
 * (`reglab run --inplace`) matches itself on a second run despite timings,
 * dates, a notebook sanitizer and a skipped cell that all vary; an edited
 * committed output is drift naming the cell with a diff (exit 1); --update
 * rewrites only that cell.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { cliBuilt, reglab, writeTempNotebook } from "../../support/notebooks";

const skip = cliBuilt() ? false : "the reglab CLI is not built (npm run build)";

describe("reglab check", { skip, timeout: 5 * 60_000 }, () => {
  const file = writeTempNotebook("reglab-check-", "drift.ipynb", [
    { type: "markdown", source: "# Drift" },
    { source: 'console.log(`took ${(performance.now() % 97).toFixed(1)} ms on ${new Date().toISOString()}`);\nconsole.log("same")' },
    { source: "console.log(Math.random())", tags: ["reglab-check-skip"] },
    { source: 'console.log("run id " + Math.floor(Math.random() * 1e9))' },
    { source: "6 * 7" },
  ], { reglab: { check: { sanitize: { "run id \\d+": "run id <id>" } } } });
  after(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

  it("passes on a freshly executed notebook, fails naming the edited cell, and --update rewrites only it", () => {
    const run = reglab(["run", file, "--inplace", "--quiet"]);
    assert.equal(run.status, 0, run.stdout + run.stderr);

    const ok = reglab(["check", file, "--quiet"]);
    assert.equal(ok.status, 0, `a second run must match:\n${ok.stdout}\n${ok.stderr}`);
    assert.match(ok.stdout, /drift\.ipynb: ok — 3 cells match, 1 skipped \(reglab-check-skip\)/);

    const nb = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.deepEqual(nb.cells[4].outputs[0].data["text/plain"], ["42"], "the fixture's last cell shows 42");
    nb.cells[4].outputs[0].data["text/plain"] = ["43"];
    const skippedBefore = JSON.stringify(nb.cells[2].outputs);
    fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");

    const bad = reglab(["check", file, "--quiet"]);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /drift\.ipynb: cell 5 \(id c5\) `6 \* 7` differs from its committed outputs:/);
    assert.match(bad.stdout, /^ {4}- {4}43$/m);
    assert.match(bad.stdout, /^ {4}\+ {4}42$/m);
    assert.match(bad.stdout, /DRIFT — 1 of 3 cells differ \(cell 5\)/);
    assert.doesNotMatch(bad.stdout, /cell [234] /, "only the edited cell is reported");

    const up = reglab(["check", file, "--update", "--quiet"]);
    assert.equal(up.status, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /updated — 1 of 3 cells rewritten \(5\)/);
    const fixed = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.deepEqual(fixed.cells[4].outputs[0].data["text/plain"], ["42"]);
    assert.equal(JSON.stringify(fixed.cells[2].outputs), skippedBefore, "cells that match (and skipped cells) are left as committed");
    assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ["drift.ipynb"], "no temp file left behind");
  });

  it("rejects an invalid notebook sanitizer before running anything (exit 2)", () => {
    const badFile = writeTempNotebook("reglab-check-", "bad.ipynb", [{ source: "1" }], { reglab: { check: { sanitize: { "(": "x" } } } });
    try {
      const r = reglab(["check", badFile]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /metadata reglab\.check\.sanitize: invalid regular expression "\(".*nothing was run/s);
    } finally {
      fs.rmSync(path.dirname(badFile), { recursive: true, force: true });
    }
  });
});
