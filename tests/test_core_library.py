"""Library-level tests of the core: tokens, keys, instruments, sources, training, composing."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from symusic import Score

from conftest import make_score
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
    rows = list(csv.DictReader(open(tiny_run / "learning_curve.csv")))
    assert len(rows) == 2 and float(rows[1]["tokens_seen"]) > float(rows[0]["tokens_seen"])


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
    import torch

    from sonatina.model.lstm import NumpyStepper, load_checkpoint

    model, _ = load_checkpoint(tiny_run)
    tokens = np.array([[1, 5, 40, 100, 150, 7, 60]])
    genre, mode = np.array([0]), np.array([1])
    with torch.no_grad():
        want, _ = model(torch.from_numpy(tokens), torch.from_numpy(genre), torch.from_numpy(mode))
    stepper = NumpyStepper(model)
    state = stepper.initial_state(1)
    for t in range(tokens.shape[1]):
        got, state = stepper.step(tokens[:, t], genre, mode, state)
        np.testing.assert_allclose(got, want[:, t].numpy(), rtol=1e-4, atol=1e-4)


def test_run_folder_has_a_model_card(tiny_run):
    text = (tiny_run / "README.md").read_text()
    assert "bits per note" in text and "general" in text and "parameters" in text


def test_unlabelled_music_is_scored_under_the_genre_mixture():
    import math

    from sonatina.data.dataset import TokenizedPiece
    from sonatina.model.evaluate import likelihood
    from sonatina.model.lstm import ModelConfig, MusicLSTM
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
