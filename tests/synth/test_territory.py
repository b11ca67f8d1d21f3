from __future__ import annotations

import datetime as dt
import re

import polars as pl

from tests.synth.support import DEMO_PROVINCE, Output, num


def test_one_province_only(demo: Output) -> None:
    territory = demo["territory"]
    assert territory["code"].str.starts_with(DEMO_PROVINCE + ".").all()
    communes = territory.filter(pl.col("level") == "commune")
    assert (communes["parent_code"] == DEMO_PROVINCE).all()
    assert demo["persons"]["annex_code"].str.starts_with(DEMO_PROVINCE + ".").all()
    assert demo["households"]["annex_code"].str.starts_with(DEMO_PROVINCE + ".").all()


def test_demo_territory_shape(demo: Output) -> None:
    territory = demo["territory"]
    kinds = dict(territory.group_by("kind").len().iter_rows())
    assert 2 <= kinds["urban_commune"] <= 4
    assert 4 <= kinds["rural_commune"] <= 8
    annexes = territory.filter(pl.col("level") == "annex")
    assert annexes.height >= 10
    assert all(re.fullmatch(r"\d{2}\.\d{2}\.\d{3}\.\d{2}", c) for c in annexes["code"].to_list())
    assert all(re.fullmatch(r"\d{2}\.\d{2}\.\d{3}", c) for c in territory.filter(pl.col("level") == "commune")["code"])
    assert (territory["valid_from"] == dt.date(2015, 9, 1)).all()
    urban = annexes.filter(pl.col("milieu") == "urban")
    assert (urban["kind"] == "annex").all() and urban["name_fr"].str.starts_with("Annexe administrative").all()
    assert urban["name_ar"].str.starts_with("الملحقة الإدارية").all()
    rural = annexes.filter(pl.col("milieu") == "rural")
    assert (rural["kind"] == "caidat").all() and rural["name_ar"].str.starts_with("قيادة").all()
    persons_per_annex = demo["households"].group_by("annex_code").agg(pl.col("size").sum())["size"]
    assert num(persons_per_annex.min()) >= 2_000


def test_agents(demo: Output) -> None:
    agents = demo["agents"]
    per_annex = agents.group_by("annex_code").len()["len"]
    assert num(per_annex.min()) >= 2 and num(per_annex.max()) <= 6
    assert all(a.startswith(f"AG-{x}-") for a, x in agents.iter_rows())


def test_national_covers_every_province(national: Output) -> None:
    provinces = national["territory"].filter(pl.col("level") == "commune")["parent_code"].unique()
    assert provinces.len() == 75
