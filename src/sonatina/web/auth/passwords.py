"""How strong a new password must be: not a favourite of guessing tools, not a keyboard run or
a repeated pattern, and not the user's own name. One sentence says what is wrong."""

from __future__ import annotations

import re

from sonatina.web.auth.common_passwords import COMMON_PASSWORDS

MIN_LENGTH = 8
MIN_DISTINCT = 5  # "aabbccdd" has four
_ROWS = ("qwertyuiopasdfghjklzxcvbnm", "1234567890", "abcdefghijklmnopqrstuvwxyz", "1qaz2wsx3edc4rfv5tgb6yhn7ujm")
_TAIL = "0123456789!@#$%^&*?.,;:-_+= "


def _is_run(text: str) -> bool:
    """A stretch of the alphabet, the digits or a keyboard row, forwards or backwards."""
    return any(text in row or text in row[::-1] for row in _ROWS)


def password_problem(password: str, *personal: str | None) -> str | None:
    """What makes `password` too weak, or None. `personal`: the username and email."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    lowered = password.lower()
    stem = lowered.rstrip(_TAIL)  # "Password123!" is still "password"
    if lowered in COMMON_PASSWORDS or (len(stem) >= 4 and stem in COMMON_PASSWORDS):
        return "That password is one of the most common ones, which guessing tools try first; choose another."
    if _is_run(lowered) or _is_run(stem) or re.fullmatch(r"(.{1,4})\1+", lowered):
        return "That password is a keyboard run or a repeated pattern; choose something less predictable."
    if len(set(lowered)) < MIN_DISTINCT:
        return f"Use at least {MIN_DISTINCT} different characters."
    for word in personal:
        word = (word or "").strip().lower().split("@")[0]
        if len(word) >= 4 and word in lowered:
            return "Do not build your password from your username or email."
    return None
