// Draws the overview's charts from the JSON the page carries; Chart.js is shipped in static/vendor.
(function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  var palette = ["#0b6e4f", "#d97706", "#2563eb", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#be185d"];
  var activities = document.getElementById("chart-activities");
  if (activities) {
    var sets = data.networks.map(function (n, i) {
      return { type: "bar", label: n.label, data: n.data, backgroundColor: palette[i % palette.length] };
    });
    sets.push({ type: "line", label: data.text.active, data: data.activeNetworks, borderColor: "#1d2a33",
                backgroundColor: "#1d2a33", yAxisID: "y" });
    sets.push({ type: "line", label: data.text.target + " ≥ " + data.networksTarget,
                data: data.labels.map(function () { return data.networksTarget; }),
                borderColor: "#b3261e", borderDash: [6, 4], pointRadius: 0 });
    window.deskCharts = window.deskCharts || {};
    window.deskCharts.activities = new Chart(activities, {
      data: { labels: data.labels, datasets: sets },
      options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  var attendance = document.getElementById("chart-attendance");
  if (attendance) {
    window.deskCharts = window.deskCharts || {};
    window.deskCharts.attendance = new Chart(attendance, {
      type: "line",
      data: { labels: data.labels, datasets: [
        { label: data.text.attendance, data: data.attendance, borderColor: "#0b6e4f", spanGaps: true },
        { label: data.text.target + " " + data.target + "%", data: data.labels.map(function () { return data.target; }),
          borderColor: "#b3261e", borderDash: [6, 4], pointRadius: 0 }
      ] },
      options: { responsive: true, scales: { y: { min: 0, max: 100 } } }
    });
  }
  var acks = document.getElementById("chart-acks");
  if (acks) {
    window.deskCharts = window.deskCharts || {};
    window.deskCharts.acks = new Chart(acks, {
      type: "line",
      data: { labels: data.labels, datasets: [
        { label: data.text.acks, data: data.acks, borderColor: "#2563eb", spanGaps: true }
      ] },
      options: { responsive: true, scales: { y: { min: 0, max: 100 } } }
    });
  }
})();
