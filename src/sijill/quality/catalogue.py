"""The catalogue of data rules: every rule the system applies, with its code, severity, where it
runs and its message in Arabic, French and English.

The messages are not written twice: they come from the rules themselves (the register's intake
rules, the questionnaire's checks, the data-quality rules). Household membership rules carry a
specific message at intake (the other household's number, the declarant's age); the catalogue
gives their general statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sijill.errors import Text
from sijill.population.validation_rules import RULES as PERSON_INTAKE_RULES
from sijill.population.validation_rules import rule_texts
from sijill.quality.data_rules import HOUSEHOLD_RULES, PERSON_RULES
from sijill.scoring.questionnaire import shipped_questionnaires

# Where a rule runs. Intake refuses (errors) or warns; batch re-checks the stored registry.
INTAKE, BATCH, BULK_LOAD = "intake", "batch", "bulk_load"

MEMBERSHIP_RULES: dict[str, tuple[Text, Text]] = {
    "member_repeated": (
        Text("فرد مذكور مرتين في الاستمارة", "membre cité deux fois dans le formulaire", "member listed twice"),
        Text("احذفوا السطر المكرر", "supprimez la ligne en double", "remove the repeated line"),
    ),
    "person_unknown": (
        Text(
            "لا يوجد شخص بهذا المعرف في السجل الوطني للسكان",
            "aucune personne de cet IDCS au RNP",
            "no person with this IDCS in the RNP",
        ),
        Text(
            "سجلوا الشخص في السجل الوطني أولا",
            "inscrivez d'abord la personne au RNP",
            "register the person in the RNP first",
        ),
    ),
    "person_merged": (
        Text("المعرف مدمج في معرف آخر", "cet IDCS a été fusionné dans un autre", "this IDCS was merged into another"),
        Text("استعملوا المعرف الباقي", "utilisez l'IDCS conservé", "use the IDCS that was kept"),
    ),
    "member_deceased": (
        Text(
            "فرد متوفى في تاريخ التصريح",
            "membre décédé à la date de la déclaration",
            "member deceased on the declaration date",
        ),
        Text("لا تدرجوا الأشخاص المتوفين", "n'incluez pas les personnes décédées", "leave deceased persons out"),
    ),
    "declarant_not_member": (
        Text(
            "المصرح ليس من أفراد الأسرة",
            "le déclarant n'est pas membre du ménage",
            "the declarant is not a member of the household",
        ),
        Text(
            "اختاروا المصرح من بين الأفراد",
            "choisissez le déclarant parmi les membres",
            "choose the declarant among the members",
        ),
    ),
    "declarant_minor": (
        Text("المصرح قاصر", "le déclarant est mineur", "the declarant is a minor"),
        Text("يصرح راشد (18 سنة فأكثر)", "un adulte (18 ans ou plus) déclare", "an adult (18 or over) declares"),
    ),
    "declarant_not_head": (
        Text("المصرح ليس رب الأسرة", "le déclarant n'est pas le chef de ménage", "the declarant is not the head"),
        Text("صلة المصرح هي «head»", "le lien du déclarant est « head »", "the declarant's relationship is head"),
    ),
    "one_head": (
        Text("للأسرة رب واحد فقط", "un seul chef par ménage", "one head per household"),
        Text("اجعلوا المصرح وحده بصفة «head»", "seul le déclarant est « head »", "only the declarant is head"),
    ),
    "member_in_other_household": (
        Text(
            "الشخص عضو في أسرة نشطة أخرى",
            "la personne est membre d'un autre ménage actif",
            "the person is a member of another active household",
        ),
        Text(
            "أخرجوه من الأسرة الأخرى أولا",
            "retirez-la d'abord de l'autre ménage",
            "remove them from the other household first",
        ),
    ),
}


# What the questionnaire's questions themselves require of an answer (answer_checks.py).
ANSWER_RULES: dict[str, Text] = {
    "required": Text(
        "جواب ناقص عن سؤال إلزامي", "réponse manquante à une question obligatoire", "a required answer is missing"
    ),
    "unknown_category": Text(
        "جواب غير موجود في لائحة الأجوبة",
        "réponse absente de la liste des réponses",
        "an answer not in the question's list",
    ),
    "out_of_range": Text(
        "جواب خارج المجال المقبول", "réponse hors de l'intervalle admis", "an answer outside the allowed range"
    ),
}


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    entity: str  # person, household
    severity: str  # error, warning, info
    runs: tuple[str, ...]
    message: Text
    fix: Text


def catalogue(today: date | None = None) -> list[CatalogueEntry]:
    """Every rule, by entity then severity then code."""
    day = today or date.today()
    texts = rule_texts(day)
    entries = [
        CatalogueEntry(code, "person", "error", (INTAKE, BULK_LOAD, BATCH), *texts[code])
        for code in PERSON_INTAKE_RULES
    ]
    entries += [
        CatalogueEntry(code, "household", "error", (INTAKE, BULK_LOAD), message, fix)
        for code, (message, fix) in MEMBERSHIP_RULES.items()
    ]
    checks: dict[str, Text] = dict(ANSWER_RULES)
    for questionnaire in shipped_questionnaires().values():
        for check in questionnaire.checks:
            checks.setdefault(check.id, check.message)
    answer_fix = Text("صححوا الجواب في الاستمارة", "corrigez la réponse du questionnaire", "correct the answer")
    entries += [
        CatalogueEntry(code, "household", "error", (INTAKE, BULK_LOAD), message, answer_fix)
        for code, message in sorted(checks.items())
    ]
    entries += [
        CatalogueEntry(
            rule.code,
            rule.entity,
            rule.severity,
            (INTAKE, BATCH) if rule.entity == "person" else (BATCH,),
            rule.message,
            rule.fix,
        )
        for rule in (*PERSON_RULES, *HOUSEHOLD_RULES)
    ]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(entries, key=lambda e: (e.entity != "person", order[e.severity], e.code))
