// A browser for DashboardIT, driven over WebDriver BiDi by Puppeteer: Firefox ESR from Debian, with
// no geckodriver (Debian 12 has none, and these machines cannot download one). The test talks to it
// on stdin/stdout, one JSON object per line:
//   -> {"id": 1, "op": "goto", "url": "..."}            <- {"id": 1, "ok": true, "value": ...}
//   ops: goto, eval (a function body, like WebDriver's executeScript, with "args"), type (selector,
//   text; "\n" presses Enter), visible (selector), screenshot (path), errors, close
// Errors come back as {"id": n, "ok": false, "error": "..."}; the bridge never exits on one.
import puppeteer from 'puppeteer-core';
import readline from 'node:readline';

const [executablePath, width, height, mobile] = process.argv.slice(2);
const profile = process.env.FORKLINE_BROWSER_PROFILE;

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath,
  headless: true,
  userDataDir: profile || undefined,
  // Nothing of the browser's own goes to the network (these machines have none; a test must not).
  extraPrefsFirefox: {
    'app.update.enabled': false,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
  },
});
const page = await browser.newPage();
await page.setViewport({
  width: Number(width), height: Number(height),
  deviceScaleFactor: mobile === 'mobile' ? 2 : 1,
});

const errors = [];
page.on('console', (m) => {
  if (m.type() === 'error') errors.push(m.text());
});
page.on('pageerror', (e) => errors.push(String(e && e.message ? e.message : e)));
page.on('requestfailed', (r) => errors.push('request failed: ' + r.url() + ' ' + (r.failure()?.errorText ?? '')));

const ops = {
  goto: async ({ url }) => { await page.goto(url, { waitUntil: 'load' }); return page.url(); },
  url: async () => page.url(),
  // The body runs as a function in the page (WebDriver's executeScript: "return ..."), its
  // arguments passed as JSON. Evaluated by the protocol, not by the page, so the page's
  // Content-Security-Policy (no eval) does not apply to it.
  eval: async ({ script, args }) => page.evaluate(`(function () {\n${script}\n}).apply(null, ${JSON.stringify(args ?? [])})`),
  type: async ({ selector, text }) => {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]) await page.type(selector, lines[i]);
      if (i < lines.length - 1) await page.keyboard.press('Enter');
    }
    return true;
  },
  visible: async ({ selector }) => page.$eval(selector, (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length)
    && getComputedStyle(e).visibility !== 'hidden'),
  screenshot: async ({ path }) => { await page.screenshot({ path }); return path; },
  errors: async () => errors.slice(),
  version: async () => browser.version(),
  close: async () => { await browser.close(); process.exit(0); },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let req;
  try {
    req = JSON.parse(line);
    const value = await ops[req.op](req);
    process.stdout.write(JSON.stringify({ id: req.id, ok: true, value: value === undefined ? null : value }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: req?.id ?? null, ok: false, error: String(e && e.message ? e.message : e) }) + '\n');
  }
});
rl.on('close', async () => { await browser.close().catch(() => {}); process.exit(0); });
process.stdout.write(JSON.stringify({ id: 0, ok: true, value: await browser.version() }) + '\n');
