// klynge citizen overview: filter the timeline as the user types (our own code, no libraries).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("record-search");
  var table = document.getElementById("timeline-table");
  var count = document.getElementById("shown-count");
  if (!box || !table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-text") || "";
      var hit = words.every(function (w) { return text.indexOf(w) !== -1; });
      row.classList.toggle("is-hidden", !hit);
      if (hit) { shown += 1; }
    });
    if (count) { count.textContent = String(shown); }
  });
});
