/**
 * Sanitizers for `reglab check`: regex → replacement rules applied to every
 * text an output carries (stream text, text MIME data, strings inside JSON
 * data such as chart specs, error messages and tracebacks) before the
 * committed and the fresh outputs are compared. They mask what legitimately
 * varies between runs and nothing else; numbers in results and chart data
 * are compared exactly (same seed, same numbers on the same backend).
 *
 * Rules are applied in order, each with the flags "gmu" (so `^`/`$` are line
 * anchors). A notebook adds its own after the defaults in its metadata:
 *   "reglab": {"check": {"sanitize": {"<regex>": "<replacement>", ...}}}
 */

export interface Sanitizer {
  /** The regex source, as written (for messages). */
  source: string;
  pattern: RegExp;
  replacement: string;
}

/** The defaults: reglab's own run-to-run variation (timings, %time/%timeit, ETA, paths, dates). */
export const DEFAULT_SANITIZE: ReadonlyArray<readonly [string, string]> = [
  // %timeit: the summary line (its loop count is chosen from a trial run's duration) and its
  // "slowest run" warning, which appears or not depending on timing alone.
  ["^.* per loop \\(mean ± std\\. dev\\. of .*\\)$", "<timeit>"],
  ["^The slowest run took [\\d.]+ times longer than the fastest\\..*(\\n|$)", ""],
  // %time
  ["^CPU times: .*$", "CPU times: <time>"],
  ["^Wall time: .*$", "Wall time: <time>"],
  // Durations ("12.3 ms", "0.1 s", "2 min") — progress lines' elapsed time and ETA included.
  ["(?<![\\p{L}\\d.])\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?\\s?(?:ns|µs|μs|us|ms|s|sec|secs|seconds?|min|minutes?|h)(?![\\p{L}\\d])", "<time>"],
  ["\\b(ETA|elapsed)\\s*:?\\s*(?:\\d+:)?\\d+:\\d\\d\\b", "$1 <time>"],
  // Dates and times of day (ISO 8601).
  ["\\b\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2})?)?\\b", "<date>"],
  // Absolute paths (the checkout, temp dirs and home differ between machines).
  ["(?<![\\p{L}\\d.:/~<-])/(?:[\\p{L}\\d._@+-]+/)+[\\p{L}\\d._@+-]*", "<path>"],
];

export class SanitizeError extends Error {}

function compile(source: string, replacement: string, where: string): Sanitizer {
  try {
    return { source, pattern: new RegExp(source, "gmu"), replacement };
  } catch (e) {
    throw new SanitizeError(`${where}: invalid regular expression ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
}

/** The defaults followed by the notebook's own rules from `metadata.reglab.check.sanitize`. */
export function sanitizersFor(metadata: Record<string, unknown>, file: string): Sanitizer[] {
  const rules = DEFAULT_SANITIZE.map(([s, r]) => compile(s, r, "default sanitizer"));
  const reglab = metadata.reglab as { check?: { sanitize?: unknown } } | undefined;
  const own = reglab?.check?.sanitize;
  if (own === undefined) return rules;
  const where = `${file}: metadata reglab.check.sanitize`;
  if (own === null || typeof own !== "object" || Array.isArray(own)) {
    throw new SanitizeError(`${where} must be an object of "regex": "replacement" pairs, got ${JSON.stringify(own)}`);
  }
  for (const [source, replacement] of Object.entries(own as Record<string, unknown>)) {
    if (typeof replacement !== "string")
      throw new SanitizeError(`${where}: the replacement for ${JSON.stringify(source)} must be a string`);
    rules.push(compile(source, replacement, where));
  }
  return rules;
}

export function sanitize(text: string, rules: readonly Sanitizer[]): string {
  let t = text;
  for (const r of rules) t = t.replace(r.pattern, r.replacement);
  return t;
}

/** Sanitize every string inside a JSON value (keys are left alone). */
export function sanitizeJson(value: unknown, rules: readonly Sanitizer[]): unknown {
  if (typeof value === "string") return sanitize(value, rules);
  if (Array.isArray(value)) return value.map((v) => sanitizeJson(v, rules));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = sanitizeJson(v, rules);
    return out;
  }
  return value;
}
