"""Rendering and transcription speed, and how well transcription hears rendered piano.

    .venv/bin/python bench/bench_audio.py --data ../shared/datasets

Measures (medians of --repeat runs, after one warm-up):
- synthesis speed (x real time) per backend and SoundFont, on the first 60 s of a real song;
- MP3 encoding time of 60 s of stereo at LAME qualities 2 / 5 (default) / 7, and WAV/FLAC;
- MIDI -> MP3 for 60 s end to end (sonatina.audio.synth.render with defaults), the 1-second target;
- transcription speed (x real time) and onset F1 of render -> transcribe on MAESTRO
  performances (giantmidi-eval/maestro), first --seconds of each, 50 ms onset tolerance.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import symusic

from sonatina.audio import synth as audio
from sonatina.audio import files as audiofile
from sonatina.audio import loudness
from sonatina.audio import soundfonts
from sonatina.audio import transcribe


def timed(func, repeat: int) -> tuple[float, object]:
    func()  # warm-up: caches, page cache, lazy loading
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def clip(score: symusic.Score, seconds: float) -> symusic.Score:
    return score.to("second").clip(0, seconds, clip_end=False).to("tick")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the shared datasets folder")
    parser.add_argument("--song", default="pop909/001/001.mid", help="render-speed piece, relative to --data")
    parser.add_argument("--pieces", type=int, default=5, help="MAESTRO pieces for the onset F1")
    parser.add_argument("--seconds", type=float, default=45.0, help="seconds of each MAESTRO piece")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []
    song = clip(symusic.Score(str(args.data / args.song)), 60.0)
    music_s = song.to("second").end()
    fonts = soundfonts.find_soundfonts()
    backends = ["symusic"] + (["fluidsynth"] if audio.shutil.which("fluidsynth") else [])
    cache = tempfile.TemporaryDirectory(prefix="sonatina-bench-")
    os.environ["SONATINA_CACHE"] = cache.name  # so the first-time SoundFont fix is measured
    for font in fonts:
        start = time.perf_counter()
        soundfonts.for_symusic(font)
        rows.append((f"one-time SoundFont root-key fix for symusic, {font.name}", f"{time.perf_counter() - start:.2f} s (cached afterwards)"))
    for backend in backends:
        for font in fonts:
            seconds, samples = timed(lambda: audio.synthesize(song, backend=backend, soundfont=font), args.repeat)
            rows.append((f"synthesis, {backend}, {font.name}, {music_s:.0f} s of {args.song}",
                         f"{seconds:.3f} s = {music_s / seconds:.0f}x real time"))
    stereo = audio.synthesize(song)
    stereo, _ = loudness.normalise(stereo, 44100)
    with tempfile.TemporaryDirectory() as tmp:
        for quality in (2, 5, 7):
            seconds, _ = timed(lambda: audiofile.write_audio(stereo, 44100, Path(tmp) / "x.mp3", mp3_quality=quality), args.repeat)
            rows.append((f"MP3 encoding 192 kbit/s, LAME quality {quality}{' (default)' if quality == audiofile.MP3_QUALITY else ''}, "
                         f"{len(stereo) / 44100:.0f} s stereo", f"{seconds:.3f} s"))
        for suffix in (".wav", ".flac"):
            seconds, _ = timed(lambda: audiofile.write_audio(stereo, 44100, Path(tmp) / f"x{suffix}"), args.repeat)
            rows.append((f"{suffix[1:].upper()} writing, {len(stereo) / 44100:.0f} s stereo", f"{seconds:.3f} s"))
        midi = Path(tmp) / "song.mid"
        song.dump_midi(str(midi))
        for backend in backends:
            seconds, result = timed(lambda: audio.render(midi, Path(tmp) / "song.mp3", backend=backend), args.repeat)
            rows.append((f"MIDI -> MP3 end to end ({backend}, default SoundFont), {music_s:.0f} s of music",
                         f"{seconds:.3f} s (render {result['render_s']:.3f} s + encode {result['encode_s']:.3f} s)"))

        # Transcription: render each performance, hear it back, compare onsets.
        pieces = sorted((args.data / "giantmidi-eval" / "maestro").glob("*.mid"))[:args.pieces]
        for backend in backends:
            f1s, speeds = [], []
            for path in pieces:
                score = clip(symusic.Score(str(path)), args.seconds)
                reference = [(n.time, n.pitch) for t in score.to("second").tracks for n in t.notes]
                wav = Path(tmp) / "take.wav"
                audio.render(score, wav, backend=backend)
                start = time.perf_counter()
                result = transcribe.transcribe(wav, Path(tmp) / "take.mid")
                speeds.append(result["audio_seconds"] / (time.perf_counter() - start))
                heard = symusic.Score(str(Path(tmp) / "take.mid")).to("second")
                f1 = transcribe.onset_f1(reference, [(n.time, n.pitch) for t in heard.tracks for n in t.notes])
                f1s.append(f1)
                print(f"{backend} {path.name[:60]}: {f1}", file=sys.stderr)
            per_piece = ", ".join(f"{f['f1']:.3f}" for f in f1s)
            rows.append((f"onset F1 (50 ms), render ({backend}) -> transcribe, {len(pieces)} MAESTRO pieces x {args.seconds:.0f} s",
                         f"mean {statistics.mean(f['f1'] for f in f1s):.3f} (P {statistics.mean(f['precision'] for f in f1s):.3f}, "
                         f"R {statistics.mean(f['recall'] for f in f1s):.3f}); per piece {per_piece}"))
            rows.append((f"transcription speed (load + resample + network + notes), {backend} renders",
                         f"median {statistics.median(speeds):.0f}x real time"))

    cache.cleanup()
    print("| what | result |\n|---|---|")
    for what, result in rows:
        print(f"| {what} | {result} |")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
