// sftpgo-ng web UI behaviour: theme switch, navigation drawer, confirmations,
// repeated form rows, the storage section, and the file browser (selection,
// dialogs, uploads with progress). Pages work without it, with less comfort.
(function () {
  "use strict";

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var meta = function (name) { var m = $('meta[name="' + name + '"]'); return m ? m.getAttribute("content") : ""; };
  // the page's translations of the texts this script writes (data-msg-* on body)
  var msg = function (key, fallback) { return (document.body && document.body.getAttribute("data-msg-" + key)) || fallback; };

  // ---- theme
  $$("[data-theme-toggle]").forEach(function (b) {
    b.addEventListener("click", function () {
      var root = document.documentElement;
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("sftpgo-theme", next); } catch (e) { /* ignore */ }
    });
  });

  // ---- navigation drawer on small screens
  $$('[data-toggle="sidebar"]').forEach(function (b) {
    b.addEventListener("click", function () { var s = $("#sidebar"); if (s) { s.classList.toggle("open"); } });
  });

  // ---- confirmations
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  }, true);

  // ---- repeated rows
  $$("[data-add-row]").forEach(function (b) {
    b.addEventListener("click", function () {
      var box = document.getElementById(b.getAttribute("data-add-row"));
      if (!box) { return; }
      var rows = $$(".row", box);
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      $$("input, textarea", copy).forEach(function (i) { i.value = ""; });
      $$("select", copy).forEach(function (s) { s.selectedIndex = 0; });
      box.appendChild(copy);
      var first = $("input, select", copy);
      if (first) { first.focus(); }
    });
  });
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("[data-remove-row]") : null;
    if (!b) { return; }
    ev.preventDefault();
    var row = b.closest(".row");
    var box = row.parentNode;
    if ($$(".row", box).length > 1) { row.remove(); return; }
    $$("input, textarea", row).forEach(function (i) { i.value = ""; });
    $$("select", row).forEach(function (s) { s.selectedIndex = 0; });
  });

  // ---- storage backend fields
  $$("[data-fs-select]").forEach(function (sel) {
    var scope = sel.closest("[data-fs-scope]") || document;
    var form = sel.closest("form") || document;
    var sync = function () {
      $$("[data-fs-provider]", scope).forEach(function (box) {
        box.hidden = box.getAttribute("data-fs-provider") !== sel.value;
      });
      // fields of the whole form that only some backends use (home_dir)
      $$("[data-fs-only]", form).forEach(function (box) {
        box.hidden = box.getAttribute("data-fs-only").split(" ").indexOf(sel.value) < 0;
      });
    };
    sel.addEventListener("change", sync);
    sync();
  });

  // ---- copy buttons
  $$("[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var input = document.getElementById(b.getAttribute("data-copy"));
      if (!input) { return; }
      input.select();
      var done = function () { var t = b.textContent; b.textContent = msg("copied", "Copied"); setTimeout(function () { b.textContent = t; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else { document.execCommand("copy"); done(); }
    });
  });

  // ---- dialogs
  var openDialog = function (id, values) {
    var d = document.getElementById(id);
    if (!d) { return; }
    Object.keys(values || {}).forEach(function (k) {
      var el = d.querySelector('[name="' + k + '"]');
      if (el) { el.value = values[k]; }
    });
    if (typeof d.showModal === "function") { d.showModal(); } else { d.setAttribute("open", ""); }
    var focus = d.querySelector("[autofocus]") || d.querySelector("input[type=text]");
    if (focus) { focus.focus(); focus.select(); }
  };
  $$("[data-close-dialog]").forEach(function (b) {
    b.addEventListener("click", function () { var d = b.closest("dialog"); if (d) { d.close(); } });
  });
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("[data-dialog]") : null;
    if (!b) { return; }
    ev.preventDefault();
    var vals = {};
    Array.prototype.forEach.call(b.attributes, function (a) {
      if (a.name.indexOf("data-v-") === 0) { vals[a.name.slice(7)] = a.value; }
    });
    openDialog(b.getAttribute("data-dialog"), vals);
  });

  // ---- file selection
  var browser = $("[data-browser]");
  var selected = function () { return $$("input[data-file]:checked").map(function (c) { return c.value; }); };
  var syncSelection = function () {
    var n = selected().length;
    $$("[data-needs-selection]").forEach(function (b) { b.disabled = n === 0; });
    var c = $("[data-selection-count]");
    if (c) { c.textContent = n ? n + " selected" : (c.getAttribute("data-empty") || ""); }
  };
  if (browser) {
    var all = $("[data-select-all]");
    if (all) {
      all.addEventListener("change", function () {
        $$("input[data-file]").forEach(function (c) { c.checked = all.checked; });
        syncSelection();
      });
    }
    $$("input[data-file]").forEach(function (c) { c.addEventListener("change", syncSelection); });
    syncSelection();
    var bulk = function (formId, confirmMsg) {
      var f = document.getElementById(formId);
      if (!f) { return; }
      var paths = selected();
      if (!paths.length) { return; }
      if (confirmMsg && !window.confirm(confirmMsg.replace("%n", paths.length))) { return; }
      $$('input[name="path"]', f).forEach(function (i) { i.remove(); });
      paths.forEach(function (p) {
        var i = document.createElement("input");
        i.type = "hidden"; i.name = "path"; i.value = p;
        f.appendChild(i);
      });
      f.submit();
    };
    $$("[data-bulk]").forEach(function (b) {
      b.addEventListener("click", function () {
        var kind = b.getAttribute("data-bulk");
        if (kind === "zip") { bulk("zip-form"); }
        if (kind === "delete") { bulk("delete-form", msg("delete-selected", "Delete %n selected item(s)? This cannot be undone.")); }
        if (kind === "share") {
          var q = selected().map(function (p) { return "path=" + encodeURIComponent(p); }).join("&");
          window.location.href = meta("base") + "/web/client/share?" + q;
        }
      });
    });
  }

  // ---- uploads with progress
  var fmt = function (n) {
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  };
  var uploader = $("[data-uploader]");
  if (uploader) {
    var url = uploader.getAttribute("data-uploader");
    var token = uploader.getAttribute("data-token") || meta("csrf-token");
    var panel = $("[data-upload-panel]");
    var bar = $("[data-upload-bar]");
    var label = $("[data-upload-label]");
    var stat = $("[data-upload-stat]");
    var input = $("[data-upload-input]");
    var busy = false;
    var send = function (files) {
      if (!files || !files.length || busy) { return; }
      busy = true;
      var fd = new FormData();
      var total = 0;
      Array.prototype.forEach.call(files, function (f) { fd.append("filenames", f, f.name); total += f.size; });
      panel.hidden = false;
      label.textContent = files.length === 1 ? msg("uploading-one", "Uploading %s").replace("%s", files[0].name) : msg("uploading-many", "Uploading %s files").replace("%s", files.length);
      stat.textContent = msg("progress", "%s of %s").replace("%s", "0").replace("%s", fmt(total));
      bar.style.width = "0%";
      var started = Date.now();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-TOKEN", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var pct = Math.min(100, Math.round(e.loaded * 100 / e.total));
        bar.style.width = pct + "%";
        var secs = (Date.now() - started) / 1000;
        var speed = secs > 0 ? " · " + fmt(e.loaded / secs) + "/s" : "";
        stat.textContent = msg("progress", "%s of %s").replace("%s", fmt(Math.min(e.loaded, total))).replace("%s", fmt(total)) + " (" + pct + "%)" + speed;
      });
      xhr.addEventListener("load", function () {
        busy = false;
        if (xhr.status >= 200 && xhr.status < 300) {
          bar.style.width = "100%";
          label.textContent = msg("upload-done", "Upload completed");
          window.location.reload();
          return;
        }
        var text = msg("upload-failed", "Upload failed") + " (" + xhr.status + ")";
        try { var b = JSON.parse(xhr.responseText); if (b.error) { text = msg("upload-failed", "Upload failed") + ": " + b.error; } } catch (e) { /* not JSON */ }
        label.textContent = text;
        panel.classList.add("alert-error");
      });
      xhr.addEventListener("error", function () { busy = false; label.textContent = msg("upload-failed", "Upload failed") + ": " + msg("network-error", "network error"); });
      xhr.send(fd);
    };
    if (input) { input.addEventListener("change", function () { send(input.files); }); }
    var zone = $(".dropzone");
    if (zone) {
      var depth = 0;
      zone.addEventListener("dragenter", function (e) { e.preventDefault(); depth++; zone.classList.add("drag"); });
      zone.addEventListener("dragover", function (e) { e.preventDefault(); });
      zone.addEventListener("dragleave", function () { depth--; if (depth <= 0) { zone.classList.remove("drag"); depth = 0; } });
      zone.addEventListener("drop", function (e) {
        e.preventDefault(); depth = 0; zone.classList.remove("drag");
        if (e.dataTransfer && e.dataTransfer.files) { send(e.dataTransfer.files); }
      });
    }
  }
})();
