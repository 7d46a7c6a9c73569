// @ts-check
// The dashboard shell: login with an API key, the role of the key, and a hash router over the views.
// Routes (never holding the key): #/overview, #/node/ID?grain=&from=&to=&asIssued=, #/events,
// #/accuracy?node=&horizon=, #/registry, #/registry/MODEL, #/explain/MODEL/VERSION.
import { ApiError, clearKey, get, getKey, setKey } from './api.js';
import { announce, h } from './dom.js';

/** @typedef {import('./api-types.ts').Session} Session */
/**
 * @typedef {{ session: Session, can: (action: Action) => boolean, navigate: (hash: string) => void, refresh: () => void }} Ctx
 * @typedef {'ack' | 'promote' | 'rollback' | 'propose'} Action
 * @typedef {{ render: (main: HTMLElement, route: Route, ctx: Ctx) => Promise<(() => void) | void> }} View
 * @typedef {{ view: string, parts: string[], params: URLSearchParams }} Route
 */

/** Who may do what: the API's roles of the routes behind each button (README, "The model registry"). @type {Record<Action, string[]>} */
const ALLOWED = {
  ack: ['operator', 'admin'],
  promote: ['admin'],
  rollback: ['data-scientist', 'admin'],
  propose: ['operator', 'admin'],
};

/** @type {Record<string, () => Promise<View>>} */
const VIEWS = {
  overview: () => import('./views/overview.js'),
  node: () => import('./views/node.js'),
  events: () => import('./views/events.js'),
  accuracy: () => import('./views/accuracy.js'),
  registry: () => import('./views/registry.js'),
  explain: () => import('./views/explain.js'),
};

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const who = /** @type {HTMLElement} */ (document.getElementById('who'));
const logout = /** @type {HTMLButtonElement} */ (document.getElementById('logout'));

/** @type {Session | null} */
let session = null;
/** @type {(() => void) | void} */
let cleanup;
let generation = 0;

/** @returns {Route} */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const view = parts.shift() ?? 'overview';
  return { view: VIEWS[view] ? view : 'overview', parts, params: new URLSearchParams(query) };
}

/** @param {boolean} [quiet] a refresh of the same view: the old content stays until the new is ready */
async function route(quiet = false) {
  if (!session) return;
  const my = ++generation;
  let previous = cleanup;
  cleanup = undefined;
  // A refresh keeps the old view (and its chart) until the new one replaces it.
  if (!quiet && typeof previous === 'function') previous();
  const r = parseHash();
  for (const a of nav.querySelectorAll('a')) {
    const current = /** @type {HTMLElement} */ (a).dataset.view === (r.view === 'node' ? 'overview' : r.view === 'explain' ? 'registry' : r.view);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!quiet) main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  main.setAttribute('aria-busy', 'true');
  const s = session;
  /** @type {Ctx} */
  const ctx = { session: s, can: (a) => ALLOWED[a].includes(s.role), navigate: (hash) => { location.hash = hash; }, refresh: () => void route(true) };
  try {
    const view = await VIEWS[r.view]();
    if (my !== generation) return;
    const c = await view.render(main, r, ctx);
    if (quiet && typeof previous === 'function') {
      previous();
      previous = undefined;
    }
    if (my !== generation) {
      if (typeof c === 'function') c();
      return;
    }
    cleanup = c;
  } catch (e) {
    if (quiet && typeof previous === 'function') previous();
    if (my !== generation) return;
    if (e instanceof ApiError && e.status === 401) return;
    console.warn(e);
    main.replaceChildren(h('div', { class: 'problem', role: 'alert' }, h('h2', {}, 'This view could not be shown'), h('p', {}, e instanceof ApiError ? `${e.code}: ${e.message}` : String(e))));
  } finally {
    if (my === generation) main.removeAttribute('aria-busy');
  }
}

/** @param {string} [error] */
function showLogin(error) {
  session = null;
  generation++;
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  nav.hidden = true;
  logout.hidden = true;
  who.textContent = '';
  const input = /** @type {HTMLInputElement} */ (h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: false, 'aria-describedby': 'login-help' }));
  const msg = h('p', { id: 'login-error', class: 'error', role: 'alert' }, error ?? '');
  // method=post and no action: a browser without the script never puts the key in the URL.
  const form = h(
    'form',
    { class: 'login', method: 'post', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to the gridcast dashboard'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { id: 'login-help', class: 'help' }, 'Paste a key (gck_…). It is kept in this browser tab only (session storage) and sent to this server in a header, never in an address. The first start writes an admin key to data/admin.key.'),
    h('button', { type: 'submit' }, 'Sign in'),
    msg,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    setKey(key);
    try {
      await start();
    } catch (e) {
      clearKey();
      msg.textContent = e instanceof ApiError ? `The key was refused (${e.code}): ${e.message}` : `The server could not be reached: ${e}`;
      input.select();
    }
  });
  main.replaceChildren(form);
  input.focus();
}

async function start() {
  session = /** @type {Session} */ (await get('/session'));
  nav.hidden = false;
  logout.hidden = false;
  who.replaceChildren(
    h('span', { class: 'key-name' }, session.name),
    ' ',
    h('span', { class: `role role-${session.role}` }, session.role),
    ...(session.role === 'viewer' ? [h('span', { class: 'readonly' }, ' · read-only')] : []),
  );
  await route();
}

logout.addEventListener('click', () => {
  clearKey();
  announce('Signed out.');
  showLogin();
});
window.addEventListener('gridcast:unauthenticated', () => {
  // While signing in, the login form reports the refusal itself.
  if (!session) return;
  clearKey();
  showLogin('The server no longer accepts this key (revoked or expired): sign in again.');
});
window.addEventListener('hashchange', () => void route());

if (getKey()) {
  start().catch((e) => {
    if (e instanceof ApiError && e.status === 401) clearKey();
    showLogin(e instanceof ApiError ? `The stored key was refused (${e.code}): sign in again.` : `The server could not be reached: ${e instanceof Error ? e.message : e}`);
  });
} else showLogin();
