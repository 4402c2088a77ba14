"""Music with form: sampling that repeats and varies what was played bars before.

The LSTM alone never comes back to a phrase (issue 11). Two ways to make it, both at sampling
time, neither needs retraining; both are one logits processor, `BarCopier`, that adds `strength`
nats to the token that would continue a bar-aligned copy of an earlier bar:

* a form plan (`FormPlan`, e.g. AABA in sections of 4 bars): each bar of a repeated section
  copies the same bar of the section's first occurrence, with a strong bonus, so the section
  comes back recognisably while the model still varies it (a note it draws against the copy
  is kept, and the copy picks up again at the next onset the two share);
* lookback (`lookback_sources`): every bar may copy the bar 1, 2 or 4 bars before (Magenta's
  Lookback RNN gives its network these bars as inputs; here they bias the choice instead), with
  a milder bonus, so motifs recur without a fixed plan.

How a copy is followed: the copier walks the source bar token by token. While the new bar keeps
in step with it, the source's next token gets the bonus, and once the source bar is used up, the
bar line. Another pitch, velocity or length drawn where the source has one is a variation: the
copy goes on with the source's next token. A different onset or an extra note breaks step; the
bonus then goes to the source's next onset (its next Position) and the copy resumes there; out of
step, the bonus only chooses which onset comes next, not whether the current onset's chord goes on.
A genre may instead let a variation carry (`Variation.carry_bars`): from the first pitch or onset
that leaves the copy, the rest of the phrase is new music, so a repeated phrase comes back whole or
turns away, as people's do, rather than with single notes changed all over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

from sonatina.data.tokens import BEATS_PER_BAR, Vocabulary
from sonatina.request import GenerationRequest

SECTION_BARS = (8, 4, 2)  # section lengths tried, longest first, so the form fits the piece
LOOKBACK_BARS = (1, 2, 4)
FORM_STRENGTH = 4.0  # nats for a repeated section: most of it comes back, some of it varies


def parse_form(text: str | None) -> str | None:
    """'aaba' -> 'AABA'; None or 'none' -> None (checked once, by GenerationRequest's form setting)."""
    letters = GenerationRequest["form"].check(text)
    return None if letters in (None, "none") else letters


@dataclass(frozen=True)
class FormPlan:
    letters: str  # e.g. "AABA"
    section_bars: int

    @classmethod
    def fitting(cls, letters: str, total_bars: float) -> "FormPlan":
        """Sections as long as possible (8, 4 or 2 bars) while the whole form fits the piece;
        a piece longer than the form plays it again (the later rounds repeat the first)."""
        for bars in SECTION_BARS:
            if bars * len(letters) <= total_bars:
                return cls(letters, bars)
        return cls(letters, SECTION_BARS[-1])

    def source_bar(self, bar: int) -> int | None:
        """The earlier bar that `bar` repeats, or None where the plan asks for new music."""
        section = (bar // self.section_bars) % len(self.letters)
        first = self.letters.index(self.letters[section])
        source = first * self.section_bars + bar % self.section_bars
        return source if source < bar else None

    def describe(self) -> str:
        return f"{self.letters} in sections of {self.section_bars} bars"

    def phrase_end(self, bar: int, phrase_bars: int) -> int:
        """The first bar after the `phrase_bars`-bar phrase `bar` lies in (phrases count from the
        start of its section; the last ends with the section)."""
        start = bar - bar % self.section_bars
        return min(start + (bar - start) // phrase_bars * phrase_bars + phrase_bars, start + self.section_bars)


@dataclass(frozen=True)
class Variation:
    """How a repeated section differs from its first occurrence.

    `strength`: the copier's bonus in nats in the section's bars; `carry_bars`: once a bar's
    pitches or onsets leave the copy, the rest of its phrase of this many bars (counted from the
    section's start, at most to its end) is new music (0: the copy picks up again at once);
    `opening`: the bonus in each phrase's first bar (None: `strength` there too; without carry the
    section is one phrase); `register`: nats a pitch of the new passage loses per semitone beyond
    the lowest and highest pitch of the bars it replaces (a free passage otherwise wanders: folk's
    range 18.6 -> 20.5 semitones, people's 17). So a phrase comes back whole or takes another turn
    from where it leaves its first occurrence, as people repeat a phrase whole, instead of single
    notes varied all over it (which break 4-bar windows more than 2-bar ones; bench/RESULTS.md
    "Repeats shaped like people's")."""
    strength: float
    opening: float | None = None
    carry_bars: int = 0
    register: float = 0.0

    def strength_at(self, plan: FormPlan, bar: int) -> float:
        phrase = min(self.carry_bars or plan.section_bars, plan.section_bars)
        return self.opening if self.opening is not None and bar % plan.section_bars % phrase == 0 else self.strength


def lookback_sources(bar: int) -> list[int]:
    return [bar - k for k in LOOKBACK_BARS if bar - k >= 0]


def plan_sources(plan: FormPlan) -> Callable[[int], list[int]]:
    def sources(bar: int) -> list[int]:
        source = plan.source_bar(bar)
        return [] if source is None else [source]
    return sources


class _Copy:
    """A copy of one source bar in progress: where it stands and whether it still matches."""

    __slots__ = ("tokens", "at", "matching", "varied", "onsets")

    def __init__(self, tokens: list[int], vocab: Vocabulary):
        self.tokens, self.at, self.matching, self.varied = tokens, 0, True, 0
        self.onsets = [(vocab.position_of[t], t) for t in tokens if vocab.kind[t] == "Position"]


class BarCopier:
    """Logits processor ([B, V] -> [B, V]) that favours continuing bar-aligned copies.

    `sources(bar)` names the earlier bars the bar `bar` (0 = first) may copy; `strength` is the
    bonus in nats added to each proposed token's logit (before temperature), so the model's own
    preference still counts: 0 changes nothing, 2 makes a copied token about 7 times likelier,
    6 makes copying nearly certain wherever the grammar allows it; a function of the bar gives
    each bar its own. `carry_until(bar)`, where given, is the bar a variation begun in `bar`
    lasts up to: from the first pitch or onset that leaves the copy, the bars up to it copy nothing,
    and their pitches lose `register` nats per semitone beyond the range of the bars they replace."""

    def __init__(self, vocab: Vocabulary, batch: int, sources: Callable[[int], list[int]],
                 strength: float | Callable[[int], float], carry_until: Callable[[int], int] | None = None,
                 register: float = 0.0):
        self.v, self.sources, self.carry_until, self.register = vocab, sources, carry_until, float(register)
        self.strength_at = (lambda bar, s=float(strength): s) if not callable(strength) else strength
        self.strength = float(strength) if not callable(strength) else None
        self.time_ids = np.flatnonzero(np.isin(vocab.kind, ("Bar", "Position")))
        self.bars: list[list[list[int]]] = [[] for _ in range(batch)]  # finished bars' tokens per row
        self.current: list[list[int]] = [[] for _ in range(batch)]
        self.copies: list[list[_Copy]] = [[] for _ in range(batch)]
        self.bar = np.full(batch, -1)  # index of the current bar (the first Bar token opens bar 0)
        self.pos = np.full(batch, -1)
        self.free_until = np.zeros(batch, dtype=int)  # bars before this one copy nothing (a carried variation)
        self.span = np.full((batch, 2), np.nan)  # a carried variation's lowest and highest pitch without a cost
        self.pitches = vocab.pitch_of[vocab.pitch_ids]

    def advance(self, row: int, token: int) -> None:
        kind = self.v.kind[token]
        if kind == "Bar":
            if self.bar[row] >= 0:
                self.bars[row].append(self.current[row])
            self.bar[row] += 1
            self.current[row], self.pos[row] = [], -1
            bar = int(self.bar[row])
            sources = [] if bar < self.free_until[row] else self.sources(bar)  # none inside a carried variation
            if bar >= self.free_until[row]:
                self.span[row] = np.nan
            self.copies[row] = [_Copy(self.bars[row][s], self.v) for s in sources if 0 <= s < bar]
            return
        self.current[row].append(token)
        if kind == "Position":
            self.pos[row] = self.v.position_of[token]
        for copy in self.copies[row]:
            self._follow(copy, token, kind)
        if self.carry_until is not None and any(c.varied or not c.matching for c in self.copies[row]):
            # the variation goes on: the rest of this bar, and the bars up to carry_until, are new music
            bar = int(self.bar[row])
            self.copies[row] = []
            self.free_until[row] = self.carry_until(bar)
            if self.register:  # the new passage keeps to the register of the bars it replaces
                replaced = [t for b in range(bar, self.free_until[row]) for s in self.sources(b) if 0 <= s < bar
                            for t in self.bars[row][s]] + self.current[row]
                pitches = self.v.pitch_of[replaced]
                pitches = pitches[pitches >= 0]
                if len(pitches):
                    self.span[row] = pitches.min(), pitches.max()

    def _follow(self, copy: _Copy, token: int, kind: str) -> None:
        if copy.matching and copy.at < len(copy.tokens):
            expected = copy.tokens[copy.at]
            # another pitch, velocity or length where the source has one is a variation of the
            # copy, not its end; only a different onset (Position) or note count breaks it
            if expected == token or (kind != "Position" and self.v.kind[expected] == kind):
                copy.varied += expected != token and kind == "Pitch"
                copy.at += 1
                return
        copy.matching = False
        if kind == "Position":  # the model moved on to an onset: pick the copy up there if the source has it
            try:
                copy.at, copy.matching = copy.tokens.index(token) + 1, True
            except ValueError:
                pass

    def proposals(self, row: int) -> set[int]:
        """Tokens that continue the row's most faithful copies: of those in step, the ones with the
        fewest changed pitches so far (so the bar commits to one source instead of mixing them);
        when none is in step, every copy's next onset."""
        copies = [c for c in self.copies[row] if c.matching]
        if copies:
            fewest = min(c.varied for c in copies)
            return {c.tokens[c.at] if c.at < len(c.tokens) else self.v.bar for c in copies if c.varied == fewest}
        out = set()
        for copy in self.copies[row]:  # resume at the source's next onset after the current position, else the next bar
            out.add(next((t for position, t in copy.onsets if position > self.pos[row]), self.v.bar))
        return out

    def in_step(self, row: int) -> bool:
        return any(c.matching for c in self.copies[row])

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        if self.strength == 0:
            return scores
        scores = scores.copy()
        for row in range(len(scores)):
            strength = self.strength_at(int(self.bar[row]))
            resyncing = self.copies[row] and not self.in_step(row)
            if resyncing:
                moving_on = np.logaddexp.reduce(scores[row, self.time_ids])
            for token in self.proposals(row):
                if np.isfinite(scores[row, token]):
                    scores[row, token] += strength
            if resyncing and np.isfinite(moving_on):
                # out of step, the copy chooses which onset comes next, not whether the chord at this
                # onset goes on: the time tokens keep the odds the model gave them together against
                # another note here (a bonus on the onset alone cut chords played out of step short)
                scores[row, self.time_ids] -= np.logaddexp.reduce(scores[row, self.time_ids]) - moving_on
            if not np.isnan(self.span[row, 0]):
                low, high = self.span[row]
                beyond = np.maximum(low - self.pitches, 0) + np.maximum(self.pitches - high, 0)
                scores[row, self.v.pitch_ids] -= self.register * beyond
        return scores


def form_processors(vocab: Vocabulary, batch: int, target_beats: float, form: str | None,
                    repetition: float, genre: str | None = None) -> tuple[list[BarCopier], FormPlan | None]:
    """The processors a request asks for: a form plan's copier and/or a lookback copier."""
    processors, plan = [], None
    if form:
        plan = FormPlan.fitting(form, target_beats / BEATS_PER_BAR)
        variation = form_variation(genre)
        strength = variation.strength if variation.opening is None else partial(variation.strength_at, plan)
        carry = partial(plan.phrase_end, phrase_bars=variation.carry_bars) if variation.carry_bars else None
        processors.append(BarCopier(vocab, batch, plan_sources(plan), strength, carry, variation.register))
    if repetition:
        processors.append(BarCopier(vocab, batch, lookback_sources, repetition))
    return processors, plan


def form_strength(genre: str | None) -> float:
    """How strongly a repeated section copies its first occurrence, in nats: the genre's (its
    repeats as exact as people's, on validation music), else FORM_STRENGTH."""
    return GENRE_DEFAULTS.get(genre, {}).get("form_strength", FORM_STRENGTH)


def form_variation(genre: str | None) -> Variation:
    """How the genre's repeated sections vary: form_strength's bonus, with the opening bar's bonus
    and carried variations where the genre's GENRE_DEFAULTS row names them."""
    row = GENRE_DEFAULTS.get(genre, {})
    return Variation(form_strength(genre), row.get("opening_strength"), row.get("carry_bars", 0),
                     row.get("register", 0.0))


def structure_defaults(genre: str, form: str | None, repetition: float | None) -> tuple[str | None, float]:
    """The form letters (None: free) and lookback strength a request gets: what it asked, else
    the genre's default (chosen on validation-split music, bench/quality.py), else none."""
    form = parse_form(form if form is not None else GENRE_DEFAULTS.get(genre, {}).get("form"))
    if repetition is None:
        repetition = GENRE_DEFAULTS.get(genre, {}).get("repetition", 0.0)
    return form, float(repetition)


# Per genre, chosen on validation-split music against people's repetition (bench/quality.py;
# bench/RESULTS.md "Music with form" and "Per-genre defaults tuned"): the form plan won, lookback
# lost. Each strength is the one whose 2- and 4-bar repeat shares are jointly nearest people's:
# 5.5 nats for all three (6 made folk and chorales repeat 2-bar windows half again as often as
# people; pop at 5 did not come back at all, at 5.5 as often as people's first minute). Chorales
# take the bar form of their first phrase sung twice (AAB). A genre not named here (a user's own)
# composes free.
# Folk and chorales vary a repeated section as people do (RESULTS "Repeats shaped like people's",
# 48 validation pieces): once it leaves its first occurrence, the rest of its phrase (folk's 4
# bars, a chorale's 8-bar section) is new music, with more nats elsewhere so the phrases that come
# back come back whole; the first bar of folk's phrases keeps 5.5, so a phrase comes back or turns
# away from its start; the new passage keeps to the register of the bars it replaces (2 and 1 nats per
# semitone beyond). Folk 0.31 / 0.12 -> 0.26 / 0.15 (people 0.25 / 0.16), chorales 0.16 / 0.05 ->
# 0.09 / 0.04 (people 0.11 / 0.05).
# Jazz carries its variations too, with a low bonus in each phrase's first bar, so a phrase rarely
# comes back, but whole when it does: 64 validation pieces 0.007 / 0.000 -> 0.014 / 0.001 (people
# 0.014 / 0.001); at one strength (3.5-4.5) it was heard as folk (98 % -> 91-92 %), carried, as often
# as free (100 % against 98 %). Classical piano stays free: under any plan, carried or not, it was
# heard as pop more often (recognised 95 % -> 88 %; RESULTS "Repeats in pop, jazz and classical").
GENRE_DEFAULTS: dict[str, dict] = {
    "folk": {"form": "AABA", "form_strength": 7.0, "opening_strength": 5.5, "carry_bars": 4, "register": 2.0},
    "chorale": {"form": "AAB", "form_strength": 7.0, "carry_bars": 8, "register": 1.0},
    "pop": {"form": "AABA", "form_strength": 5.5},
    "jazz": {"form": "AABA", "form_strength": 5.0, "opening_strength": 3.5, "carry_bars": 4},
}
