"""One household's decisions, computed now by the same rules and expressions as a national run."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.errors import SijillError, Text
from sijill.population.models import Person
from sijill.programmes.decide import Decisions, codes, decide
from sijill.programmes.inputs import Inputs, read_inputs
from sijill.programmes.rule_types import ProgrammeRule
from sijill.programmes.rules import reason_text, rules_in_force, shipped_rules
from sijill.programmes.schemas import DecisionOut, ExclusionOut, Label, LineOut, MemberFactsOut, ReasonOut
from sijill.programmes.service import model_ref
from sijill.social_registry.service import scoped_household

_HOUSEHOLD_LINES = {
    "without_lines": Text(
        "مبلغ جزافي لأسرة بلا طفل في السن المحددة", "Montant forfaitaire (aucun enfant dans l'âge)", "flat amount"
    ),
    "floor": Text("تكملة إلى الحد الأدنى للأسرة", "Complément jusqu'au minimum par ménage", "floor"),
    "cap": Text("تخفيض إلى السقف", "Réduction au plafond", "cap"),
    "index_bracket": Text("مبلغ حسب شريحة المؤشر", "Montant selon la tranche d'indice", "index bracket"),
}


_FACTS = [name for name in MemberFactsOut.model_fields if name != "idcs"]


def _label(text: Text) -> Label:
    return Label(ar=text.ar, fr=text.fr)


def _line_label(rule: ProgrammeRule, line_id: str) -> Label:
    if line_id in _HOUSEHOLD_LINES:
        return _label(_HOUSEHOLD_LINES[line_id])
    lines = rule.entitlement.lines if rule.entitlement else ()
    return _label(next(line.label for line in lines if line.id == line_id))


def _decision_out(rule: ProgrammeRule, inputs: Inputs, result: Decisions, idcs: dict[int, str]) -> DecisionOut:
    decision = result.decisions.row(0, named=True)
    members = inputs.members.sort("born", "person_id")
    return DecisionOut(
        programme=rule.id,
        name=_label(rule.name),
        rule=rule.ref,
        rule_status=rule.status,
        kind=rule.kind,
        as_of=inputs.as_of,
        model=inputs.model,
        status=decision["status"],
        reasons=[ReasonOut(code=c, text=_label(reason_text(rule, c))) for c in codes(decision["reasons"])],
        index=decision["index"],
        period=rule.entitlement.period if rule.entitlement else None,
        amount=decision.get("amount"),
        amount_once=decision.get("amount_once"),
        lines=[
            LineOut(
                line=row["line"],
                label=_line_label(rule, row["line"]),
                idcs=idcs.get(row["person_id"]) if row["person_id"] is not None else None,
                rank=row["rank"],
                amount=row["amount"],
                period=row["period"],
            )
            for row in result.lines.iter_rows(named=True)
        ],
        exclusions=[
            ExclusionOut(reason=row["reason"], idcs=idcs[row["person_id"]], registry=row["registry"])
            for row in result.evidence.unique(["reason", "person_id", "registry"]).iter_rows(named=True)
        ],
        members=[
            MemberFactsOut(
                idcs=idcs[row["person_id"]], **{k: row[k] for k in MemberFactsOut.model_fields if k != "idcs"}
            )
            for row in members.iter_rows(named=True)
        ],
    )


def household_eligibility(
    session: Session,
    actor: Actor,
    number: str,
    *,
    as_of: date | None = None,
    programme: str | None = None,
    model: str | None = None,
) -> list[DecisionOut]:
    """The household's decision for each programme in force on ``as_of`` (today by default)."""
    actor.require(Permission.ELIGIBILITY_READ)
    household = scoped_household(session, actor, number)
    day = as_of or date.today()
    rules = rules_in_force(shipped_rules(), day, programme)
    inputs = read_inputs(session.connection(), as_of=day, model=model_ref(day, model), household_ids=[household.id])
    if inputs.households.height == 0:
        raise SijillError(
            code="not_declared_yet",
            status=422,
            field="as_of",
            value=day.isoformat(),
            message=Text(
                f"لم يكن للأسرة أي تصريح في {day}",
                f"Le ménage n'avait aucune déclaration le {day}",
                f"the household had no declaration on {day}",
            ),
            fix=Text(
                "اختاروا تاريخا بعد تصريحها الأول",
                "Choisissez une date après sa première déclaration",
                "choose a day after its first declaration",
            ),
        )
    person_ids = inputs.members.get_column("person_id").to_list()
    rows = session.execute(select(Person.id, Person.idcs).where(Person.id.in_(person_ids))).all()
    idcs = {person_id: number for person_id, number in rows}
    out = [
        _decision_out(rule, inputs, decide(rule, inputs.households, inputs.members, inputs.links), idcs)
        for rule in rules
    ]
    audit.record(
        session,
        actor,
        "eligibility.read",
        "household",
        household.number,
        household.annex_code,
        {"as_of": day.isoformat(), "programmes": [d.rule for d in out]},
    )
    return out
