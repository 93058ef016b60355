// Public API of src/charts: re-export each module here.
export { Chart, chart, show, applyTheme, VEGALITE_MIME, type ChartBundle, type BundleOptions } from "./chart";
export { compileSpec, vegaToSVG, svgToPNG, pngSize, type VegaLiteSpec } from "./render";
export { setTheme, getTheme, resetTheme, themeConfig, OKABE_ITO, CATEGORY_COLORS, type ChartTheme } from "./theme";
export { measureText, fontFiles, FONT_FAMILY } from "./font";
export { save, save as saveChart, chartHtml } from "./save";
export { layer, hconcat, vconcat, facet, type ComposeOptions, type FacetOptions } from "./compose";
export { learningCurves, type LearningCurvesOptions, type Run } from "./learning-curves";
export { sweepChart, aggregateSweep, sweepRows, type SweepOptions, type SweepRow, type FrameLike } from "./sweep";
export { weightHistogram, heatmap, countZeros, type WeightSet, type WeightHistogramOptions, type HeatmapOptions } from "./weights";
export { decisionBoundary, type DecisionBoundaryOptions, type PredictFn } from "./boundary";
export { lossContours, type LossContoursOptions, type Surface } from "./contours";
export { ensembleBars, type EnsembleBarsOptions } from "./ensemble";
export { dotPlot, type DotPlotOptions, type DotPlotRow } from "./dot-plot";
export { imageGrid, type ImageGridOptions } from "./image-grid";
export {
  reliabilityDiagram,
  calibrationBins,
  expectedCalibrationError,
  type CalibrationBin,
  type ReliabilityDiagramOptions,
} from "./reliability";
export { TrainingProgress, type ProgressOptions } from "./progress";
export type { NumericInput, MatrixInput } from "./data";
