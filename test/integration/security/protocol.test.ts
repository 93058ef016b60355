/**
 * The kernel's wire security: forged, tampered, truncated and replayed
 * messages are logged and never executed (nor a forged shutdown obeyed),
 * and every socket listens only on the connection file's address.
 * (kernel-protocol.test.ts covers a single flipped signature character.)
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import path from "path";
import { KernelClient } from "../../../kernel/protocol/client";
import { executeCell } from "../../../kernel/runner/execute-cell";
import { frameAs } from "../../support/wire-frames";
import { useTestKernel } from "../../support/kernel-fixture";
import { Signer, encode, newHeader } from "../../../kernel/protocol/wire";

let kc: KernelClient;
let dir: string;

useTestKernel("reglab-security-", (k) => ({ kc, dir } = k));

function executeContent(code: string): Record<string, unknown> {
  return { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false };
}
/** Code that leaves a file behind if it ever runs. */
function touch(name: string): string {
  return `require("fs").appendFileSync(${JSON.stringify(path.join(dir, name))}, "ran\\n")`;
}
function delimiter(frames: Buffer[]): number {
  const at = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
  assert.ok(at >= 0);
  return at;
}
function rejections(): number {
  return (kc.kernelStderr.match(/rejected a message on (shell|control)/g) ?? []).length;
}
async function healthy(marker: string): Promise<void> {
  const r = await executeCell(kc, `console.log(${JSON.stringify(marker)})`, { timeoutMs: 30_000 });
  assert.equal(r.status, "ok");
  assert.equal(r.outputs.map((o) => (o.output_type === "stream" ? o.text : "")).join(""), marker + "\n");
}

describe("message authentication", { timeout: 60_000 }, () => {
  test("wrong key, truncated or empty signature, tampered content, missing frames: none executes", async () => {
    const before = rejections();
    const attacks: Array<[string, Buffer[]]> = [];

    // Signed with another key (an attacker who can reach the port but has not read the connection file).
    const other = new Signer("not-the-kernel-key", "hmac-sha256");
    attacks.push(["wrong key", encode(
      other,
      { header: newHeader("execute_request", "attacker"), parent_header: {}, metadata: {}, content: executeContent(touch("wrong-key")) }
    )]);

    const truncated = frameAs(kc, "execute_request", executeContent(touch("truncated"))).frames;
    truncated[delimiter(truncated) + 1] = truncated[delimiter(truncated) + 1].subarray(0, 32);
    attacks.push(["truncated signature", truncated]);

    const empty = frameAs(kc, "execute_request", executeContent(touch("empty-sig"))).frames;
    empty[delimiter(empty) + 1] = Buffer.alloc(0);
    attacks.push(["empty signature", empty]);

    // A valid message whose content frame is swapped for other code (signature kept).
    const tampered = frameAs(kc, "execute_request", executeContent("1 + 1")).frames;
    tampered[delimiter(tampered) + 5] = Buffer.from(JSON.stringify(executeContent(touch("tampered"))));
    attacks.push(["modified content frame", tampered]);

    const headerSwap = frameAs(kc, "execute_request", executeContent(touch("header-swap"))).frames;
    headerSwap[delimiter(headerSwap) + 2] = Buffer.from(JSON.stringify(newHeader("execute_request", kc.session)));
    attacks.push(["modified header frame", headerSwap]);

    const noSig = frameAs(kc, "execute_request", executeContent(touch("no-sig-frame"))).frames;
    noSig.splice(delimiter(noSig) + 1, 1);
    attacks.push(["signature frame missing", noSig]);

    const noContent = frameAs(kc, "execute_request", executeContent(touch("no-content"))).frames;
    noContent.splice(delimiter(noContent) + 5, 1);
    attacks.push(["content frame missing", noContent]);

    const noDelim = frameAs(kc, "execute_request", executeContent(touch("no-delim"))).frames;
    noDelim.splice(delimiter(noDelim), 1);
    attacks.push(["delimiter missing", noDelim]);

    attacks.push(["one empty frame", [Buffer.alloc(0)]]);

    for (const [, frames] of attacks) await kc.sendRaw("shell", frames);
    // The shell queue is serial: a request sent after the attacks is handled after them.
    await healthy("after the attacks");
    assert.deepEqual(fs.readdirSync(dir), [], "no attack ran code");
    // The bare empty frame is dropped by ZeroMQ's ROUTER (no identity) or rejected; the others are logged.
    assert.ok(rejections() - before >= attacks.length - 1, `rejections logged: ${rejections() - before}\n${kc.kernelStderr.slice(-2000)}`);
    assert.match(kc.kernelStderr, /invalid HMAC signature/);
    assert.match(kc.kernelStderr, /no <IDS\|MSG> delimiter|frames after the delimiter/);
  });

  test("an exact replay of a valid message is rejected", async () => {
    const { frames } = frameAs(kc, "execute_request", executeContent(touch("replayed.txt")));
    await kc.sendRaw("shell", frames);
    await healthy("after the original");
    assert.equal(fs.readFileSync(path.join(dir, "replayed.txt"), "utf8"), "ran\n", "the original runs");
    await kc.sendRaw("shell", frames.map((f) => Buffer.from(f)));
    await healthy("after the replay");
    assert.equal(fs.readFileSync(path.join(dir, "replayed.txt"), "utf8"), "ran\n", "the replay does not run");
    assert.match(kc.kernelStderr, /duplicate signature \(a replayed message\)/);
    fs.rmSync(path.join(dir, "replayed.txt"));
  });

  test("a forged shutdown_request on control is ignored", async () => {
    const other = new Signer("guessed-key", "hmac-sha256");
    const forged = encode(other, {
      header: newHeader("shutdown_request", "attacker"), parent_header: {}, metadata: {}, content: { restart: false }
    });
    await kc.sendRaw("control", forged);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(kc.isAlive(), "the kernel is still running");
    await healthy("after the forged shutdown");
    assert.match(kc.kernelStderr, /rejected a message on control/);
  });
});

/** Listening TCP sockets of `pid`, from /proc (inode → local address). */
function listeningSockets(pid: number): Array<{ address: string; port: number }> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const out: Array<{ address: string; port: number }> = [];
  for (const [file, v6] of [["/proc/net/tcp", false], ["/proc/net/tcp6", true]] as const) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9])) continue; // 0A = LISTEN
      const [hex, portHex] = f[1].split(":");
      const address = v6 ? `[${hex}]` : hex.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join(".");
      out.push({ address, port: parseInt(portHex, 16) });
    }
  }
  return out;
}

describe("network exposure", { timeout: 30_000 }, () => {
  test("every listening socket of the kernel is on the connection file's address (127.0.0.1) and ports", {
    skip: fs.existsSync("/proc/net/tcp") ? false : "no /proc/net/tcp"
  }, () => {
    const pid = kc.pid;
    assert.ok(pid);
    const socks = listeningSockets(pid);
    const c = kc.connection;
    assert.equal(c.ip, "127.0.0.1");
    const expected = [c.shell_port, c.iopub_port, c.stdin_port, c.control_port, c.hb_port].sort((a, b) => a - b);
    assert.deepEqual(socks.map((s) => s.port).sort((a, b) => a - b), expected, JSON.stringify(socks));
    for (const s of socks) assert.equal(s.address, "127.0.0.1", `port ${s.port} listens on ${s.address}`);
  });
});
