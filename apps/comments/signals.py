"""Signals other apps connect to; comments do not know who reacts to them."""

from django.dispatch import Signal

# Sent by ``comment_create`` inside its transaction, after the comment row and the paper's
# count are written, with ``sender=Comment``, ``comment=<the new comment>`` and
# ``mentioned_users=<the existing users it @mentions>``. Receivers that queue work (emails)
# use ``transaction.on_commit``, so nothing leaves for a comment that is rolled back.
comment_created = Signal()
