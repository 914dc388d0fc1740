// The article editor's live preview: whenever the form changes, it posts
// the form (without a chosen file) to the desk's preview address, which
// renders it with the public site's own article templates, and shows the
// article part of the answer beside the form. Without JavaScript the
// Preview button opens the same page in a new tab.
//
// It also shows the image picker's "Insert in text" buttons, which put an
// image's Markdown line into the text where the cursor is; without
// JavaScript people copy the line shown beside each image.
"use strict";
(function () {
  var form = document.querySelector("form[data-preview]");
  var pane = document.getElementById("live-preview");
  if (!form || !pane || !window.fetch || !window.DOMParser) return;
  var section = pane.closest("section");
  var timer = null, sent = "", pending = null;

  function show(nodes) {
    pane.replaceChildren.apply(pane, nodes);
    section.hidden = false;
  }

  function refresh() {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "action") body.append(name, value);
    });
    var key = body.toString();
    if (key === sent) return;
    sent = key;
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.getAttribute("data-preview"), {
      method: "POST", credentials: "same-origin", body: body, signal: pending.signal
    }).then(function (res) {
      if (!res.ok) throw new Error("the desk answered " + res.status);
      return res.text();
    }).then(function (html) {
      // A parsed document is inert: nothing in it runs.
      var doc = new DOMParser().parseFromString(html, "text/html");
      var parts = doc.querySelectorAll("main .preview-banner, main article");
      show(Array.prototype.map.call(parts, function (n) { return document.importNode(n, true); }));
    }).catch(function (err) {
      if (err.name === "AbortError") return;
      sent = "";
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = "The preview could not be updated: " + err.message + ".";
      show([p]);
    });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 500);
  }
  var text = form.querySelector("textarea[name=body]");
  form.querySelectorAll("button.insert-image").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var line = button.getAttribute("data-markdown");
      var at = text.selectionEnd, before = text.value.slice(0, at), after = text.value.slice(at);
      // The image gets a paragraph of its own.
      var lead = before === "" || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
      text.value = before + lead + line + "\n\n" + after.replace(/^\n+/, "");
      text.focus();
      text.selectionStart = text.selectionEnd = before.length + lead.length + line.length + 2;
      later();
    });
  });
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  refresh();
})();
