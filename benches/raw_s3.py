#!/usr/bin/env python3
"""The server's ceiling: the cheapest client we can write, against the same S3 server.

    raw_s3.py put SRC_DIR PREFIX      # every file under SRC_DIR -> s3://$BUCKET/PREFIX/<relpath>
    raw_s3.py get PREFIX DST_DIR      # every object under PREFIX -> DST_DIR/<relpath>

Settings come from the environment: S3_ENDPOINT (http://host:port), S3_BUCKET,
S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION; RAW_S3_THREADS (default 16).

Standard library only. Each file is one request (no multipart); requests are SigV4-signed with
`x-amz-content-sha256: UNSIGNED-PAYLOAD`, so neither side hashes the payload for the signature;
a PUT body goes out with sendfile(2), a GET body is read into a reused buffer and written with
os.write (objects of 64 MiB and more are fetched as parallel 16 MiB ranged GETs, pwrite'd).
Nothing is verified here (the benchmark checks the results). Client CPU per byte is about as
low as it gets, so this measures what the server on this machine can take and give.
"""

import datetime
import hashlib
import hmac
import http.client
import os
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

ENDPOINT = urllib.parse.urlsplit(os.environ["S3_ENDPOINT"])
BUCKET = os.environ["S3_BUCKET"]
ACCESS = os.environ["S3_ACCESS_KEY_ID"]
SECRET = os.environ["S3_SECRET_ACCESS_KEY"]
REGION = os.environ.get("S3_REGION", "us-east-1")
THREADS = int(os.environ.get("RAW_S3_THREADS", "16"))
RANGE = 16 << 20
BIG = 64 << 20

_local = threading.local()


def conn() -> http.client.HTTPConnection:
    c = getattr(_local, "conn", None)
    if c is None:
        c = http.client.HTTPConnection(ENDPOINT.hostname, ENDPOINT.port, timeout=300)
        _local.conn = c
    return c


def quote(s: str) -> str:
    return urllib.parse.quote(s, safe="/-_.~")


def sign(method: str, path: str, query: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = now.strftime("%Y%m%d")
    headers = {
        "host": ENDPOINT.netloc,
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        "x-amz-date": amz_date,
        **{k.lower(): v for k, v in extra.items()},
    }
    names = sorted(headers)
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
        for k, v in sorted(query.items())
    )
    canonical = "\n".join(
        [
            method,
            quote(path),
            canonical_query,
            "".join(f"{n}:{headers[n].strip()}\n" for n in names),
            ";".join(names),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = f"{day}/{REGION}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + SECRET).encode()
    for part in (day, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={ACCESS}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    del headers["host"]
    return headers


def request(method: str, path: str, query=None, extra=None, body_file=None, size=0):
    query = query or {}
    headers = sign(method, path, query, extra or {})
    target = quote(path) + ("?" + urllib.parse.urlencode(query) if query else "")
    c = conn()
    c.putrequest(method, target, skip_accept_encoding=True)
    for k, v in headers.items():
        c.putheader(k, v)
    if method == "PUT":
        c.putheader("content-length", str(size))
    c.endheaders()
    if body_file is not None and size:
        sent = c.sock.sendfile(body_file, 0, size)
        if sent != size:
            raise OSError(f"sendfile sent {sent} of {size} bytes")
    return c.getresponse()


def checked(resp, what: str):
    if resp.status // 100 != 2:
        body = resp.read()[:500]
        raise RuntimeError(f"{what}: HTTP {resp.status}: {body!r}")
    return resp


def put(src: str, prefix: str) -> None:
    files = []
    for root, _dirs, names in os.walk(src):
        for n in names:
            p = os.path.join(root, n)
            files.append((p, os.path.relpath(p, src)))

    def one(item):
        path, rel = item
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            resp = request("PUT", f"/{BUCKET}/{prefix}/{rel}", body_file=f, size=size)
            checked(resp, f"PUT {rel}").read()

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, files))


def list_objects(prefix: str) -> list[tuple[str, int]]:
    out, token = [], None
    ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
    while True:
        q = {"list-type": "2", "prefix": prefix + "/"}
        if token:
            q["continuation-token"] = token
        root = ET.fromstring(checked(request("GET", f"/{BUCKET}", q), "LIST").read())
        for c in root.iter(ns + "Contents"):
            out.append((c.find(ns + "Key").text, int(c.find(ns + "Size").text)))
        t = root.find(ns + "NextContinuationToken")
        if root.findtext(ns + "IsTruncated") != "true" or t is None:
            return out
        token = t.text


def get_into(key: str, fd: int, offset: int, length: int | None) -> None:
    extra = {} if length is None else {"range": f"bytes={offset}-{offset + length - 1}"}
    resp = checked(request("GET", f"/{BUCKET}/{key}", extra=extra), f"GET {key}")
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    pos = offset
    while True:
        n = resp.readinto(buf)
        if not n:
            break
        os.pwrite(fd, view[:n], pos)
        pos += n


def get(prefix: str, dst: str) -> None:
    objects = list_objects(prefix)
    tasks, big = [], {}
    for key, size in objects:
        path = os.path.join(dst, key[len(prefix) + 1 :])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if size >= BIG:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.ftruncate(fd, size)
            big[key] = fd
            tasks += [(key, path, off, min(RANGE, size - off)) for off in range(0, size, RANGE)]
        else:
            tasks.append((key, path, 0, None))

    def one(task):
        key, path, off, length = task
        if key in big:
            get_into(key, big[key], off, length)
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            get_into(key, fd, 0, None)
        finally:
            os.close(fd)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, tasks))
    for fd in big.values():
        os.close(fd)


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] not in ("put", "get"):
        sys.exit(__doc__)
    if sys.argv[1] == "put":
        put(sys.argv[2], sys.argv[3].strip("/"))
    else:
        get(sys.argv[2].strip("/"), sys.argv[3])


if __name__ == "__main__":
    main()
