"""Errors raised by handlers and turned into ARM error envelopes."""


class ApiError(Exception):
    """An HTTP error answer with the ARM envelope {"error": {"code", "message", ...}}."""

    def __init__(self, status, code, message, target=None, details=None, headers=None, body=None):
        super().__init__("%s %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.headers = headers or {}
        self.body = body

    def to_body(self):
        if self.body is not None:
            return self.body
        err = {"code": self.code, "message": self.message}
        if self.target:
            err["target"] = self.target
        if self.details:
            err["details"] = self.details
        return {"error": err}


def bad_request(code, message, target=None):
    return ApiError(400, code, message, target=target)


def not_found(code, message):
    return ApiError(404, code, message)


def resource_not_found(rtype, name, rg):
    return ApiError(
        404, "ResourceNotFound",
        "The Resource '%s/%s' under resource group '%s' was not found. For more details please go to "
        "https://aka.ms/ARMResourceNotFoundFix" % (rtype, name, rg))


def rg_not_found(rg):
    return ApiError(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % rg)


def backup_not_found(message):
    return ApiError(404, "BMSUserErrorObjectNotFound", message)


def method_not_allowed(method):
    return ApiError(405, "MethodNotAllowed",
                    "The requested resource does not support http method '%s'." % method)


class Validation(Exception):
    """A restore-request validation failure (400 from the trigger, a validationResult from
    Operation_Validate)."""

    def __init__(self, code, message, recommendations=None, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.recommendations = recommendations or []
        self.status = status

    def to_api_error(self):
        return ApiError(self.status, self.code, self.message)

    def to_result(self):
        out = {"code": self.code, "message": self.message}
        if self.recommendations:
            out["recommendations"] = list(self.recommendations)
        return out
