"""What the client knows of one REST operation (the generated `schema.py` holds them). No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from bulkimport.backend import ComplexType, Effect, Field

__all__ = ["BODY", "REST_SERVICE", "RestOperation"]

# The key a REST operation carries as its "service" in a Call: one API, one service.
REST_SERVICE = "rest"
# The request field that holds the JSON body; the other request fields fill the path's
# placeholders or the query.
BODY = "body"


@dataclass(frozen=True, slots=True)
class RestOperation:
    """One operation of Nmbrs' OpenAPI document, as templates, pre-flight and reconciliation
    use it: `request` lists the path placeholders, then the query filters, then the `body`
    record; `result` is where a POST's 201 carries the new id (or the record a merge reads).
    """

    name: str  # the document's operationId
    method: str
    path: str
    effect: Effect
    request: tuple[Field, ...]
    result: Field | None = None
    paged: bool = False  # a list read: one page per call (pageNumber, pageSize), in a wrapper
    creates_employee: bool = False

    @property
    def service(self) -> str:
        return REST_SERVICE

    @property
    def path_names(self) -> tuple[str, ...]:
        """The request fields that fill the path's {placeholders}."""
        return tuple(f.name for f in self.request if "{" + f.name + "}" in self.path)

    @property
    def body(self) -> ComplexType | None:
        for field in self.request:
            if field.name == BODY and isinstance(field.type, ComplexType):
                return field.type
        return None
