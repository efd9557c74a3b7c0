/* global document, window, XMLHttpRequest, FormData, URLSearchParams, fetch */
// The candidate's pages: inline checks while typing (the server's own rules, via /periksa),
// uploads with a progress bar, the sanggah length counter. Without it every form still works.
(function () {
  'use strict';
  var summary = document.getElementById('ringkasan-kesalahan');
  if (summary) summary.focus();

  function fieldError(name, text) {
    var id = 'f-' + name.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '');
    var el = document.getElementById(id + '-error');
    var input = document.getElementById(id);
    if (el) el.textContent = text || '';
    if (input && input.setAttribute) {
      if (text) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }

  // 1. Registration: every change is checked by the server's rules; errors show on the fields touched.
  var reg = document.querySelector('form[data-check]');
  if (reg) {
    var touched = {};
    var timer = null;
    var seq = 0;
    var csrf = reg.querySelector('input[name="_csrf"]').value;
    var check = function () {
      var mine = ++seq;
      fetch(reg.getAttribute('data-check'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-csrf-token': csrf,
          accept: 'application/json',
        },
        body: new URLSearchParams(new FormData(reg)).toString(),
      })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (res) {
          if (!res || mine !== seq) return;
          Object.keys(touched).forEach(function (name) {
            fieldError(name, res.errors[name]);
          });
          var w = document.getElementById('peringatan');
          if (w) {
            w.textContent = res.warnings.join(' ');
            w.hidden = res.warnings.length === 0;
          }
        })
        .catch(function () {
          /* offline: the server checks on submit */
        });
    };
    var later = function (e) {
      if (!e.target.name || e.target.name === '_csrf') return;
      touched[e.target.name] = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(check, e.type === 'input' ? 400 : 0);
    };
    reg.addEventListener('input', later);
    reg.addEventListener('change', later);
  }

  // 2. Uploads: type and size checked before sending, then XHR with a progress bar.
  Array.prototype.forEach.call(document.querySelectorAll('form.upload'), function (form) {
    var kind = form.getAttribute('data-kind');
    var input = form.querySelector('input[type="file"]');
    var bar = form.querySelector('progress');
    var msg = document.getElementById('file-' + kind + '-msg');
    var state = document.getElementById('doc-' + kind + '-state');
    var button = form.querySelector('button');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = input.files && input.files[0];
      msg.textContent = '';
      if (!file) {
        msg.textContent = 'Pilih berkas terlebih dahulu.';
        input.focus();
        return;
      }
      var max = Number(form.getAttribute('data-max'));
      if (file.size > max) {
        msg.textContent =
          'Berkas ' + Math.ceil(file.size / 1024) + ' KB melebihi batas ' + Math.round(max / 1024) + ' KB.';
        input.focus();
        return;
      }
      var data = new FormData();
      data.append('file', file);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.getAttribute('action').split('?')[0]);
      xhr.setRequestHeader('x-csrf-token', form.getAttribute('data-csrf'));
      xhr.setRequestHeader('accept', 'application/json');
      bar.hidden = false;
      bar.value = 0;
      button.disabled = true;
      xhr.upload.onprogress = function (ev) {
        if (ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100);
      };
      xhr.onload = function () {
        button.disabled = false;
        var res;
        try {
          res = JSON.parse(xhr.responseText);
        } catch {
          res = null;
        }
        if (xhr.status === 201 && res) {
          bar.value = 100;
          state.textContent = 'Sudah diunggah: ' + res.size + ', ' + res.at + ' — belum dikirim';
          msg.textContent = '';
          form.setAttribute('data-done', '1');
        } else {
          bar.hidden = true;
          msg.textContent = (res && res.error && res.error.message) || 'Unggah gagal; coba lagi.';
        }
      };
      xhr.onerror = function () {
        button.disabled = false;
        bar.hidden = true;
        msg.textContent = 'Koneksi terputus; coba lagi.';
      };
      xhr.send(data);
    });
  });

  // 3. Sanggah: how many characters, against the limits the workflow enforces.
  var reason = document.getElementById('f-reason');
  var count = document.getElementById('f-reason-count');
  if (reason && count) {
    var min = Number(count.getAttribute('data-min'));
    var max = Number(count.getAttribute('data-max'));
    var update = function () {
      var n = reason.value.trim().length;
      count.textContent = n + ' dari ' + min + '–' + max + ' karakter' + (n < min ? ' (kurang ' + (min - n) + ')' : '');
    };
    reason.addEventListener('input', update);
    update();
  }
})();
