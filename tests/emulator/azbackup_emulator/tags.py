"""The Tags API at a scope: {resource group or resource id}/providers/Microsoft.Resources/tags/default
(GET, PUT, PATCH with operation Merge / Replace / Delete, DELETE), api-version 2021-04-01 and
any plausible other. The tags are those of the resource's ARM body."""

from . import versions as V
from .core_types import Response
from .errors import ApiError, method_not_allowed, resource_not_found, rg_not_found

RESERVED = set('<>%&\\?/')
OPERATIONS = {"merge": "Merge", "replace": "Replace", "delete": "Delete"}


def _split(segs):
    """Index of the `providers` segment of `…/providers/Microsoft.Resources/tags/default`, or None."""
    low = [s.lower() for s in segs]
    i = len(low) - 4
    if i >= 2 and low[0] == "subscriptions" and low[i:] == ["providers", "microsoft.resources", "tags", "default"]:
        return i
    return None


def _target(core, scope):
    """The ARM body holding the tags of a resource group or a (top-level) resource."""
    low = [s.lower() for s in scope]
    if len(low) == 4 and low[2] == "resourcegroups":
        body = core.state.rg(scope[1], scope[3])
        if body is None:
            raise rg_not_found(scope[3])
        return body
    if len(low) == 8 and low[2] == "resourcegroups" and low[4] == "providers":
        if core.state.rg(scope[1], scope[3]) is None:
            raise rg_not_found(scope[3])
        body = core.state.get("/" + "/".join(scope))
        if body is None:
            raise resource_not_found("%s/%s" % (scope[5], scope[6]), scope[7], scope[3])
        return body
    return None


def route(core, req):
    i = _split(req.segments)
    if i is None:
        return None
    scope = req.segments[:i]
    V.check_api_version(req.api_version, V.plausible_generic, "tags", "westeurope", core.state.region_names())
    body = _target(core, scope)
    if body is None:
        return None
    m = req.method
    if m == "GET":
        return Response(200, tags_doc(body))
    if m == "DELETE":
        body["tags"] = {}
        return Response(200, None)
    if m not in ("PUT", "PATCH"):
        raise method_not_allowed(m)
    payload = req.json if isinstance(req.json, dict) else {}
    new = _tags(payload)
    if m == "PUT":
        body["tags"] = new
        return Response(200, tags_doc(body))
    op = OPERATIONS.get(str(payload.get("operation") or "").lower())
    if op is None:
        raise _invalid("the operation '%s' is not one of Merge, Replace, Delete" % payload.get("operation"))
    body["tags"] = apply(body.get("tags") or {}, op, new)
    return Response(200, tags_doc(body))


def _invalid(what):
    return ApiError(400, "InvalidRequestContent",
                    "The request content was invalid and could not be deserialized: %s." % what)


def _tags(payload):
    props = payload.get("properties")
    tags = props.get("tags") if isinstance(props, dict) else None
    if not isinstance(tags, dict):
        raise _invalid("'properties.tags' must be an object of tag names and values")
    bad_values = [k for k, v in tags.items() if not isinstance(v, str)]
    if bad_values:
        raise _invalid("the values of tags '%s' are not strings" % ", ".join(bad_values))
    bad_names = [k for k in tags if not k or any(c in RESERVED or ord(c) < 32 for c in k)]
    if bad_names:
        raise ApiError(400, "InvalidTagNameCharacters",
                       "The tag names '%s' have reserved characters '<,>,%%,&,\\,?,/' or control characters."
                       % ",".join(bad_names))
    return dict(tags)


def apply(current, op, given):
    """Merge: add / overwrite; Replace: exactly `given`; Delete: remove the named tags (a value
    other than "" must match too). Names compare case-insensitively, as in ARM."""
    if op == "Replace":
        return dict(given)
    out = dict(current)
    for name, value in given.items():
        same = [k for k in out if k.lower() == name.lower()]
        if op == "Merge":
            for k in same:
                out.pop(k)
            out[name] = value
        else:
            for k in same:
                if value == "" or out[k] == value:
                    out.pop(k)
    return out


def tags_doc(body):
    return {"id": body["id"] + "/providers/Microsoft.Resources/tags/default", "name": "default",
            "type": "Microsoft.Resources/tags", "properties": {"tags": dict(body.get("tags") or {})}}
