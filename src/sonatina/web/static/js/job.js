// Job page: poll the job's JSON until it is done, then open the song (or list the takes).
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = document.getElementById("job-progress");
  const status = document.getElementById("job-status");
  const heading = document.getElementById("job-heading");
  const list = document.getElementById("job-songs");

  function show(job) {
    box.dataset.status = job.status;
    bar.value = job.status === "done" ? 1 : job.progress;
    if (job.status === "queued") status.textContent = "Waiting for a free composer…";
    if (job.status === "running") status.textContent = "Writing notes: " + Math.round(job.progress * 100) + "%";
    if (job.status === "failed") {
      heading.textContent = "That did not work";
      status.textContent = job.error;
    }
    if (job.status === "done") {
      if (job.songs.length === 1) {
        window.location.assign(job.songs[0].urls.page);
        return;
      }
      heading.textContent = "Your songs are ready";
      status.textContent = "Done.";
      list.replaceChildren(...job.songs.map(function (song) {
        const li = document.createElement("li");
        li.className = "song-item";
        li.dataset.testid = "song-item";
        li.dataset.songId = song.id;
        const a = document.createElement("a");
        a.className = "song-title";
        a.href = song.urls.page;
        a.textContent = song.title;
        li.append(a);
        return li;
      }));
    }
  }

  async function poll() {
    if (box.dataset.status === "done" || box.dataset.status === "failed") return;
    try {
      const response = await fetch(box.dataset.jobUrl, { headers: { Accept: "application/json" } });
      if (response.ok) show(await response.json());
    } catch (err) {
      /* network blip: try again below */
    }
    if (box.dataset.status !== "done" && box.dataset.status !== "failed") setTimeout(poll, 500);
  }
  poll();
})();
