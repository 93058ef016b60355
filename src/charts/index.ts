// Public API of src/charts: re-export each module here.
export { Chart, chart, show, applyTheme, VEGALITE_MIME, type ChartBundle, type BundleOptions } from "./chart";
export { compileSpec, vegaToSVG, svgToPNG, pngSize, type VegaLiteSpec } from "./render";
export { setTheme, getTheme, resetTheme, themeConfig, OKABE_ITO, CATEGORY_COLORS, type ChartTheme } from "./theme";
export { measureText, fontFiles, FONT_FAMILY } from "./font";
export { learningCurves, type LearningCurvesOptions, type Run } from "./learning-curves";
export { TrainingProgress, type ProgressOptions } from "./progress";
export type { NumericInput, MatrixInput } from "./data";
