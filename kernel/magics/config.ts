/**
 * `%config Chart.key=value`: chart theme settings (src/charts `setTheme`).
 * Without arguments, prints the current theme.
 */
import { UsageError } from "../options";
import { settingsMagic, unquote } from "./forms";
import type { Magic } from "./registry";

const USAGE = "%config [Chart.key=value]   e.g. %config Chart.width=800";

function charts(): typeof import("../../src/charts") {
  return require("../../src/charts") as typeof import("../../src/charts");
}

export const configMagic: Magic = settingsMagic({
  name: "config",
  usage: USAGE,
  help:
    "Set a chart theme option for every chart made afterwards (Chart.width, Chart.height, Chart.labelFontSize, " +
    "Chart.pngScale, Chart.background, ...). Without arguments, list the current values.",
  list: () => Object.entries(charts().getTheme()).map(([k, v]) => `Chart.${k} = ${JSON.stringify(v)}`),
  set(a, ctx) {
    const c = charts();
    const m = /^Chart\.([A-Za-z]+)\s*=\s*(.+)$/.exec(a);
    if (!m) throw new UsageError(`cannot parse "${a}".\nUsage: ${USAGE}`);
    let value: unknown;
    try {
      value = JSON.parse(m[2]);
    } catch {
      value = unquote(m[2]);
    }
    try {
      c.setTheme({ [m[1]]: value } as Parameters<typeof c.setTheme>[0]);
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\nUsage: ${USAGE}`);
    }
    ctx.io.stdout(`Chart.${m[1]} = ${JSON.stringify(value)}\n`);
  },
});
