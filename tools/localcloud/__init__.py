"""The local cloud: infra/template.yaml deployed, unchanged, into ministack on 127.0.0.1.

ministack (a local AWS emulator, pinned, in its own virtualenv) runs each Lambda as a host
Python subprocess, delivers S3 events in full AWS shape, serves HTTP APIs with Cognito JWT
authorizers and keeps an SES outbox. `make run`, `make token`, `make mail`, `make invoke` and
the end-to-end tests all go through this package.
"""
