"""The response type shared by the core and the handlers (its own module to avoid import cycles)."""


class Response:
    def __init__(self, status=200, body=None, headers=None, raw=None):
        self.status = status
        self.body = body
        self.raw = raw
        self.headers = dict(headers or {})
        self.drop = False
        self.committed_status = None
        self.delay = 0.0
        self.faults = []
