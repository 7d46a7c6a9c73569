import { createServer } from 'node:http';
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
  type Stat = { median: number; max: number };
  const chart = (await page.evaluate(() => (window as unknown as { benchChart: () => Promise<unknown> }).benchChart())) as { points: number; series: number; total: Stat; transform: number; draw: number };
  const tree = (await page.evaluate(() => (window as unknown as { benchTree: () => Promise<unknown> }).benchTree())) as Record<string, Stat> & { nodes: number };
  if (errors.length) throw new Error(`the page logged errors: ${errors.join('; ')}`);
  const ms = (x: number) => x.toFixed(1);
  const rows: Array<[string, string, string, string]> = [
    [`chart: a year hourly, ${chart.series} series (${chart.points} points), answers → drawn`, ms(chart.total.median), ms(chart.total.max), '50'],
    ['  of which stitch + align + flags', ms(chart.transform), '', ''],
    ['  of which uPlot until drawn', ms(chart.draw), '', ''],
    [`tree: ${tree.nodes} nodes, build and first paint`, ms(tree.build.median), ms(tree.build.max), '100'],
    ['tree: expand one region', ms(tree.expandOne.median), ms(tree.expandOne.max), '100'],
    ['tree: expand all', ms(tree.expandAll.median), ms(tree.expandAll.max), '100'],
    ["tree: search 'f1' (many matches)", ms(tree.searchMany.median), ms(tree.searchMany.max), '100'],
    ['tree: search one id', ms(tree.searchOne.median), ms(tree.searchOne.max), '100'],
    ['tree: clear the search', ms(tree.clear.median), ms(tree.clear.max), '100'],
  ];
  console.log(`UI bench, Chromium ${browser.version()} headless, ${new Date().toISOString().slice(0, 10)} (median and max of 10 runs after warm-up; ms)\n`);
  console.log('| measure | median | max | target |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  const over = rows.filter((r) => r[3] && Number(r[1]) >= Number(r[3]));
  if (over.length) {
    console.log(`\nOver target: ${over.map((r) => r[0]).join('; ')}`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  server.close();
}
