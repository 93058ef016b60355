/**
 * The `reglab` command line and the kernelspec: help, usage errors, and an
 * install into a temporary prefix whose argv really starts a kernel.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import fs from "fs";
import os from "os";
import path from "path";
import { KernelClient } from "../../../kernel/protocol/client";
import { executeCell } from "../../../kernel/runner/execute-cell";
import { REPO_ROOT } from "../../support/paths";

const root = REPO_ROOT;
const bin = path.join(root, "bin", "reglab.js");

function reglab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("--help lists every command; help <cmd> shows its usage", () => {
  const r = reglab("--help");
  assert.equal(r.status, 0);
  for (const cmd of ["install", "uninstall", "kernelspec", "kernel", "run"]) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
  const h = reglab("help", "install");
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--prefix DIR/);
});

test("unknown command or option: message, usage, exit code 2", () => {
  const r = reglab("frobnicate");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command: frobnicate/);
  assert.match(r.stderr, /Usage: reglab/);
  const o = reglab("install", "--bogus");
  assert.equal(o.status, 2);
  assert.match(o.stderr, /unknown option --bogus/);
  const n = reglab("install", "--prefix", os.tmpdir(), "--name", "Bad Name");
  assert.equal(n.status, 1);
  assert.match(n.stderr, /invalid kernel name/);
  // Names of Object.prototype's members are not commands either.
  const t = reglab("help", "toString");
  assert.equal(t.status, 2);
  assert.match(t.stderr, /no such command: toString/);
});

test("--version prints package.json's version", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
  const r = reglab("--version");
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test("install into a prefix, start a kernel from the installed argv, uninstall", async () => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-prefix-"));
  try {
    const r = reglab("install", "--prefix", prefix, "--name", "reglab-test", "--display-name", "Test TS");
    assert.equal(r.status, 0, r.stderr);
    const file = path.join(prefix, "share", "jupyter", "kernels", "reglab-test", "kernel.json");
    const spec = JSON.parse(fs.readFileSync(file, "utf8")) as {
      argv: string[];
      display_name: string;
      language: string;
      interrupt_mode: string;
    };
    assert.equal(spec.display_name, "Test TS");
    assert.equal(spec.language, "typescript");
    assert.equal(spec.interrupt_mode, "signal");
    assert.ok(spec.argv.includes("{connection_file}"));
    assert.equal(path.resolve(spec.argv[1]), bin);

    const d = reglab("kernelspec", "--prefix", prefix, "--name", "reglab-test");
    assert.equal(d.status, 0);
    assert.match(d.stdout, /\(installed\)/);

    const kc = await KernelClient.start({ argv: spec.argv, cwd: prefix });
    try {
      const info = await kc.request("kernel_info_request", {});
      assert.equal(info.content.implementation, "reglab");
      const x = await executeCell(kc, "6 * 7");
      assert.equal(x.status, "ok");
      const out = x.outputs.find((o) => o.output_type === "execute_result");
      assert.ok(out && out.output_type === "execute_result");
      assert.equal(out.data["text/plain"], String(6 * 7));
      const exit = await kc.shutdown();
      assert.equal(exit.code, 0, "shutdown_request makes the kernel exit cleanly");
    } finally {
      kc.kill();
    }

    const u = reglab("uninstall", "--prefix", prefix, "--name", "reglab-test");
    assert.equal(u.status, 0, u.stderr);
    assert.equal(fs.existsSync(path.dirname(file)), false);
    const again = reglab("uninstall", "--prefix", prefix, "--name", "reglab-test");
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no kernelspec installed/);
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});
