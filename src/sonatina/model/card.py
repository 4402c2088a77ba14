"""A human-readable model card (README.md) written beside every checkpoint from its model.json."""

from __future__ import annotations

from pathlib import Path

DATA_LICENCES = {
    "pop909": "POP909 (MIT)",
    "wjazzd": "Weimar Jazz Database (ODbL 1.0; attribution: Jazzomat Research Project, Weimar)",
    "giantmidi": "GiantMIDI-Piano evaluation set / MAESTRO performances (CC BY 4.0)",
    "music21:": "music21's bundled corpus (per-work licences, see music21/corpus/license.txt)",
}


def render_card(name: str, card: dict, weights_bytes: int | None = None) -> str:
    val, training, data = card.get("validation", {}), card.get("training", {}), card.get("data", {})
    cfg = card.get("model_config", {})
    sources = data.get("sources", [])
    licences = sorted({text for key, text in DATA_LICENCES.items() for s in sources if key in s})
    genre_rows = "\n".join(
        f"| {g} | {s.get('pieces', 0)} | {s.get('tempo', 0):.0f} | {100 * s.get('minor_share', 0):.0f}% |"
        for g, s in card.get("genre_stats", {}).items())
    size = f", {weights_bytes / 2**20:.1f} MB on disk (float16)" if weights_bytes else ""
    what = (_design_text(card, training, size) if card.get("design", "remi") != "remi" else
            f"An LSTM language model over REMI tokens: embedding {cfg.get('embed_dim')}, "
            f"{cfg.get('num_layers')} LSTM layer(s) of {cfg.get('hidden_size')}, dropout {cfg.get('dropout')}; "
            f"{training.get('parameters', 0):,} parameters{size}. Conditioned on genre and mode (major/minor); "
            "pieces are learned with their tonic moved to C and transposed to the requested key when composing.")
    lines = [
        f"# Model card: `{name}`", "",
        card.get("description", ""), "",
        "## What it is", "",
        what, "",
        "| genre | pieces | typical tempo (BPM) | minor keys |", "|---|---|---|---|", genre_rows, "",
        "## How it was trained", "",
        "```", card.get("command") or "(command not recorded)", "```", "",
        f"* Data: {', '.join(sources) or 'unrecorded'}; pieces train/validation/test "
        f"{data.get('pieces', {}).get('train')}/{data.get('pieces', {}).get('validation')}/"
        f"{data.get('pieces', {}).get('test')}, {data.get('tokens', {}).get('train', 0):,} training tokens; "
        f"{data.get('skipped', 0)} files skipped as unreadable or empty.",
        f"* Training: {training.get('epochs')} epochs, {training.get('steps')} steps, "
        f"{training.get('tokens_seen', 0):,} tokens seen, {training.get('minutes')} minutes on "
        f"{training.get('processes', 1)} process(es), device `{training.get('config', {}).get('device', 'cpu')}`"
        + (f", starting from the weights of `{card['fine_tuned_from']}` (fine-tuning)." if card.get("fine_tuned_from")
           else "."),
        f"* Validation (held-out pieces, {val.get('pieces')} pieces / {val.get('tokens', 0):,} tokens): "
        f"**{val.get('bits_per_note', float('nan')):.3f} bits per note**, "
        f"{val.get('bits_per_token', float('nan')):.3f} bits per token (best epoch {val.get('epoch')}).", "",
        *_held_out_table(card.get("held_out", {})),
        "## Licences of the training data", "",
        *(f"* {text}" for text in licences or ["(not recorded)"]), "",
    ]
    return "\n".join(lines)


def _held_out_table(held_out: dict) -> list[str]:
    """Per-genre held-out bits per note (validation and test splits, every piece), when measured."""
    genres = sorted({g for split in held_out.values() for g in split})
    if not genres:
        return []

    def cell(split: str, genre: str) -> str:
        n = held_out.get(split, {}).get(genre)
        return f"{n['bits_per_note']:.3f} ({n['pieces']} pieces)" if n else "-"

    return ["Held-out bits per note per genre, best weights, every piece of the split:", "",
            "| genre | validation | test |", "|---|---|---|",
            *(f"| {g} | {cell('validation', g)} | {cell('test', g)} |" for g in genres), ""]


def _design_text(card: dict, training: dict, size: str) -> str:
    """'What it is' for a seed design (issue 12): network, what it models, what it cannot honour."""
    from sonatina.model.designs import MODELS, NOT_HONOURED

    design, cfg = card["design"], card.get("design_config", {})
    layers = f"{cfg.get('num_layers')} {'bidirectional ' if cfg.get('bidirectional') else ''}LSTM layer(s) of " \
             f"{cfg.get('hidden_size')}"
    dense = f", batch norm, Dense {cfg.get('dense_size')} ReLU, batch norm" if cfg.get("dense_size") else ""
    vocab = f" over {len(card.get('events') or [])} events seen in training" if card.get("events") else ""
    val = card.get("validation", {})
    return (f"The `{design}` seed design{vocab}: {layers} (recurrent dropout {cfg.get('recurrent_dropout')}){dense}, "
            f"dropout {cfg.get('dropout')}, each prediction read from a window of the {cfg.get('window')} items "
            f"before it; {training.get('parameters', 0):,} parameters{size}. It models {MODELS[design]}. "
            f"When composing it {NOT_HONOURED[design]}; length, tempo, key (tonic), instrument, temperature, "
            f"top-k/top-p, seed and primer work as for the default model. Held-out pitch alone: "
            f"{val.get('bits_per_note_pitch', float('nan')):.3f} bits per note; "
            f"{val.get('unknown_events', 0)} held-out events were outside its vocabulary.")


def write_card(folder: Path, name: str | None = None) -> Path:
    import json

    from sonatina.model.checkpoint import CARD_FILE, WEIGHTS_FILE

    card = json.loads((folder / CARD_FILE).read_text())
    weights = folder / WEIGHTS_FILE
    out = folder / "README.md"
    out.write_text(render_card(name or folder.name, card, weights.stat().st_size if weights.exists() else None))
    return out
