from django.contrib import admin

from apps.comments.models import Comment
from apps.comments.services import comment_body_render


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["pk", "paper", "author", "created_at", "upvotes_count", "is_deleted"]
    list_filter = ["is_deleted"]
    search_fields = ["body", "author__username", "paper__arxiv_id"]
    raw_id_fields = ["paper", "author", "parent"]
    readonly_fields = ["body_html", "upvotes_count"]
    list_select_related = ["paper", "author"]

    def get_readonly_fields(self, request, obj: Comment | None = None) -> list[str]:
        """A comment stays where it is in its thread: its paper, parent and depth (and the
        thread's top-level comment, ``root``, derived from them) are set when it is made."""
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "paper", "parent", "depth"]

    def save_model(self, request, obj: Comment, form, change: bool) -> None:
        """The page shows ``body_html``: an edited body is rendered and sanitised again."""
        if "body" in form.changed_data:
            obj.body_html = comment_body_render(body=obj.body).html
        super().save_model(request, obj, form, change)
