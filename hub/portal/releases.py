"""Publishing a dataset release from the portal (the regulator's staff who hold
``datasets:publish``), and who downloaded what.

Publishing is the API's (``POST /api/v1/datasets/{slug}/releases``): the same service numbers
the version, stores the file, writes ``dataset.released`` and queues the webhooks.
"""

from __future__ import annotations

from typing import BinaryIO, cast

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSelect, GovTextArea, GovTextInput
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from hub.clock import utcnow
from hub.errors import ValidationFailed
from hub.exchange.datasets.access import catalogue, recent_deliveries
from hub.exchange.datasets.publish import (
    MAX_DESCRIPTION,
    MAX_NOTES,
    MAX_TITLE,
    publish_release,
)
from hub.exchange.datasets.rules import FORMATS
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.labels import area_label, vocabulary_labels
from hub.web import db, hub_context

NEW = "new"
PUBLISHERS = ("engagement",)


class ReleaseForm(FlaskForm):
    dataset = SelectField(
        "Dataset",
        widget=GovSelect(),
        validators=[InputRequired(message="Choose a dataset")],
        invalid_choice_message="Choose a dataset",
    )
    slug = StringField(
        "Short name for the new dataset",
        description="3 to 60 lower-case letters, digits and hyphens, for example "
        "cancer-patient-experience. It becomes part of the download address.",
        widget=GovTextInput(),
    )
    title = StringField(
        "Title of the new dataset",
        widget=GovTextInput(),
        validators=[
            Length(max=MAX_TITLE, message=f"Title must be {MAX_TITLE} characters or fewer")
        ],
    )
    condition_area = SelectField(
        "Condition area of the new dataset", widget=GovSelect(), validate_choice=False
    )
    description = TextAreaField(
        "What the dataset holds (optional)",
        widget=GovTextArea(),
        validators=[
            Length(
                max=MAX_DESCRIPTION,
                message=f"Description must be {MAX_DESCRIPTION} characters or fewer",
            )
        ],
    )
    file = FileField(
        "File",
        description=f"One of: {', '.join(FORMATS)}.",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select the file to publish")],
    )
    notes = TextAreaField(
        "Notes for partners",
        description="What is new in this release. Partners see it beside the download.",
        widget=GovTextArea(),
        validators=[
            Length(max=MAX_NOTES, message=f"Notes must be {MAX_NOTES} characters or fewer")
        ],
    )


# Service errors by field, onto the form field that shows them.
_FIELDS = {
    "slug": "slug",
    "title": "title",
    "condition_area": "condition_area",
    "description": "description",
    "format": "file",
    "file": "file",
    "notes": "notes",
}


@bp.route("/releases/new", methods=["GET", "POST"])
@role_required(*PUBLISHERS)
def new_release() -> str | Response:
    actor = current_portal_actor()
    _, entries = catalogue(db(), actor, now=utcnow(), releases_per_dataset=1)
    form = ReleaseForm()
    form.dataset.choices = (
        [SelectChoice("", "Choose a dataset")]
        + [SelectChoice(e.dataset.slug, f"{e.dataset.title} ({e.dataset.slug})") for e in entries]
        + [SelectChoice(NEW, "A new dataset")]
    )
    form.condition_area.choices = [SelectChoice("", "Choose a condition area")] + [
        SelectChoice(area, label) for area, label in vocabulary_labels("condition_area").items()
    ]
    if form.validate_on_submit():
        new = form.dataset.data == NEW
        slug = (form.slug.data or "").strip() if new else form.dataset.data or ""
        if new and not slug:
            form.slug.errors = ["Enter a short name for the new dataset"]
        else:
            upload = form.file.data
            try:
                release = publish_release(
                    db(),
                    actor,
                    hub_context().storage,
                    slug=slug,
                    stream=cast(BinaryIO, upload.stream),
                    filename=upload.filename,
                    title=(form.title.data or None) if new else None,
                    condition_area=(form.condition_area.data or None) if new else None,
                    description=(form.description.data or None) if new else None,
                    notes=form.notes.data or "",
                )
            except ValidationFailed as exc:
                for name, messages in (exc.errors or {}).items():
                    field = getattr(form, _FIELDS.get(name, "file"))
                    field.errors = [m.rstrip(".") for m in messages]
            else:
                flash(
                    f"Version {release.version} of {release.dataset.title} is published. "
                    "Partners whose agreement covers "
                    f"{area_label(release.dataset.condition_area)} can download it now.",
                    "success",
                )
                return redirect(url_for("portal.new_release"))
    return render_template(
        "portal/release_new.html",
        form=form,
        entries=entries,
        deliveries=recent_deliveries(db(), actor),
    )
