/**
 * Ensemble members vs the ensemble on one metric (e.g. test accuracy of
 * each bagged model and of their averaged prediction): one bar per model,
 * the ensemble highlighted, value labels inside the bars, and a dashed rule
 * at the mean of the members (what averaging is compared with). Bars start at
 * zero unless a `domain` is given.
 */
import { Chart } from "./chart";
import { measureText } from "./font";
import { getTheme } from "./theme";

export interface EnsembleBarsOptions {
  metric?: string;
  title?: string;
  /** d3 format of value labels (default ".3f"). */
  format?: string;
  /** y domain, e.g. [0.8, 1] to zoom in on accuracies (bars then start at the lower end). */
  domain?: [number, number];
  width?: number;
  height?: number;
}

export function ensembleBars(
  members: Array<{ name: string; value: number }> | Record<string, number>,
  ensemble: number | { name?: string; value: number },
  options: EnsembleBarsOptions = {},
): Chart {
  const list = Array.isArray(members)
    ? members.map((m) => ({ name: String(m.name), value: Number(m.value) }))
    : Object.entries(members).map(([name, value]) => ({ name, value: Number(value) }));
  if (list.length === 0) throw new Error("ensembleBars: give at least one member, e.g. [{name: 'model 1', value: 0.91}]");
  const bad = list.find((m) => !Number.isFinite(m.value));
  if (bad) throw new Error(`ensembleBars: member '${bad.name}' has a non-finite value ${bad.value}`);
  const ens =
    typeof ensemble === "number" ? { name: "ensemble", value: ensemble } : { name: ensemble.name ?? "ensemble", value: ensemble.value };
  if (!Number.isFinite(ens.value)) throw new Error(`ensembleBars: ensemble value must be a finite number, got ${ens.value}`);
  if (list.some((m) => m.name === ens.name))
    throw new Error(`ensembleBars: a member is also named '${ens.name}'; rename it or pass {name, value} for the ensemble`);
  const mean = list.reduce((a, m) => a + m.value, 0) / list.length;
  const metric = options.metric ?? "metric";
  const rows = [...list.map((m) => ({ ...m, kind: "member" })), { ...ens, kind: "ensemble" }];
  const order = rows.map((r) => r.name);
  const fmt = options.format ?? ".3f";
  const width = options.width ?? Math.min(640, 70 * rows.length + 40);
  // Tilt the labels when the widest one does not fit its bar's slot (vega would drop every other one).
  const widest = Math.max(...order.map((n) => measureText(n, getTheme().labelFontSize)));
  const rotate = list.length > 6 || widest + 8 > width / rows.length;
  const y: Record<string, unknown> = { field: "value", type: "quantitative", title: metric };
  if (options.domain) y.scale = { domain: options.domain, zero: false, clamp: true };
  const spec: Record<string, unknown> = {
    // The mean goes in the subtitle: a label on the rule would collide with the bar labels.
    title: { text: options.title ?? `Members vs ensemble: ${metric}`, subtitle: `dashed line: mean of members = ${format3(mean)}` },
    data: { values: rows },
    layer: [
      {
        mark: { type: "bar", clip: true },
        encoding: {
          x: {
            field: "name",
            type: "nominal",
            sort: order,
            title: null,
            axis: rotate ? { labelAngle: -40, labelOverlap: false } : { labelAngle: 0 },
          },
          y,
          color: {
            field: "kind",
            type: "nominal",
            title: null,
            sort: ["member", "ensemble"],
            scale: { domain: ["member", "ensemble"], range: ["#56B4E9", "#D55E00"] },
          },
          tooltip: [
            { field: "name", type: "nominal" },
            { field: "value", type: "quantitative", format: ".4g" },
          ],
        },
      },
      {
        // Labels sit inside the bars at their base, clear of the mean rule (which runs near the bar tops).
        mark: { type: "text", baseline: "bottom", dy: -6, fontSize: 13, color: "white", fontWeight: "bold" },
        encoding: {
          x: { field: "name", type: "nominal", sort: order },
          y: { datum: options.domain ? options.domain[0] : 0 },
          text: { field: "value", type: "quantitative", format: fmt },
        },
      },
      {
        data: { values: [{ mean }] },
        mark: { type: "rule", strokeDash: [6, 4], color: "#333333", strokeWidth: 2 },
        encoding: { y: { field: "mean", type: "quantitative" } },
      },
    ],
  };
  spec.width = width;
  if (options.height) spec.height = options.height;
  return new Chart(spec);
}

function format3(v: number): string {
  return Number(v.toPrecision(4)).toString();
}
