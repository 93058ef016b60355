/**
 * `%sh cmd` and `%%sh`: run with `bash -c` in the kernel's cwd and env,
 * streaming stdout and stderr to the cell as they come. A non-zero exit is
 * a CalledProcessError (as Python's subprocess names it); interrupting the
 * cell sends SIGINT to the command (then SIGKILL after 2 s).
 */
import { spawn } from "child_process";
import { MagicError } from "./errors";
import { codeMagics } from "./forms";
import type { Magic, MagicContext } from "./registry";

export async function runShell(cmd: string, ctx: MagicContext): Promise<void> {
  const child = spawn("bash", ["-c", cmd], { cwd: process.cwd(), env: process.env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (s: string) => ctx.io.stdout(s));
  child.stderr.on("data", (s: string) => ctx.io.stderr(s));
  let killTimer: NodeJS.Timeout | null = null;
  const off = ctx.onInterrupt(() => {
    child.kill("SIGINT");
    killTimer = setTimeout(() => child.kill("SIGKILL"), 2000);
  });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal }));
    });
    if (ctx.interrupted()) throw new MagicError("KeyboardInterrupt", `interrupted: ${cmd}`);
    if (signal) throw new MagicError("CalledProcessError", `Command '${cmd}' died with ${signal}.`);
    if (code !== 0) throw new MagicError("CalledProcessError", `Command '${cmd}' returned non-zero exit status ${code}.`);
  } finally {
    off();
    if (killTimer) clearTimeout(killTimer);
  }
}

const HELP = "Run a shell command (bash -c) and stream its output. A non-zero exit status is an error (CalledProcessError).";

export const shellMagics: Magic[] = codeMagics({
  name: "sh",
  help: HELP,
  arg: "command",
  missing: "a command",
  body: "<bash script>",
  detail: () => " (put the script in the cell)",
  run: runShell,
});
