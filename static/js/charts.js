/* Dashboards: draw the Plotly figures embedded as JSON, follow drill-down
   links on click, and sort tables by their headers. No external requests. */
(function () {
  "use strict";

  function drawCharts() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source || el.dataset.drawn) { return; }
      var fig = JSON.parse(source.textContent);
      var layout = fig.layout || {};
      layout.autosize = true;
      Plotly.newPlot(el, fig.data, layout, {
        responsive: true,
        displaylogo: false,
        displayModeBar: false,
      });
      el.dataset.drawn = "1";
      el.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        var url = point && point.customdata && point.customdata[0];
        if (url && url.charAt(0) === "/") { window.location.assign(url); }
      });
    });
  }

  function sortTable(th) {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.sort, y = b.cells[index].dataset.sort;
      var nx = parseFloat(x), ny = parseFloat(y);
      var cmp;
      if (x === "" && y === "") { cmp = 0; }
      else if (x === "") { return 1; }
      else if (y === "") { return -1; }
      else if (!isNaN(nx) && !isNaN(ny) && isFinite(x) && isFinite(y)) { cmp = nx - ny; }
      else { cmp = x.localeCompare(y, document.documentElement.lang || "vi"); }
      return ascending ? cmp : -cmp;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.addEventListener("click", function (event) {
    var th = event.target.closest("table.js-sortable th[data-sortable]");
    if (th) { sortTable(th); }
  });
  document.addEventListener("keydown", function (event) {
    var th = event.target.closest && event.target.closest("table.js-sortable th[data-sortable]");
    if (th && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); sortTable(th); }
  });

  // Charts hidden in a collapsed panel need a resize once shown.
  document.addEventListener("shown.bs.collapse", function () {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-chart][data-drawn]").forEach(function (el) { Plotly.Plots.resize(el); });
  });

  // Show/hide the custom date inputs with the period choice.
  function syncPeriod() {
    var select = document.getElementById("id_period");
    var custom = document.querySelectorAll(".js-custom-range");
    if (!select) { return; }
    custom.forEach(function (el) { el.hidden = select.value !== "custom"; });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_period") { syncPeriod(); }
  });

  window.addEventListener("beforeprint", function () {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-chart][data-drawn]").forEach(function (el) { Plotly.Plots.resize(el); });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawCharts(); syncPeriod(); });
  } else {
    drawCharts(); syncPeriod();
  }
})();
