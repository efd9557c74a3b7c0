/* global document, window, fetch, DOMParser */
// The proctor's page: the sessions table refreshed in place every few seconds (a pause button,
// WCAG 2.2.2); without it the page is the same table, current when loaded.
(function () {
  'use strict';
  var root = document.getElementById('pengawasan');
  if (!root) return;
  var every = Number(root.getAttribute('data-refresh-ms')) || 5000;
  var pause = document.getElementById('pengawasan-jeda');
  var paused = false;
  pause.hidden = false;
  pause.addEventListener('click', function () {
    paused = !paused;
    pause.textContent = paused ? 'Lanjutkan pembaruan' : 'Jeda pembaruan';
  });
  function refresh() {
    if (paused || document.visibilityState === 'hidden') return;
    fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) {
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['sesi-langsung', 'pengawasan-ringkasan', 'pengawasan-waktu'].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old) old.innerHTML = fresh.innerHTML;
        });
      })
      .catch(function () {
        /* offline: the next round tries again */
      });
  }
  window.setInterval(refresh, every);
})();
