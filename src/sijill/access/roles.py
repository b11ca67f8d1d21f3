"""Roles, what each may do, and which territorial level its scope must be at."""

from __future__ import annotations

from enum import StrEnum

from sijill.errors import Text


class Role(StrEnum):
    ANNEX_AGENT = "annex_agent"
    REVIEWER = "reviewer"
    SUPERVISOR_PROVINCE = "supervisor_province"
    SUPERVISOR_REGION = "supervisor_region"
    SUPERVISOR_NATIONAL = "supervisor_national"
    PROGRAMME_OPERATOR = "programme_operator"
    POLICY_ANALYST = "policy_analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # Not an account: whoever sends a form online or asks a file's status. No user can hold it.
    CITIZEN = "citizen"
    # Not an account either: another system calling the DCI API (dci/), with its own registration
    # of territories and fields.
    PARTNER = "partner"


class Permission(StrEnum):
    PERSON_READ = "person:read"
    PERSON_WRITE = "person:write"
    DUPLICATE_REVIEW = "duplicate:review"
    # Running the register's deduplication (a batch job): administrators.
    DEDUP_RUN = "dedup:run"
    TERRITORY_READ = "territory:read"
    TERRITORY_WRITE = "territory:write"
    USER_ADMIN = "user:admin"
    AUDIT_READ = "audit:read"
    REPORT_READ = "report:read"
    SIMULATE = "simulate"
    OPERATOR_DECIDE = "operator:decide"
    HOUSEHOLD_READ = "household:read"
    HOUSEHOLD_WRITE = "household:write"
    SCORE_CORRECT = "score:correct"
    REGISTRY_IMPORT = "registry:import"
    ELIGIBILITY_READ = "eligibility:read"
    ELIGIBILITY_RUN = "eligibility:run"
    APPLICATION_SUBMIT = "application:submit"
    APPLICATION_READ = "application:read"
    APPLICATION_VALIDATE = "application:validate"
    COMPLAINT_DECIDE = "complaint:decide"
    # Sending files to operators and the daily reports: jobs, run by administrators.
    APPLICATION_TRANSMIT = "application:transmit"


_ALL = frozenset(Permission)

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ANNEX_AGENT: frozenset(
        {
            Permission.PERSON_READ,
            Permission.PERSON_WRITE,
            Permission.TERRITORY_READ,
            Permission.HOUSEHOLD_READ,
            Permission.HOUSEHOLD_WRITE,
            Permission.ELIGIBILITY_READ,
            Permission.APPLICATION_SUBMIT,
            Permission.APPLICATION_READ,
            Permission.APPLICATION_VALIDATE,
        }
    ),
    # A reviewer, not the agent who took the form, may correct an index (with a reason, audited).
    Role.REVIEWER: frozenset(
        {
            Permission.PERSON_READ,
            Permission.DUPLICATE_REVIEW,
            Permission.TERRITORY_READ,
            Permission.HOUSEHOLD_READ,
            Permission.SCORE_CORRECT,
            Permission.ELIGIBILITY_READ,
            Permission.APPLICATION_READ,
            Permission.COMPLAINT_DECIDE,
        }
    ),
    Role.SUPERVISOR_PROVINCE: frozenset(
        {
            Permission.PERSON_READ,
            Permission.TERRITORY_READ,
            Permission.REPORT_READ,
            Permission.HOUSEHOLD_READ,
            Permission.ELIGIBILITY_READ,
            Permission.APPLICATION_READ,
        }
    ),
    Role.SUPERVISOR_REGION: frozenset(
        {
            Permission.PERSON_READ,
            Permission.TERRITORY_READ,
            Permission.REPORT_READ,
            Permission.HOUSEHOLD_READ,
            Permission.ELIGIBILITY_READ,
            Permission.APPLICATION_READ,
        }
    ),
    Role.SUPERVISOR_NATIONAL: frozenset(
        {
            Permission.PERSON_READ,
            Permission.TERRITORY_READ,
            Permission.REPORT_READ,
            Permission.HOUSEHOLD_READ,
            Permission.ELIGIBILITY_READ,
            Permission.APPLICATION_READ,
        }
    ),
    Role.PROGRAMME_OPERATOR: frozenset({Permission.TERRITORY_READ, Permission.OPERATOR_DECIDE}),
    # Analysts work on aggregates and simulations, not on named people.
    Role.POLICY_ANALYST: frozenset({Permission.TERRITORY_READ, Permission.REPORT_READ, Permission.SIMULATE}),
    Role.AUDITOR: frozenset(
        {
            Permission.AUDIT_READ,
            Permission.TERRITORY_READ,
            Permission.PERSON_READ,
            Permission.HOUSEHOLD_READ,
            Permission.ELIGIBILITY_READ,
            Permission.APPLICATION_READ,
        }
    ),
    Role.ADMIN: _ALL - {Permission.OPERATOR_DECIDE},
    Role.CITIZEN: frozenset({Permission.APPLICATION_SUBMIT}),
    # What a partner sees is set by its registration (dci.models.DciPartner), not by permissions.
    Role.PARTNER: frozenset(),
}

# The territorial level a role's scope must sit at; None means the role is national and
# must have no scope. A tuple lists the levels allowed.
SCOPE_LEVELS: dict[Role, tuple[str, ...] | None] = {
    Role.ANNEX_AGENT: ("annex",),
    Role.REVIEWER: ("annex", "commune", "province", "region", "national"),
    Role.SUPERVISOR_PROVINCE: ("province",),
    Role.SUPERVISOR_REGION: ("region",),
    Role.SUPERVISOR_NATIONAL: ("national",),
    Role.PROGRAMME_OPERATOR: ("national",),
    Role.POLICY_ANALYST: ("national",),
    Role.AUDITOR: ("national",),
    Role.ADMIN: ("national",),
    Role.CITIZEN: (),
    Role.PARTNER: (),
}

# Roles a user account can hold (a citizen is nobody's account).
ACCOUNT_ROLES = frozenset(Role) - {Role.CITIZEN, Role.PARTNER}

ROLE_LABELS: dict[Role, Text] = {
    Role.ANNEX_AGENT: Text("عون الملحقة الإدارية", "Agent d'annexe", "annex agent"),
    Role.REVIEWER: Text("مراجع", "Réviseur", "reviewer"),
    Role.SUPERVISOR_PROVINCE: Text("مشرف إقليمي", "Superviseur provincial", "province supervisor"),
    Role.SUPERVISOR_REGION: Text("مشرف جهوي", "Superviseur régional", "region supervisor"),
    Role.SUPERVISOR_NATIONAL: Text("مشرف وطني", "Superviseur national", "national supervisor"),
    Role.PROGRAMME_OPERATOR: Text("مشغل البرنامج", "Opérateur de programme", "programme operator"),
    Role.POLICY_ANALYST: Text("محلل السياسات", "Analyste des politiques", "policy analyst"),
    Role.AUDITOR: Text("مدقق", "Auditeur", "auditor"),
    Role.ADMIN: Text("مسؤول النظام", "Administrateur", "administrator"),
    Role.CITIZEN: Text("مواطن", "Citoyen", "citizen"),
    Role.PARTNER: Text("نظام شريك", "Système partenaire", "partner system"),
}
