/**
 * A kernel whose parent dies exits by itself (no orphans after `jupyter run`
 * or a killed runner).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import os from "os";
import path from "path";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import { kernelArgv } from "../../../kernel/kernelspec";
import { freePort } from "../../support/ports";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("the kernel exits when the process that started it is gone", { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-parent-"));
  const conn = path.join(dir, "kernel.json");
  const ports = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  fs.writeFileSync(
    conn,
    JSON.stringify({
      transport: "tcp", ip: "127.0.0.1", key: randomBytes(16).toString("hex"), signature_scheme: "hmac-sha256",
      shell_port: ports[0], iopub_port: ports[1], stdin_port: ports[2], control_port: ports[3], hb_port: ports[4],
    }),
  );
  const argv = kernelArgv().map((a) => (a === "{connection_file}" ? conn : a));
  // The kernel's named parent (as jupyter_client sets JPY_PARENT_PID) is a shell that lives 8 s.
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const pid = Number(
    execFileSync(
      "bash", ["-c", `(sleep 8) & parent=$!; JPY_PARENT_PID=$parent ${quoted} >/dev/null 2>&1 & echo $!`], { encoding: "utf8" }
    ).trim(),
  );
  assert.ok(pid > 0);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(alive(pid), true, "the kernel must be running while its parent lives");
    const deadline = Date.now() + 30_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.equal(alive(pid), false, "the orphaned kernel is still running after 30 s");
  } finally {
    if (alive(pid)) process.kill(pid, "SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
