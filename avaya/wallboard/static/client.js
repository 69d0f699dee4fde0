// contactkit realtime client: reads the wallboard handler's event stream,
// keeps the latest value of every metric key, and computes DURATION and
// AVERAGE_DURATION values at any moment with the documented formulas, on
// the server's clock. No framework, no build step.
(function (global) {
  'use strict';

  // keyOf names a metric key: metric id and category value.
  function keyOf(k) { return k.metricId + '\u0000' + (k.categoryValue || ''); }

  function num(x) { return typeof x === 'number' && isFinite(x) ? x : 0; }

  // valueAt reads a value at the server time atMs: {kind, n, ms, text}.
  // kind is count, duration, boolean, string, empty or unknown; n is the
  // number a threshold compares (a count, or seconds), ms a duration.
  function valueAt(v, atMs) {
    if (!v || typeof v !== 'object') { return { kind: 'empty', text: '—' }; }
    const lut = typeof v.lastUpdateTime === 'string' ? Date.parse(v.lastUpdateTime) : NaN;
    const running = (num(v.numCountingUp) - num(v.numCountingDown)) * (isNaN(lut) ? 0 : atMs - lut);
    switch (v.type) {
      case 'COUNT':
        return { kind: 'count', n: num(v.count), text: String(num(v.count)) };
      case 'BOOLEAN':
        if (v.value === null || v.value === undefined) { return { kind: 'boolean', text: '—' }; }
        return { kind: 'boolean', text: v.value ? 'Yes' : 'No' };
      case 'STRING':
        return { kind: 'string', text: typeof v.value === 'string' && v.value !== '' ? v.value : '—' };
      case 'DURATION': {
        const ms = num(v.finishedDuration) + running;
        return { kind: 'duration', ms: ms, n: ms / 1000, text: formatDuration(ms), counting: num(v.numCountingUp) - num(v.numCountingDown) };
      }
      case 'AVERAGE_DURATION': {
        if (!num(v.count)) { return { kind: 'duration', text: '—', counting: 0 }; }
        const ms = (num(v.durationSum) + running) / num(v.count);
        return { kind: 'duration', ms: ms, n: ms / 1000, text: formatDuration(ms), counting: num(v.numCountingUp) - num(v.numCountingDown) };
      }
      case undefined: case null: case '':
        return { kind: 'empty', text: '—' };
      default: {
        // A type this client does not know: show what it carries as text.
        let t = v.value !== undefined ? v.value : (v.count !== undefined ? v.count : v.type);
        if (t !== null && typeof t === 'object') { t = JSON.stringify(t); }
        t = String(t);
        return { kind: 'unknown', text: t.length > 40 ? t.slice(0, 39) + '…' : t };
      }
    }
  }

  // formatDuration: 0:42, 12:05, 1:02:03.
  function formatDuration(ms) {
    let s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    s %= 60;
    const ss = String(s).padStart(2, '0');
    return h > 0 ? h + ':' + String(m).padStart(2, '0') + ':' + ss : m + ':' + ss;
  }

  // aboutDuration: "under 1 min", "about 2 min", "about 3 h".
  function aboutDuration(ms) {
    const min = Math.round(ms / 60000);
    if (ms < 60000) { return 'under 1 min'; }
    if (min < 90) { return 'about ' + min + ' min'; }
    return 'about ' + Math.round(ms / 3600000) + ' h';
  }

  // level is '', 'amber' or 'red' for a metric's thresholds.
  function level(metric, val) {
    if (!metric || typeof val.n !== 'number') { return ''; }
    if (metric.red > 0 && val.n >= metric.red) { return 'red'; }
    if (metric.amber > 0 && val.n >= metric.amber) { return 'amber'; }
    return '';
  }

  // Stream connects to an events URL and calls back:
  //   onChange()        the values, metrics or state changed
  //   onLink(state)     the stream's own link: 'open' or 'down'
  class Stream {
    constructor(url, handlers) {
      this.url = url;
      this.handlers = handlers || {};
      this.offset = 0;         // server clock − browser clock, ms
      this.values = new Map(); // key → {key, value, t}
      this.metrics = [];
      this.byId = new Map();
      this.title = '';
      this.state = 'connecting'; // the upstream's, as the server says
      this.link = 'down';
      this.lastEvent = 0;
      this.failures = 0;       // stream errors since the last snapshot
      this.heartbeatMs = 15000;
      this.es = null;
      this.retry = null;
      this.watch = setInterval(() => this.check(), 1000);
      // A page that is left closes its stream at once (the server frees
      // the viewer); one restored from the back/forward cache reopens it.
      addEventListener('pagehide', () => { if (this.es) { this.es.close(); } this.setLink('down'); });
      addEventListener('pageshow', (e) => { if (e.persisted) { this.open(); } });
      this.open();
    }

    now() { return Date.now() + this.offset; }

    clock(now) {
      if (typeof now === 'number') { this.offset = now - Date.now(); }
      this.lastEvent = Date.now();
    }

    open() {
      clearTimeout(this.retry);
      if (this.es) { this.es.close(); }
      const es = new EventSource(this.url);
      this.es = es;
      es.addEventListener('snapshot', (e) => this.snapshot(JSON.parse(e.data)));
      es.addEventListener('update', (e) => {
        const u = JSON.parse(e.data);
        this.clock(u.now);
        if (this.put(u)) { this.changed(); }
      });
      es.addEventListener('state', (e) => {
        const s = JSON.parse(e.data);
        this.clock(s.now);
        this.state = s.state;
        this.changed();
      });
      es.addEventListener('heartbeat', (e) => this.clock(JSON.parse(e.data).now));
      es.onopen = () => { this.lastEvent = Date.now(); };
      es.onerror = () => {
        this.failures++;
        this.setLink('down');
        if (es.readyState === EventSource.CLOSED) {
          // Refused (503 while stopped, 403): try again a while later.
          this.retry = setTimeout(() => this.open(), 5000);
        }
      };
    }

    // check reopens a stream that has gone silent (no heartbeat).
    check() {
      if (this.link === 'open' && Date.now() - this.lastEvent > 2.5 * this.heartbeatMs) {
        this.setLink('down');
        this.open();
      }
      if (this.handlers.onTick) { this.handlers.onTick(); }
    }

    snapshot(s) {
      this.clock(s.now);
      this.title = s.title || '';
      if (s.heartbeat > 0) { this.heartbeatMs = s.heartbeat; }
      this.state = s.state;
      this.metrics = Array.isArray(s.metrics) ? s.metrics : [];
      this.byId = new Map(this.metrics.map((m) => [m.id, m]));
      this.values = new Map();
      for (const r of s.values || []) { this.put(r); }
      this.failures = 0;
      this.setLink('open');
      this.changed();
    }

    // put keeps an update unless a newer value is held for its key.
    put(r) {
      if (!r || !r.key || typeof r.key.metricId !== 'string') { return false; }
      const k = keyOf(r.key);
      const t = r.value && typeof r.value.lastUpdateTime === 'string' ? Date.parse(r.value.lastUpdateTime) : NaN;
      const held = this.values.get(k);
      if (held && !isNaN(held.t) && !isNaN(t) && t < held.t) { return false; }
      this.values.set(k, { key: r.key, value: r.value, t: t });
      return true;
    }

    setLink(l) {
      if (this.link === l) { return; }
      this.link = l;
      this.changed();
    }

    // status is what to tell a person: connected, reconnecting, connecting, stopped.
    status() {
      if (this.link !== 'open') {
        if (this.state === 'stopped') { return 'stopped'; }
        return this.failures > 0 ? 'reconnecting' : 'connecting';
      }
      return this.state;
    }

    lastUpdate() {
      let t = NaN;
      for (const v of this.values.values()) { if (!isNaN(v.t) && !(v.t <= t)) { t = v.t; } }
      return t;
    }

    changed() { if (this.handlers.onChange) { this.handlers.onChange(); } }

    close() {
      clearInterval(this.watch);
      clearTimeout(this.retry);
      if (this.es) { this.es.close(); }
    }
  }

  global.ContactkitRealtime = {
    Stream: Stream,
    valueAt: valueAt,
    formatDuration: formatDuration,
    aboutDuration: aboutDuration,
    level: level,
    keyOf: keyOf,
  };
})(window);
