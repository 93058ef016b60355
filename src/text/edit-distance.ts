/**
 * How far apart two words are, for "did you mean" suggestions (magic names,
 * chart option names).
 */

/**
 * Damerau-Levenshtein distance in its optimal-string-alignment form:
 * insert, delete, substitute, or swap two neighbouring characters, each
 * cost 1 (no substring is edited twice). Damerau, "A technique for computer
 * detection and correction of spelling errors", CACM 7(3), 1964.
 */
export function damerauDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
