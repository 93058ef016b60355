/**
 * The PyTorch contender of the training bench: bench/torch_mlp.py as a
 * long-lived worker, driven one epoch (or one matmul) at a time over a pipe,
 * and a health check of the BLAS it runs on.
 *
 * Debian's python3-torch calls whatever libblas.so.3 the alternatives system
 * selects. With only the reference (netlib) BLAS a 1024² matmul runs ~25×
 * slower than with OpenBLAS (libopenblas0-pthread), and every ratio to
 * PyTorch would flatter reglab: the bench refuses to print one then.
 */
import fs from "fs";
import os from "os";
import path from "path";
import readline from "readline";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "child_process";

export const PYTHON = "/usr/bin/python3";
const root = path.resolve(__dirname, "..", "..");
const SCRIPT = path.join(root, "bench", "torch_mlp.py");

/** What torch_mlp.py reports about the BLAS library the process really mapped. */
export interface BlasInfo {
  kind: "openblas" | "mkl" | "blis" | "reference" | "unknown";
  name: string;
  libraries: string[];
  /** torch.__config__'s BLAS_INFO (Debian: "generic" = whatever libblas.so.3 resolves to). */
  torchBlasInfo: string;
  /** `update-alternatives --query libblas.so.3-x86_64-linux-gnu`'s Value. */
  alternative: string | null;
  env: Record<string, string>;
}

/** Why a ratio to this PyTorch would mislead, or null when its BLAS is an optimised one. */
export function unhealthy(blas: BlasInfo): string | null {
  if (blas.kind === "reference") {
    return (
      `PyTorch runs on the reference BLAS (${blas.libraries.join(", ")}), ~25× slower than an optimised one: ` +
      "apt-get install libopenblas0-pthread"
    );
  }
  if (blas.kind === "unknown") return `PyTorch's BLAS could not be identified (${blas.name}); install libopenblas0-pthread`;
  return null;
}

/**
 * Environment overrides that cripple OpenBLAS: OPENBLAS_CORETYPE forces one
 * core's kernels (e.g. Haswell = AVX2 on an AVX-512 CPU, about half the
 * GFLOP/s). The worker runs without it, so PyTorch is timed at its best; the
 * bench says so and measures the matmul with the variable as set, too.
 */
export const CRIPPLING_ENV = ["OPENBLAS_CORETYPE"];

/**
 * Idle threads sleep instead of spinning. The worker waits on its pipe
 * between epochs; with the defaults, after each multi-threaded call its
 * OpenBLAS and OpenMP threads kept spinning (sched_yield) — measured with
 * perf, about 40% of the 2-core machine's samples during the training
 * section — and the other contenders ran against them. No effect at 1
 * thread; a user's own setting of either variable is kept.
 */
export const IDLE_ENV: Record<string, string> = { OMP_WAIT_POLICY: "PASSIVE", OPENBLAS_THREAD_TIMEOUT: "4" };

export class TorchWorker {
  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    private readonly specPath: string,
    readonly version: string,
    readonly defaultThreads: number,
    readonly blas: BlasInfo,
    /** Variables removed from the worker's environment, with the values they had. */
    readonly unset: Record<string, string>,
    /** IDLE_ENV variables set for the worker (those the user had not set). */
    readonly idle: Record<string, string>,
  ) {}

  static async start(spec: object): Promise<TorchWorker | string> {
    if (!fs.existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3-torch)`;
    const specPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "reglab-bench-")), "spec.json");
    fs.writeFileSync(specPath, JSON.stringify(spec));
    const env = { ...process.env };
    const unset: Record<string, string> = {};
    for (const k of CRIPPLING_ENV) {
      if (env[k] !== undefined) {
        unset[k] = env[k]!;
        delete env[k];
      }
    }
    const idle: Record<string, string> = {};
    for (const [k, v] of Object.entries(IDLE_ENV)) if (env[k] === undefined) env[k] = idle[k] = v;
    const proc = spawn(PYTHON, [SCRIPT, "--spec", specPath], { stdio: ["pipe", "pipe", "pipe"], env });
    let stderr = "";
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const lines = readline.createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      fs.rmSync(path.dirname(specPath), { recursive: true, force: true });
      return /No module named '?torch/.test(stderr)
        ? "PyTorch is not installed (apt-get install python3-torch)"
        : `the PyTorch worker failed: ${stderr.trim().split("\n").pop()}`;
    }
    const hello = JSON.parse(first.value) as { torch: string; threads: number; blas: BlasInfo };
    return new TorchWorker(proc, lines, specPath, hello.torch, hello.threads, hello.blas, unset, idle);
  }

  private async ask<T>(cmd: object): Promise<T> {
    this.proc.stdin.write(JSON.stringify(cmd) + "\n");
    const line = await this.lines.next();
    if (line.done) throw new Error("the PyTorch worker exited in mid-benchmark");
    return JSON.parse(line.value) as T;
  }

  epoch(key: string, batch: number, perm: number, threads: number): Promise<{ ms: number; loss: number }> {
    return this.ask({ key, batch, perm, threads });
  }

  async matmulGflops(threads: number): Promise<number> {
    return (await this.ask<{ gflops: number }>({ matmul: threads })).gflops;
  }

  close(): void {
    this.proc.stdin.end(JSON.stringify({ quit: true }) + "\n");
    fs.rmSync(path.dirname(this.specPath), { recursive: true, force: true });
  }
}

/** 1024² matmul GFLOP/s at 1 thread with the environment exactly as given (OPENBLAS_CORETYPE and all). */
export function matmulAsConfigured(): number | string {
  const r = spawnSync(PYTHON, [SCRIPT, "--matmul", "1"], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) return `failed: ${(r.stderr || String(r.error)).trim().split("\n").pop()}`;
  return (JSON.parse(r.stdout) as { gflops: number }).gflops;
}
