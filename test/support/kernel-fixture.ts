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

export async function startTestKernel(prefix: string, prepare?: (dir: string) => void): Promise<TestKernel> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  prepare?.(dir);
  const kc = await KernelClient.start({ argv: kernelArgv(), cwd: dir, env: { ...process.env, REGLAB_BACKEND: "cpu" } });
  return { kc, dir };
}

/** Shut down (kill if it will not), then delete its directory. */
export async function stopTestKernel(k: TestKernel | undefined): Promise<void> {
  if (!k) return;
  await k.kc.shutdown().catch(() => undefined);
  k.kc.kill();
  fs.rmSync(k.dir, { recursive: true, force: true });
}
