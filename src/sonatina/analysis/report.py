"""The comparison report a person reads: the same tables as Markdown and HTML, the numbers as
JSON, and the plots beside them (all written by ``write_report``)."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np

from sonatina.analysis import metrics as M
from sonatina.errors import BadInputError

TITLE = "Sonatina comparison report"
PLOTS = [
    ("distances.png", "Densities of distances, per feature: inside the reference set, inside the generated set, between sets."),
    ("metrics.png", "Metric values per piece, generated vs reference."),
    ("pitch_classes.png", "Mean pitch-class histogram of each set."),
]

Table = tuple[str, str, list[str], list[list[str]]]  # title, explanation, header, rows


def public(result: dict) -> dict:
    """The result without its plotting arrays (keys starting with "_"), with NaN as None
    (valid JSON)."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not str(k).startswith("_")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    return clean(result)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fmt(value, digits: int = 3) -> str:
    if _missing(value):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ms(summary: dict | None) -> str:
    return "n/a" if not summary else f"{summary['mean']:.3f} ± {summary['std']:.3f}"


def report_tables(result: dict) -> list[Table]:
    """(title, explanation, header, rows) for every table of the report."""
    tables = []
    sets = result["sets"]
    scored = {n: f["overlap_area"] for n, f in result["features"].items() if not _missing(f["overlap_area"])}
    lowest = sorted(scored, key=scored.get)[:3]
    summary = [
        ["mean overlap area over features", _fmt(float(np.mean(list(scored.values()))) if scored else math.nan)],
        ["features furthest from the reference", ", ".join(f"{n} ({scored[n]:.2f})" for n in lowest) or "n/a"],
        ["features closest to the reference", ", ".join(f"{n} ({scored[n]:.2f})" for n in sorted(scored, key=scored.get)[-3:][::-1]) or "n/a"],
    ]
    if result["memorisation"]:
        memo = result["memorisation"]
        summary.append(["copying from training", f"{_fmt(memo['windows_found_share'])} of 4-bar windows found; longest "
                        f"copied span {memo['longest_copied_notes_max']} notes"])
    tables.append((
        "Summary", "Overlap area: 1 = generated pieces differ from the reference as much as reference pieces differ "
        "from each other. For scale: two disjoint sets of 50 POP909 songs score 0.85-0.98 per feature (median 0.95).",
        ["measure", "value"], summary,
    ))  # fmt: skip
    tables.append((
        "Sets", "Folders compared; files that could not be read are skipped and listed.",
        ["set", "folder", "pieces", "skipped"],
        [[label, s["folder"], str(s["pieces"]), str(len(s["skipped"]))] for label, s in sets.items()],
    ))  # fmt: skip
    tables.append((
        "Distribution of distances (MGEval)",
        "Per feature: distances between pieces inside the reference set (intra) and between generated "
        "and reference pieces (inter), mean ± standard deviation. Overlap area of the two densities "
        "(1 = generated pieces are as close to the reference as reference pieces are to each other) and "
        "KL(intra-reference || inter) in nats (0 = same).",
        ["feature", "intra reference", "intra generated", "inter", "overlap area", "KL divergence"],
        [[name, _ms(f.get("intra_reference")), _ms(f.get("intra_generated")), _ms(f.get("inter")),
          _fmt(f["overlap_area"]), _fmt(f["kl_divergence"])] for name, f in result["features"].items()],
    ))  # fmt: skip
    tables.append((
        "Metrics per set", "Mean ± standard deviation over pieces (definitions in sonatina.analysis.metrics).",
        ["metric", "unit", "generated", "reference"],
        [[name, M.UNITS[name], _ms(m["generated"]), _ms(m["reference"])] for name, m in result["metrics"].items()],
    ))  # fmt: skip
    div = result["diversity"]
    tables.append((
        "Diversity (distinct n-grams) and repetition",
        "Distinct / total n-grams of pitches and of intervals, pooled over each set (higher = more "
        "varied; the ratio falls as a set grows, so weigh it against the set sizes). Repetition: mean "
        "share of a piece's 2- and 4-bar windows whose top line comes back later in it, in any key "
        "(sonatina.analysis.repetition; 0 = the music never returns to a phrase).",
        ["measure", "generated", "reference"],
        [[key.replace("_", " "), _fmt(div["generated"][key]), _fmt(div["reference"][key])] for key in div["generated"]],
    ))  # fmt: skip
    memo = result["memorisation"]
    if memo:
        tables.append((
            "Memorisation against the training set",
            "Longest run of consecutive notes copied note for note (same intervals, same onset gaps on a "
            "16th-note grid, in any key) from one training piece, and the share of generated 4-bar windows "
            "whose notes (position, pitch above the window's lowest) appear as a bar-aligned 4-bar window "
            "in training. Both ignore transposition: a copy in another key counts.",
            ["measure", "value"],
            [["longest copied span, max (notes)", _fmt(memo["longest_copied_notes_max"])],
             ["longest copied span, median (notes)", _fmt(memo["longest_copied_notes_median"], 1)],
             ["largest share of one piece copied", _fmt(memo["copied_share_max"])],
             ["4-bar windows found in training", f"{memo['windows_found']} / {memo['windows']} "
              f"({_fmt(memo['windows_found_share'])})"]],
        ))  # fmt: skip
    return tables


def write_report(result: dict, out_dir: str | Path) -> dict[str, str]:
    """Write report.md, report.html (same content), report.json and the PNG plots."""
    from sonatina.analysis import plots  # matplotlib: loaded only when a report is written

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"Cannot create the report folder '{out}' ({exc.strerror}).") from None
    plots.distance_densities(result["_curves"], result["features"], out / "distances.png")
    plots.metric_distributions(result["_metric_values"], out / "metrics.png")
    plots.set_pitch_classes(result["_mean_pitch_classes"], out / "pitch_classes.png")
    tables = report_tables(result)
    (out / "report.md").write_text(markdown(tables))
    (out / "report.html").write_text(html_page(tables))
    (out / "report.json").write_text(json.dumps(public(result), indent=2))
    return {"markdown": str(out / "report.md"), "html": str(out / "report.html"), "json": str(out / "report.json")}


def markdown(tables: list[Table]) -> str:
    lines = [f"# {TITLE}", ""]
    for title, text, header, rows in tables:
        lines += [f"## {title}", "", text, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        lines.append("")
    lines += ["## Plots", ""]
    for name, caption in PLOTS:
        lines += [f"![{caption}]({name})", "", caption, ""]
    return "\n".join(lines)


def html_page(tables: list[Table]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{TITLE}</title><style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;"
        "text-align:left}th{background:#f3f3f3}img{max-width:100%}</style></head><body>",
        f"<h1>{TITLE}</h1>",
    ]
    for title, text, header, rows in tables:
        parts += [f"<h2>{e(title)}</h2><p>{e(text)}</p><table><tr>"]
        parts += [f"<th>{e(h)}</th>" for h in header] + ["</tr>"]
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append("<h2>Plots</h2>")
    for name, caption in PLOTS:
        parts.append(f"<figure><img src='{name}' alt='{e(caption)}'><figcaption>{e(caption)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)
