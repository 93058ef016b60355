/** Headless Chromium for the front-end tests (Debian's, driven by playwright-core). */
export const CHROMIUM = "/usr/bin/chromium";
/** Headless, no sandbox (root in CI), and none of the background traffic an offline machine cannot answer. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Poll a browser front end's `state` once a second until `quiet(state)` holds
 * twice in a row (a cell's reply and the next cell's start can leave a short
 * gap). After `limitMs`, screenshot the page as `<shot>-timeout.png` and throw.
 */
export async function waitUntilQuiet<T>(
  page: { screenshot(o: { path: string }): Promise<unknown> },
  opts: { name: string; shot: string; limitMs: number },
  state: () => Promise<T>,
  quiet: (s: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + opts.limitMs;
  let seen = 0;
  let last = await state();
  while (seen < 2) {
    if (Date.now() > deadline) {
      await page.screenshot({ path: `${opts.shot}-timeout.png` });
      throw new Error(`${opts.name}: still running after ${opts.limitMs / 1000} s: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    last = await state();
    seen = quiet(last) ? seen + 1 : 0;
  }
  return last;
}
