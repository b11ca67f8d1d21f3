"""Other administrations' registries: their file schemas, and the import that replaces an extract.

Each registry sends a full extract (CSV or Parquet, one row per record). Every row is checked
first; any problem gives an error file and, unless the caller accepts the valid rows, nothing is
written. The import then replaces that registry's previous records and links in one transaction,
and links each record to a register person by exact identifier: the same IDCS, or else the same
CIN. Records without either wait for the probabilistic linkage.

When each record is in force comes from the registry's own columns (see REGISTRIES); a
programme's exclusion counts a link only on the days its record is in force.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import polars as pl
from sqlalchemy import CursorResult, Executable, delete, func, select, text
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert, table_of
from sijill.errors import SijillError, Text
from sijill.ids import reserve_ids
from sijill.linkage.models import ExternalRecord, PersonLink, RegistryImport
from sijill.population.validation_batch import cin_is_valid, compact_cin
from sijill.table_files import missing_columns, read_table, rows_rejected

SCHEMA_DOC = "docs/registries.md"
IDENTITY_COLUMNS = ("cin", "idcs", "given_name_lat", "family_name_lat", "birth_date", "birth_year")
ERROR_COLUMNS = ("row", "registry_record_id", "field", "value", "rule", "message_ar", "message_fr")


@dataclass(frozen=True)
class RegistrySchema:
    label: Text
    # Columns giving the first and last day the record is in force (None: open).
    valid_from: str | None
    valid_to: str | None
    # Records declared month by month (CNSS): in force until this many months after the last one.
    months_after_last: tuple[str, int] | None = None


REGISTRIES: dict[str, RegistrySchema] = {
    "cnss_salaried": RegistrySchema(
        Text("أجراء الضمان الاجتماعي", "Salariés CNSS", "CNSS salaried workers"),
        "affiliated_on",
        None,
        # Employers declare wages monthly, often late: three months without a declaration ends it.
        months_after_last=("last_declared_month", 3),
    ),
    "auto_entrepreneurs": RegistrySchema(
        Text("المقاولون الذاتيون", "Auto-entrepreneurs", "auto-entrepreneurs"), "registered_on", "deregistered_on"
    ),
    "civil_servants": RegistrySchema(
        Text("موظفو الدولة", "Fonctionnaires (paie de l'État)", "civil service payroll"), "hired_on", "left_on"
    ),
    "pensioners": RegistrySchema(Text("المتقاعدون", "Pensionnés", "pensioners"), "pension_start", "pension_end"),
    "other_health_cover": RegistrySchema(
        Text("تغطية صحية أخرى", "Autre couverture maladie", "other health cover"), "covered_from", "covered_to"
    ),
    "family_allowances": RegistrySchema(
        Text("التعويضات العائلية", "Allocations familiales", "family allowances"), "started_on", "ended_on"
    ),
}


@dataclass(frozen=True)
class RegistryImportReport:
    registry: str
    records: int
    invalid_rows: int
    linked_by_idcs: int
    linked_by_cin: int
    replaced: int
    error_file: str | None


def unknown_registry(name: str) -> SijillError:
    known = ", ".join(REGISTRIES)
    return SijillError(
        code="unknown_registry",
        status=422,
        field="registry",
        value=name,
        message=Text(f"سجل غير معروف: {name}", f"Registre inconnu : {name}", f"unknown registry {name!r}"),
        fix=Text(f"السجلات المعروفة: {known}", f"Registres connus : {known}", f"known registries: {known}"),
    )


_RULES: dict[str, tuple[str, str]] = {
    "required": ("قيمة إجبارية", "valeur obligatoire"),
    "repeated": ("المعرف مكرر في الملف", "identifiant répété dans le fichier"),
    "cin_format": ("رقم البطاقة الوطنية غير صالح", "numéro de CIN invalide"),
    "idcs_format": ("المعرف الرقمي يجب أن يتكون من 10 أرقام", "l'IDCS doit compter 10 chiffres"),
    "date_format": ("تاريخ غير صالح (YYYY-MM-DD)", "date invalide (AAAA-MM-JJ)"),
    "year_format": ("سنة غير صالحة", "année invalide"),
    "dates_order": ("تاريخ النهاية قبل تاريخ البداية", "la date de fin précède la date de début"),
}


def _date_columns(schema: RegistrySchema) -> list[str]:
    named = [schema.valid_from, schema.valid_to, schema.months_after_last[0] if schema.months_after_last else None]
    return ["birth_date", *(c for c in named if c is not None)]


def _parsed_date(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().str.to_date("%Y-%m-%d", strict=False)


def _check(frame: pl.DataFrame, schema: RegistrySchema) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(typed rows, problems): one problem row per broken rule, vectorised."""
    typed = frame.with_columns(
        pl.col("registry_record_id").str.strip_chars(),
        compact_cin(pl.col("cin").str.strip_chars().replace("", None)),
        pl.col("idcs").str.strip_chars(),
        *(_parsed_date(c).alias(f"_{c}") for c in _date_columns(schema)),
        pl.col("birth_year").str.strip_chars().cast(pl.Int16, strict=False).alias("_birth_year"),
    )
    present = [(c, pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "")) for c in frame.columns]
    given = dict(present)
    checks: list[tuple[str, str, pl.Expr]] = [
        ("registry_record_id", "required", pl.col("registry_record_id").fill_null("") == ""),
        ("registry_record_id", "repeated", pl.col("registry_record_id").is_duplicated()),
        ("cin", "cin_format", pl.col("cin").is_not_null() & ~cin_is_valid(pl.col("cin"))),
        ("idcs", "idcs_format", pl.col("idcs").is_not_null() & ~pl.col("idcs").str.contains(r"^[0-9]{10}$")),
        ("birth_year", "year_format", given["birth_year"] & pl.col("_birth_year").is_null()),
    ]
    checks += [(c, "date_format", given[c] & pl.col(f"_{c}").is_null()) for c in _date_columns(schema)]
    if schema.valid_from and schema.valid_to:
        checks.append((schema.valid_to, "dates_order", pl.col(f"_{schema.valid_to}") < pl.col(f"_{schema.valid_from}")))
    problems = pl.concat(
        [
            typed.filter(broken.fill_null(False)).select(
                "row",
                "registry_record_id",
                pl.lit(field).alias("field"),
                pl.col(field).cast(pl.String).fill_null("").alias("value"),
                pl.lit(rule).alias("rule"),
                pl.lit(_RULES[rule][0]).alias("message_ar"),
                pl.lit(_RULES[rule][1]).alias("message_fr"),
            )
            for field, rule, broken in checks
        ]
    )
    return typed, problems


def _validity(typed: pl.DataFrame, schema: RegistrySchema) -> list[pl.Expr]:
    start = pl.col(f"_{schema.valid_from}") if schema.valid_from else pl.lit(None, dtype=pl.Date)
    end = pl.col(f"_{schema.valid_to}") if schema.valid_to else pl.lit(None, dtype=pl.Date)
    if schema.months_after_last is not None:
        column, months = schema.months_after_last
        last = pl.col(f"_{column}").dt.month_start()
        end = last.dt.offset_by(f"{months + 1}mo").dt.offset_by("-1d")
    return [start.alias("valid_from"), end.alias("valid_to")]


def _records(typed: pl.DataFrame, schema: RegistrySchema, registry: str, import_id: int) -> pl.DataFrame:
    own = [
        c for c in typed.columns if c not in (*IDENTITY_COLUMNS, "registry_record_id", "row") and not c.startswith("_")
    ]
    attributes = (
        pl.struct(own).struct.json_encode() if own else pl.lit("{}")
    )  # the registry's other columns, kept as received
    return typed.select(
        pl.lit(registry).alias("registry_kind"),
        pl.lit(import_id).alias("import_id"),
        "registry_record_id",
        pl.col("idcs").replace("", None),
        "cin",
        pl.col("given_name_lat").str.strip_chars(),
        pl.col("family_name_lat").str.strip_chars(),
        pl.col("_birth_date").alias("birth_date"),
        pl.col("_birth_year").alias("birth_year"),
        *_validity(typed, schema),
        attributes.alias("attributes"),
    )


_LINK = (
    "INSERT INTO person_link (person_id, external_record_id, registry_kind, method, match_probability, linked_at) "
    "SELECT p.id, e.id, e.registry_kind, :method, 1.0, :now FROM external_record e "
)


def _rows(session: Session, statement: Executable, values: dict[str, object] | None = None) -> int:
    result = cast(CursorResult[Any], session.execute(statement, values))
    return int(result.rowcount)


def _link_exact(session: Session, import_id: int, now: datetime) -> tuple[int, int]:
    """Links by IDCS, then by CIN for the records the IDCS did not place, to the register record
    that matched (a merge is followed when links are read, so that undoing it needs nothing here).
    Set-based: two INSERT ... SELECT."""
    by_idcs = _rows(
        session,
        text(_LINK + "JOIN person p ON p.idcs = e.idcs WHERE e.import_id = :import_id"),
        {"import_id": import_id, "now": now, "method": "idcs"},
    )
    by_cin = _rows(
        session,
        text(
            _LINK + "JOIN person p ON p.cin = e.cin WHERE e.import_id = :import_id "  # noqa: S608
            "AND NOT EXISTS (SELECT 1 FROM person_link l WHERE l.external_record_id = e.id)"
        ),
        {"import_id": import_id, "now": now, "method": "cin"},
    )
    return by_idcs, by_cin


def _replace_previous(session: Session, registry: str) -> int:
    previous = select(ExternalRecord.id).where(ExternalRecord.registry_kind == registry)
    _rows(session, delete(PersonLink).where(PersonLink.external_record_id.in_(previous)))
    return _rows(session, delete(ExternalRecord).where(ExternalRecord.registry_kind == registry))


def import_registry(
    *,
    session: Session,
    actor: Actor,
    registry: str,
    path: Path,
    extracted_on: date | None = None,
    accept_valid: bool = False,
) -> RegistryImportReport:
    """Check a registry extract and, when valid, make it that registry's current one."""
    actor.require(Permission.REGISTRY_IMPORT)
    schema = REGISTRIES.get(registry)
    if schema is None:
        raise unknown_registry(registry)
    frame = read_table(path)
    if "registry_record_id" not in frame.columns:
        raise missing_columns(["registry_record_id"], SCHEMA_DOC)
    for name in (*IDENTITY_COLUMNS, *(c for c in _date_columns(schema) if c != "birth_date")):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    typed, problems = _check(frame, schema)
    error_path = path.with_name(f"{path.stem}.errors.csv")
    bad_rows = problems["row"].n_unique()
    if problems.height:
        problems.select(ERROR_COLUMNS).sort("row").write_csv(error_path)
        if not accept_valid:
            raise rows_rejected(problems, bad_rows, error_path)
        typed = typed.filter(~pl.col("row").is_in(problems["row"].implode()))
    now = datetime.now(UTC)
    replaced = _replace_previous(session, registry)
    extract = RegistryImport(
        registry_kind=registry,
        source_name=re.sub(r"[^\w.\-]", "_", path.name)[:200],
        extracted_on=extracted_on or now.date(),
        imported_at=now,
        imported_by=actor.username,
        records=typed.height,
        linked=0,
    )
    session.add(extract)
    session.flush()
    records = _records(typed, schema, registry, extract.id)
    ids = reserve_ids(session, table_of(ExternalRecord), records.height)
    bulk_insert(session, table_of(ExternalRecord), records.with_columns(pl.Series("id", ids)).to_arrow())
    by_idcs, by_cin = _link_exact(session, extract.id, now)
    extract.linked = by_idcs + by_cin
    audit.record(
        session,
        actor,
        "registry.import",
        "registry_import",
        str(extract.id),
        None,
        {"registry": registry, "records": typed.height, "invalid_rows": bad_rows, "linked": extract.linked},
    )
    return RegistryImportReport(
        registry=registry,
        records=typed.height,
        invalid_rows=bad_rows,
        linked_by_idcs=by_idcs,
        linked_by_cin=by_cin,
        replaced=replaced,
        error_file=str(error_path) if problems.height else None,
    )


def registry_imports(session: Session, actor: Actor) -> list[RegistryImport]:
    """The current extract of each registry."""
    actor.require(Permission.REGISTRY_IMPORT)
    latest = select(func.max(RegistryImport.id)).group_by(RegistryImport.registry_kind)
    rows = session.execute(select(RegistryImport).where(RegistryImport.id.in_(latest))).scalars().all()
    return sorted(rows, key=lambda r: r.registry_kind)
