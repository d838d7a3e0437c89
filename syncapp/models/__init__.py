from syncapp.models.api_client import ApiClient

__all__ = ["ApiClient"]
