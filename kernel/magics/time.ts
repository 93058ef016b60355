/**
 * `%time` / `%%time`: run once and report CPU and wall time, like IPython:
 *
 *     CPU times: user 1.2 ms, sys: 0 ns, total: 1.2 ms
 *     Wall time: 1.31 ms
 *
 * CPU time is `process.cpuUsage()` (the whole kernel process, like IPython's
 * resource-based numbers); wall time is `process.hrtime.bigint()`. The
 * cell's value is passed through. Times include tslab's compile step.
 */
import type { CellOutcome } from "../execution/types";
import { codeMagics } from "./forms";
import type { Magic, MagicContext } from "./registry";
import { formatTime } from "./format";

async function timeOnce(code: string, ctx: MagicContext): Promise<CellOutcome> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = await ctx.run(code);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const user = cpu.user / 1e6;
  const sys = cpu.system / 1e6;
  ctx.io.stdout(
    `CPU times: user ${formatTime(user)}, sys: ${formatTime(sys)}, total: ${formatTime(user + sys)}\nWall time: ${formatTime(wall)}\n`,
  );
  return out;
}

const HELP = "Time the execution of a statement or cell once (CPU and wall time). The value of the last expression is returned.";

export const timeMagics: Magic[] = codeMagics({
  name: "time",
  help: HELP,
  arg: "statement",
  missing: "a statement to time",
  body: "<cell body>",
  bodyIsCode: true,
  detail: (args) => `, got "${args}"`,
  run: timeOnce,
});
