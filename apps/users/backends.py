"""Authentication backends that refuse banned accounts, whichever way they log in."""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import backends


class ModelBackend(backends.ModelBackend):
    """Django's username + password backend (the admin log-in), closed to banned users."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_banned", False)


class AllauthBackend(AuthenticationBackend):
    """allauth's email + password backend, closed to banned users.

    allauth stashes a user whose password matched but who may not authenticate and hands it to
    the adapter's ``pre_login``, which shows the banned page instead of a wrong-password error.
    """

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_banned", False)
