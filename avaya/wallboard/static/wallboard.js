// The wallboard page: a tile per metric and category value, counting
// durations up each second on the server's clock.
(function () {
  'use strict';
  const R = window.ContactkitRealtime;
  const script = document.currentScript || document.querySelector('script[src$="wallboard.js"]');
  const events = new URL('events', script ? script.src : document.baseURI);
  const asked = new URLSearchParams(location.search).get('metrics');
  if (asked) { events.searchParams.set('metrics', asked); }

  const board = document.getElementById('board');
  const conn = document.getElementById('conn');
  const connText = document.getElementById('conn-text');
  const updated = document.getElementById('updated');
  const titleEl = document.getElementById('title');
  const tiles = new Map(); // key → {el, value, meta, metric}
  const stateText = {
    connected: 'Live',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    stopped: 'Stopped',
  };
  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // order: the server's metric order, then category values as configured,
  // then as they came.
  function ordered() {
    const out = [];
    const seen = new Set();
    for (const m of stream.metrics) {
      const cats = Array.isArray(m.categories) ? m.categories : [];
      for (const c of cats) {
        const k = R.keyOf({ metricId: m.id, categoryValue: c });
        seen.add(k);
        out.push({ k: k, key: { metricId: m.id, categoryValue: c }, metric: m });
      }
      const rest = [];
      for (const [k, v] of stream.values) {
        if (v.key.metricId === m.id && !seen.has(k)) { seen.add(k); rest.push({ k: k, key: v.key, metric: m }); }
      }
      rest.sort((a, b) => (a.key.categoryValue || '').localeCompare(b.key.categoryValue || ''));
      out.push(...rest);
    }
    return out;
  }

  function tileFor(item) {
    let t = tiles.get(item.k);
    if (t) { return t; }
    const art = el('article', 'tile');
    art.tabIndex = 0;
    art.dataset.metric = item.key.metricId;
    art.dataset.category = item.key.categoryValue || '';
    const id = 'tile-' + tiles.size;
    const head = el('h2', 'tile-label', item.metric.label || item.key.metricId);
    head.id = id;
    art.setAttribute('aria-labelledby', id + ' ' + id + '-cat');
    const cat = el('p', 'tile-cat', item.key.categoryValue || '\u00a0');
    cat.id = id + '-cat';
    const value = el('p', 'tile-value', '…');
    const meta = el('p', 'tile-meta', 'waiting for a value');
    art.append(head, cat, value, meta);
    t = { el: art, value: value, meta: meta, metric: item.metric };
    tiles.set(item.k, t);
    return t;
  }

  function render() {
    document.title = stream.title || 'Wallboard';
    titleEl.textContent = stream.title || 'Wallboard';
    const status = stream.status();
    conn.dataset.state = status;
    const text = stateText[status] || status;
    if (connText.textContent !== text) { connText.textContent = text; }
    const items = ordered();
    const keep = new Set(items.map((i) => i.k));
    for (const [k, t] of tiles) {
      if (!keep.has(k)) { t.el.remove(); tiles.delete(k); }
    }
    items.forEach((item, i) => {
      const t = tileFor(item);
      t.metric = item.metric;
      if (board.children[i] !== t.el) { board.insertBefore(t.el, board.children[i] || null); }
    });
    board.setAttribute('aria-busy', status === 'connected' ? 'false' : 'true');
    tick();
  }

  // tick redraws every value at the server's now.
  function tick() {
    const now = stream.now();
    for (const [k, t] of tiles) {
      const held = stream.values.get(k);
      if (!held) { continue; }
      const v = R.valueAt(held.value, now);
      if (t.value.textContent !== v.text) { t.value.textContent = v.text; }
      t.el.dataset.type = v.kind;
      t.el.dataset.at = String(Math.round(now)); // the server time the value is shown for
      if (typeof v.ms === 'number') { t.el.dataset.ms = String(Math.round(v.ms)); } else { delete t.el.dataset.ms; }
      const lvl = R.level(t.metric, v);
      if (t.el.dataset.level !== lvl) { t.el.dataset.level = lvl; }
      let meta = isNaN(held.t) ? '' : 'updated ' + timeFmt.format(new Date(held.t));
      if (v.kind === 'duration' && v.counting > 0) { meta = v.counting + ' counting · ' + meta; }
      if (v.kind === 'unknown') { meta = (held.value && held.value.type ? held.value.type : 'value') + ' · ' + meta; }
      if (t.meta.textContent !== meta) { t.meta.textContent = meta; }
    }
    const last = stream.lastUpdate();
    if (!isNaN(last)) {
      const d = new Date(last);
      const s = timeFmt.format(d);
      if (updated.textContent !== s) {
        updated.textContent = s;
        updated.dateTime = d.toISOString();
      }
    }
  }

  const stream = new R.Stream(events.toString(), { onChange: render, onTick: tick });
  window.contactkitWallboard = stream; // for a console, and the tests
})();
