/* The reports page: two charts drawn with Chart.js (served from our origin) from the
 * figures the page carries in #report-data, and the print button. The tables below the
 * charts hold the same figures for screen readers and for paper. */
(function () {
  "use strict";

  var COLOURS = { reservation: "#005bac", walk_in: "#7aa7d6", wait_p50: "#1d6b32", wait_p90: "#a4161a",
                  utilisation: "#8a5300" };

  function bar(label, data, colour) {
    return { type: "bar", label: label, data: data, backgroundColor: colour, stack: "tickets", yAxisID: "y" };
  }

  function line(label, data, colour, axis, dashed) {
    return { type: "line", label: label, data: data, borderColor: colour, backgroundColor: colour,
             yAxisID: axis, spanGaps: true, pointRadius: 2, borderWidth: 2, borderDash: dashed ? [6, 4] : [] };
  }

  function options(labels, rightTitle) {
    return {
      animation: false, responsive: true, maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: labels.tickets } },
        y2: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
              title: { display: true, text: rightTitle } }
      }
    };
  }

  function pick(rows, key) {
    return rows.map(function (row) { return row[key]; });
  }

  function draw() {
    var source = document.getElementById("report-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    var charts = [];
    var days = document.getElementById("chart-days");
    if (days) {
      charts.push(new window.Chart(days, {
        data: {
          labels: pick(data.days, "x"),
          datasets: [
            bar(labels.reservation, pick(data.days, "reservation"), COLOURS.reservation),
            bar(labels.walk_in, pick(data.days, "walk_in"), COLOURS.walk_in),
            line(labels.wait_p50, pick(data.days, "wait_p50"), COLOURS.wait_p50, "y2", false),
            line(labels.wait_p90, pick(data.days, "wait_p90"), COLOURS.wait_p90, "y2", true)
          ]
        },
        options: options(labels, labels.minutes)
      }));
    }
    var hours = document.getElementById("chart-hours");
    if (hours) {
      var hourOptions = options(labels, labels.minutes + " / %");
      charts.push(new window.Chart(hours, {
        data: {
          labels: pick(data.hours, "x"),
          datasets: [
            bar(labels.reservation, pick(data.hours, "reservation"), COLOURS.reservation),
            bar(labels.walk_in, pick(data.hours, "walk_in"), COLOURS.walk_in),
            line(labels.wait_p90, pick(data.hours, "wait_p90"), COLOURS.wait_p90, "y2", true),
            line(labels.utilisation, pick(data.hours, "utilisation"), COLOURS.utilisation, "y2", false)
          ]
        },
        options: hourOptions
      }));
    }
    // Paper is narrower than the screen: redraw at the printed size, and back afterwards.
    window.addEventListener("beforeprint", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    window.addEventListener("afterprint", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    document.body.setAttribute("data-charts", String(charts.length));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var printButton = document.getElementById("print-report");
    if (printButton) {
      printButton.addEventListener("click", function () { window.print(); });
    }
    draw();
  });
})();
