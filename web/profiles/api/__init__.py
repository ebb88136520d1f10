"""The REST API of profiles: serializers (``serializers``), viewsets (``views``), fields."""
