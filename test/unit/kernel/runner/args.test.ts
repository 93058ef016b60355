/** The runner commands' options (kernel/runner/args.ts) over the shared scanner (kernel/options.ts). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseRunArgs } from "../../../../kernel/runner/args";
import { UsageError } from "../../../../kernel/options";

function usageError(argv: string[], command: "run" | "check" = "run"): string {
  try {
    parseRunArgs(argv, command);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    return e.message;
  }
  assert.fail(`no usage error for ${argv.join(" ")}`);
}

describe("reglab run / check options", () => {
  it("takes values after the option or after =, in any order with the notebooks", () => {
    const o = parseRunArgs(["a.ipynb", "--timeout=5", "--out", "d", "-q", "b.ipynb", "--seed", "3"]);
    assert.deepEqual(o.inputs, ["a.ipynb", "b.ipynb"]);
    assert.equal(o.timeoutS, 5);
    assert.equal(o.out, "d");
    assert.equal(o.quiet, true);
    assert.deepEqual(o.env, { REGLAB_SEED_VARIANT: "3" });
    assert.deepEqual(parseRunArgs(["--seeds", "1, 2", "x"], "check").seeds, [1, 2]);
  });

  it("keeps its old edge cases: a lone - is a notebook, a flag ignores =value", () => {
    assert.deepEqual(parseRunArgs(["-"]).inputs, ["-"]);
    assert.equal(parseRunArgs(["--quiet=1", "x"]).quiet, true);
    assert.equal(parseRunArgs(["--help=1"]).help, true);
    assert.deepEqual(parseRunArgs(["toString"]).inputs, ["toString"]);
  });

  it("names the command an option belongs to, before taking its value", () => {
    assert.equal(usageError(["--out"], "check"), "--out is an option of reglab run, not of reglab check");
    assert.equal(usageError(["--seeds=1", "x"]), "--seeds is an option of reglab check, not of reglab run");
  });

  it("reports the first bad word, with the messages the integration tests expect", () => {
    assert.equal(usageError(["--timeout", "x", "--bogus"]), '--timeout needs a number of seconds >= 0, got "x"');
    assert.equal(usageError(["--bogus=1", "--timeout", "x"]), "unknown option --bogus");
    assert.equal(usageError(["x", "--timeout"]), "--timeout needs a value");
    assert.equal(usageError(["--"]), "unknown option --");
    assert.equal(usageError(["--max-stream-lines=-1", "x"]), '--max-stream-lines needs a whole number >= 0, got "-1"');
    assert.equal(usageError(["--seeds", "1,1", "x"], "check"), "--seeds lists a seed twice: 1,1");
    assert.equal(
      usageError(["--kernel-argv", '["a"]', "x"]),
      "--kernel-argv must contain {connection_file} where the connection file's path goes",
    );
    assert.equal(usageError(["--out", "d", "--inplace", "x"]), "use either --out DIR or --inplace, not both");
    const both = "--update and --seeds do not go together (seeds mode compares no outputs)";
    assert.equal(usageError(["--update", "--seeds", "1", "x"], "check"), both);
    assert.equal(usageError([]), "no notebooks given");
  });
});
