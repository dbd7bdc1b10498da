"""Scaffolding: replaced by the real views."""

from django.http import Http404


def home(request, *args, **kwargs):
    raise Http404


def submissions(request, *args, **kwargs):
    raise Http404


def submission_approve(request, *args, **kwargs):
    raise Http404


def submission_reject(request, *args, **kwargs):
    raise Http404


def flags(request, *args, **kwargs):
    raise Http404


def flags_dismiss(request, *args, **kwargs):
    raise Http404


def claims(request, *args, **kwargs):
    raise Http404


def claim_approve(request, *args, **kwargs):
    raise Http404


def claim_reject(request, *args, **kwargs):
    raise Http404


def users(request, *args, **kwargs):
    raise Http404


def user_detail(request, *args, **kwargs):
    raise Http404


def user_warn(request, *args, **kwargs):
    raise Http404


def user_suspend(request, *args, **kwargs):
    raise Http404


def user_ban(request, *args, **kwargs):
    raise Http404


def user_unban(request, *args, **kwargs):
    raise Http404


def log(request, *args, **kwargs):
    raise Http404


class LogFeed:
    def __call__(self, request, *args, **kwargs):
        raise Http404
