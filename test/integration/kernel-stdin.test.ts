/**
 * stdin through a real client (Debian's jupyter_client) on the installed
 * kernelspec and the default backend: prompt() and input() round-trip via
 * input_request/input_reply, an empty answer gives prompt's default,
 * allow_stdin: false is a StdinNotAllowedError, and an interrupt ends a wait
 * for input (sync prompt and awaited input) with the kernel running on.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import fs from "fs";
import path from "path";
import { packageRoot } from "../../kernel/kernelspec";
import { PEER_PYTHON, installTestKernelspec, requirePeer } from "../support/kernel-fixture";

const SESSION = path.join(packageRoot(), "test", "integration", "kernel-stdin", "stdin_session.py");

interface Run {
  status: string;
  prompts: Array<{ prompt: string; password: boolean }>;
  outputs: Array<[string, ...string[]]>;
}

describe("stdin over jupyter_client", { timeout: 300_000 }, () => {
  test("prompt and input round-trip; refused without allow_stdin; interrupt ends the wait", () => {
    requirePeer("jupyter_client", "jupyter-client");
    const spec = installTestKernelspec("reglab-stdin-");
    try {
      const r = spawnSync(PEER_PYTHON, [SESSION, spec.name], { cwd: spec.dir, env: spec.env, encoding: "utf8", timeout: 280_000 });
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      const res = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Record<string, Run>;
      const result = (k: string) => res[k].outputs.find((o) => o[0] === "result")?.[1];
      const error = (k: string) => res[k].outputs.find((o) => o[0] === "error");
      assert.deepEqual(res.prompt.prompts, [{ prompt: "name? ", password: false }]);
      assert.equal(result("prompt"), "'Ada'");
      assert.equal(result("prompt_default"), "'dflt'");
      assert.deepEqual(res.input.prompts, [{ prompt: "colour? ", password: false }]);
      assert.equal(result("input"), "'green'");
      assert.equal(res.not_allowed.status, "error");
      assert.deepEqual(res.not_allowed.prompts, [], "no input_request when stdin is not allowed");
      assert.equal(error("not_allowed")?.[1], "StdinNotAllowedError");
      for (const k of ["interrupt_prompt", "interrupt_input"]) {
        assert.equal(res[k].status, "error", k);
        assert.equal(error(k)?.[1], "Interrupted", k);
      }
      assert.equal(result("after_prompt"), "2");
      assert.equal(result("after_input"), "'still here'");
    } finally {
      fs.rmSync(spec.dir, { recursive: true, force: true });
    }
  });
});
