"""The data-quality rules: records that pass intake but that someone should look at.

Intake refuses what is wrong (``population.validation_rules``, the household checks); these rules
flag what is doubtful or incomplete, and are evaluated in two places with the same expression:
on the record being registered (the registration answers with its warnings) and in batch over
the stored registry (``quality.violations``). Each predicate is a polars expression over the
entity's frame and is true where the rule is broken.

Person frame columns: ``age`` (in whole years, from the birth year), ``phone``, ``cin``,
``nationality``, ``birth_date_precision``, the four name columns and ``given_key_count`` (persons
of the register carrying this given name's key, the person included). Household frame columns:
``members``, ``deceased_members``, ``members_elsewhere`` (members whose register residence is
another annex) and ``last_declared_on``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from sijill.errors import Text

ADULT_AGE = 18
# The RSU asks households to update their declaration; two years is Cadastro Único's cycle.
STALE_MONTHS = 24
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class DataRule:
    code: str
    entity: str  # person, household
    severity: str  # error, warning, info
    message: Text
    fix: Text
    # today -> an expression true where the rule is broken
    broken: Callable[[date], pl.Expr]


def _adult() -> pl.Expr:
    return pl.col("age") >= ADULT_AGE


def _stale(today: date) -> pl.Expr:
    return pl.col("last_declared_on") < pl.lit(today).dt.offset_by(f"-{STALE_MONTHS}mo")


PERSON_RULES: tuple[DataRule, ...] = (
    DataRule(
        "phone_missing",
        "person",
        "warning",
        Text(
            "راشد بدون رقم هاتف: لن تصله رسائل القرارات",
            "adulte sans téléphone : il ne recevra pas les SMS des décisions",
            "adult without a phone: decision text messages cannot reach them",
        ),
        Text(
            "اسألوا عن رقم هاتف الشخص أو أحد أقاربه",
            "demandez le numéro de la personne ou d'un proche",
            "ask for the person's or a relative's number",
        ),
        lambda _: _adult() & pl.col("phone").is_null(),
    ),
    DataRule(
        "cin_missing",
        "person",
        "warning",
        Text(
            "مواطن راشد بدون رقم البطاقة الوطنية",
            "citoyen adulte sans numéro de CIN",
            "adult citizen without a CIN number",
        ),
        Text(
            "انقلوا رقم البطاقة الوطنية من البطاقة نفسها",
            "recopiez le numéro figurant sur la carte",
            "copy the number from the card",
        ),
        lambda _: _adult() & (pl.col("nationality") == "MAR") & pl.col("cin").is_null(),
    ),
    DataRule(
        "given_name_rare",
        "person",
        "warning",
        Text(
            "اسم شخصي لا يحمله أي شخص آخر في السجل: قد يكون خطأ في الكتابة",
            "prénom porté par personne d'autre au registre : peut-être une faute de frappe",
            "a given name no one else in the register carries: perhaps a typing error",
        ),
        Text(
            "تحققوا من كتابة الاسم في وثيقة الهوية",
            "vérifiez l'orthographe sur la pièce d'identité",
            "check the spelling on the identity document",
        ),
        lambda _: pl.col("given_key_count") == 1,
    ),
    DataRule(
        "birth_date_not_exact",
        "person",
        "info",
        Text(
            "تاريخ الازدياد غير دقيق (السنة وحدها أو تاريخ مفترض): مقارنة التكرار أضعف",
            "date de naissance inexacte (année seule ou présumée) : la recherche de doublons est moins sûre",
            "birth date not exact (year only or presumed): duplicate checks are weaker",
        ),
        Text(
            "أدخلوا التاريخ الكامل إذا ظهر في وثيقة",
            "saisissez la date complète si un document la porte",
            "enter the full date if a document shows it",
        ),
        lambda _: pl.col("birth_date_precision") != "day",
    ),
    DataRule(
        "one_script_only",
        "person",
        "info",
        Text(
            "الاسم مكتوب بخط واحد فقط: الربط مع السجلات الأخرى أضعف",
            "nom écrit dans une seule écriture : le rapprochement avec les autres registres est moins sûr",
            "name written in one script only: linking with other registers is weaker",
        ),
        Text(
            "أضيفوا الاسم بالعربية وبالحروف اللاتينية كما في البطاقة",
            "ajoutez le nom en arabe et en lettres latines, comme sur la carte",
            "add the name in Arabic and Latin script, as on the card",
        ),
        lambda _: (
            (pl.col("given_name_ar").is_null() & pl.col("family_name_ar").is_null())
            | (pl.col("given_name_lat").is_null() & pl.col("family_name_lat").is_null())
        ),
    ),
)

HOUSEHOLD_RULES: tuple[DataRule, ...] = (
    DataRule(
        "deceased_member",
        "household",
        "error",
        Text(
            "فرد متوفى ما زال ضمن أفراد الأسرة",
            "un membre décédé figure encore dans le ménage",
            "a deceased member is still listed in the household",
        ),
        Text(
            "حينوا تصريح الأسرة بحذف الفرد المتوفى",
            "mettez à jour la déclaration en retirant le membre décédé",
            "update the declaration, removing the deceased member",
        ),
        lambda _: pl.col("deceased_members") > 0,
    ),
    DataRule(
        "declaration_stale",
        "household",
        "warning",
        Text(
            f"آخر تصريح للأسرة يعود لأكثر من {STALE_MONTHS} شهرا",
            f"la dernière déclaration du ménage date de plus de {STALE_MONTHS} mois",
            f"the household's last declaration is more than {STALE_MONTHS} months old",
        ),
        Text(
            "ادعوا الأسرة إلى تحيين تصريحها",
            "invitez le ménage à mettre sa déclaration à jour",
            "invite the household to update its declaration",
        ),
        _stale,
    ),
    DataRule(
        "member_resides_elsewhere",
        "household",
        "info",
        Text(
            "فرد من الأسرة مسجل في السجل الوطني بعنوان ملحقة أخرى",
            "un membre est inscrit au RNP dans une autre annexe",
            "a member's RNP residence is another annex",
        ),
        Text(
            "صححوا محل الإقامة في السجل الوطني أو في تصريح الأسرة",
            "corrigez la résidence au RNP ou dans la déclaration du ménage",
            "correct the residence in the RNP or in the household's declaration",
        ),
        lambda _: pl.col("members_elsewhere") > 0,
    ),
)

RULES: dict[str, DataRule] = {rule.code: rule for rule in (*PERSON_RULES, *HOUSEHOLD_RULES)}


def broken_rules(frame: pl.DataFrame, rules: tuple[DataRule, ...], today: date, key: str) -> pl.DataFrame:
    """One row per (``key``, rule) broken in ``frame``: ``key``, ``rule``, ``severity``."""
    found = [
        frame.filter(rule.broken(today).fill_null(False)).select(
            key, pl.lit(rule.code).alias("rule"), pl.lit(rule.severity).alias("severity")
        )
        for rule in rules
    ]
    if not found:
        return pl.DataFrame(schema={key: frame.schema[key], "rule": pl.String(), "severity": pl.String()})
    return pl.concat(found)


def age_expr(today: date) -> pl.Expr:
    """Age in whole years from the birth year: the precision every record has."""
    return pl.lit(today.year) - pl.col("birth_year")
