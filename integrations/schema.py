from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key zf_<prefix>_<secret>`, issued by a program admin in the admin.",
        }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
ERROR_RESPONSES = {
    "400": "The request is invalid; `fields` names each field with its messages.",
    "401": "No valid credentials were sent.",
    "403": "The credentials do not allow this request.",
    "404": "No such object, or it belongs to another provider.",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for a representation the API does not serve.",
    "409": "The request is well formed but the program's rules refuse it in the current state "
    "(e.g. a run already in progress, an unknown provider code in a batch, an Idempotency-Key "
    "already used with another body); `fields` names each field.",
    "413": "The request body is too large; send it in smaller batches.",
    "415": "The request body's media type is not supported.",
    "429": "Too many requests; retry after the time in Retry-After.",
}


def add_error_responses(result, generator, request, public):
    """Documents the one error shape for every operation, so clients and fuzzers know it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                # An error documented by a view with only its description still has this shape.
                if code[0] in "45" and not response.get("content"):
                    response["content"] = {"application/json": {"schema": reference}}
    return result


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    """An EnumField is a reference to one component per choice set, named after the set."""

    target_class = "integrations.serializers.EnumField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={"type": "string", "enum": [str(value) for value in field.choices]},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class RequiredBodySchema(AutoSchema):
    """A view whose request body is always required, which drf-spectacular cannot tell from a
    polymorphic (oneOf) body: `schema = RequiredBodySchema()`."""

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body is not None:
            body["required"] = True
        return body
