"""Generated music against held-out human music of the same genre (issue 11), per genre.

    .venv/bin/python bench/quality.py --model default [--pieces 6 --seconds 60 --genres folk,pop]
        [--config none --config default --config form=AABA --config repetition=3] [--split test]

The human music is the model's own held-out split (with --human-from MODEL, that model's: a
specialist trained on more music is then scored on its base's pieces): the sources its card
names are read through sonatina's dataset code, so every piece keeps the split (split_of) it had
when the model was trained; `--split test` (the default) reports, `--split validation` is for choosing settings.
Human pieces are the tokenized pieces decoded back to notes in their own key and tempo (what
the model could at best write) and cut to --seconds like the generated ones.

Each --config is one way of composing, a comma-separated list of settings: `none` (free form,
no lookback), `default` (the shipped per-genre defaults; `default,temperature=0.9` changes one of
them), `form=AABA` (a form plan; `:6` after the letters sets the plan's strength in nats), `repetition=3` (lookback strength in nats; `:24`
after it looks back 2 and 4 bars only, instead of 1, 2 and 4), `scale=1` (scale strength in nats),
`range=40` (the pitch_range setting; 127 is no window), `span=18-36` (the genre's spans drawn from),
`register=2` (the window's nats per semitone), `rest=0.8` (the rest bias, nats per beat),
`temperature=0.9`, `top_p=0.95`, or several. Each config composes --pieces pieces per genre, seeds
1, 2, ... (101, ... on validation).

Columns, per genre (human row first):
  rep2/rep4   share of 2- and 4-bar windows whose pitch sequence recurs later in the piece,
              in any key (analysis/repetition.py)
  genre       share the shipped genre classifier puts in the genre (classical also takes chorale
              when the model has no chorale genre)
  pc/30s      pitch classes used in the first 30 s;  scale: scale consistency;
  leap        mean interval between consecutive notes (semitones);  poly: mean polyphony
  doubled     share of notes repeating another's pitch at its onset in the same track
  overlap     mean MGEval overlap area over `sonatina compare`'s features against the held-out
              human set (human row: one half of the human set against the other)
  copied      share of 4-bar windows found in the training split, in any key; longest: longest
              run of notes copied from one training piece (human row: held-out pieces against
              the training split, the yardstick for "no longer than people share by chance")
  --features  each MGEval feature's overlap area (the mean overlap above is their mean) and, for
              scalar features, its mean value per set: which distributions lose the overlap
  --pieces    above 8 composes 8 at a time (seeds go on: 9, 10, ...)
  bits/note   held-out bits per note of the model on that genre's split pieces (sampling options
              do not change it, so it is one figure per genre)

`--baseline MODEL` also scores another model (same tokenizer) on the very same held-out pieces, so
a model change shows its per-genre bits before and after; a genre the baseline lacks is scored
under the baseline's genre mixture (chorale under an old model that called it classical).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from sonatina import api
from sonatina.analysis import metrics as M
from sonatina.analysis.compare import PieceSet, compare_sets, excerpt
from sonatina.analysis.memorisation import memorisation
from sonatina.analysis.repetition import repetition
from sonatina.compose import form, register, sample
from sonatina.compose.form import LOOKBACK_BARS
from sonatina.compose.form import form_strength as shipped_form_strength
from sonatina.data.corpus import collect_sources
from sonatina.data.dataset import build_dataset
from sonatina.data.tokens import DEFAULT_SETTINGS, decode
from sonatina.errors import BadInputError
from sonatina.model.registry import genre_classifier
from sonatina.music.keys import parse_key, shift_to

COLUMNS = ("rep2", "rep4", "genre", "pc/30s", "scale", "leap", "poly", "doubled", "overlap", "copied", "longest")


def parse_config(text: str) -> dict:
    """'form=AABA:6,repetition=2' -> compose() keyword arguments (plus form_strength); settings not
    named are free form and no lookback, or the genre's defaults when the list starts with `default`."""
    parts = text.split(",")
    if parts[0] in ("default", "none"):
        out = {} if parts.pop(0) == "default" else {"form": "none", "repetition": 0.0}
    else:
        out = {"form": "none", "repetition": 0.0}
    for part in parts:
        name, _, value = part.partition("=")
        if name == "form":
            letters, _, strength = value.partition(":")
            out["form"] = letters
            if strength:
                out["form_strength"] = float(strength)
        elif name == "scale":
            out["scale_strength"] = float(value)
        elif name == "range":
            out["pitch_range"] = int(value)
        elif name == "span":  # the genre's typical spans, LOW-HIGH (compose/sample.py PITCH_SPAN_BY_GENRE)
            out["span"] = tuple(int(v) for v in value.split("-"))
        elif name in ("register", "rest", "habit"):  # RegisterWindow's nats per semitone; RestBias's nats per
            # beat; PitchClassHabit's nats
            out[name] = float(value)
        elif name in ("temperature", "top_p"):
            out[name] = float(value)
        elif name == "repetition":
            strength, _, bars = value.partition(":")
            out["repetition"] = float(strength)
            if bars:
                out["lookback_bars"] = tuple(int(b) for b in bars)
        else:
            raise SystemExit(f"Unknown config part '{part}'; use none, default, form=LETTERS[:STRENGTH], "
                             "repetition=N, scale=N, range=N, span=LOW-HIGH, register=N, rest=N, habit=N, temperature=N, "
                             "top_p=N.")
    return out


def held_out(model, split: str, limit: int, sources: list[str] | None = None) -> tuple[dict, dict]:
    """{genre: [held-out pieces]} and {genre: [training pieces]} from the model card's sources
    (or `sources`)."""
    refs = collect_sources(list(sources or model.card["data"]["sources"]))
    dataset = build_dataset(refs, model.card.get("tokenizer", DEFAULT_SETTINGS), progress=False)
    held, train = {}, {}
    for piece in dataset.pieces:
        if piece.split == split:
            held.setdefault(piece.genre, []).append(piece)
        elif piece.split == "train":
            train.setdefault(piece.genre, []).append(piece)
    rng = np.random.default_rng(0)
    for genre, pieces in train.items():  # a fixed sample keeps memorisation affordable on 2 cores
        if len(pieces) > limit:
            train[genre] = [pieces[i] for i in sorted(rng.choice(len(pieces), limit, replace=False))]
    return held, train


def human_score(model, piece, in_key: bool = True):
    score = decode(model.tokenizer, piece.ids, piece.tempo, 0)
    if in_key:
        for track in score.tracks:
            for note in track.notes:
                note.pitch = int(np.clip(note.pitch + shift_to(0, piece.tonic), 0, 127))
    return score


def to_c(piece):
    """A generated piece moved back to its tonic C (the training pieces are decoded in C)."""
    score = piece.score.copy()
    tonic, _ = parse_key(piece.settings["key"])
    for track in score.tracks:
        for note in track.notes:
            note.pitch = int(np.clip(note.pitch + shift_to(tonic, 0), 0, 127))
    return score


def doubled_share(scores) -> float:
    """Share of notes that repeat another's pitch at its onset in the same track (unplayable)."""
    keys = [[(n.time, n.pitch) for n in track.notes] for s in scores for track in s.tracks]
    total = sum(len(k) for k in keys)
    return sum(len(k) - len(set(k)) for k in keys) / total if total else math.nan


def set_numbers(scores, reference, genre, accepted, classifier) -> dict:
    pieces = PieceSet("generated", "-", scores=scores)
    result = compare_sets(pieces, PieceSet("reference", "-", scores=reference))
    overlaps = [f["overlap_area"] for f in result["features"].values() if not math.isnan(f["overlap_area"])]
    recognised = []
    for s in scores:
        try:
            p = classifier.probabilities(s)
        except BadInputError:  # no pitched notes: not recognisable as anything
            recognised.append(False)
            continue
        recognised.append(max(p, key=p.get) in accepted)
    rep = repetition(scores)
    return {
        "rep2": rep["repetition_2_bars"], "rep4": rep["repetition_4_bars"], "genre": float(np.mean(recognised)),
        "pc/30s": float(np.nanmean([M.n_pitch_classes_used(excerpt(s, 30)) for s in scores])),
        "scale": float(np.nanmean([M.scale_consistency(s) for s in scores])),
        "leap": float(np.nanmean([M.mean_pitch_shift(s) for s in scores])),
        "poly": float(np.nanmean([M.polyphony(s) for s in scores])),
        "doubled": doubled_share(scores),
        "overlap": float(np.mean(overlaps)),
        "features": {name: f["overlap_area"] for name, f in result["features"].items()},
        "means": {name: m["generated"]["mean"] if m["generated"] else math.nan
                  for name, m in result["metrics"].items()},
    }


def bits_per_note(model, pieces, genre) -> float:
    """Held-out bits per note; a genre the model lacks is scored under its genre mixture."""
    from sonatina.model.evaluate import likelihood

    index = model.genres.index(genre) if genre in model.genres else None
    return likelihood(model.net, pieces, lambda p: index, model.vocab).bits_per_note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="Shipped model name or checkpoint folder.")
    parser.add_argument("--pieces", type=int, default=6, help="Pieces composed per genre and config (8 at a time).")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--genres", help="Comma-separated (default: every genre of the model).")
    parser.add_argument("--config", action="append", help="Repeatable; default: none and default.")
    parser.add_argument("--split", default="test", choices=("test", "validation"))
    parser.add_argument("--human", type=int, default=40, help="Held-out human pieces per genre, at most.")
    parser.add_argument("--training-pieces", type=int, default=400,
                        help="Training pieces per genre searched for copies (a fixed sample).")
    parser.add_argument("--no-bits", action="store_true", help="Skip held-out bits per note (needs torch).")
    parser.add_argument("--baseline", help="Also give this model's bits/note on the same held-out pieces.")
    parser.add_argument("--human-from", help="Read the human music from this model's card instead (to score a "
                                             "specialist trained on more data against its base's held-out pieces).")
    parser.add_argument("--json", type=Path, help="Also write every number here.")
    parser.add_argument("--features", action="store_true",
                        help="Also print each feature's overlap area (where the mean overlap is lost).")
    args = parser.parse_args()
    model = api.load_model(args.model)
    baseline = api.load_model(args.baseline) if args.baseline else None
    if baseline is not None and baseline.card.get("tokenizer") != model.card.get("tokenizer"):
        raise SystemExit("--baseline must use the same tokenizer settings as --model.")
    genres = args.genres.split(",") if args.genres else model.genres
    configs = args.config or ["none", "default"]
    classifier = genre_classifier()
    started = time.perf_counter()
    sources = api.load_model(args.human_from).card["data"]["sources"] if args.human_from else None
    held, train = held_out(model, args.split, args.training_pieces, sources)
    print(f"held-out music read in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    first_seed = 1 if args.split == "test" else 101
    results = {}
    for genre in genres:
        accepted = {genre} | ({"chorale"} if genre == "classical" and "chorale" not in model.genres else set())
        humans = held.get(genre, [])[:args.human]
        if len(humans) < 4:
            print(f"{genre}: only {len(humans)} held-out pieces; skipped", file=sys.stderr)
            continue
        human_scores = [excerpt(human_score(model, p), args.seconds) for p in humans]
        kept = [i for i, s in enumerate(human_scores) if s.note_num() >= 16]  # a long silent intro says nothing
        humans, human_scores = [humans[i] for i in kept], [human_scores[i] for i in kept]
        training = [human_score(model, p, in_key=False) for p in train.get(genre, [])]
        rows, made = {}, {}
        half = len(human_scores) // 2
        rows["human"] = set_numbers(human_scores[:half], human_scores[half:], genre, accepted, classifier)
        rows["human"].update({k: v for k, v in set_numbers(human_scores, human_scores, genre, accepted,
                                                           classifier).items() if k not in ("overlap", "features")})
        for config in configs:
            options = parse_config(config)
            t0 = time.perf_counter()
            # a plan's strength and the lookback distances are not request settings; set here for tuning
            strength = options.pop("form_strength", None)
            form.form_strength = (lambda g: strength) if strength is not None else shipped_form_strength
            form.LOOKBACK_BARS = options.pop("lookback_bars", LOOKBACK_BARS)
            shaping = {"span": (sample.PITCH_SPAN_BY_GENRE, genre), "rest": (sample.REST_BIAS_BY_GENRE, genre),
                       "habit": (sample.PITCH_HABIT_BY_GENRE, genre),
                       "register": (vars(register), "REGISTER_STRENGTH")}  # not request settings: set for tuning
            kept = {k: dict(table) for k, (table, _) in shaping.items()}
            for name, (table, entry) in shaping.items():
                if name in options:
                    table[entry] = options.pop(name)
            pieces = [p for start in range(0, args.pieces, 8)  # a request composes at most 8 at once
                      for p in api.compose(model, seconds=args.seconds, genre=genre, seed=first_seed + start,
                                           variations=min(8, args.pieces - start), **options)]
            used_strength = form.form_strength(genre) if pieces[0].settings["form"] != "none" else 0.0
            form.form_strength, form.LOOKBACK_BARS = shipped_form_strength, LOOKBACK_BARS
            for name, (table, entry) in shaping.items():
                if entry in kept[name]:
                    table[entry] = kept[name][entry]
                else:
                    table.pop(entry, None)
            made[config] = pieces
            rows[config] = set_numbers([p.score for p in pieces], human_scores, genre, accepted, classifier)
            rows[config]["settings"] = {k: pieces[0].settings.get(k) for k in ("form", "repetition")}
            rows[config]["settings"]["form_strength"] = used_strength
            rows[config]["compose_s"] = round(time.perf_counter() - t0, 1)
            print(f"{genre} {config}: {rows[config]['compose_s']} s", file=sys.stderr, flush=True)
        # memorisation: every config's pieces and the held-out human pieces in one search (all in C)
        searched = [to_c(p) for c in configs for p in made[c]] + [human_score(model, p, in_key=False) for p in humans]
        found = memorisation(searched, training)["per_piece"] if training else []
        at = 0
        for label, count in [*((c, len(made[c])) for c in configs), ("human", len(humans))]:
            chunk = found[at:at + count]
            at += count
            windows = sum(p["windows"] for p in chunk)
            rows[label]["copied"] = sum(p["windows_found"] for p in chunk) / windows if windows else math.nan
            rows[label]["longest"] = max((p["longest_copied_notes"] for p in chunk), default=math.nan)
        bits = math.nan if args.no_bits else bits_per_note(model, held.get(genre, []), genre)
        results[genre] = {"rows": rows, "bits_per_note": bits, "human_pieces": len(humans),
                          "training_pieces": len(training)}
        if baseline is not None and not args.no_bits:
            results[genre]["baseline_bits_per_note"] = bits_per_note(baseline, held.get(genre, []), genre)
        print_genre(genre, results[genre], configs)
        if args.features:
            print_features(results[genre], configs)
    print(f"\n{args.pieces} pieces x {args.seconds:g} s per genre and config, {args.split} split, "
          f"{time.perf_counter() - started:.0f} s in all", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results},
                                        indent=1, default=float))


def print_genre(genre: str, result: dict, configs: list[str]) -> None:
    before = (f" (baseline {result['baseline_bits_per_note']:.3f})" if "baseline_bits_per_note" in result else "")
    print(f"\n**{genre}** ({result['human_pieces']} held-out pieces; bits/note {result['bits_per_note']:.3f}{before}; "
          f"copies searched in {result['training_pieces']} training pieces)\n")
    print("| music | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for label in ["human", *configs]:
        row = result["rows"][label]
        settings = row.get("settings", {})
        name = label if label == "human" else (f"{label} (form {settings['form']}"
                                               f"{' at %g' % settings['form_strength'] if settings['form_strength'] else ''}, "
                                               f"repetition {settings['repetition']:g})")
        cells = [("{:.0%}" if c == "genre" else "{:.1%}" if c == "doubled" else "{:.0f}" if c == "longest" else "{:.2f}").format(row[c]) for c in COLUMNS]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def print_features(result: dict, configs: list[str]) -> None:
    """One row per feature: its overlap area for each music, then its mean value (scalar features);
    the features lowest in the first config first."""
    labels, rows = ["human", *configs], result["rows"]
    first = rows[configs[0]]["features"]
    names = sorted(first, key=lambda name: np.nan_to_num(first[name], nan=2.0))
    print("\n| feature | " + " | ".join(f"overlap {label}" for label in labels) + " | "
          + " | ".join(f"mean {label}" for label in labels) + " |")
    print("|---|" + "---|" * 2 * len(labels))
    for name in names:
        means = [rows[label]["means"].get(name, math.nan) for label in labels]
        print(f"| {name} | " + " | ".join(f"{rows[label]['features'][name]:.2f}" for label in labels) + " | "
              + " | ".join("" if math.isnan(m) else f"{m:.3g}" for m in means) + " |", flush=True)


if __name__ == "__main__":
    main()
