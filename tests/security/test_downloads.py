"""What the hub hands out as files: released CSVs without formula cells, file names that cannot
move or disguise a download, no 200-then-abort for a submission without a file, and gunicorn's
own refusals (an over-long address) as problems."""

from __future__ import annotations

import io

import pytest
import requests
import sqlalchemy as sa

from hub.actor import system
from hub.exchange.datasets.models import Release
from hub.identity import services as identity
from hub.storage import attachment_disposition
from tests.api.test_portal_upload import good, make_csv, post_file, signed_in
from tests.factories import experience_record


def _publish(client, headers, body: bytes, slug: str = "waits"):
    return client.post(
        f"/api/v1/datasets/{slug}/releases",
        data={
            "file": (io.BytesIO(body), "waits.csv"),
            "title": "Waits",
            "condition_area": "cancer",
        },
        headers=headers,
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK(""http://evil.example"",""x"")', "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3"],
)
def test_a_release_with_a_formula_cell_is_refused_and_nothing_kept(
    app, client, make_party, auth_headers, db_session, cell
):
    regulator = auth_headers(make_party("regulator"))
    body = f'trust,note\nRXQ,fine\nRXR,"{cell}"\n'.encode()
    answer = _publish(client, regulator, body)
    assert answer.status_code == 422, answer.get_json()
    assert "row 3 column 2" in answer.get_json()["detail"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Release)) == 0
    assert not list(app.extensions["hub"].storage.list("datasets/"))


def test_signed_numbers_are_data_not_formulas(client, make_party, auth_headers):
    regulator = auth_headers(make_party("regulator"))
    answer = _publish(client, regulator, b"trust,change,rate\nRXQ,-5,+1.5\nRXR,-1,000\n")
    assert answer.status_code == 201, answer.get_json()


@pytest.mark.parametrize(
    ("uploaded", "offered"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\boot.csv", "boot.csv"),
        ("invoice\u202evsc.exe", "invoicevsc.exe"),
        ("a\x00b.csv", "ab.csv"),
        ("\u200f\u202a.csv", "csv"),
    ],
)
def test_a_downloads_name_keeps_no_path_or_control_character(uploaded, offered):
    header = attachment_disposition(uploaded)
    assert f'filename="{offered}"' in header
    for bad in ("/", "\\", "\u202e", "\x00", "%2F", "%E2%80%AE", "%00"):
        assert bad not in header


def test_the_annotated_file_of_an_upload_named_with_a_path_is_offered_by_its_plain_name(
    app, make_user
):
    client = signed_in(app, make_user())
    response = post_file(client, make_csv([good(0)]), name="../../x\u202etxt.csv")
    assert response.status_code == 302
    download = client.get(response.headers["Location"] + "/annotated.csv")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert "/" not in disposition.split("filename*")[0] and "\u202e" not in disposition
    assert "%2F" not in disposition and "%E2%80%AE" not in disposition


def test_the_annotated_file_of_an_api_submission_is_404_not_a_broken_200(
    app, client, make_user, db_session
):
    user = make_user()
    new = identity.create_client(
        db_session,
        system("tests"),
        organisation_id=user.organisation_id,
        scopes=["experiences:write"],
    )
    db_session.commit()
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(new.client.client_id, new.client_secret),
    ).get_json()["access_token"]
    made = client.post(
        "/api/v1/experiences",
        json=experience_record(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 201, made.get_json()
    portal = signed_in(app, user)
    answer = portal.get(f"/portal/submissions/{made.get_json()['submission_id']}/annotated.csv")
    assert answer.status_code == 404


@pytest.mark.e2e
def test_an_over_long_address_is_a_problem_not_gunicorns_page(session_live_hub):
    for target in (f"/api/v1/experiences?q={'x' * 9000}", "/" + "a" * 9000):
        answer = requests.get(f"{session_live_hub.url}{target}", timeout=30)
        assert answer.status_code == 414
        assert answer.headers["Content-Type"] == "application/problem+json"
        problem = answer.json()
        assert (problem["status"], problem["code"]) == (414, "uri-too-long")
        assert "x" * 100 not in answer.text
