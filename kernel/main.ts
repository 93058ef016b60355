/**
 * Starting the kernel: connection file → sockets → handler → executor.
 *
 * Every process-level hook is installed by kernel/execution/process-hooks.ts
 * before anything else. The executor chain is built in `buildExecutor`: the
 * TypeScript executor wrapped by the magics layer. tfjs is NOT loaded here
 * (only before the first cell), so start-up costs about what plain tslab costs.
 */
import fs from "fs";
import { randomUUID } from "crypto";
import type { CellExecutor } from "./execution/types";
import { TypeScriptExecutor, type TypeScriptExecutorOptions } from "./execution/typescript";
import { kernelLog, redirectStreams } from "./execution/streams";
import { exitKernel } from "./execution/exit-guard";
import { installProcessHooks } from "./execution/process-hooks";
import { createMagicsLayer } from "./magics/index";
import { KernelHandler } from "./protocol/handler";
import { KernelServer, endpoint, type Channel } from "./protocol/server";
import { HistoryStore, defaultHistoryFile } from "./protocol/history";
import { StdinChannel, installKernelIO } from "./protocol/stdin";
import type { ConnectionInfo, Message } from "./protocol/wire";
import { DEFAULT_NAME, packageVersion } from "./kernelspec";
import { typescriptFork } from "./execution/typescript-fork";

/**
 * The TypeScript executor, wrapped by the magics layer unless REGLAB_NO_MAGICS=1 (for
 * diagnosing the magics layer). Process hooks are installed first: the executor relies on them.
 */
export function buildExecutor(opts: TypeScriptExecutorOptions = {}): CellExecutor {
  installProcessHooks();
  const ts = new TypeScriptExecutor(opts);
  if (process.env.REGLAB_NO_MAGICS === "1") return ts;
  return createMagicsLayer(ts, { redirectStreams });
}

export function readConnectionFile(file: string): ConnectionInfo {
  let raw: string;
  try {
    raw = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read connection file ${file}: ${(e as Error).message}`);
  }
  let info: ConnectionInfo;
  try {
    info = JSON.parse(raw) as ConnectionInfo;
  } catch (e) {
    throw new Error(`connection file ${file} is not JSON: ${(e as Error).message}`);
  }
  for (const k of ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const) {
    if (typeof info[k] !== "number") throw new Error(`connection file ${file} lacks a numeric ${k}`);
  }
  if (!info.ip) throw new Error(`connection file ${file} lacks "ip"`);
  info.transport = info.transport ?? "tcp";
  return info;
}

function typescriptVersion(): string {
  return typescriptFork().version;
}

/**
 * Start a kernel for `connectionFile`; resolves once the sockets are bound and the executor is built.
 *
 * The sockets are bound first, before the TypeScript executor is built (about 1.5 s of CPU, far
 * more when a class starts its kernels at once): the client chose the ports and released them,
 * so until we hold them another process can take one. Messages that arrive meanwhile wait for
 * the handler. A port that cannot be bound rejects with a `BindError`; that and any failure to build
 * the executor reject only after every socket has closed.
 */
export async function startKernel(connectionFile: string): Promise<void> {
  const conn = readConnectionFile(connectionFile);
  // Cells cannot end the kernel (the exit guard, the error listeners); our own exits use exitKernel.
  const hooks = installProcessHooks();
  const session = randomUUID();
  let handler: KernelHandler | null = null;
  const early: Array<[Channel, Message]> = [];
  const onMessage = (channel: Channel, msg: Message): void => {
    if (handler) handler.onMessage(channel, msg);
    else early.push([channel, msg]);
  };
  const server = new KernelServer(conn, onMessage, { log: kernelLog, stdinElsewhere: true }, session);
  const stdin = new StdinChannel(conn, endpoint(conn, conn.stdin_port), session, kernelLog);
  const closeSockets = () => Promise.all([server.close(), stdin.close()]);
  const bound = await Promise.allSettled([server.start(), stdin.start()]);
  const failed = bound.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await closeSockets();
    throw failed.reason;
  }
  let executor: CellExecutor;
  try {
    executor = buildExecutor();
  } catch (e) {
    // The stdin worker must be gone before the process exits (a live zeromq worker aborts the exit).
    await closeSockets();
    throw e;
  }
  const interrupt = (): void => {
    stdin.cancel();
    executor.interrupt();
  };
  const h = new KernelHandler(executor, server, {
    log: kernelLog,
    redirectStreams,
    onInterrupt: () => stdin.cancel(),
    history: new HistoryStore(defaultHistoryFile(conn.kernel_name || DEFAULT_NAME), kernelLog),
    implementationVersion: packageVersion(),
    languageVersion: typescriptVersion(),
    onShutdown: (restart) => {
      void (async () => {
        await closeSockets();
        try {
          executor.close();
        } catch (e) {
          kernelLog(`closing the executor failed (exiting anyway): ${e instanceof Error ? e.message : String(e)}`);
        }
        kernelLog(restart ? "shutdown (restart requested)" : "shutdown");
        exitKernel(0);
      })();
    },
  });
  handler = h;
  installKernelIO(() => h.currentRequest(), stdin);
  // Interrupt (interrupt_mode "signal"): a running synchronous loop is broken by vm's
  // breakOnSigint; otherwise reject the pending await. Never let SIGINT kill the kernel.
  hooks.onSignal("SIGINT", interrupt);
  hooks.onSignal("SIGTERM", () => {
    void closeSockets().finally(() => exitKernel(0));
  });
  for (const [channel, msg] of early.splice(0)) h.onMessage(channel, msg);
  watchParent(() => {
    kernelLog("parent process exited: shutting down");
    void closeSockets().finally(() => exitKernel(0));
  });
  kernelLog(`kernel started (pid ${process.pid}, ${conn.transport}://${conn.ip}, cwd ${process.cwd()})`);
}

/**
 * Exit when the process that started us goes away (as ipykernel does), so
 * `jupyter run`, a killed runner or a crashed front end leave no orphaned
 * kernels. jupyter_client names its pid in JPY_PARENT_PID; otherwise the
 * parent pid changing (re-parented to init) says the same.
 */
function watchParent(onGone: () => void): void {
  const named = Number(process.env.JPY_PARENT_PID);
  const initial = process.ppid;
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EPERM";
    }
  };
  const timer = setInterval(() => {
    const gone = Number.isInteger(named) && named > 1 ? !alive(named) : process.ppid !== initial;
    if (gone) {
      clearInterval(timer);
      onGone();
    }
  }, 1000);
  timer.unref();
}
