"""An interface engine for the MLLP step tests, on the `hl7` package's
asyncio MLLP server (PyPI), answering by message type (MSH-9):

- ADT^A08: AA
- ORM^O01: AE, with an ERR segment (103, table value not found)
- QRY^A19: AA after --delay-ms milliseconds, with the wait it measured
  (from reading the message to writing the ACK) in MSA-3, in milliseconds
- ADT^A04: no answer (the connection stays open)

Usage: mllp_server.py PORT [--delay-ms N] [--tls CERT KEY]
Prints "ready" once listening.
"""

import argparse
import asyncio
import ssl
import time

import hl7
import hl7.mllp


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    return p.parse_args()


def answer(message, delay_ms):
    """(ack code, seconds to wait first, add ERR) or None for silence."""
    kind = str(message.segment("MSH")(9))
    if kind.startswith("ADT^A08"):
        return ("AA", 0.0, False)
    if kind.startswith("ORM^O01"):
        return ("AE", 0.0, True)
    if kind.startswith("QRY^A19"):
        return ("AA", delay_ms / 1000.0, False)
    return None


def handler_for(delay_ms):
    async def handle(reader, writer):
        try:
            while not writer.is_closing():
                message = await reader.readmessage()
                start = time.perf_counter()
                plan = answer(message, delay_ms)
                if plan is None:
                    await asyncio.sleep(3600)
                    continue
                code, wait, err = plan
                if wait:
                    await asyncio.sleep(wait)
                ack = message.create_ack(code, message_id="E" + str(message.segment("MSH")(10)))
                text = str(ack).rstrip("\r")
                if err:
                    text += "\rERR||PID^1^3|103^Table value not found^HL70357|E"
                if wait:
                    text += "|%.3f" % ((time.perf_counter() - start) * 1000.0)
                writer.writeblock(text.encode())
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    return handle


async def main():
    args = parse_args()
    tls = None
    if args.tls:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls[0], args.tls[1])
    server = await hl7.mllp.start_hl7_server(
        handler_for(args.delay_ms), host="127.0.0.1", port=args.port, ssl=tls
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
