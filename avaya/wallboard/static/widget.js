// The web-site widget: one line of text, "Current wait about 2 min · 3
// calls in queue", placed where its <script> tag is (or in the element
// named by data-target), updated politely for screen readers, and
// "unavailable" while the stream is down.
//
//   <script src="https://board.example.com/board/widget.js" data-metrics="K1RNV20Q,K0FLAEB6" async></script>
(function () {
  'use strict';
  const R = window.ContactkitRealtime;
  const script = document.currentScript;
  if (!script || !R) { return; }
  const events = new URL('events', script.src);
  if (script.dataset.metrics) { events.searchParams.set('metrics', script.dataset.metrics); }
  const unavailable = script.dataset.unavailable || 'Live figures unavailable';

  const box = document.createElement('span');
  box.className = 'contactkit-widget';
  box.setAttribute('role', 'status');
  box.setAttribute('aria-live', 'polite');
  box.setAttribute('aria-atomic', 'true');
  box.dataset.state = 'connecting';
  box.textContent = 'Loading live figures…';
  const target = script.dataset.target ? document.getElementById(script.dataset.target) : null;
  if (target) { target.append(box); } else { script.after(box); }

  function phrase(m, key, v) {
    let text = v.kind === 'duration' && typeof v.ms === 'number' ? R.aboutDuration(v.ms) : v.text;
    if (key.categoryValue) { text += ' (' + key.categoryValue + ')'; }
    const p = m.widget || (m.label + ': {value}');
    return p.split('{value}').join(text);
  }

  // ordered: the metrics in the order data-metrics names them.
  function ordered() {
    const want = (script.dataset.metrics || '').split(',').map((s) => s.trim());
    const rank = (m) => { const i = want.indexOf(m.id); return i < 0 ? want.length : i; };
    return stream.metrics.slice().sort((a, b) => rank(a) - rank(b));
  }

  function render() {
    const status = stream.status();
    let text;
    if (status !== 'connected') {
      text = status === 'connecting' ? 'Loading live figures…' : unavailable;
    } else {
      const phrased = stream.metrics.some((m) => m.widget);
      const now = stream.now();
      const parts = [];
      for (const m of ordered()) {
        if (phrased && !m.widget) { continue; }
        for (const held of stream.values.values()) {
          if (held.key.metricId === m.id) { parts.push(phrase(m, held.key, R.valueAt(held.value, now))); }
        }
      }
      text = parts.length ? parts.join(' · ') : unavailable;
    }
    box.dataset.state = status;
    if (box.textContent !== text) { box.textContent = text; } // only real changes are announced
  }

  const stream = new R.Stream(events.toString(), { onChange: render, onTick: render });
})();
