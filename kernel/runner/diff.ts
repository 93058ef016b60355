/**
 * A line-based unified diff (as `diff -u`), short by design: common prefix
 * and suffix are trimmed first, the rest is aligned by a longest common
 * subsequence when small enough (otherwise shown as one replaced block),
 * and the output is capped.
 */

type Op = { kind: " " | "-" | "+"; line: string };

function align(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  if (n * m > 4_000_000) return [...a.map((line) => ({ kind: "-" as const, line })), ...b.map((line) => ({ kind: "+" as const, line }))];
  // lcs[i][j] = LCS length of a[i:] and b[j:], one flat array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: " ", line: a[i++] }), j++;
    else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) ops.push({ kind: "-", line: a[i++] });
    else ops.push({ kind: "+", line: b[j++] });
  }
  return ops;
}

/**
 * Unified diff of `a` → `b` with `context` lines around changes, at most
 * `maxLines` lines of hunks (then a "… N more lines" marker). Empty when equal.
 */
export function unifiedDiff(a: string[], b: string[], labels: [string, string], context = 2, maxLines = 40): string[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  if (pre === a.length && pre === b.length) return [];
  const ops: Op[] = [
    ...a.slice(0, pre).map((line) => ({ kind: " " as const, line })),
    ...align(a.slice(pre, a.length - suf), b.slice(pre, b.length - suf)),
    ...a.slice(a.length - suf).map((line) => ({ kind: " " as const, line })),
  ];
  // Hunks: runs of changes with up to 2*context unchanged lines between them merge.
  const out: string[] = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  let k = 0;
  let ai = 0;
  let bi = 0;
  const body: string[] = [];
  while (k < ops.length) {
    if (ops[k].kind === " ") {
      k++, ai++, bi++;
      continue;
    }
    const start = Math.max(0, k - context);
    let last = k;
    for (let t = k + 1; t < ops.length && t - last <= 2 * context + 1; t++) if (ops[t].kind !== " ") last = t;
    const end = Math.min(ops.length, last + 1 + context);
    const back = k - start;
    const a0 = ai - back;
    const b0 = bi - back;
    const hunk = ops.slice(start, end);
    const na = hunk.filter((o) => o.kind !== "+").length;
    const nb = hunk.filter((o) => o.kind !== "-").length;
    body.push(`@@ -${a0 + 1},${na} +${b0 + 1},${nb} @@`, ...hunk.map((o) => o.kind + o.line));
    for (let t = k; t < end; t++) {
      if (ops[t].kind !== "+") ai++;
      if (ops[t].kind !== "-") bi++;
    }
    k = end;
  }
  if (body.length > maxLines) return [...out, ...body.slice(0, maxLines), `… ${body.length - maxLines} more diff lines`];
  return [...out, ...body];
}
