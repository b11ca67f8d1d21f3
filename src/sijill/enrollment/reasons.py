"""Why a file goes back to the agent: each reason's text in Arabic and French, and what to do.

Reasons the programme's rule gives (index above the threshold, another health cover...) keep the
rule file's own texts; these are the file's own.
"""

from __future__ import annotations

from datetime import date

from sijill.errors import Text
from sijill.programmes.rules import NO_INDEX, reason_text, rule_in_force, shipped_rules

REASONS: dict[str, tuple[Text, Text]] = {
    "form_invalid": (
        Text(
            "خانة في الاستمارة ناقصة أو غير صالحة",
            "Un champ du formulaire manque ou est invalide",
            "form field invalid",
        ),
        Text("صححوا الخانة المذكورة", "Corrigez le champ indiqué", "correct the field named"),
    ),
    "person_unknown": (
        Text(
            "رقم التعريف غير موجود في السجل الوطني للسكان",
            "IDCS inconnu du Registre national de la population",
            "IDCS not in the population register",
        ),
        Text(
            "تحققوا من الرقم أو سجلوا الشخص أولا",
            "Vérifiez le numéro ou inscrivez d'abord la personne au RNP",
            "check the number or register the person first",
        ),
    ),
    "person_deceased": (
        Text("الشخص متوفى حسب السجل الوطني للسكان", "La personne est décédée selon le RNP", "person is deceased"),
        Text(
            "يقدم الطلب فرد آخر من الأسرة",
            "Un autre membre du ménage doit déposer la demande",
            "another member must apply",
        ),
    ),
    "member_unknown": (
        Text(
            "فرد من الأسرة غير مسجل في السجل الوطني للسكان",
            "Un membre n'est pas inscrit au RNP",
            "a member is not in the population register",
        ),
        Text("سجلوه في السجل الوطني للسكان أولا", "Inscrivez-le d'abord au RNP", "register the member first"),
    ),
    "household_missing": (
        Text(
            "صاحب الطلب غير مسجل في أي أسرة بالسجل الاجتماعي الموحد",
            "Le demandeur ne figure dans aucun ménage du RSU",
            "applicant is in no RSU household",
        ),
        Text(
            "سجلوا الأسرة في السجل الاجتماعي الموحد ثم أعيدوا الطلب",
            "Inscrivez le ménage au RSU puis soumettez à nouveau",
            "register the household in the RSU first",
        ),
    ),
    "household_other_annex": (
        Text(
            "الأسرة مسجلة في ملحقة إدارية أخرى",
            "Le ménage est inscrit dans une autre annexe",
            "household registered in another annex",
        ),
        Text(
            "يودع الطلب في ملحقة الأسرة أو يحين عنوانها",
            "Déposez la demande à l'annexe du ménage ou mettez son adresse à jour",
            "apply at the household's annex or update its address",
        ),
    ),
    "applicant_not_head": (
        Text("صاحب الطلب ليس رب الأسرة", "Le demandeur n'est pas le chef de ménage", "applicant is not the head"),
        Text("يقدم رب الأسرة الطلب", "La demande doit être faite par le chef de ménage", "the head must apply"),
    ),
    "members_differ": (
        Text(
            "أفراد الأسرة في الاستمارة يختلفون عن آخر تصريح",
            "Les membres du formulaire diffèrent de la dernière déclaration",
            "members differ from the latest declaration",
        ),
        Text(
            "صححوا الاستمارة أو حينوا تصريح الأسرة",
            "Corrigez le formulaire ou mettez à jour la déclaration du ménage",
            "correct the form or update the declaration",
        ),
    ),
    "address_differs": (
        Text(
            "العنوان يختلف عن عنوان الأسرة المصرح به",
            "L'adresse diffère de celle déclarée pour le ménage",
            "address differs from the household's",
        ),
        Text(
            "صححوا العنوان أو حينوا تصريح الأسرة",
            "Corrigez l'adresse ou mettez à jour la déclaration",
            "correct the address or update the declaration",
        ),
    ),
    "phone_differs": (
        Text(
            "الهاتف يختلف عن هاتف المصرح بالأسرة",
            "Le téléphone diffère de celui du déclarant du ménage",
            "phone differs from the declarant's",
        ),
        Text(
            "صححوا الرقم أو حينوا هاتف المصرح",
            "Corrigez le numéro ou mettez à jour celui du déclarant",
            "correct the number or update the declarant's",
        ),
    ),
}


def reason_texts(programme: str, code: str) -> tuple[Text, Text | None]:
    """The reason's text and, for the file's own reasons, the fix."""
    if code in REASONS:
        return REASONS[code]
    rule = rule_in_force(shipped_rules(), programme, date.today())
    if code in rule.reasons or code == NO_INDEX:
        return reason_text(rule, code), None
    # An operator's own code the rules do not know: shown as given rather than hidden.
    return Text(code, code, code), None
