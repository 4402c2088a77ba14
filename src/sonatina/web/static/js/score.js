// The song page's score view: the SVG Verovio engraved, loaded into the page so its bars can be
// marked. The bar playing is highlighted and kept in view; clicking a bar starts the passage of
// the Regenerate form there, shift-clicking ends it there.
(function () {
  const view = document.getElementById("score-view");
  if (!view) return;
  const status = document.getElementById("score-status");
  const perBar = Number(view.dataset.secondsPerBar) || 0;
  const first = document.getElementById("bars-first");
  const last = document.getElementById("bars-last");
  let measures = [];
  let current = -1;

  fetch(view.dataset.src, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    })
    .then(function (text) {
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      const svg = doc.documentElement;
      if (svg.nodeName !== "svg") throw new Error("not an SVG");
      view.replaceChildren(document.importNode(svg, true));
      measures = Array.from(view.querySelectorAll("g.measure"));
      view.dataset.measures = String(measures.length);
      // A click anywhere in a bar's box picks it (not only on its notes and lines).
      view.addEventListener("click", function (event) {
        const index = measures.findIndex(function (m) {
          const r = m.getBoundingClientRect();
          return event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
        });
        if (index >= 0) pick(index + 1, event.shiftKey);
      });
      showSelection();
      view.dataset.state = "ready";
      requestAnimationFrame(follow);
    })
    .catch(function (err) {
      view.dataset.state = "error";
      if (status) status.textContent = "The score could not be shown (" + err.message + "); the downloads still work.";
    });

  function pick(bar, extend) {
    if (!first || !last) return;
    if (extend && bar >= Number(first.value)) {
      last.value = String(bar);
    } else {
      first.value = String(bar);
      last.value = String(bar);
    }
    showSelection();
  }

  function showSelection() {
    if (!first || !last) return;
    const a = Number(first.value), b = Number(last.value);
    measures.forEach(function (m, i) { m.classList.toggle("selected", i + 1 >= a && i + 1 <= b); });
  }
  if (first && last) {
    first.addEventListener("input", showSelection);
    last.addEventListener("input", showSelection);
  }

  function follow() {
    const p = window.sonatinaPlayer;
    if (p && p.state === "ready" && perBar > 0 && measures.length) {
      const bar = Math.min(measures.length - 1, Math.floor(p.currentTime / perBar + 1e-6));
      if (bar !== current) {
        if (current >= 0 && measures[current]) measures[current].classList.remove("playing");
        measures[bar].classList.add("playing");
        current = bar;
        view.dataset.bar = String(bar + 1);
        if (p.playing) keepInView(measures[bar]);
      }
    }
    requestAnimationFrame(follow);
  }

  function keepInView(measure) {
    const box = measure.getBoundingClientRect();
    const frame = view.getBoundingClientRect();
    if (box.top < frame.top || box.bottom > frame.bottom) {
      view.scrollTop += box.top - frame.top - 20;
    }
  }
})();
