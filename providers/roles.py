"""Staff roles: each is a Django group whose permissions follow from the spec below.

Groups are created by a data migration; their permissions are synchronised after every migrate,
because permissions for models of later migrations do not exist yet when the groups are created.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

PROGRAM_APPS = (
    "providers",
    "scoring",
    "steps",
    "funding",
    "risk",
    "evaluations",
    "notifications",
)


class Role(models.TextChoices):
    PROGRAM_ADMIN = "program_admin", _("项目管理员")
    REVIEWER = "reviewer", _("审核员")
    REGION_MANAGER = "region_manager", _("区域经理")
    FINANCE = "finance", _("财务")
    AUDITOR = "auditor", _("审计员")
    INVESTMENT = "investment", _("投资")

    @property
    def group_name(self) -> str:
        return GROUP_NAMES[self]


# Group names are what staff read in the admin; code refers to roles, never to these strings.
GROUP_NAMES = {
    Role.PROGRAM_ADMIN: "项目管理员",
    Role.REVIEWER: "审核员",
    Role.REGION_MANAGER: "区域经理",
    Role.FINANCE: "财务",
    Role.AUDITOR: "审计员",
    Role.INVESTMENT: "投资",
}


@dataclass(frozen=True)
class Grant:
    """Actions on models of an app; models=None means every model of the app.

    An action is the first word of a permission's codename: view, add, change, delete, or one of
    the lifecycle permissions of a provider (warn, exit). EVERY_ACTION grants them all.
    """

    app_label: str
    actions: tuple[str, ...]
    models: tuple[str, ...] | None = None


EVERY_ACTION = ("*",)
_VIEW_ALL = tuple(Grant(app, ("view",)) for app in PROGRAM_APPS)
# Region managers read program data of their regions only; notifications are users' inboxes,
# which no region rule can narrow, so they are left out, and so are the STEPS admin lists
# (merchants have no region: region managers read STEPS on the scoped staff page /staff/steps/).
_VIEW_PROGRAM = tuple(
    Grant(app, ("view",)) for app in PROGRAM_APPS if app not in ("notifications", "steps")
)

ROLE_GRANTS: dict[Role, tuple[Grant, ...]] = {
    # Everything in the program, criteria, scoring models, tiers and policies included.
    Role.PROGRAM_ADMIN: (
        *(Grant(app, EVERY_ACTION) for app in PROGRAM_APPS),
        Grant("django_celery_beat", ("view", "add", "change", "delete")),
        Grant("integrations", ("view", "add", "change", "delete")),
        Grant("auth", ("view",), ("user", "group")),
        Grant("investments", EVERY_ACTION),
        Grant("uplift", EVERY_ACTION),
    ),
    # Applications, warnings and rectification, appeals; violations they find on the way.
    Role.REVIEWER: (
        *_VIEW_ALL,
        Grant(
            "providers",
            ("add", "change"),
            (
                "application",
                "applicationcase",
                "applicationdocument",
                "appeal",
                "rectificationplan",
                "violation",
            ),
        ),
        Grant("providers", ("warn",), ("provider",)),
        Grant("risk", ("change",), ("risksignal",)),
    ),
    # The providers of their own regions only (providers.access): they read them, record the
    # violations they find and warn; exits, bans and reviews belong to other roles.
    Role.REGION_MANAGER: (
        *_VIEW_PROGRAM,
        Grant("providers", ("add", "change"), ("violation",)),
        Grant("providers", ("warn",), ("provider",)),
        Grant("risk", ("change",), ("risksignal",)),
    ),
    # Pools, proposals and their approval, the ledger, disbursements and clawbacks; tiers,
    # pending demotions, policies and criteria stay with the program admin.
    Role.FINANCE: (
        *_VIEW_ALL,
        Grant(
            "funding",
            ("add", "change"),
            (
                "pool",
                "tierbudget",
                "proposal",
                "proposalline",
                "proposaledit",
                "ledgerentry",
                "disbursementrequest",
            ),
        ),
        Grant("funding", ("delete",), ("tierbudget",)),
        Grant("risk", ("change",), ("clawbackproposal",)),
        # Uplift studies: what a yuan and a thousand impressions bought (docs/uplift.md).
        Grant("uplift", ("view",)),
        Grant("uplift", ("add", "change"), ("upliftstudy",)),
    ),
    # Reads everything, changes nothing.
    Role.AUDITOR: (
        *_VIEW_ALL,
        Grant("django_celery_beat", ("view",)),
        Grant("integrations", ("view",)),
        Grant("auth", ("view",), ("user", "group")),
        Grant("investments", ("view",)),
    ),
    # The ecosystem fund's team: reads the program to source deals, runs the pipeline, the
    # committee, flows and marks. The fund stays out of every other role's grants.
    Role.INVESTMENT: (
        *_VIEW_ALL,
        Grant("investments", ("view", "add", "change")),
    ),
}


def roles_sync(*, group_model, permission_model) -> None:
    """Creates the role groups and sets each one's permissions to exactly its grants."""
    for role, grants in ROLE_GRANTS.items():
        group, _created = group_model.objects.get_or_create(name=role.group_name)
        wanted = set()
        for grant in grants:
            codenames = permission_model.objects.filter(content_type__app_label=grant.app_label)
            if grant.models is not None:
                codenames = codenames.filter(content_type__model__in=grant.models)
            for permission in codenames.select_related("content_type"):
                action = permission.codename.split("_", 1)[0]
                if grant.actions == EVERY_ACTION or action in grant.actions:
                    wanted.add(permission.pk)
        group.permissions.set(wanted)


# A staff page asks for the user's roles four times (its permission check, its scope, the
# navigation's scope, the forecast's scope): they are read once per user object, as Django keeps
# a user's permissions (a request's user is loaded afresh for each request). Changing the
# object's own groups (user.groups.add/remove/set/clear) forgets them (roles_forget).
_ROLES_READ = "_zaofeng_roles"


def user_roles(user) -> set[Role]:
    """The roles a staff user holds; a superuser holds them all."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(Role)
    roles = getattr(user, _ROLES_READ, None)
    if roles is None:
        names = set(user.groups.values_list("name", flat=True))
        roles = frozenset(role for role in Role if role.group_name in names)
        setattr(user, _ROLES_READ, roles)
    return set(roles)


def roles_forget(sender, instance, **kwargs) -> None:
    """m2m_changed of User.groups: the roles read for this user object are out of date."""
    instance.__dict__.pop(_ROLES_READ, None)
