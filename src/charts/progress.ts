/**
 * Live training progress: one notebook output updated in place, or a few
 * plain lines when headless.
 *
 * Conventions:
 * - `epoch` and `batch` indices are 0-based, as in tfjs `onEpochEnd` /
 *   `onBatchEnd` callbacks; they are shown 1-based ("epoch 3/10").
 * - In a kernel (a display sink and not REGLAB_HEADLESS=1) the first render
 *   is a `display_data` with `transient.display_id`; later renders are
 *   `update_display_data` on that id, at most 2 per second (the final state
 *   is always rendered).
 * - Headless: console.log at the first epoch that reaches 25/50/75/100 % of
 *   the epochs, plus one final line from `done()`.
 * - ETA = elapsed / fraction done - elapsed, with fraction done counted in
 *   batches when `batchesPerEpoch` is known, else in epochs.
 * - With `liveChart`, while training the HTML shows the bar, the metrics
 *   and a PNG of the learning curves; the final state is the chart bundle
 *   (vega-lite + PNG + text) with the summary in its subtitle, so that
 *   JupyterLab draws it interactively (it would prefer text/html over
 *   vega-lite if both were present).
 */
import { publish, isHeadless, type MimeBundle } from "../display/transport";
import { progressChart } from "./progress-chart";
import { escapeHtml } from "../display/html";

export interface ProgressOptions {
  epochs: number;
  batchesPerEpoch?: number;
  title?: string;
  liveChart?: boolean;
  metrics?: string[];
}

/** Minimum time between two in-place updates (ms): at most 2 per second. */
const MIN_INTERVAL_MS = 500;

let displayCounter = 0;

/** A display id that does not draw from Math.random (it may be seeded). */
function newDisplayId(): string {
  displayCounter += 1;
  return `reglab-progress-${process.pid}-${Date.now().toString(36)}-${displayCounter}`;
}

/** 4 significant digits, like the tables. */
export function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(4)));
  return v.toExponential(3);
}

/** "1:05", "12.3 s", "1:02:03". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}


export class TrainingProgress {
  private readonly epochs: number;
  private readonly batchesPerEpoch: number | undefined;
  private readonly title: string;
  private readonly liveChart: boolean;
  private readonly metricNames: string[] | undefined;
  private readonly headless: boolean;
  private readonly displayId = newDisplayId();
  private readonly start = Date.now();
  private published = false;
  private lastRender = 0;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  private curEpoch = 0; // 0-based epoch in progress
  private curBatch = -1; // last finished batch in curEpoch
  private epochsDone = 0;
  private logs: Record<string, number> = {};
  private readonly history: Array<Record<string, number>> = [];
  private lastMilestone = 0;
  /** Number of times a display was published (for tests and diagnostics). */
  renders = 0;

  constructor(options: ProgressOptions) {
    if (!options || !Number.isInteger(options.epochs) || options.epochs < 1) {
      throw new Error(`TrainingProgress: options.epochs must be a positive integer, got ${options?.epochs}`);
    }
    if (options.batchesPerEpoch !== undefined && (!Number.isInteger(options.batchesPerEpoch) || options.batchesPerEpoch < 1)) {
      throw new Error(`TrainingProgress: options.batchesPerEpoch must be a positive integer, got ${options.batchesPerEpoch}`);
    }
    this.epochs = options.epochs;
    this.batchesPerEpoch = options.batchesPerEpoch;
    this.title = options.title ?? "Training";
    this.liveChart = options.liveChart ?? false;
    this.metricNames = options.metrics;
    this.headless = isHeadless();
  }

  /** After each batch. Cheap: stores the state and at most schedules a render. */
  batch(epoch: number, batch: number, logs: Record<string, number>): void {
    if (this.finished) return;
    this.curEpoch = epoch;
    this.curBatch = batch;
    this.logs = { ...this.logs, ...logs };
    if (!this.headless) this.requestRender();
  }

  /** After each epoch, with that epoch's logs (loss, val_loss, metrics...). */
  epoch(epoch: number, logs: Record<string, number>): void {
    if (this.finished) return;
    this.epochsDone = Math.max(this.epochsDone, epoch + 1);
    this.curEpoch = epoch + 1;
    this.curBatch = -1;
    this.logs = { ...logs };
    this.history.push({ epoch: epoch + 1, ...logs });
    if (this.headless) {
      const milestone = Math.floor((4 * this.epochsDone) / this.epochs);
      if (milestone > this.lastMilestone) {
        this.lastMilestone = milestone;
        console.log(this.textLine());
      }
      return;
    }
    this.requestRender();
  }

  /** Final state: stops timers and always renders. Idempotent. */
  done(logs?: Record<string, number>): void {
    if (this.finished) return;
    this.finished = true;
    if (logs) this.logs = { ...this.logs, ...logs };
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.headless) {
      console.log(
        `${this.title}: done, ${this.epochsDone} epochs in ${formatDuration(Date.now() - this.start)}${this.metricsText(" — ")}`,
      );
      return;
    }
    this.render();
  }

  /** The epoch-level history recorded so far (epochs 1-based). */
  getHistory(): Array<Record<string, number>> {
    return this.history.map((r) => ({ ...r }));
  }

  private fraction(): number {
    if (this.finished) return Math.min(1, this.epochsDone / this.epochs) || 0;
    let f = this.epochsDone / this.epochs;
    if (this.batchesPerEpoch && this.curBatch >= 0) {
      f = (this.curEpoch + (this.curBatch + 1) / this.batchesPerEpoch) / this.epochs;
    }
    return Math.max(0, Math.min(1, f));
  }

  private shownMetrics(): Array<[string, number]> {
    const names = this.metricNames ?? Object.keys(this.logs).filter((k) => k !== "batch" && k !== "size" && k !== "epoch");
    return names.filter((k) => typeof this.logs[k] === "number").map((k) => [k, this.logs[k]]);
  }

  private metricsText(prefix: string): string {
    const m = this.shownMetrics();
    return m.length ? prefix + m.map(([k, v]) => `${k} ${formatMetric(v)}`).join(", ") : "";
  }

  private timing(): { elapsed: number; eta: number } {
    const elapsed = Date.now() - this.start;
    const f = this.fraction();
    return { elapsed, eta: f > 0 ? elapsed / f - elapsed : Number.NaN };
  }

  private textLine(withTitle = true): string {
    const f = this.fraction();
    const { elapsed, eta } = this.timing();
    const width = 20;
    const filled = Math.round(f * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const shownEpoch = Math.min(
      this.epochs,
      this.finished ? this.epochsDone : Math.max(this.epochsDone, this.curEpoch + (this.curBatch >= 0 ? 1 : 0)),
    );
    const batchPart =
      !this.finished && this.batchesPerEpoch && this.curBatch >= 0 ? ` batch ${this.curBatch + 1}/${this.batchesPerEpoch}` : "";
    const etaPart = this.finished || f >= 1 ? "" : `, ETA ${formatDuration(eta)}`;
    return `${withTitle ? `${this.title} [${bar}] ` : ""}${Math.round(f * 100)}% epoch ${shownEpoch}/${this.epochs}${batchPart}` +
      ` | ${formatDuration(elapsed)}${etaPart}${this.metricsText(" | ")}`;
  }

  private html(png?: { base64: string; width: number }): string {
    const f = this.fraction();
    const { elapsed, eta } = this.timing();
    const pct = Math.round(f * 1000) / 10;
    const status = this.finished ? "done" : `ETA ${formatDuration(eta)}`;
    const shownEpoch = Math.min(
      this.epochs,
      this.finished ? this.epochsDone : Math.max(this.epochsDone, this.curEpoch + (this.curBatch >= 0 ? 1 : 0)),
    );
    const batchPart =
      !this.finished && this.batchesPerEpoch && this.curBatch >= 0 ? `, batch ${this.curBatch + 1}/${this.batchesPerEpoch}` : "";
    const cells = this.shownMetrics()
      .map(([k, v]) => `<td style="padding:0 12px 0 0"><b>${escapeHtml(k)}</b> ${escapeHtml(formatMetric(v))}</td>`)
      .join("");
    // The PNG is at 2x density: show it at its logical width.
    const img = png
      ? `<div><img src="data:image/png;base64,${png.base64}" width="${png.width}" style="max-width:100%" alt="learning curves"/></div>`
      : "";
    return (
      `<div style="font-family:sans-serif;font-size:13px;line-height:1.5">` +
      `<div><b>${escapeHtml(this.title)}</b> — epoch ${shownEpoch}/${this.epochs}${batchPart}` +
      ` · ${formatDuration(elapsed)} · ${status}</div>` +
      `<div style="width:320px;height:10px;background:#e5e5e5;border-radius:3px;overflow:hidden">` +
      `<div style="width:${pct}%;height:100%;background:#0072B2"></div></div>` +
      (cells ? `<table style="border:none;margin:2px 0"><tr>${cells}</tr></table>` : "") +
      img +
      `</div>`
    );
  }

  private requestRender(): void {
    const now = Date.now();
    const wait = this.lastRender + MIN_INTERVAL_MS - now;
    if (wait <= 0 && !this.timer) {
      this.render();
      return;
    }
    if (!this.timer) {
      // Trailing update so that the latest state shows even if training pauses.
      this.timer = setTimeout(
        () => {
          this.timer = null;
          if (!this.finished) this.render();
        },
        Math.max(wait, 0),
      );
      this.timer.unref();
    }
  }

  private render(): void {
    this.lastRender = Date.now();
    let data: MimeBundle;
    let metadata: Record<string, unknown> = {};
    const text = this.textLine();
    if (this.liveChart && this.history.length > 0) {
      const subtitle = this.finished ? this.textLine(false) : undefined;
      const chart = progressChart(this.history, this.title, subtitle);
      if (this.finished) {
        const bundle = chart.bundle();
        data = { ...bundle.data, "text/plain": text };
        metadata = bundle.metadata;
      } else {
        const png = chart.pngBase64OrNull();
        data = { "text/html": this.html(png === null ? undefined : { base64: png, width: chart.size().width }), "text/plain": text };
      }
    } else {
      data = { "text/html": this.html(), "text/plain": text };
    }
    const update = this.published;
    this.published = true;
    this.renders += 1;
    publish({ data, metadata, transient: { display_id: this.displayId } }, update);
  }
}
