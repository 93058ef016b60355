/** A reglab kernel in a fresh temp dir outside the repo, for protocol tests; the kernelspec for peer clients. */
import { after, before } from "node:test";
import fs from "fs";
import os from "os";
import path from "path";
import { KernelClient } from "../../kernel/protocol/client";
import { spawnSync } from "child_process";
import { install, kernelArgv } from "../../kernel/kernelspec";

export interface TestKernel {
  kc: KernelClient;
  /** The kernel's working directory (real path). */
  dir: string;
}

/**
 * The environment of a test kernel: the backend users get (REGLAB_BACKEND unset, so auto →
 * wasm here) unless a test needs another one and says so with `backend`; history in memory.
 */
export function kernelEnv(backend?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, REGLAB_HISTORY_FILE: "none" };
  delete env.REGLAB_BACKEND;
  if (backend) env.REGLAB_BACKEND = backend;
  return env;
}

export interface TestKernelOptions {
  /** REGLAB_BACKEND for this kernel (default: unset, the users' default). */
  backend?: string;
  /** Where the temp dir is made (default: the OS temp dir, outside the repo). */
  parent?: string;
  /** Added to the kernelspec argv, as a front end's extra arguments would be. */
  extraArgs?: string[];
}

export async function startTestKernel(
  prefix: string,
  prepare?: (dir: string) => void,
  opts: TestKernelOptions = {},
): Promise<TestKernel> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(opts.parent ?? os.tmpdir(), prefix)));
  prepare?.(dir);
  const kc = await KernelClient.start({ argv: [...kernelArgv(), ...(opts.extraArgs ?? [])], cwd: dir, env: kernelEnv(opts.backend) });
  return { kc, dir };
}

/** Shut down (kill if it will not), then delete its directory. */
export async function stopTestKernel(k: TestKernel | undefined): Promise<void> {
  if (!k) return;
  await k.kc.shutdown().catch(() => undefined);
  k.kc.kill();
  fs.rmSync(k.dir, { recursive: true, force: true });
}

/**
 * One kernel for the enclosing suite (node:test `before`/`after` hooks):
 * `onStart` gets it once it is ready, typically to set the file's `kc` and `dir`.
 */
export function useTestKernel(
  prefix: string,
  onStart: (k: TestKernel) => unknown,
  opts: TestKernelOptions & { prepare?: (dir: string) => void } = {},
): void {
  let kernel: TestKernel | undefined;
  before(async () => {
    kernel = await startTestKernel(prefix, opts.prepare, opts);
    await onStart(kernel);
  });
  after(() => stopTestKernel(kernel));
}

/** Debian's Python with the Jupyter peers (the `python3` on PATH may be another one). */
export const PEER_PYTHON = "/usr/bin/python3";

/** Throw a clear message unless PEER_PYTHON can import `module` (installed by `debianPackage`). */
export function requirePeer(module: string, debianPackage: string): void {
  const r = spawnSync(PEER_PYTHON, ["-c", `import ${module}`], { encoding: "utf8" });
  if (r.status !== 0) {
    const how = `install the Debian package ${debianPackage} (apt-get install ${debianPackage})`;
    throw new Error(`${PEER_PYTHON} cannot import ${module}: ${how}; ${r.stderr.trim()}`);
  }
}

export interface TestKernelspec {
  /** Put this in JUPYTER_PATH. */
  jupyterPath: string;
  name: string;
  /** A working directory outside the repo for the client (and so the kernel). */
  dir: string;
  /** The environment for a Python client: JUPYTER_PATH set, the default backend, history in `dir`. */
  env: NodeJS.ProcessEnv;
}

/** The reglab kernelspec installed into a fresh temp JUPYTER_PATH, as `reglab install --prefix` writes it. */
export function installTestKernelspec(prefix: string): TestKernelspec {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  const name = "reglab-test";
  install({ prefix: path.join(dir, "prefix"), name });
  const jupyterPath = path.join(dir, "prefix", "share", "jupyter");
  const env = { ...kernelEnv(), JUPYTER_PATH: jupyterPath, REGLAB_HISTORY_FILE: path.join(dir, "history.json"), REGLAB_KERNEL_NAME: name };
  return { jupyterPath, name, dir, env };
}
