/* global document, window, fetch, localStorage, performance */
// The candidate's exam page (CAT): one item per screen, the navigation grid, flags, the clock the
// server gives (re-synced on every save), answers saved in batches every few seconds and on each
// navigation, queued (and kept in localStorage) while the network is down, integrity events.
// Without it the page is one long form whose button saves every answer.
(function () {
  'use strict';
  // The result page while the score is being computed: look again shortly.
  var scoring = document.getElementById('menunggu-nilai');
  if (scoring)
    window.setTimeout(function () {
      window.location.reload();
    }, 3000);
  var root = document.getElementById('ujian');
  if (!root) return;
  var sessionId = root.getAttribute('data-session');
  var csrf = root.getAttribute('data-csrf');
  var saveUrl = root.getAttribute('data-save-url');
  var store = 'asn-ujian:' + sessionId;
  var items = Array.prototype.slice.call(root.querySelectorAll('section.soal'));
  var grid = Array.prototype.slice.call(root.querySelectorAll('.exam-grid a'));
  var clock = document.getElementById('sisa-waktu');
  var saveState = document.getElementById('status-simpan');
  var current = 0;
  var seq = 0;
  // Not yet acknowledged: itemId → { a: optionId|null } and/or { f: boolean }; events in order.
  var pending = {};
  var events = [];
  var inFlight = null;
  var failures = 0;
  var retryTimer = null;
  var locked = false;
  var deadline = performance.now() + Number(root.getAttribute('data-remaining-ms'));

  root.classList.add('js');
  try {
    var saved = JSON.parse(localStorage.getItem(store) || 'null');
    if (saved) {
      pending = saved.pending || {};
      events = saved.events || [];
      seq = Math.max(seq, saved.seq || 0);
      inFlight = saved.inFlight || null;
      Object.keys(pending).forEach(applyToForm);
      if (inFlight) Object.keys(inFlight.changes).forEach(applyToForm);
    }
  } catch {
    /* storage unavailable or corrupt: the server's state stands */
  }

  function applyToForm(itemId) {
    var c = pending[itemId] || (inFlight && inFlight.changes[itemId]);
    if (!c) return;
    var sec = root.querySelector('section.soal[data-item="' + itemId + '"]');
    if (!sec) return;
    if ('a' in c)
      Array.prototype.forEach.call(sec.querySelectorAll('input[type="radio"]'), function (r) {
        r.checked = r.value === c.a;
      });
    if ('f' in c) sec.querySelector('input[type="checkbox"]').checked = c.f;
  }

  function persist() {
    try {
      localStorage.setItem(store, JSON.stringify({ pending: pending, events: events, seq: seq, inFlight: inFlight }));
    } catch {
      /* full or blocked: the queue still lives in memory */
    }
  }

  function waiting() {
    return Object.keys(pending).length + (inFlight ? Object.keys(inFlight.changes).length : 0);
  }

  function say(text, kind) {
    saveState.textContent = text;
    saveState.setAttribute('data-kind', kind);
  }

  // ---- the clock: the server's remaining time, counted down here between saves ----
  function two(n) {
    return (n < 10 ? '0' : '') + n;
  }
  function tick() {
    var left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
    var h = Math.floor(left / 3600);
    clock.textContent = (h ? h + ':' : '') + two(Math.floor((left % 3600) / 60)) + ':' + two(left % 60);
    clock.setAttribute('data-seconds', String(left));
    root.classList.toggle('hampir-habis', left <= 300);
    if (left === 0 && !locked) timeUp();
  }
  function timeUp() {
    locked = true;
    root.classList.add('terkunci');
    say('Waktu habis. Jawaban dikirim dan ujian diakhiri oleh server…', 'info');
    flush(true);
    // The server's timer submits; reload to show its result once it has.
    window.setTimeout(function () {
      window.location.reload();
    }, 3000);
  }

  // A retried batch keeps its id: the server applies it once and answers it again.
  function batchId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }

  // ---- saving: one batch in flight at a time, retried with the same seq until acknowledged ----
  function flush(force) {
    if (inFlight) return;
    if (!Object.keys(pending).length && !events.length && !force) return;
    seq += 1;
    inFlight = { seq: seq, batchId: batchId(), changes: pending, events: events };
    pending = {};
    events = [];
    persist();
    send();
  }

  function send() {
    if (!inFlight) return;
    window.clearTimeout(retryTimer);
    var batch = inFlight;
    var answers = [];
    var flags = [];
    Object.keys(batch.changes).forEach(function (id) {
      var c = batch.changes[id];
      if ('a' in c) answers.push({ itemId: id, option: c.a });
      if ('f' in c) flags.push({ itemId: id, flagged: c.f });
    });
    say(waiting() + ' perubahan sedang disimpan…', 'busy');
    // A request the network swallowed is given up after 15 s and retried (same batch id).
    var abort = window.AbortController ? new window.AbortController() : null;
    var timeout = window.setTimeout(function () {
      if (abort) abort.abort();
    }, 15000);
    fetch(saveUrl, {
      method: 'POST',
      signal: abort ? abort.signal : undefined,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, accept: 'application/json' },
      body: JSON.stringify({ batchId: batch.batchId, answers: answers, flags: flags, events: batch.events }),
    })
      .then(function (r) {
        return r.json().then(
          function (body) {
            return { status: r.status, body: body };
          },
          function () {
            return { status: r.status, body: null };
          },
        );
      })
      .then(function (res) {
        window.clearTimeout(timeout);
        if (res.status >= 200 && res.status < 300 && res.body) return acknowledged(res.body);
        if (res.status === 409 || res.status === 410 || res.status === 401) return refused(res.body);
        retry();
      })
      .catch(function () {
        window.clearTimeout(timeout);
        retry();
      });
  }

  function acknowledged(body) {
    inFlight = null;
    failures = 0;
    persist();
    if (typeof body.remainingMs === 'number') deadline = performance.now() + body.remainingMs;
    if (body.state && body.state !== 'in_progress') return window.location.reload();
    if (Object.keys(pending).length || events.length) return flush();
    say('Semua jawaban tersimpan', 'ok');
  }

  function refused(body) {
    var code = body && body.error && body.error.code;
    locked = true;
    root.classList.add('terkunci');
    window.clearTimeout(retryTimer);
    if (code === 'DEVICE_LOCKED' || code === 'DEVICE_CONFLICT')
      say('Ujian ini sudah dilanjutkan di perangkat lain. Halaman ini dikunci.', 'err');
    else window.location.reload();
  }

  function retry() {
    failures += 1;
    say(
      'Koneksi terputus: ' + waiting() + ' perubahan menunggu dan akan dikirim otomatis. Jangan tutup halaman ini.',
      'err',
    );
    retryTimer = window.setTimeout(send, Math.min(10000, 1000 * failures));
  }

  function change(itemId, key, value) {
    if (locked) return;
    pending[itemId] = pending[itemId] || {};
    pending[itemId][key] = value;
    persist();
    say(waiting() + ' perubahan belum tersimpan', 'busy');
    // In the last minute every change goes at once (a save at the deadline is refused).
    if (deadline - performance.now() < 60000) flush();
    mark(items.indexOf(root.querySelector('section.soal[data-item="' + itemId + '"]')));
  }

  // ---- one item per screen and the grid ----
  function mark(i) {
    var sec = items[i];
    var link = grid[i];
    if (!sec || !link) return;
    var answered = !!sec.querySelector('input[type="radio"]:checked');
    var flagged = sec.querySelector('input[type="checkbox"]').checked;
    link.setAttribute('data-answered', answered ? '1' : '0');
    link.setAttribute('data-flagged', flagged ? '1' : '0');
    link.querySelector('.sr-only').textContent =
      (answered ? ', dijawab' : ', belum dijawab') + (flagged ? ', ditandai ragu-ragu' : '');
  }

  function show(i, focus) {
    if (i < 0 || i >= items.length) return;
    items[current].hidden = true;
    grid[current].removeAttribute('aria-current');
    current = i;
    items[i].hidden = false;
    grid[i].setAttribute('aria-current', 'step');
    if (focus) items[i].querySelector('h2').focus();
    flush();
  }

  items.forEach(function (sec, i) {
    sec.hidden = i !== 0;
    mark(i);
    var id = sec.getAttribute('data-item');
    sec.addEventListener('change', function (e) {
      if (e.target.type === 'radio') change(id, 'a', e.target.value);
      if (e.target.type === 'checkbox') change(id, 'f', e.target.checked);
    });
    sec.addEventListener('click', function (e) {
      var go = e.target.getAttribute && e.target.getAttribute('data-go');
      if (go === 'prev') show(i - 1, true);
      if (go === 'next') show(i + 1, true);
      if (go === 'clear') {
        Array.prototype.forEach.call(sec.querySelectorAll('input[type="radio"]'), function (r) {
          r.checked = false;
        });
        change(id, 'a', null);
      }
    });
  });
  grid.forEach(function (a, i) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      show(i, true);
    });
  });
  if (items.length) grid[0].setAttribute('aria-current', 'step');

  // ---- integrity events: recorded for the proctor and the auditor ----
  var lastFocusEvent = 0;
  function integrity(kind) {
    if (locked) return;
    var now = Date.now();
    if (kind === 'focus_lost') {
      if (now - lastFocusEvent < 1000) return;
      lastFocusEvent = now;
    }
    events.push({ kind: kind, at: new Date(now).toISOString() });
    persist();
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') integrity('focus_lost');
    else {
      integrity('focus_returned');
      flush();
    }
  });
  window.addEventListener('blur', function () {
    integrity('focus_lost');
  });
  ['copy', 'cut', 'paste'].forEach(function (type) {
    document.addEventListener(type, function (e) {
      e.preventDefault();
      integrity(type);
    });
  });
  var wasFullscreen = false;
  document.addEventListener('fullscreenchange', function () {
    if (document.fullscreenElement) {
      wasFullscreen = true;
      integrity('fullscreen_enter');
    } else if (wasFullscreen) integrity('fullscreen_exit');
  });
  var fsButton = document.getElementById('layar-penuh');
  if (fsButton && document.documentElement.requestFullscreen) {
    fsButton.hidden = false;
    fsButton.addEventListener('click', function () {
      document.documentElement.requestFullscreen().catch(function () {
        /* refused by the browser: the exam goes on */
      });
    });
  }

  // ---- submit: a confirmation with what is still open; everything saved first ----
  var finish = document.getElementById('akhiri');
  var dialog = document.getElementById('konfirmasi');
  if (finish && dialog && dialog.showModal) {
    finish.querySelector('.konfirmasi-nojs').hidden = true;
    finish.querySelector('input[type="checkbox"]').required = false;
    finish.addEventListener('submit', function (e) {
      if (finish.getAttribute('data-confirmed')) return;
      e.preventDefault();
      var open = grid.filter(function (a) {
        return a.getAttribute('data-answered') !== '1';
      }).length;
      var flagged = grid.filter(function (a) {
        return a.getAttribute('data-flagged') === '1';
      }).length;
      document.getElementById('konfirmasi-isi').textContent =
        'Belum dijawab: ' +
        open +
        ' soal. Ditandai ragu-ragu: ' +
        flagged +
        ' soal. Setelah diakhiri, jawaban tidak dapat diubah.';
      dialog.showModal();
    });
    document.getElementById('konfirmasi-batal').addEventListener('click', function () {
      dialog.close();
    });
    var yes = document.getElementById('konfirmasi-ya');
    yes.addEventListener('click', function () {
      yes.disabled = true;
      say('Menyimpan jawaban terakhir sebelum mengakhiri…', 'busy');
      flush();
      (function wait() {
        if (inFlight || Object.keys(pending).length) return window.setTimeout(wait, 200);
        localStorage.removeItem(store);
        finish.querySelector('input[type="checkbox"]').checked = true;
        finish.setAttribute('data-confirmed', '1');
        finish.submit();
      })();
    });
  }

  window.addEventListener('offline', function () {
    integrity('offline');
  });
  window.addEventListener('online', function () {
    integrity('online');
    if (inFlight) send();
    else flush();
  });
  window.setInterval(tick, 250);
  window.setInterval(flush, 3000);
  tick();
  if (inFlight) send();
  else flush();
  if (!inFlight) say('Semua jawaban tersimpan', 'ok');
})();
