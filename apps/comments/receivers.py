"""Comments follow accounts: a deleted account's comments stay, its comment votes go."""

from django.dispatch import receiver

from apps.comments.services import comment_votes_remove_all
from apps.users.models import User
from apps.users.signals import user_deleting


@receiver(user_deleting, dispatch_uid="comments_remove_votes_on_account_deletion")
def remove_comment_votes_of_deleted_account(sender, user: User, **kwargs) -> None:
    comment_votes_remove_all(user=user)
