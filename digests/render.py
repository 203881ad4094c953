"""The one Jinja2 Environment of the product, and rendering the digest for mail clients."""

from __future__ import annotations

from functools import cache

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined


def _autoescape(name: str | None) -> bool:
    return bool(name) and (name.endswith(".html.j2") or name.endswith(".html"))


@cache
def environment() -> Environment:
    """Autoescape for HTML templates, StrictUndefined everywhere, tidy whitespace."""
    return Environment(loader=PackageLoader("templates", ""), autoescape=_autoescape,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


@cache
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


def render_text(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def render_html(template: str, **context) -> str:
    """Render, then inline the CSS so that mail clients that drop <style> keep the looks.
    The <style> block stays for the media queries (dark mode, narrow screens)."""
    return _inliner().inline(environment().get_template(template).render(**context))
