/**
 * A class on JupyterHub: REGLAB_HUB_USERS (default 10) users are created with
 * the hub's REST API, their servers started, and every user runs the welcome
 * notebook (plus a chart) on their own reglab kernel at the same time, over
 * the Jupyter server's kernels and websocket API. Every notebook must complete
 * with the committed outputs; per-user wall time and kernel memory are logged
 * (speed is the classroom benchmark's job, not asserted here).
 *
 * Then faults, each on one user while the others keep their kernels:
 * - a killed kernel: its user's running cell fails with the restart notice,
 *   nobody else hears of it, the user's next cell runs on a fresh kernel;
 * - a killed user server: the hub notices (poll), starts it again on request,
 *   the orphaned kernel exits, the user gets a working kernel;
 * - a stopped hub: open kernels keep working through the proxy meanwhile;
 *   after the restart the hub still knows every server and each user
 *   reconnects to the same kernel, its variables intact.
 * See test/support/hub.ts for how the hub is set up (loopback, dummy
 * authenticator, servers as the hub's Unix user) and why.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Hub, hubUnavailable, isAlive, kernelPid } from "../../support/hub";
import { classCells, runClass, runTable, shownText, type UserRun } from "../../support/classroom";
import { createKernel, KernelDiedError, WsKernel, type CellResult } from "../../support/jupyter-ws";

// The fault tests use four different users, so a smaller class is raised to four.
const N = Math.max(4, Number(process.env.REGLAB_HUB_USERS ?? 10));
const missing = hubUnavailable();
// In CI a missing hub is a failure, not a skip: .ci/run installs it.
const skip = missing && process.env.CI !== "true" ? missing : false;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const result = (r: CellResult) => r.outputs.filter((o) => o.output_type === "execute_result").map((o) => o.data?.["text/plain"]).join("");

/** Whether the kernel still has the notebook's `w`: "number", "gone" (TypeScript: cannot find it), else what it showed. */
async function probeW(k: WsKernel): Promise<string> {
  const r = await k.execute("typeof w", 120_000);
  if (r.status === "ok" && result(r) === "'number'") return "number";
  const shown = shownText(r.outputs).join(" | ");
  return r.status === "error" && shown.includes("Cannot find name 'w'") ? "gone" : `${r.status}: ${shown}`;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(200);
  }
}

let hub: Hub | undefined;
let runs: UserRun[] = [];

before(async () => {
  if (skip) return;
  if (missing) throw new Error(missing);
  hub = await Hub.start({ pollInterval: 1 });
});

after(async () => {
  for (const r of runs) r.kernel?.close();
  await hub?.close();
});

test(`${N} users run a chapter notebook concurrently, each on their own reglab kernel`, { skip, timeout: 300_000 }, async (t) => {
  assert.ok(N >= 1);
  const h = hub as Hub;
  const names = Array.from({ length: N }, (_, i) => `student${String(i).padStart(2, "0")}`);
  const users = await h.createUsers(names);
  const t0 = Date.now();
  await Promise.all(users.map((u) => h.startServer(u.name)));
  t.diagnostic(`${N} servers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  runs = await runClass(h, users, classCells());
  for (const line of runTable(runs).split("\n")) t.diagnostic(line);
  assert.deepEqual(runs.filter((r) => r.failures.length > 0).map((r) => `${r.user}: ${r.failures.join("; ")}`), []);
  assert.equal(new Set(runs.map((r) => kernelPid(r.kernelId))).size, N, "every user has a kernel process of their own");
});

test("a killed kernel is reported to its user only; the next cell runs on a fresh kernel", { skip, timeout: 120_000 }, async () => {
  assert.ok(runs.length >= 2 && runs.every((r) => r.kernel), "needs the class run");
  const [victim, ...others] = runs;
  const pid = kernelPid(victim.kernelId);
  assert.ok(pid, "victim's kernel process");
  const running = (victim.kernel as WsKernel).execute("await new Promise((r) => setTimeout(r, 60_000));", 90_000);
  await sleep(500);
  process.kill(pid, "SIGKILL");
  await assert.rejects(running, (e: unknown) => e instanceof KernelDiedError);
  assert.ok(victim.kernel?.deaths.includes("restarting") || victim.kernel?.deaths.includes("dead"));
  // The server restarts the kernel: a fresh one (its variables are gone), same id, same websocket.
  await until("the victim's kernel is restarted", () => kernelPid(victim.kernelId) !== null, 60_000);
  assert.equal(await probeW(victim.kernel as WsKernel), "gone");
  const other = await (others[0].kernel as WsKernel).execute("w.toFixed(3)");
  assert.equal(result(other), "'2.998'");
  assert.deepEqual(others.filter((r) => (r.kernel?.deaths.length ?? 0) > 0).map((r) => r.user), [], "no other user heard of it");
});

test("a killed user server is noticed by the hub and started again; its orphaned kernel exits", { skip, timeout: 180_000 }, async () => {
  const h = hub as Hub;
  assert.ok(runs.length >= 3, "needs the class run");
  const victim = runs[2];
  const before = await h.server(victim.user);
  const serverPid = before?.state?.pid;
  assert.ok(serverPid, `hub reports ${victim.user}'s server pid`);
  const kpid = kernelPid(victim.kernelId);
  assert.ok(kpid);
  process.kill(serverPid, "SIGKILL");
  await h.waitStopped(victim.user, 60_000);
  await until("the orphaned kernel exits", () => !isAlive(kpid), 30_000);
  victim.kernel?.close();
  await h.startServer(victim.user);
  const u = h.users.get(victim.user);
  assert.ok(u);
  victim.kernelId = await createKernel(u.url, u.token, h.kernelName);
  victim.kernel = await WsKernel.connect(u.url, u.token, victim.kernelId);
  const r = await victim.kernel.execute(`import { tf } from "reglab";\ntf.tensor([1, 2, 3]).sum().dataSync()[0]`, 120_000);
  assert.equal(r.status, "ok");
  assert.equal(result(r), "6");
  assert.deepEqual(runs.filter((o) => o !== victim && o !== runs[0] && (o.kernel?.deaths.length ?? 0) > 0).map((o) => o.user), []);
});

const hubRestart = "a stopped hub: kernels keep working through the proxy; after its restart users reconnect to the same kernels";
test(hubRestart, { skip, timeout: 180_000 }, async () => {
  const h = hub as Hub;
  assert.ok(runs.length >= 4, "needs the class run");
  const probe = runs[3];
  await h.stopHub();
  const during = await (probe.kernel as WsKernel).execute("w.toFixed(3)");
  assert.equal(result(during), "'2.998'", "an open kernel keeps working while the hub is down");
  await h.startHub();
  for (const r of runs) {
    const s = await h.server(r.user);
    assert.ok(s?.ready, `the restarted hub still knows ${r.user}'s server`);
  }
  // Every user reconnects (a new websocket, as a reloaded browser tab would) to the kernel they had.
  const checks = await Promise.all(
    runs.map(async (r, i) => {
      const u = h.users.get(r.user);
      assert.ok(u);
      r.kernel?.close();
      r.kernel = await WsKernel.connect(u.url, u.token, r.kernelId);
      const got = await probeW(r.kernel);
      // runs[0]'s kernel was restarted and runs[2] has a new kernel: their `w` is gone.
      return { user: r.user, got, want: i === 0 || i === 2 ? "gone" : "number" };
    }),
  );
  assert.deepEqual(checks.map((c) => `${c.user}: ${c.got}`), checks.map((c) => `${c.user}: ${c.want}`));
});
