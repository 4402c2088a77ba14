// A/B listening on the song page: the one player swaps its MIDI between the sources the switch
// names (a conversion's original and the conversion, or the versions of a song) without leaving
// the page, keeping the moment and, if it was playing, playing on from there. The address bar
// follows (?play=original, ?t=seconds), so a reload or a shared link opens the same side. Without
// JavaScript, or before the player is ready, the links simply load the page for that side.
(function () {
  const box = document.getElementById("ab-switch") || document.createElement("div");
  const params = new URLSearchParams(window.location.search);
  const at = Number(params.get("t"));
  const links = Array.from(box.querySelectorAll("a[data-src]"));
  const playing = document.getElementById("ab-playing");

  function player() { return window.sonatinaPlayer; }

  if (at > 0) {
    const wait = setInterval(function () {
      const p = player();
      if (!p || p.state === "loading") return;
      clearInterval(wait);
      if (p.state === "ready") p.seek(at);
    }, 50);
  }

  function mark(chosen) {
    box.dataset.side = chosen.dataset.side;
    links.forEach(function (link) {
      const on = link === chosen;
      link.classList.toggle("ghost", !on);
      link.setAttribute("aria-current", on ? "true" : "false");
    });
    if (playing) playing.textContent = "Playing " + chosen.dataset.playing + ".";
  }

  async function choose(link) {
    const p = player();
    const url = new URL(link.href, window.location.href);
    if (p.currentTime > 0) url.searchParams.set("t", p.currentTime.toFixed(2));
    mark(link);
    // a conversion's side is part of its page's address; a version's page stays that version's
    if (!box.dataset.side.startsWith("v")) window.history.replaceState(null, "", url.pathname + url.search);
    showScore(link);
    followDownloads(link);
    await p.swap(link.dataset.src);
  }

  // A version's downloads (MIDI, audio, MusicXML, PDF) follow it too: what is saved is what is
  // heard and read. A conversion's original has its own "Original MIDI" button instead.
  function followDownloads(link) {
    if (!link.dataset.downloads) return;
    const urls = JSON.parse(link.dataset.downloads);
    Object.keys(urls).forEach(function (fmt) {
      const button = document.getElementById("download-" + fmt);
      if (!button) return;
      button.href = urls[fmt];
      button.title = "Download " + link.textContent.trim();
    });
  }

  // A version's score follows it into the player (static/js/score.js); a conversion's original
  // has no score of its own, so the view keeps the conversion's.
  function showScore(link) {
    if (!link.dataset.score || !window.sonatinaScore) return;
    window.sonatinaScore.show({
      src: link.dataset.score, perBar: Number(link.dataset.secondsPerBar) || 0, name: link.textContent.trim(),
      page: link.href, own: link.dataset.own === "1",
    });
  }

  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      const p = player();
      if (!p || p.state !== "ready") return;  // plain link: the page loads that side
      event.preventDefault();
      choose(link).catch(function () {});  // the player's status line says what went wrong
    });
  });

  // "Play" in the version history: the same swap as the switch's button for that version.
  document.querySelectorAll("[data-play-version]").forEach(function (button) {
    button.addEventListener("click", function () {
      const link = links.find(function (l) { return l.dataset.side === button.dataset.playVersion; });
      const p = player();
      if (!link || !p || p.state !== "ready") {  // this page's switch lacks it (a conversion's A/B): open it
        window.location.assign(button.dataset.href + "?autoplay=1");
        return;
      }
      choose(link).then(function () { return p.play(); }).catch(function () {});
    });
  });
})();
