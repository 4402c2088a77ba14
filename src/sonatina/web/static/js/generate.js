// Generate form: offer only the chosen model's genres.
(function () {
  const model = document.getElementById("model");
  const genre = document.getElementById("genre");
  if (!model || !genre) return;
  const genres = JSON.parse(genre.dataset.genres || "{}");
  function sync() {
    const allowed = genres[model.value] || [];
    for (const option of genre.options) {
      const ok = option.value === "" || allowed.includes(option.value);
      option.hidden = !ok;
      option.disabled = !ok;
    }
    if (genre.selectedOptions[0] && genre.selectedOptions[0].disabled) genre.value = "";
  }
  model.addEventListener("change", sync);
  sync();
})();
