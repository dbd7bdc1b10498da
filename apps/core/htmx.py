"""htmx and HTTP caching: one way for every view to say its response depends on htmx."""

from django.views.decorators.vary import vary_on_headers

# For every view whose response differs for htmx requests (a fragment instead of the page, a
# client-side redirect instead of a 302), so no cache or browser serves one for the other.
vary_on_htmx = vary_on_headers("HX-Request")
