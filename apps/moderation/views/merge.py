"""Scaffolding: replaced by the real views."""

from django.http import Http404


def paper_merge(request, *args, **kwargs):
    raise Http404
