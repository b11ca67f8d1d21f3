"""Programme rule files (`rules/programmes/*.yaml`): read, checked, and found by date.

A file that tests an unknown field or category, names an unknown registry, uses a reason code
without its text, or is in force on the same day as another version of the same programme is
refused when loaded, with the file and line at fault, in Arabic and French.
"""

from __future__ import annotations

import itertools
from datetime import date
from functools import cache
from pathlib import Path

from sijill.errors import SijillError, Text
from sijill.programmes.rule_types import (
    KINDS,
    NUMBER_FIELDS,
    PERIODS,
    RANK,
    REGISTER_FIELDS,
    Amount,
    Bracket,
    Condition,
    DeclarantCondition,
    Entitlement,
    FieldTest,
    IndexCondition,
    Kind,
    Line,
    MembersCondition,
    MemberTest,
    NoLinksCondition,
    Period,
    ProgrammeRule,
    ResidenceCondition,
)
from sijill.rules_files import RuleDocument, RuleFileError, Where, parse_rule_text, read_rule_file, rule_files
from sijill.scoring.questionnaire import MILIEUS, shipped_questionnaires
from sijill.territory.reference import regions

# Reason a programme gives, by itself, when the household has no index for the model used.
NO_INDEX = "no_index"
NO_INDEX_TEXT = Text(
    "لا يمكن البت: لا يوجد مؤشر لهذه الأسرة بالنموذج المعمول به",
    "Décision impossible : pas d'indice pour ce ménage avec le modèle en vigueur",
    "not decidable: the household has no index for the model in force",
)
_CONDITION_KEYS = {"index", "residence", "declarant", "members", "no_links"}


def _problem(ar: str, fr: str, en: str) -> Text:
    return Text(ar=ar, fr=fr, en=en)


def _unknown(
    doc: RuleDocument, where: Where, what_en: str, what_fr: str, what_ar: str, value: object, known: list[str]
) -> RuleFileError:
    names = ", ".join(known)
    return doc.error(
        where,
        _problem(
            f"{what_ar} غير معروف: {value}؛ المعروف: {names}",
            f"{what_fr} inconnu : {value} ; connus : {names}",
            f"unknown {what_en} {value!r}; known: {names}",
        ),
    )


@cache
def member_fields() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each field a member test may name: its kind and, for categories, the allowed values."""
    fields: dict[str, tuple[str, tuple[str, ...]]] = {}
    for questionnaire in shipped_questionnaires().values():
        for name, question in questionnaire.member_fields.items():
            fields[name] = (question.kind, tuple(question.categories))
    fields.update({name: ("category", values) for name, values in REGISTER_FIELDS.items()})
    fields.update({name: ("integer", ()) for name in NUMBER_FIELDS})
    return fields


def _bracket(doc: RuleDocument, where: Where) -> Bracket:
    doc.only_keys(where, {"above", "at_most"})
    given = doc.mapping(where)
    if not given:
        raise doc.error(where, _problem("حد ناقص", "borne manquante", "give above, at_most or both"))
    above = doc.number((*where, "above")) if "above" in given else None
    at_most = doc.number((*where, "at_most")) if "at_most" in given else None
    if above is not None and at_most is not None and at_most <= above:
        raise doc.error(
            (*where, "at_most"),
            _problem("الحد الأعلى أصغر من الحد الأدنى", "borne haute inférieure à la borne basse", "at_most <= above"),
        )
    return Bracket(above=above, at_most=at_most)


def _field_test(doc: RuleDocument, where: Where, name: str, allow_rank: bool) -> FieldTest:
    fields = member_fields()
    categories: tuple[str, ...] = ()
    if name == RANK and allow_rank:
        kind = "integer"
    elif name not in fields:
        known = sorted([*fields, *([RANK] if allow_rank else [])])
        raise _unknown(doc, where, "member field", "champ de membre", "حقل العضو", name, known)
    else:
        kind, categories = fields[name]
    value = doc.at(where)
    if kind in ("integer", "number"):
        if not isinstance(value, dict):
            raise doc.error(
                where,
                _problem(
                    "مجال عددي {at_least, at_most}", "plage {at_least, at_most}", "a range {at_least: N, at_most: M}"
                ),
            )
        doc.only_keys(where, {"at_least", "at_most"})
        low = doc.number((*where, "at_least")) if "at_least" in value else None
        high = doc.number((*where, "at_most")) if "at_most" in value else None
        return FieldTest(name, at_least=low, at_most=high)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise doc.error(where, _problem("قيمة true أو false", "true ou false", "true or false"))
        return FieldTest(name, values=(value,))
    values = value if isinstance(value, list) else [value]
    for index, item in enumerate(values):
        if item not in categories:
            at = (*where, index) if isinstance(value, list) else where
            raise _unknown(doc, at, f"value of {name}", f"valeur de {name}", f"قيمة {name}", item, list(categories))
    return FieldTest(name, values=tuple(values))


def _member_test(doc: RuleDocument, where: Where, allow_rank: bool = False) -> MemberTest:
    given = doc.mapping(where)
    tests = tuple(_field_test(doc, (*where, k), k, allow_rank) for k in given if k != "any")
    any_of: tuple[MemberTest, ...] = ()
    if "any" in given:
        items = doc.sequence((*where, "any"))
        any_of = tuple(_member_test(doc, (*where, "any", i), allow_rank) for i in range(len(items)))
    return MemberTest(tests=tests, any_of=any_of)


def _registries(doc: RuleDocument, where: Where) -> tuple[str, ...]:
    from sijill.linkage.registries import REGISTRIES

    names = doc.sequence(where)
    for index, name in enumerate(names):
        if name not in REGISTRIES:
            raise _unknown(doc, (*where, index), "registry", "registre", "سجل", name, list(REGISTRIES))
    return tuple(names)


def _relationships(doc: RuleDocument, where: Where) -> tuple[str, ...]:
    allowed = member_fields()["relationship"][1]
    names = doc.sequence(where)
    for index, name in enumerate(names):
        if name not in allowed:
            raise _unknown(doc, (*where, index), "relationship", "lien", "صلة", name, list(allowed))
    return tuple(names)


def _condition(doc: RuleDocument, where: Where) -> Condition:
    given = doc.mapping(where)
    kinds = [k for k in given if k != "reason"]
    if len(kinds) != 1 or kinds[0] not in _CONDITION_KEYS:
        raise doc.error(
            where,
            _problem(
                f"كل شرط يحمل نوعا واحدا من: {', '.join(sorted(_CONDITION_KEYS))} وسببا (reason)",
                f"chaque condition porte un seul type parmi {', '.join(sorted(_CONDITION_KEYS))} et un motif (reason)",
                f"each condition has exactly one of {', '.join(sorted(_CONDITION_KEYS))} and a reason",
            ),
        )
    kind = kinds[0]
    reason = doc.string((*where, "reason"))
    at = (*where, kind)
    line = doc.line(where)
    if kind == "index":
        return IndexCondition(_bracket(doc, at), reason, line)
    if kind == "residence":
        doc.only_keys(at, {"milieu", "regions"})
        body = doc.mapping(at)
        milieus = tuple(doc.sequence((*at, "milieu"))) if "milieu" in body else None
        for index, milieu in enumerate(milieus or ()):
            if milieu not in MILIEUS:
                raise _unknown(doc, (*at, "milieu", index), "milieu", "milieu", "وسط", milieu, list(MILIEUS))
        codes = tuple(str(c) for c in doc.sequence((*at, "regions"))) if "regions" in body else None
        known = sorted(unit.code for unit in regions())
        for index, code in enumerate(codes or ()):
            if code not in known:
                raise _unknown(doc, (*at, "regions", index), "region", "région", "جهة", code, known)
        return ResidenceCondition(milieus, codes, reason, line)
    if kind == "declarant":
        return DeclarantCondition(_member_test(doc, at), reason, line)
    if kind == "members":
        doc.only_keys(at, {"where", "at_least", "at_most"})
        body = doc.mapping(at)
        low = int(doc.number((*at, "at_least"))) if "at_least" in body else None
        high = int(doc.number((*at, "at_most"))) if "at_most" in body else None
        if low is None and high is None:
            raise doc.error(
                at, _problem("at_least أو at_most ناقص", "at_least ou at_most manque", "give at_least, at_most or both")
            )
        return MembersCondition(_member_test(doc, (*at, "where")), low, high, reason, line)
    doc.only_keys(at, {"registries", "members"})
    body = doc.mapping(at)
    relationships = _relationships(doc, (*at, "members")) if "members" in body else None
    return NoLinksCondition(_registries(doc, (*at, "registries")), relationships, reason, line)


def _period(doc: RuleDocument, where: Where) -> Period:
    value = doc.string(where)
    for period in PERIODS:
        if value == period:
            return period
    raise _unknown(doc, where, "period", "période", "مدة", value, list(PERIODS))


def _amount(doc: RuleDocument, where: Where) -> Amount:
    doc.only_keys(where, {"when", "amount"})
    body = doc.mapping(where)
    when = _member_test(doc, (*where, "when"), allow_rank=True) if "when" in body else None
    value = doc.at((*where, "amount"))
    if isinstance(value, dict):
        doc.only_keys((*where, "amount"), set(MILIEUS))
        by_milieu = {m: doc.number((*where, "amount", m)) for m in MILIEUS}
        return Amount(when=when, by_milieu=by_milieu)
    return Amount(when=when, amount=doc.number((*where, "amount")))


def _line(doc: RuleDocument, where: Where, default_period: Period) -> Line:
    doc.only_keys(where, {"id", "label", "members", "rank", "amounts", "period"})
    body = doc.mapping(where)
    among: MemberTest | None = None
    at_most: int | None = None
    if "rank" in body:
        doc.only_keys((*where, "rank"), {"among", "at_most"})
        rank = doc.mapping((*where, "rank"))
        among = _member_test(doc, (*where, "rank", "among")) if "among" in rank else None
        at_most = int(doc.number((*where, "rank", "at_most"))) if "at_most" in rank else None
    amounts = doc.sequence((*where, "amounts"))
    return Line(
        id=doc.string((*where, "id")),
        label=Text(
            ar=doc.string((*where, "label", "ar")),
            fr=doc.string((*where, "label", "fr")),
            en=doc.string((*where, "id")),
        ),
        members=_member_test(doc, (*where, "members")),
        amounts=tuple(_amount(doc, (*where, "amounts", i)) for i in range(len(amounts))),
        period=_period(doc, (*where, "period")) if "period" in body else default_period,
        rank_among=among,
        rank_at_most=at_most,
    )


def _entitlement(doc: RuleDocument, where: Where) -> Entitlement:
    doc.only_keys(where, {"period", "lines", "by_index", "without_lines", "floor", "cap"})
    body = doc.mapping(where)
    period = _period(doc, (*where, "period"))
    lines = tuple(_line(doc, (*where, "lines", i), period) for i in range(len(body.get("lines") or [])))
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.id in seen:
            raise doc.error(
                (*where, "lines", index),
                _problem(f"سطر مكرر: {line.id}", f"ligne en double : {line.id}", f"line {line.id} appears twice"),
            )
        seen.add(line.id)
    brackets: list[tuple[Bracket, float]] = []
    for index, _ in enumerate(body.get("by_index") or []):
        at = (*where, "by_index", index)
        doc.only_keys(at, {"above", "at_most", "amount"})
        bounds = {k: v for k, v in doc.mapping(at).items() if k != "amount"}
        bracket = Bracket(
            above=doc.number((*at, "above")) if "above" in bounds else None,
            at_most=doc.number((*at, "at_most")) if "at_most" in bounds else None,
        )
        brackets.append((bracket, doc.number((*at, "amount"))))
    for index, ((earlier, _), (later, _)) in enumerate(itertools.pairwise(brackets)):
        if earlier.at_most is None or later.above != earlier.at_most:
            raise doc.error(
                (*where, "by_index", index + 1),
                _problem(
                    "الشرائح يجب أن تتتابع دون فجوة أو تداخل",
                    "les tranches doivent se suivre sans trou ni chevauchement",
                    "brackets must follow each other: each one's above is the previous one's at_most",
                ),
            )

    def optional(key: str) -> float | None:
        return doc.number((*where, key)) if key in body else None

    return Entitlement(
        period=period,
        lines=lines,
        by_index=tuple(brackets),
        without_lines=optional("without_lines"),
        floor=optional("floor"),
        cap=optional("cap"),
    )


def _kind(doc: RuleDocument) -> Kind:
    value = doc.string(("kind",))
    for kind in KINDS:
        if value == kind:
            return kind
    raise _unknown(doc, ("kind",), "kind", "type", "نوع", value, list(KINDS))


def parse_rule(doc: RuleDocument) -> ProgrammeRule:
    doc.only_keys(
        (),
        {
            "id",
            "version",
            "effective_from",
            "effective_to",
            "status",
            "source",
            "name",
            "kind",
            "eligible_when",
            "entitlement",
            "reasons",
        },
    )
    doc.identifiers("id", "version")
    doc.only_keys(("eligible_when",), {"all"})
    items = doc.sequence(("eligible_when", "all"))
    conditions = tuple(_condition(doc, ("eligible_when", "all", i)) for i in range(len(items)))
    reasons_given = doc.mapping(("reasons",))
    reasons = {
        str(code): Text(ar=doc.string(("reasons", code, "ar")), fr=doc.string(("reasons", code, "fr")), en=str(code))
        for code in reasons_given
    }
    for index, condition in enumerate(conditions):
        if condition.reason not in reasons:
            raise doc.error(
                ("eligible_when", "all", index, "reason"),
                _problem(
                    f"السبب {condition.reason} بلا نص في reasons",
                    f"le motif {condition.reason} n'a pas de texte dans reasons",
                    f"reason {condition.reason} has no text under reasons",
                ),
            )
    start, end = doc.validity()
    return ProgrammeRule(
        id=doc.string(("id",)),
        version=str(doc.at(("version",))),
        effective_from=start,
        effective_to=end,
        status=str(doc.get(("status",), "official")),
        source=doc.string(("source",)),
        name=Text(ar=doc.string(("name", "ar")), fr=doc.string(("name", "fr")), en=doc.string(("id",))),
        kind=_kind(doc),
        conditions=conditions,
        entitlement=_entitlement(doc, ("entitlement",)) if doc.get(("entitlement",)) is not None else None,
        reasons=reasons,
        path=doc.path,
    )


def check_no_overlap(rules: list[ProgrammeRule]) -> None:
    """Two versions of one programme may not be in force on the same day."""
    for earlier, later in itertools.pairwise(sorted(rules, key=lambda r: (r.id, r.effective_from))):
        if earlier.id != later.id:
            continue
        if (
            earlier.version == later.version
            or earlier.effective_to is None
            or earlier.effective_to > later.effective_from
        ):
            en = f"in force from {later.effective_from} while {earlier.ref} ({earlier.path}) is still in force"
            raise read_rule_file(later.path).error(
                ("effective_from",),
                _problem(
                    "فترة سريان متداخلة مع نسخة أخرى من البرنامج نفسه: " + en,
                    "période de validité chevauchant une autre version du même programme : " + en,
                    en,
                ),
            )


def load_rule_text(text: str, name: str) -> ProgrammeRule:
    return parse_rule(parse_rule_text(text, name))


def load_rules(paths: list[Path]) -> dict[str, ProgrammeRule]:
    rules = [parse_rule(read_rule_file(path)) for path in paths]
    check_no_overlap(rules)
    return {rule.ref: rule for rule in rules}


@cache
def shipped_rules() -> dict[str, ProgrammeRule]:
    """Every rule under rules/programmes, read and checked once per process."""
    return load_rules(list(rule_files("programmes")))


def programme_ids(rules: dict[str, ProgrammeRule]) -> list[str]:
    return sorted({rule.id for rule in rules.values()})


def _not_found(code: str, field: str, value: str, message: Text, fix: Text) -> SijillError:
    return SijillError(code=code, status=422, field=field, value=value, message=message, fix=fix)


def rule_in_force(rules: dict[str, ProgrammeRule], programme: str, day: date) -> ProgrammeRule:
    """The version of ``programme`` in force on ``day``; a clear error for an unknown programme or
    a day no version covers."""
    known = programme_ids(rules)
    if programme not in known:
        raise _not_found(
            "unknown_programme",
            "programme",
            programme,
            Text(
                f"برنامج غير معروف: {programme}", f"Programme inconnu : {programme}", f"unknown programme {programme}"
            ),
            Text(
                f"البرامج المعروفة: {', '.join(known)}",
                f"Programmes connus : {', '.join(known)}",
                f"known programmes: {', '.join(known)}",
            ),
        )
    for rule in rules.values():
        if rule.id == programme and rule.in_force_on(day):
            return rule
    raise _not_found(
        "no_rule_in_force",
        "as_of",
        str(day),
        Text(
            f"لا توجد قاعدة سارية للبرنامج {programme} في {day}",
            f"Aucune règle du programme {programme} en vigueur le {day}",
            f"no rule of {programme} in force on {day}",
        ),
        Text(
            "اختاروا تاريخا آخر أو أضيفوا نسخة من القاعدة",
            "Choisissez une autre date ou ajoutez une version",
            "choose another date or add a rule version covering it",
        ),
    )


def rules_in_force(rules: dict[str, ProgrammeRule], day: date, programme: str | None = None) -> list[ProgrammeRule]:
    """One rule per programme in force on ``day`` (or only ``programme``'s)."""
    if programme is not None:
        return [rule_in_force(rules, programme, day)]
    return [r for r in sorted(rules.values(), key=lambda r: r.id) if r.in_force_on(day)]


def reason_text(rule: ProgrammeRule, code: str) -> Text:
    return NO_INDEX_TEXT if code == NO_INDEX else rule.reasons[code]
