/** Number formats shared by the magics, matching IPython's where it has one. */

/**
 * IPython's `_format_time`: 3 significant digits in s, ms, µs or ns
 * (`"%.*g %s"`), and `XminYs`-style for a minute or more.
 */
export function formatTime(seconds: number, precision = 3): string {
  if (seconds >= 60) {
    const parts: Array<[string, number]> = [
      ["d", 86400],
      ["h", 3600],
      ["min", 60],
      ["s", 1],
    ];
    let left = seconds;
    const out: string[] = [];
    for (const [suffix, len] of parts) {
      const v = Math.floor(left / len);
      if (v > 0) {
        out.push(`${v}${suffix}`);
        left -= v * len;
      }
      if (left < 1) break;
    }
    return out.join(" ");
  }
  const units = ["s", "ms", "µs", "ns"];
  const order = seconds > 0 ? Math.min(-Math.floor(Math.floor(Math.log10(seconds)) / 3), 3) : 3;
  return `${formatG(seconds * 10 ** (3 * order), precision)} ${units[Math.max(0, order)]}`;
}

/** C's `%.*g`: `precision` significant digits, trailing zeros removed. */
export function formatG(x: number, precision: number): string {
  if (x === 0) return "0";
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= precision) {
    const [m, e] = x.toExponential(precision - 1).split("e");
    const mant = m.includes(".") ? m.replace(/\.?0+$/, "") : m;
    const ei = Number(e);
    return `${mant}e${ei < 0 ? "-" : "+"}${String(Math.abs(ei)).padStart(2, "0")}`;
  }
  const s = x.toFixed(Math.max(0, precision - 1 - exp));
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** Bytes as B, KiB, MiB, GiB (1 decimal above bytes). */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
