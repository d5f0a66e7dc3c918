"""Build the web site (web/) and put it, with its config.json, into the stack's site bucket.

    python tools/publish_site.py --stack <name>      # on AWS, after `sam deploy`

config.json is the site's runtime configuration, written at deploy time from the stack outputs:
the API's URL, the managed-login base URLs and client ids of both pools, the site's own URL.
The local cloud (tools/localcloud) calls `publish` with its own addresses.
"""
from __future__ import annotations

import argparse
import json
import mimetypes
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
DIST = WEB / "dist"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".json": "application/json; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}


def install(log=print) -> Path:
    """npm ci, once per lockfile: the site's packages (web/node_modules), for the build and for
    tools/openapi.py (openapi-typescript). Returns web/node_modules."""
    stamp = WEB / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < (WEB / "package-lock.json").stat().st_mtime:
        log("installing the site's packages (npm ci)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WEB, check=True)
    return WEB / "node_modules"


def build(log=print) -> Path:
    """npm ci (once per lockfile) and vite build (when a source is newer than the output)."""
    install(log)
    sources = [p for p in WEB.rglob("*") if p.is_file() and "node_modules" not in p.parts and "dist" not in p.parts]
    built = DIST / "index.html"
    if not built.exists() or max(p.stat().st_mtime for p in sources) > built.stat().st_mtime:
        log("building the site (vite build)")
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WEB, check=True, stdout=subprocess.DEVNULL)
    return DIST


def config_from_outputs(outputs: dict) -> dict:
    return {
        "apiUrl": outputs["ApiUrl"],
        "siteUrl": outputs["SiteUrl"],
        "signIn": {"url": outputs["SignInDomain"], "clientId": outputs["UserPoolClientId"]},
        "staffSignIn": {"url": outputs["StaffSignInDomain"], "clientId": outputs["StaffUserPoolClientId"]},
    }


def publish(s3, bucket: str, config: dict, dist: Path = DIST) -> int:
    """Upload every built file and config.json; returns the number of files put."""
    count = 0
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        key = str(path.relative_to(dist))
        kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # Hashed assets never change; the pages and config.json are looked at on every visit.
        cache = "public, max-age=31536000, immutable" if key.startswith("assets/") else "no-cache"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=kind, CacheControl=cache)
        count += 1
    s3.put_object(Bucket=bucket, Key="config.json", Body=json.dumps(config, ensure_ascii=False, indent=2).encode(),
                  ContentType=TYPES[".json"], CacheControl="no-cache")
    return count + 1


def main() -> None:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    args = parser.parse_args()
    stack = boto3.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    count = publish(boto3.client("s3"), outputs["SiteBucketName"], config_from_outputs(outputs), build())
    boto3.client("cloudfront").create_invalidation(
        DistributionId=outputs["SiteDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(count) + stack["LastUpdatedTime"].isoformat() if stack.get("LastUpdatedTime") else str(count)},
    )
    print(f"Web: {outputs['SiteUrl']} ({count} files)")


if __name__ == "__main__":
    main()
