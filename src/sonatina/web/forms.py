"""Forms shared by several blueprints."""

from __future__ import annotations

from typing import Callable

from flask_wtf import FlaskForm

# Pages whose form takes a file, by endpoint: how each shows its form again, fresh, with the
# sentence on the file's limit when a request is over the app's limit (MAX_CONTENT_LENGTH). Such a
# body is never read, so the form cannot be shown as it was filled; see the 413 handler in
# web/__init__.py. A page returns (html, status), or None to get the plain error page.
TOO_LARGE_PAGES: dict[str, Callable[[], object]] = {}


def too_large_page(endpoint: str):
    """Register the decorated function as `endpoint`'s page for an upload over the request limit."""

    def register(page):
        TOO_LARGE_PAGES[endpoint] = page
        return page

    return register


def megabytes(size: int) -> str:
    """A byte limit as the forms write it: 5 MB, 1.5 MB."""
    return f"{round(size / (1024 * 1024), 1):g} MB"


def file_size(size: int) -> str:
    """A byte limit in the unit a reader expects: 15 MB, 1.5 MB, 512 kB."""
    return megabytes(size) if size >= 1024 * 1024 else f"{round(size / 1024):g} kB"


class EmptyForm(FlaskForm):
    """Buttons that only POST (log out, revoke, delete) still need the CSRF token."""
