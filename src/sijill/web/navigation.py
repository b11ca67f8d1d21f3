"""The menu: each page a role can reach from every page, in the order of its day's work."""

from __future__ import annotations

from dataclasses import dataclass

from sijill.access.actor import Actor
from sijill.access.roles import Permission


@dataclass(frozen=True, slots=True)
class MenuItem:
    path: str
    label: str
    permission: Permission


MENU: tuple[MenuItem, ...] = (
    MenuItem("/queue", "nav.queue", Permission.APPLICATION_VALIDATE),
    MenuItem("/persons/new", "nav.register_person", Permission.PERSON_WRITE),
    MenuItem("/households/new", "nav.declare_household", Permission.HOUSEHOLD_WRITE),
    MenuItem("/applications/new", "nav.take_form", Permission.APPLICATION_VALIDATE),
    MenuItem("/corrections", "nav.corrections", Permission.APPLICATION_VALIDATE),
    MenuItem("/review/registrations", "nav.review_registrations", Permission.DUPLICATE_REVIEW),
    MenuItem("/review/duplicates", "nav.review_duplicates", Permission.DUPLICATE_REVIEW),
    MenuItem("/supervision/funnel", "nav.funnel", Permission.REPORT_READ),
    MenuItem("/supervision/alerts", "nav.alerts", Permission.REPORT_READ),
    MenuItem("/supervision/ageing", "nav.ageing", Permission.APPLICATION_READ),
    MenuItem("/supervision/trends", "nav.trends", Permission.REPORT_READ),
    MenuItem("/operator/files", "nav.operator_files", Permission.OPERATOR_DECIDE),
    MenuItem("/analysis/simulation", "nav.simulation", Permission.SIMULATE),
)


def menu_for(actor: Actor | None) -> list[MenuItem]:
    if actor is None:
        return []
    return [item for item in MENU if actor.can(item.permission)]
