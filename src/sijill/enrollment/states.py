"""Which state a file may go to from which: the one table every step and callback is held to."""

from __future__ import annotations

from sijill.errors import SijillError, Text

TRANSITIONS: dict[str, frozenset[str]] = {
    # Straight to validated when the workflow has no validation step at the annex.
    "received": frozenset({"to_correct", "awaiting_validation", "validated", "withdrawn"}),
    # A correction is a new version, checked again from the start.
    "to_correct": frozenset({"received", "withdrawn"}),
    "awaiting_validation": frozenset({"validated", "received", "withdrawn"}),
    "validated": frozenset({"transmitted"}),
    "transmitted": frozenset({"accepted", "refused"}),
    # A complaint upheld sends a refused file back through the flow.
    "refused": frozenset({"received"}),
    "accepted": frozenset(),
    "withdrawn": frozenset(),
}

# Where a correction may start from.
CORRECTABLE = ("to_correct", "awaiting_validation")

STATUS_LABELS: dict[str, Text] = {
    "received": Text("تم التوصل بالطلب", "Demande reçue", "received"),
    "to_correct": Text("الطلب يحتاج إلى تصحيح", "Demande à corriger", "to correct"),
    "awaiting_validation": Text(
        "في انتظار المصادقة بالملحقة", "En attente de validation à l'annexe", "awaiting validation"
    ),
    "validated": Text("تمت المصادقة، في انتظار الإرسال", "Validée, en attente d'envoi", "validated"),
    "transmitted": Text("أرسل الطلب إلى الهيئة المدبرة", "Transmise à l'organisme gestionnaire", "transmitted"),
    "accepted": Text("تم قبول الطلب", "Demande acceptée", "accepted"),
    "refused": Text("تم رفض الطلب", "Demande refusée", "refused"),
    "withdrawn": Text("أغلق الطلب", "Demande close", "withdrawn"),
}


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def wrong_state(receipt: str, status: str, wanted: str) -> SijillError:
    label = STATUS_LABELS.get(status, Text(status, status, status))
    return SijillError(
        code="invalid_transition",
        status=409,
        field="status",
        value=status,
        message=Text(
            f"الملف {receipt} في حالة «{label.ar}»، لا يمكن نقله إلى «{STATUS_LABELS[wanted].ar}»",
            f"Le dossier {receipt} est « {label.fr} » : il ne peut pas passer à « {STATUS_LABELS[wanted].fr} »",
            f"file {receipt} is {status}; it cannot move to {wanted}",
        ),
        fix=Text(
            "اعرضوا الملف لمعرفة حالته الحالية",
            "Affichez le dossier pour voir son état actuel",
            "show the file to see its current state",
        ),
    )
