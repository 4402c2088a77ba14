"""`sonatina render | transcribe | soundfonts`: thin wrappers over sonatina.audio.synth and sonatina.audio.transcribe."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import click

from sonatina.cli.common import emit, json_option, user_errors
from sonatina.audio.transcribe import FRAME_THRESHOLD, MIN_NOTE_MS, ONSET_THRESHOLD


@click.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Audio file to write: .wav, .flac or .mp3.")
@click.option("--backend", type=click.Choice(["symusic", "fluidsynth"]), default="symusic", show_default=True,
              help="Synthesizer: symusic (in-process, fastest) or the FluidSynth program (adds reverb).")
@click.option("--soundfont", type=click.Path(dir_okay=False), help="SoundFont (.sf2/.sf3); default: the first one found.")
@click.option("--sample-rate", type=click.IntRange(8000, 192000), default=44100, show_default=True)
@json_option
@user_errors
def render(source, out, backend, soundfont, sample_rate, as_json):
    """Render SOURCE (MIDI, MusicXML or ABC) to stereo audio, loudness-normalised, peak <= -1 dBFS."""
    from sonatina.audio import synth as audio

    result = audio.render(source, out, backend=backend, soundfont=soundfont, sample_rate=sample_rate)
    emit(result, as_json, f"Wrote {result['path']}: {result['seconds']:.1f} s of {result['format'].upper()} "
                          f"({result['loudness_lufs']:.1f} LUFS, peak {result['peak_dbfs']:.1f} dBFS).")


@click.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="MIDI file to write (.mid).")
@click.option("--tempo", type=click.FloatRange(20, 400), default=120.0, show_default=True,
              help="Tempo written into the MIDI file (note times stay as played).")
@click.option("--min-note-ms", type=click.FloatRange(0, 5000), default=MIN_NOTE_MS, show_default=True,
              help="Drop notes shorter than this.")
@click.option("--onset-threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=ONSET_THRESHOLD,
              show_default=True, help="Higher: fewer false notes, more missed ones.")
@click.option("--frame-threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=FRAME_THRESHOLD,
              show_default=True, help="How strongly a note must keep sounding to continue.")
@click.option("--sustained-notes", is_flag=True,
              help="Also keep notes that swell in without an onset (singing, bowed strings).")
@click.option("--instrument", default="piano", show_default=True, help="GM instrument name or program for the MIDI track.")
@json_option
@user_errors
def transcribe(source, out, tempo, min_note_ms, onset_threshold, frame_threshold, sustained_notes, instrument, as_json):
    """Transcribe a recording (WAV, FLAC, OGG, MP3) to MIDI; usable as `generate --primer`."""
    from sonatina.music.instruments import resolve_instrument
    from sonatina.audio.transcribe import transcribe as run

    program = resolve_instrument(instrument)
    # Minutes of audio take tens of seconds: show a bar on a terminal (never with --json or in logs).
    stderr = sys.stderr
    show = not as_json and stderr.isatty()
    with click.progressbar(length=100, label="Listening", file=stderr) if show else nullcontext() as bar:
        def progress(fraction: float) -> None:
            if bar is not None:
                bar.update(round(fraction * 100) - bar.pos)

        result = run(source, out, tempo=tempo, min_note_ms=min_note_ms, onset_threshold=onset_threshold,
                     frame_threshold=frame_threshold, sustained_notes=sustained_notes, program=program,
                     progress=progress)
    emit(result, as_json, f"Wrote {result['path']}: {result['notes']} notes over {result['music_seconds']:.1f} s "
                          f"(MIDI {result['lowest']}-{result['highest']}).")


@click.command()
@json_option
@user_errors
def soundfonts(as_json):
    """List the SoundFonts found, default first."""
    from sonatina.audio.soundfonts import find_soundfonts

    found = [str(p) for p in find_soundfonts()]
    emit({"soundfonts": found, "default": found[0] if found else None}, as_json,
         "\n".join(found) if found else "No SoundFont found (install fluid-soundfont-gm or set SONATINA_SOUNDFONT).")


def register(group: click.Group) -> None:
    for command in (render, transcribe, soundfonts):
        group.add_command(command)
