"""Metre: Sonatina writes every piece in 4/4, so a piece it starts from in another metre has its
bars regrouped; this names those metres, for the user to be told."""

from __future__ import annotations


def source_metre(score) -> str | None:
    """The metres of a piece whose bars Sonatina regroups, say '2/4' or '6/8 and 9/8', or None when
    every bar holds four quarter notes (4/4, 2/2), as the 4/4 that Sonatina writes does. A piece
    with no time signature is in 4/4."""
    metres = []
    for signature in sorted(score.time_signatures, key=lambda ts: ts.time):
        metre = (int(signature.numerator), int(signature.denominator))
        if metre not in metres:
            metres.append(metre)
    if all(beats == unit for beats, unit in metres):  # n/n: a bar of four quarters
        return None
    return " and ".join(f"{beats}/{unit}" for beats, unit in metres)


def regrouped_note(metre: str | None, what: str = "source") -> str | None:
    """The sentence telling the user that the `what` ("source", "primer") was in `metre` and has
    its bars regrouped (the CLI and the studio say it alike), or None for a piece in 4/4."""
    return f"The {what} is in {metre}; Sonatina writes 4/4, so its bars are regrouped." if metre else None
