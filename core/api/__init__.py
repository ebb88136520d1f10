"""The strict pieces every part of the REST API is built from: fields and serializers that
coerce nothing, errors that name the field, paging without counts, model permissions."""
