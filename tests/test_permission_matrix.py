"""Every URL pattern, requested by every kind of visitor, answers what the matrix below says.

The matrix is the site's access policy in one table: a row per URL pattern of ``config.urls``
(walked recursively, allauth's and the API's included; the admin through a representative set
of its pages), a column per role, for GET and for POST. A new URL pattern fails
``test_every_url_pattern_is_in_the_matrix`` until someone decides who may use it.

Roles: ``anon`` (no session); ``unverified`` (logged in, email not verified); ``verified``
(an ordinary member); ``banned`` (logged in before a ban: the backend drops the session's user,
so the site sees a visitor); ``suspended`` (may read and log in, not post); ``owner`` (author of
the comment, submitter of the paper and of the submission, claimant, flagger, notification
recipient and digest subscriber the URLs point at); ``moderator`` (the ``moderators`` group);
``staff`` (``is_staff``, which the site counts as a moderator).

Codes: the status, with ``L`` for a redirect to a log-in page (``302L``) and ``R`` for one to
re-authentication (``302R``: the password again before deleting the account or changing the
email address). POSTs send ``POST_DATA`` and no CSRF token (the test client does not enforce
CSRF; the views' own tests do): what is checked is who gets past the door, so an allowed POST
does the action or answers with its form's 400/422. Each request runs in a savepoint that is
rolled back, the client is put back into its session, and Redis is emptied between requests, so
nothing (a deletion, a log-out, a rate limit) leaks from one cell to the next.

Set ``PERMISSION_MATRIX_DUMP=1`` to print the observed table in the matrix's own format.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.digests.models import Digest, Subscription
from apps.digests.tokens import confirmation_token
from apps.moderation.models import Flag
from apps.notifications.models import Notification
from apps.papers.models import AuthorClaim
from apps.submissions.models import Submission
from tests.factories import PASSWORD, make_entry, make_paper, make_user, verify_for_log_in
from tests.moderation.conftest import make_moderator

ROLES = ("anon", "unverified", "verified", "banned", "suspended", "owner", "moderator", "staff")
DAY = dt.date(2024, 10, 1)  # a Tuesday: the paper's day, its ISO week 2024-W40

# GET and POST per URL pattern, one code per role in the order of ROLES:
#                                                      anon unve veri bann susp owne mode staf
# fmt: off
MATRIX: dict[str, dict[str, str]] = {
    "healthz":                                {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "csrf":                                   {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "users:settings":                         {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "302L 302  302  302L 302  302  302  302"},
    "users:delete":                           {"GET": "302L 302R 302R 302L 302R 302R 302R 302R",
                                               "POST": "302L 302R 302R 302L 302R 302R 302R 302R"},
    "users:reauthenticate_github":            {"GET": "302L 404  404  302L 404  404  404  404",
                                               "POST": "302L 404  404  302L 404  404  404  404"},
    "users:avatar":                           {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "account_login":                          {"GET": "200  302  302  200  302  302  302  302",
                                               "POST": "400  302  302  400  302  302  302  302"},
    "account_logout":                         {"GET": "302  200  200  302  200  200  200  200",
                                               "POST": "302  302  302  302  302  302  302  302"},
    "account_inactive":                       {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "account_signup":                         {"GET": "200  302  302  200  302  302  302  302",
                                               "POST": "400  302  302  400  302  302  302  302"},
    "account_reauthenticate":                 {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "302L 400  400  302L 400  400  400  400"},
    "account_request_reauthentication_code":  {"GET": "302L 302R 200  302L 200  200  200  200",
                                               "POST": "302L 302R 400  302L 400  400  400  400"},
    "account_confirm_reauthentication_code":  {"GET": "302L 302R 302R 302L 302R 302R 302R 302R",
                                               "POST": "302L 302R 302R 302L 302R 302R 302R 302R"},
    "account_email":                          {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "302L 302  302  302L 302  302  302  302"},
    "account_email_verification_sent":        {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "account_change_password":                {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "302L 400  400  302L 400  400  400  400"},
    "account_set_password":                   {"GET": "302L 302  302  302L 302  302  302  302",
                                               "POST": "302L 302  302  302L 302  302  302  302"},
    "account_reset_password":                 {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "400  400  400  400  400  400  400  400"},
    "account_confirm_login_code":             {"GET": "302L 302  302  302L 302  302  302  302",
                                               "POST": "302L 302  302  302L 302  302  302  302"},
    "account_confirm_email":                  {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "404  404  404  404  404  404  404  404"},
    "account_reset_password_from_key_done":   {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "account_reset_password_from_key":        {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "400  400  400  400  400  400  400  400"},
    "account_reset_password_done":            {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "socialaccount_login_cancelled":          {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "socialaccount_login_error":              {"GET": "401  401  401  401  401  401  401  401",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "socialaccount_signup":                   {"GET": "302L 302L 302L 302L 302L 302L 302L 302L",
                                               "POST": "302L 302L 302L 302L 302L 302L 302L 302L"},
    "socialaccount_connections":              {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "302L 400  400  302L 400  400  400  400"},
    "accounts/social/login/cancelled/":       {"GET": "301  301  301  301  301  301  301  301",
                                               "POST": "301  301  301  301  301  301  301  301"},
    "accounts/social/login/error/":           {"GET": "301  301  301  301  301  301  301  301",
                                               "POST": "301  301  301  301  301  301  301  301"},
    "accounts/social/signup/":                {"GET": "301  301  301  301  301  301  301  301",
                                               "POST": "301  301  301  301  301  301  301  301"},
    "accounts/social/connections/":           {"GET": "301  301  301  301  301  301  301  301",
                                               "POST": "301  301  301  301  301  301  301  301"},
    "github_login":                           {"GET": "404  404  404  404  404  404  404  404",
                                               "POST": "404  404  404  404  404  404  404  404"},
    "github_callback":                        {"GET": "404  404  404  404  404  404  404  404",
                                               "POST": "404  404  404  404  404  404  404  404"},
    "api:daily_papers":                       {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "api:search":                             {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "api:paper":                              {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "api/^(?P<rest>.*)$":                     {"GET": "404  404  404  404  404  404  404  404",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:home":                        {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:submissions":                 {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:submission_approve":          {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:submission_reject":           {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:flags":                       {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:flags_dismiss":               {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:claims":                      {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:claim_approve":               {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:claim_reject":                {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:users":                       {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:user":                        {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:user_warn":                   {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:user_suspend":                {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:user_ban":                    {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:user_unban":                  {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  400  400"},
    "moderation:log":                         {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:log_feed":                    {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "moderation:flag_paper":                  {"GET": "302L 403  200  302L 403  200  200  200",
                                               "POST": "302L 403  302  302L 403  302  302  302"},
    "moderation:flag_comment":                {"GET": "302L 403  200  302L 403  200  200  200",
                                               "POST": "302L 403  302  302L 403  403  302  302"},
    "moderation:flag_withdraw":               {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 404  404  302L 404  302  404  404"},
    "moderation:comment_hide":                {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:comment_restore":             {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  403  422  422"},
    "moderation:discussion_lock":             {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:discussion_unlock":           {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "302L 403  403  302L 403  403  422  422"},
    "moderation:paper_edit":                  {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "302L 403  403  302L 403  403  422  422"},
    "moderation:paper_remove_from_day":       {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "302L 403  403  302L 403  403  302  302"},
    "moderation:paper_merge":                 {"GET": "302L 403  403  302L 403  403  200  200",
                                               "POST": "302L 403  403  302L 403  403  400  400"},
    "submissions:submit":                     {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "302L 400  400  302L 400  400  400  400"},
    "submissions:status":                     {"GET": "302L 404  404  302L 404  200  404  404",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "submissions:retry":                      {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 404  404  302L 404  302  404  404"},
    "ingestion:new_latest":                   {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "ingestion:new_day":                      {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:home":                            {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:latest":                          {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:jump":                            {"GET": "400  400  400  400  400  400  400  400",
                                               "POST": "400  400  400  400  400  400  400  400"},
    "papers:day":                             {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:week":                            {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:month":                           {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:trending":                        {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:search":                          {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:detail_md":                       {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:detail":                          {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:claim":                           {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 400  400  302L 400  400  400  400"},
    "papers:claim_again":                     {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 404  404  302L 404  400  404  404"},
    "papers:feed_daily_rss":                  {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:feed_daily_atom":                 {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:feed_trending_rss":               {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "papers:feed_trending_atom":              {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "votes:paper":                            {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  302  302L 403  302  302  302"},
    "votes:comment":                          {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  302  302L 403  302  302  302"},
    "comments:list":                          {"GET": "302  302  302  302  302  302  302  302",
                                               "POST": "302L 403  302  302L 403  302  302  302"},
    "comments:detail":                        {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "comments:replies":                       {"GET": "302  302  302  302  302  302  302  302",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "comments:preview":                       {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "403  200  200  403  200  200  200  200"},
    "comments:reply":                         {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "comments:edit":                          {"GET": "302L 403  403  302L 403  200  403  403",
                                               "POST": "302L 403  403  302L 403  302  403  403"},
    "comments:delete":                        {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 403  403  302L 403  302  403  403"},
    "notifications:list":                     {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "302L 405  405  302L 405  405  405  405"},
    "notifications:read_all":                 {"GET": "302L 405  405  302L 405  405  405  405",
                                               "POST": "302L 302  302  302L 302  302  302  302"},
    "notifications:settings":                 {"GET": "302L 200  200  302L 200  200  200  200",
                                               "POST": "302L 302  302  302L 302  302  302  302"},
    "notifications:read":                     {"GET": "302L 405  405  302L 405  405  405  405",
                                               "POST": "302L 302  302  302L 302  302  302  302"},
    "digests:home":                           {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "digests:subscribe":                      {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "400  400  400  400  400  400  400  400"},
    "digests:settings":                       {"GET": "405  405  405  405  405  405  405  405",
                                               "POST": "302L 400  400  302L 400  400  400  400"},
    "digests:confirm":                        {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "200  200  200  200  200  200  200  200"},
    "digests:unsubscribe":                    {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "200  200  200  200  200  200  200  200"},
    "digests:manage":                         {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "400  400  400  400  400  400  400  400"},
    "digests:preview":                        {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "digests:archive":                        {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "digests:daily":                          {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "digests:weekly":                         {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "profiles:detail":                        {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "profiles:tab":                           {"GET": "200  200  200  200  200  200  200  200",
                                               "POST": "405  405  405  405  405  405  405  405"},
    "^media/(?P<path>thumbnails/.{1,189})$":  {"GET": "404  404  404  404  404  404  404  404",
                                               "POST": "404  404  404  404  404  404  404  404"},
    "admin index":                            {"GET": "302L 302L 302L 302L 302L 302L 302L 200",
                                               "POST": "302L 302L 302L 302L 302L 302L 302L 200"},
    "admin changelist":                       {"GET": "302L 302L 302L 302L 302L 302L 302L 403",
                                               "POST": "302L 302L 302L 302L 302L 302L 302L 403"},
    "admin change form":                      {"GET": "302L 302L 302L 302L 302L 302L 302L 403",
                                               "POST": "302L 302L 302L 302L 302L 302L 302L 403"},
    "admin login":                            {"GET": "200  200  200  200  200  200  200  302",
                                               "POST": "200  200  200  200  200  200  200  200"},
}
# fmt: on

# Every POST sends these fields (forms ignore the ones they do not have), valid enough for the
# comment, flag and moderation forms that a refusal comes from the permission check, not from
# an empty form.
POST_DATA = {"body": "A fine comment.", "reason": "spam", "text": "Spam.", "days": "3"}

# The admin: every pattern under admin/ is covered by these representative pages.
ADMIN_PAGES = {
    "admin index": "/admin/",
    "admin changelist": "/admin/papers/paper/",
    "admin change form": "/admin/papers/paper/{paper_pk}/change/",
    "admin login": "/admin/login/",
}


@dataclass
class World:
    users: dict[str, object]
    paper: object
    comment: Comment
    submission: Submission
    claim: AuthorClaim
    flag: Flag
    notification: Notification
    subscription: Subscription
    target: object  # the member the moderation user pages act on


def url_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """(key, route) of every URL pattern: its namespaced name, else its route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
            else:
                yield route, route


def url_paths(world: World) -> dict[str, str]:
    """A concrete path for each matrix key: objects of the world in its segments."""
    paper, comment = world.paper, world.comment
    arxiv = {"arxiv_id": paper.arxiv_id}
    owner = world.users["owner"].username
    token = world.subscription.token
    named = {
        "users:avatar": {"username": owner},
        "account_confirm_email": {"key": "bogus-key"},
        "account_reset_password_from_key": {"uidb36": "1", "key": "bogus-key"},
        "api:paper": {"paper_id": paper.arxiv_id},
        "moderation:submission_approve": {"pk": world.submission.pk},
        "moderation:submission_reject": {"pk": world.submission.pk},
        "moderation:flags_dismiss": {"kind": "comment", "pk": comment.pk},
        "moderation:claim_approve": {"pk": world.claim.pk},
        "moderation:claim_reject": {"pk": world.claim.pk},
        "moderation:user": {"username": world.target.username},
        "moderation:user_warn": {"username": world.target.username},
        "moderation:user_suspend": {"username": world.target.username},
        "moderation:user_ban": {"username": world.target.username},
        "moderation:user_unban": {"username": world.target.username},
        "moderation:flag_paper": arxiv,
        "moderation:flag_comment": {"pk": comment.pk},
        "moderation:flag_withdraw": {"pk": world.flag.pk},
        "moderation:comment_hide": {"pk": comment.pk},
        "moderation:comment_restore": {"pk": comment.pk},
        "moderation:discussion_lock": arxiv,
        "moderation:discussion_unlock": arxiv,
        "moderation:paper_edit": arxiv,
        "moderation:paper_remove_from_day": arxiv,
        "moderation:paper_merge": arxiv,
        "submissions:status": {"pk": world.submission.pk},
        "submissions:retry": {"pk": world.submission.pk},
        "ingestion:new_day": {"day": DAY},
        "papers:day": {"day": DAY},
        "papers:week": {"week": "2024-W40"},
        "papers:month": {"month": "2024-10"},
        "papers:detail_md": arxiv,
        "papers:detail": arxiv,
        "papers:claim": arxiv,
        "papers:claim_again": {**arxiv, "pk": world.claim.pk},
        "votes:paper": arxiv,
        "votes:comment": {"pk": comment.pk},
        "comments:list": arxiv,
        "comments:detail": {**arxiv, "pk": comment.pk},
        "comments:replies": {**arxiv, "pk": comment.pk},
        "comments:reply": {"pk": comment.pk},
        "comments:edit": {"pk": comment.pk},
        "comments:delete": {"pk": comment.pk},
        "notifications:read": {"pk": world.notification.pk},
        "digests:confirm": {"token": confirmation_token(world.subscription)},
        "digests:unsubscribe": {"token": token},
        "digests:manage": {"token": token},
        "digests:daily": {"day": DAY},
        "digests:weekly": {"week": "2024-W40"},
        "profiles:detail": {"username": owner},
        "profiles:tab": {"username": owner, "tab": "comments"},
    }
    unnamed = {
        "accounts/social/login/cancelled/": "/accounts/social/login/cancelled/",
        "accounts/social/login/error/": "/accounts/social/login/error/",
        "accounts/social/signup/": "/accounts/social/signup/",
        "accounts/social/connections/": "/accounts/social/connections/",
        "api/^(?P<rest>.*)$": "/api/no/such/endpoint",
        "^media/(?P<path>thumbnails/.{1,189})$": "/media/thumbnails/missing.png",
    }
    paths = {}
    for key, route in url_patterns():
        if route.startswith("admin/"):
            continue
        paths[key] = unnamed.get(key) or reverse(key, kwargs=named.get(key, {}))
    for key, path in ADMIN_PAGES.items():
        paths[key] = path.format(paper_pk=paper.pk)
    return paths


def build_world() -> World:
    owner = verify_for_log_in(make_user("owner"))
    unverified = make_user("unverified", verified=False)  # signed up, link not followed yet
    unverified.set_password(PASSWORD)
    unverified.save(update_fields=["password"])
    users = {
        "unverified": unverified,
        "verified": verify_for_log_in(make_user("verified")),
        "banned": verify_for_log_in(make_user("banned")),
        "suspended": verify_for_log_in(
            make_user("suspended", suspended_until=timezone.now() + dt.timedelta(days=7))
        ),
        "owner": owner,
        "moderator": make_moderator("moderator"),
        "staff": verify_for_log_in(make_user("staff", is_staff=True)),
    }
    target = verify_for_log_in(make_user("target"))
    paper = make_entry(day=DAY, submitted_by=owner).paper
    comment = comment_create(author=owner, paper=paper, body="A first comment.")
    comment_create(author=target, paper=paper, body="A reply.", parent=comment)
    submitted = make_paper(arxiv_id="2410.99001")
    submission = Submission.objects.create(
        submitted_by=owner, arxiv_id=submitted.arxiv_id, paper=submitted,
        status=Submission.Status.PENDING,
    )  # fmt: skip
    claim = AuthorClaim.objects.create(user=owner, authorship=paper.authorships.first())
    flag = Flag.objects.create(flagged_by=owner, comment=comment, reason=Flag.Reason.SPAM)
    notification = Notification.objects.create(
        recipient=owner, actor=target, kind=Notification.Kind.REPLY, comment=comment
    )
    subscription = Subscription.objects.create(
        email=owner.email, user=owner, status=Subscription.Status.ACTIVE
    )
    Digest.objects.create(frequency="daily", period_start=DAY, period_end=DAY, paper_ids=[paper.pk])
    Digest.objects.create(
        frequency="weekly", period_start=dt.date(2024, 9, 30), period_end=dt.date(2024, 10, 6),
        paper_ids=[paper.pk],
    )  # fmt: skip
    return World(
        users=users, paper=paper, comment=comment, submission=submission, claim=claim,
        flag=flag, notification=notification, subscription=subscription, target=target,
    )  # fmt: skip


def role_clients(world: World) -> dict[str, Client]:
    clients = {"anon": Client(raise_request_exception=False)}
    clients["anon"].matrix_session = None
    for role, user in world.users.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        client.matrix_session = client.cookies[settings.SESSION_COOKIE_NAME].value
        clients[role] = client
    type(world.users["banned"]).objects.filter(pk=world.users["banned"].pk).update(is_banned=True)
    return clients


def _code(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if location.startswith(("/accounts/login/", "/admin/login/")):
            return f"{status}L"
        if location.startswith("/accounts/reauthenticate/"):
            return f"{status}R"
    return str(status)


def _observe(client: Client, method: str, path: str) -> str:
    return _code(request_in_savepoint(client, method, path, POST_DATA))


def request_in_savepoint(client: Client, method: str, path: str, data=None, **extra):
    """One request whose writes are rolled back, in the client's original session."""
    cache.clear()
    # Only the session cookie: a log-out or a deletion in an earlier cell is rolled back in the
    # database, and this puts the client back into the session it had.
    client.cookies.clear()
    if client.matrix_session:
        client.cookies[settings.SESSION_COOKIE_NAME] = client.matrix_session
    with transaction.atomic():
        if method == "GET":
            response = client.get(path, secure=True, **extra)
        elif isinstance(data, str | bytes):  # a raw body, sent as is in its content type
            response = client.generic(method, path, data, secure=True, **extra)
        else:
            response = client.post(path, data, secure=True, **extra)
        transaction.set_rollback(True)
    return response


@pytest.fixture
def world(db, fast_password_hasher):
    return build_world()


def test_every_url_pattern_is_in_the_matrix():
    known = set(MATRIX)
    missing = [
        key for key, route in url_patterns() if not route.startswith("admin/") and key not in known
    ]
    assert not missing, "\n".join(
        f"new URL {key} is not in the permission matrix" for key in missing
    )
    stale = known - {key for key, _ in url_patterns()} - set(ADMIN_PAGES)
    assert not stale, f"the matrix has rows for URLs that no longer exist: {sorted(stale)}"


def test_every_role_gets_what_the_matrix_says(world):
    paths = url_paths(world)
    clients = role_clients(world)
    observed: dict[str, dict[str, str]] = {}
    mismatches = []
    for key, path in paths.items():
        observed[key] = {}
        for method in ("GET", "POST"):
            codes = [_observe(clients[role], method, path) for role in ROLES]
            observed[key][method] = " ".join(f"{code:4}" for code in codes).rstrip()
            expected = MATRIX.get(key, {}).get(method)
            if expected is None:
                mismatches.append(f"{key} {method}: not in the matrix")
                continue
            for role, want, got in zip(ROLES, expected.split(), codes, strict=True):
                if want != got:
                    mismatches.append(f"{method} {path} ({key}) as {role}: {got}, expected {want}")
    if os.environ.get("PERMISSION_MATRIX_DUMP"):
        width = max(len(key) for key in observed) + 3
        for key, row in observed.items():
            label = repr(key) + ":"
            print(f'    {label:{width}} {{"GET": "{row["GET"]}",')
            print(f'    {"":{width}}  "POST": "{row["POST"]}"}},')
    assert not mismatches, "\n".join(mismatches)


def test_a_banned_session_is_a_visitor(world):
    """The matrix's banned column relies on this: the ban takes effect on the next request."""
    client = Client()
    client.force_login(world.users["verified"])
    type(world.users["verified"]).objects.filter(pk=world.users["verified"].pk).update(
        is_banned=True
    )
    response = client.get(reverse("notifications:list"), secure=True)
    assert response.status_code == 302
    assert isinstance(response.wsgi_request.user, AnonymousUser)
