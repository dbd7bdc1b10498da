"""Issue 13 item 10: display names cannot hide characters, claim a site role or pass for
someone else; pages show the @handle next to them."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.users.names import display_name_problem
from apps.users.roles import MODERATORS_GROUP
from apps.users.services import profile_update
from tests.factories import make_entry, make_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2024, 10, 2)

REFUSED = [
    "evil\u202egnp.exe",  # right-to-left override
    "Ada\u200bLovelace",  # zero-width space
    "Ada\u2066Lovelace\u2069",  # bidi isolate
    "Ada\u00adLovelace",  # soft hyphen (format)
    "Ada\u3164",  # Hangul filler: a letter that draws nothing
    "A\ufe0fda",  # variation selector
    "Ada\u2028Lovelace",  # line separator
    "Ada\ue000",  # private use
    "Ada\U000e0041",  # tag character
    "Ada\x07",
    "Z\u0301\u0302\u0303\u0304algo",
    "@ada",
    "Paperboard Moderator",
    "PAPERBOARD",
    "\uff50\uff41\uff50\uff45\uff52\uff42\uff4f\uff41\uff52\uff44 team",  # full-width
    "Paper-Board Staff",
    "The M0derator",
    "admin",
    "Site Admin",
    "mods",
    "P\u0430perboard",  # a Cyrillic a
]
ACCEPTED = [
    "Ada Lovelace",
    "Zhang Wei 张伟",
    "José Ñúñez",
    "محمد الخوارزمي",
    "Srinivasa Rāmānujan",
    "Admiral Grace Hopper",  # "admin" only as a whole word
    "Staffan Modig",
    "Dr. O'Brien-Smith",
]


@pytest.mark.parametrize("name", REFUSED)
def test_refused_names(name):
    assert display_name_problem(name) is not None


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_names(name):
    assert display_name_problem(name) is None


def test_settings_form_refuses_a_bidi_override_with_a_clear_message(client):
    user = make_user("ada", display_name="Ada Lovelace")
    client.force_login(user)
    response = client.post(reverse("users:settings"), {"display_name": "Ada\u202eecalevoL"})
    assert response.status_code == 400
    assert "invisible or control characters" in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == "Ada Lovelace"


def test_settings_form_refuses_role_names_to_users_but_not_to_moderators(client):
    user = make_user("mallory")
    client.force_login(user)
    response = client.post(reverse("users:settings"), {"display_name": "Paperboard Moderator"})
    assert response.status_code == 400
    assert "reserved for the site" in response.content.decode()
    moderator = make_user("mod-jane")
    moderator.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    profile_update(user=moderator, display_name="Jane (Paperboard moderator)")
    staff = make_user("root-ops", is_staff=True)
    profile_update(user=staff, display_name="Paperboard Staff")


def test_the_service_refuses_too_and_spaces_are_normalised():
    user = make_user("ada")
    with pytest.raises(ValidationError) as exc:
        profile_update(user=user, display_name="Ada\u200d")
    assert "display_name" in exc.value.message_dict
    profile_update(user=user, display_name="Ada\u00a0\u3000 Lovelace")
    user.refresh_from_db()
    assert user.display_name == "Ada Lovelace"


def test_a_copied_name_is_shown_with_its_own_handle(client):
    """Same names are allowed (people share names); the handle tells them apart."""
    make_user("ada", display_name="Ada Lovelace")
    copycat = make_user("mallory", display_name="Ada Lovelace")
    entry = make_entry(day=DAY, submitted_by=copycat)
    html = client.get(entry.paper.get_absolute_url()).content.decode()
    assert (
        'submitted by <a href="/users/mallory"><bdi class="user-name">Ada Lovelace</bdi> '
        '<span class="user-handle">@mallory</span></a>'
    ) in html
    day = client.get(reverse("papers:day", args=[entry.day])).content.decode()
    assert '<span class="user-handle">@mallory</span>' in day


def test_comment_authors_show_their_handle(client):
    from apps.comments.services import comment_create

    author = make_user("mallory", display_name="Ada Lovelace")
    entry = make_entry(day=DAY)
    comment_create(author=author, paper=entry.paper, body="Trust me")
    html = client.get(entry.paper.get_absolute_url()).content.decode()
    assert (
        '<bdi class="user-name">Ada Lovelace</bdi> <span class="user-handle">@mallory</span>'
    ) in html


def test_text_names_carry_the_handle_too():
    user = make_user("mallory", display_name="Ada Lovelace")
    assert user.name_with_handle == "Ada Lovelace (@mallory)"
    assert make_user("plain").name_with_handle == "@plain"
