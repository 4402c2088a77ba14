// Piano roll that scrolls with the playhead: time runs left to right, pitch bottom to top, the
// playhead sits a quarter of the way in so the player sees what is coming.

const WINDOW_S = 8;        // seconds of music visible at once
const PLAYHEAD_AT = 0.25;  // playhead position as a fraction of the width
const BLACK_KEYS = new Set([1, 3, 6, 8, 10]);

/** Flatten SpessaSynth's per-channel note times into one list sorted by start. */
export function notesFromMidi(midi) {
  const notes = [];
  midi.getNoteTimes().forEach((channelNotes, channel) => {
    for (const n of channelNotes) {
      notes.push({ pitch: n.midiNote, start: n.start, end: n.start + n.length, velocity: n.velocity, channel });
    }
  });
  notes.sort((a, b) => a.start - b.start);
  return notes;
}

export class PianoRoll {
  constructor(canvas, notes) {
    this.canvas = canvas;
    this.notes = notes;
    const pitches = notes.filter((n) => n.channel !== 9).map((n) => n.pitch);
    // Pad the range a little so the highest and lowest notes are not glued to the edges.
    this.low = pitches.length ? Math.min(...pitches) - 2 : 48;
    this.high = pitches.length ? Math.max(...pitches) + 2 : 84;
  }

  /** Draw the window around `time` (seconds of song time). */
  draw(time) {
    const { canvas } = this;
    const ctx = canvas.getContext("2d");
    const w = canvas.width;
    const h = canvas.height;
    const rows = this.high - this.low + 1;
    const rowH = h / rows;
    const t0 = time - WINDOW_S * PLAYHEAD_AT;
    const pxPerS = w / WINDOW_S;

    ctx.fillStyle = "#1b1d24";
    ctx.fillRect(0, 0, w, h);
    // Darker lanes for the black keys, as on a keyboard turned on its side.
    ctx.fillStyle = "#15171c";
    for (let p = this.low; p <= this.high; p++) {
      if (BLACK_KEYS.has(p % 12)) ctx.fillRect(0, h - (p - this.low + 1) * rowH, w, rowH);
    }
    // Beat-free second grid: the roll is in seconds, as the time display is.
    ctx.strokeStyle = "#2a2d37";
    ctx.beginPath();
    for (let s = Math.ceil(t0); s < t0 + WINDOW_S; s++) {
      const x = Math.round((s - t0) * pxPerS) + 0.5;
      ctx.moveTo(x, 0);
      ctx.lineTo(x, h);
    }
    ctx.stroke();

    for (const n of this.notes) {
      if (n.start > t0 + WINDOW_S) break;  // sorted by start: nothing further is visible
      if (n.end < t0) continue;
      const x = (n.start - t0) * pxPerS;
      const nw = Math.max(2, (n.end - n.start) * pxPerS);
      const pitch = Math.min(this.high, Math.max(this.low, n.pitch));
      const y = h - (pitch - this.low + 1) * rowH;
      const sounding = n.start <= time && time < n.end;
      if (n.channel === 9) ctx.fillStyle = sounding ? "#d0d0d0" : "#6b6f7a";
      else ctx.fillStyle = sounding ? "#ffd166" : `hsl(${200 + n.channel * 20}, 70%, ${40 + n.velocity / 6}%)`;
      ctx.fillRect(x, y + 0.5, nw, Math.max(1, rowH - 1));
    }

    const px = Math.round(w * PLAYHEAD_AT) + 0.5;
    ctx.strokeStyle = "#ef476f";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(px, 0);
    ctx.lineTo(px, h);
    ctx.stroke();
    ctx.lineWidth = 1;
  }
}
