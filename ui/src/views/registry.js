// @ts-check
// Registry: models, their versions with status and backtest MAPE, the champion history (who
// promoted or rolled back what, when, why, with which test), the comparison of a challenger with
// the champion over the shadow period, and — for the roles that may — promote and roll back behind a
// confirmation that states the test result and asks for the reason.
import { ApiError, get, post } from '../api.js';
import { lineChart } from '../chart.js';
import { announce, h, num, PALETTE } from '../dom.js';
import { label } from '../lib/time.js';

/** @typedef {import('../main.js').Ctx} Ctx @typedef {import('../main.js').Route} Route */
/** @typedef {import('../api-types.ts').Version} Version @typedef {import('../api-types.ts').Comparison} Comparison */
/** @typedef {import('../api-types.ts').ChampionPeriod} ChampionPeriod @typedef {import('../api-types.ts').ModelSummary} ModelSummary */

const UTC = 'UTC';
const when = (/** @type {string} */ iso) => label(Date.parse(iso), UTC) + ' UTC';
const p = (/** @type {number | null | undefined} */ x) => (x === null || x === undefined ? '—' : x < 0.001 ? x.toExponential(1) : x.toFixed(3));

/** The backtest MAPE of a version: its first named backtest's pooled score. @param {Version} v */
export function backtestMape(v) {
  for (const m of Object.values(v.metrics ?? {})) {
    const all = /** @type {any} */ (m)?.all;
    if (all && typeof all.mape === 'number') return /** @type {number} */ (all.mape);
  }
  return null;
}

/** What the paired test says, in one sentence. @param {Comparison} c */
export function verdict(c) {
  if (c.n === 0 || c.dm === null) return `No paired errors yet (${c.n} pairs): the challenger has no scored shadow forecast.`;
  const better = (c.meanLossDiff ?? 0) > 0 ? 'lower' : 'higher';
  const sig = c.pValue !== null && c.pValue < 0.05 ? 'significant at 5 %' : 'not significant at 5 %';
  return `Diebold–Mariano over ${c.n} paired hourly errors (h = ${c.h}): DM = ${c.dm.toFixed(2)}, p = ${p(c.pValue)} (two-sided, ${sig}); the challenger's squared error is ${better} by ${num(Math.abs(c.meanLossDiff ?? 0), 3)} on average (95 % CI of champion − challenger: ${num(c.ci?.[0], 3)} to ${num(c.ci?.[1], 3)}).`;
}

/** @param {HTMLElement} main @param {Route} route @param {Ctx} ctx */
export async function render(main, route, ctx) {
  const name = route.parts[0];
  if (!name) return list(main);
  return model(main, name, route, ctx);
}

/** @param {HTMLElement} main */
async function list(main) {
  /** @type {ModelSummary[]} */
  const items = (await get('/models')).items;
  main.replaceChildren(
    h('h1', {}, 'Model registry'),
    items.length
      ? h('table', {},
          h('thead', {}, h('tr', {}, ...['model', 'family', 'champion', 'shadow', 'candidate', 'retired'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, ...items.map((m) => h('tr', {},
            h('td', {}, h('a', { href: `#/registry/${encodeURIComponent(m.name)}` }, m.name)),
            h('td', {}, m.family),
            h('td', {}, m.champion ?? '—'),
            h('td', { class: 'num' }, m.versions.shadow), h('td', { class: 'num' }, m.versions.candidate), h('td', { class: 'num' }, m.versions.retired)))))
      : h('p', {}, 'No model is registered yet: the runs use the default model. Train one with gridcast train.'),
  );
}

/** @param {HTMLElement} main @param {string} name @param {Route} route @param {Ctx} ctx */
async function model(main, name, route, ctx) {
  const [detail, history] = await Promise.all([get(`/models/${encodeURIComponent(name)}`), get(`/models/${encodeURIComponent(name)}/history`)]);
  /** @type {Version[]} */
  const versions = detail.versions;
  /** @type {ChampionPeriod[]} */
  const periods = history.items;
  const champion = versions.find((v) => v.status === 'champion') ?? null;
  const current = periods.find((x) => x.to === null);
  const compareBox = h('section', { class: 'panel', id: 'comparison', 'aria-labelledby': 'cmp-title', tabindex: -1 }, h('h2', { id: 'cmp-title' }, 'Champion / challenger'), h('p', { class: 'muted' }, 'Compare a shadow or candidate version with the champion.'));
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { id: 'confirm', 'aria-labelledby': 'confirm-title' }));

  const canPromote = ctx.can('promote');
  const canRollback = ctx.can('rollback');
  const actions = (/** @type {Version} */ v) => {
    const cells = [];
    if (v.status === 'shadow' || v.status === 'candidate') {
      if (champion) cells.push(h('button', { type: 'button', onclick: () => void compare(v) }, `Compare ${v.id}`));
      if (canPromote) cells.push(' ', h('button', { type: 'button', class: 'primary', onclick: () => void promote(v) }, `Promote ${v.id}…`));
    }
    // A GAM, a GAM with ARIMA on its residuals, or auto (which may have chosen a GAM): the API says which have effects.
    if (/gam|auto/.test(v.kind)) cells.push(' ', h('a', { href: `#/explain/${encodeURIComponent(name)}/${v.version}` }, 'Explain'));
    return cells;
  };

  main.replaceChildren(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/registry' }, 'Registry'), ' › ', h('span', { 'aria-current': 'page' }, name)),
    h('h1', {}, name, h('span', { class: 'muted small' }, ` ${detail.model.family}${detail.model.description ? ` — ${detail.model.description}` : ''}`)),
    ctx.session.role === 'viewer' ? h('p', { class: 'muted' }, 'Read-only: promoting and rolling back need an admin or data-scientist key.') : '',
    h('section', { class: 'panel', 'aria-labelledby': 'versions-title' },
      h('h2', { id: 'versions-title' }, 'Versions'),
      h('table', {},
        h('thead', {}, h('tr', {}, ...['version', 'status', 'since', 'kind', 'series', 'trained on', 'backtest MAPE', 'by', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...versions.map((v) => h('tr', { 'data-version': v.id },
          h('td', {}, v.id),
          h('td', { class: `status-${v.status}` }, v.status),
          h('td', {}, when(v.statusAt)),
          h('td', {}, v.kind),
          h('td', {}, v.seriesIds.join(', ')),
          h('td', {}, `${v.trainStart.slice(0, 10)} – ${v.trainEnd.slice(0, 10)}`),
          h('td', { class: 'num' }, backtestMape(v) === null ? '—' : `${num(backtestMape(v), 2)} %`),
          h('td', {}, v.createdBy),
          h('td', {}, ...actions(v)))))),
      canRollback && current?.previousChampion
        ? h('p', {}, h('button', { type: 'button', class: 'danger', onclick: () => rollback(/** @type {ChampionPeriod} */ (current)) }, `Roll back to ${current.previousChampion}…`))
        : null),
    compareBox,
    h('section', { class: 'panel', 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'Champion history'),
      periods.length
        ? h('table', {},
            h('thead', {}, h('tr', {}, ...['version', 'from', 'to', 'how', 'proposed by', 'signed by', 'reason', 'test'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, ...[...periods].reverse().map((x) => h('tr', {},
              h('td', {}, x.version), h('td', {}, when(x.from)), h('td', {}, x.to ? when(x.to) : 'now'), h('td', {}, x.how),
              h('td', {}, x.proposedBy ?? '—'), h('td', {}, x.signedBy ?? x.by), h('td', {}, x.reason ?? '—'),
              h('td', {}, x.test ? `${x.test.passed ? 'passed' : 'failed'}: ${x.test.reason}` : '—')))))
        : h('p', {}, 'No champion yet.')),
    dialog,
  );

  /** @type {Map<string, Comparison>} */
  const compared = new Map();
  /** @param {Version} v */
  async function compare(v) {
    compareBox.replaceChildren(h('h2', { id: 'cmp-title' }, `${v.id} against ${champion?.id}`), h('p', { class: 'loading' }, 'Pairing the errors…'));
    /** @type {Comparison} */
    const c = await get(`/models/${encodeURIComponent(name)}/compare`, { challenger: v.id });
    compared.set(v.id, c);
    const chartEl = h('div', { class: 'chart', id: 'lead-chart' });
    compareBox.replaceChildren(
      h('h2', { id: 'cmp-title' }, `${c.challenger} against the champion ${c.champion}`),
      h('p', { class: 'verdict' }, verdict(c)),
      h('p', { class: 'muted' }, `Paired over ${c.from.startsWith('1970') ? 'every shadow run' : c.from.slice(0, 10)} until ${c.to.slice(0, 10)}; hours a fallback made, or without an actual, are left out. ${c.daily ? `Per run (daily RMSE, ${c.daily.n} runs): DM = ${num(c.daily.dm, 2)}, p = ${p(c.daily.pValue)}.` : ''}`),
      c.perLead.length ? chartEl : '',
      c.perLead.length
        ? h('details', {}, h('summary', {}, `Per lead (${c.perLead.length} leads)`),
            h('table', {}, h('thead', {}, h('tr', {}, ...['lead (h)', 'pairs', 'DM', 'p', 'champion − challenger'].map((t) => h('th', { scope: 'col', class: 'num' }, t)))),
              h('tbody', {}, ...c.perLead.map((l) => h('tr', {}, h('td', { class: 'num' }, l.lead), h('td', { class: 'num' }, l.n), h('td', { class: 'num' }, num(l.dm, 2)), h('td', { class: 'num' }, p(l.pValue)), h('td', { class: 'num' }, num(l.meanLossDiff, 3)))))))
        : '',
    );
    if (c.perLead.length) {
      lineChart(chartEl, {
        xs: c.perLead.map((l) => l.lead), time: false, xLabel: 'lead (hours ahead of the origin)', yLabel: 'champion − challenger',
        width: Math.max(320, compareBox.clientWidth - 40), height: 220,
        lines: [{ label: 'mean loss difference', values: c.perLead.map((l) => l.meanLossDiff), color: PALETTE.blue }],
        band: { lo: c.perLead.map((l) => l.ci[0]), hi: c.perLead.map((l) => l.ci[1]), label: '95 % CI' },
        refs: [{ value: 0, label: 'no difference', color: PALETTE.black }],
      });
    }
    compareBox.focus();
    return c;
  }

  /**
   * A modal confirmation: `lines` state what will happen and the evidence; the reason is required.
   * @param {string} title @param {Array<Node | string>} lines @param {string} action @param {(reason: string) => Promise<void>} run
   */
  function confirm(title, lines, action, run) {
    const reason = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'confirm-reason', rows: 3, 'aria-required': 'true' }));
    const err = h('p', { class: 'error', role: 'alert' });
    const submit = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary' }, action));
    dialog.replaceChildren(h('form', { method: 'dialog', onsubmit: async (/** @type {SubmitEvent} */ ev) => {
        ev.preventDefault();
        if (!reason.value.trim()) {
          err.textContent = 'A reason is required: it goes to the audit log.';
          reason.focus();
          return;
        }
        submit.disabled = true;
        try {
          await run(reason.value.trim());
          dialog.close();
        } catch (e) {
          err.textContent = e instanceof ApiError ? `Refused (${e.code}): ${e.message}` : String(e);
        } finally {
          submit.disabled = false;
        }
      } },
      h('h2', { id: 'confirm-title' }, title),
      ...lines.map((l) => (typeof l === 'string' ? h('p', {}, l) : l)),
      h('label', { for: 'confirm-reason' }, 'Reason (recorded in the audit log under your key)'),
      reason,
      err,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'), submit)));
    dialog.showModal();
    reason.focus();
  }

  /** @param {Version} v */
  async function promote(v) {
    const c = champion ? compared.get(v.id) ?? (await compare(v)) : null;
    confirm(`Promote ${v.id} to champion?`, [
      champion ? `${v.id} will serve ${v.seriesIds.join(', ')} from the next run; ${champion.id} is retired (one rollback brings it back).` : `${v.id} becomes the first champion of ${name}.`,
      h('p', { class: 'test-result' }, h('strong', {}, 'Test result: '), c ? verdict(c) : 'no champion to compare with: the sign-off alone promotes it.'),
      champion ? "The server applies the configured promotion rule (one-sided test on the same paired errors) and refuses the promotion if it does not pass." : '',
    ], 'Promote', async (reason) => {
      await post(`/models/${encodeURIComponent(name)}/versions/${v.version}/promote`, { reason });
      announce(`${v.id} is now the champion of ${name}.`);
      await model(main, name, route, ctx);
    });
  }

  /** @param {ChampionPeriod} cur */
  function rollback(cur) {
    confirm(`Roll ${name} back to ${cur.previousChampion}?`, [
      `${cur.version} (champion since ${when(cur.from)}) is retired; ${cur.previousChampion}, the champion it replaced, serves again from the next run.`,
      cur.test ? h('p', { class: 'test-result' }, h('strong', {}, 'Test that promoted it: '), `${cur.test.passed ? 'passed' : 'failed'} — ${cur.test.reason}`) : '',
    ], 'Roll back', async (reason) => {
      await post(`/models/${encodeURIComponent(name)}/rollback`, { reason });
      announce(`${name} rolled back to ${cur.previousChampion}.`);
      await model(main, name, route, ctx);
    });
  }
}
