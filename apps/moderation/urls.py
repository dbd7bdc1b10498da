from django.urls import path

from apps.moderation.views import area, items, merge

app_name = "moderation"

urlpatterns = [
    # The moderators' area: queues and users (moderators only, 403 for everyone else).
    path("moderation/", area.home, name="home"),
    path("moderation/submissions", area.submissions, name="submissions"),
    path(
        "moderation/submissions/<int:pk>/approve",
        area.submission_approve,
        name="submission_approve",
    ),
    path(
        "moderation/submissions/<int:pk>/reject", area.submission_reject, name="submission_reject"
    ),
    path("moderation/flags", area.flags, name="flags"),
    path("moderation/flags/<str:kind>/<int:pk>/dismiss", area.flags_dismiss, name="flags_dismiss"),
    path("moderation/claims", area.claims, name="claims"),
    path("moderation/claims/<int:pk>/approve", area.claim_approve, name="claim_approve"),
    path("moderation/claims/<int:pk>/reject", area.claim_reject, name="claim_reject"),
    path("moderation/users", area.users, name="users"),
    path("moderation/users/<str:username>", area.user_detail, name="user"),
    path("moderation/users/<str:username>/warn", area.user_warn, name="user_warn"),
    path("moderation/users/<str:username>/suspend", area.user_suspend, name="user_suspend"),
    path("moderation/users/<str:username>/ban", area.user_ban, name="user_ban"),
    path("moderation/users/<str:username>/unban", area.user_unban, name="user_unban"),
    # The public log and its feed (everyone).
    path("moderation/log", area.log, name="log"),
    path("moderation/log/feed", area.LogFeed(), name="log_feed"),
    # Flags, for users in good standing.
    path("papers/<arxiv_id:arxiv_id>/flag", items.flag_paper, name="flag_paper"),
    path("comments/<int:pk>/flag", items.flag_comment, name="flag_comment"),
    path("flags/<int:pk>/withdraw", items.flag_withdraw, name="flag_withdraw"),
    # Acting in place, from the comment or the paper's page (moderators only).
    path("moderation/comments/<int:pk>/hide", items.comment_hide, name="comment_hide"),
    path("moderation/comments/<int:pk>/restore", items.comment_restore, name="comment_restore"),
    path(
        "moderation/papers/<arxiv_id:arxiv_id>/lock", items.discussion_lock, name="discussion_lock"
    ),
    path(
        "moderation/papers/<arxiv_id:arxiv_id>/unlock",
        items.discussion_unlock,
        name="discussion_unlock",
    ),
    path("moderation/papers/<arxiv_id:arxiv_id>/edit", items.paper_edit, name="paper_edit"),
    path(
        "moderation/papers/<arxiv_id:arxiv_id>/remove-from-day",
        items.paper_remove_from_day,
        name="paper_remove_from_day",
    ),
    path("moderation/papers/<arxiv_id:arxiv_id>/merge", merge.paper_merge, name="paper_merge"),
]
