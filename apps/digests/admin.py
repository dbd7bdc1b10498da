from django.contrib import admin

from apps.core.admin_actions import ReadOnlyAdminMixin
from apps.digests.models import Delivery, Digest, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Staff may correct a subscription's settings or status (e.g. switch a bounced address
    back on once its mailbox works); the token is the credential of its links: read-only."""

    list_display = (
        "email",
        "user",
        "status",
        "frequency",
        "delivery_hour",
        "time_zone",
        "created_at",
        "confirmed_at",
    )
    list_filter = ("status", "frequency")
    list_select_related = ("user",)
    search_fields = ("email",)
    date_hierarchy = "created_at"
    raw_id_fields = ("user",)
    readonly_fields = (
        "token",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
    )


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("frequency", "period_start", "period_end", "paper_count", "created_at")
    list_filter = ("frequency",)
    date_hierarchy = "period_start"

    @admin.display(description="papers")
    def paper_count(self, digest: Digest) -> int:
        return len(digest.paper_ids)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("subscription", "digest", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "digest__frequency")
    list_select_related = ("subscription", "digest")
    search_fields = ("subscription__email",)
    raw_id_fields = ("subscription", "digest")
