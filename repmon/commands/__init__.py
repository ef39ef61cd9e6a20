"""One module of click commands per area; repmon.cli registers them."""

__all__: list[str] = []
