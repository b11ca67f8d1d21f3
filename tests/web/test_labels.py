"""Every word a page shows exists in Arabic and in French."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sijill.web import navigation
from sijill.web.i18n import LabelFileError, labels, translate

WEB = Path(__file__).resolve().parents[2] / "src" / "sijill" / "web"
# t('key') in templates; translate(language, "key") in the page modules.
# A key built from parts (t('status.' ~ value)) is not followed by `,` or `)` and is left out.
_TEMPLATE_KEY = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]\s*[,)]""")
_PYTHON_KEY = re.compile(r"""translate\(\s*[a-z_.]+\s*,\s*['"]([a-z0-9_.]+)['"]\s*[,)]""")


def _used_keys() -> dict[str, str]:
    used: dict[str, str] = {}
    for path in sorted(WEB.rglob("*.html")):
        for key in _TEMPLATE_KEY.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, path.name)
    for path in sorted(WEB.rglob("*.py")):
        for key in _PYTHON_KEY.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, path.name)
    for item in navigation.MENU:
        used.setdefault(item.label, "navigation.py")
    return used


def test_every_label_a_page_uses_is_defined() -> None:
    missing = {key: where for key, where in _used_keys().items() if key not in labels()}
    assert missing == {}


def test_every_label_has_both_languages_and_they_differ_where_words_are_translated() -> None:
    for key, texts in labels().items():
        assert texts["ar"].strip() and texts["fr"].strip(), key
        # Arabic labels are written in Arabic script (names and codes aside).
        if re.search(r"[A-Za-z]{4,}", texts["fr"]) and key != "app.name":
            assert re.search(r"[\u0600-\u06FF]", texts["ar"]), key


def test_placeholders_are_the_same_in_both_languages() -> None:
    for key, texts in labels().items():
        assert set(re.findall(r"{(\w+)}", texts["ar"])) == set(re.findall(r"{(\w+)}", texts["fr"])), key


def test_a_missing_label_shows_its_key_rather_than_breaking_the_page() -> None:
    assert translate("fr", "no.such.label") == "no.such.label"


def test_a_label_defined_twice_is_refused_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "labels"
    folder.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (folder / name).write_text(yaml.safe_dump({"x.y": {"ar": "س", "fr": "x"}}), encoding="utf-8")
    monkeypatch.setattr("sijill.web.i18n._labels_folder", lambda: folder)
    labels.cache_clear()
    try:
        with pytest.raises(LabelFileError, match="defined twice"):
            labels()
    finally:
        monkeypatch.undo()
        labels.cache_clear()
