/**
 * Contour lines of a function sampled on a regular grid, by marching
 * squares (Lorensen & Cline 1987; the 2-D case as in Maple/Bourke's
 * "Conrec"): in each grid cell, a level crosses an edge where the corner
 * values straddle it, at the linear interpolation point
 * t = (level - z0) / (z1 - z0). Saddle cells (4 crossings) are split using
 * the mean of the 4 corners. Output: line segments, drawn as rules.
 *
 * Grid convention: z[j][i] is the value at (xs[i], ys[j]).
 */

export interface Segment {
  x: number;
  y: number;
  x2: number;
  y2: number;
  level: number;
}

/** Sample f on an n×n grid over the domains (cell centres excluded: grid points include the ends). */
export function sampleGrid(
  f: (x: number, y: number) => number,
  xDomain: [number, number],
  yDomain: [number, number],
  n: number,
): { xs: number[]; ys: number[]; z: number[][] } {
  const xs = Array.from({ length: n }, (_, i) => xDomain[0] + ((xDomain[1] - xDomain[0]) * i) / (n - 1));
  const ys = Array.from({ length: n }, (_, j) => yDomain[0] + ((yDomain[1] - yDomain[0]) * j) / (n - 1));
  const z = ys.map((y) => xs.map((x) => f(x, y)));
  return { xs, ys, z };
}

export function contourSegments(xs: number[], ys: number[], z: number[][], levels: number[]): Segment[] {
  const out: Segment[] = [];
  for (const L of levels) {
    for (let j = 0; j + 1 < ys.length; j++) {
      for (let i = 0; i + 1 < xs.length; i++) {
        const a = z[j][i];
        const b = z[j][i + 1];
        const c = z[j + 1][i + 1];
        const d = z[j + 1][i];
        if (![a, b, c, d].every(Number.isFinite)) continue;
        const x0 = xs[i];
        const x1 = xs[i + 1];
        const y0 = ys[j];
        const y1 = ys[j + 1];
        const lerp = (p: number, q: number) => (L - p) / (q - p);
        // Crossing points on edges: bottom (a-b), right (b-c), top (d-c), left (a-d).
        const pts: Record<string, [number, number]> = {};
        if (a >= L !== b >= L) pts.bottom = [x0 + lerp(a, b) * (x1 - x0), y0];
        if (b >= L !== c >= L) pts.right = [x1, y0 + lerp(b, c) * (y1 - y0)];
        if (d >= L !== c >= L) pts.top = [x0 + lerp(d, c) * (x1 - x0), y1];
        if (a >= L !== d >= L) pts.left = [x0, y0 + lerp(a, d) * (y1 - y0)];
        const keys = Object.keys(pts);
        const seg = (p: string, q: string) => out.push({ x: pts[p][0], y: pts[p][1], x2: pts[q][0], y2: pts[q][1], level: L });
        if (keys.length === 2) seg(keys[0], keys[1]);
        else if (keys.length === 4) {
          const centreHigh = (a + b + c + d) / 4 >= L;
          if (centreHigh === a >= L) {
            // a and c connect through the centre: cut off corners b and d.
            seg("bottom", "right");
            seg("top", "left");
          } else {
            seg("bottom", "left");
            seg("top", "right");
          }
        }
      }
    }
  }
  return out;
}

/** `count` levels at evenly spaced quantiles of the finite grid values. */
export function quantileLevels(z: number[][], count: number): number[] {
  const v = z
    .flat()
    .filter(Number.isFinite)
    .sort((p, q) => p - q);
  if (v.length === 0) return [];
  const levels: number[] = [];
  for (let k = 1; k <= count; k++) {
    const q = v[Math.min(v.length - 1, Math.floor((k / (count + 1)) * v.length))];
    if (levels.length === 0 || q > levels[levels.length - 1]) levels.push(q);
  }
  return levels;
}
