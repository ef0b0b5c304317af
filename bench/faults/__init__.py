"""Fault injection: Agora's app and worker under load while PostgreSQL, Redis and they themselves
fail, checking that no acknowledged write or side effect is lost or duplicated and no answer is a
500. Everything runs on this machine (loopback and unix sockets): `python -m bench.faults`."""
