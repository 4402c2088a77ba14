"""Without --key, a piece's key is drawn by its genre's habits: mode and tonic as its training music uses them."""

from collections import Counter

from sonatina import api
from sonatina.data.dataset import Dataset, TokenizedPiece
from sonatina.model.registry import load_model
from sonatina.music.keys import parse_key


def _piece(genre, mode, tonic):
    return TokenizedPiece("x", genre, "train", ids=[1, 2, 3], mode=mode, tonic=tonic, tempo=100.0, notes=3)


def test_genre_stats_record_each_modes_tonics():
    pieces = [_piece("folk", "major", 2)] * 3 + [_piece("folk", "major", 7), _piece("folk", "minor", 9)]
    stats = Dataset(pieces).genre_stats("tokens", lambda p: len(p.ids))["folk"]
    assert stats["pieces"] == 5 and stats["tokens"] == 15 and stats["minor_share"] == 0.2
    assert stats["tonics"]["major"][2] == 0.75 and stats["tonics"]["major"][7] == 0.25
    assert stats["tonics"]["minor"][9] == 1.0 and sum(stats["tonics"]["minor"]) == 1.0


def test_composed_folk_comes_in_the_keys_folk_is_played_in():
    model = load_model("default")
    shares = model.card["genre_stats"]["folk"]["tonics"]["major"]
    keys = [parse_key(p.settings["key"]) for seed in (1, 101, 201)
            for p in api.compose(model, seconds=5, genre="folk", seed=seed, variations=8)]
    tonics = Counter(tonic for tonic, mode in keys if mode == "major")
    unused = {i for i, share in enumerate(shares) if share == 0}
    assert tonics and not set(tonics) & unused  # never a key O'Neill's tunes are not in
    assert tonics.most_common(1)[0][0] in {2, 7}  # D or G, the fiddle's keys
