/**
 * Launching a kernel process the way Jupyter does: free ports, a connection
 * file (mode 0600, in its own temp dir), the kernelspec argv with
 * `{connection_file}` filled in. What the client needs from the process
 * afterwards is its output (capped) and how it ended.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import fs from "fs";
import net from "net";
import os from "os";
import path from "path";
import type { ConnectionInfo } from "./wire";

export interface KernelLaunch {
  /** `{connection_file}` is replaced by the connection file's path. */
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** "signal" (default): SIGINT to the process; "message": interrupt_request on control. */
  interruptMode?: "signal" | "message";
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(e: ExitInfo): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** Free TCP ports on `host`, all distinct (bound to port 0 together, then released). */
export async function freePorts(n: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, host, () => resolve());
      });
      ports.push((s.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

const LOG_CAP = 256 * 1024;

/** The kernel's stdout and stderr as they arrive, each kept to its last 256 KiB. */
export class ProcessOutput {
  /** stdout and stderr interleaved. */
  all = "";
  stderr = "";

  constructor(proc: ChildProcess) {
    proc.stdout?.on("data", (c: Buffer) => this.append(c.toString("utf8"), false));
    proc.stderr?.on("data", (c: Buffer) => this.append(c.toString("utf8"), true));
  }

  append(s: string, isStderr: boolean): void {
    this.all = (this.all + s).slice(-LOG_CAP);
    if (isStderr) this.stderr = (this.stderr + s).slice(-LOG_CAP);
  }

  /** The last `lines` lines of stderr (for error messages). */
  stderrTail(lines = 30): string {
    return this.stderr.trimEnd().split("\n").slice(-lines).join("\n");
  }
}

/** Kernels still running when this process exits are killed (they are in their own process group). */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

export interface LaunchedKernel {
  proc: ChildProcess;
  conn: ConnectionInfo;
  connectionFile: string;
  /** The temp dir holding the connection file (removed by the client when it closes). */
  dir: string;
  /** The argv as run. */
  argv: string[];
}

/** Pick ports, write the connection file and spawn the kernel (it is not ready yet). */
export async function launchKernel(launch: KernelLaunch): Promise<LaunchedKernel> {
  if (launch.argv.length === 0) throw new Error("kernel argv is empty");
  const ip = "127.0.0.1";
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5, ip);
  const conn: ConnectionInfo = {
    transport: "tcp",
    ip,
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: randomBytes(32).toString("hex"),
    signature_scheme: "hmac-sha256",
    kernel_name: "",
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-kernel-"));
  const connectionFile = path.join(dir, "kernel.json");
  fs.writeFileSync(connectionFile, JSON.stringify(conn, null, 1), { mode: 0o600 });
  const argv = launch.argv.map((a) => a.split("{connection_file}").join(connectionFile));
  const proc = spawn(argv[0], argv.slice(1), {
    cwd: launch.cwd,
    env: { ...(launch.env ?? process.env), JPY_PARENT_PID: String(process.pid) },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: a Ctrl-C in the terminal reaches only the client, which decides
    // whether to interrupt (otherwise the kernel would get the terminal's SIGINT and ours).
    detached: true,
  });
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  return { proc, conn, connectionFile, dir, argv };
}
