"""The address the hub prints when it starts leads somewhere: ``/`` links to the portal, the API
reference and the OpenAPI document; ``/portal/`` is the portal as ``/portal`` is."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.api.test_portal_upload import signed_in


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value or "" for name, value in attrs if name == "href"]


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def test_the_root_links_to_the_portal_the_api_reference_and_the_openapi_document(client):
    page = client.get("/")

    assert page.status_code == 200
    assert page.mimetype == "text/html"
    hrefs = links(page.get_data(as_text=True))
    for target in ("/portal", "/api/v1/docs", "/api/v1/openapi.json"):
        assert target in hrefs
        assert client.get(target).status_code in (200, 302), target


def test_portal_with_a_slash_is_the_portal(app, client, make_party, make_user):
    anonymous = client.get("/portal/", follow_redirects=True)
    assert anonymous.status_code == 200
    assert anonymous.request.path == "/portal/sign-in"

    user = make_user("uploader", org=make_party("charity").org)
    page = signed_in(app, user).get("/portal/", follow_redirects=True)
    assert page.status_code == 200
    assert page.request.path == "/portal"
    assert "What you can do" in page.get_data(as_text=True)
