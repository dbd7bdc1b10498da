"""Scaffolding: replaced by the real views."""

from django.http import Http404


def flag_paper(request, *args, **kwargs):
    raise Http404


def flag_comment(request, *args, **kwargs):
    raise Http404


def flag_withdraw(request, *args, **kwargs):
    raise Http404


def comment_hide(request, *args, **kwargs):
    raise Http404


def comment_restore(request, *args, **kwargs):
    raise Http404


def discussion_lock(request, *args, **kwargs):
    raise Http404


def discussion_unlock(request, *args, **kwargs):
    raise Http404


def paper_edit(request, *args, **kwargs):
    raise Http404


def paper_remove_from_day(request, *args, **kwargs):
    raise Http404
