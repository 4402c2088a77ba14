// A/B switch on a conversion's page: the one player loads the original (A) or the conversion
// (B); switching keeps the position and, if it was playing, goes on playing from there.
(function () {
  const box = document.getElementById("ab-switch");
  if (!box) return;
  const params = new URLSearchParams(window.location.search);
  const at = Number(params.get("t"));

  function player() { return window.sonatinaPlayer; }

  if (at > 0) {
    const wait = setInterval(function () {
      const p = player();
      if (!p || p.state === "loading") return;
      clearInterval(wait);
      if (p.state === "ready") p.seek(at);
    }, 50);
  }

  box.querySelectorAll("a[data-testid^=ab-]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      const p = player();
      if (!p || p.state !== "ready") return;  // plain link: the page loads the other side
      event.preventDefault();
      const url = new URL(link.href, window.location.href);
      if (p.currentTime > 0) url.searchParams.set("t", p.currentTime.toFixed(2));
      if (p.playing) url.searchParams.set("autoplay", "1");
      window.location.assign(url.toString());
    });
  });
})();
