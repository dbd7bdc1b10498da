"""Authentication backends that refuse banned accounts, whichever way they log in."""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import backends
from django.db.models import Exists, OuterRef

from apps.users.models import User
from apps.users.roles import MODERATORS_GROUP


class _SessionUserMixin:
    """The user of each request, loaded with whether they are in the moderators group.

    The header's Moderation link and the moderator tools ask on every logged-in page
    (``roles.user_is_moderator`` reads ``_is_moderator``): one query instead of two.
    """

    def get_user(self, user_id):
        in_group = User.groups.through.objects.filter(
            user_id=OuterRef("pk"), group__name=MODERATORS_GROUP
        )
        user = (
            User._default_manager.annotate(_is_moderator=Exists(in_group))
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_SessionUserMixin, backends.ModelBackend):
    """Django's username + password backend (the admin log-in), closed to banned users."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_banned", False)


class AllauthBackend(_SessionUserMixin, AuthenticationBackend):
    """allauth's email + password backend, closed to banned users.

    allauth stashes a user whose password matched but who may not authenticate and hands it to
    the adapter's ``pre_login``, which shows the banned page instead of a wrong-password error.
    """

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_banned", False)
