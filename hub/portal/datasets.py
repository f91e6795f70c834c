"""Data from the regulator: the datasets a partner's agreement entitles it to, and downloads.

A download here is the API's download: the same service records the delivery (counted in the
ledger) with its ``dataset.downloaded`` audit event, and the answer carries the same receipt.
"""

from __future__ import annotations

from flask import Response, render_template

from hub.audit.receipts import RECEIPT_HEADER, receipt_header
from hub.clock import utcnow
from hub.exchange.datasets.access import catalogue, deliver_release, get_release
from hub.exchange.datasets.rules import FORMATS
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.labels import area_labels
from hub.portal.pages import PARTNER_ROLES
from hub.privacy.disclosure import ROUND_TO, SMALL_COUNT_MAX, SUPPRESSED
from hub.storage import attachment_disposition
from hub.web import db, hub_context


@bp.route("/datasets", methods=["GET"])
@role_required(*PARTNER_ROLES)
def datasets() -> str:
    areas, entries = catalogue(db(), current_portal_actor(), now=utcnow())
    return render_template(
        "portal/datasets.html",
        areas=sorted(area_labels(areas)) if areas is not None else None,
        entries=entries,
        suppressed=SUPPRESSED,
        small_max=SMALL_COUNT_MAX,
        round_to=ROUND_TO,
    )


@bp.route("/datasets/<slug>/releases/<int:version>/file", methods=["GET"])
@role_required(*PARTNER_ROLES)
def dataset_file(slug: str, version: int) -> Response:
    actor = current_portal_actor()
    now = utcnow()
    release = get_release(db(), actor, slug, version, now=now)
    handed = deliver_release(db(), actor, hub_context().storage, release, now=now)
    headers = {
        "ETag": f'"{release.sha256}"',
        "Content-Disposition": attachment_disposition(release.filename),
    }
    if handed.event is not None:
        headers[RECEIPT_HEADER] = receipt_header(db(), handed.event)
    if handed.redirect_url:
        headers["Location"] = handed.redirect_url
        return Response(status=302, headers=headers)
    headers["Content-Length"] = str(release.bytes)
    return Response(
        handed.chunks,
        headers=headers,
        content_type=FORMATS.get(release.format, "application/octet-stream"),
        direct_passthrough=True,
    )
