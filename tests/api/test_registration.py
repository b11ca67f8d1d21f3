"""Registration through the API: IDCS at once, or held for a reviewer when a likely duplicate exists."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from sijill.population.check_digits import verhoeff_valid
from tests.factories import ANNEX_A, ANNEX_B, ANNEX_OTHER_PROVINCE, PERSONS

Login = Callable[[str], dict[str, str]]

NEW_PERSON: dict[str, Any] = {
    "given_name_lat": "Youssef", "family_name_lat": "Tazi", "given_name_ar": "يوسف", "family_name_ar": "التازي",
    "father_given_name_lat": "Ahmed", "sex": "M", "birth_date": "1990-04-12", "birth_date_precision": "day",
    "nationality": "MAR", "cin": "D123456", "phone": "06 61 23 45 67", "annex_code": ANNEX_A,
}  # fmt: skip


def register(client: TestClient, headers: dict[str, str], **changes: Any) -> Any:
    return client.post("/api/persons", json={**NEW_PERSON, **changes}, headers=headers)


def test_new_person_gets_an_idcs_at_once(client: TestClient, login: Login) -> None:
    response = register(client, login("agent_a"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "issued"
    person = body["person"]
    assert len(person["idcs"]) == 10 and verhoeff_valid(person["idcs"])
    assert person["phone"] == "+212661234567"
    assert person["cin"] == "D123456"
    assert person["birth_year"] == 1990
    assert body["candidates"] == []
    shown = client.get(f"/api/persons/{person['idcs']}", headers=login("agent_a"))
    assert shown.json()["family_name_ar"] == "التازي"


def test_likely_duplicate_is_held_and_a_reviewer_decides_same_person(client: TestClient, login: Login) -> None:
    first = register(client, login("agent_a")).json()["person"]
    # The same man typed again with another spelling, another CIN missing, in the other annex.
    again = register(
        client,
        login("agent_b"),
        given_name_lat="Youcef",
        family_name_lat="Tazzi",
        cin=None,
        phone=None,
        annex_code=ANNEX_B,
    )
    assert again.status_code == 202, again.text
    held = again.json()
    assert held["status"] == "pending_review" and held["person"] is None
    # The agent learns it is held, not whom it resembles.
    assert held["candidates"] == []

    queue = client.get("/api/registrations/queue", headers=login("reviewer")).json()
    assert [r["registration_id"] for r in queue] == [held["registration_id"]]
    view = client.get(f"/api/registrations/{held['registration_id']}", headers=login("reviewer")).json()
    assert [c["person"]["idcs"] for c in view["candidates"]] == [first["idcs"]]
    assert view["submitted"]["given_name_lat"] == "Youcef"
    assert view["candidates"][0]["reasons"]["birth"] == "same_birth_date"

    decided = client.post(
        f"/api/registrations/{held['registration_id']}/decision",
        headers=login("reviewer"),
        json={"decision": "same_person", "person_idcs": first["idcs"], "note": "same father, same date"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "same_person"
    assert decided.json()["person"]["idcs"] == first["idcs"]
    found = client.get("/api/persons", params={"birth_date": "1990-04-12"}, headers=login("sup_province")).json()
    assert [p["idcs"] for p in found["items"]] == [first["idcs"]]  # no second record was created


def test_reviewer_decides_different_and_an_idcs_is_issued(client: TestClient, login: Login) -> None:
    register(client, login("agent_a"))
    held = register(
        client, login("agent_a"), cin=None, phone=None, given_name_lat="Youssef", father_given_name_lat="Mohamed"
    ).json()
    decided = client.post(
        f"/api/registrations/{held['registration_id']}/decision",
        headers=login("reviewer"),
        json={"decision": "different", "note": "different father, twins"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "different"
    assert verhoeff_valid(decided.json()["person"]["idcs"])
    again = client.post(
        f"/api/registrations/{held['registration_id']}/decision",
        headers=login("reviewer"),
        json={"decision": "different", "note": "second click"},
    )
    assert again.status_code == 409


def test_same_cin_is_always_held(client: TestClient, login: Login) -> None:
    idcs, _, _, _, _, cin = PERSONS[ANNEX_A]
    held = register(client, login("agent_a"), cin=cin, given_name_lat="Zineb", family_name_lat="Other")
    assert held.status_code == 202
    view = client.get(f"/api/registrations/{held.json()['registration_id']}", headers=login("reviewer")).json()
    assert view["candidates"][0]["person"]["idcs"] == idcs
    assert view["candidates"][0]["reasons"]["same_cin"] is True


def test_registering_agent_cannot_decide_and_agents_cannot_review(client: TestClient, login: Login) -> None:
    register(client, login("agent_a"))
    held = register(client, login("agent_a"), cin=None, phone=None).json()
    decision = {"decision": "different", "note": "looks different"}
    url = f"/api/registrations/{held['registration_id']}/decision"
    assert client.post(url, headers=login("agent_a"), json=decision).status_code == 403
    assert client.get("/api/registrations/queue", headers=login("agent_b")).status_code == 403


def test_reviewer_outside_the_territory_does_not_see_the_registration(client: TestClient, login: Login) -> None:
    register(client, login("agent_a"))
    held = register(client, login("agent_a"), cin=None, phone=None).json()
    assert client.get(f"/api/registrations/{held['registration_id']}", headers=login("agent_b")).status_code == 404


def test_bad_input_lists_every_problem_in_both_languages_and_writes_nothing(client: TestClient, login: Login) -> None:
    bad = {
        **NEW_PERSON,
        "given_name_lat": None,
        "given_name_ar": None,
        "cin": "12AB",
        "phone": "12",
        "birth_date": "2999-01-01",
        "nationality": "XXX",
        "annex_code": ANNEX_OTHER_PROVINCE,
    }
    response = client.post("/api/persons", json=bad, headers=login("agent_a"))
    assert response.status_code == 422
    error = response.json()["error"]
    fields = {d["field"] for d in error["details"]}
    assert {"cin", "phone", "birth_date", "nationality", "annex_code"} <= fields
    assert any(f.startswith("given_name") for f in fields)
    for detail in error["details"]:
        assert detail["message"]["ar"] and detail["message"]["fr"]
    assert "rien n'a été enregistré" in error["message"]["fr"]
    listing = client.get("/api/persons", headers=login("sup_national")).json()
    assert len(listing["items"]) == 3  # only the seeded persons


def test_corrections_keep_history_and_stale_versions_get_409(client: TestClient, login: Login) -> None:
    agent = login("agent_a")
    person = register(client, agent).json()["person"]
    url = f"/api/persons/{person['idcs']}/corrections"
    fixed = client.post(
        url,
        headers=agent,
        json={"changes": {"family_name_lat": "Tazi-Alaoui"}, "reason": "typo at registration", "version": 1},
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["version"] == 2
    stale = client.post(
        url, headers=agent, json={"changes": {"family_name_lat": "Other"}, "reason": "late", "version": 1}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["details"] == [{"current_version": 2}]
    history = client.get(url, headers=agent).json()
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history] == [
        ("family_name_lat", "Tazi", "Tazi-Alaoui")
    ]
    assert history[0]["corrected_by"] == "agent_a" and history[0]["reason"] == "typo at registration"
    bad = client.post(url, headers=agent, json={"changes": {"cin": "??"}, "reason": "x y z", "version": 2})
    assert bad.status_code == 422
    assert client.get(f"/api/persons/{person['idcs']}", headers=agent).json()["cin"] == "D123456"


def test_concurrent_corrections_one_wins_one_gets_409(client: TestClient, login: Login) -> None:
    agent = login("agent_a")
    person = register(client, agent).json()["person"]
    url = f"/api/persons/{person['idcs']}/corrections"
    codes: list[int] = []

    def correct(name: str) -> None:
        codes.append(
            client.post(
                url, headers=agent, json={"changes": {"family_name_lat": name}, "reason": "race test", "version": 1}
            ).status_code
        )

    threads = [threading.Thread(target=correct, args=(n,)) for n in ("Tazii", "Tazy")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 409]


def test_death_and_merge_and_admin_revert(client: TestClient, login: Login) -> None:
    agent = login("agent_a")
    first = register(client, agent).json()["person"]
    second = register(
        client,
        agent,
        cin="E765432",
        phone=None,
        given_name_lat="Hamza",
        family_name_lat="Bennani",
        given_name_ar="حمزة",
        family_name_ar="بناني",
        birth_date="2001-02-03",
    ).json()["person"]
    dead = client.post(
        f"/api/persons/{second['idcs']}/death", headers=agent, json={"death_date": "2024-05-01", "version": 1}
    )
    assert dead.status_code == 200 and dead.json()["status"] == "deceased"
    too_early = client.post(
        f"/api/persons/{first['idcs']}/death", headers=agent, json={"death_date": "1980-01-01", "version": 1}
    )
    assert too_early.status_code == 422

    merged = client.post(
        f"/api/persons/{first['idcs']}/merge",
        headers=login("reviewer"),
        json={"merged_idcs": second["idcs"], "reason": "same person, confirmed"},
    )
    assert merged.status_code == 200, merged.text
    after = client.get(f"/api/persons/{second['idcs']}", headers=agent).json()
    assert after["status"] == "merged" and after["merged_into_idcs"] == first["idcs"]
    merge_id = merged.json()["id"]
    assert (
        client.post(f"/api/merges/{merge_id}/revert", headers=login("reviewer"), json={"reason": "mistake"}).status_code
        == 403
    )
    reverted = client.post(f"/api/merges/{merge_id}/revert", headers=login("admin"), json={"reason": "mistake"})
    assert reverted.status_code == 200
    restored = client.get(f"/api/persons/{second['idcs']}", headers=agent).json()
    assert restored["status"] == "deceased" and restored["merged_into_idcs"] is None


def test_search_by_name_in_either_script(client: TestClient, login: Login) -> None:
    agent = login("agent_a")
    person = register(client, agent).json()["person"]
    for name in ("Youssef", "youcef", "يوسف", "Tazi", "التازي"):
        found = client.get("/api/persons", params={"name": name}, headers=agent).json()["items"]
        assert person["idcs"] in [p["idcs"] for p in found], name
    # Never outside the territory: agent_b does not find agent_a's person.
    other = client.get("/api/persons", params={"name": "Youssef"}, headers=login("agent_b")).json()["items"]
    assert other == []


def test_search_narrowed_to_one_annex_in_the_query(client: TestClient, login: Login) -> None:
    person = register(client, login("agent_a")).json()["person"]
    supervisor = login("sup_province")

    def found(annex: str) -> list[str]:
        params = {"name": "Youssef", "annex_code": annex, "limit": "1"}
        return [p["idcs"] for p in client.get("/api/persons", params=params, headers=supervisor).json()["items"]]

    assert found(ANNEX_A) == [person["idcs"]]
    assert found(ANNEX_B) == []


def test_registration_answers_with_the_data_rules_it_breaks_without_blocking(client: TestClient, login: Login) -> None:
    complete = register(client, login("agent_a")).json()
    assert complete["status"] == "issued"
    assert not {"phone_missing", "cin_missing", "one_script_only"} & {w["rule"] for w in complete["warnings"]}
    # An adult without phone nor CIN, in Latin script only: issued, with what to complete.
    sparse = register(
        client,
        login("agent_a"),
        given_name_lat="Brahim",
        family_name_lat="Ouazzani",
        given_name_ar=None,
        family_name_ar=None,
        birth_date="1985-02-01",
        cin=None,
        phone=None,
    )
    assert sparse.status_code == 201, sparse.text
    warnings = {w["rule"]: w for w in sparse.json()["warnings"]}
    assert {"phone_missing", "cin_missing", "one_script_only"} <= set(warnings)
    assert warnings["phone_missing"]["severity"] == "warning"
    assert "SMS" in warnings["phone_missing"]["message"]["fr"] and warnings["phone_missing"]["message"]["ar"]
    assert warnings["cin_missing"]["fix"]["fr"].startswith("recopiez")
    # A child needs neither a phone nor a CIN.
    child = register(
        client,
        login("agent_a"),
        given_name_lat="Brahim",
        family_name_lat="Ouazzani",
        father_given_name_lat="Brahim",
        birth_date="2019-06-01",
        cin=None,
        phone=None,
    ).json()
    assert not {"phone_missing", "cin_missing"} & {w["rule"] for w in child["warnings"]}


def test_a_given_name_nobody_else_carries_is_warned_until_someone_does(client: TestClient, login: Login) -> None:
    agent = login("agent_a")
    rare = {"given_name_lat": "Zakariyae", "given_name_ar": "زكرياء"}

    def rules(response: Any) -> set[str]:
        assert response.status_code == 201, response.text
        return {w["rule"] for w in response.json()["warnings"]}

    assert "given_name_rare" in rules(register(client, agent, **rare))
    # A second carrier, in another family: the name is no longer rare, for them or anyone after.
    other_family = {"family_name_lat": "Bennani", "family_name_ar": "بناني", "birth_date": "1972-09-30"}
    assert "given_name_rare" not in rules(
        register(client, agent, **rare, **other_family, cin="K998877", phone="0662000111", father_given_name_lat="Omar")
    )
    # Carried already by someone of another annex, out of the agent's sight: the register as a
    # whole is what counts.
    karima = {"given_name_lat": "Karima", "given_name_ar": "كريمة", "sex": "F", "father_given_name_lat": "Said"}
    assert "given_name_rare" in rules(
        register(client, login("agent_b"), **karima, birth_date="1961-01-01", cin="K112233", annex_code=ANNEX_B)
    )
    assert "given_name_rare" not in rules(
        register(client, agent, **karima, family_name_lat="Fassi", birth_date="1999-12-31", cin="K445566", phone=None)
    )
