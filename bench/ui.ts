import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { uiAssets } from '../api/routes/ui.ts';

/**
 * The dashboard's rendering speed in real Chromium (headless, /usr/bin/chromium): a year of hourly
 * data for 5 series (actual, day-ahead with P10/P90, intraday) from the API's answers to a drawn
 * chart — target < 50 ms — and a 10,000-node tree built, expanded and searched — target < 100 ms.
 * The page loads the dashboard's own modules (the files the server serves, api/routes/ui.ts) and
 * bench/ui/harness.js. Usage: npm run bench:ui [-- --chromium PATH]
 */
const CHROMIUM = process.argv.includes('--chromium') ? process.argv[process.argv.indexOf('--chromium') + 1] : '/usr/bin/chromium';
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const assets = uiAssets();
const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  const local: Record<string, [string, string]> = {
    '/bench': [here('./ui/harness.html'), 'text/html; charset=utf-8'],
    '/bench/harness.js': [here('./ui/harness.js'), 'text/javascript; charset=utf-8'],
  };
  const a = assets.get(path);
  if (a) res.writeHead(200, { 'content-type': a.type }).end(a.body);
  else if (local[path]) res.writeHead(200, { 'content-type': local[path][1] }).end(readFileSync(local[path][0]));
  else res.writeHead(404).end();
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as { port: number };

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`http://127.0.0.1:${port}/bench`);
  await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true);
  type Stat = { median: number; min: number; max: number };
  const chart = (await page.evaluate(() => (window as unknown as { benchChart: () => Promise<unknown> }).benchChart())) as { points: number; series: number; total: Stat; transform: number; draw: number };
  const tree = (await page.evaluate(() => (window as unknown as { benchTree: () => Promise<unknown> }).benchTree())) as Record<string, Stat> & { nodes: number };
  if (errors.length) throw new Error(`the page logged errors: ${errors.join('; ')}`);
  const ms = (x: number) => x.toFixed(1);
  const row = (name: string, st: Stat, target: string): string[] => [name, ms(st.median), ms(st.min), ms(st.max), target];
  const rows: string[][] = [
    row(`chart: a year hourly, ${chart.series} series (${chart.points} points), answers → drawn`, chart.total, '50'),
    ['  of which stitch + align + flags (median)', ms(chart.transform), '', '', ''],
    ['  of which uPlot until drawn (median)', ms(chart.draw), '', '', ''],
    row(`tree: ${tree.nodes} nodes, build and first paint`, tree.build, '100'),
    row('tree: expand one region', tree.expandOne, '100'),
    row('tree: expand all', tree.expandAll, '100'),
    row("tree: search 'f1' (many matches)", tree.searchMany, '100'),
    row('tree: search one id', tree.searchOne, '100'),
    row('tree: clear the search', tree.clear, '100'),
  ];
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`UI bench, Chromium ${browser.version()} headless, ${new Date().toISOString().slice(0, 10)}; 20 runs after warm-up, ms; load average ${load} on this machine's cores\n`);
  console.log('| measure | median | min | max | target |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  const over = rows.filter((r) => r[4] && Number(r[1]) >= Number(r[4]));
  if (over.length) {
    console.log(`\nOver target: ${over.map((r) => r[0]).join('; ')}`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  server.close();
}
