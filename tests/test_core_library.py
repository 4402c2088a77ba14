"""Library-level tests of the core: tokens, keys, instruments, sources, training, composing."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from symusic import Score

from helpers import make_score, one_second_per_batch
from sonatina import api
from sonatina.data.corpus import collect_sources, load_score
from sonatina.data.dataset import build_dataset
from sonatina.errors import BadInputError, SonatinaError, UnknownOptionError
from sonatina.music.instruments import resolve_instrument
from sonatina.music.keys import estimate_key, parse_key
from sonatina.data.tokens import DEFAULT_SETTINGS, build_tokenizer, decode, encode, prepare_score


def notes_of(score: Score):
    s = score.resample(480)
    return sorted((n.time, n.pitch, n.duration) for t in s.tracks for n in t.notes)


def test_tokens_round_trip_equals_input():
    score = make_score(seed=3, tonic=60)  # already in C: no transposition
    prepared = prepare_score(score)
    assert (prepared.tonic, prepared.mode) == (0, "major")
    tok = build_tokenizer()
    back = decode(tok, encode(tok, prepared.score), prepared.tempo, program=0)
    assert notes_of(back) == notes_of(prepared.score)


def test_prepare_moves_tonic_to_c_and_remembers_key():
    prepared = prepare_score(make_score(seed=1, tonic=62, minor=True))  # D minor
    assert (prepared.tonic, prepared.mode) == (2, "minor")
    pcs = np.array([n.pitch % 12 for n in prepared.score.tracks[0].notes])
    assert np.isin(pcs, [0, 2, 3, 5, 7, 8, 10]).all()  # C natural minor


@pytest.mark.parametrize("text,expected", [("D minor", (2, "minor")), ("F# major", (6, "major")),
                                           ("bb", (10, "major")), ("c#m", (1, "minor"))])
def test_parse_key(text, expected):
    assert parse_key(text) == expected


def test_parse_key_rejects_nonsense():
    with pytest.raises(UnknownOptionError, match="Unknown key"):
        parse_key("H minor")


def test_estimate_key_of_scale():
    pitches = np.array([64, 66, 68, 69, 71, 73, 75, 76])  # E major scale
    assert estimate_key(pitches, np.ones(8)) == (4, "major")


def test_instruments():
    assert resolve_instrument("piano") == 0
    assert resolve_instrument("Electric Piano 1") == 4
    assert resolve_instrument("41") == 41
    assert resolve_instrument(None) == 0
    with pytest.raises(UnknownOptionError):
        resolve_instrument("kazoo-9000")
    with pytest.raises(UnknownOptionError):
        resolve_instrument(200)


def test_sources_genre_folders_maestro_and_labels(tmp_path):
    for genre in ("jazz", "folk"):
        (tmp_path / "lakh" / genre / "artist").mkdir(parents=True)
        for i in range(2):
            make_score(i).dump_midi(str(tmp_path / "lakh" / genre / "artist" / f"{i}.mid"))
    refs = collect_sources([str(tmp_path / "lakh")], genre_folders=True)
    assert sorted({r.genre for r in refs}) == ["folk", "jazz"] and len(refs) == 4
    labelled = collect_sources([f"pop={tmp_path / 'lakh' / 'jazz'}"])
    assert {r.genre for r in labelled} == {"pop"}

    maestro = tmp_path / "maestro-v3.0.0"
    (maestro / "2004").mkdir(parents=True)
    rows = [("a.mid", "train"), ("b.mid", "validation"), ("c.mid", "test")]
    for name, _ in rows:
        make_score(1).dump_midi(str(maestro / "2004" / name))
    with open(maestro / "maestro-v3.0.0.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["canonical_composer", "canonical_title", "split", "year", "midi_filename", "audio_filename", "duration"])
        for name, split in rows:
            w.writerow(["X", "Y", split, 2004, f"2004/{name}", "", 10])
    refs = collect_sources([str(maestro)])
    assert {r.path.name: r.split for r in refs} == {"a.mid": "train", "b.mid": "validation", "c.mid": "test"}
    assert {r.genre for r in refs} == {"classical"}


def test_an_empty_source_is_refused_not_read_as_the_working_folder(tmp_path, monkeypatch):
    # `sonatina train rock=$ROCK` with $ROCK unset once trained on every file under the cwd
    make_score(1).dump_midi(str(tmp_path / "stray.mid"))
    monkeypatch.chdir(tmp_path)
    for source in ("rock=", "", "  "):
        with pytest.raises(BadInputError, match="names no file"):
            collect_sources([source])


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_refused_before_the_data_is_read(tmp_path):
    # a large corpus took minutes to tokenize before this error; now the missing source is not even looked at
    for preset in ("small", "twolayer"):
        with pytest.raises(SonatinaError, match="no CUDA GPU"):
            api.train([str(tmp_path / "not-read")], tmp_path / "run", preset=preset, device="cuda", max_minutes=1)


def test_split_follows_the_piece_not_where_the_collection_lies(tmp_path, monkeypatch):
    for place in ("here", "there/deeper"):
        (tmp_path / place / "songs" / "a").mkdir(parents=True)
        for i in range(40):
            make_score(i, bars=2).dump_midi(str(tmp_path / place / "songs" / "a" / f"{i}.mid"))
    monkeypatch.chdir(tmp_path / "there")

    def splits(source):
        dataset = build_dataset(collect_sources([source]), DEFAULT_SETTINGS, progress=False)
        return {p.name: p.split for p in dataset.pieces}

    relative, absolute = splits("deeper/songs"), splits(str(tmp_path / "here" / "songs"))
    assert relative == absolute and "songs/a/7.mid" in relative
    (tmp_path / "links" / "songs").mkdir(parents=True)  # a folder of links to files elsewhere
    for i in range(40):
        (tmp_path / "links" / "songs" / f"{i}.mid").symlink_to(tmp_path / "here" / "songs" / "a" / f"{i}.mid")
    assert set(splits(str(tmp_path / "links" / "songs"))) == {f"songs/{i}.mid" for i in range(40)}
    assert "train" in relative.values() and len(set(relative.values())) > 1


def test_versions_of_one_work_share_a_split(tmp_path):
    """GiantMIDI's evaluation set holds each work three times (score, performance, transcription):
    all three land in one split, the performance's own, so no held-out work is learned."""
    root = tmp_path / "giantmidi-eval"
    rows = []
    for i in range(30):
        names = {"GroundTruth": f"gt{i}.mid", "Maestro": f"perf{i}.mid", "GiantMIDI-Piano": f"tr{i}.mid"}
        for column, folder in (("GroundTruth", "ground_truth"), ("Maestro", "maestro"), ("GiantMIDI-Piano", "giantmidi-piano")):
            (root / folder).mkdir(parents=True, exist_ok=True)
            make_score(i, bars=2).dump_midi(str(root / folder / names[column]))
        rows.append([f"Work {i}", names["GroundTruth"], names["Maestro"], names["GiantMIDI-Piano"]])
    with open(root / "groundtruth_maestro_giantmidi-piano.csv", "w", newline="") as fh:
        csv.writer(fh, delimiter="\t").writerows([["Name", "GroundTruth", "Maestro", "GiantMIDI-Piano"], *rows])
    dataset = build_dataset(collect_sources([str(root)]), DEFAULT_SETTINGS, progress=False)
    assert len(dataset.pieces) == 90 and {p.genre for p in dataset.pieces} == {"classical"}
    performances_alone = build_dataset(collect_sources([str(root / "maestro")]), DEFAULT_SETTINGS, progress=False)
    alone = {p.name.split("/")[-1]: p.split for p in performances_alone.pieces}
    for i in range(30):
        splits = {p.split for p in dataset.pieces if p.name.endswith((f"/gt{i}.mid", f"/perf{i}.mid", f"/tr{i}.mid"))}
        assert splits == {alone[f"perf{i}.mid"]}
    assert len({p.split for p in dataset.pieces}) > 1


def test_music21_corpus_source_converts_and_caches():
    refs = collect_sources(["music21:bach"], limit=2)
    assert len(refs) == 2 and refs[0].genre == "classical"
    dataset = build_dataset(refs, DEFAULT_SETTINGS, progress=False)
    assert len(dataset.pieces) == 2 and all(len(p.ids) > 50 for p in dataset.pieces)


def test_unreadable_files_are_skipped_and_counted(tmp_path):
    make_score(0).dump_midi(str(tmp_path / "good.mid"))
    (tmp_path / "bad.mid").write_bytes(b"MThd this is not midi")
    (tmp_path / "empty.mid").write_bytes(b"")
    dataset = build_dataset(collect_sources([str(tmp_path)]), DEFAULT_SETTINGS, progress=False)
    assert len(dataset.pieces) == 1
    assert sorted(name.split("/")[-1] for name, _ in dataset.skipped) == ["bad.mid", "empty.mid"]


def test_empty_dataset_is_one_clear_error(tmp_path):
    (tmp_path / "bad.mid").write_bytes(b"nope")
    with pytest.raises(SonatinaError, match="None of the 1 files"):
        build_dataset(collect_sources([str(tmp_path)]), DEFAULT_SETTINGS, progress=False)
    (tmp_path / "silent").mkdir()
    with pytest.raises(SonatinaError, match="holds no MIDI"):
        collect_sources([str(tmp_path / "silent")])


def test_load_score_rejects_garbage(tmp_path):
    bad = tmp_path / "x.mid"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(BadInputError, match="x.mid"):
        load_score(bad)


def test_training_writes_checkpoint_curve_and_card(tiny_run):
    card = json.loads((tiny_run / "model.json").read_text())
    assert (tiny_run / "model.safetensors").stat().st_size > 1000
    assert np.isfinite(card["validation"]["bits_per_note"]) and card["validation"]["bits_per_note"] > 0
    assert card["genres"] == ["general"] and card["data"]["pieces"]["validation"] >= 1
    split = list(csv.DictReader(open(tiny_run / "split.csv")))
    assert len(split) == sum(card["data"]["pieces"].values())
    assert sum(row["split"] == "validation" for row in split) == card["data"]["pieces"]["validation"]
    for name, by_genre in card["held_out"].items():  # every held-out piece scored, per genre
        assert by_genre["general"]["pieces"] == card["data"]["pieces"][name] and by_genre["general"]["bits_per_note"] > 0
    rows = list(csv.DictReader(open(tiny_run / "learning_curve.csv")))
    assert len(rows) == 2 and float(rows[1]["tokens_seen"]) > float(rows[0]["tokens_seen"])
    assert (tiny_run / "learning_curve.png").stat().st_size > 5000  # drawn after every epoch


def test_resume_continues_from_last_epoch(tiny_corpus, tmp_path):
    opts = dict(preset="tiny", steps_per_epoch=5, batch_size=4, seq_len=32, progress=False)
    api.train([str(tiny_corpus)], tmp_path, epochs=1, **opts)
    api.train([str(tiny_corpus)], tmp_path, epochs=2, resume=True, **opts)
    rows = list(csv.DictReader(open(tmp_path / "learning_curve.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2"] and rows[1]["step"] == "10"


@pytest.mark.parametrize("seconds", [8, 30])
def test_compose_lasts_what_was_asked(tiny_run, seconds):
    piece = api.compose(str(tiny_run), seconds=seconds, seed=5, tempo=110)[0]
    assert abs(piece.duration_s - seconds) <= 0.05 * seconds
    assert piece.score.note_num() > 0
    last = max(n.time + n.duration for n in piece.score.tracks[0].notes)
    assert last == max(n.time + n.duration for n in piece.score.tracks[0].notes if n.time == max(
        m.time for m in piece.score.tracks[0].notes))  # the piece ends on its final notes, held


def test_pieces_start_sounding_within_the_first_beat(tiny_run):
    for piece in api.compose(str(tiny_run), seconds=10, seed=20, variations=8, temperature=2.0):
        first = min(n.time for t in piece.score.tracks for n in t.notes)
        assert first < piece.score.tpq, f"seed {piece.seed}: first note at tick {first}"


def test_same_seed_same_piece_other_seed_other_piece(tiny_run, tmp_path):
    a = api.compose(str(tiny_run), seconds=10, seed=11)[0].write_midi(tmp_path / "a.mid")
    b = api.compose(str(tiny_run), seconds=10, seed=11)[0].write_midi(tmp_path / "b.mid")
    c = api.compose(str(tiny_run), seconds=10, seed=12)[0].write_midi(tmp_path / "c.mid")
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_compose_honours_key_instrument_tempo_and_variations(tiny_run):
    pieces = api.compose(str(tiny_run), seconds=12, key="D minor", instrument="strings", tempo=90, seed=1,
                         variations=3)
    assert len(pieces) == 3 and [p.seed for p in pieces] == [1, 2, 3]
    for p in pieces:
        assert p.settings["key"] == "D minor" and p.settings["instrument"] == 48
        assert all(t.program == 48 for t in p.score.tracks)
        assert abs(p.score.tempos[0].qpm - 90) < 0.5
        assert p.score.key_signatures[0].key == -1  # D minor: one flat
    assert len({tuple(notes_of(p.score)) for p in pieces}) == 3


def test_primer_is_continued(tiny_run, tmp_path):
    primer = make_score(seed=42, bars=2, tonic=60, tempo=100)
    primer.dump_midi(str(tmp_path / "primer.mid"))
    piece = api.compose(str(tiny_run), seconds=12, primer=tmp_path / "primer.mid", key="C major", seed=3)[0]
    want = [n for n in notes_of(primer) if n[0] < 4 * 480]
    assert set(want) <= set(notes_of(piece.score))
    assert piece.settings["tempo"] == 100


def test_bad_compose_options_are_clear(tiny_run):
    with pytest.raises(UnknownOptionError, match="knows no genre 'polka'"):
        api.compose(str(tiny_run), seconds=10, genre="polka")
    with pytest.raises(SonatinaError, match="Length in seconds"):
        api.compose(str(tiny_run), seconds=100000)
    with pytest.raises(SonatinaError, match="Temperature"):
        api.compose(str(tiny_run), seconds=10, temperature=0)
    with pytest.raises(UnknownOptionError, match="No model"):
        api.compose("no-such-model", seconds=10)


def test_evaluate_reports_bits_per_note(tiny_run, tiny_corpus):
    result = api.evaluate(str(tiny_run), [str(tiny_corpus / "piece00.mid"), str(tiny_corpus / "piece01.mid")])
    assert result["pieces"] == 2 and 0 < result["bits_per_note"] < 60
    assert result["bits_per_note"] == pytest.approx(result["bits_per_token"] * result["tokens"] / result["notes"])


def test_numpy_stepper_agrees_with_torch_model(tiny_run):
    """The stepper read from the checkpoint (NumPy only) and MusicLSTM.forward give the same
    logits, token by token and for a whole prefix, for the tiny run and a random 2-layer net."""
    import torch

    from sonatina.model.checkpoint import ModelConfig
    from sonatina.model.lstm import MusicLSTM, load_checkpoint
    from sonatina.model.stepper import NumpyStepper

    torch.manual_seed(0)
    deep = MusicLSTM(ModelConfig(vocab_size=200, num_genres=3, embed_dim=24, hidden_size=40, num_layers=2)).eval()
    tiny, _ = load_checkpoint(tiny_run)
    pairs = [(tiny, NumpyStepper.from_checkpoint(tiny_run)[0]), (deep, NumpyStepper(deep.numpy_weights(), deep.config))]
    tokens = np.array([[1, 5, 40, 100, 150, 7, 60], [1, 9, 9, 30, 2, 199, 0]])
    for model, stepper in pairs:
        genre, mode = np.array([0, model.config.num_genres - 1]), np.array([1, 0])
        with torch.no_grad():
            want, _ = model(torch.from_numpy(tokens), torch.from_numpy(genre), torch.from_numpy(mode))
        state = stepper.initial_state(2)
        for t in range(tokens.shape[1]):
            got, state = stepper.step(tokens[:, t], genre, mode, state)
            np.testing.assert_allclose(got, want[:, t].numpy(), rtol=1e-4, atol=1e-4)
        primed, primed_state = stepper.prime(tokens, genre, mode)
        np.testing.assert_allclose(primed, want[:, -1].numpy(), rtol=1e-4, atol=1e-4)
        for (h, c), (h2, c2) in zip(state, primed_state):
            np.testing.assert_allclose(h, h2, atol=1e-5)
            np.testing.assert_allclose(c, c2, atol=1e-5)


def test_composing_loads_no_torch(tiny_run):
    """Reading a checkpoint, composing and listing models never import torch (~1.5 s a run)."""
    code = ("import sys; from sonatina import api; "
            f"p = api.compose({str(tiny_run)!r}, seconds=6, seed=1)[0]; api.list_models(); "
            "assert p.score.note_num() > 0; print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_damaged_checkpoint_is_one_clear_error(tiny_run, tmp_path):
    from safetensors.numpy import load_file, save_file

    from sonatina.model.registry import load_model

    for name in ("model.json", "model.safetensors"):
        shutil.copy(tiny_run / name, tmp_path / name)
    weights = load_file(str(tmp_path / "model.safetensors"))
    weights["head.bias"] = weights["head.bias"][:-1]  # a vocabulary that does not match the card
    save_file(weights, str(tmp_path / "model.safetensors"))
    with pytest.raises(BadInputError, match="damaged.*head.bias"):
        load_model(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(BadInputError, match="damaged"):
        load_model(tmp_path)


def test_model_cache_is_bounded_and_keeps_recent_models(tiny_run, tmp_path):
    from sonatina.model import registry

    registry._cache.clear()
    folders = []
    for i in range(registry.CACHE_SIZE + 2):
        folder = tmp_path / f"m{i}"
        folder.mkdir()
        for name in ("model.json", "model.safetensors"):
            shutil.copy(tiny_run / name, folder / name)
        folders.append(folder)
    first = registry.load_model(folders[0])
    for folder in folders[1:]:
        registry.load_model(folder)
        registry.load_model(folders[0])  # used again and again: stays loaded
    assert len(registry._cache) == registry.CACHE_SIZE
    assert registry.load_model(folders[0]) is first
    cached = {Path(key[0]) for key in registry._cache}
    assert folders[1].resolve() not in cached and folders[-1].resolve() in cached


def test_fine_tuning_starts_from_the_models_weights_and_keeps_its_genres(tiny_run, tiny_corpus, tmp_path):
    from sonatina.model.checkpoint import read_checkpoint

    config, before, card = read_checkpoint(tiny_run)
    out = tmp_path / "tuned"
    tuned = api.train([f"rock={tiny_corpus}", f"{card['genres'][0]}={tiny_corpus}"], out, init_from=tiny_run,
                      preset="small", epochs=1, steps_per_epoch=1, batch_size=2, seq_len=16, learning_rate=1e-9,
                      progress=False)
    after_config, after, _ = read_checkpoint(out)
    assert after_config.hidden_size == config.hidden_size  # the model's size, not preset "small"
    assert np.allclose(after["lstm.weight_hh_l0"], before["lstm.weight_hh_l0"], atol=1e-3)
    old_rows, rows = before["genre_embed.weight"], after["genre_embed.weight"]
    kept = tuned["genres"].index(card["genres"][0])
    assert np.allclose(rows[kept], old_rows[0], atol=1e-3)
    assert np.allclose(rows[tuned["genres"].index("rock")], old_rows.mean(axis=0), atol=1e-3)
    assert tuned["fine_tuned_from"] == str(tiny_run)


def test_vocabulary_follows_the_checkpoint_tokenizer_settings():
    from sonatina.data.tokens import Vocabulary

    coarse = Vocabulary(build_tokenizer({**DEFAULT_SETTINGS, "beat_res": [[0, 4, 4], [4, 12, 2]]}))
    assert coarse.positions_per_beat == 4 and coarse.position_of.max() == 4 * 4 - 1
    assert Vocabulary(build_tokenizer()).positions_per_beat == 8


def test_time_limit_inside_an_epoch_is_recorded_as_a_fraction(tiny_corpus, tmp_path, monkeypatch):
    """--max-minutes stopping 2 steps into epoch 2 of 5-step epochs logs epoch 1.4, not 2."""
    one_second_per_batch(monkeypatch)
    card = api.train([str(tiny_corpus)], tmp_path, preset="tiny", epochs=4, steps_per_epoch=5, batch_size=4,
                     seq_len=32, max_minutes=6.5 / 60, progress=False)
    rows = list(csv.DictReader(open(tmp_path / "learning_curve.csv")))
    assert [(r["epoch"], r["step"]) for r in rows] == [("1", "5"), ("1.4", "7")]
    assert card["training"]["epochs"] in (1, 1.4) and card["validation"]["epoch"] == card["training"]["epochs"]


def test_progress_bars_stay_out_of_piped_logs(tiny_corpus, tmp_path, capfd):
    """With stderr not a terminal, training prints its one line per epoch but no tqdm bars."""
    api.train([str(tiny_corpus)], tmp_path, preset="tiny", epochs=1, steps_per_epoch=5, batch_size=4, seq_len=32,
              progress=True)
    out, err = capfd.readouterr()
    assert "epoch 1: train loss" in out
    assert "\r" not in err and "step/s" not in err and "file/s" not in err and "it/s" not in err


def test_run_folder_has_a_model_card(tiny_run):
    text = (tiny_run / "README.md").read_text()
    assert "bits per note" in text and "general" in text and "parameters" in text
    assert re.search(r"\| general \| \d+\.\d{3} \(\d+ pieces\) \|", text)  # per-genre held-out bits


def test_unlabelled_music_is_scored_under_the_genre_mixture():
    import math

    from sonatina.data.dataset import TokenizedPiece
    from sonatina.model.evaluate import likelihood
    from sonatina.model.checkpoint import ModelConfig
    from sonatina.model.lstm import MusicLSTM
    from sonatina.data.tokens import Vocabulary

    tok = build_tokenizer()
    vocab = Vocabulary(tok)
    prepared = prepare_score(make_score(seed=9))
    piece = TokenizedPiece("x", "general", "test", encode(tok, prepared.score), "major", 0, 100.0, prepared.notes)
    model = MusicLSTM(ModelConfig(vocab_size=vocab.size, num_genres=3, embed_dim=16, hidden_size=16, num_layers=1))
    per_genre = [likelihood(model, [piece], lambda p, g=g: g, vocab).nats for g in range(3)]
    mixture = likelihood(model, [piece], lambda p: None, vocab).nats
    assert min(per_genre) - 1e-6 <= mixture <= min(per_genre) + math.log(3) + 1e-6
    shifted = np.array(per_genre) - min(per_genre)
    assert mixture == pytest.approx(min(per_genre) - math.log(np.mean(np.exp(-shifted))))
