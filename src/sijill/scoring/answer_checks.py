"""Every problem in a household's answers, checked against its questionnaire, in Arabic and French.

One household or a whole load is checked by the same Polars expressions: a required answer missing,
a category the form does not have, a value out of range, and the questionnaire's consistency checks
(e.g. spending on electricity without a connection). Each problem names the field, the value and
the rule, so an agent can fix the form in one pass instead of one error at a time.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sijill.errors import SijillError, Text
from sijill.scoring.derive import KEY
from sijill.scoring.questionnaire import MILIEUS, REGISTER_MEMBER_FIELDS, Bound, Check, Question, Questionnaire

PROBLEM_SCHEMA = {
    KEY: pl.Int64,
    "field": pl.String,
    "value": pl.String,
    "rule": pl.String,
    "ar": pl.String,
    "fr": pl.String,
}


def _problems(frame: pl.DataFrame, bad: pl.Expr, field: str, rule: str, text: Text) -> pl.DataFrame:
    value = pl.col(field).cast(pl.String) if field in frame.columns else pl.lit(None, pl.String)
    return frame.filter(bad.fill_null(False)).select(
        pl.col(KEY).cast(pl.Int64),
        pl.lit(field).alias("field"),
        value.alias("value"),
        pl.lit(rule).alias("rule"),
        pl.lit(text.ar).alias("ar"),
        pl.lit(text.fr).alias("fr"),
    )


def _question_problems(frame: pl.DataFrame, question: Question) -> list[pl.DataFrame]:
    name = question.name
    label = question.label
    if name not in frame.columns:
        if question.optional:
            return []
        text = Text(f"الجواب عن «{label.ar}» ناقص", f"Réponse manquante : « {label.fr} »", f"{name} missing")
        return [_problems(frame, pl.lit(True), name, "required", text)]
    column = pl.col(name)
    found: list[pl.DataFrame] = []
    if not question.optional:
        text = Text(f"الجواب عن «{label.ar}» ناقص", f"Réponse manquante : « {label.fr} »", f"{name} missing")
        found.append(_problems(frame, column.is_null(), name, "required", text))
    if question.kind == "category":
        allowed = ", ".join(question.categories)
        text = Text(
            f"«{label.ar}»: قيمة غير موجودة في الاستمارة؛ المقبول: {allowed}",
            f"« {label.fr} » : valeur absente du questionnaire ; admises : {allowed}",
            f"{name}: not one of {allowed}",
        )
        bad = column.is_not_null() & ~column.cast(pl.String).is_in(list(question.categories))
        found.append(_problems(frame, bad, name, "unknown_category", text))
    elif question.kind in ("integer", "number"):
        low = question.minimum
        high = question.maximum
        bounds = f"[{_fmt(low)}, {_fmt(high)}]"
        text = Text(
            f"«{label.ar}» خارج المجال المقبول {bounds}",
            f"« {label.fr} » hors de l'intervalle admis {bounds}",
            f"{name} outside {bounds}",
        )
        number = column.cast(pl.Float64, strict=False)
        bad = pl.lit(False)
        if low is not None:
            bad = bad | (number < low)
        if high is not None:
            bad = bad | (number > high)
        found.append(_problems(frame, bad, name, "out_of_range", text))
    return found


def _fmt(value: float | None) -> str:
    if value is None:
        return "…"
    return str(int(value)) if value == int(value) else str(value)


def _bound_holds(name: str, bound: Bound) -> pl.Expr:
    other = pl.col(bound.value) if isinstance(bound.value, str) else pl.lit(bound.value)
    column = pl.col(name)
    if bound.op == "at_least":
        return column >= other
    if bound.op == "at_most":
        return column <= other
    return column == other


def _check_problems(frame: pl.DataFrame, check: Check) -> list[pl.DataFrame]:
    applies = pl.lit(True)
    for name, values in check.when:
        applies = applies & pl.col(name).cast(pl.String).is_in([str(v) for v in values])
    found = []
    for name, bound in check.require:
        failed = applies & ~_bound_holds(name, bound)
        found.append(_problems(frame, failed, name, check.id, check.message))
    return found


def answer_problems(features: pl.DataFrame, questionnaire: Questionnaire) -> pl.DataFrame:
    """One row per problem (`key`, `field`, `value`, `rule`, `ar`, `fr`); empty when all is well.

    `features` holds answers and computed variables (`scoring.derive.derive_features`) with categories
    as text, a `key` and a `milieu`.
    """
    parts: list[pl.DataFrame] = [pl.DataFrame(schema=PROBLEM_SCHEMA)]
    unknown = features.filter(~pl.col("milieu").is_in(list(MILIEUS)))
    milieu_text = Text("الوسط: حضري أو قروي", "Milieu : urbain ou rural", "milieu must be urban or rural")
    parts.append(_problems(unknown, pl.lit(True), "milieu", "unknown_category", milieu_text))
    for milieu in MILIEUS:
        rows = features.filter(pl.col("milieu") == milieu)
        if rows.height == 0:
            continue
        # An answer left out is a missing answer: the column must exist for the checks that read it.
        expected = [q.name for q in [*questionnaire.variables_for(milieu), *questionnaire.answers_for(milieu)]]
        rows = rows.with_columns(
            pl.lit(None).alias(name) for name in dict.fromkeys(expected) if name not in rows.columns
        )
        bounded = [q for q in questionnaire.variables_for(milieu) if q.derive is not None and q.minimum is not None]
        for question in [*questionnaire.answers_for(milieu), *bounded]:
            parts.extend(_question_problems(rows, question))
        for check in questionnaire.checks_for(milieu):
            parts.extend(_check_problems(rows, check))
    return pl.concat(parts).sort(KEY, maintain_order=True)


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "category": (str,),
}


def type_problems(values: dict[str, Any], questions: dict[str, Question], where: str) -> list[dict[str, Any]]:
    """Values of the wrong type or for no question, before they reach a typed frame (online input)."""
    found = []
    for name, value in values.items():
        question = questions.get(name)
        if question is None:
            found.append(
                {
                    "field": f"{where}{name}",
                    "value": value,
                    "rule": "unknown_question",
                    "ar": f"سؤال غير موجود في الاستمارة: {name}",
                    "fr": f"Question absente du questionnaire : {name}",
                }
            )
            continue
        if value is None:
            continue
        wrong_bool = isinstance(value, bool) and question.kind != "boolean"
        if wrong_bool or not isinstance(value, _PYTHON_TYPES[question.kind]):
            found.append(
                {
                    "field": f"{where}{name}",
                    "value": value,
                    "rule": f"type_{question.kind}",
                    "ar": f"«{question.label.ar}»: نوع القيمة غير صحيح",
                    "fr": f"« {question.label.fr} » : type de valeur incorrect",
                }
            )
    return found


def invalid_declaration(problems: list[dict[str, Any]]) -> SijillError:
    """The one error for a refused form: every problem listed, nothing written."""
    count = len(problems)
    return SijillError(
        code="declaration_invalid",
        status=422,
        message=Text(
            f"الاستمارة تتضمن {count} خطأ",
            f"Le formulaire contient {count} erreur(s)",
            f"the declaration has {count} problem(s)",
        ),
        fix=Text(
            "صححوا كل خطأ مذكور ثم أعيدوا الإرسال",
            "Corrigez chaque erreur listée puis renvoyez",
            "fix each problem listed and submit again",
        ),
        details=problems,
    )


def member_problems(members: pl.DataFrame, questionnaire: Questionnaire) -> pl.DataFrame:
    """Problems in the member answers; `key` is then the member's position in the list."""
    parts: list[pl.DataFrame] = [pl.DataFrame(schema=PROBLEM_SCHEMA)]
    for question in questionnaire.member_fields.values():
        parts.extend(_question_problems(members, question))
    return pl.concat(parts)


def check_form(
    answers: dict[str, Any], members: list[dict[str, Any]], milieu: str, questionnaire: Questionnaire
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Every problem of one household's form (details for `invalid_declaration`), and, when there is
    none, its answers with the variables computed from the members: derived once, used for both."""
    from sijill.scoring.derive import features_of_one

    asked = {q.name: q for q in questionnaire.answers_for(milieu)} if milieu in MILIEUS else {}
    found = type_problems(answers, asked, "answers.")
    for index, member in enumerate(members):
        # Sex, age and who declares come from the register, not from the form.
        asked_of_member = {k: v for k, v in member.items() if k not in ("is_declarant", *REGISTER_MEMBER_FIELDS)}
        found += type_problems(asked_of_member, questionnaire.member_fields, f"members.{index}.")
    if found:
        return found, None
    if members:
        frame = pl.DataFrame(members, infer_schema_length=None).with_row_index(KEY)
        for row in member_problems(frame, questionnaire).iter_rows(named=True):
            found.append({**row, "field": f"members.{row[KEY]}.{row['field']}", KEY: None})
    if found:
        # Variables computed from members that are wrong would only repeat these problems.
        return [{k: v for k, v in problem.items() if k != KEY} for problem in found], None
    features = features_of_one(answers, members, questionnaire) if members else dict(answers)
    frame = pl.DataFrame([{KEY: 0, "milieu": milieu, **features}], infer_schema_length=None)
    for row in answer_problems(frame, questionnaire).iter_rows(named=True):
        found.append({**row, "field": f"answers.{row['field']}", KEY: None})
    problems = [{k: v for k, v in problem.items() if k != KEY} for problem in found]
    return problems, (None if problems else features)
