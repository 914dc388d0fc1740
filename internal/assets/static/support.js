// support.js makes the donation appeal nicer where JavaScript runs.
// Everything works without it. It stores one thing: the date until which
// the appeal stays hidden, under tz_appeal_hidden in localStorage. It sends
// one thing: when an appeal first comes into view, a bodiless POST without
// cookies to its own site, which adds one to that appeal's count for the
// day, so editors see how often each appeal is read without anyone being
// identified.
'use strict';
(function () {
  var KEY = 'tz_appeal_hidden';

  function dateIn(days) {
    return new Date(Date.now() + days * 864e5).toISOString().slice(0, 10);
  }
  function hiddenUntil() {
    try { return localStorage.getItem(KEY) || ''; } catch (e) { return ''; }
  }
  function hideUntil(date) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || date <= hiddenUntil()) return;
    try { localStorage.setItem(KEY, date); } catch (e) { /* storage off: nothing kept */ }
  }
  // The donation page's own form (data-appeal-keep) is never hidden.
  function hideAppeals() {
    document.querySelectorAll('.appeal:not([data-appeal-keep])').forEach(function (el) { el.remove(); });
  }

  // Each appeal still on the page is counted once, when half of it is in
  // view. Browsers without IntersectionObserver count nothing.
  function countViews() {
    if (!('IntersectionObserver' in window) || !window.fetch) return;
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        seen.unobserve(e.target);
        fetch(e.target.getAttribute('data-appeal-seen'), {
          method: 'POST', credentials: 'omit', cache: 'no-store', keepalive: true, referrerPolicy: 'no-referrer'
        }).catch(function () { /* a missed count is fine */ });
      });
    }, { threshold: 0.5 });
    document.querySelectorAll('.appeal[data-appeal-seen]').forEach(function (el) { seen.observe(el); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var until = hiddenUntil();
    if (until && until >= dateIn(0)) {
      hideAppeals();
    } else if (until) {
      try { localStorage.removeItem(KEY); } catch (e) { /* nothing to forget */ }
    }

    countViews();

    // The thank-you page says how long a donor is not asked again.
    var marker = document.querySelector('[data-appeal-hidden-until]');
    if (marker) hideUntil(marker.getAttribute('data-appeal-hidden-until'));

    // "Remind me later": hide the appeal now and keep only the date; the
    // server is not told. Forms that do not say for how long are left to
    // post as usual.
    document.querySelectorAll('form[data-remind-days]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        var days = parseInt(form.getAttribute('data-remind-days'), 10);
        if (!(days > 0)) return;
        ev.preventDefault();
        hideUntil(dateIn(days));
        hideAppeals();
      });
    });

    // A typed amount replaces the preset ones, and choosing a preset clears
    // what was typed, so the form sends what the reader sees.
    document.querySelectorAll('input[name="custom_amount"]').forEach(function (custom) {
      var presets = custom.form.querySelectorAll('input[type="radio"][name^="amount_"]');
      custom.addEventListener('input', function () {
        if (custom.value) presets.forEach(function (r) { r.checked = false; });
      });
      presets.forEach(function (r) {
        r.addEventListener('change', function () { custom.value = ''; });
      });
    });
  });
})();
