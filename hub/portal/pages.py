"""The portal's pages by role: what the home page lists and the navigation links to.

A page appears as a link once a view with its endpoint exists; until then the home page names it
without a link, so people see what their role will be able to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.identity.models import PARTNER_KINDS

PARTNER_ROLES = ("uploader", "admin")
REGULATOR_ROLES = ("inspector", "engagement")
AUDITOR_ROLES = ("auditor",)

# A role opens pages only in the kind of organisation it belongs to: a regulator's ``admin`` is
# not a partner's, and reaches no partner page.
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "uploader": PARTNER_KINDS,
    "admin": PARTNER_KINDS,
    "inspector": ("regulator",),
    "engagement": ("regulator",),
    "auditor": ("auditor",),
}


@dataclass(frozen=True)
class PortalPage:
    endpoint: str
    title: str
    description: str
    roles: tuple[str, ...]
    # Open to every signed-in user, whatever the role and the organisation's kind.
    everyone: bool = False
    # The organisation kinds the page opens to, where not those of its roles (the regulator's
    # admin runs the partners; a partner's admin has no such page).
    kinds: tuple[str, ...] | None = None


PAGES: tuple[PortalPage, ...] = (
    PortalPage(
        "portal.upload",
        "Upload a spreadsheet",
        "Send people's experiences as a CSV file and see which rows need fixing.",
        PARTNER_ROLES,
    ),
    PortalPage(
        "portal.spreadsheet_help",
        "How to fill in the spreadsheet",
        "Every column of the template: what it holds, whether it is required, the values it "
        "takes and an example.",
        PARTNER_ROLES,
    ),
    PortalPage(
        "portal.find_location",
        "Find a location",
        "Look up a care location's registry id by its name, town or postcode.",
        PARTNER_ROLES,
    ),
    PortalPage(
        "portal.submissions",
        "Your uploads",
        "Check the progress of each file you sent and download its report.",
        PARTNER_ROLES,
    ),
    PortalPage(
        "portal.records",
        "Your records",
        "See each record's status, consent and safeguarding flags.",
        PARTNER_ROLES,
    ),
    PortalPage(
        "portal.find_withdrawal",
        "Withdraw a record",
        "Erase what someone told you when they ask you to take it back.",
        PARTNER_ROLES,
    ),
    PortalPage(
        "portal.outcomes",
        "You said, we did",
        "Read what the regulator did with what your community told us.",
        PARTNER_ROLES,
    ),
    PortalPage(
        "portal.datasets",
        "Data from the regulator",
        "Download the datasets your agreement entitles your organisation to.",
        PARTNER_ROLES,
    ),
    PortalPage(
        "portal.organisation",
        "Your organisation",
        "Your agreement, users, API clients and webhooks.",
        ("admin",),
    ),
    PortalPage(
        "portal.partners",
        "Partners",
        "Create and suspend partner organisations, their agreements, clients and users.",
        ("admin",),
        kinds=("regulator",),
    ),
    PortalPage(
        "portal.locations",
        "Care locations",
        "Look up a care location and what people have said about it.",
        REGULATOR_ROLES,
    ),
    PortalPage(
        "portal.safeguarding",
        "Safeguarding queue",
        "Act on safeguarding alerts before they are due.",
        REGULATOR_ROLES,
    ),
    PortalPage(
        "portal.coverage",
        "Coverage",
        "See where and from whom experiences are reaching the regulator.",
        REGULATOR_ROLES,
    ),
    PortalPage(
        "portal.new_outcome",
        "Record an outcome",
        "Tell partners what was done with what their communities said: you said, we did.",
        ("engagement",),
    ),
    PortalPage(
        "portal.new_release",
        "Publish a release",
        "Publish a new version of a dataset for partners, and see who downloaded what.",
        ("engagement",),
    ),
    PortalPage(
        "portal.audit",
        "Audit log",
        "Search every exchange and check the audit chain is intact.",
        AUDITOR_ROLES,
    ),
    PortalPage(
        "portal.invite_user",
        "Invite a user",
        "Email someone a link to join your organisation on the hub.",
        ("admin",),
    ),
    PortalPage(
        "portal.notifications",
        "Notification emails",
        "Choose which emails the hub sends your organisation.",
        ("admin",),
    ),
    PortalPage(
        "portal.account",
        "Your account",
        "Change your password, set up two-factor sign-in, sign out everywhere.",
        ("uploader", "admin", "inspector", "engagement", "auditor"),
        everyone=True,
    ),
)


def role_opens(role: str, organisation_kind: str | None) -> bool:
    """Whether ``role`` opens its pages for a user of an organisation of ``organisation_kind``."""
    return organisation_kind in ROLE_KINDS.get(role, ())


def pages_for(role: str, organisation_kind: str | None = None) -> list[PortalPage]:
    """The pages open to ``role`` (in an organisation of that kind), in the order people need them.

    Without ``organisation_kind`` the role alone decides.
    """
    return [page for page in PAGES if page.everyone or _opens(page, role, organisation_kind)]


def _opens(page: PortalPage, role: str, organisation_kind: str | None) -> bool:
    if role not in page.roles:
        return False
    if organisation_kind is None:
        return True
    if page.kinds is not None:
        return organisation_kind in page.kinds
    return role_opens(role, organisation_kind)
