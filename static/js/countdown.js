// <time data-countdown datetime="ISO">: "in 6 days (23 hr)" until then, kept up to date,
// in the language of the page (<html lang>).
(function () {
  const lang = document.documentElement.lang || "en";
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  // "23 hr", "23 год", "23 ч": the page's language names the unit too.
  const hoursOf = new Intl.NumberFormat(lang, { style: "unit", unit: "hour", unitDisplay: "short" });
  function render() {
    document.querySelectorAll("time[data-countdown]").forEach((node) => {
      const seconds = (Date.parse(node.getAttribute("datetime")) - Date.now()) / 1000;
      if (Number.isNaN(seconds)) return;
      const days = Math.floor(seconds / 86400);
      const hours = Math.floor((seconds % 86400) / 3600);
      node.textContent = seconds <= 0
        ? format.format(0, "second")
        : days > 0
          ? `${format.format(days, "day")} (${hoursOf.format(hours)})`
          : format.format(Math.max(1, Math.round(seconds / 3600)), "hour");
    });
  }
  render();
  setInterval(render, 60000);
})();
