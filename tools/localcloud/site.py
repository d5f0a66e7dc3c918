"""The web site in the local cloud: built, put into the stack's site bucket, config.json beside it.

The local cloud serves the API and Cognito's managed login (/oauth2/authorize, /login,
/oauth2/token, /logout) on its gateway address, where AWS has execute-api and
<domain>.auth.<region>.amazoncognito.com hosts; config.json names those local addresses.
"""
from __future__ import annotations

import sys

from .cloud import ROOT, LocalCloud


def publish_local(cloud: LocalCloud, deployed: dict, log=print) -> dict:
    sys.path.insert(0, str(ROOT))
    from tools.publish_site import build, publish

    outputs = deployed["outputs"]
    config = {
        "apiUrl": deployed["api_url"],
        "siteUrl": outputs["SiteUrl"],
        "signIn": {"url": cloud.endpoint, "clientId": outputs["UserPoolClientId"]},
        "staffSignIn": {"url": cloud.endpoint, "clientId": outputs["StaffUserPoolClientId"]},
    }
    publish(cloud.client("s3"), outputs["SiteBucketName"], config, build(log))
    return config
