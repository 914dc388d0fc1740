// Passkeys for the desk: the only JavaScript it runs. A form marked
// data-webauthn="create" or "get" asks the server for options (data-begin),
// hands them to the browser's authenticator, puts the answer in the form's
// hidden "credential" field and submits the form. Everything else is plain
// HTML forms.
"use strict";
(function () {
  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function creationOptions(o) {
    o.challenge = fromB64url(o.challenge);
    o.user.id = fromB64url(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
    return o;
  }
  function requestOptions(o) {
    o.challenge = fromB64url(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
    return o;
  }
  function credentialJSON(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return JSON.stringify(out);
  }
  function run(form) {
    var mode = form.getAttribute("data-webauthn");
    var problem = form.querySelector(".webauthn-error");
    var csrf = form.querySelector("input[name=csrf]").value;
    fetch(form.getAttribute("data-begin"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf }
    }).then(function (res) {
      if (!res.ok) throw new Error("the server refused (" + res.status + ")");
      return res.json();
    }).then(function (opts) {
      return mode === "create"
        ? navigator.credentials.create({ publicKey: creationOptions(opts.publicKey) })
        : navigator.credentials.get({ publicKey: requestOptions(opts.publicKey) });
    }).then(function (cred) {
      form.querySelector("input[name=credential]").value = credentialJSON(cred);
      form.submit();
    }).catch(function (err) {
      if (problem) {
        problem.textContent = "The passkey did not work: " + err.message + " Try again.";
        problem.hidden = false;
      }
    });
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute("data-webauthn")) return;
    ev.preventDefault();
    if (!window.PublicKeyCredential) {
      var p = form.querySelector(".webauthn-error");
      if (p) { p.textContent = "This browser does not support passkeys."; p.hidden = false; }
      return;
    }
    run(form);
  });
})();
