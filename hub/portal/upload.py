"""Uploading a spreadsheet, following its progress and reading its report."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from flask import Response, redirect, render_template, stream_with_context, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from werkzeug.wrappers import Response as BaseResponse
from wtforms.validators import ValidationError

from hub.errors import PayloadTooLarge
from hub.exchange.csv.progress import described
from hub.exchange.csv.report import annotated_csv, file_held
from hub.exchange.csv.template import COLUMNS, example_csv, template_csv
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import get_submission, submissions_query
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.forms import error_messages
from hub.portal.pages import PARTNER_ROLES
from hub.tasks.uploads import receive_upload
from hub.web import after_commit, csv_download, db, hub_context

LIST_LIMIT = 100
CSV_TYPE = "text/csv; charset=utf-8"


def _csv_name(_form: FlaskForm, field: FileField) -> None:
    name = (getattr(field.data, "filename", "") or "").lower()
    if not name.endswith(".csv"):
        raise ValidationError("The selected file must be a CSV")


class UploadForm(FlaskForm):
    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a CSV file"), _csv_name],
    )


@bp.route("/upload", methods=["GET", "POST"])
@role_required(*PARTNER_ROLES)
def upload() -> str | BaseResponse | tuple[str, int]:
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data
        try:
            submission = receive_upload(
                hub_context(),
                db(),
                current_portal_actor(),
                data.stream,
                data.filename or "upload.csv",
                after_commit=after_commit,
            )
        except PayloadTooLarge as exc:
            form.file.errors = error_messages([str(exc)])
            return render_template("portal/upload.html", form=form), 413
        return redirect(url_for("portal.submission", submission_id=submission.id))
    return render_template("portal/upload.html", form=form)


@bp.route("/submissions", methods=["GET"])
@role_required(*PARTNER_ROLES)
def submissions() -> str:
    stmt = (
        submissions_query(current_portal_actor())
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(LIST_LIMIT)
    )
    items = described(db(), list(db().scalars(stmt)))
    return render_template("portal/submissions.html", items=items)


@bp.route("/submissions/<uuid:submission_id>", methods=["GET"])
@role_required(*PARTNER_ROLES)
def submission(submission_id: uuid.UUID) -> str:
    found = get_submission(db(), current_portal_actor(), submission_id)
    item = described(db(), [found])[0]
    # The errors file is offered only when there is something in its column and storage still
    # holds the file it is made from.
    report = (
        found.channel == "csv"
        and found.status != "processing"
        and bool(item["rejected"] or item["errors"] or item["warnings"])
    )
    return render_template(
        "portal/submission.html",
        item=item,
        report=report,
        report_held=report and file_held(hub_context().storage, found),
        help_columns=frozenset(COLUMNS),
    )


@bp.route("/submissions/<uuid:submission_id>/annotated.csv", methods=["GET"])
@role_required(*PARTNER_ROLES)
def annotated(submission_id: uuid.UUID) -> Response:
    found = get_submission(db(), current_portal_actor(), submission_id)
    storage = hub_context().storage
    lines: Iterator[str] = annotated_csv(storage, found)
    stem = (found.filename or "upload.csv").removesuffix(".csv")
    return _download(stream_with_context(lines), f"{stem}-report.csv")


@bp.route("/template.csv", methods=["GET"])
@role_required(*PARTNER_ROLES)
def template_download() -> Response:
    return _download(iter([template_csv()]), "experiences-template.csv")


@bp.route("/example.csv", methods=["GET"])
@role_required(*PARTNER_ROLES)
def example_download() -> Response:
    return _download(iter([example_csv()]), "experiences-example.csv")


def _download(lines: Iterator[str], filename: str) -> Response:
    return csv_download(lines, filename)
