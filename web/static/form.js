/* global document */
// Inline checks while typing (the server checks again), and focus on the error summary.
(function () {
  'use strict';
  var summary = document.getElementById('ringkasan-kesalahan');
  if (summary) summary.focus();
  var messages = {
    nik: 'NIK terdiri dari 16 angka',
    password: 'Kata sandi terlalu pendek',
    password2: 'Ulangi kata sandi yang sama',
  };
  function show(input, text) {
    var id = input.id + '-live';
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement('span');
      el.id = id;
      el.className = 'error';
      el.setAttribute('aria-live', 'polite');
      input.parentNode.insertBefore(el, input);
      var d = input.getAttribute('aria-describedby');
      input.setAttribute('aria-describedby', d ? d + ' ' + id : id);
    }
    el.textContent = text;
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  function check(form, input) {
    if (!input.value) return show(input, '');
    if (input.name === 'password2') {
      var p = form.querySelector('input[name="password"]');
      return show(input, p && p.value !== input.value ? messages.password2 : '');
    }
    if (input.validity && !input.validity.valid) return show(input, messages[input.name] || input.validationMessage);
    show(input, '');
  }
  var forms = document.querySelectorAll('form[data-validate]');
  Array.prototype.forEach.call(forms, function (form) {
    Array.prototype.forEach.call(
      form.querySelectorAll('input[pattern], input[minlength], input[name="password2"]'),
      function (input) {
        input.addEventListener('blur', function () {
          check(form, input);
        });
        input.addEventListener('input', function () {
          if (input.getAttribute('aria-invalid')) check(form, input);
        });
      },
    );
  });
})();
