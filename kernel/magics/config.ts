/**
 * `%config Chart.key=value`: chart theme settings (src/charts `setTheme`).
 * Without arguments, prints the current theme.
 */
import { MagicError, UsageError } from "./errors";
import type { Magic } from "./registry";

const USAGE = "%config [Chart.key=value]   e.g. %config Chart.width=800";

export const configMagic: Magic = {
  kind: "line",
  name: "config",
  usage: USAGE,
  help: "Set a chart theme option for every chart made afterwards (Chart.width, Chart.height, Chart.labelFontSize, Chart.pngScale, Chart.background, ...). Without arguments, list the current values.",
  async run(args, ctx) {
    const charts = require("../../src/charts") as typeof import("../../src/charts");
    const a = args.trim();
    if (!a) {
      const theme = charts.getTheme() as unknown as Record<string, unknown>;
      ctx.io.stdout(
        Object.entries(theme)
          .map(([k, v]) => `Chart.${k} = ${JSON.stringify(v)}`)
          .join("\n") + "\n",
      );
      return;
    }
    const m = /^Chart\.([A-Za-z]+)\s*=\s*(.+)$/.exec(a);
    if (!m) throw new UsageError(`cannot parse "${a}".\nUsage: ${USAGE}`);
    let value: unknown;
    try {
      value = JSON.parse(m[2]);
    } catch {
      value = m[2].replace(/^(['"])(.*)\1$/, "$2");
    }
    try {
      charts.setTheme({ [m[1]]: value } as Parameters<typeof charts.setTheme>[0]);
    } catch (e) {
      throw new MagicError("UsageError", `${(e as Error).message}\nUsage: ${USAGE}`);
    }
    ctx.io.stdout(`Chart.${m[1]} = ${JSON.stringify(value)}\n`);
  },
};
