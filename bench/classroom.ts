/**
 * A class on one machine: N users on a local JupyterHub (test/support/hub.ts)
 * each run the welcome notebook plus a chart on their own reglab kernel at
 * the same time (test/support/classroom.ts). For each N: median and p90 time
 * per notebook, kernel and server memory, kernels per GiB, CPU use over the
 * run, and the class's wall time against N × one user alone (1.0 would be no
 * parallelism; 1/cores the best a CPU-bound class can do here).
 */
import fs from "fs";
import os from "os";
import { Hub } from "../test/support/hub";
import { classCells, quantile, runClass, type UserRun } from "../test/support/classroom";
import { cpuSeconds, memoryMB } from "../test/support/hub";

export interface ClassroomRow {
  users: number;
  medianS: number;
  p90S: number;
  /** The whole class: first kernel request to last notebook done. */
  classS: number;
  /** classS / (users × one user's time alone). */
  vsSerial: number;
  kernelMB: number;
  /** Mean CPU seconds per kernel, and of the user's server during the run. */
  kernelCpuS: number;
  serverCpuS: number;
  /** users × (kernel + server CPU) / cores: the class's time if only it ran and CPU were the limit. */
  cpuBoundS: number;
  serverMB: number;
  kernelsPerGiB: number;
  /** Mean CPU use of all cores during the class run, 0..1. */
  cpuBusy: number;
  /** Lowest MemAvailable seen during the run, MB. */
  minAvailableMB: number;
  failures: number;
}

function cpuTimes(): { busy: number; total: number } {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function availableMB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface ClassRun {
  runs: UserRun[];
  classS: number;
  cpuBusy: number;
  minAvailableMB: number;
  serverMB: number;
  serverCpuS: number;
}

async function classRun(hub: Hub, n: number, round: string): Promise<ClassRun> {
  const names = Array.from({ length: n }, (_, i) => `${round}u${String(i).padStart(2, "0")}`);
  const users = await hub.createUsers(names);
  await Promise.all(users.map((u) => hub.startServer(u.name)));
  const cells = classCells();
  let minAvailableMB = availableMB();
  const sampler = setInterval(() => (minAvailableMB = Math.min(minAvailableMB, availableMB())), 250);
  const serverPids = new Map<string, number>();
  for (const u of users) {
    const pid = (await hub.server(u.name))?.state?.pid;
    if (pid) serverPids.set(u.name, pid);
  }
  const serverCpu0 = [...serverPids.values()].map(cpuSeconds);
  const c0 = cpuTimes();
  const t0 = Date.now();
  const runs = await runClass(hub, users, cells, { close: true });
  const classS = (Date.now() - t0) / 1000;
  const c1 = cpuTimes();
  clearInterval(sampler);
  const serverMBs = [...serverPids.values()].map((pid) => memoryMB(pid).rss);
  const serverCpu = [...serverPids.values()].map((pid, i) => cpuSeconds(pid) - serverCpu0[i]);
  for (const u of users) await hub.api("DELETE", `/users/${u.name}/server`);
  for (const u of users) await hub.waitStopped(u.name);
  const serverMB = serverMBs.reduce((a, b) => a + b, 0) / Math.max(1, serverMBs.length);
  const serverCpuS = serverCpu.reduce((a, b) => a + b, 0) / Math.max(1, serverCpu.length);
  return { runs, classS, cpuBusy: (c1.busy - c0.busy) / Math.max(1, c1.total - c0.total), minAvailableMB, serverMB, serverCpuS };
}

export interface ClassroomResult {
  single: number;
  singleCpuS: number;
  rows: ClassroomRow[];
}

export async function benchClassroom(opts: { sizes?: number[]; log?: (s: string) => void } = {}): Promise<ClassroomResult> {
  const log = opts.log ?? (() => undefined);
  const sizes = opts.sizes ?? [5, 10, 20];
  const hub = await Hub.start();
  try {
    const alone = await classRun(hub, 1, "solo");
    if (alone.runs[0].failures.length) throw new Error(`a single user's notebook failed: ${alone.runs[0].failures.join("; ")}`);
    const single = alone.runs[0].wallS;
    const a = alone.runs[0];
    log(
      `one user alone: ${single.toFixed(1)} s, kernel ${a.rssMB.toFixed(0)} MB, ` +
        `kernel CPU ${a.kernelCpuS.toFixed(1)} s, server CPU ${alone.serverCpuS.toFixed(1)} s`,
    );
    const rows: ClassroomRow[] = [];
    for (const n of sizes) {
      const r = await classRun(hub, n, `n${n}`);
      const walls = r.runs.map((x) => x.wallS);
      const measured = r.runs.filter((x) => Number.isFinite(x.rssMB));
      const kernelMB = measured.reduce((sum, x) => sum + x.rssMB, 0) / Math.max(1, measured.length);
      const kernelCpuS = r.runs.reduce((a, x) => a + (Number.isFinite(x.kernelCpuS) ? x.kernelCpuS : 0), 0) / Math.max(1, r.runs.length);
      const row: ClassroomRow = {
        users: n,
        medianS: quantile(walls, 0.5),
        p90S: quantile(walls, 0.9),
        classS: r.classS,
        vsSerial: r.classS / (n * single),
        kernelMB,
        kernelCpuS,
        serverCpuS: r.serverCpuS,
        cpuBoundS: (n * (kernelCpuS + r.serverCpuS)) / os.cpus().length,
        serverMB: r.serverMB,
        kernelsPerGiB: 1024 / kernelMB,
        cpuBusy: r.cpuBusy,
        minAvailableMB: r.minAvailableMB,
        failures: r.runs.filter((x) => x.failures.length > 0).length,
      };
      rows.push(row);
      log(
        `${n} users: median ${row.medianS.toFixed(1)} s, p90 ${row.p90S.toFixed(1)} s, class ${row.classS.toFixed(1)} s ` +
          `(${row.vsSerial.toFixed(2)}× ${n} × alone), CPU ${(row.cpuBusy * 100).toFixed(0)}% of ${os.cpus().length} cores, ` +
          `CPU per user ${kernelCpuS.toFixed(1)} s kernel + ${r.serverCpuS.toFixed(1)} s server ` +
          `(CPU-bound class ${row.cpuBoundS.toFixed(1)} s), kernel ${kernelMB.toFixed(0)} MB, server ${row.serverMB.toFixed(0)} MB, ` +
          `min available ${(row.minAvailableMB / 1024).toFixed(1)} GiB, failures ${row.failures}`,
      );
      for (const x of r.runs) if (x.failures.length) log(`  ${x.user}: ${x.failures.join("; ")}`);
    }
    return { single, singleCpuS: alone.runs[0].kernelCpuS + alone.serverCpuS, rows };
  } finally {
    await hub.close();
  }
}

/** What limits the class: CPU when the cores were busy most of the run, memory when little was left. */
export function saturation(r: ClassroomRow, totalMB = os.totalmem() / 2 ** 20): string {
  const mem = 1 - r.minAvailableMB / totalMB;
  if (r.cpuBusy >= 0.85) return `CPU (${(r.cpuBusy * 100).toFixed(0)}% busy; memory ${(mem * 100).toFixed(0)}% used at most)`;
  if (mem >= 0.85) return `memory (${(mem * 100).toFixed(0)}% used)`;
  return `neither (CPU ${(r.cpuBusy * 100).toFixed(0)}%, memory ${(mem * 100).toFixed(0)}%)`;
}
