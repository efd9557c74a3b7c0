/* global document, window */
/* The pipeline board's charts (Chart.js, loaded before this file), drawn from the tables on the
   page: the tables are the data and the accessible alternative; without JavaScript they remain. */
(function () {
  'use strict';
  var Chart = window.Chart;
  if (!Chart) return;
  var colors = ['#0b4f8a', '#1e6b34', '#8a4b0b', '#5b2a86', '#a1141b', '#2f6f6f', '#4a4a4a'];
  Chart.defaults.font.size = 14;
  Chart.defaults.color = '#1a1a1a';
  function cells(row) {
    return Array.prototype.slice.call(row.querySelectorAll('td')).map(function (td) {
      return Number(td.getAttribute('data-value'));
    });
  }
  function headers(table) {
    return Array.prototype.slice.call(table.querySelectorAll('thead th')).map(function (th) {
      return th.textContent.trim();
    });
  }
  function integerTicks(title) {
    return { beginAtZero: true, title: { display: true, text: title }, ticks: { precision: 0 } };
  }
  document.querySelectorAll('canvas[data-table]').forEach(function (canvas) {
    var table = document.getElementById(canvas.getAttribute('data-table'));
    if (!table) return;
    var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr'));
    var config;
    if (canvas.getAttribute('data-kind') === 'funnel') {
      config = {
        type: 'bar',
        data: {
          labels: rows.map(function (r) {
            return r.querySelector('th').textContent.trim();
          }),
          datasets: [
            {
              label: 'Jumlah pelamar',
              data: rows.map(function (r) {
                return cells(r)[0];
              }),
              backgroundColor: colors[0],
            },
          ],
        },
        options: {
          indexAxis: 'y',
          maintainAspectRatio: false,
          plugins: { legend: { display: true, position: 'bottom' } },
          scales: { x: integerTicks('Jumlah pelamar'), y: { title: { display: true, text: 'Tahap' } } },
        },
      };
    } else {
      var heads = headers(table).slice(1);
      config = {
        type: 'bar',
        data: {
          labels: rows.map(function (r) {
            return r.querySelector('th').getAttribute('data-label');
          }),
          datasets: heads.map(function (h, i) {
            return {
              label: h,
              data: rows.map(function (r) {
                return cells(r)[i];
              }),
              backgroundColor: colors[i % colors.length],
            };
          }),
        },
        options: {
          maintainAspectRatio: false,
          plugins: { legend: { display: true, position: 'bottom' } },
          scales: { y: integerTicks('Jumlah pelamar'), x: { title: { display: true, text: 'Formasi' } } },
        },
      };
    }
    canvas.parentElement.style.height = canvas.getAttribute('height') + 'px';
    new Chart(canvas, config);
  });
})();
