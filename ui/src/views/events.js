// @ts-check
// Alarms and events: the event log newest first with filters (kind, severity, series, period),
// one event's detail with links to its node, run and model, and acknowledgement of alarms for the
// roles that may (the API audits it and appends an alarm-acknowledged event).
import { ApiError, get, post } from '../api.js';
import { announce, h, icon, SEVERITY } from '../dom.js';
import { addDays, label, localDate } from '../lib/time.js';

/** @typedef {import('../main.js').Ctx} Ctx @typedef {import('../main.js').Route} Route */
/** @typedef {import('../api-types.ts').EventView} Ev */

const KINDS = ['rupture', 'fallback-on', 'fallback-off', 'drift', 'out-of-range', 'input-late', 'deadline-missed', 'run-late', 'fallback-published', 'retrain-proposal', 'promotion', 'promotion-refused', 'rollback', 'shadow-failed', 'alarm-acknowledged', 'planned'];
const PAGE = 200;

/** One line saying what the event is about, from its detail. @param {Ev} e */
export function summary(e) {
  const d = /** @type {Record<string, any>} */ (e.detail ?? {});
  const parts = [];
  if (d.reason) parts.push(String(d.reason));
  if (d.message) parts.push(String(d.message));
  if (d.feature) parts.push(`feature ${d.feature}`);
  if (d.input) parts.push(`input ${d.input}`);
  if (typeof d.statistic === 'number') parts.push(`statistic ${d.statistic.toFixed(2)}${typeof d.threshold === 'number' ? ` (threshold ${d.threshold.toFixed(2)})` : ''}`);
  if (d.psi !== undefined) parts.push(`PSI ${d.psi}`);
  if (d.actor) parts.push(`by ${d.actor}`);
  return parts.join(' · ');
}

/** @param {HTMLElement} main @param {Route} route @param {Ctx} ctx */
export async function render(main, route, ctx) {
  const p = route.params;
  const tzProbe = await get('/topology/nodes', { limit: 1 });
  const tz = tzProbe.nodes[0]?.timeZone ?? 'UTC';
  const f = {
    kind: p.get('kind') ?? '',
    severity: p.get('severity') ?? '',
    series: p.get('series') ?? '',
    from: p.get('from') ?? '',
    to: p.get('to') ?? '',
    open: p.get('open') === '1',
  };
  const wanted = Number(p.get('id')) || null;
  /** @type {Ev[]} */
  let events = [];
  /** @type {number | null} */
  let nextBeforeId = null;
  /** @type {Ev | null} */
  let selected = null;

  const kindSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'f-kind' }, h('option', { value: '' }, 'all kinds'), ...KINDS.map((k) => h('option', { value: k, selected: k === f.kind }, k))));
  const sevSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'f-severity' }, h('option', { value: '' }, 'all'), ...Object.keys(SEVERITY).map((s) => h('option', { value: s, selected: s === f.severity }, s))));
  const seriesIn = /** @type {HTMLInputElement} */ (h('input', { id: 'f-series', type: 'search', value: f.series, placeholder: 'node id' }));
  const fromIn = /** @type {HTMLInputElement} */ (h('input', { id: 'f-from', type: 'date', value: f.from }));
  const toIn = /** @type {HTMLInputElement} */ (h('input', { id: 'f-to', type: 'date', value: f.to }));
  const openIn = /** @type {HTMLInputElement} */ (h('input', { id: 'f-open', type: 'checkbox', checked: f.open }));
  const filters = h('form', { class: 'filters', 'aria-label': 'Filters', onsubmit: (/** @type {Event} */ ev) => {
      ev.preventDefault();
      const q = new URLSearchParams({ kind: kindSel.value, severity: sevSel.value, series: seriesIn.value.trim(), from: fromIn.value, to: toIn.value, open: openIn.checked ? '1' : '' });
      for (const [k, v] of [...q]) if (!v) q.delete(k);
      ctx.navigate(`#/events?${q}`);
    } },
    h('label', { for: 'f-kind' }, 'Kind'), kindSel,
    h('label', { for: 'f-severity' }, 'Severity'), sevSel,
    h('label', { for: 'f-series' }, 'Series'), seriesIn,
    h('label', { for: 'f-from' }, 'From'), fromIn,
    h('label', { for: 'f-to' }, 'To (excluded)'), toIn,
    h('label', {}, openIn, ' not acknowledged only'),
    h('button', { type: 'submit' }, 'Apply'),
  );
  const tbody = h('tbody');
  const more = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', hidden: true, onclick: () => void load(true) }, 'Older events'));
  const detail = h('section', { class: 'panel detail', id: 'event-detail', 'aria-labelledby': 'detail-title', tabindex: -1 }, h('h2', { id: 'detail-title' }, 'Event'), h('p', { class: 'muted' }, 'Select an event to see its detail.'));
  main.replaceChildren(
    h('h1', {}, 'Alarms and events'),
    filters,
    h('div', { class: 'two events-layout' },
      h('section', { class: 'panel', 'aria-label': 'Event log' },
        h('table', { class: 'events' },
          h('caption', { class: 'muted' }, 'Newest first. Select a row (click, or Enter) for its detail.'),
          h('thead', {}, h('tr', {}, ...['time', 'severity', 'kind', 'series', 'summary', 'ack'].map((c) => h('th', { scope: 'col' }, c)))),
          tbody),
        more),
      detail),
  );

  /** @param {Ev} e */
  const row = (e) => {
    const s = SEVERITY[e.severity] ?? SEVERITY.info;
    const tr = h('tr', { tabindex: 0, 'data-id': e.id, class: `${selected?.id === e.id ? 'selected' : ''}${e.acknowledgement ? ' acked' : ''}`, 'aria-selected': selected?.id === e.id ? 'true' : 'false',
      onclick: () => select(e), onkeydown: (/** @type {KeyboardEvent} */ ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(e); } } },
      h('td', {}, label(Date.parse(e.at), tz)),
      h('td', {}, icon(s), ` ${e.severity}`),
      h('td', {}, e.kind),
      h('td', {}, e.seriesId ?? h('span', { class: 'muted' }, 'grid-wide')),
      h('td', {}, summary(e)),
      h('td', {}, e.acknowledgement ? `✓ ${e.acknowledgement.by.replace(/^apikey:/, '')}` : e.severity === 'info' ? '' : 'open'),
    );
    return tr;
  };
  const paint = () => tbody.replaceChildren(...events.map(row), ...(events.length ? [] : [h('tr', {}, h('td', { colspan: 6 }, 'No event matches.'))]));

  /** @param {Ev} e */
  function select(e) {
    selected = e;
    paint();
    const nodeRange = (/** @type {string} */ id) => {
      const day = localDate(Date.parse(e.at), tz);
      return `#/node/${encodeURIComponent(id)}?grain=1h&from=${addDays(day, -2)}&to=${addDays(day, 2)}`;
    };
    const model = e.modelVersion && /^[^@]+@\d+$/.test(e.modelVersion) ? e.modelVersion.split('@')[0] : null;
    const ackBox = h('div', { class: 'ack' });
    const ack = e.acknowledgement;
    if (ack) ackBox.append(h('p', { class: 'acked-by' }, `Acknowledged by ${ack.by.replace(/^apikey:/, '')} at ${label(Date.parse(ack.at), tz)}${ack.comment ? `: ${ack.comment}` : ''}.`));
    else if (e.severity !== 'info') {
      if (ctx.can('ack')) {
        const note = /** @type {HTMLInputElement} */ (h('input', { id: 'ack-note', type: 'text', maxlength: 2000, placeholder: 'what was done (optional)' }));
        ackBox.append(h('form', { class: 'filters', onsubmit: async (/** @type {Event} */ ev) => {
            ev.preventDefault();
            try {
              const comment = note.value.trim();
              await post(`/events/${e.id}/ack`, comment ? { comment } : {});
              announce(`Event ${e.id} acknowledged.`);
              await load(false);
              const again = events.find((x) => x.id === e.id) ?? (await get('/events', { beforeId: e.id + 1, limit: 1 })).events[0];
              if (again) select(again);
            } catch (err) {
              announce(err instanceof ApiError ? `Not acknowledged (${err.code}): ${err.message}` : String(err), true);
            }
          } }, h('label', { for: 'ack-note' }, 'Comment'), note, h('button', { type: 'submit', class: 'primary' }, 'Acknowledge')));
      } else ackBox.append(h('p', { class: 'muted' }, `Not acknowledged. Acknowledging needs the operator role (this key: ${ctx.session.role}).`));
    }
    detail.replaceChildren(
      h('h2', { id: 'detail-title' }, icon(SEVERITY[e.severity] ?? SEVERITY.info), ` ${e.kind}`, h('span', { class: 'muted small' }, ` #${e.id}`)),
      h('dl', {},
        h('dt', {}, 'When'), h('dd', {}, `${label(Date.parse(e.at), tz)} (${e.at}); recorded ${e.recordedAt}`),
        h('dt', {}, 'Severity'), h('dd', {}, e.severity),
        h('dt', {}, 'Series'), h('dd', {}, e.seriesId ? h('a', { href: nodeRange(e.seriesId) }, `${e.seriesId}: chart around this time`) : 'grid-wide'),
        h('dt', {}, 'Model version'), h('dd', {}, model ? h('a', { href: `#/registry/${encodeURIComponent(model)}` }, /** @type {string} */ (e.modelVersion)) : e.modelVersion ?? '—'),
        h('dt', {}, 'Run'), h('dd', {}, e.runId !== null ? `#${e.runId}` : '—'),
        h('dt', {}, 'Summary'), h('dd', {}, summary(e) || '—'),
      ),
      h('h3', {}, 'Detail'),
      h('pre', {}, JSON.stringify(e.detail, null, 2)),
      ackBox,
    );
    detail.focus();
  }

  /** @param {boolean} older */
  async function load(older) {
    const page = await get('/events', {
      limit: PAGE,
      ...(f.kind && { kind: f.kind }),
      ...(f.series && { series: f.series }),
      ...(f.from && { from: f.from }),
      ...(f.to && { to: f.to }),
      ...(older && nextBeforeId && { beforeId: nextBeforeId }),
      ...(f.open && { acknowledged: 'false' }),
    });
    /** @type {Ev[]} */
    const got = page.events.filter((/** @type {Ev} */ e) => !f.severity || e.severity === f.severity);
    events = older ? [...events, ...got] : got;
    nextBeforeId = page.nextBeforeId;
    more.hidden = nextBeforeId === null;
    paint();
  }

  await load(false);
  if (wanted) {
    let e = events.find((x) => x.id === wanted);
    if (!e) e = (await get('/events', { beforeId: wanted + 1, limit: 1 })).events[0];
    if (e && e.id === wanted) select(e);
  }
}
