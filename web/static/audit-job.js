/* global document, window, fetch, DOMParser */
// The audit job's page while the job is queued or running: the #audit-job region is fetched again
// every 2 s and swapped in place until the job has ended (then the result shows and it stops). A
// pause button (WCAG 2.2.2) holds the updates; without JavaScript the page links to a reload.
(function () {
  'use strict';
  var region = document.getElementById('audit-job');
  var toggle = document.getElementById('audit-job-jeda');
  var isActive = function (el) {
    return !!el.querySelector('[data-job-active]');
  };
  if (!region || !toggle || !isActive(region)) return;
  var state = { paused: false, timer: 0 };

  async function poll() {
    if (state.paused || document.visibilityState === 'hidden') return;
    try {
      var res = await fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!res.ok) return;
      var next = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('audit-job');
      if (!next) return;
      region.innerHTML = next.innerHTML;
      if (isActive(region)) return;
      window.clearInterval(state.timer);
      toggle.hidden = true;
    } catch {
      // offline for a moment: the next tick tries again
    }
  }

  toggle.hidden = false;
  toggle.addEventListener('click', function () {
    state.paused = !state.paused;
    toggle.textContent = state.paused ? 'Lanjutkan pembaruan' : 'Jeda pembaruan';
  });
  state.timer = window.setInterval(poll, 2000);
})();
