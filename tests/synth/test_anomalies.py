from __future__ import annotations

import datetime as dt

import polars as pl

from tests.synth.support import Output, as_date, num


def test_splitting_annexes_have_more_people_alone(demo: Output) -> None:
    splitting = demo.anomalies["household_splitting"]
    assert len(splitting["annexes"]) >= 1 and len(splitting["splits"]) > 0
    in_split = pl.col("annex_code").is_in(splitting["annexes"])
    hh = demo["households"].with_columns(alone=pl.col("size") == 1, split=in_split)
    share = {r["split"]: r["alone"] for r in hh.group_by("split").agg(pl.col("alone").mean()).to_dicts()}
    assert share[True] > share[False] + 0.05


def test_splits_are_consistent(demo: Output) -> None:
    splits = pl.DataFrame(demo.anomalies["household_splitting"]["splits"])
    hh = demo["households"]
    new = splits.join(hh, on="household_id")
    assert new.height == splits.height and (new["size"] == 1).all()
    assert (new["annex_code"] == new["annex_code_right"]).all()
    assert (new["declarant_record_id"] == new["record_id"]).all()
    origin = splits.join(hh, left_on="origin_household_id", right_on="household_id")
    assert origin.height == splits.height
    assert (origin["annex_code"] == origin["annex_code_right"]).all()
    assert (new["declared_on"] >= origin["declared_on"]).all()
    assert set(splits["annex_code"].to_list()) <= set(demo.anomalies["household_splitting"]["annexes"])


def test_erroneous_agent(demo: Output) -> None:
    agent = demo.anomalies["erroneous_agent"]
    persons = demo["persons"]
    mine = persons.filter(pl.col("registered_by") == agent["agent_code"])
    assert mine.height > 0 and agent["annex_code"] in agent["agent_code"]
    affected = set(agent["record_ids"])
    assert affected and affected <= set(mine["record_id"].to_list())
    for kind in ("day_month_swapped", "misspelt_name", "missing_phone"):
        assert agent["errors"][kind], kind
    others = persons.filter(pl.col("registered_by") != agent["agent_code"])
    assert mine["phone"].null_count() / mine.height > others["phone"].null_count() / others.height + 0.2
    lost = persons.filter(pl.col("record_id").is_in(agent["errors"]["missing_phone"]))
    assert lost["phone"].null_count() == lost.height


def test_auto_entrepreneur_deregistrations(demo: Output) -> None:
    quits = pl.DataFrame(demo.anomalies["auto_entrepreneur_deregistration"])
    assert quits.height > 0
    registry = demo["registry_auto_entrepreneurs"]
    joined = quits.join(registry, on="registry_record_id", suffix="_registry")
    assert joined.height == quits.height
    left = joined["deregistered_on"].str.to_date()
    declared = joined["declared_on"].str.to_date()
    assert (joined["deregistered_on_registry"] == left).all()
    days = (declared - left).dt.total_days()
    assert num(days.min()) >= 15 and num(days.max()) <= 120
    links = demo["truth_registry_links"].filter(pl.col("registry") == "auto_entrepreneurs")
    linked = quits.join(links, on="registry_record_id")
    assert (linked["record_id"] == linked["record_id_right"]).all()
    hh = demo["households"].filter(pl.col("household_id").is_in(quits["household_id"].to_list()))
    assert as_date(hh["declared_on"].min()) >= dt.date(2022, 1, 1)
