// The instrument menu: the 128 General MIDI programs grouped in their 16 families of eight, so
// it offers every sound the SoundFont has without a long flat list. The names are not written
// here: build.mjs reads them from the Python list (sonatina.music.instruments), so the player,
// the studio's form and the API always agree.
import { programs, families } from "sonatina:instruments";

/** Fill a <select> with the GM programs (value = program number 0-127) and select `program`. */
export function fillInstrumentSelect(select, program) {
  select.replaceChildren();
  families.forEach((family, f) => {
    const group = document.createElement("optgroup");
    group.label = family;
    programs.slice(f * 8, f * 8 + 8).forEach((name, i) => {
      group.append(new Option(name, String(f * 8 + i)));
    });
    select.append(group);
  });
  select.value = String(program);
}
