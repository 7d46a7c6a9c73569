import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { openStore } from '../store/open.ts';
import { storeOwner } from '../store/store-lock.ts';
import { freePort } from './net.ts';
import { seedDashboard, type DashboardFixture } from './fixtures/dashboard.ts';

/**
 * The operator dashboard in real Chromium against a real `gridcast start` on a scratch embedded
 * store seeded with the fixture grid (test/fixtures/dashboard.ts): log in, the tree, a node's chart
 * with its actual, forecast and band series and the imputed gap drawn as such, grain switch, an
 * event, a challenger compared and promoted by an admin, the buttons absent for a viewer, and no
 * console error anywhere. Screenshots go to .test-out/ui/.
 */
const CHROMIUM = '/usr/bin/chromium';
// The page answers in a few hundred ms; on a loaded 2-core machine a re-render can take seconds (vitest's default is 1 s).
const poll = <T>(f: () => T | Promise<T>) => expect.poll(f, { timeout: 20_000, interval: 100 });
const CLI = fileURLToPath(new URL('../bin/gridcast.mjs', import.meta.url));
const OUT = fileURLToPath(new URL('../.test-out/ui/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gridcast-ui-'));
const data = join(dir, 'data');
const configFile = join(dir, 'gridcast.json');
// No simulator, no scheduled work: the store holds the fixture only, and nothing changes it under the test.
const off = Object.fromEntries(['forecast-intraday', 'forecast-day-ahead', 'forecast-week-ahead', 'forecast-mid-term', 'drift', 'ruptures', 'score', 'review'].map((j) => [j, { enabled: false }]));
writeFileSync(configFile, JSON.stringify({
  simulator: { enabled: false },
  forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 35, holidays: 'FR' },
  // The fixture's one-week profile is a little better on average, not significantly (p about 0.05 at a
  // 30 % margin, depending on the hour the test runs): non-inferiority within 90 % passes.
  promotion: { rule: 'non-inferior', margin: 0.9 },
  jobs: off,
}));
const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', GRIDCAST_CONFIG: configFile, GRIDCAST_DATA_DIR: data, LOG_LEVEL: 'warn' };
delete env.DATABASE_URL;
delete env.GRIDCAST_API_KEY;

// .ci/run installs Debian's chromium; a machine without it skips this file (and says so in the test name).
describe.skipIf(!existsSync(CHROMIUM))(`the dashboard in Chromium (${CHROMIUM})`, () => {
  let server: ChildProcess | undefined;
  let output = '';
  let base = '';
  let browser: Browser;
  let fx: DashboardFixture;
  const keys: Record<string, string> = {};
  const consoleErrors: string[] = [];

  const shot = async (page: Page, name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  const open = async (role: string) => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${role}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${role}: ${e.message}`));
    await page.goto(base);
    await page.getByLabel('API key').fill(keys[role]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#who .role').waitFor();
    return page;
  };

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const config = loadConfig(env);
    const db = await openStore(config);
    try {
      fx = await seedDashboard(db, config, new Date());
    } finally {
      await db.close();
    }
    server = spawn(process.execPath, [CLI, 'start'], { env: { ...env, PORT: String(await freePort()) }, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const end = Date.now() + 60_000;
    while (Date.now() < end && server.exitCode === null && !(base = storeOwner(data)?.url ?? '')) await new Promise((r) => setTimeout(r, 100));
    expect(base, output).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    keys.admin = readFileSync(join(data, 'admin.key'), 'utf8').trim();
    for (const role of ['viewer', 'operator']) {
      const res = await fetch(`${base}/api/v1/apikeys`, { method: 'POST', headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `ui-${role}`, role }) });
      expect(res.status).toBe(201);
      keys[role] = ((await res.json()) as { key: string }).key;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (server?.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page and its modules without a key, and nothing of the API', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('/ui/src/main.js');
    expect(html).not.toMatch(/https?:\/\//);
    const uplot = await fetch(`${base}/ui/vendor/uPlot.esm.js`);
    expect(uplot.status).toBe(200);
    expect(uplot.headers.get('content-type')).toMatch(/^text\/javascript/);
    const again = await fetch(`${base}/ui/src/main.js`, { headers: { 'if-none-match': (await fetch(`${base}/ui/src/main.js`)).headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/ui/src/nothing.js`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/session`)).status).toBe(401);
  });

  it('refuses a wrong key at the login, then logs in an admin, keeping the key out of the URL', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base);
    await page.getByLabel('API key').fill('gck_000000000000_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.locator('#login-error').textContent()).toMatch(/refused \(UNAUTHENTICATED\)/);
    await context.close();

    const admin = await open('admin');
    expect(await admin.locator('#who').textContent()).toContain('admin');
    expect(admin.url()).not.toContain(keys.admin);
    expect(await admin.evaluate(() => sessionStorage.getItem('gridcast.apiKey'))).toBe(keys.admin);
    await admin.context().close();
  });

  it('navigates the tree by keyboard and by search, and opens a node: actual, forecasts, band, the imputed gap drawn as such', async () => {
    const page = await open('admin');
    const tree = page.getByRole('tree', { name: 'Grid hierarchy' });
    await tree.waitFor();
    // Keyboard: the roots are grid and train; open grid, go down to north, open it, down to ss1.
    await tree.focus();
    const active = () => page.locator('.tree-row.active').getAttribute('data-id');
    expect(await active()).toBe('grid');
    await page.keyboard.press('ArrowDown');
    expect(await active()).toBe('north');
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('[data-id="north"]').getAttribute('aria-expanded')).toBe('true');
    await shot(page, 'overview');
    await page.keyboard.press('ArrowDown');
    expect(await active()).toBe('ss1');
    await page.keyboard.press('ArrowLeft');
    expect(await active()).toBe('north');
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('[data-id="north"]').getAttribute('aria-expanded')).toBe('false');
    // Search, then Enter on the match opens its view.
    await page.getByLabel('Search nodes').fill('ss2');
    await poll(() => page.locator('.tree-row.match').count()).toBe(1);
    expect(await page.locator('.tree-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id))).toEqual(['grid', 'north', 'ss2']);
    await page.keyboard.press('Enter');
    await poll(() => page.url()).toMatch(/#\/node\/ss2/);
    const chart = page.locator('#node-chart');
    await chart.locator('canvas').waitFor();
    const s = await chart.evaluate((el) => {
      const u = (el as unknown as { uplot: { series: Array<{ label: string }>; data: Array<Array<number | null>>; bands: unknown[] } }).uplot;
      return { labels: u.series.map((x) => x.label), counts: u.data.map((col) => col.filter((v) => v !== null).length), bands: u.bands.length, xs: u.data[0] };
    });
    expect(s.labels).toEqual(['Time', 'Actual', 'Day-ahead', 'P10', 'P90', 'P50', 'Intraday']);
    expect(s.bands).toBe(1);
    // Five days of hourly actuals and day-ahead values; the intraday run covers the next hours only.
    for (const [i, n] of s.counts.entries()) expect(n, s.labels[i]).toBeGreaterThan(s.labels[i] === 'Intraday' ? 0 : 20);
    // The imputed gap: listed in text, and drawn as vermillion triangles over a shaded span.
    const imputed = page.locator('.flag-list li[data-quality="imputed"]');
    expect(await imputed.textContent()).toMatch(/imputed: .*2 values \(profile\)/);
    expect(await page.locator('.flag-list li[data-quality="suspect"]').count()).toBe(1);
    const pixels = await chart.evaluate((el, ts) => {
      const u = (el as unknown as { uplot: { data: Array<Array<number | null>>; valToPos: (v: number, s: string, c: boolean) => number; ctx: CanvasRenderingContext2D } }).uplot;
      return ts.map((t) => {
        const i = u.data[0].indexOf(t);
        const x = Math.round(u.valToPos(t, 'x', true));
        const y = Math.round(u.valToPos(u.data[1][i] as number, 'y', true));
        // The triangle's whole box (r ≥ 3.5 px, so its body is ≥ 20 px): a line or an event mark
        // drawn across it covers a column or a row, never most of it.
        const img = u.ctx.getImageData(x - 4, y - 4, 9, 9).data;
        let vermillion = 0;
        for (let k = 0; k < img.length; k += 4) if (img[k] === 213 && img[k + 1] === 94 && img[k + 2] === 0) vermillion++;
        return vermillion;
      });
    }, fx.imputed.map((d) => d.getTime() / 1000));
    for (const n of pixels) expect(n).toBeGreaterThan(8);
    await shot(page, 'node');

    // Grain: 5-minute buckets, then local days; the chart follows and the URL keeps the choice.
    const step = () => chart.evaluate((el) => {
      const u = (el as unknown as { uplot: { data: Array<Array<number | null>> } }).uplot;
      const xs = u.data[0] as number[];
      const actual = u.data[1];
      const withActual = xs.filter((_, i) => actual[i] !== null);
      return withActual.length > 1 ? Math.min(...withActual.slice(1).map((x, i) => x - withActual[i])) : null;
    });
    await page.getByLabel('5 min').check();
    await poll(() => page.url()).toMatch(/grain=5m/);
    await poll(step).toBe(3600); // hourly measurements: 5-minute buckets one hour apart
    await page.getByLabel('day').check();
    await poll(() => page.url()).toMatch(/grain=1d/);
    await poll(step).toBeGreaterThanOrEqual(82_800);
    expect(await chart.evaluate((el) => (el as unknown as { uplot: { series: Array<{ label: string }> } }).uplot.series.map((x) => x.label))).toContain('Day-ahead');

    // As issued two days before the last hour: only the day-ahead runs published by then, no intraday yet.
    const cutoff = new Date(fx.end.getTime() - 2 * 86_400_000);
    const wall = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(cutoff).replace(' ', 'T');
    await page.getByLabel('hour').check();
    await poll(() => page.url()).toMatch(/grain=1h/);
    await page.getByLabel('As issued at').fill(wall);
    await page.getByRole('button', { name: 'Show' }).click();
    await poll(() => page.url()).toContain(`asIssued=${encodeURIComponent(wall)}`);
    const runNote = page.locator('.run-note');
    await poll(() => runNote.textContent()).toMatch(/^Day-ahead: \d runs? \(/);
    const issued = [...((await runNote.textContent()) ?? '').matchAll(/#(\d+) issued/g)].length;
    expect(issued).toBeGreaterThan(0);
    expect(await runNote.textContent()).not.toContain('Intraday');
    expect(await chart.evaluate((el) => (el as unknown as { uplot: { series: Array<{ label: string }> } }).uplot.series.map((x) => x.label))).not.toContain('Intraday');
    await page.context().close();
  });

  it('lists the events and opens one with its detail', async () => {
    const page = await open('operator');
    await page.getByRole('link', { name: 'Alarms and events' }).click();
    const rupture = page.locator('table.events tbody tr', { hasText: 'rupture' });
    await rupture.waitFor();
    await rupture.focus();
    await page.keyboard.press('Enter');
    const detail = page.locator('#event-detail');
    await poll(() => detail.locator('h2').textContent()).toMatch(/rupture/);
    expect(await detail.textContent()).toContain('level shift down 18 %');
    expect(await detail.getByRole('link', { name: /ss3: chart around this time/ }).count()).toBe(1);
    // The operator acknowledges it: shown in the detail and the list, audited, and in the event log.
    await detail.getByLabel('Comment').fill('field crew: feeder switched to ss2');
    await detail.getByRole('button', { name: 'Acknowledge' }).click();
    await poll(() => page.locator('#event-detail .acked-by').textContent()).toMatch(/^Acknowledged by ui-operator at .*: field crew: feeder switched to ss2\.$/);
    expect(await page.locator('table.events tbody tr', { hasText: 'rupture' }).locator('td').nth(5).textContent()).toBe('✓ ui-operator');
    const acks = (await (await fetch(`${base}/api/v1/events?kind=alarm-acknowledged`, { headers: { authorization: `Bearer ${keys.admin}` } })).json()) as { events: Array<{ detail: Record<string, unknown> }> };
    expect(acks.events).toHaveLength(1);
    // A filter by kind keeps only that kind.
    await page.getByLabel('Kind').selectOption('drift');
    await page.getByRole('button', { name: 'Apply' }).click();
    await poll(() => page.locator('table.events tbody tr').count()).toBe(1);
    await shot(page, 'events');
    await page.context().close();
  });

  it('compares the challenger and promotes it as admin, after a confirmation stating the test and asking for the reason', async () => {
    const page = await open('admin');
    await page.getByRole('link', { name: 'Registry' }).click();
    await page.getByRole('link', { name: 'substations' }).click();
    await page.getByRole('button', { name: `Compare ${fx.challenger}` }).click();
    const verdict = page.locator('#comparison .verdict');
    // Five shadow days × 2 series × 24 hours, and the hours of today that have an actual.
    await poll(() => verdict.textContent()).toMatch(/Diebold–Mariano over (2[4-9]\d) paired hourly errors/);
    expect(await page.locator('#lead-chart canvas').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: `Promote ${fx.challenger}…` }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.locator('.test-result').textContent()).toMatch(/Test result: Diebold–Mariano over 2[4-9]\d paired hourly errors \(h = \d+\): DM = -?\d+\.\d+, p = /);
    // No reason, no promotion.
    await dialog.getByRole('button', { name: 'Promote' }).click();
    expect(await dialog.getByRole('alert').textContent()).toMatch(/A reason is required/);
    await shot(page, 'promote-confirm');
    await dialog.getByLabel(/Reason/).fill('as good in shadow over 10 days, simpler');
    await dialog.getByRole('button', { name: 'Promote' }).click();
    const status = () => page.locator(`tr[data-version="${fx.challenger}"] td`).nth(1).textContent();
    await poll(async () => `${await status()} ${(await dialog.isVisible()) ? await dialog.getByRole('alert').textContent() : ''}`.trim()).toBe('champion');
    expect(await page.locator(`tr[data-version="${fx.champion}"] td`).nth(1).textContent()).toBe('retired');
    expect(await page.locator('section', { hasText: 'Champion history' }).textContent()).toContain('as good in shadow over 10 days, simpler');
    // The audit log names the admin's key.
    const audit = (await (await fetch(`${base}/api/v1/audit?model=substations&limit=5`, { headers: { authorization: `Bearer ${keys.admin}` } })).json()) as { items: Array<{ actor: string; reason: string | null }> };
    expect(audit.items.some((a) => a.actor === 'apikey:admin-bootstrap' && a.reason === 'as good in shadow over 10 days, simpler')).toBe(true);
    await page.context().close();
  });

  it("explains a GAM version: its partial effects with bands, from the stored artifact", async () => {
    const page = await open('viewer');
    await page.evaluate(() => { location.hash = '#/registry/grid-gam'; });
    await page.getByRole('link', { name: 'Explain' }).click();
    await poll(() => page.url()).toMatch(/#\/explain\/grid-gam\/1/);
    await page.locator('section.effect canvas').first().waitFor();
    const titles = await page.locator('section.effect h2').allTextContents();
    expect(titles.some((t) => t.startsWith('daily profile'))).toBe(true);
    expect(titles.some((t) => t.startsWith('annual cycle') || t.startsWith('temperature') || t.startsWith('trend'))).toBe(true);
    // Each curve is drawn with its band.
    const curve = await page.locator('section.effect .chart').first().evaluate((el) => {
      const u = (el as unknown as { uplot: { series: Array<{ label: string }>; bands: unknown[]; data: Array<Array<number | null>> } }).uplot;
      return { bands: u.bands.length, labels: u.series.map((x) => x.label), n: u.data[1].length };
    });
    expect(curve.bands).toBe(1);
    expect(curve.n).toBeGreaterThan(20);
    expect(await page.textContent('main')).toContain('log(load)');
    await shot(page, 'explain');
    await page.context().close();
  });

  it('shows a viewer the same pages read-only: no promote or rollback button, no acknowledgement', async () => {
    const page = await open('viewer');
    expect(await page.locator('#who').textContent()).toMatch(/viewer.*read-only/);
    await page.evaluate(() => { location.hash = '#/registry/substations'; });
    await page.locator('tr[data-version]').first().waitFor();
    expect(await page.getByRole('button', { name: /Promote|Roll back/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Compare/ }).count()).toBe(0); // the only challenger is champion now
    expect(await page.textContent('main')).toContain('Read-only');
    await page.evaluate(() => { location.hash = '#/events'; });
    const row = page.locator('table.events tbody tr', { hasText: 'input-late' });
    await row.click();
    expect(await page.locator('#event-detail').textContent()).toMatch(/Not acknowledged\. Acknowledging needs the operator role/);
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await page.context().close();
  });

  it('logged no console error on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
