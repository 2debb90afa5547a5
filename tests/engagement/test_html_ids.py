"""Every engagement page's form controls have unique, real ids, so each label points at its
own control (the Status filter once gave all three radios ``id="None"``)."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_fors: list[str] = []
        self.controls: list[tuple[str, str | None]] = []  # (name, id) of each input

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and "for" in attrs:
            self.label_fors.append(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden"}:
            self.controls.append((attrs.get("name") or "", attrs.get("id")))


def assert_ids_sound(html: str) -> _Ids:
    parser = _Ids()
    parser.feed(html)
    duplicates = [i for i, n in Counter(parser.ids).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert "None" not in parser.ids and "" not in parser.ids
    missing = [f for f in parser.label_fors if f not in parser.ids]
    assert not missing, f"labels pointing at no control: {missing}"
    assert all(control_id for name, control_id in parser.controls if name != "csrfmiddlewaretoken")
    return parser


def test_list_filters_have_unique_ids_and_each_status_label_its_own_radio(client, open_request):
    parser = assert_ids_sound(client.get("/engagement/?status=closed").content.decode())
    status_ids = [i for name, i in parser.controls if name == "status"]
    assert len(status_ids) == 3
    assert set(status_ids) <= set(parser.label_fors)


@pytest.mark.parametrize(
    ("who", "suffix"),
    [
        ("anonymous", ""),
        ("author", ""),
        ("author", "questions/"),
        ("author", "responses/"),
        ("author", "participants/"),
        ("author", "withdraw/"),
        ("author", "co-owners/"),
        ("responder", ""),
        ("responder", "respond/"),
        ("responder", "ask/"),
    ],
)
def test_request_pages_have_unique_ids(request, client, response, open_request, who, suffix):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    got = client.get(f"/engagement/{open_request.pk}/{suffix}")
    assert got.status_code == 200
    assert_ids_sound(got.content.decode())
