"""Signals other apps connect to; the users app itself does not know about votes or comments."""

from django.dispatch import Signal

# Sent by ``user_delete`` inside its transaction, before the user row is deleted, with
# ``sender=User`` and ``user=<the user>``. Receivers clean up what must not outlive the account
# while they can still read it, e.g. the votes app deletes the user's votes and recomputes the
# counts of the papers they touched (in the same transaction, so counts never drift).
# Rows that should stay, such as comments, use ``on_delete=SET_NULL`` on their author and are
# shown as written by ``apps.users.models.DELETED_USER_NAME``.
user_deleting = Signal()
