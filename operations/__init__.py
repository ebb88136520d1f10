"""Every write that crosses apps, validated once and with its consequences in one place.

A domain app (profiles, history, subscriptions, segments) writes only its own rows and
imports only the apps below it; a change that also records history or touches another
app's rows — a status change, a reported event with its side effects, a subscription with
its events, segment membership, an import, an export — is a function here, which the
pages, the API and the admin call alike (zulip's ``zerver/actions`` is the model). A
ValidationError from here is keyed by model field names; each interface shows it its way.
"""
