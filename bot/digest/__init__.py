"""Digests: `run.run_digests` claims each subscription's digest, answers it and sends it once;
`scheduler.DigestScheduler` runs that at every subscription's time, one leader per deployment."""
