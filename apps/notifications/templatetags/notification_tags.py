from django import template

from apps.notifications.selectors import unread_notifications_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    return unread_notifications_count(user=user) if user is not None else 0
