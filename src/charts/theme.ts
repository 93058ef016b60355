/**
 * The chart theme for lecture slides, set once per notebook.
 *
 * Defaults: 640x360 plot, labels 14 px, titles 16-18 px (at 1x; the PNG is
 * rendered at 2x), the Okabe-Ito colour-blind-safe palette (Okabe & Ito,
 * "Color Universal Design", 2002; black moved last), the shipped DejaVu
 * Sans font. The config only uses keys vega-lite 5.6 accepts.
 */
import { FONT_FAMILY } from "./font";

/** Okabe-Ito palette (orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple, black). */
export const OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"];

/** The order used for categories: strong contrasts first (yellow is weak on white). */
export const CATEGORY_COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

export interface ChartTheme {
  /** Plot width in px (1x). */
  width: number;
  /** Plot height in px (1x). */
  height: number;
  /** Axis/legend label size in px. */
  labelFontSize: number;
  /** Axis/legend title size in px. */
  titleFontSize: number;
  /** Chart title size in px. */
  chartTitleFontSize: number;
  /** Categorical colours. */
  palette: string[];
  /** Font family list; the first one is what the PNG uses. */
  font: string;
  /** PNG density (device pixels per logical pixel). */
  pngScale: number;
  /** Background colour. */
  background: string;
}

const DEFAULT_THEME: ChartTheme = {
  width: 640,
  height: 360,
  labelFontSize: 14,
  titleFontSize: 15,
  chartTitleFontSize: 18,
  palette: CATEGORY_COLORS,
  font: `${FONT_FAMILY}, Verdana, Arial, sans-serif`,
  pngScale: 2,
  background: "white",
};

let current: ChartTheme = { ...DEFAULT_THEME };

/** Change the theme for every chart made afterwards. Unknown keys are an error. */
export function setTheme(patch: Partial<ChartTheme>): ChartTheme {
  for (const key of Object.keys(patch)) {
    if (!(key in DEFAULT_THEME)) {
      throw new Error(`setTheme: unknown option '${key}'; known options: ${Object.keys(DEFAULT_THEME).join(", ")}`);
    }
  }
  const next = { ...current, ...patch };
  for (const k of ["width", "height", "labelFontSize", "titleFontSize", "chartTitleFontSize", "pngScale"] as const) {
    if (!(Number.isFinite(next[k]) && next[k] > 0)) throw new Error(`setTheme: ${k} must be a positive number, got ${next[k]}`);
  }
  if (!Array.isArray(next.palette) || next.palette.length === 0) throw new Error("setTheme: palette must be a non-empty array of colours");
  current = next;
  return { ...current };
}

/** Back to the defaults. */
export function resetTheme(): void {
  current = { ...DEFAULT_THEME };
}

export function getTheme(): ChartTheme {
  return { ...current };
}

/** The vega-lite `config` block for a theme. */
export function themeConfig(theme: ChartTheme = current): Record<string, unknown> {
  const { font, labelFontSize: label, titleFontSize: title } = theme;
  return {
    font,
    background: theme.background,
    padding: 8,
    view: { stroke: "#bbbbbb" },
    title: { fontSize: theme.chartTitleFontSize, subtitleFontSize: label, anchor: "start", font, subtitleFont: font, offset: 8 },
    axis: {
      labelFontSize: label,
      titleFontSize: title,
      labelFont: font,
      titleFont: font,
      titleFontWeight: "normal",
      gridColor: "#e6e6e6",
      domainColor: "#888888",
      tickColor: "#888888",
      labelColor: "#222222",
      titleColor: "#222222",
      titlePadding: 8,
      labelOverlap: "greedy",
      labelSeparation: 6,
    },
    legend: {
      labelFontSize: label,
      titleFontSize: title,
      labelFont: font,
      titleFont: font,
      titleFontWeight: "normal",
      symbolSize: 120,
      labelLimit: 260,
    },
    header: { labelFontSize: label, titleFontSize: title, labelFont: font, titleFont: font },
    text: { font, fontSize: label },
    range: { category: theme.palette },
    line: { strokeWidth: 2.5 },
    point: { size: 50 },
    rule: { strokeWidth: 1.5 },
  };
}
