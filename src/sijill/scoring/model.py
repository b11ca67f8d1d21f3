"""Index models as versioned data (`rules/index-models/*.yaml`), checked against their questionnaire.

A model is an intercept, regional constants and one coefficient per term, for an urban and a rural
sub-model, with the dates it is in force and where it comes from. A file with an unknown variable, a
missing coefficient or dates that overlap another version of the same model is refused when loaded,
with the line at fault.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, cast

from sijill.errors import SijillError, Text
from sijill.rules_files import RuleDocument, RuleFileError, Where, parse_rule_text, read_rule_file, rule_files
from sijill.scoring.questionnaire import MILIEUS, Questionnaire, shipped_questionnaires
from sijill.territory.reference import regions

Transform = Literal["per_capita", "log", "log1p"]
TRANSFORMS: tuple[Transform, ...] = ("per_capita", "log", "log1p")
SIZE_VARIABLE = "household_size"


@dataclass(frozen=True)
class Term:
    variable: str
    transforms: tuple[Transform, ...] = ()
    # Numeric, integer and boolean variables: one coefficient; categories: one per category.
    coefficient: float | None = None
    coefficients: dict[str, float] | None = None
    line: int | None = None

    @property
    def label(self) -> str:
        return "(".join((*reversed(self.transforms), self.variable)) + ")" * len(self.transforms)


@dataclass(frozen=True)
class Submodel:
    milieu: str
    intercept: float
    regional: dict[str, float]
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class IndexModel:
    id: str
    version: str
    effective_from: date
    effective_to: date | None
    status: str
    source: str
    questionnaire: Questionnaire
    submodels: dict[str, Submodel]
    path: Path = field(compare=False)
    calibration: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


def region_codes() -> list[str]:
    return sorted(unit.code for unit in regions())


def _problem(ar: str, fr: str, en: str) -> Text:
    return Text(ar=ar, fr=fr, en=en)


def _term(doc: RuleDocument, where: Where, questionnaire: Questionnaire, milieu: str, coefficients: bool) -> Term:
    doc.only_keys(where, {"variable", "transform", "coefficient", "coefficients"})
    name = doc.string((*where, "variable"))
    known = {q.name for q in questionnaire.variables_for(milieu)}
    if name not in known:
        raise doc.error(
            (*where, "variable"),
            _problem(
                f"متغير غير معروف في استمارة {questionnaire.ref} ({milieu}): {name}",
                f"variable inconnue du questionnaire {questionnaire.ref} ({milieu}) : {name}",
                f"unknown variable {name!r} for {milieu} in questionnaire {questionnaire.ref}",
            ),
        )
    question = questionnaire.variables[name]
    raw = doc.get((*where, "transform"), [])
    transforms = cast(tuple[Transform, ...], tuple(raw if isinstance(raw, list) else [raw]))
    for transform in transforms:
        if transform not in TRANSFORMS:
            raise doc.error(
                (*where, "transform"),
                _problem(
                    f"تحويل غير معروف: {transform}",
                    f"transformation inconnue : {transform}",
                    f"unknown transform {transform!r}; known: {', '.join(TRANSFORMS)}",
                ),
            )
        if question.kind in ("category", "boolean"):
            raise doc.error(
                (*where, "transform"),
                _problem(
                    "لا تحويل لمتغير فئوي أو منطقي",
                    "pas de transformation pour une catégorie ou un booléen",
                    f"{name} is {question.kind}: no transform",
                ),
            )
    if "log" in transforms and (question.minimum is None or question.minimum <= 0) and "per_capita" not in transforms:
        raise doc.error(
            (*where, "transform"),
            _problem(
                f"{name} قد يكون صفرا: استعملوا log1p",
                f"{name} peut valoir zéro : utilisez log1p",
                f"{name} can be zero or less: use log1p",
            ),
        )
    if question.kind == "category":
        if not coefficients:
            return Term(name, line=doc.line(where))
        given = doc.mapping((*where, "coefficients"))
        for category in given:
            if category not in question.categories:
                raise doc.error(
                    (*where, "coefficients", category),
                    _problem(
                        f"فئة غير معروفة للمتغير {name}: {category}",
                        f"catégorie inconnue pour {name} : {category}",
                        f"unknown category {category!r} of {name}",
                    ),
                )
        for category in question.categories:
            if category not in given:
                raise doc.error(
                    (*where, "coefficients"),
                    _problem(
                        f"معامل ناقص للفئة {category} من {name}",
                        f"coefficient manquant pour la catégorie {category} de {name}",
                        f"missing coefficient for category {category!r} of {name}",
                    ),
                )
        values = {c: doc.number((*where, "coefficients", c)) for c in question.categories}
        return Term(name, coefficients=values, line=doc.line(where))
    if not coefficients:
        return Term(name, transforms=transforms, line=doc.line(where))
    if "coefficient" not in doc.mapping(where):
        raise doc.error(
            where,
            _problem(
                f"معامل ناقص للمتغير {name}", f"coefficient manquant pour {name}", f"missing coefficient for {name}"
            ),
        )
    return Term(name, transforms=transforms, coefficient=doc.number((*where, "coefficient")), line=doc.line(where))


def _submodel(doc: RuleDocument, milieu: str, questionnaire: Questionnaire, coefficients: bool) -> Submodel:
    where: Where = ("submodels", milieu)
    doc.only_keys(where, {"intercept", "regional", "terms"})
    regional: dict[str, float] = {}
    if coefficients:
        given = doc.mapping((*where, "regional"))
        regions = region_codes()
        for code in given:
            if str(code) not in regions:
                raise doc.error(
                    (*where, "regional", code),
                    _problem(f"جهة غير معروفة: {code}", f"région inconnue : {code}", f"unknown region {code!r}"),
                )
        for code in regions:
            if code not in {str(k) for k in given}:
                raise doc.error(
                    (*where, "regional"),
                    _problem(
                        f"ثابت جهوي ناقص للجهة {code}",
                        f"constante régionale manquante pour la région {code}",
                        f"missing regional constant for region {code}",
                    ),
                )
        regional = {str(code): doc.number((*where, "regional", code)) for code in given}
    terms = tuple(
        _term(doc, (*where, "terms", i), questionnaire, milieu, coefficients)
        for i, _ in enumerate(doc.sequence((*where, "terms")))
    )
    seen: set[str] = set()
    for index, term in enumerate(terms):
        if term.label in seen:
            raise doc.error(
                (*where, "terms", index),
                _problem(
                    f"حد مكرر: {term.label}", f"terme en double : {term.label}", f"term {term.label} appears twice"
                ),
            )
        seen.add(term.label)
    intercept = doc.number((*where, "intercept")) if coefficients else 0.0
    return Submodel(milieu=milieu, intercept=intercept, regional=regional, terms=terms)


def parse_model(
    doc: RuleDocument, questionnaires: dict[str, Questionnaire], *, coefficients: bool = True
) -> IndexModel:
    """A model file, or with ``coefficients=False`` a specification (terms only) for calibration."""
    doc.only_keys(
        (),
        {
            "id",
            "version",
            "effective_from",
            "effective_to",
            "status",
            "source",
            "questionnaire",
            "submodels",
            "calibration",
        },
    )
    ref = doc.string(("questionnaire",))
    if ref not in questionnaires:
        raise doc.error(
            ("questionnaire",),
            _problem(
                f"استمارة غير معروفة: {ref}",
                f"questionnaire inconnu : {ref}",
                f"unknown questionnaire {ref}; known: {', '.join(questionnaires)}",
            ),
        )
    questionnaire = questionnaires[ref]
    doc.identifiers("id", "version")
    doc.only_keys(("submodels",), set(MILIEUS))
    submodels = {m: _submodel(doc, m, questionnaire, coefficients) for m in MILIEUS}
    start, end = doc.validity(None if coefficients else date.min)
    return IndexModel(
        id=doc.string(("id",)),
        version=str(doc.at(("version",))),
        effective_from=start,
        effective_to=end,
        status=str(doc.get(("status",), "official")),
        source=doc.string(("source",)),
        questionnaire=questionnaire,
        submodels=submodels,
        path=doc.path,
        calibration=dict(doc.get(("calibration",)) or {}),
    )


def check_no_overlap(models: list[IndexModel]) -> None:
    """Two versions of one model may not be in force on the same day."""
    by_start = sorted(models, key=lambda m: (m.id, m.effective_from))
    for earlier, later in itertools.pairwise(by_start):
        if earlier.id != later.id:
            continue
        if earlier.version == later.version:
            raise _overlap_error(later, f"version {later.version} defined twice (also in {earlier.path})")
        if earlier.effective_to is None or earlier.effective_to > later.effective_from:
            raise _overlap_error(
                later, f"in force from {later.effective_from} while {earlier.ref} ({earlier.path}) is still in force"
            )


def _overlap_error(model: IndexModel, en: str) -> RuleFileError:
    doc = read_rule_file(model.path)
    return doc.error(
        ("effective_from",),
        _problem(
            "فترة سريان متداخلة مع نسخة أخرى من النموذج نفسه: " + en,
            "période de validité chevauchant une autre version du même modèle : " + en,
            en,
        ),
    )


def load_model(path: Path, questionnaires: dict[str, Questionnaire] | None = None) -> IndexModel:
    return parse_model(read_rule_file(path), questionnaires or shipped_questionnaires())


def load_model_text(text: str, name: str, questionnaires: dict[str, Questionnaire] | None = None) -> IndexModel:
    return parse_model(parse_rule_text(text, name), questionnaires or shipped_questionnaires())


def shipped_models() -> dict[str, IndexModel]:
    """Every model under rules/index-models (specifications excluded), checked together for overlaps."""
    questionnaires = shipped_questionnaires()
    models = [
        load_model(path, questionnaires) for path in rule_files("index-models") if not path.name.startswith("spec")
    ]
    check_no_overlap(models)
    return {m.ref: m for m in models}


def model_in_force(models: dict[str, IndexModel], day: date, model_id: str = "rsu-index") -> IndexModel:
    for model in models.values():
        if model.id == model_id and model.in_force_on(day):
            return model
    raise SijillError(
        code="no_model_in_force",
        status=422,
        field="model",
        value=str(day),
        message=Text(
            f"لا يوجد نموذج للمؤشر ساري المفعول في {day}",
            f"Aucun modèle d'indice en vigueur le {day}",
            f"no index model in force on {day}",
        ),
        fix=Text(
            "أضيفوا نسخة من النموذج تغطي هذا التاريخ",
            "Ajoutez une version du modèle couvrant cette date",
            "add a model version covering that date",
        ),
    )


def find_model(models: dict[str, IndexModel], version: str, model_id: str = "rsu-index") -> IndexModel:
    ref = version if "@" in version else f"{model_id}@{version}"
    if ref not in models:
        raise SijillError(
            code="unknown_model",
            status=404,
            field="model",
            value=version,
            message=Text(
                f"نسخة نموذج غير معروفة: {version}",
                f"Version de modèle inconnue : {version}",
                f"unknown model version {version}; known: {', '.join(sorted(models))}",
            ),
            fix=Text(
                "اختاروا نسخة من `sijill model list`",
                "Choisissez une version de `sijill model list`",
                "pick a version from `sijill model list`",
            ),
        )
    return models[ref]
