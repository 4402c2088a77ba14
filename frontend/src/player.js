// The song player: SpessaSynth plays the song's MIDI with our own SoundFont inside an
// AudioWorklet; an AnalyserNode between the synth and the speakers feeds the visualizer, so what
// is drawn is what is heard. Controls are plain HTML from the Jinja partial, found by id.

import { Sequencer, WorkletSynthesizer } from "spessasynth_lib";
import { BasicMIDI } from "spessasynth_core";
import { formatTime } from "./format.js";
import { fillInstrumentSelect } from "./instruments.js";
import { PianoRoll, notesFromMidi } from "./pianoroll.js";
import { Visualizer } from "./visualizer.js";

// Both files are built next to this bundle (see frontend/build.mjs), so they resolve from it.
const PROCESSOR_URL = new URL("spessasynth_processor.min.js", import.meta.url).href;
const SOUNDFONT_URL = new URL("soundfont/TimGM6mb.sf2", import.meta.url).href;
const DRUM_CHANNEL = 9;

export class Player {
  constructor(root) {
    this.root = root;
    this.midiUrl = root.dataset.midiUrl;
    this.program = Number(root.dataset.program || 0);
    this.state = "loading";  // loading | ready | error
    this.seeking = false;    // true while the user drags the seek bar
    const $ = (id) => root.querySelector(`#${id}`);
    this.el = {
      play: $("player-play"),
      time: $("player-time"),
      duration: $("player-duration"),
      seek: $("player-seek"),
      speed: $("player-speed"),
      instrument: $("player-instrument"),
      status: $("player-status"),
      visualizer: $("player-visualizer"),
      pianoroll: $("player-pianoroll"),
    };
    fillInstrumentSelect(this.el.instrument, this.program);
    this.ready = this.load().catch((err) => {
      this.state = "error";
      this.root.dataset.state = "error";
      this.setStatus(`Could not load the player: ${err.message}`);
      throw err;
    });
    this.ready.catch(() => {});  // the status line already says it; play() still sees the rejection
  }

  async load() {
    this.setStatus("Loading sounds…");
    // Fetch while the audio graph is being set up; the SoundFont is the big one (~6 MB, cached).
    const midiPromise = fetchBuffer(this.midiUrl, "the song's MIDI");
    const fontPromise = fetchBuffer(SOUNDFONT_URL, "the SoundFont");

    this.ctx = new AudioContext();
    await this.ctx.audioWorklet.addModule(PROCESSOR_URL);
    this.synth = new WorkletSynthesizer(this.ctx);
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 2048;
    this.synth.connect(this.analyser);
    this.analyser.connect(this.ctx.destination);

    await this.synth.soundBankManager.addSoundBank(await fontPromise, "main");
    await this.synth.isReady;

    const midiBuffer = await midiPromise;
    // Parse a copy for the piano roll: the buffer given to the sequencer goes to the audio thread.
    const midi = BasicMIDI.fromArrayBuffer(midiBuffer.slice(0), "song.mid");
    this.pianoRoll = new PianoRoll(this.el.pianoroll, notesFromMidi(midi));
    // The menu shows what the file really plays; the song's settings are the fallback.
    this.program = firstProgram(midi) ?? this.program;
    this.el.instrument.value = String(this.program);
    this.visualizer = new Visualizer(this.el.visualizer, this.analyser);

    // Play the file as written: from time 0 (no skipping leading rests), once (no looping).
    this.seq = new Sequencer(this.synth, { skipToFirstNoteOn: false });
    this.seq.loopCount = 0;
    const loaded = new Promise((resolve) => this.seq.eventHandler.addEvent("songChange", "sonatina", resolve));
    this.seq.eventHandler.addEvent("songEnded", "sonatina", () => this.render());
    this.seq.loadNewSongList([{ binary: midiBuffer, fileName: "song.mid" }]);
    await loaded;
    this.seq.pause();

    this.el.seek.max = String(this.duration);
    // Rounded, as the studio's pages show lengths; the running clock counts whole seconds.
    this.el.duration.textContent = formatTime(Math.round(this.duration));
    this.bindControls();
    this.state = "ready";
    this.setStatus("Ready");
    this.root.dataset.state = "ready";
    requestAnimationFrame(() => this.frame());
  }

  /**
   * Play another MIDI in this player without leaving the page (A/B listening: an original and its
   * conversion, or two versions of a song). The position is kept (clamped to the new length) and,
   * if it was playing, it goes on playing from there. Resolves once the new MIDI is loaded.
   */
  async swap(url) {
    await this.ready;
    const wasPlaying = this.playing;
    const at = this.currentTime;
    this.state = "loading";
    this.root.dataset.state = "loading";
    this.setStatus("Loading the other version…");
    if (wasPlaying) this.seq.pause();
    try {
      const buffer = await fetchBuffer(url, "the other MIDI");
      const midi = BasicMIDI.fromArrayBuffer(buffer.slice(0), "song.mid");
      // the new file plays as written: a program chosen in the menu for the old one is let go
      for (let ch = 0; ch < this.synth.channelCount; ch++) {
        this.synth.midiChannels[ch].setSystemParameter("presetLock", false);
      }
      const loaded = new Promise((resolve) => this.seq.eventHandler.addEvent("songChange", "sonatina", resolve));
      this.seq.loadNewSongList([{ binary: buffer, fileName: "song.mid" }]);
      await loaded;
      this.seq.pause();
      this.pianoRoll = new PianoRoll(this.el.pianoroll, notesFromMidi(midi));
      this.midiUrl = url;
      this.root.dataset.midiUrl = url;
      this.el.seek.max = String(this.duration);
      this.el.duration.textContent = formatTime(Math.round(this.duration));
      this.seq.currentTime = Math.min(at, this.duration);
      this.program = firstProgram(midi) ?? this.program;
      this.el.instrument.value = String(this.program);
    } catch (err) {
      this.state = "ready";
      this.root.dataset.state = "ready";
      this.setStatus(`Could not load the other version: ${err.message}`);
      throw err;
    }
    this.state = "ready";
    this.root.dataset.state = "ready";
    this.setStatus("Ready");
    this.root.dispatchEvent(new CustomEvent("sonatina:swapped", { detail: { url } }));
    if (wasPlaying) await this.play();
    this.render();
  }

  bindControls() {
    const { play, seek, speed, instrument } = this.el;
    play.disabled = false;
    play.addEventListener("click", () => this.toggle());
    seek.disabled = false;
    seek.addEventListener("input", () => {
      this.seeking = true;
      this.el.time.textContent = formatTime(Number(seek.value));
    });
    seek.addEventListener("change", () => {
      this.seek(Number(seek.value));
      this.seeking = false;
    });
    speed.disabled = false;
    speed.addEventListener("change", () => this.setSpeed(Number(speed.value)));
    instrument.disabled = false;
    instrument.addEventListener("change", () => this.setInstrument(Number(instrument.value)));
    // Keys as in most players: Space plays/pauses, arrows jump 5 s; never while typing in a form.
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, select, textarea, button, [contenteditable]")) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const jumps = { ArrowLeft: -5, ArrowRight: 5 };
      if (event.key === " ") this.toggle();
      else if (event.key in jumps) this.seek(this.currentTime + jumps[event.key]);
      else return;
      event.preventDefault();
    });
  }

  get duration() { return this.seq ? this.seq.duration : 0; }
  get currentTime() { return this.seq ? this.seq.currentTime : 0; }
  get playing() { return Boolean(this.seq) && !this.seq.paused; }
  get playbackRate() { return this.seq ? this.seq.playbackRate : 1; }

  async play() {
    await this.ready;
    if (this.playing) return;
    // Browsers keep an AudioContext suspended until the page gets a user gesture, and resume()
    // then waits for one: give it a moment, and ask for a click rather than play into silence.
    await Promise.race([this.ctx.resume(), new Promise((resolve) => setTimeout(resolve, 500))]);
    if (this.ctx.state !== "running") {
      this.setStatus("Your browser is holding the sound back: press Play to listen.");
      return;
    }
    this.seq.play();
    this.setStatus("Playing");
    this.render();
  }

  pause() {
    if (!this.seq) return;
    this.seq.pause();
    this.setStatus("Paused");
    this.render();
  }

  toggle() { return this.playing ? this.pause() : this.play(); }

  seek(seconds) {
    this.seq.currentTime = Math.min(Math.max(0, seconds), this.duration);
    this.render();
  }

  setSpeed(rate) {
    if (!(rate >= 0.5 && rate <= 2)) throw new Error(`speed must be between 0.5 and 2, not ${rate}`);
    this.seq.playbackRate = rate;
    this.el.speed.value = String(rate);
  }

  /** Play every melodic channel with GM `program`, overriding the file's own program changes. */
  setInstrument(program) {
    this.program = program;
    this.el.instrument.value = String(program);
    for (let ch = 0; ch < this.synth.channelCount; ch++) {
      if (ch % 16 === DRUM_CHANNEL) continue;
      const channel = this.synth.midiChannels[ch];
      // The lock stops the song's program changes (re-sent on every seek) from undoing the choice.
      channel.setSystemParameter("presetLock", false);
      this.synth.programChange(ch, program);
      channel.setSystemParameter("presetLock", true);
    }
  }

  /** RMS of the sound leaving the synth right now (0 = silence); used by tests and the meter. */
  analyserLevel() { return this.visualizer ? this.visualizer.level() : 0; }

  setStatus(text) { this.el.status.textContent = text; }

  /** Update the controls that reflect playback state. */
  render() {
    const t = this.currentTime;
    this.el.play.textContent = this.playing ? "Pause" : "Play";
    this.el.play.setAttribute("aria-pressed", String(this.playing));
    this.root.dataset.playing = String(this.playing);
    if (!this.seeking) {
      this.el.seek.value = String(t);
      this.el.time.textContent = formatTime(t);
    }
  }

  frame() {
    this.render();
    this.pianoRoll.draw(this.playing ? this.seq.currentHighResolutionTime : this.currentTime);
    this.visualizer.draw();
    requestAnimationFrame(() => this.frame());
  }
}

/** The first program change on a melodic channel, or undefined when the file has none. */
function firstProgram(midi) {
  let first;
  for (const track of midi.tracks) {
    for (const e of track.events) {
      const isProgramChange = (e.statusByte & 0xf0) === 0xc0 && (e.statusByte & 0x0f) !== DRUM_CHANNEL;
      if (isProgramChange && (first === undefined || e.ticks < first.ticks)) first = e;
    }
  }
  return first?.data[0];
}

async function fetchBuffer(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${what} did not download (HTTP ${response.status})`);
  return response.arrayBuffer();
}
