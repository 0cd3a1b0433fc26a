/* The counter kiosk: smiley rating → optional reason and comment → thank you → reset.
 *
 * Every answer gets a client id (crypto.randomUUID) and is written to an
 * outbox in localStorage before it is sent, so a network cut or a reload
 * loses nothing. The outbox is flushed after each answer, on the browser's
 * "online" event and on a timer; an item leaves it only when the server
 * accepted it (2xx) or says it already has it (409 / "duplicate"). The server
 * stores one response per client id, so a resend never makes a duplicate.
 * A 401 means the device was revoked: the kiosk stops and says so.
 */
(function () {
  "use strict";

  var BOOT = JSON.parse(document.getElementById("kiosk-boot").textContent);
  var TOKEN_KEY = "kiosk.token";
  var CONFIG_KEY = "kiosk.config";
  var OUTBOX_KEY = "kiosk.outbox";
  var CONFIG_REFRESH_MS = 5 * 60 * 1000;

  var state = {
    lang: "vi",
    config: null,
    screen: "loading",
    level: null,
    reasons: [],
    readyAt: Date.now(),
    revoked: false,
    flushing: false,
    flushAgain: false,
  };
  var idleTimer = null;
  var thanksTimer = null;

  function $(id) { return document.getElementById(id); }
  function t(key) { return (BOOT.strings[state.lang] || BOOT.strings.vi)[key] || key; }
  function token() { return localStorage.getItem(TOKEN_KEY); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Fallback for browsers without randomUUID (still random, RFC 4122 v4).
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* ---------- outbox ---------- */
  function outboxLoad() {
    try { return JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]"); } catch (e) { return []; }
  }
  function outboxSave(items) { localStorage.setItem(OUTBOX_KEY, JSON.stringify(items)); }
  function outboxAdd(payload) {
    var items = outboxLoad();
    items.push({ payload: payload, tries: 0, queued_at: new Date().toISOString() });
    outboxSave(items);
  }
  function outboxRemove(clientId) {
    outboxSave(outboxLoad().filter(function (item) { return item.payload.client_id !== clientId; }));
  }
  function outboxMark(clientId, status) {
    outboxSave(outboxLoad().map(function (item) {
      if (item.payload.client_id === clientId) { item.tries += 1; item.last_status = status; }
      return item;
    }));
  }

  function showPending() {
    var n = outboxLoad().length;
    var el = $("k-pending");
    el.hidden = n === 0;
    el.textContent = n ? n + " " + t("pending") : "";
    document.body.dataset.pending = String(n);
  }

  function isDuplicate(res) {
    if (res.status === 409) return Promise.resolve(true);
    return res.json().then(function (body) {
      var code = body && (body.code || body.status);
      return code === "duplicate" || code === "already_received" || body.duplicate === true;
    }, function () { return false; });
  }

  function flush() {
    if (state.flushing) { state.flushAgain = true; return Promise.resolve(); }
    if (!token() || state.revoked) return Promise.resolve();
    state.flushing = true;
    var items = outboxLoad();
    var i = 0;
    function next() {
      if (i >= items.length) return Promise.resolve();
      var item = items[i++];
      return fetch(BOOT.submit_url, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "Accept-Language": item.payload.language || "vi",
          "Authorization": "Device " + token(),
        },
        body: JSON.stringify(item.payload),
      }).then(function (res) {
        if (res.ok) { outboxRemove(item.payload.client_id); return next(); }
        if (res.status === 401) { revoked(); return null; }
        if (res.status === 429 || res.status >= 500) { outboxMark(item.payload.client_id, res.status); return null; }
        return isDuplicate(res).then(function (dup) {
          if (dup) outboxRemove(item.payload.client_id);
          else outboxMark(item.payload.client_id, res.status);  // kept: never silently dropped
          return next();
        });
      }, function () {
        return null;  // offline or server unreachable: keep everything, retry later
      });
    }
    return next().then(function () {
      state.flushing = false;
      showPending();
      if (state.flushAgain) { state.flushAgain = false; return flush(); }
    });
  }

  /* ---------- screens ---------- */
  function show(name) {
    state.screen = name;
    document.querySelectorAll(".kiosk-screen").forEach(function (el) {
      el.hidden = el.dataset.screen !== name;
    });
    document.body.dataset.kioskScreen = name;
  }

  function translate() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = t(el.dataset.t); });
    $("k-lang").textContent = t("language");
    $("k-lang").lang = state.lang === "vi" ? "en" : "vi";
    if (state.config) render();
    showPending();
  }

  var FACES = {
    3: '<circle cx="32" cy="32" r="29" fill="#2e9e4f"/><circle cx="22" cy="25" r="4" fill="#fff"/><circle cx="42" cy="25" r="4" fill="#fff"/><path d="M17 37 Q32 54 47 37" stroke="#fff" stroke-width="5" fill="none" stroke-linecap="round"/>',
    2: '<circle cx="32" cy="32" r="29" fill="#8bbf2a"/><circle cx="22" cy="25" r="4" fill="#fff"/><circle cx="42" cy="25" r="4" fill="#fff"/><path d="M20 40 Q32 48 44 40" stroke="#fff" stroke-width="5" fill="none" stroke-linecap="round"/>',
    1: '<circle cx="32" cy="32" r="29" fill="#d6402b"/><circle cx="22" cy="25" r="4" fill="#fff"/><circle cx="42" cy="25" r="4" fill="#fff"/><path d="M20 47 Q32 36 44 47" stroke="#fff" stroke-width="5" fill="none" stroke-linecap="round"/>',
  };

  function face(level) {
    return '<svg viewBox="0 0 64 64" aria-hidden="true" focusable="false">' + (FACES[level] || FACES[2]) + "</svg>";
  }

  function render() {
    var c = state.config;
    $("k-office").textContent = c.office.name;
    var faces = $("k-faces");
    faces.setAttribute("aria-label", c.rating.text[state.lang] || c.rating.text.vi);
    faces.innerHTML = "";
    c.rating.levels.forEach(function (level) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "kiosk-face kiosk-face-" + level.value;
      btn.dataset.level = String(level.value);
      btn.innerHTML = face(level.value) + '<span class="kiosk-face-label"></span>';
      btn.querySelector(".kiosk-face-label").textContent = level.label[state.lang] || level.label.vi;
      btn.addEventListener("click", function () { choose(level.value); });
      faces.appendChild(btn);
    });
    var box = $("k-procedure-box");
    var select = $("k-procedure");
    var current = select.value;
    box.hidden = !c.procedures.length;
    select.innerHTML = "";
    var none = document.createElement("option");
    none.value = "";
    none.textContent = t("procedure_none");
    select.appendChild(none);
    c.procedures.forEach(function (p) {
      var opt = document.createElement("option");
      opt.value = p.code;
      opt.textContent = p.name;
      select.appendChild(opt);
    });
    select.value = current;
    var chips = $("k-reason-chips");
    chips.innerHTML = "";
    if (c.reason) {
      c.reason.options.forEach(function (option) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "kiosk-chip";
        btn.dataset.value = option.value;
        btn.setAttribute("aria-pressed", String(state.reasons.indexOf(option.value) >= 0));
        btn.textContent = option.label[state.lang] || option.label.vi;
        btn.addEventListener("click", function () { toggleReason(option.value, btn); });
        chips.appendChild(btn);
      });
    }
    $("k-comment-box").hidden = !c.comment;
    if (state.level !== null) renderChosen();
  }

  function renderChosen() {
    var level = state.config.rating.levels.filter(function (l) { return l.value === state.level; })[0];
    $("k-chosen").innerHTML = face(state.level) + '<span class="kiosk-face-label"></span>';
    $("k-chosen").querySelector(".kiosk-face-label").textContent = level ? (level.label[state.lang] || level.label.vi) : "";
    // Reasons are asked only of a citizen who is not satisfied (the lowest level).
    $("k-reasons").hidden = !(state.config.reason && state.level === 1);
  }

  function toggleReason(value, btn) {
    var at = state.reasons.indexOf(value);
    if (state.config.reason.multiple) {
      if (at >= 0) state.reasons.splice(at, 1); else state.reasons.push(value);
    } else {
      state.reasons = at >= 0 ? [] : [value];
    }
    document.querySelectorAll(".kiosk-chip").forEach(function (chip) {
      chip.setAttribute("aria-pressed", String(state.reasons.indexOf(chip.dataset.value) >= 0));
    });
    btn.blur();
  }

  function choose(level) {
    state.level = level;
    state.reasons = [];
    $("k-comment").value = "";
    renderChosen();
    show("details");
    armIdle();
  }

  function reset() {
    clearTimeout(thanksTimer);
    clearTimeout(idleTimer);
    state.level = null;
    state.reasons = [];
    $("k-comment").value = "";
    $("k-procedure").value = "";
    if (state.lang !== "vi") { state.lang = "vi"; translate(); }
    state.readyAt = Date.now();
    show(state.revoked ? "revoked" : "rate");
  }

  function armIdle() {
    clearTimeout(idleTimer);
    if (state.screen === "details" || (state.screen === "rate" && $("k-procedure").value)) {
      idleTimer = setTimeout(reset, BOOT.idle_seconds * 1000);
    }
  }

  function submit() {
    var c = state.config;
    var answers = {};
    answers[c.rating.code] = state.level;
    if (c.reason && state.level === 1 && state.reasons.length) {
      answers[c.reason.code] = c.reason.multiple ? state.reasons.slice() : state.reasons[0];
    }
    var comment = $("k-comment").value.trim();
    if (c.comment && comment) answers[c.comment.code] = comment;
    var payload = {
      client_id: uuid(),
      questionnaire: c.questionnaire.code,
      questionnaire_version: c.questionnaire.version,
      answers: answers,
      submitted_at: new Date().toISOString(),
      duration_seconds: Math.max(0, Math.round((Date.now() - state.readyAt) / 1000)),
      language: state.lang,
    };
    var procedure = $("k-procedure").value;
    if (procedure) payload.procedure = procedure;
    outboxAdd(payload);
    showPending();
    show("thanks");
    clearTimeout(idleTimer);
    thanksTimer = setTimeout(reset, BOOT.thanks_seconds * 1000);
    flush();
  }

  function revoked() {
    state.revoked = true;
    clearTimeout(idleTimer);
    clearTimeout(thanksTimer);
    show("revoked");
  }

  /* ---------- configuration ---------- */
  function loadConfig() {
    if (!token()) { show("not-setup"); return Promise.resolve(); }
    return fetch(BOOT.config_url, {
      credentials: "omit",
      cache: "no-store",
      headers: { "Accept": "application/json", "Authorization": "Device " + token() },
    }).then(function (res) {
      if (res.status === 401) { revoked(); return; }
      if (!res.ok) throw new Error("config " + res.status);
      return res.json().then(function (config) {
        var first = !state.config;
        state.config = config;
        localStorage.setItem(CONFIG_KEY, JSON.stringify(config));
        render();
        if (first || state.screen === "loading" || state.screen === "offline") reset();
      });
    }).catch(function () {
      if (!state.config) show("offline");
    });
  }

  function start() {
    translate();
    try { state.config = JSON.parse(localStorage.getItem(CONFIG_KEY) || "null"); } catch (e) { state.config = null; }
    if (state.config && token()) { render(); reset(); }
    loadConfig().then(flush);
    showPending();

    $("k-send").addEventListener("click", submit);
    $("k-back").addEventListener("click", reset);
    $("k-lang").addEventListener("click", function () {
      state.lang = state.lang === "vi" ? "en" : "vi";
      translate();
      armIdle();
    });
    $("k-full").addEventListener("click", function () {
      if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(function () {});
    });
    $("k-procedure").addEventListener("change", armIdle);
    ["pointerdown", "keydown", "input"].forEach(function (name) {
      document.addEventListener(name, armIdle, { passive: true });
    });
    window.addEventListener("online", flush);
    window.addEventListener("storage", showPending);
    setInterval(flush, BOOT.retry_seconds * 1000);
    setInterval(function () { if (!state.revoked) loadConfig(); }, CONFIG_REFRESH_MS);
  }

  // Exposed for tests and support staff: window.kiosk.flush(), window.kiosk.pending().
  window.kiosk = { flush: flush, pending: function () { return outboxLoad().length; } };
  start();
})();
