"""Portal pages for uploading a CSV and reading its report (Flask test client)."""

from __future__ import annotations

import csv
import io
import re
import uuid

from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, csv_line
from tests.factories import PORTAL_PASSWORD

PASSWORD = PORTAL_PASSWORD
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_csv(rows) -> bytes:
    text = csv_line(COLUMNS) + "".join(csv_line(r.get(c, "") for c in COLUMNS) for r in rows)
    return text.encode()


def good(i: int, **changes: str) -> dict[str, str]:
    return {**EXAMPLE_ROWS[i % len(EXAMPLE_ROWS)], "partner_record_id": f"portal-{i}", **changes}


def token(client, path: str) -> str:
    match = CSRF_INPUT.search(client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def signed_in(app, user):
    client = app.test_client()
    response = client.post(
        "/portal/sign-in",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": token(client, "/portal/sign-in"),
        },
    )
    assert response.status_code == 302
    return client


def post_file(client, data: bytes, name: str = "people.csv", **kwargs):
    return client.post(
        "/portal/upload",
        data={"file": (io.BytesIO(data), name), "csrf_token": token(client, "/portal/upload")},
        content_type="multipart/form-data",
        **kwargs,
    )


def test_upload_then_read_the_report_and_download_the_annotated_file(app, make_user):
    client = signed_in(app, make_user())
    rows = [good(0), good(1, sex="x", consent_equality_monitoring="yes", narrative=""), good(2)]
    rows[2]["narrative"] = '=HYPERLINK("http://evil.example","x")'
    response = post_file(client, make_csv(rows))
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "3 rows done of 3" in html
    assert "Completed" in html
    assert 'http-equiv="refresh"' not in html
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">3</td>' in html
    assert "narrative" in html

    link = re.search(r'href="([^"]+/annotated\.csv)"', html)
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert lines[0][-1] == "errors"
    assert lines[2][-1] and lines[1][-1] == ""
    assert lines[3][COLUMNS.index("narrative")].startswith("'=HYPERLINK")

    listing = client.get("/portal/submissions").get_data(as_text=True)
    assert "people.csv" in listing


def test_the_errors_column_is_offered_only_when_some_row_was_refused_or_warned(app, make_user):
    client = signed_in(app, make_user())
    offer = "Download your file with an errors column"
    clean = post_file(client, make_csv([good(0), good(2)]))
    html = client.get(clean.headers["Location"]).get_data(as_text=True)
    assert "Completed" in html and offer not in html and "annotated.csv" not in html

    warned = post_file(
        client, make_csv([good(3, consent_equality_monitoring="no", sex="female")]), "w.csv"
    )
    html = client.get(warned.headers["Location"]).get_data(as_text=True)
    assert "Taken, with a warning" in html and offer in html

    refused = post_file(client, make_csv([good(6, sex="x")]), "r.csv")
    html = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "What needs fixing" in html and "Taken, with a warning" not in html
    assert offer in html


def test_a_file_storage_no_longer_holds_is_not_offered_and_the_page_says_so(
    app, make_user, db_session
):
    from hub.exchange.records.models import Submission

    client = signed_in(app, make_user())
    location = post_file(client, make_csv([good(6, sex="x")]), "lost.csv").headers["Location"]
    submission = db_session.get(Submission, uuid.UUID(location.rsplit("/", 1)[1]))
    app.extensions["hub"].storage.delete(submission.storage_key)

    html = client.get(location).get_data(as_text=True)
    assert "What needs fixing" in html
    assert "Download your file with an errors column" not in html
    assert "annotated.csv" not in html
    assert "the hub no longer holds the file you uploaded" in html
    assert client.get(location + "/annotated.csv").status_code == 404


def test_choosing_no_file_shows_the_error_summary(app, make_user):
    client = signed_in(app, make_user())
    response = client.post(
        "/portal/upload",
        data={"csrf_token": token(client, "/portal/upload")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "Select a CSV file" in html
    assert "<title>Error: " in html


def test_a_file_that_is_not_csv_is_refused(app, make_user):
    client = signed_in(app, make_user())
    html = post_file(client, b"hello", name="notes.txt").get_data(as_text=True)
    assert "The selected file must be a CSV" in html


def test_too_many_rows_is_413_on_the_form(make_app, make_user):
    client = signed_in(make_app(csv_max_rows=1), make_user())
    response = post_file(client, make_csv([good(0), good(1)]))
    assert response.status_code == 413
    assert "more than 1 rows" in response.get_data(as_text=True)
    assert "people.csv" not in client.get("/portal/submissions").get_data(as_text=True)


def test_the_template_and_example_download(app, make_user):
    client = signed_in(app, make_user())
    template = client.get("/portal/template.csv")
    assert template.get_data().decode("utf-8-sig").strip() == ",".join(COLUMNS)
    assert "attachment" in template.headers["Content-Disposition"]
    example = client.get("/portal/example.csv").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(example)))) == len(EXAMPLE_ROWS)


def test_another_organisations_submission_is_not_found(app, make_user):
    first = signed_in(app, make_user())
    location = post_file(first, make_csv([good(0)])).headers["Location"]
    second = signed_in(app, make_user())
    assert second.get(location).status_code == 404
    assert second.get(location + "/annotated.csv").status_code == 404


def test_a_regulator_role_cannot_upload(app, make_user):
    client = signed_in(app, make_user(role="inspector", kind="regulator"))
    assert client.get("/portal/upload").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/portal/upload")
    assert response.status_code == 302
    assert "/portal/sign-in" in response.headers["Location"]


def test_a_file_still_processing_shows_progress_and_refreshes_itself(app, make_user, db_session):
    from hub.actor import Actor
    from hub.exchange.csv.upload import accept_upload

    user = make_user()
    actor = Actor(kind="user", id=str(user.id), organisation_id=user.organisation_id)
    storage = app.extensions["hub"].storage
    data = make_csv([good(0), good(1)])
    pending = accept_upload(db_session, actor, storage, io.BytesIO(data), "waiting.csv")
    db_session.commit()
    client = signed_in(app, user)
    html = client.get(f"/portal/submissions/{pending.id}").get_data(as_text=True)
    assert "0 rows done of 2" in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert "submission-progress.js" in html
    assert "annotated.csv" not in html


def test_a_one_row_file_reads_as_one_row_and_a_semicolon_file_is_told_to_use_commas(app, make_user):
    client = signed_in(app, make_user())

    one = client.get(post_file(client, make_csv([good(0)])).headers["Location"])
    assert "1 row done of 1" in one.get_data(as_text=True)

    semicolons = ";".join(COLUMNS) + "\r\n" + ";".join(good(1).get(c, "") for c in COLUMNS)
    page = client.get(post_file(client, semicolons.encode()).headers["Location"])
    html = page.get_data(as_text=True)
    assert "The columns are separated by semicolons, not commas." in html
    assert "Unknown column" not in html and "Missing column" not in html


def test_a_file_the_hub_gave_up_on_names_no_row_0_and_asks_for_the_same_file_again(
    app, make_user, db_session
):
    from hub.actor import Actor
    from hub.exchange.csv.upload import accept_upload
    from hub.tasks.uploads import _advance_gave_up

    user = make_user()
    actor = Actor(kind="user", id=str(user.id), organisation_id=user.organisation_id)
    ctx = app.extensions["hub"]
    pending = accept_upload(
        db_session, actor, ctx.storage, io.BytesIO(make_csv([good(0)])), "x.csv"
    )
    db_session.commit()
    _advance_gave_up(ctx, RuntimeError("storage unreachable"), str(pending.id))

    html = signed_in(app, user).get(f"/portal/submissions/{pending.id}").get_data(as_text=True)
    cells = re.findall(r'<td class="govuk-table__cell[^"]*">([^<]*)</td>', html)
    assert "Failed" in html
    assert "0" not in cells and "(the file)" in cells
    assert "Upload the same file again later" in html
    assert "storage unreachable" not in html


def test_an_address_refused_for_a_nul_byte_still_knows_who_is_signed_in(app, make_user):
    client = signed_in(app, make_user())
    page = client.get("/portal/find-location?q=%00x")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Go to the home page" in html and "Go to the sign-in page" not in html
    assert client.get("/portal/upload").status_code == 200  # still signed in
