/**
 * A JupyterHub on loopback for tests and the classroom benchmark: Debian's
 * jupyterhub (3.0), configurable-http-proxy from this package's
 * devDependencies started by us (so the hub can be stopped and restarted
 * while the proxy keeps routing), the dummy authenticator, and the
 * "simple" local-process spawner: every user's server is Debian's
 * `jupyterhub-singleuser` (classic Notebook 6) run as the hub's own Unix user
 * with its own home under the hub's temp dir. Real Unix users (useradd) would
 * also need the reglab checkout readable by them, which a clone under /root
 * is not; one Unix user keeps the test runnable anywhere and leaves nothing
 * in /etc/passwd. deploy/jupyterhub/ configures real users.
 *
 * The reglab kernelspec is installed system-wide under a name of its own
 * (`reglab install --prefix /usr/local`, the directory Debian's Jupyter
 * searches) and removed by `close()`. Not root: it goes to the hub dir and
 * servers get `JUPYTER_PATH` instead.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import fs from "fs";
import os from "os";
import path from "path";
import { randomBytes } from "crypto";
import { authHeader } from "./jupyter-ws";
import { freePort } from "./ports";

const root = path.resolve(__dirname, "..", "..", "..");
export const JUPYTERHUB = "/usr/bin/jupyterhub";
export const SINGLEUSER = "/usr/bin/jupyterhub-singleuser";

/** Why the hub cannot run here, or null. */
export function hubUnavailable(): string | null {
  for (const f of [JUPYTERHUB, SINGLEUSER, "/usr/bin/python3"]) {
    if (!fs.existsSync(f)) return `${f} missing (apt-get install jupyterhub jupyter-notebook)`;
  }
  const chp = chpScript();
  if (!fs.existsSync(chp)) return `${chp} missing (npm ci installs configurable-http-proxy)`;
  return null;
}

function chpScript(): string {
  return path.join(root, "node_modules", "configurable-http-proxy", "bin", "configurable-http-proxy");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface UserServer {
  name: string;
  /** The user's own API token. */
  token: string;
  /** `http://127.0.0.1:<proxy>/user/<name>/` */
  url: string;
  home: string;
}

/** The parts of the hub's server model read here (`state` needs the admin:server_state scope). */
export interface ServerModel {
  ready: boolean;
  pending: string | null;
  state?: { pid?: number };
}

export interface HubOptions {
  /** Seconds between the hub's polls of each server (how fast it notices a dead one). */
  pollInterval?: number;
}

interface HubConfig {
  dir: string;
  proxyPort: number;
  hubPort: number;
  apiPort: number;
  proxyToken: string;
  adminToken: string;
  jupyterPath?: string;
  poll: number;
}

function configText(o: HubConfig): string {
  const env: Record<string, string> = { JUPYTERHUB_SINGLEUSER_APP: "notebook.notebookapp.NotebookApp" };
  if (o.jupyterPath) env.JUPYTER_PATH = o.jupyterPath;
  const py = (v: unknown) => JSON.stringify(v);
  return [
    "c = get_config()  # noqa",
    `c.JupyterHub.ip = '127.0.0.1'`,
    `c.JupyterHub.port = ${o.proxyPort}`,
    `c.JupyterHub.hub_ip = '127.0.0.1'`,
    `c.JupyterHub.hub_port = ${o.hubPort}`,
    `c.JupyterHub.db_url = ${py("sqlite:///" + path.join(o.dir, "jupyterhub.sqlite"))}`,
    `c.JupyterHub.cookie_secret_file = ${py(path.join(o.dir, "jupyterhub_cookie_secret"))}`,
    `c.JupyterHub.pid_file = ${py(path.join(o.dir, "jupyterhub.pid"))}`,
    // The proxy is ours: the hub neither starts nor stops it, and leaves servers running when it stops.
    `c.ConfigurableHTTPProxy.should_start = False`,
    `c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${o.apiPort}'`,
    `c.ConfigurableHTTPProxy.auth_token = ${py(o.proxyToken)}`,
    `c.JupyterHub.cleanup_servers = False`,
    `c.JupyterHub.cleanup_proxy = False`,
    `c.JupyterHub.authenticator_class = 'dummy'`,
    `c.JupyterHub.spawner_class = 'simple'`,
    `c.SimpleLocalProcessSpawner.home_dir_template = ${py(path.join(o.dir, "users", "{username}"))}`,
    `c.Spawner.cmd = [${py(SINGLEUSER)}]`,
    `c.Spawner.args = ${py(process.getuid?.() === 0 ? ["--allow-root"] : [])}`,
    `c.Spawner.environment = ${py(env)}`,
    `c.Spawner.poll_interval = ${o.poll}`,
    `c.Spawner.start_timeout = 180`,
    `c.Spawner.http_timeout = 180`,
    `c.JupyterHub.services = [{'name': 'classroom', 'api_token': ${py(o.adminToken)}}]`,
    `c.JupyterHub.load_roles = [{'name': 'classroom', 'services': ['classroom'],`,
    `    'scopes': ['admin:users', 'admin:servers', 'admin:server_state', 'tokens', 'list:users', 'read:users']}]`,
    "",
  ].join("\n");
}

export class Hub {
  readonly kernelName = `reglab-hub-${process.pid}`;
  readonly users = new Map<string, UserServer>();
  private hub: ChildProcess | null = null;
  private proxy: ChildProcess | null = null;
  private kernelspecPrefix = "";

  private constructor(
    readonly dir: string,
    readonly proxyPort: number,
    private readonly hubPort: number,
    private readonly apiPort: number,
    private readonly adminToken: string,
    private readonly proxyToken: string,
  ) {}

  /** `http://127.0.0.1:<proxy>/` — what a browser would open. */
  get url(): string {
    return `http://127.0.0.1:${this.proxyPort}/`;
  }

  static async start(opts: HubOptions = {}): Promise<Hub> {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "reglab-hub-")));
    const [proxyPort, hubPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const h = new Hub(dir, proxyPort, hubPort, apiPort, randomBytes(24).toString("hex"), randomBytes(24).toString("hex"));
    try {
      h.installKernelspec();
      const jupyterPath = h.kernelspecPrefix === "/usr/local" ? undefined : path.join(h.kernelspecPrefix, "share", "jupyter");
      const poll = opts.pollInterval ?? 2;
      const config: HubConfig = { dir, proxyPort, hubPort, apiPort, proxyToken: h.proxyToken, adminToken: h.adminToken, jupyterPath, poll };
      fs.writeFileSync(path.join(dir, "jupyterhub_config.py"), configText(config));
      h.startProxy();
      await h.startHub();
    } catch (e) {
      await h.close();
      throw e;
    }
    return h;
  }

  private installKernelspec(): void {
    this.kernelspecPrefix = process.getuid?.() === 0 ? "/usr/local" : path.join(this.dir, "prefix");
    const args = [path.join(root, "bin", "reglab.js"), "install", "--prefix", this.kernelspecPrefix, "--name", this.kernelName];
    const r = spawnSync(process.execPath, args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`reglab install failed: ${r.stderr}${r.stdout}`);
  }

  private log(name: string): fs.WriteStream {
    return fs.createWriteStream(path.join(this.dir, `${name}.log`), { flags: "a" });
  }

  private startProxy(): void {
    const args = [chpScript(), "--ip", "127.0.0.1", "--port", String(this.proxyPort),
      "--api-ip", "127.0.0.1", "--api-port", String(this.apiPort),
      "--default-target", `http://127.0.0.1:${this.hubPort}`, "--error-target", `http://127.0.0.1:${this.hubPort}/hub/error`];
    const env = { ...process.env, CONFIGPROXY_AUTH_TOKEN: this.proxyToken };
    this.proxy = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out = this.log("proxy");
    this.proxy.stdout?.pipe(out);
    this.proxy.stderr?.pipe(out);
  }

  /** Start (or restart) the hub process and wait until its API answers. */
  async startHub(timeoutMs = 90_000): Promise<void> {
    if (this.hub) throw new Error("hub already running");
    const args = [JUPYTERHUB, "-f", path.join(this.dir, "jupyterhub_config.py")];
    this.hub = spawn("/usr/bin/python3", args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    const out = this.log("hub");
    this.hub.stdout?.pipe(out);
    this.hub.stderr?.pipe(out);
    const proc = this.hub;
    const t0 = Date.now();
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`jupyterhub exited (${proc.exitCode}); log:\n${this.hubLog().slice(-3000)}`);
      try {
        const r = await fetch(`${this.url}hub/api/`);
        if (r.ok) return;
      } catch {
        // not listening yet: keep polling
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`jupyterhub did not answer in ${timeoutMs} ms; log:\n${this.hubLog().slice(-3000)}`);
      await sleep(250);
    }
  }

  /** Stop the hub (SIGTERM) and wait for it to exit; servers and the proxy keep running. */
  async stopHub(): Promise<void> {
    const p = this.hub;
    if (!p) return;
    this.hub = null;
    if (p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
      p.once("exit", () => (clearTimeout(timer), resolve()));
      p.kill("SIGTERM");
    });
  }

  hubLog(): string {
    const f = path.join(this.dir, "hub.log");
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
  }

  /** Hub REST API call with the service's admin token. */
  async api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; json: T }> {
    const r = await fetch(`${this.url}hub/api${route}`, {
      method,
      headers: { ...authHeader(this.adminToken), "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: (text ? JSON.parse(text) : null) as T };
  }

  /** Create users and a token for each; each user's home gets `files` (name → content). */
  async createUsers(names: string[], files: Record<string, string> = {}): Promise<UserServer[]> {
    const r = await this.api<unknown>("POST", "/users", { usernames: names });
    if (r.status !== 201) throw new Error(`POST /users: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    const out: UserServer[] = [];
    for (const name of names) {
      const t = await this.api<{ token: string }>("POST", `/users/${name}/tokens`, { note: "classroom test", expires_in: 3600 });
      if (t.status !== 201) throw new Error(`POST /users/${name}/tokens: HTTP ${t.status} ${JSON.stringify(t.json)}`);
      const home = path.join(this.dir, "users", name);
      fs.mkdirSync(home, { recursive: true });
      for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(home, f), content);
      const u = { name, token: t.json.token, url: `${this.url}user/${name}/`, home };
      this.users.set(name, u);
      out.push(u);
    }
    return out;
  }

  /** The user's server as the hub reports it (`undefined`: not running). */
  async server(name: string): Promise<ServerModel | undefined> {
    const r = await this.api<{ servers?: Record<string, ServerModel> }>("GET", `/users/${name}`);
    if (r.status !== 200) throw new Error(`GET /users/${name}: HTTP ${r.status}`);
    return r.json.servers?.[""];
  }

  /** Ask the hub to start the user's server and wait until it is ready and reachable. */
  async startServer(name: string, timeoutMs = 240_000): Promise<void> {
    const r = await this.api<unknown>("POST", `/users/${name}/server`);
    if (r.status !== 201 && r.status !== 202) throw new Error(`POST /users/${name}/server: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    const t0 = Date.now();
    for (;;) {
      const s = await this.server(name);
      if (s?.ready) break;
      if (!s) throw new Error(`${name}'s server stopped while starting; hub log:\n${this.hubLog().slice(-3000)}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`${name}'s server not ready in ${timeoutMs} ms`);
      await sleep(300);
    }
    const u = this.users.get(name);
    if (!u) return;
    const api = await fetch(`${u.url}api/status`, { headers: authHeader(u.token) });
    if (!api.ok) throw new Error(`${u.url}api/status: HTTP ${api.status}`);
  }

  /** Wait until the hub reports the user's server as not running. */
  async waitStopped(name: string, timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    while ((await this.server(name)) !== undefined) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`hub still reports ${name}'s server after ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /** Stop every server, the hub and the proxy; remove the kernelspec and the hub dir. */
  async close(): Promise<void> {
    if (this.hub) {
      for (const name of this.users.keys()) await this.api("DELETE", `/users/${name}/server`).catch(() => undefined);
      const t0 = Date.now();
      for (const name of this.users.keys()) {
        while (Date.now() - t0 < 30_000 && (await this.server(name).catch(() => undefined)) !== undefined) await sleep(250);
      }
    }
    await this.stopHub();
    this.proxy?.kill("SIGTERM");
    this.proxy = null;
    // Anything still running from the hub dir (a server whose stop failed, its kernels) goes too.
    for (const pid of processesUnder(this.dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (this.kernelspecPrefix) {
      fs.rmSync(path.join(this.kernelspecPrefix, "share", "jupyter", "kernels", this.kernelName), { recursive: true, force: true });
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Pids of processes whose working directory is `dir` or below it. */
export function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${e}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + "/")) out.push(Number(e));
    } catch {
      // exited, or not ours to read
    }
  }
  return out;
}

/** The pid of the kernel process with this Jupyter kernel id (its connection file names it), or null. */
export function kernelPid(kernelId: string): number | null {
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8");
      if (cmd.includes(`kernel-${kernelId}.json`) && cmd.includes("reglab")) return Number(e);
    } catch {
      // exited while we looked
    }
  }
  return null;
}

/** Resident and peak resident memory of a process, in MB (from /proc/<pid>/status). */
export function memoryMB(pid: number): { rss: number; peak: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** CPU time (user + system) a process has used so far, in seconds (from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
