/**
 * Calibration of a classifier: the reliability diagram and the expected
 * calibration error (Guo et al. 2017, "On calibration of modern neural
 * networks").
 *
 * For each prediction take its confidence c_i = max_j p_ij and whether it is
 * correct. Split [0, 1] into B equal bins (bin b holds lo_b < c <= hi_b; the
 * first bin also holds c = 0). Per non-empty bin: mean confidence conf(b),
 * accuracy acc(b), count n_b. Then
 *
 *   ECE = sum_b (n_b / n) |acc(b) - conf(b)|
 *
 * A calibrated model has acc(b) = conf(b): its bars sit on the diagonal.
 * Bars below the diagonal mean overconfidence, above it underconfidence.
 */
import { Chart } from "./chart";
import { toNumbers, type NumericInput } from "./data";

export interface CalibrationBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence in the bin (NaN when empty). */
  confidence: number;
  /** Fraction correct in the bin (NaN when empty). */
  accuracy: number;
}

function checkInputs(confidence: number[], correct: number[], bins: number): void {
  if (confidence.length !== correct.length) {
    throw new Error(`calibration: ${confidence.length} confidences but ${correct.length} correctness values`);
  }
  if (!confidence.length) throw new Error("calibration: no predictions");
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`calibration: bins must be a positive integer, got ${bins}`);
  const bad = confidence.findIndex((c) => !(c >= 0 && c <= 1));
  if (bad >= 0) throw new RangeError(`calibration: confidence ${confidence[bad]} at index ${bad} is not in [0, 1]`);
  const badK = correct.findIndex((k) => k !== 0 && k !== 1);
  if (badK >= 0) throw new RangeError(`calibration: correct must be 0 or 1, got ${correct[badK]} at index ${badK}`);
}

/** Equal-width bins of the confidences with their accuracy (see module doc). */
export function calibrationBins(confidence: NumericInput, correct: NumericInput, bins = 10): CalibrationBin[] {
  const c = toNumbers(confidence, "calibration confidence");
  const k = toNumbers(correct, "calibration correct");
  checkInputs(c, k, bins);
  const count = new Array<number>(bins).fill(0);
  const sumC = new Array<number>(bins).fill(0);
  const sumK = new Array<number>(bins).fill(0);
  c.forEach((ci, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(ci * bins) - 1));
    count[b]++;
    sumC[b] += ci;
    sumK[b] += k[i];
  });
  return count.map((n, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: n,
    confidence: n ? sumC[b] / n : NaN,
    accuracy: n ? sumK[b] / n : NaN,
  }));
}

/** ECE = sum_b (n_b / n) |acc(b) - conf(b)|. */
export function expectedCalibrationError(confidence: NumericInput, correct: NumericInput, bins = 10): number {
  const rows = calibrationBins(confidence, correct, bins);
  const n = rows.reduce((s, r) => s + r.count, 0);
  return rows.reduce((s, r) => (r.count ? s + (r.count / n) * Math.abs(r.accuracy - r.confidence) : s), 0);
}

export interface ReliabilityDiagramOptions {
  bins?: number;
  title?: string;
  /** Size of each panel. */
  width?: number;
  height?: number;
}

/**
 * One reliability panel per model: bars of accuracy per confidence bin,
 * the diagonal of perfect calibration, and the ECE in the panel title.
 *
 * @example reliabilityDiagram({ hard: { confidence, correct }, smoothed: {...} })
 */
export function reliabilityDiagram(
  models: Record<string, { confidence: NumericInput; correct: NumericInput }>,
  options: ReliabilityDiagramOptions = {},
): Chart {
  const names = Object.keys(models);
  if (!names.length) throw new Error("reliabilityDiagram: give at least one model, e.g. { hard: { confidence, correct } }");
  const bins = options.bins ?? 10;
  const panels = names.map((name) => {
    const { confidence, correct } = models[name];
    const rows = calibrationBins(confidence, correct, bins).filter((r) => r.count > 0);
    const ece = expectedCalibrationError(confidence, correct, bins);
    const x = { field: "lo", type: "quantitative", bin: { binned: true, step: 1 / bins }, scale: { domain: [0, 1] }, title: "confidence" };
    return {
      title: `${name}: ECE ${ece.toFixed(3)}`,
      width: options.width ?? 220,
      height: options.height ?? 220,
      layer: [
        {
          data: { values: rows },
          mark: { type: "bar", color: "#0072B2", opacity: 0.8 },
          encoding: {
            x,
            x2: { field: "hi" },
            y: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] }, title: "accuracy" },
          },
        },
        {
          data: { values: rows },
          mark: { type: "point", color: "#D55E00", filled: true },
          encoding: { x: { field: "confidence", type: "quantitative" }, y: { field: "confidence", type: "quantitative" } },
        },
        {
          data: { values: [{ a: 0, b: 1 }] },
          mark: { type: "rule", strokeDash: [4, 4], color: "#555" },
          encoding: { x: { datum: 0, type: "quantitative" }, y: { datum: 0, type: "quantitative" }, x2: { datum: 1 }, y2: { datum: 1 } },
        },
      ],
    };
  });
  return new Chart({ title: options.title ?? "Reliability diagram (dots: mean confidence per bin; dashed: calibrated)", hconcat: panels });
}
