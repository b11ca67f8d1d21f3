"""The detectors against the anomalies the generator injected: which annexes split households,
who deregistered from the auto-entrepreneur register before declaring a household."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.api.app import create_app
from sijill.config import Settings
from sijill.db import transaction
from sijill.linkage.registries import import_registry
from sijill.linkage.registry_linkage import link_registry
from sijill.quality.agents import agent_anomalies
from sijill.quality.deregistration import deregistered_before_declaring
from sijill.quality.one_person import funnel_limits, one_person_households
from sijill.quality.run import latest_alerts, run_quality
from sijill.quality.splitting import address_key, household_splitting
from sijill.quality.trend import latest_violations, violation_trend
from sijill.quality.violations import evaluate
from sijill.synth import SynthConfig, generate
from tests.api.conftest import TEST_SECRET
from tests.conftest import actor
from tests.factories import PASSWORD, create_user
from tests.linkage.support import load_register
from tests.test_cli import sijill

pytestmark = pytest.mark.slow
PROVINCE = "03.02"
NATIONAL = actor(Role.SUPERVISOR_NATIONAL, None, "national")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("quality-synth")
    generate(SynthConfig(persons=20_000, seed=9, out_dir=folder, province_codes=(PROVINCE,)))
    return folder


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], system_actor: Actor, synth: Path) -> pl.DataFrame:
    ids = load_register(session_factory, system_actor, synth)
    with transaction(session_factory) as session:
        path = synth / "registries" / "auto_entrepreneurs.parquet"
        import_registry(session=session, actor=system_actor, registry="auto_entrepreneurs", path=path)
        link_registry(session=session, actor=system_actor, registry="auto_entrepreneurs")
    return ids


def _anomalies(synth: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((synth / "truth" / "anomalies.json").read_text(encoding="utf-8"))
    return loaded


def test_the_splitting_annexes_are_flagged_and_no_other(
    session_factory: sessionmaker[Session], synth: Path, loaded: pl.DataFrame
) -> None:
    splitting = set(_anomalies(synth)["household_splitting"]["annexes"])
    with transaction(session_factory) as session:
        report = one_person_households(session, NATIONAL)
    flagged = set(report.annexes.filter(pl.col("flagged"))["annex_code"].to_list())
    assert flagged == splitting  # precision and recall 1 at annex level on this population
    top = report.annexes.row(0, named=True)
    assert top["annex_code"] in splitting and top["share"] > top["expected_share"]
    low, high = funnel_limits(top["households"], top["expected_share"])
    assert top["share"] > high > top["expected_share"] > low
    # The monthly trend covers the same households.
    monthly = report.monthly.group_by("annex_code").agg(pl.col("households").sum()).sort("annex_code")
    assert monthly.equals(report.annexes.select("annex_code", "households").sort("annex_code"))
    # A province supervisor elsewhere sees nothing of these annexes.
    other = actor(Role.SUPERVISOR_PROVINCE, "04.01", "elsewhere")
    with transaction(session_factory) as session:
        assert one_person_households(session, other).annexes.is_empty()


def test_household_splitting_finds_the_injected_annexes_and_households(
    session_factory: sessionmaker[Session], synth: Path, loaded: pl.DataFrame
) -> None:
    injected = _anomalies(synth)["household_splitting"]
    truth = pl.DataFrame(injected["splits"]).join(loaded, on="record_id")
    with transaction(session_factory) as session:
        report = household_splitting(session, NATIONAL)
    flagged = report.by_annex.filter(pl.col("flagged"))
    assert set(flagged["annex_code"]) == set(injected["annexes"])  # annex level: precision and recall 1
    assert flagged.select((pl.col("splits").min() > pl.col("expected").max()) & (pl.col("p_value").max() < 1e-3)).item()
    # Inside the flagged annexes, the split-offs found are the injected ones; spouses who left for
    # a douar address many share carry no family tie and are missed (measured: 0.65 at 100,000).
    inside = report.splits.join(flagged.select("annex_code"), on="annex_code", how="semi")
    right = inside.join(truth, on="person_id", how="semi").height
    assert right / inside.height >= 0.9
    assert right / truth.height >= 0.5
    assert inside.filter(~pl.col("same_dwelling") & ~pl.col("same_phone")).is_empty()
    assert (inside["days_after_origin"] >= 0).all() and (inside["declared_on"] >= inside["origin_declared_on"]).all()
    # Each cluster is an origin with its split-offs, and its timeline starts with the origin.
    cluster = report.clusters.row(0, named=True)
    events = cluster["timeline"]
    assert events[0]["event"] == "origin_declared" and events[0]["household_id"] == cluster["cluster"]
    assert {e["household_id"] for e in events if e["event"] == "split_off_declared"} == set(cluster["household_ids"])
    assert [e["day"] for e in events] == sorted(e["day"] for e in events)
    assert report.by_annex["splits"].sum() == report.splits.height
    with transaction(session_factory) as session:
        assert household_splitting(session, actor(Role.SUPERVISOR_PROVINCE, "04.01", "elsewhere")).empty
        # A window of one month keeps fewer split-offs.
        assert household_splitting(session, NATIONAL, months=1).splits.height < report.splits.height


def test_the_careless_agent_stands_out_from_the_peers_and_no_one_else(
    session_factory: sessionmaker[Session], synth: Path, loaded: pl.DataFrame
) -> None:
    careless = _anomalies(synth)["erroneous_agent"]
    with transaction(session_factory) as session:
        report = agent_anomalies(evaluate(session, NATIONAL))
    flagged = report.agents.filter(pl.col("flagged"))
    assert flagged["agent"].to_list() == [careless["agent_code"]]  # agent level: precision and recall 1
    row = flagged.row(0, named=True)
    assert row["annex_code"] == careless["annex_code"] and row["area"] == PROVINCE
    # The generator drops 60% of this agent's phones and misspells 30% of the names.
    assert "phone_missing" in row["reasons"]
    phones = report.rules.filter((pl.col("agent") == row["agent"]) & (pl.col("rule") == "phone_missing")).row(
        0, named=True
    )
    assert phones["share"] > 2 * phones["peer_share"] and phones["z"] > 4
    # Every other agent of the province is within the limits, and each is compared with peers.
    others = report.agents.filter(~pl.col("flagged"))
    assert others.height > 10 and (others["worst_rule_z"].drop_nulls() <= 4).all()
    with transaction(session_factory) as session:
        elsewhere = agent_anomalies(evaluate(session, actor(Role.SUPERVISOR_PROVINCE, "04.01", "elsewhere")))
    assert elsewhere.empty


def test_address_key_reads_an_address_as_meant() -> None:
    written = ["N° 12, Rue  Atlas, Hay Salam", "n 12 rue atlas hay salam", "12 Rue Atlas, Hay Salâm"]
    keys = pl.DataFrame({"address": written}).select(address_key(pl.col("address"))).to_series()
    assert keys.n_unique() == 1 and keys[0] == "12 rue atlas hay salam"
    assert pl.select(address_key(pl.lit("N° 13, Rue Atlas"))).item() != keys[0]


def test_deregistration_before_declaring_finds_the_injected_cases(
    session_factory: sessionmaker[Session], synth: Path, loaded: pl.DataFrame
) -> None:
    truth = pl.DataFrame(_anomalies(synth)["auto_entrepreneur_deregistration"]).join(loaded, on="record_id")
    with transaction(session_factory) as session:
        report = deregistered_before_declaring(session, NATIONAL, months=6)
    found = report.cases.join(truth.select("person_id"), on="person_id", how="semi").height
    assert report.cases.height > 0
    assert found / truth.height >= 0.9  # recall
    assert found / report.cases.height >= 0.9  # precision
    assert (report.cases["days_between"] > 0).all() and (report.cases["days_between"] <= 31 * 6).all()
    assert report.by_annex_month["cases"].sum() == report.cases.height
    with transaction(session_factory) as session:
        narrower = deregistered_before_declaring(session, NATIONAL, months=1)
    assert narrower.cases.height < report.cases.height


def test_reports_through_the_api_and_the_command_line(
    synth: Path,
    backend: str,
    db_url: str,
    session_factory: sessionmaker[Session],
    system_actor: Actor,
    loaded: pl.DataFrame,
    tmp_path: Path,
) -> None:
    with transaction(session_factory) as session:
        create_user(session, system_actor, "province", Role.SUPERVISOR_PROVINCE, PROVINCE)
        create_user(session, system_actor, "analyst", Role.POLICY_ANALYST, None)
    settings = Settings(database_url=db_url, secret_key=TEST_SECRET, token_minutes=5)
    with TestClient(create_app(settings, session_factory.kw["bind"])) as client:

        def headers(username: str) -> dict[str, str]:
            token = client.post("/api/auth/token", data={"username": username, "password": PASSWORD}).json()
            return {"Authorization": f"Bearer {token['access_token']}"}

        province = headers("province")
        plot = client.get("/api/quality/one-person-households", headers=province).json()
        assert plot["z_limit"] == 3.0 and any(a["flagged"] for a in plot["annexes"])
        cases = client.get("/api/quality/deregistrations", params={"months": 6}, headers=province)
        assert cases.status_code == 200 and cases.json()["cases"]
        assert client.get("/api/quality/deregistrations", params={"months": 0}, headers=province).status_code == 422
        assert (
            client.get("/api/quality/one-person-households", params={"within": "04"}, headers=province).status_code
            == 404
        )
        split = client.get("/api/quality/household-splitting", params={"limit": 2}, headers=province).json()
        assert split["months"] == 18 and not split["empty"] and any(a["flagged"] for a in split["annexes"])
        assert len(split["clusters"]) == 2 and split["clusters"][0]["timeline"][0]["event"] == "origin_declared"
        assert {s["origin_household_id"] for s in split["splits"]} == {c["cluster"] for c in split["clusters"]}
        outside = client.get("/api/quality/household-splitting", params={"within": "04.01"}, headers=province)
        assert outside.status_code == 404
        agents = client.get("/api/quality/agents", params={"flagged_only": True}, headers=province).json()
        assert [a["agent"] for a in agents["agents"]] == [_anomalies(synth)["erroneous_agent"]["agent_code"]]
        assert client.get("/api/quality/agents", params={"within": "04"}, headers=province).status_code == 404
        catalogue = client.get("/api/quality/rules", headers=province).json()
        assert {"cin_format", "phone_missing", "deceased_member"} <= {r["code"] for r in catalogue}
        # One declaration per household: no index has moved yet, and the report says so.
        assert client.get("/api/quality/score-swings", headers=province).json()["empty"] is True
        # Before any run, the stored violations say so.
        none = client.get("/api/quality/violations", headers=province).json()
        assert none["empty"] and none["run_id"] is None
        # Analysts see aggregates, not the persons behind them.
        analyst = headers("analyst")
        assert client.get("/api/quality/household-splitting", headers=analyst).status_code == 403
        assert client.get("/api/quality/one-person-households", headers=analyst).status_code == 200
        assert client.get("/api/quality/deregistrations", headers=analyst).status_code == 403
    if backend != "sqlite":
        return
    out = tmp_path / "annexes.xlsx"
    shown = sijill("quality", "one-person", "--out", str(out), db_url=db_url)
    assert shown.returncode == 0 and out.stat().st_size > 0 and "!" in shown.stdout
    listed = sijill("quality", "deregistration", "--months", "6", "--out", str(tmp_path / "cases.csv"), db_url=db_url)
    assert listed.returncode == 0 and pl.read_csv(tmp_path / "cases.csv").height > 0
    none = sijill("quality", "deregistration", "--within", "12", db_url=db_url)
    assert none.returncode == 0 and "aucun cas" in none.stdout
    split = sijill("quality", "splitting", "--out", str(tmp_path / "splits.csv"), db_url=db_url)
    assert split.returncode == 0 and "origin_declared" in split.stdout and "!" in split.stdout
    assert pl.read_csv(tmp_path / "splits.csv").height > 0
    agents = sijill("quality", "agents", "--out", str(tmp_path / "agents.xlsx"), db_url=db_url)
    assert agents.returncode == 0 and _anomalies(synth)["erroneous_agent"]["agent_code"] in agents.stdout
    assert "1 of" in agents.stdout and (tmp_path / "agents.xlsx").stat().st_size > 0
    listed = sijill("quality", "rules", "--out", str(tmp_path / "rules.csv"), db_url=db_url)
    assert listed.returncode == 0 and "phone_missing" in listed.stdout
    assert pl.read_csv(tmp_path / "rules.csv").filter(pl.col("code") == "cin_format")["severity"].to_list() == ["error"]
    swings = sijill("quality", "swings", db_url=db_url)
    assert swings.returncode == 0 and "aucune donnée" in swings.stdout
    before = sijill("quality", "violations", db_url=db_url)
    assert before.returncode == 0 and "sijill quality run" in before.stdout
    wrong = sijill("quality", "violations", "--by", "colour", db_url=db_url)
    assert wrong.returncode == 2 and "l'une de" in wrong.stderr
    bad = sijill("quality", "one-person", "--out", str(tmp_path / "x.pdf"), db_url=db_url)
    assert bad.returncode == 2 and "un fichier .csv ou .xlsx" in bad.stderr


def test_the_daily_run_stores_alerts_with_explanation_and_evidence_scoped_to_the_reader(
    backend: str, db_url: str, session_factory: sessionmaker[Session], synth: Path, loaded: pl.DataFrame
) -> None:
    with transaction(session_factory) as session:
        assert latest_alerts(session=session, actor=NATIONAL) == []  # before any run: nothing, no error
        run = run_quality(session=session, actor=actor(Role.ADMIN, None, "admin"))
    splitting = set(_anomalies(synth)["household_splitting"]["annexes"])
    with transaction(session_factory) as session:
        alerts = latest_alerts(session=session, actor=NATIONAL)
        assert len(alerts) == run.alerts > 0
        one_person = [a for a in alerts if a.detector == "one_person_households"]
        assert {a.territory_code for a in one_person} == splitting
        first = one_person[0]
        assert "recensement" in first.explanation["fr"] and "الإحصاء" in first.explanation["ar"]
        assert first.evidence["link"] == f"/api/quality/one-person-households?within={first.territory_code}"
        assert [a.score for a in alerts] == sorted((a.score for a in alerts), reverse=True)
        assert any(a.detector == "deregistration_before_declaring" for a in alerts)
        splits = [a for a in alerts if a.detector == "household_splitting"]
        assert {a.territory_code for a in splits} == splitting
        assert "même adresse" in splits[0].explanation["fr"] and splits[0].evidence["p_value"] < 0.001
        assert (
            splits[0].evidence["link"].startswith(f"/api/quality/household-splitting?within={splits[0].territory_code}")
        )
        assert set(run.seconds) == {
            "one_person_households",
            "deregistration_before_declaring",
            "household_splitting",
            "score_swings",
            "data_rules",
            "agent_anomalies",
        }
        careless = _anomalies(synth)["erroneous_agent"]
        agents = [a for a in alerts if a.detector == "agent_anomalies"]
        assert [a.evidence["agent"] for a in agents] == [careless["agent_code"]]
        assert agents[0].territory_code == careless["annex_code"] and "SMS" in agents[0].explanation["fr"]
        elsewhere = latest_alerts(session=session, actor=actor(Role.SUPERVISOR_PROVINCE, "04.01", "p"))
        assert elsewhere == []
        only = latest_alerts(session=session, actor=NATIONAL, detector="deregistration_before_declaring")
        assert only and all(a.detector == "deregistration_before_declaring" for a in only)
    with transaction(session_factory) as session:
        by_agent = latest_violations(session, NATIONAL, by="agent")
        points = violation_trend(session, NATIONAL, rule="phone_missing")
    worst = by_agent.filter(pl.col("rule") == "phone_missing").row(0, named=True)
    assert worst["agent"] == careless["agent_code"] and worst["share"] > 0.3
    assert points.height == 1 and points["violations"][0] > 0 and 0 < points["share"][0] < 1
    if backend == "sqlite":
        assert sijill("quality", "trend", "--rule", "phone_missing", db_url=db_url).returncode == 0
        shown = sijill("quality", "violations", "--by", "annex", db_url=db_url)
        assert shown.returncode == 0 and "phone_missing" in shown.stdout
        shown = sijill("quality", "alerts", db_url=db_url)
        assert shown.returncode == 0 and "one_person_households" in shown.stdout
        again = sijill("quality", "run", db_url=db_url)
        assert again.returncode == 0 and "alerts" in again.stdout
