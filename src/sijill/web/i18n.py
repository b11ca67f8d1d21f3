"""The pages' words in Arabic and French: one YAML file of labels per group of pages
(`web/labels/*.yaml`, each key with `ar` and `fr`), merged at start."""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from sijill.errors import Text

LANGUAGES = ("ar", "fr")
DEFAULT_LANGUAGE = "ar"
log = logging.getLogger(__name__)


class LabelFileError(Exception):
    """A labels file is malformed or defines a key twice: found at start, not on a page."""


def _labels_folder() -> Traversable:
    return resources.files("sijill.web").joinpath("labels")


@cache
def labels() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for entry in sorted(_labels_folder().iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".yaml"):
            continue
        content = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        for key, texts in content.items():
            if key in merged:
                raise LabelFileError(f"{entry.name}: label {key} is defined twice")
            if not isinstance(texts, dict) or any(not isinstance(texts.get(lang), str) for lang in LANGUAGES):
                raise LabelFileError(f"{entry.name}: label {key} needs an ar and a fr text")
            merged[str(key)] = {lang: texts[lang] for lang in LANGUAGES}
    return merged


def language_or_default(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, key: str, **values: Any) -> str:
    texts = labels().get(key)
    if texts is None:
        # Shown as the key, so the page still works; the test of the templates catches it first.
        log.warning("missing label %s", key)
        return key
    text = texts[language_or_default(language)]
    return text.format(**values) if values else text


def pick(language: str, text: Text | dict[str, str] | None) -> str:
    """The user's language out of a domain text (an error, a reason, a status)."""
    if text is None:
        return ""
    if isinstance(text, Text):
        return text.fr if language == "fr" else text.ar
    return str(text.get(language) or text.get("fr") or text.get("en") or "")
