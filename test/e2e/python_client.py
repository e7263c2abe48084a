"""A python-websockets client for the e2e suite (run with Debian's /usr/bin/python3).

Usage: python_client.py '<json options>'; prints one JSON line with what it saw.
Options: url (ws:// or wss://, any certificate accepted), subprotocols (list), origin, cookie, compression (bool, default true: offer permessage-deflate),
mode: "chat" (welcome, say, broadcast, malformed -> error), "echo" (send `size` bytes of text, expect them
back) or "reject" (expect the handshake to be refused; report the status).
python-websockets itself checks the 101 strictly: Upgrade, Connection, Sec-WebSocket-Accept against its key,
the subprotocol against those offered and the extensions against those offered; any failure raises.
"""

import asyncio
import base64
import hashlib
import json
import ssl
import sys

import websockets

VERSION = tuple(int(part) for part in websockets.__version__.split(".")[:2])
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def connect(options):
    headers = {"Cookie": options["cookie"]} if options.get("cookie") else {}
    kwargs = {
        "subprotocols": options.get("subprotocols") or None,
        "compression": "deflate" if options.get("compression", True) else None,
        "open_timeout": 10,
        "max_size": 2**20,
    }
    if options.get("origin"):
        kwargs["origin"] = options["origin"]
    if options["url"].startswith("wss:"):
        # The examples' TLS certificate is self-signed (TLS=1): accept it. No ALPN is offered: HTTP/1.1.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        kwargs["ssl"] = context
    if VERSION >= (13, 0):
        from websockets.asyncio.client import connect as new_connect

        return new_connect(options["url"], additional_headers=headers, **kwargs)
    from websockets.legacy.client import connect as legacy_connect

    return legacy_connect(options["url"], extra_headers=headers, **kwargs)


def handshake_headers(ws):
    if VERSION >= (13, 0):
        return ws.request.headers, ws.response.headers
    return ws.request_headers, ws.response_headers


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def run(options):
    mode = options.get("mode", "chat")
    try:
        ws = await connect(options)
    except Exception as error:  # InvalidStatusCode / InvalidStatus / InvalidHandshake ...
        status = getattr(error, "status_code", None)
        if status is None and getattr(error, "response", None) is not None:
            status = error.response.status_code
        return {"ok": mode == "reject", "connected": False, "error": type(error).__name__, "message": str(error), "status": status}
    try:
        request, response = handshake_headers(ws)
        key = request["Sec-WebSocket-Key"]
        expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        result = {
            "ok": mode != "reject",
            "connected": True,
            "websocketsVersion": websockets.__version__,
            "protocol": ws.subprotocol,
            "extensions": [extension.name for extension in ws.extensions],
            "extensionsHeader": response.get("Sec-WebSocket-Extensions"),
            "acceptMatches": response["Sec-WebSocket-Accept"] == expected,
        }
        if mode == "chat":
            result["welcome"] = await recv_json(ws)
            text = options.get("say", "hello from python")
            await ws.send(json.dumps({"type": "say", "text": text}))
            while True:
                message = await recv_json(ws)
                if message.get("type") == "message" and message.get("text") == text:
                    result["broadcast"] = message
                    break
            await ws.send("this is not json")
            result["malformedReply"] = await recv_json(ws)
        elif mode == "echo":
            payload = "".join(chr(0x41 + (i * 7919 % 26)) for i in range(options.get("size", 65536)))
            await ws.send(payload)
            echoed = await asyncio.wait_for(ws.recv(), 10)
            result["echoedLength"] = len(echoed)
            result["echoMatches"] = echoed == payload
        await ws.close()
        result["closeCode"] = ws.close_code
        return result
    finally:
        await ws.close()  # idempotent; also on an error above


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))), flush=True)
