// Time from navigation to body[data-hydrated="true"] in headless Chromium
// (Debian's), with the Playwright installed in end2end/node_modules.
// Usage: node bench/hydration.js URL [LOADS]. Each load gets a fresh
// browser context (empty cache). Prints one JSON line:
// {"loads":N,"hydrated_ms":[...],"median_hydrated_ms":x,"median_load_ms":y,...}
const path = require('path');
const root = path.join(__dirname, '..', 'end2end', 'node_modules');
let chromium;
try {
  ({ chromium } = require(path.join(root, '@playwright', 'test')));
} catch {
  ({ chromium } = require(path.join(root, 'playwright-core')));
}

const url = process.argv[2];
const loads = Number(process.argv[3] || 10);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const hydrated = [];
  const loaded = [];
  const errors = [];
  try {
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(String(e)));
      // performance.now() counts from the start of the navigation.
      await page.addInitScript(() => {
        new MutationObserver((_, observer) => {
          if (document.body && document.body.getAttribute('data-hydrated') === 'true') {
            window.__benchHydratedAt = performance.now();
            observer.disconnect();
          }
        }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
      });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30000 });
      const t = await page.evaluate(() => ({
        hydrated: window.__benchHydratedAt,
        load: performance.getEntriesByType('navigation')[0].loadEventEnd,
      }));
      hydrated.push(t.hydrated);
      loaded.push(t.load);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const round = (x) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({
    loads,
    hydrated_ms: hydrated.map(round),
    load_event_ms: loaded.map(round),
    median_hydrated_ms: round(median(hydrated)),
    median_load_ms: round(median(loaded)),
    page_errors: errors.length,
  }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
