// klynge dashboard: render each Vega-Lite spec of the page with the locally served Vega bundle.
(function () {
  "use strict";
  function render() {
    var lang = document.documentElement.lang === "en" ? "en" : "da";
    var loc = (window.KLYNGE_LOCALES || {})[lang] || {};
    var specs = document.querySelectorAll("script.vl-spec");
    var pending = [];
    specs.forEach(function (node) {
      var target = document.getElementById(node.dataset.target);
      if (!target || typeof window.vegaEmbed !== "function") { return; }
      var spec = JSON.parse(node.textContent);
      pending.push(window.vegaEmbed(target, spec, {
        actions: false, renderer: "svg", formatLocale: loc.number, timeFormatLocale: loc.time
      }).then(function () { target.dataset.rendered = "true"; })
        .catch(function (err) { target.dataset.rendered = "error"; target.textContent = String(err); }));
    });
    Promise.all(pending).then(function () {
      if (document.body) { document.body.dataset.chartsReady = "true"; }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", render); } else { render(); }
})();
