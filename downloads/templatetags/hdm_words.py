"""Template filters that turn HDM reason codes into sentences (`{% load hdm_words %}`)."""

from __future__ import annotations

from typing import Any

from django import template

from downloads import explain

register = template.Library()


@register.filter
def rejection_words(candidate: Any) -> str:
    return explain.rejection_text(candidate.rejection, candidate.score.get("detail", ""))


@register.filter
def failure_words(code: str) -> str:
    return explain.failure_text(code) if code else ""


@register.filter
def error_words(code: str) -> str:
    return explain.error_text(code)


@register.filter
def activity(job: Any) -> str:
    return explain.activity_text(job)


@register.filter
def quality_words(attributes: dict[str, Any]) -> str:
    return explain.quality_text(attributes or {})


@register.filter
def state_words(job: Any) -> str:
    return explain.state_text(job)
