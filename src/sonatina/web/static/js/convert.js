// Convert form: when one of your songs is chosen, list its tracks for the melody-track field.
(function () {
  const song = document.getElementById("song_id");
  const hint = document.getElementById("melody-track-hint");
  const list = document.getElementById("melody-tracks");
  if (!song || !hint || !list) return;
  const blank = "Which track holds the tune, counting from 0; empty finds it by itself.";
  const urlFor = (id) => hint.dataset.tracksUrl.replace(/\/0\/tracks$/, "/" + id + "/tracks");
  const refresh = async () => {
    list.replaceChildren();
    if (!/^\d+$/.test(song.value)) { hint.textContent = blank; return; }
    try {
      const response = await fetch(urlFor(song.value), { credentials: "same-origin" });
      if (!response.ok) throw new Error(response.statusText);
      const { tracks } = await response.json();
      for (const t of tracks.filter((t) => !t.drums)) {
        const option = document.createElement("option");
        option.value = t.index;
        option.label = `${t.name} (${t.instrument})`;
        list.append(option);
      }
      hint.textContent = "Tracks of this song: " +
        tracks.map((t) => `${t.index} ${t.name} (${t.instrument}, ${t.notes} notes)`).join("; ") + ".";
    } catch (error) {
      hint.textContent = blank;
    }
  };
  song.addEventListener("change", refresh);
  // A choice made before this deferred script ran fired no event we heard: catch up with it.
  if (/^\d+$/.test(song.value) && !hint.textContent.includes("Tracks of this song")) refresh();
})();
