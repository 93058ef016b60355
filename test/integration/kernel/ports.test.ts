/**
 * Start-up and the connection file's ports. A client (jupyter_client, our own)
 * picks free ports and releases them for the kernel to bind, so another
 * process can take one first: the kernel must then exit at once with a clear
 * message (not live on half-bound and silent, which leaves its user waiting on
 * a kernel that never answers), and our client launches it again on new ports.
 * The sockets are bound before the executor is built, and a request that
 * arrives meanwhile is answered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import { randomBytes, randomUUID } from "crypto";
import fs from "fs";
import net from "net";
import os from "os";
import path from "path";
import * as zmq from "zeromq";
import { KernelClient, KernelDiedError } from "../../../kernel/protocol/client";
import { freePorts } from "../../../kernel/protocol/kernel-process";
import { type ConnectionInfo, type Message, Signer, encode, newHeader, receiveMessages } from "../../../kernel/protocol/wire";
import { REPO_ROOT } from "../../support/paths";

const bin = path.join(REPO_ROOT, "bin", "reglab.js");
const PORTS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;
const SOCKET_NAME: Record<(typeof PORTS)[number], string> = {
  shell_port: "shell",
  iopub_port: "iopub",
  stdin_port: "stdin",
  control_port: "control",
  hb_port: "heartbeat",
};

async function connectionFile(dir: string): Promise<{ file: string; conn: ConnectionInfo }> {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5);
  const conn: ConnectionInfo = {
    transport: "tcp", ip: "127.0.0.1", shell_port, iopub_port, stdin_port, control_port, hb_port,
    key: randomBytes(16).toString("hex"), signature_scheme: "hmac-sha256", kernel_name: "",
  };
  const file = path.join(dir, "kernel.json");
  fs.writeFileSync(file, JSON.stringify(conn), { mode: 0o600 });
  return { file, conn };
}

function startKernelProcess(file: string) {
  const proc = spawn(process.execPath, [bin, "kernel", "--connection-file", file], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => proc.once("close", (code) => resolve({ code, stderr })));
  return { proc, exited };
}

/** Resolves with what `p` resolved with, or rejects after `ms` (the kernel would otherwise hang the test). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing in ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "reglab-ports-"));
}

test("a kernel whose port is taken exits with code 1, naming the socket and the address", async () => {
  for (const key of PORTS) {
    const dir = tmpDir();
    const holder = net.createServer();
    try {
      const { file, conn } = await connectionFile(dir);
      await new Promise<void>((resolve) => holder.listen(conn[key], "127.0.0.1", () => resolve()));
      const k = startKernelProcess(file);
      const r = await within(k.exited, 60_000, `kernel with its ${key} taken`).finally(() => k.proc.kill("SIGKILL"));
      assert.equal(r.code, 1, `${key}: exit code; stderr: ${r.stderr}`);
      const want = `cannot bind the ${SOCKET_NAME[key]} socket to tcp://127.0.0.1:${conn[key]}: Address already in use`;
      assert.ok(r.stderr.includes(want), `${key}: stderr says ${JSON.stringify(want)}; got ${JSON.stringify(r.stderr)}`);
    } finally {
      holder.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("requests sent once, while the kernel is still starting, are all answered", async () => {
  const dir = tmpDir();
  const { file, conn } = await connectionFile(dir);
  const signer = new Signer(conn.key ?? "", conn.signature_scheme);
  // Retrying the connection every 2 ms (not 100), the first request arrives as soon as the kernel binds.
  const shell = new zmq.Dealer({ linger: 0, reconnectInterval: 2 });
  const k = startKernelProcess(file);
  try {
    // From before the kernel has bound anything (ZeroMQ queues until it has) until after it has
    // built its executor: one kernel_info request every 10 ms, each sent once, then a cell.
    shell.connect(`tcp://127.0.0.1:${conn.shell_port}`);
    const session = randomUUID();
    const sent = new Set<string>();
    const send = async (type: string, content: Record<string, unknown>) => {
      const header = newHeader(type, session);
      sent.add(header.msg_id);
      await shell.send(encode(signer, { header, parent_header: {}, metadata: {}, content }));
      return header.msg_id;
    };
    const answered = new Map<string, Message>();
    let allSent = false;
    const done = receiveMessages(
      shell,
      signer,
      (m) => {
        answered.set((m.parent_header as { msg_id?: string }).msg_id ?? "", m);
        if (allSent && answered.size === sent.size) shell.close();
      },
      (e) => assert.fail(`a reply failed to verify: ${e.message}`),
    ).catch((e: unknown) => {
      if (answered.size < sent.size) throw e;
    });
    for (let t0 = Date.now(); Date.now() - t0 < 2000; ) {
      await send("kernel_info_request", {});
      await new Promise((r) => setTimeout(r, 10));
    }
    const code = { code: "6 * 7", silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true };
    const exec = await send("execute_request", code);
    allSent = true;
    await within(done, 60_000, `replies (${answered.size} of ${sent.size})`);
    assert.deepEqual([...sent].filter((id) => !answered.has(id)), [], "every request has its reply");
    assert.equal(answered.get(exec)?.content.status, "ok", JSON.stringify(answered.get(exec)?.content));
  } finally {
    if (!shell.closed) shell.close();
    k.proc.kill("SIGKILL");
    await k.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A stand-in kernel that, on its first `failures` launches, exits as a kernel whose port was
 * taken does (or with another error), then runs the real kernel. It counts its launches.
 */
function flakyKernel(dir: string, failures: number, message: string): { argv: string[]; launches: () => number } {
  const counter = path.join(dir, "launches");
  const script = path.join(dir, "flaky-kernel.js");
  fs.writeFileSync(
    script,
    [
      `const fs = require("fs");`,
      `const n = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, "utf8")) : 0) + 1;`,
      `fs.writeFileSync(${JSON.stringify(counter)}, String(n));`,
      `if (n <= ${failures}) { process.stderr.write(${JSON.stringify(message + "\n")}); process.exit(1); }`,
      `require(${JSON.stringify(bin)});`,
    ].join("\n"),
  );
  const argv = [process.execPath, script, "kernel", "--connection-file", "{connection_file}"];
  return { argv, launches: () => Number(fs.readFileSync(counter, "utf8")) };
}

const TAKEN = "reglab kernel: cannot bind the shell socket to tcp://127.0.0.1:1234: Address already in use";

test("KernelClient.start launches again on new ports when the kernel's port was taken", async () => {
  const dir = tmpDir();
  try {
    const flaky = flakyKernel(dir, 2, TAKEN);
    const kc = await KernelClient.start({ argv: flaky.argv }, { startupTimeoutMs: 60_000 });
    try {
      assert.equal(flaky.launches(), 3);
      const info = await kc.request("kernel_info_request", {});
      assert.equal(info.content.implementation, "reglab");
    } finally {
      await kc.shutdown();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("KernelClient.start gives up after three taken ports, and does not relaunch for other failures", async () => {
  const dir = tmpDir();
  try {
    const always = flakyKernel(dir, 99, TAKEN);
    const died = (what: string) => (e: unknown) => e instanceof KernelDiedError && e.message.includes(what);
    await assert.rejects(KernelClient.start({ argv: always.argv }), died(TAKEN));
    assert.equal(always.launches(), 3);
    fs.rmSync(path.join(dir, "launches"));
    const other = flakyKernel(dir, 99, "boom: something else");
    await assert.rejects(KernelClient.start({ argv: other.argv }), died("boom"));
    assert.equal(other.launches(), 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
