/**
 * The Jupyter peer conformance suite (Debian's python3-jupyter-kernel-test)
 * on the installed reglab kernelspec and the default backend: every test of
 * the suite runs (samples in kernel-conformance/test_reglab_kernel.py) and
 * passes; none is skipped or expected to fail.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import fs from "fs";
import path from "path";
import { packageRoot } from "../../kernel/kernelspec";
import { PEER_PYTHON, installTestKernelspec, requirePeer } from "../support/kernel-fixture";

const SUITE = path.join(packageRoot(), "test", "integration", "kernel-conformance", "test_reglab_kernel.py");

describe("jupyter_kernel_test conformance", { timeout: 400_000 }, () => {
  test("every test of the peer suite passes on the default backend", () => {
    requirePeer("jupyter_kernel_test", "python3-jupyter-kernel-test");
    const spec = installTestKernelspec("reglab-conformance-");
    try {
      const r = spawnSync(PEER_PYTHON, [SUITE, "-v"], { cwd: spec.dir, env: spec.env, encoding: "utf8", timeout: 380_000 });
      const out = `${r.stdout}\n${r.stderr}`;
      const report = out.split("\n").filter((l) => !l.startsWith("reglab: ")).join("\n");
      assert.equal(r.status, 0, `the suite failed:\n${report.slice(-6000)}`);
      const ran = /Ran (\d+) tests?/.exec(report);
      assert.ok(ran, report.slice(-2000));
      // jupyter_kernel_test 0.4.5 has 12 tests; each one ran and passed.
      assert.ok(Number(ran[1]) >= 12, `only ${ran[1]} tests ran`);
      assert.match(report, /\nOK\s*$/m);
      assert.doesNotMatch(report, /skipped|expected failure|unexpected success/i, "no test skipped or marked");
      const passed = report.split("\n").filter((l) => /^test_\w+ .*\.\.\. ok$/.test(l)).length;
      assert.equal(passed, Number(ran[1]), report);
    } finally {
      fs.rmSync(spec.dir, { recursive: true, force: true });
    }
  });
});
