"""The three interfaces, one package per app: pages (views, forms, URLs, templates), the
REST API (serializers, viewsets, URLs) and the admin.

They sit above ``operations`` and call it for every write that crosses apps; each app's
package imports only the ones below it (profiles ← history ← subscriptions ← segments,
audit), as the domain apps do.
"""
