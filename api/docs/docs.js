// The /docs page: reads the OpenAPI document with the API key the user gives (kept in this tab's
// sessionStorage) and renders its operations. Plain DOM, no external assets.
(() => {
  const KEY = 'gridcast.apiKey';
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  };
  const status = (text, error = false) => {
    $('status').textContent = text;
    $('status').className = error ? 'error' : '';
  };

  const deref = (doc, schema) => {
    const ref = schema && schema.$ref;
    if (!ref || !ref.startsWith('#/')) return schema;
    return ref.slice(2).split('/').reduce((o, k) => (o ? o[k] : undefined), doc) || schema;
  };
  // Components are inlined where they are referenced (a few levels deep; a cycle stays a $ref).
  const inline = (doc, schema, depth = 0) => {
    if (Array.isArray(schema)) return schema.map((s) => inline(doc, s, depth));
    if (!schema || typeof schema !== 'object') return schema;
    if (schema.$ref && depth < 4) return inline(doc, deref(doc, schema), depth + 1);
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(doc, v, depth)]));
  };
  const schemaBlock = (doc, schema) => el('pre', {}, JSON.stringify(inline(doc, schema), null, 2));

  function renderOperation(doc, path, method, op) {
    const box = el('div', { class: 'op', id: `op-${method}-${path}` });
    const needs = (op.security && op.security.length === 0) ? 'public' : op['x-role'] ? `role ${op['x-role']}` : 'API key';
    box.append(el('h3', {}, el('span', { class: 'method' }, method.toUpperCase()), path, el('span', { class: 'role' }, needs)));
    if (op.summary) box.append(el('p', {}, op.summary));
    if (op.description) box.append(el('p', {}, op.description));
    if (op.parameters && op.parameters.length) {
      box.append(el('h4', {}, 'Parameters'));
      const rows = op.parameters.map((p) =>
        el('tr', {}, el('td', {}, el('code', {}, p.name)), el('td', {}, p.in), el('td', {}, p.required ? 'required' : 'optional'),
          el('td', {}, JSON.stringify(deref(doc, p.schema) || {})), el('td', {}, p.description || '')));
      box.append(el('table', {}, el('tbody', {}, ...rows)));
    }
    if (op.requestBody) {
      for (const [type, media] of Object.entries(op.requestBody.content || {})) {
        box.append(el('h4', {}, `Request body (${type})`), schemaBlock(doc, media.schema));
      }
    }
    for (const [code, res] of Object.entries(op.responses || {})) {
      const content = res.content || {};
      const types = Object.keys(content);
      box.append(el('h4', {}, `${code} ${res.description || ''} ${types.length ? `(${types.join(', ')})` : ''}`));
      for (const t of types) if (/^2/.test(code)) box.append(schemaBlock(doc, content[t].schema));
    }
    return box;
  }

  function render(doc) {
    $('version').textContent = `${doc.info.version} · OpenAPI ${doc.openapi}`;
    $('intro').replaceChildren(el('p', {}, doc.info.description || ''));
    const byTag = new Map();
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
        const tag = (op.tags && op.tags[0]) || 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push([path, method, op]);
      }
    }
    const toc = [];
    const sections = [];
    for (const [tag, ops] of [...byTag].sort(([a], [b]) => a.localeCompare(b))) {
      toc.push(el('h3', {}, tag));
      const section = el('section', { id: `tag-${tag}` }, el('h2', {}, tag));
      for (const [path, method, op] of ops) {
        toc.push(el('a', { href: `#op-${method}-${path}` }, `${method.toUpperCase()} ${path}`));
        section.append(renderOperation(doc, path, method, op));
      }
      sections.push(section);
    }
    toc.push(el('h3', {}, 'errors'), el('a', { href: '#problems' }, 'Problem codes'));
    $('toc').replaceChildren(...toc);
    $('paths').replaceChildren(...sections);
  }

  async function load() {
    const key = sessionStorage.getItem(KEY);
    if (!key) return status('Give an API key to read the API description. The problem codes below need none.');
    status('Loading…');
    const res = await fetch('/api/v1/openapi.json', { headers: { authorization: `Bearer ${key}` } });
    if (!res.ok) {
      let detail = res.statusText;
      try { detail = (await res.json()).detail || detail; } catch {}
      return status(`${res.status}: ${detail}`, true);
    }
    render(await res.json());
    status('');
    if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
  }

  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key').value.trim();
    if (key) sessionStorage.setItem(KEY, key);
    $('key').value = '';
    load().catch((err) => status(String(err), true));
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    $('paths').replaceChildren();
    $('toc').replaceChildren();
    status('Key forgotten.');
  });
  load().catch((err) => status(String(err), true));
})();
