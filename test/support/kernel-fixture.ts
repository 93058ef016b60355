/** A reglab kernel in a fresh temp dir outside the repo, for protocol tests. */
import fs from "fs";
import os from "os";
import path from "path";
import { KernelClient } from "../../kernel/protocol/client";
import { kernelArgv } from "../../kernel/kernelspec";

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

export async function startTestKernel(prefix: string, prepare?: (dir: string) => void, opts: { backend?: string } = {}): Promise<TestKernel> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  prepare?.(dir);
  const kc = await KernelClient.start({ argv: kernelArgv(), cwd: dir, env: kernelEnv(opts.backend) });
  return { kc, dir };
}

/** Shut down (kill if it will not), then delete its directory. */
export async function stopTestKernel(k: TestKernel | undefined): Promise<void> {
  if (!k) return;
  await k.kc.shutdown().catch(() => undefined);
  k.kc.kill();
  fs.rmSync(k.dir, { recursive: true, force: true });
}
