// The song page's score view: the SVG Verovio engraved, loaded into the page so its bars can be
// marked. The bar playing is highlighted and kept in view; clicking a bar starts the passage of
// the Regenerate form there, shift-clicking ends it there.
// When the A/B switch puts another version of the song in the player, ab.js calls
// window.sonatinaScore.show() and the view shows that version's score, so what is read is what
// plays; bars are then not chosen (the forms work on this page's version), and a note says so.
(function () {
  const view = document.getElementById("score-view");
  if (!view) return;
  const status = document.getElementById("score-status");
  const first = document.getElementById("bars-first");
  const last = document.getElementById("bars-last");
  const label = document.getElementById("score-version");
  const other = document.getElementById("score-other");
  const own = { src: view.dataset.src, perBar: Number(view.dataset.secondsPerBar) || 0, name: label ? label.textContent : "" };
  let shown = own;
  let measures = [];
  let current = -1;
  let loading = 0;  // a later show() wins over an earlier one still loading

  function load(wanted) {
    const ticket = ++loading;
    view.dataset.state = "loading";
    return fetch(wanted.src, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (text) {
        if (ticket !== loading) return;
        const doc = new DOMParser().parseFromString(text, "image/svg+xml");
        const svg = doc.documentElement;
        if (svg.nodeName !== "svg") throw new Error("not an SVG");
        view.replaceChildren(document.importNode(svg, true));
        shown = wanted;
        measures = Array.from(view.querySelectorAll("g.measure"));
        current = -1;
        view.dataset.measures = String(measures.length);
        view.dataset.src = wanted.src;
        view.dataset.own = wanted === own ? "1" : "0";
        explain();
        showSelection();
        view.dataset.state = "ready";
      })
      .catch(function (err) {
        if (ticket !== loading) return;
        view.dataset.state = "error";
        const line = status || document.createElement("p");
        line.className = "muted";
        line.textContent = "The score could not be shown (" + err.message + "); the downloads still work.";
        if (!line.isConnected) view.replaceChildren(line);
      });
  }

  // The heading names the version shown; away from this page's version a note says the bars
  // chosen here still go to this page's version, and links to the version shown.
  function explain() {
    if (label) label.textContent = shown.name;
    if (!other) return;
    other.hidden = shown === own;
    if (shown !== own) {
      document.getElementById("score-other-version").textContent = shown.name;
      document.getElementById("score-other-name").textContent = shown.name;
      document.getElementById("score-other-link").href = shown.page;
    }
  }

  // A click anywhere in a bar's box picks it (not only on its notes and lines).
  view.addEventListener("click", function (event) {
    if (shown !== own) return;
    const index = measures.findIndex(function (m) {
      const r = m.getBoundingClientRect();
      return event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
    });
    if (index >= 0) pick(index + 1, event.shiftKey);
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
    const a = first && last && shown === own ? Number(first.value) : 0;
    const b = a ? Number(last.value) : -1;
    measures.forEach(function (m, i) { m.classList.toggle("selected", i + 1 >= a && i + 1 <= b); });
  }
  if (first && last) {
    first.addEventListener("input", showSelection);
    last.addEventListener("input", showSelection);
  }

  function follow() {
    const p = window.sonatinaPlayer;
    if (p && p.state === "ready" && shown.perBar > 0 && measures.length) {
      const bar = Math.min(measures.length - 1, Math.floor(p.currentTime / shown.perBar + 1e-6));
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

  window.sonatinaScore = {
    // {src, perBar, name, page, own}: the score of the version now in the player
    show: function (version) {
      const wanted = version.own ? own : version;
      if (wanted.src === shown.src && view.dataset.state === "ready") return Promise.resolve();
      return load(wanted);
    },
  };

  load(own).then(function () { requestAnimationFrame(follow); });
})();
