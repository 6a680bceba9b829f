"""The site's name, tagline, search placeholder, contact channels and featured articles,
from `_site.yml` in the articles folder (`kb.site`), re-read when the file changes."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from kb.site import SITE_FILE, Site, load_site


def current_site() -> Site:
    """The site file of this app's articles folder (cached until its mtime changes)."""
    path = Path(current_app.config["KB_ARTICLES"]) / SITE_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    cached = current_app.extensions.get("kb_site")
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_site(path.parent)[0])
        current_app.extensions["kb_site"] = cached
    return cached[1]
